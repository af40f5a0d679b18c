"""The private check's server side: evaluate a blinded element, hand out a bucket.

The browser sends a 16-bit bucket and an OPRF-blinded element; it gets back the
element multiplied by the key and the bucket's stored output prefixes with
their breach ids, padded with random entries to a fixed count, so that neither
the number nor, for someone watching the wire, the bucket's size shows. The
browser unblinds and compares; the server never sees the number.
"""

import secrets

from django.conf import settings

from leaks import oprf
from leaks.hashing import BUCKET_BITS, KEY_BYTES, current_version, server_key
from leaks.lookups import bucket_entries, private_breaches

PREFIX_BYTES = KEY_BYTES - BUCKET_BITS // 8


class BadRequest(ValueError):
    """A bucket or element the protocol does not allow; the message says which."""


def parse_request(bucket: object, blinded: object) -> tuple[int, bytes]:
    if not isinstance(bucket, int) or isinstance(bucket, bool) or not 0 <= bucket < 2**BUCKET_BITS:
        raise BadRequest(f"bucket must be an integer from 0 to {2**BUCKET_BITS - 1}")
    try:
        element = bytes.fromhex(blinded) if isinstance(blinded, str) else b""
        return bucket, oprf.checked_element(element)
    except (ValueError, oprf.InvalidInput):
        raise BadRequest("blinded must be a ristretto255 element as 64 hex digits") from None


def private_answer(*, bucket: int, blinded: bytes) -> dict:
    """The evaluated element and the bucket's entries, padded and shuffled."""
    version = current_version()
    evaluated = oprf.blind_evaluate(server_key(version), blinded)
    entries = [(prefix.hex(), breach_id) for prefix, breach_id in bucket_entries(bucket, version)]
    return {
        "version": version,
        "evaluated": evaluated.hex(),
        "entries": _padded(entries),
    }


def _padded(entries: list[tuple[str, int]]) -> list[tuple[str, int]]:
    size = max(settings.PRIVATE_CHECK_ENTRIES, 1)
    target = max(size, -(-len(entries) // size) * size)
    # Padding names real public breaches, so it looks like the real entries.
    breach_ids = list(private_breaches().values_list("pk", flat=True)) or [0]
    padding = [
        (secrets.token_hex(PREFIX_BYTES), secrets.choice(breach_ids))
        for _ in range(target - len(entries))
    ]
    # Sorted: the order says nothing about which entries are real.
    return sorted(entries + padding)
