"""Proof that a person holds a number: a 6-digit code sent to it by SMS.

The code lives only in the text message; the database keeps an HMAC of it
bound to the number's keyed digest. What the browser session remembers about
proven numbers is in proof/session.py.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from disclosure.policy import Decision, authorize_sms
from leaks.models import OwnershipCode
from leaks.phones import Phone
from proof.session import number_digest
from proof.sms import Text, render_text, send_text

CODE_DIGITS = 6
_CODE_DOMAIN = b"breachcheck/ownership-code/v1\x00"


class OwnershipLimited(Exception):
    """Too many codes were asked for; ``decision`` says which limit was reached."""

    def __init__(self, decision: Decision):
        super().__init__(decision.layer)
        self.decision = decision


def code_hash(phone_digest: bytes, code: str) -> bytes:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, _CODE_DOMAIN + phone_digest + code.encode(), hashlib.sha256).digest()


def sms_text(code: str) -> str:
    """The code's text as a free-text backend sends it (sms/code.txt)."""
    return render_text(Text("code", (code,)))


def ownership_code_send(*, phone: Phone, request: HttpRequest) -> OwnershipCode:
    """Text a fresh code to the number; once it is on its way it replaces any earlier one.

    Every text is counted before it is sent (authorize_sms), and a text the
    provider refused stays counted. Raises OwnershipLimited when a sending limit
    is reached, SmsError (or one of its kinds) when the provider did not take the
    text: the new code is then forgotten and an earlier one still works."""
    decision = authorize_sms(request, phone.e164)
    if not decision:
        raise OwnershipLimited(decision)
    digest = number_digest(phone.e164)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    now = timezone.now()
    with transaction.atomic():
        OwnershipCode.objects.filter(expires_at__lt=now).delete()
        record = OwnershipCode.objects.create(
            phone_hash=digest,
            key_version=0,
            code_hash=code_hash(digest, code),
            expires_at=now + timedelta(seconds=settings.OWNERSHIP_CODE_TTL_SECONDS),
        )
    try:
        send_text(phone.e164, Text("code", (code,)))
    except Exception:
        record.delete()
        raise
    OwnershipCode.objects.filter(phone_hash=digest).exclude(pk=record.pk).delete()
    return record


def ownership_code_pending(*, phone_hash: bytes) -> OwnershipCode | None:
    """The number's code that can still be tried, if any."""
    return (
        OwnershipCode.objects.filter(
            phone_hash=phone_hash,
            expires_at__gt=timezone.now(),
            attempts__lt=settings.OWNERSHIP_CODE_MAX_ATTEMPTS,
        )
        .order_by("-created_at")
        .first()
    )


def ownership_code_check(*, phone_hash: bytes, code: str) -> bool:
    """True when the code is right; a right code works once, a wrong one costs an attempt."""
    record = ownership_code_pending(phone_hash=phone_hash)
    code = "".join(code.split())
    if record is None or len(code) != CODE_DIGITS or not code.isdigit():
        if record is not None:
            _count_attempt(record)
        return False
    # Count before comparing, atomically, so parallel guesses cannot exceed the budget.
    if not _count_attempt(record):
        return False
    if not hmac.compare_digest(bytes(record.code_hash), code_hash(phone_hash, code)):
        return False
    record.delete()
    return True


def _count_attempt(record: OwnershipCode) -> bool:
    return bool(
        OwnershipCode.objects.filter(
            pk=record.pk, attempts__lt=settings.OWNERSHIP_CODE_MAX_ATTEMPTS
        ).update(attempts=F("attempts") + 1)
    )
