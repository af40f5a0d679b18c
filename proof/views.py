"""Proof that the visitor holds a number: a code texted to it, typed back here.

The number is the one checked in this session (kept sealed, proof/session.py) or
one typed on the proof page; the pages and the text are the same for every number.
"""

import logging
import math
from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from disclosure.policy import Decision, authorize_check, authorize_code_attempt
from disclosure.responses import limit_message, too_many_requests
from leaks.forms import CheckForm
from leaks.phones import Phone
from proof import ownership
from proof import session as proof_session
from proof.forms import CodeForm
from proof.session import number_digest
from proof.sms import SmsError, SmsNumberRejected, SmsOperatorError, SmsThrottled

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NotSent:
    """Why no text went out, for the page that says so."""

    status: int
    message: str
    retry_after: int = 0

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60)) if self.retry_after else 0


def _text_code(request: HttpRequest, phone: Phone) -> NotSent | Decision | None:
    """Text a code: None when a text went out, else the gate's refusal or why no text went out."""
    try:
        ownership.ownership_code_send(phone=phone, request=request)
    except ownership.OwnershipLimited as exc:
        return exc.decision
    except SmsThrottled as exc:
        # The provider's own cap for this number: what our gate counted stays spent.
        logger.warning("ownership code not sent, the provider throttles: %s", exc)
        message = _("The phone company does not take more texts to this number for now.")
        return NotSent(429, str(message), exc.retry_after)
    except SmsNumberRejected as exc:
        logger.info("ownership code not sent, number rejected: %s", exc)
        message = _(
            "Text messages cannot be sent to this number: it is not a mobile number, or it "
            "refuses texts from companies. Please check the number."
        )
        return NotSent(400, str(message))
    except SmsOperatorError:
        message = _("The site cannot send text messages right now. Please try again later.")
        return NotSent(503, str(message))
    except SmsError as exc:
        logger.warning("ownership code not sent: %s", exc)
        return NotSent(502, str(_("The text message could not be sent. Please try again later.")))
    return None


def _with_wait(response: HttpResponse, retry_after: int) -> HttpResponse:
    if retry_after:
        response["Retry-After"] = str(max(1, retry_after))
    return response


def send_code(request: HttpRequest, phone: Phone) -> HttpResponse:
    """Text a code and lead to the code page; the page says "sent" only when a text went out."""
    outcome = _text_code(request, phone)
    if isinstance(outcome, Decision):
        # One code per number per window, whoever asks: if one is on its way to
        # the phone, its holder may type it here; nothing more is sent.
        pending = ownership.ownership_code_pending(phone_hash=number_digest(phone.e164))
        if outcome.layer != "number" or pending is None:
            return too_many_requests(request, outcome)
        proof_session.remember_pending(request, phone)
        messages.info(request, _waiting(outcome.retry_after))
        return redirect("bc-proof-code")
    if outcome is not None:
        context = {"form": CheckForm(), "error": outcome.message, "wait": outcome.minutes}
        response = render(request, "leaks/proof_start.html", context, status=outcome.status)
        return _with_wait(response, outcome.retry_after)
    proof_session.remember_pending(request, phone)
    return redirect("bc-proof-code")


def _waiting(retry_after: int) -> str:
    minutes = max(1, math.ceil(retry_after / 60))
    return ngettext(
        "A code was texted to this number a few minutes ago: type it here. "
        "A new one can be sent in %(minutes)d minute.",
        "A code was texted to this number a few minutes ago: type it here. "
        "A new one can be sent in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


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
    entry = state.pending_entry
    if entry is None:
        return redirect("bc-proof-send")
    form = CodeForm(request.POST or None)
    used_up = not entry.pending
    if request.method == "POST" and not used_up:
        decision = authorize_code_attempt(request)
        if not decision:
            return too_many_requests(request, decision)
        if form.is_valid():
            code = form.cleaned_data["code"]
            if ownership.ownership_code_check(phone_hash=entry.digest_bytes, code=code):
                return _proven(request, entry)
            used_up = ownership.ownership_code_pending(phone_hash=entry.digest_bytes) is None
            if not used_up:
                form.add_error("code", _("That code is not right. Please check the message."))
    return _code_page(request, entry, form, used_up=used_up, status=400 if form.is_bound else 200)


@require_POST
def proof_again(request: HttpRequest) -> HttpResponse:
    """Send the code again to the number of the code page, sealed in the session:
    nobody types it twice. "Sent" only when a text went out; otherwise the wait."""
    state = proof_session.NumberState.load(request)
    entry = state.pending_entry
    phone = entry.phone() if entry is not None else None
    if entry is None or phone is None:
        return redirect("bc-proof-send")
    outcome = _text_code(request, phone)
    if outcome is None:
        proof_session.remember_pending(request, phone)
        messages.success(request, _("A new code is on its way. Only the newest code works."))
        return redirect("bc-proof-code")
    if isinstance(outcome, Decision):
        outcome = NotSent(429, limit_message(outcome), outcome.retry_after)
    earlier = ownership.ownership_code_pending(phone_hash=entry.digest_bytes) is not None
    response = _code_page(
        request, entry, CodeForm(), used_up=not earlier, not_sent=outcome, status=outcome.status
    )
    return _with_wait(response, outcome.retry_after)


def _code_page(
    request: HttpRequest,
    entry: proof_session.NumberEntry,
    form: CodeForm,
    *,
    used_up: bool = False,
    not_sent: NotSent | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "form": form,
        "masked": entry.masked,
        "used_up": used_up,
        "not_sent": not_sent,
        "flashes": list(messages.get_messages(request)),
    }
    return render(request, "leaks/proof_code.html", context, status=status)


def _proven(request: HttpRequest, entry: proof_session.NumberEntry) -> HttpResponse:
    phone = entry.phone()
    # The owner's own result is still an answer about the number: it spends the
    # number's budget like any other check, and is not shown past it.
    decision = authorize_check(request, phone.e164, proven=True) if phone else Decision(True)
    proof_session.mark_proven(request, entry, show=bool(decision))
    if not decision:
        return too_many_requests(request, decision)
    return redirect("bc-result")
