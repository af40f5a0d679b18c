"""The one 429 page: what was limited, why, and when to come back; and the one
503 when the limits cannot be counted at all (the gate is closed)."""

import math

import redis
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from disclosure import outage
from disclosure.counters import GateUnavailable
from disclosure.policy import Decision

_HARVESTING = _(
    "To protect everyone's numbers from harvesting, each visitor, each network and each number "
    "may be looked up only a limited number of times."
)
_COSTLY = _(
    "Emails and text messages cost money and can be used to harass people, so each address, "
    "number, connection and the whole site may send only a few."
)

# (policy, layer) -> what happened; a policy's "" entry covers its other layers.
_MESSAGES = {
    ("check", "number"): _("This number has been looked up many times recently."),
    ("check", "pressure"): _(
        "The site is very busy. To keep it working for everyone, a check now needs your browser "
        "to solve a small puzzle first, which needs JavaScript."
    ),
    ("check", ""): _("Too many numbers were checked from your connection or network."),
    ("api", ""): _("Too many lookups with this key."),
    ("sms", "number"): _(
        "A code was sent to this number very recently. Please wait before asking again."
    ),
    ("sms", "global"): _("The site has sent too many text messages recently."),
    ("sms", ""): _("Too many codes were asked for from your connection or network."),
    ("code", ""): _("Too many codes were tried from your connection."),
    ("subscribe", ""): _("Too many alert requests came from your connection."),
    ("confirm-email", "address"): _(
        "We sent several confirmation emails to this address recently. Check your spam folder."
    ),
    ("confirm-email", ""): _("The site has sent too many emails recently."),
    ("admin-login", ""): _("Too many login attempts."),
}
_WHY = {"check": _HARVESTING, "api": _HARVESTING, "admin-login": ""}


def limit_message(decision: Decision) -> str:
    return str(
        _MESSAGES.get((decision.policy, decision.layer))
        or _MESSAGES.get((decision.policy, ""))
        or ""
    )


def too_many_requests(request: HttpRequest, decision: Decision) -> HttpResponse:
    """The friendly 429 page, with the real time left in Retry-After."""
    retry_after = max(1, decision.retry_after)
    context = {
        "message": limit_message(decision),
        "why": _WHY.get(decision.policy, _COSTLY),
        "minutes": max(1, math.ceil(retry_after / 60)),
    }
    response = render(request, "disclosure/429.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


# The gate closed (disclosure/counters.py: GateUnavailable, or the shared store
# itself failing under a page): a 503, never an answer and never a 500.
CLOSED_RETRY_AFTER = 60
CLOSED_MESSAGE = _(
    "The part of the site that counts its limits is not answering, so it cannot make sure "
    "that nobody looks up numbers or sends texts beyond what is allowed. Rather than answer "
    "unsafely, it answers nothing for now. Nothing you typed was kept."
)
ADMIN_CLOSED_MESSAGE = _(
    "Signing in is refused while the site cannot count login attempts (its shared store, "
    "Redis, is not answering), so passwords could be guessed without limit. An operator "
    "can still work from the server's shell (manage.py)."
)


def is_gate_failure(exc: BaseException) -> bool:
    """Did this fail because the shared store of the limits (Redis) failed?"""
    return isinstance(exc, GateUnavailable | redis.RedisError)


def gate_closed(
    request: HttpRequest, exc: BaseException, *, message: str | None = None
) -> HttpResponse:
    """The 503 for a request refused because the counters cannot be reached: a page,
    or JSON for the API and the private check. The page reads nothing from the
    session or the cache, which may be what failed. Logged once a minute
    (disclosure/outage.py), not once per request."""
    outage.note_refused(exc)
    text = str(message or CLOSED_MESSAGE)
    response: HttpResponse
    if request.path_info.startswith("/api/"):
        body = {"error": "unavailable", "message": text, "reason": None}
        response = JsonResponse(body, status=503)
    elif _wants_json(request):
        response = JsonResponse({"error": text}, status=503)
    else:
        # Nothing on the page reads the session, the user or the cache.
        context = {"message": text, "minutes": CLOSED_RETRY_AFTER // 60}
        response = render(request, "disclosure/503.html", context, status=503)
    response["Retry-After"] = str(CLOSED_RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    # Django would log every 503 as an error; the note above says it once a minute.
    response._has_been_logged = True  # type: ignore[attr-defined]
    response.gate_closed = True  # type: ignore[attr-defined]
    return response


def is_gate_closed(response: HttpResponse) -> bool:
    """Is this gate_closed()'s 503 (so a middleware need not make another)?"""
    return getattr(response, "gate_closed", False)


# Views whose callers read JSON (the private check's script, the puzzle widget).
JSON_VIEWS = {"bc-private-evaluate", "bc-pow-challenge"}


def _wants_json(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is not None and match.url_name in JSON_VIEWS:
        return True
    return request.content_type == "application/json"
