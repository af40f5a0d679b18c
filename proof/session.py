"""What one browser session remembers about the numbers it checked and proved.

One small typed object under one session key. It never holds a number in clear
and never a digest of one: the number the site needs again (to text a code
without asking for it twice, or to show a result after the redirect) is sealed
(Fernet, a fresh IV each time, under a key derived from SECRET_KEY), so two
sessions holding one number cannot be told apart by what they hold. An entry
is named by a random id of its own, and found again for a number by unsealing
the entries (a session holds a handful). Each entry is forgotten when its time
is up: a result after SESSION_RESULT_TTL_SECONDS, a proof after
OWNERSHIP_PROOF_TTL_SECONDS. The session itself expires with its last entry,
and housekeeping deletes it then. What exactly is held: docs/ARCHITECTURE.md.
"""

import base64
import hashlib
import hmac
import secrets
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
    """A keyed digest that recognises a number again: pending ownership codes are
    found by it (proof/ownership.py), from any browser. Never kept in a session."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, _DIGEST_DOMAIN + e164.encode("ascii"), hashlib.sha256).digest()[:16]


def _fernet() -> Fernet:
    key = hmac.new(settings.SECRET_KEY.encode(), _SEAL_DOMAIN, hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


@dataclass
class NumberEntry:
    id: str  # random, this session's name for the entry (no digest of the number)
    sealed: str  # the E.164 number, encrypted
    masked: str
    shown_until: int = 0  # its result may be shown again until then
    pending_until: int = 0  # a code was texted to it, valid until then
    proven_until: int = 0

    @classmethod
    def from_stored(cls, item: dict) -> "NumberEntry":
        # Sessions saved before entries had ids named them by a digest: any name will do.
        return cls(
            id=item.get("id") or item.get("digest") or secrets.token_hex(8),
            sealed=item["sealed"],
            masked=item["masked"],
            shown_until=item.get("shown_until", 0),
            pending_until=item.get("pending_until", 0),
            proven_until=item.get("proven_until", 0),
        )

    def live(self, now: float) -> bool:
        return max(self.shown_until, self.pending_until, self.proven_until) > now

    def e164(self) -> str | None:
        try:
            return _fernet().decrypt(self.sealed.encode()).decode()
        except (InvalidToken, UnicodeDecodeError):
            return None

    def phone(self) -> Phone | None:
        e164 = self.e164()
        try:
            return normalize(e164) if e164 is not None else None
        except InvalidPhone:
            return None

    @property
    def proven(self) -> bool:
        return self.proven_until > time.time()

    @property
    def pending(self) -> bool:
        return self.pending_until > time.time()

    @property
    def digest_bytes(self) -> bytes:
        """The number's digest, computed when a code is looked up (not stored)."""
        return number_digest(self.e164() or "")


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
        entries = [NumberEntry.from_stored(item) for item in raw.get("entries", [])]
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
        entry = self.holding(phone)
        if entry is not None:
            return entry
        entry = NumberEntry(
            id=secrets.token_hex(8),
            sealed=_fernet().encrypt(phone.e164.encode()).decode(),
            masked=phone.masked,
        )
        self.entries.append(entry)
        return entry

    def holding(self, phone: Phone) -> NumberEntry | None:
        """The entry sealing this number, if any (found by unsealing, not by a digest)."""
        return next((e for e in self.entries if e.e164() == phone.e164), None)

    def find(self, entry_id: str) -> NumberEntry | None:
        return next((e for e in self.entries if e.id == entry_id), None)

    @property
    def current_entry(self) -> NumberEntry | None:
        return self.find(self.current) if self.current else None

    @property
    def pending_entry(self) -> NumberEntry | None:
        """The number of the code page (its code may be used up)."""
        return self.find(self.pending) if self.pending else None

    def is_proven(self, phone: Phone) -> bool:
        # Only proven entries are unsealed: most checks have none.
        return any(e.proven and e.e164() == phone.e164 for e in self.entries)

    def proven_entries(self) -> list[NumberEntry]:
        return [e for e in self.entries if e.proven]


def remember_checked(request: HttpRequest, phone: Phone) -> NumberEntry:
    """This session may see this number's result again for a short while."""
    state = NumberState.load(request)
    entry = state.entry_for(phone)
    entry.shown_until = int(time.time()) + settings.SESSION_RESULT_TTL_SECONDS
    state.current = entry.id
    state.save(request)
    return entry


def remember_pending(request: HttpRequest, phone: Phone) -> NumberEntry:
    state = NumberState.load(request)
    entry = state.entry_for(phone)
    entry.pending_until = int(time.time()) + settings.OWNERSHIP_CODE_TTL_SECONDS
    state.pending = entry.id
    state.save(request)
    return entry


def mark_proven(request: HttpRequest, entry: NumberEntry, *, show: bool = True) -> None:
    """The pending number is proven, with a fresh session id; with ``show`` its result
    (sensitive breaches included) is the one the result page shows, and otherwise
    no result of it is shown until a later check passes the gate."""
    state = NumberState.load(request)
    mine = state.find(entry.id)
    if mine is None:
        return
    now = int(time.time())
    mine.pending_until = 0
    state.pending = ""
    mine.proven_until = now + settings.OWNERSHIP_PROOF_TTL_SECONDS
    if show:
        mine.shown_until = max(mine.shown_until, now + settings.SESSION_RESULT_TTL_SECONDS)
        state.current = mine.id
    else:
        mine.shown_until = 0
        if state.current == mine.id:
            state.current = ""
    # A proof raises the session's privileges: give it a fresh id.
    request.session.cycle_key()
    state.save(request)


def is_proven(request: HttpRequest, phone: Phone) -> bool:
    return NumberState.load(request).is_proven(phone)
