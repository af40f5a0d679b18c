"""The lookup's answer as JSON, each breach rendered once per public snapshot.

A breach's part of the answer changes only when the breach does, and every
change to a breach makes a new snapshot (leaks.public_set), so the rendered
parts are kept with the snapshot they were rendered from. The bytes are what
ninja would send for LookupOut (its schema, its encoder); a test compares them.
"""

import json

from django.http import HttpResponse
from ninja.responses import NinjaJSONEncoder

from api.schemas import BreachName, BreachOut
from leaks.models import Breach
from leaks.public_set import PublicSet

# The snapshot and its rendered parts, replaced together: a request of a thread
# still on an older snapshot fills that snapshot's parts, never the new one's.
_rendered: tuple[PublicSet | None, dict[tuple[int, bool], str]] = (None, {})


def lookup_response(breaches: list[Breach], *, public: PublicSet, truncate: bool) -> HttpResponse:
    global _rendered
    owner, rendered = _rendered
    if owner is not public:
        rendered = {}
        _rendered = (public, rendered)
    parts = []
    for breach in breaches:
        part = rendered.get((breach.pk, truncate))
        if part is None:
            part = rendered[(breach.pk, truncate)] = _render(breach, truncate)
        parts.append(part)
    body = '{"breaches": [' + ", ".join(parts) + "]}"
    return HttpResponse(body, content_type="application/json; charset=utf-8")


def _render(breach: Breach, truncate: bool) -> str:
    schema = BreachName(name=breach.slug) if truncate else BreachOut.from_orm(breach)
    return json.dumps(schema.model_dump(), cls=NinjaJSONEncoder)
