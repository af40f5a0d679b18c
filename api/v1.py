"""Version 1 of the JSON API: the public catalogue, and lookups with a key."""

import datetime
from typing import Any
from weakref import WeakKeyDictionary

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from django.views.decorators.cache import cache_control
from django.views.decorators.http import condition
from ninja import Field, NinjaAPI, Query, Schema
from ninja.decorators import decorate_view

from api import key_count
from api.answers import lookup_response
from api.auth import ApiKeyAuth
from api.docs import ServerRenderedDocs
from api.errors import ApiError, ErrorOut, install_error_handlers, invalid_key, rate_limited
from api.models import ApiKey
from api.schemas import BreachOut, DataClassOut, LookupIn, LookupOut
from audit.models import AuditEvent
from audit.services import audit_record
from leaks import catalogue, data_classes
from leaks.fastphones import normalize_input
from leaks.lookups import found_breaches
from leaks.models import Breach
from leaks.phones import InvalidPhone
from leaks.public_set import VERSION_KEY, public_set

DESCRIPTION = """\
Which phone-number breaches the site knows, and which of them hold a number.

The catalogue operations need no key and answer with `ETag` and `Last-Modified`
so clients and caches can revalidate cheaply. The lookup needs a key in the
`X-Api-Key` header; each key has its own rate limit, and over it the answer is
429 with `Retry-After`. The number is sent in a JSON body, never in the URL,
so it stays out of access logs, proxies and browser history.

Every error is JSON: `{"error": code, "message": text, "reason": code or null}`.
"""

api = NinjaAPI(
    title="breachcheck API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-1",
    docs=ServerRenderedDocs(),
)
install_error_handlers(api)

CATALOGUE_ERRORS = {304: None, 400: ErrorOut}
CACHE_SECONDS = 300
CACHE_HEADERS: dict[str, Any] = {
    "responses": {
        200: {
            "headers": {
                "ETag": {"schema": {"type": "string"}},
                "Last-Modified": {"schema": {"type": "string"}},
                "Cache-Control": {"schema": {"type": "string"}},
            }
        }
    }
}

# The catalogue's version read once per request: the ETag and the Last-Modified
# of one answer come from the same read.
_versions: WeakKeyDictionary[HttpRequest, catalogue.CatalogueVersion] = WeakKeyDictionary()


def _version(request: HttpRequest) -> catalogue.CatalogueVersion:
    if request not in _versions:
        _versions[request] = catalogue.catalogue_version()
    return _versions[request]


def _etag(request: HttpRequest, *args: Any, **kwargs: Any) -> str:
    # Data-class names are translated, so the language is part of the version.
    return f"{_version(request).tag}-{get_language()}"


def _last_modified(request: HttpRequest, *args: Any, **kwargs: Any) -> datetime.datetime | None:
    return _version(request).last_modified


cacheable = decorate_view(
    condition(etag_func=_etag, last_modified_func=_last_modified),
    cache_control(public=True, max_age=CACHE_SECONDS),
)


class BreachFilters(Schema):
    domain: str = Field("", description=N_("Only breaches of this domain (any case)."))
    include_unverified: bool = Field(True, description=N_("Include breaches not verified yet."))


@api.get(
    "/breaches",
    response={200: list[BreachOut], **CATALOGUE_ERRORS},
    operation_id="list_breaches",
    openapi_extra=CACHE_HEADERS,
    summary=N_("List breaches"),
    description=N_(
        "Every breach the site lists (not retired), sensitive ones included, "
        "newest added first. Filter by domain; leave out unverified ones if you like."
    ),
)
@cacheable
def list_breaches(request: HttpRequest, filters: Query[BreachFilters]) -> QuerySet[Breach]:
    return catalogue.breaches_listed(
        domain=filters.domain, include_unverified=filters.include_unverified
    )


