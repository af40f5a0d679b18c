"""The check and its result.

Post/Redirect/Get: the number arrives in a POST body (never in a URL), passes
the disclosure gate, and is kept sealed in the session (proof/session.py)
so the result is a plain GET that Back, reload and a language switch can repeat.
"""

import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET

from disclosure.policy import Decision, authorize_check, longest_window, pow_demanded
from disclosure.responses import limit_message, too_many_requests
from leaks import data_classes
from leaks.forms import CheckAgainForm, CheckForm
from leaks.hashing import bucket_bits
from leaks.lookups import found_breaches
from leaks.phones import Phone
from leaks.public_set import public_set
from proof import session as proof_session
from proof.views import send_code
from web.waiting import forget_waiting, remember_waiting, waiting_phone

LATEST = 5
POW_FIELD = "altcha"
WAITING_FIELD = "waiting"
FORGOTTEN = _("The number you typed is no longer kept here: please type it again.")
# Mainland China's mobile subscriptions, about (the privacy page: numbers per bucket).
MAINLAND_MOBILES = 1.8e9


def _check_page(
    request: HttpRequest,
    form: CheckForm,
    *,
    status: int = 200,
    decision: Decision | None = None,
    waiting: Phone | None = None,
) -> HttpResponse:
    public = public_set()
    retry_after = max(1, decision.retry_after) if decision is not None else 0
    context = {
        "form": form,
        "totals": public.totals,
        "require_proof": settings.RESULTS_REQUIRE_PROOF,
        "latest": public.newest_added(LATEST),
        "pow": decision.pow_difficulty if decision is not None else pow_demanded(request),
        "pow_message": limit_message(decision) if decision is not None else "",
        "waiting": waiting.masked if waiting is not None else "",
        "wait_minutes": max(1, math.ceil(retry_after / 60)),
    }
    response = render(request, "leaks/check.html", context, status=status)
    if decision is not None:
        response["Retry-After"] = str(retry_after)
    return response


@sensitive_post_parameters("phone", POW_FIELD)
def check(request: HttpRequest) -> HttpResponse:
    # "Check again" after a wait posts no number: it was kept sealed in the session.
    again = request.method == "POST" and WAITING_FIELD in request.POST
    phone = waiting_phone(request) if again else None
    form = CheckForm(request.POST or None)
    if again and phone is None:
        form = CheckForm({"phone": ""})
        form.is_valid()
        form.errors["phone"] = form.error_class([str(FORGOTTEN)])
        return _check_page(request, form, status=400)
    if phone is None:
        if request.method != "POST" or not form.is_valid():
            return _check_page(request, form, status=400 if form.is_bound else 200)
        phone = form.cleaned_data["phone"]
    proven = proof_session.is_proven(request, phone)
    decision = authorize_check(
        request, phone.e164, pow_payload=request.POST.get(POW_FIELD), proven=proven
    )
    if decision.needs_pow:
        # A fresh form: the page never echoes the number back; "Check again" has it.
        remember_waiting(request, phone, decision.retry_after)
        fresh = CheckForm()
        # The waiting box's button is the way on, not the empty field.
        fresh.fields["phone"].widget.attrs.pop("autofocus", None)
        return _check_page(request, fresh, status=429, decision=decision, waiting=phone)
    if not decision:
        return too_many_requests(request, decision)
    forget_waiting(request)
    if settings.RESULTS_REQUIRE_PROOF and not proven:
        # No answer before proof: a hit and a miss both lead to the code page.
        return send_code(request, phone)
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
    public = public_set()
    breaches = [
        (breach, [data_classes.label(key) for key in breach.data_classes])
        for breach in found_breaches(phone, include_sensitive=entry.proven, public=public)
    ]
    context = {
        "masked": entry.masked,
        "breaches": breaches,
        "totals": public.totals,
        "proven": entry.proven,
        "form_again": CheckAgainForm(),
        "require_proof": settings.RESULTS_REQUIRE_PROOF,
    }
    return render(request, "leaks/result.html", context)


def privacy(request: HttpRequest) -> HttpResponse:
    hours = max(1, math.ceil(longest_window() / 3600))
    bits = bucket_bits()
    context = {
        "counter_hours": hours,
        "code_minutes": max(1, settings.OWNERSHIP_CODE_TTL_SECONDS // 60),
        "proof_minutes": max(1, settings.OWNERSHIP_PROOF_TTL_SECONDS // 60),
        "result_minutes": max(1, settings.SESSION_RESULT_TTL_SECONDS // 60),
        "confirm_days": max(1, settings.ALERTS_CONFIRM_MAX_AGE // 86400),
        "mine_url": reverse("bc-alerts-mine"),
        # About 1.8 billion mainland mobile subscriptions share the buckets.
        "buckets": f"{2**bits:,}",
        "bucket_numbers": f"{float(f'{MAINLAND_MOBILES / 2**bits:.2g}'):,.0f}",
    }
    return render(request, "leaks/privacy.html", context)
