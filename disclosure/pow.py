"""Proof-of-work challenges (ALTCHA PoW v2) and their one-time verification.

A challenge asks the browser to find a secret counter: the server picks it at
random between ``difficulty // 2`` and ``difficulty``, derives a PBKDF2-SHA256
key from it (``POW_COST`` iterations) and publishes the first half of that key.
The browser derives keys for counters 0, 1, 2, ... until one matches, so a
solve costs about 0.75 x difficulty derivations, and never fewer than half.
The lower bound stops a lucky solver from getting answers for almost nothing.

Challenges are signed (HMAC) and carry their expiry, so the server keeps no
state until a solution comes back; then the challenge's signature is stored
in the cache until it expires, so each solution buys exactly one answer.
When that record cannot be written, GateUnavailable is raised: a solution
whose spending cannot be recorded buys nothing.

Pairs with the ``altcha`` widget 3.x from npm (vendored in static/vendor/altcha).
"""

import hashlib
import hmac
import secrets
import time

import altcha
from django.conf import settings
from django.core.cache import cache

from disclosure.counters import shared_store

ALGORITHM = "PBKDF2/SHA-256"
FIELD_NAME = "altcha"
# Longer than any real payload (about 700 characters); bigger input is garbage.
MAX_PAYLOAD_CHARS = 4096


def _key(purpose: str) -> bytes:
    """A key for one purpose, from POW_HMAC_KEY or else SECRET_KEY.

    Domain separation: a signature made for one purpose (or by another part of
    the site using SECRET_KEY) is never valid for another.
    """
    base = settings.POW_HMAC_KEY or settings.SECRET_KEY
    label = f"breachcheck.disclosure.pow.{purpose}".encode()
    return hmac.new(base.encode(), label, hashlib.sha256).digest()


def challenge(difficulty: int) -> dict:
    """A fresh signed challenge, as the widget fetches it (JSON-able)."""
    difficulty = max(2, int(difficulty))
    low = difficulty // 2
    counter = low + secrets.randbelow(difficulty - low)
    made = altcha.create_challenge(
        algorithm=ALGORITHM,
        cost=settings.POW_COST,
        counter=counter,
        expires_at=int(time.time()) + settings.POW_CHALLENGE_TTL,
        hmac_secret=_key("challenge"),
        # Lets verify() check the solution with one HMAC instead of a derivation.
        hmac_key_secret=_key("derived-key"),
        # Signed with the challenge, so a solution proves how much work it cost.
        data={"difficulty": difficulty},
    )
    return made.to_dict()


def verify(payload: str | None) -> bool:
    """True once for a correct, unexpired, correctly signed solution; False after."""
    return solved_difficulty(payload) > 0


def solved_difficulty(payload: str | None) -> int:
    """The difficulty a correct, unexpired, signed solution was made for; 0 for
    anything else, and for any solution already spent."""
    if not payload or not isinstance(payload, str) or len(payload) > MAX_PAYLOAD_CHARS:
        return 0
    try:
        result = altcha.verify_solution(
            payload, _key("challenge"), hmac_key_secret=_key("derived-key")
        )
        parsed = altcha.Payload.from_base64(payload)
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return 0
    if not result.verified:
        return 0
    expires_at = parsed.challenge.parameters.expires_at
    difficulty = (parsed.challenge.parameters.data or {}).get("difficulty")
    if not isinstance(expires_at, int) or not isinstance(difficulty, int):
        return 0
    return difficulty if _first_use(parsed.challenge.signature or "", expires_at) else 0


def _first_use(signature: str, expires_at: int) -> bool:
    """Mark a challenge as spent; False if it already was (atomic add, Redis-safe)."""
    key = "pow-spent:" + hashlib.sha256(signature.encode()).hexdigest()
    # Kept a little past expiry: after that verify_solution rejects it anyway.
    ttl = max(1, expires_at - int(time.time()) + 5)
    with shared_store("the spent proof-of-work solutions"):
        return cache.add(key, 1, timeout=ttl)
