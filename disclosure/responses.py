"""The one 429 page: what was limited, why, and when to come back."""

import math

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

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
