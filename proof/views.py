"""Proof that the visitor holds a number: a code texted to it, typed back here.

The number is the one checked in this session (kept sealed, proof/session.py) or
one typed on the proof page; the pages and the text are the same for every number.
"""

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters

from disclosure.policy import Decision, authorize_check, authorize_code_attempt
from disclosure.responses import too_many_requests
from leaks.forms import CheckForm
from leaks.phones import Phone
from proof import ownership
from proof import session as proof_session
from proof.forms import CodeForm
from proof.session import number_digest
from proof.sms import SmsError

logger = logging.getLogger(__name__)


def send_code(request: HttpRequest, phone: Phone) -> HttpResponse:
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
            return send_code(request, phone)
    form = CheckForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return send_code(request, form.cleaned_data["phone"])
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
