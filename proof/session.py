"""What one browser session remembers about the numbers it checked and proved.

One small typed object under one session key. It never holds a number in clear:
the number the site needs again (to text a code without asking for it twice, or
to show a result after the redirect) is sealed with a key derived from
SECRET_KEY, and each entry is forgotten when its time is up: a result after
SESSION_RESULT_TTL_SECONDS, a proof after OWNERSHIP_PROOF_TTL_SECONDS. The
session itself expires with its last entry, and housekeeping deletes it then.
"""

import base64
import hashlib
import hmac
import time
from dataclasses import asdict, dataclass, field

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.http import HttpRequest

from leaks.phones import InvalidPhone, Phone, normalize

_KEY = "bc_numbers"
_SEAL_DOMAIN = b"breachcheck/session-seal/v1"
_DIGEST_DOMAIN = b"breachcheck/number-digest/v1\x00"


def number_digest(e164: str) -> bytes:
    """A keyed digest that recognises a number again (codes are bound to it)."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, _DIGEST_DOMAIN + e164.encode("ascii"), hashlib.sha256).digest()[:16]


def _fernet() -> Fernet:
    key = hmac.new(settings.SECRET_KEY.encode(), _SEAL_DOMAIN, hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


@dataclass
class NumberEntry:
    digest: str  # hex of number_digest()
    sealed: str  # the E.164 number, encrypted
    masked: str
    shown_until: int = 0  # its result may be shown again until then
    pending_until: int = 0  # a code was texted to it, valid until then
    proven_until: int = 0

    def live(self, now: float) -> bool:
        return max(self.shown_until, self.pending_until, self.proven_until) > now

    def phone(self) -> Phone | None:
        try:
            e164 = _fernet().decrypt(self.sealed.encode()).decode()
            return normalize(e164)
        except (InvalidToken, InvalidPhone):
            return None

    @property
    def proven(self) -> bool:
        return self.proven_until > time.time()

    @property
    def pending(self) -> bool:
        return self.pending_until > time.time()

    @property
    def digest_bytes(self) -> bytes:
        return bytes.fromhex(self.digest)


@dataclass
class NumberState:
    """The numbers of one session; `current` is the one whose result is shown."""

    entries: list[NumberEntry] = field(default_factory=list)
    current: str = ""
    pending: str = ""  # the number the last code was texted to

    @classmethod
    def load(cls, request: HttpRequest) -> "NumberState":
        raw = request.session.get(_KEY) or {}
        now = time.time()
        entries = [NumberEntry(**item) for item in raw.get("entries", [])]
        state = cls(
            entries=[e for e in entries if e.live(now)],
            current=raw.get("current", ""),
            pending=raw.get("pending", ""),
        )
        if len(state.entries) != len(entries):
            state.save(request)
        return state

    def save(self, request: HttpRequest) -> None:
        if not self.entries:
            request.session.pop(_KEY, None)
            return
        request.session[_KEY] = {
            "entries": [asdict(e) for e in self.entries],
            "current": self.current,
            "pending": self.pending,
        }
        # The session lives exactly as long as what it remembers.
        last = max(max(e.shown_until, e.pending_until, e.proven_until) for e in self.entries)
        request.session.set_expiry(max(1, int(last - time.time())))

    def entry_for(self, phone: Phone) -> NumberEntry:
        digest = number_digest(phone.e164).hex()
        for entry in self.entries:
            if entry.digest == digest:
                return entry
        entry = NumberEntry(
            digest=digest,
            sealed=_fernet().encrypt(phone.e164.encode()).decode(),
            masked=phone.masked,
        )
        self.entries.append(entry)
        return entry

    def find(self, digest: str) -> NumberEntry | None:
        return next((e for e in self.entries if e.digest == digest), None)

    @property
    def current_entry(self) -> NumberEntry | None:
        return self.find(self.current) if self.current else None

    @property
    def pending_entry(self) -> NumberEntry | None:
        entry = self.find(self.pending) if self.pending else None
        return entry if entry is not None and entry.pending else None

    def is_proven(self, phone: Phone) -> bool:
        entry = self.find(number_digest(phone.e164).hex())
        return entry is not None and entry.proven

    def proven_entries(self) -> list[NumberEntry]:
        return [e for e in self.entries if e.proven]


def remember_checked(request: HttpRequest, phone: Phone) -> NumberEntry:
    """This session may see this number's result again for a short while."""
    state = NumberState.load(request)
    entry = state.entry_for(phone)
    entry.shown_until = int(time.time()) + settings.SESSION_RESULT_TTL_SECONDS
    state.current = entry.digest
    state.save(request)
    return entry


def remember_pending(request: HttpRequest, phone: Phone) -> NumberEntry:
    state = NumberState.load(request)
    entry = state.entry_for(phone)
    entry.pending_until = int(time.time()) + settings.OWNERSHIP_CODE_TTL_SECONDS
    state.pending = entry.digest
    state.save(request)
    return entry


def mark_proven(request: HttpRequest, entry: NumberEntry, *, show: bool = True) -> None:
    """The pending number is proven, with a fresh session id; with ``show`` its result
    (sensitive breaches included) is the one the result page shows, and otherwise
    no result of it is shown until a later check passes the gate."""
    state = NumberState.load(request)
    mine = state.find(entry.digest)
    if mine is None:
        return
    now = int(time.time())
    mine.pending_until = 0
    state.pending = ""
    mine.proven_until = now + settings.OWNERSHIP_PROOF_TTL_SECONDS
    if show:
        mine.shown_until = max(mine.shown_until, now + settings.SESSION_RESULT_TTL_SECONDS)
        state.current = mine.digest
    else:
        mine.shown_until = 0
        if state.current == mine.digest:
            state.current = ""
    # A proof raises the session's privileges: give it a fresh id.
    request.session.cycle_key()
    state.save(request)


def is_proven(request: HttpRequest, phone: Phone) -> bool:
    return NumberState.load(request).is_proven(phone)
