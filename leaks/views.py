import logging
import math
from collections.abc import Mapping

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET

from alerts.forms import SubscribeForm
from leaks import catalogue, data_classes, ownership
from leaks.forms import CheckForm, CodeForm
from leaks.hashing import phone_hashes
from leaks.lookups import breaches_for_hashes, totals
from leaks.phones import Phone
from leaks.ratelimits import (
    Decision,
    authorize_admin_login,
    authorize_check,
    client_ip,
    hit,
    longest_window,
)
from leaks.sms import SmsError

logger = logging.getLogger(__name__)

LIMIT_MESSAGES = {
    "number": _(
        "Too many codes were sent to this number recently. Please wait an hour before asking again."
    ),
    "ip": _("Too many codes were asked for from your connection. Please try again in an hour."),
    "network": _("Too many codes were asked for from your network. Please try again in an hour."),
    "global": _(
        "The site has sent too many text messages in the last hour. Please try again later."
    ),
    "attempts": _("Too many codes were tried from your connection. Please try again in an hour."),
}

LATEST = 5


def too_many_requests(request: HttpRequest, decision: Decision | None = None) -> HttpResponse:
    """The friendly 429 page, with the real time left in Retry-After."""
    retry_after = decision.retry_after if decision is not None else 3600
    minutes = max(1, math.ceil(retry_after / 60))
    response = render(request, "leaks/429.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def _proof_limited(request: HttpRequest, scope: str) -> HttpResponse:
    context = {"message": LIMIT_MESSAGES[scope]}
    response = render(request, "leaks/proof_limited.html", context, status=429)
    response["Retry-After"] = "3600"
    return response


def _result(
    request: HttpRequest, *, masked: str, hashes: Mapping[int, bytes], phone: Phone | None
) -> HttpResponse:
    """The result page; sensitive breaches only when this session proved the number."""
    proven = phone is None or ownership.session_is_proven(request, phone)
    breaches = [
        (breach, [data_classes.label(key) for key in breach.data_classes])
        for breach in breaches_for_hashes(hashes, include_sensitive=proven)
    ]
    context = {
        "masked": masked,
        "breaches": breaches,
        "totals": totals(),
        "proven": proven,
        # The person types the number again: the page never holds it in full.
        "prove_form": None if proven else _prove_form(),
        "form_again": CheckForm(),
        "alerts_form": SubscribeForm(),
        "require_proof": settings.RESULTS_REQUIRE_PROOF,
    }
    return render(request, "leaks/result.html", context)


def _prove_form() -> CheckForm:
    form = CheckForm(auto_id="prove_%s")
    form.fields["phone"].widget.attrs.pop("autofocus", None)
    return form


# The number arrives in a POST body, never in a URL, so it stays out of
# access logs and browser history; error reports hide it too.
@sensitive_post_parameters("phone")
def check(request: HttpRequest) -> HttpResponse:
    form = CheckForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        decision = authorize_check(request, phone)
        if not decision:
            return too_many_requests(request, decision)
        if settings.RESULTS_REQUIRE_PROOF and not ownership.session_is_proven(request, phone):
            # No answer before proof: a hit and a miss both lead to the code page.
            return _send_code(request, phone)
        hashes = phone_hashes(phone.e164)
        return _result(request, masked=phone.masked, hashes=hashes, phone=phone)
    status = 400 if form.is_bound else 200
    context = {
        "form": form,
        "totals": totals(),
        "require_proof": settings.RESULTS_REQUIRE_PROOF,
        "latest": catalogue.breaches_listed()[:LATEST],
    }
    return render(request, "leaks/check.html", context, status=status)


def _send_code(request: HttpRequest, phone: Phone) -> HttpResponse:
    try:
        ownership.ownership_code_send(phone=phone, request=request)
    except ownership.OwnershipLimited as exc:
        return _proof_limited(request, exc.scope)
    except SmsError as exc:
        logger.warning("ownership code not sent: %s", exc)
        # A fresh form: the page does not echo the number back.
        context = {
            "form": CheckForm(),
            "error": _("The text message could not be sent. Please try again later."),
        }
        return render(request, "leaks/proof_start.html", context, status=502)
    ownership.session_set_pending(request, phone)
    return redirect("bc-proof-code")


@sensitive_post_parameters("phone")
def proof_send(request: HttpRequest) -> HttpResponse:
    """Text a code to the number typed here or on a result page."""
    form = CheckForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return _send_code(request, form.cleaned_data["phone"])
    status = 400 if form.is_bound else 200
    return render(request, "leaks/proof_start.html", {"form": form}, status=status)


@sensitive_post_parameters("code")
def proof_code(request: HttpRequest) -> HttpResponse:
    pending = ownership.session_pending(request)
    digest = ownership.session_pending_hash(request)
    if pending is None or digest is None:
        return redirect("bc-proof-send")
    form = CodeForm(request.POST or None)
    used_up = False
    if request.method == "POST":
        key = f"ip:{client_ip(request)}"
        if hit(request, group="code-ip", key=key, rate=settings.RATELIMIT_CODE_PER_IP):
            return _proof_limited(request, "attempts")
        if form.is_valid():
            code = form.cleaned_data["code"]
            if ownership.ownership_code_check(phone_hash=digest, code=code):
                ownership.session_mark_proven(request)
                return redirect("bc-proof-result")
            used_up = ownership.ownership_code_pending(phone_hash=digest) is None
            if not used_up:
                form.add_error("code", _("That code is not right. Please check the message."))
    context = {"form": form, "masked": pending["masked"], "used_up": used_up}
    return render(request, "leaks/proof_code.html", context, status=400 if form.is_bound else 200)


@require_GET
def proof_result(request: HttpRequest) -> HttpResponse:
    """The result for the number this session just proved, sensitive breaches included."""
    entry = ownership.session_last_proven(request)
    if entry is None:
        return redirect("bc-check")
    return _result(request, masked=entry["masked"], hashes=ownership.hashes_of(entry), phone=None)


def privacy(request: HttpRequest) -> HttpResponse:
    hours = max(1, math.ceil(longest_window() / 3600))
    context = {
        "counter_hours": hours,
        "code_minutes": max(1, settings.OWNERSHIP_CODE_TTL_SECONDS // 60),
        "proof_minutes": max(1, settings.OWNERSHIP_PROOF_TTL_SECONDS // 60),
        "session_days": max(1, settings.SESSION_COOKIE_AGE // 86400),
        "confirm_days": max(1, settings.ALERTS_CONFIRM_MAX_AGE // 86400),
        "mine_url": reverse("bc-alerts-mine"),
    }
    return render(request, "leaks/privacy.html", context)


@sensitive_post_parameters("password")
def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's own login view behind the admin-login rate limit."""
    from django.contrib import admin

    if request.method == "POST":
        decision = authorize_admin_login(request, request.POST.get("username", ""))
        if not decision:
            return too_many_requests(request, decision)
    return admin.site.login(request)
