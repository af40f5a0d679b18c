"""Proof that a person holds a number: a 6-digit code sent to it by SMS.

The code lives only in the text message; the database keeps an HMAC of it
bound to the number's keyed hash. The browser session remembers which numbers
it has proven, as keyed hashes, and only for as long as the session lasts.
"""

import hashlib
import hmac
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from leaks.hashing import current_version, phone_hash, phone_hashes
from leaks.models import OwnershipCode
from leaks.phones import Phone
from leaks.ratelimits import client_ip, hit, network_of
from leaks.sms import send_sms

CODE_DIGITS = 6
_CODE_DOMAIN = b"breachcheck/ownership-code/v1\x00"
_PENDING = "bc_proof_pending"
_PROVEN = "bc_proof_proven"

# Both languages in every message: the holder of the number may read either,
# and the site cannot know which from a number alone.
# No link: in China a text with a link looks like phishing. "你" as on the site.
SMS_TEXT = (
    "【{sender}】验证码 {code}，{minutes} 分钟内有效，用于证明该号码属于你。"
    "如非本人操作，请忽略本短信。\n"
    "{site}: your code is {code}, valid for {minutes} minutes, to prove this number is yours. "
    "If you did not ask for it, ignore this message."
)


class OwnershipLimited(Exception):
    """Too many codes were asked for; ``scope`` says which limit was reached."""

    def __init__(self, scope: str):
        super().__init__(scope)
        self.scope = scope


def code_hash(phone_digest: bytes, code: str) -> bytes:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, _CODE_DOMAIN + phone_digest + code.encode(), hashlib.sha256).digest()


def sms_text(code: str) -> str:
    minutes = max(settings.OWNERSHIP_CODE_TTL_SECONDS // 60, 1)
    return SMS_TEXT.format(
        sender=settings.SMS_SENDER_NAME, site=settings.SITE_NAME, code=code, minutes=minutes
    )


def send_limit_reached(*, phone: Phone, request: HttpRequest) -> str | None:
    """Count one send on each axis in turn; the name of the first limit reached.

    Stopping there keeps a refused request from using up the wider budgets."""
    ip = client_ip(request)
    checks = [
        ("ip", f"ip:{ip}", settings.RATELIMIT_SMS_PER_IP),
        ("network", f"net:{network_of(ip)}" if ip else "net:-", settings.RATELIMIT_SMS_PER_NETWORK),
        ("number", f"num:{phone_hash(phone.e164).hex()}", settings.RATELIMIT_SMS_PER_NUMBER),
        ("global", "all", settings.RATELIMIT_SMS_GLOBAL),
    ]
    for scope, key, rate in checks:
        if hit(request, group=f"sms-{scope}", key=key, rate=rate):
            return scope
    return None


def ownership_code_send(*, phone: Phone, request: HttpRequest) -> OwnershipCode:
    """Text a fresh code to the number, replacing any earlier one.

    Raises OwnershipLimited when a sending limit is reached, SmsError when the
    provider fails (the code is then forgotten)."""
    scope = send_limit_reached(phone=phone, request=request)
    if scope:
        raise OwnershipLimited(scope)
    digest = phone_hash(phone.e164)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    now = timezone.now()
    with transaction.atomic():
        OwnershipCode.objects.filter(expires_at__lt=now).delete()
        OwnershipCode.objects.filter(phone_hash=digest).delete()
        record = OwnershipCode.objects.create(
            phone_hash=digest,
            key_version=current_version(),
            code_hash=code_hash(digest, code),
            expires_at=now + timedelta(seconds=settings.OWNERSHIP_CODE_TTL_SECONDS),
        )
    try:
        send_sms(phone.e164, sms_text(code))
    except Exception:
        record.delete()
        raise
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


# Session helpers: hashes as hex strings, never the number.


def _hex_hashes(phone: Phone) -> dict[str, str]:
    return {str(version): digest.hex() for version, digest in phone_hashes(phone.e164).items()}


def session_set_pending(request: HttpRequest, phone: Phone) -> None:
    request.session[_PENDING] = {"hashes": _hex_hashes(phone), "masked": phone.masked}


def session_pending(request: HttpRequest) -> dict | None:
    return request.session.get(_PENDING)


def session_pending_hash(request: HttpRequest) -> bytes | None:
    """The pending number's hash under the current key (the one codes are bound to)."""
    pending = session_pending(request)
    if not pending:
        return None
    current = pending["hashes"].get(str(current_version()))
    return bytes.fromhex(current) if current else None


def session_mark_proven(request: HttpRequest) -> dict:
    """Move the pending number to the proven ones; returns its entry."""
    pending = request.session.pop(_PENDING)
    entry = {**pending, "at": int(time.time())}
    others = [p for p in _proven(request) if p["hashes"] != entry["hashes"]]
    request.session[_PROVEN] = [*others, entry]
    # A proof raises the session's privileges: give it a fresh id, and let the
    # cookie die with the browser.
    request.session.cycle_key()
    request.session.set_expiry(0)
    return entry


def _proven(request: HttpRequest) -> list[dict]:
    oldest = time.time() - settings.OWNERSHIP_PROOF_TTL_SECONDS
    return [p for p in request.session.get(_PROVEN, []) if p.get("at", 0) > oldest]


def session_is_proven(request: HttpRequest, phone: Phone) -> bool:
    mine = _hex_hashes(phone)
    return any(p["hashes"] == mine for p in _proven(request))


def session_last_proven(request: HttpRequest) -> dict | None:
    proven = _proven(request)
    return proven[-1] if proven else None


def hashes_of(entry: dict) -> dict[int, bytes]:
    return {int(version): bytes.fromhex(digest) for version, digest in entry["hashes"].items()}
