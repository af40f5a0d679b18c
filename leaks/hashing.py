"""The keyed function of phone numbers: the only form in which a number is stored.

There are only about 10^10 phone numbers, so any unkeyed hash is reversed by
brute force in minutes. The keyed function is the OPRF of RFC 9497
(ristretto255-SHA512, `leaks.oprf`): the server computes it directly for
imports and server-side checks, and a browser computes it blindly for the
private check, so both arrive at the same stored key. The server's OPRF key is
derived from the pepper (environment variable or file, never the database);
every stored key carries the version of the pepper that made it so keys can rotate.

A stored key is 8 bytes: the number's bucket (the first PHONE_KEY_BUCKET_BITS,
16 by default, of SHA-256 of its E.164 form, unkeyed, so a browser can name it)
followed by the leading bits of the OPRF output (48 at 16-bit buckets: its first
6 bytes). Within a bucket (10^10 / 2^16 numbers at most) a false match has odds
of about 1 in 2^48 / 1.5e5, the same as 8 keyed bytes over all numbers, whatever
the width. As a signed int8 the bucket leads, so a bucket is one index range.
The width is chosen when a site is installed: changing it changes every key.

`legacy_phone_hash` is the HMAC of the first version, kept so rows imported
before the switch keep answering server-side checks until their dumps are
imported again (README: "Upgrading from HMAC rows").
"""

import hashlib
import hmac
from collections.abc import Callable
from functools import cache
from pathlib import Path

import rbcl
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from leaks import oprf

HASH_BYTES = 16  # legacy HMAC digests and contact hashes
KEY_BYTES = 8  # stored keys: the bucket's bits, then the OPRF output's (64 in all)
KEY_BITS = 8 * KEY_BYTES
_SIGN = 1 << 63  # unsigned 8-byte key -> signed int8, order kept
MIN_PEPPER_LENGTH = 32
# Domain separation: a phone hash can never collide with another use of the key.
_DOMAIN = b"breachcheck/phone/v1\x00"
_SEED_DOMAIN = b"breachcheck/oprf-seed/v1\x00"
_KEY_INFO = b"breachcheck phone numbers"


def phone_hash(e164: str, version: int | None = None) -> bytes:
    """The number's 8-byte stored key under one key version (the current one by default)."""
    message = e164.encode("ascii")
    output = oprf.evaluate(server_key(version), message)
    bits = bucket_bits()
    key = _bucket_of(message, bits) << (KEY_BITS - bits) | output_prefix(output, bits)
    return key.to_bytes(KEY_BYTES, "big")


def phone_key(e164: str, version: int | None = None) -> int:
    """The number's stored key as the exposures table holds it (a signed int8)."""
    return stored_key(phone_hash(e164, version))


def phone_hashes(e164: str, *, legacy: bool = True) -> dict[int, bytes]:
    """The number's stored key under every known key version, for lookups; and,
    under the negative versions, its legacy HMAC digests (see the module doc),
    unless ``legacy`` is False (no legacy rows are left to match)."""
    keys = {version: phone_hash(e164, version) for version in peppers()}
    if not legacy:
        return keys
    digests = {-version: legacy_phone_hash(e164, version) for version in peppers()}
    return {**keys, **digests}


def bucket_bits() -> int:
    """How many leading bits of a stored key name its bucket (an install-time setting)."""
    return settings.PHONE_KEY_BUCKET_BITS


def phone_bucket(e164: str) -> int:
    return _bucket_of(e164.encode("ascii"), bucket_bits())


def stored_key(digest: bytes) -> int:
    """An 8-byte key as the signed int8 the exposures table holds."""
    return int.from_bytes(digest, "big") - _SIGN


def key_bytes(stored: int) -> bytes:
    return (stored + _SIGN).to_bytes(KEY_BYTES, "big")


def bucket_range(bucket: int) -> tuple[int, int]:
    """The first and last stored key of a bucket."""
    output_bits = KEY_BITS - bucket_bits()
    first = (bucket << output_bits) - _SIGN
    return first, first + (1 << output_bits) - 1


def output_prefix(output: bytes, bits: int | None = None) -> int:
    """The part of an OPRF output a stored key holds (what a browser compares):
    its leading 64 - bucket bits, as an integer."""
    drop = bits if bits is not None else bucket_bits()
    return int.from_bytes(output[:KEY_BYTES], "big") >> drop


def _bucket_of(message: bytes, bits: int) -> int:
    return int.from_bytes(hashlib.sha256(message).digest()[:4], "big") >> (32 - bits)


def server_key(version: int | None = None) -> bytes:
    """The OPRF secret key of a key version, derived from its pepper (RFC 9497 DeriveKeyPair)."""
    pepper = peppers()[version if version is not None else current_version()]
    return _derived_key(pepper)


def server_public_key(version: int | None = None) -> bytes:
    return rbcl.crypto_scalarmult_ristretto255_base(server_key(version))


@cache
def _derived_key(pepper: bytes) -> bytes:
    seed = hashlib.sha256(_SEED_DOMAIN + pepper).digest()
    return oprf.derive_key_pair(seed, _KEY_INFO)[0]


def legacy_phone_hash(e164: str, version: int | None = None) -> bytes:
    """The HMAC-SHA256 digest rows had before the OPRF, truncated to 16 bytes."""
    keys = peppers()
    key = keys[version if version is not None else current_version()]
    return hmac.new(key, _DOMAIN + e164.encode("ascii"), hashlib.sha256).digest()[:HASH_BYTES]


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


def hasher(version: int | None = None, prefix: str = "") -> Callable[[str], int]:
    """A fast `stored_key(phone_hash(prefix + rest))` for one key version, for millions.

    The same steps as `oprf.evaluate` with the constant parts hashed once: the
    SHA-512 state after expand_message_xmd's zero block and the prefix, and the
    DSTs. tests/leaks/test_fastphones.py checks that it equals phone_hash.
    """
    secret = server_key(version)
    start = prefix.encode("ascii")
    dst_prime = oprf.HASH_TO_GROUP_DST + bytes([len(oprf.HASH_TO_GROUP_DST)])
    head = hashlib.sha512(bytes(128) + start)
    b0_tail = b"\x00\x40\x00" + dst_prime  # I2OSP(64, 2) || I2OSP(0, 1) || DST'
    b1_tail = b"\x01" + dst_prime
    element_size = b"\x00\x20"
    sha256, sha512 = hashlib.sha256, hashlib.sha512
    from_hash = rbcl.crypto_core_ristretto255_from_hash
    multiply = rbcl.crypto_scalarmult_ristretto255
    bits = bucket_bits()
    bucket_shift, sign, bucket_drop = KEY_BITS - bits, _SIGN, 32 - bits

    def key_of(rest: str) -> int:
        tail = rest.encode("ascii")
        state = head.copy()
        state.update(tail + b0_tail)
        element = multiply(secret, from_hash(sha512(state.digest() + b1_tail).digest()))
        message = start + tail
        output = sha512(
            len(message).to_bytes(2, "big") + message + element_size + element + b"Finalize"
        ).digest()
        bucket = int.from_bytes(sha256(message).digest()[:4], "big") >> bucket_drop
        return (bucket << bucket_shift | int.from_bytes(output[:8], "big") >> bits) - sign

    return key_of
