"""The lookup's answer as JSON, each breach rendered once per public snapshot.

A breach's part of the answer changes only when the breach does, and every
change to a breach makes a new snapshot (leaks.public_set), so the parts of all
its breaches are rendered together, the first time a lookup answers from a
snapshot: no answer waits on a part that another lookup has or has not
rendered yet. The bytes are what ninja would send for LookupOut (its schema,
its encoder); a test compares them.
"""

import json

from django.http import HttpResponse
from ninja.responses import NinjaJSONEncoder

from api.schemas import BreachName, BreachOut
from leaks.models import Breach
from leaks.public_set import PublicSet

# The snapshot and its rendered parts, replaced together in one assignment.
_rendered: tuple[PublicSet | None, dict[tuple[int, bool], str]] = (None, {})


def lookup_response(breaches: list[Breach], *, public: PublicSet, truncate: bool) -> HttpResponse:
    global _rendered
    owner, parts = _rendered
    if owner is not public:
        parts = {
            (breach.pk, names_only): _render(breach, names_only)
            for breach in public.by_id.values()
            for names_only in (True, False)
        }
        _rendered = (public, parts)
    body = '{"breaches": [' + ", ".join(parts[(b.pk, truncate)] for b in breaches) + "]}"
    return HttpResponse(body, content_type="application/json; charset=utf-8")


def _render(breach: Breach, names_only: bool) -> str:
    schema = BreachName(name=breach.slug) if names_only else BreachOut.from_orm(breach)
    return json.dumps(schema.model_dump(), cls=NinjaJSONEncoder)
