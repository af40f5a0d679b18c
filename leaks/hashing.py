"""Keyed hashes of phone numbers: the only form in which a number is stored.

There are only about 10^10 phone numbers, so any unkeyed hash is reversed by
brute force in minutes. The key (the pepper) lives outside the database; every
stored hash carries the version of the key that made it so keys can rotate.
"""

import hashlib
import hmac
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

HASH_BYTES = 16
MIN_PEPPER_LENGTH = 32
# Domain separation: a phone hash can never collide with another use of the key.
_DOMAIN = b"breachcheck/phone/v1\x00"


def phone_hash(e164: str, version: int | None = None) -> bytes:
    """HMAC-SHA256 of the E.164 number under the pepper, truncated to 16 bytes."""
    keys = peppers()
    key = keys[version if version is not None else current_version()]
    return hmac.new(key, _DOMAIN + e164.encode("ascii"), hashlib.sha256).digest()[:HASH_BYTES]


def phone_hashes(e164: str) -> dict[int, bytes]:
    """The number's hash under every known key version, for lookups."""
    return {version: phone_hash(e164, version) for version in peppers()}


def current_version() -> int:
    return settings.BREACHCHECK_PEPPER_VERSION


def peppers() -> dict[int, bytes]:
    return _load_peppers(
        settings.BREACHCHECK_PEPPER,
        str(settings.BREACHCHECK_PEPPER_DEFAULT_FILE),
        settings.BREACHCHECK_PEPPER_VERSION,
        settings.BREACHCHECK_OLD_PEPPERS,
    )


@cache
def _load_peppers(pepper: str, default_file: str, version: int, old: str) -> dict[int, bytes]:
    if not pepper and Path(default_file).exists():
        pepper = Path(default_file).read_text().strip()
    if not pepper:
        raise ImproperlyConfigured(
            "No pepper: set BREACHCHECK_PEPPER or BREACHCHECK_PEPPER_FILE "
            "(make run creates one for the embedded default)."
        )
    keys = {version: _checked(pepper)}
    for item in filter(None, (part.strip() for part in old.split(","))):
        old_version, _, old_key = item.partition(":")
        keys.setdefault(int(old_version), _checked(old_key))
    return keys


def _checked(pepper: str) -> bytes:
    if len(pepper) < MIN_PEPPER_LENGTH:
        raise ImproperlyConfigured(f"A pepper must be at least {MIN_PEPPER_LENGTH} characters.")
    return pepper.encode()


def hasher(version: int | None = None, prefix: str = ""):
    """A fast `phone_hash(prefix + rest)` for one key version, for millions of numbers.

    HMAC by hand from SHA-256 states keyed once: with OpenSSL 3, `hmac.digest`
    looks its algorithm up on every call and costs about three times as much.
    The result is the same HMAC (tests/test_fastphones.py checks it).
    """
    key = peppers()[version if version is not None else current_version()]
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in key))
    inner.update(_DOMAIN + prefix.encode("ascii"))
    outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in key))

    def hash_one(rest: str) -> bytes:
        step = inner.copy()
        step.update(rest.encode("ascii"))
        final = outer.copy()
        final.update(step.digest())
        return final.digest()[:HASH_BYTES]

    return hash_one


_BLOCK = 64  # SHA-256's block size in bytes
