"""The check, its result, and proof of ownership by SMS code.

Post/Redirect/Get: the number arrives in a POST body (never in a URL), passes
the disclosure gate, and is kept sealed in the session (leaks/proof_session.py)
so the result is a plain GET that Back, reload and a language switch can repeat.
"""

import logging
import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET

from disclosure.policy import (
    Decision,
    authorize_admin_login,
    authorize_check,
    authorize_code_attempt,
    longest_window,
    pow_demanded,
)
from disclosure.responses import limit_message, too_many_requests
from leaks import catalogue, data_classes, ownership, proof_session
from leaks.forms import CheckAgainForm, CheckForm, CodeForm
from leaks.hashing import phone_hashes
from leaks.lookups import breaches_for_hashes, totals
from leaks.phones import Phone
from leaks.proof_session import number_digest
from leaks.sms import SmsError

logger = logging.getLogger(__name__)

LATEST = 5
POW_FIELD = "altcha"


def _check_page(
    request: HttpRequest, form: CheckForm, *, status: int = 200, decision: Decision | None = None
) -> HttpResponse:
    context = {
        "form": form,
        "totals": totals(),
        "require_proof": settings.RESULTS_REQUIRE_PROOF,
        "latest": catalogue.breaches_listed()[:LATEST],
        "pow": decision.pow_difficulty if decision is not None else pow_demanded(request),
        "pow_message": limit_message(decision) if decision is not None else "",
    }
    response = render(request, "leaks/check.html", context, status=status)
    if decision is not None:
        response["Retry-After"] = str(decision.retry_after)
    return response


@sensitive_post_parameters("phone", POW_FIELD)
def check(request: HttpRequest) -> HttpResponse:
    form = CheckForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return _check_page(request, form, status=400 if form.is_bound else 200)
    phone: Phone = form.cleaned_data["phone"]
    proven = proof_session.is_proven(request, phone)
    decision = authorize_check(
        request, phone.e164, pow_payload=request.POST.get(POW_FIELD), proven=proven
    )
    if decision.needs_pow:
        # A fresh form: the page never echoes the number back.
        return _check_page(request, CheckForm(), status=429, decision=decision)
    if not decision:
        return too_many_requests(request, decision)
    if settings.RESULTS_REQUIRE_PROOF and not proven:
        # No answer before proof: a hit and a miss both lead to the code page.
        return _send_code(request, phone)
    proof_session.remember_checked(request, phone)
    return redirect("bc-result")


@require_GET
def result(request: HttpRequest) -> HttpResponse:
    """The result of the number this session checked last; sensitive breaches once proven."""
    state = proof_session.NumberState.load(request)
    entry = state.current_entry
    phone = entry.phone() if entry is not None else None
    if entry is None or phone is None or (settings.RESULTS_REQUIRE_PROOF and not entry.proven):
        return redirect("bc-check")
    breaches = [
        (breach, [data_classes.label(key) for key in breach.data_classes])
        for breach in breaches_for_hashes(phone_hashes(phone.e164), include_sensitive=entry.proven)
    ]
    context = {
        "masked": entry.masked,
        "breaches": breaches,
        "totals": totals(),
        "proven": entry.proven,
        "form_again": CheckAgainForm(),
        "require_proof": settings.RESULTS_REQUIRE_PROOF,
    }
    return render(request, "leaks/result.html", context)


def _send_code(request: HttpRequest, phone: Phone) -> HttpResponse:
    try:
        ownership.ownership_code_send(phone=phone, request=request)
    except ownership.OwnershipLimited as exc:
        # One code per number per window, whoever asks: if one is on its way to
        # the phone, its holder may type it here; nothing more is sent.
        pending = ownership.ownership_code_pending(phone_hash=number_digest(phone.e164))
        if exc.decision.layer != "number" or pending is None:
            return too_many_requests(request, exc.decision)
    except SmsError as exc:
        logger.warning("ownership code not sent: %s", exc)
        context = {
            "form": CheckForm(),
            "error": _("The text message could not be sent. Please try again later."),
        }
        return render(request, "leaks/proof_start.html", context, status=502)
    proof_session.remember_pending(request, phone)
    return redirect("bc-proof-code")


@sensitive_post_parameters("phone")
def proof_send(request: HttpRequest) -> HttpResponse:
    """Text a code to the number checked in this session, or to one typed here.

    Whatever the number, the page and the text are the same: one code, the same
    words, whether or not the number is in a breach or already has alerts."""
    state = proof_session.NumberState.load(request)
    current = state.current_entry
    if request.method == "POST" and "phone" not in request.POST and current is not None:
        phone = current.phone()
        if phone is not None:
            return _send_code(request, phone)
    form = CheckForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return _send_code(request, form.cleaned_data["phone"])
    status = 400 if form.is_bound else 200
    return render(request, "leaks/proof_start.html", {"form": form}, status=status)


@sensitive_post_parameters("code")
def proof_code(request: HttpRequest) -> HttpResponse:
    state = proof_session.NumberState.load(request)
    pending = state.pending_entry
    if pending is None:
        return redirect("bc-proof-send")
    form = CodeForm(request.POST or None)
    used_up = False
    if request.method == "POST":
        decision = authorize_code_attempt(request)
        if not decision:
            return too_many_requests(request, decision)
        if form.is_valid():
            code = form.cleaned_data["code"]
            if ownership.ownership_code_check(phone_hash=pending.digest_bytes, code=code):
                return _proven(request, pending)
            used_up = ownership.ownership_code_pending(phone_hash=pending.digest_bytes) is None
            if not used_up:
                form.add_error("code", _("That code is not right. Please check the message."))
    context = {"form": form, "masked": pending.masked, "used_up": used_up}
    return render(request, "leaks/proof_code.html", context, status=400 if form.is_bound else 200)


def _proven(request: HttpRequest, entry: proof_session.NumberEntry) -> HttpResponse:
    phone = entry.phone()
    # The owner's own result is still an answer about the number: it spends the
    # number's budget like any other check, and is not shown past it.
    decision = authorize_check(request, phone.e164, proven=True) if phone else Decision(True)
    proof_session.mark_proven(request, entry, show=bool(decision))
    if not decision:
        return too_many_requests(request, decision)
    return redirect("bc-result")


def privacy(request: HttpRequest) -> HttpResponse:
    hours = max(1, math.ceil(longest_window() / 3600))
    context = {
        "counter_hours": hours,
        "code_minutes": max(1, settings.OWNERSHIP_CODE_TTL_SECONDS // 60),
        "proof_minutes": max(1, settings.OWNERSHIP_PROOF_TTL_SECONDS // 60),
        "result_minutes": max(1, settings.SESSION_RESULT_TTL_SECONDS // 60),
        "confirm_days": max(1, settings.ALERTS_CONFIRM_MAX_AGE // 86400),
        "mine_url": reverse("bc-alerts-mine"),
    }
    return render(request, "leaks/privacy.html", context)


@sensitive_post_parameters("password")
def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's own login view behind the admin-login limits."""
    from django.contrib import admin

    if request.method == "POST":
        decision = authorize_admin_login(request, request.POST.get("username", ""))
        if not decision:
            return too_many_requests(request, decision)
    return admin.site.login(request)