@api.get(
    "/breaches/{name}",
    response={200: BreachOut, 404: ErrorOut, **CATALOGUE_ERRORS},
    operation_id="get_breach",
    openapi_extra=CACHE_HEADERS,
    summary=N_("Get one breach"),
    description=N_("One breach by its name (slug). Retired breaches are not found."),
)
@cacheable
def get_breach(request: HttpRequest, name: str) -> Breach:
    breach = catalogue.breach_listed(name)
    if breach is None:
        raise ApiError(404, "not_found", _("No such breach."))
    return breach


@api.get(
    "/dataclasses",
    response={200: list[DataClassOut], **CATALOGUE_ERRORS},
    operation_id="list_data_classes",
    openapi_extra=CACHE_HEADERS,
    summary=N_("List data classes"),
    description=N_(
        "The kinds of data a breach can expose, with names in the request's "
        "language (Accept-Language)."
    ),
)
@cacheable
def list_data_classes(request: HttpRequest) -> list[dict[str, str]]:
    return [{"key": key, "name": str(name)} for key, name in data_classes.DATA_CLASSES.items()]


@api.get(
    "/latestbreach",
    response={200: BreachOut, 404: ErrorOut, **CATALOGUE_ERRORS},
    operation_id="latest_breach",
    openapi_extra=CACHE_HEADERS,
    summary=N_("Get the latest breach"),
    description=N_("The breach added most recently."),
)
@cacheable
def latest_breach(request: HttpRequest) -> Breach:
    breach = catalogue.breach_latest()
    if breach is None:
        raise ApiError(404, "not_found", _("No breach has been published yet."))
    return breach


@api.post(
    "/lookup",
    auth=ApiKeyAuth(),
    response={
        200: LookupOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        429: ErrorOut,
        503: ErrorOut,
    },
    operation_id="lookup_number",
    openapi_extra={
        "responses": {
            429: {
                "headers": {
                    "Retry-After": {
                        "description": "Seconds until the key may look up again.",
                        "schema": {"type": "integer"},
                    }
                }
            }
        }
    },
    summary=N_("Find the breaches that hold a phone number"),
    description=N_(
        "Needs an API key in X-Api-Key. The number travels in the JSON body so "
        "it never lands in a URL or an access log. Sensitive and retired breaches are never "
        "returned. An invalid number is a 400 with `error` invalid_number and a `reason`. "
        "Lookups share each number's budget with the website (429 past it). When the site "
        "shows results only after an SMS proof, every lookup is a 403 `proof_required`, "
        "except with a trusted partner key, whose every lookup is audited."
    ),
)
def lookup_number(request: HttpRequest, payload: LookupIn) -> HttpResponse:
    try:
        phone = normalize_input(payload.number, payload.region)
    except InvalidPhone as exc:
        raise ApiError(400, "invalid_number", exc.message, reason=exc.reason) from None
    # ninja sets request.auth (the key ApiKeyAuth returned); django-stubs cannot know it.
    api_key: ApiKey = request.auth  # type: ignore[attr-defined]
    if settings.RESULTS_REQUIRE_PROOF and not api_key.trusted_partner:
        # The same answer for every valid number: nothing about it is told.
        raise ApiError(
            403,
            "proof_required",
            _("This site shows results only to the holder of the number, after an SMS proof."),
        )
    # The key's layers and the number's in one round trip (api/key_count.py).
    decision = key_count.count(request, phone.e164)
    if decision is None:
        raise invalid_key()
    if not decision:
        raise rate_limited(decision)
    if settings.RESULTS_REQUIRE_PROOF:
        # Who asked and when, never the number.
        audit_record(action=AuditEvent.Action.LOOKUP, obj=api_key, changes={})
    # The public snapshot's version came back with the counting.
    public = public_set(decision.seen.get(VERSION_KEY))
    breaches = found_breaches(phone, public=public)
    if not payload.include_unverified:
        breaches = [breach for breach in breaches if breach.is_verified]
    return lookup_response(breaches, public=public, truncate=payload.truncate_response)
