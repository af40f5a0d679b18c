"""Site-wide pressure on the check: how busy it is, and the puzzle it implies.

Anonymous check attempts are counted in per-minute buckets in the shared cache
(``add`` + ``incr``, atomic on Redis across processes). The rate is a sliding
minute: this minute's count plus the share of last minute's count that still
falls within the past 60 seconds, so a burst shows up at once and fades out
within two minutes rather than at a bucket edge.

The gate counts a check here in the same Redis round trip as its other layers
(site_count(): disclosure.counters.Site). The buckets live in the gate's cache.

Fails closed: when the cache cannot be read or written the pressure is not
known, and GateUnavailable is raised (never "calm").
"""

import math
import time
from functools import partial

from django.conf import settings

from disclosure.counters import Site, gate_cache, shared_store

BUCKET_SECONDS = 60


def _bucket_key(bucket: int) -> str:
    return f"pow-pressure:{bucket}"


def record_check(now: float | None = None) -> None:
    """Count one anonymous check attempt site-wide."""
    key = _bucket_key(int(now if now is not None else time.time()) // BUCKET_SECONDS)
    # Two buckets are read; the third keeps the count safe across clock skew.
    cache = gate_cache()
    with shared_store("the site's pressure"):
        cache.add(key, 0, timeout=3 * BUCKET_SECONDS)
        try:
            cache.incr(key)
        except ValueError:
            # The key expired between add and incr (a process stalled for minutes).
            cache.add(key, 1, timeout=3 * BUCKET_SECONDS)


def site_count(now: float | None = None) -> Site:
    """One anonymous check for the gate to count with its layers: the same buckets,
    expiry and sliding minute as record_check() and multiple_of_calm()."""
    now = now if now is not None else time.time()
    bucket = int(now) // BUCKET_SECONDS
    return Site(
        keys=(_bucket_key(bucket), _bucket_key(bucket - 1)),
        expiry=3 * BUCKET_SECONDS,
        weight=_weight(now),
        calm=max(1, settings.POW_CALM_CHECKS_PER_MINUTE),
        record=partial(_record_and_read, now),
    )


def _record_and_read(now: float) -> tuple[int, int]:
    # A cache other than Redis: record_check(), then both buckets read.
    record_check(now)
    bucket = int(now) // BUCKET_SECONDS
    keys = [_bucket_key(bucket), _bucket_key(bucket - 1)]
    with shared_store("the site's pressure"):
        counts = gate_cache().get_many(keys)
    return counts.get(keys[0], 0), counts.get(keys[1], 0)


def _weight(now: float) -> float:
    """The share of last minute's bucket still within the sliding minute."""
    return 1 - (now % BUCKET_SECONDS) / BUCKET_SECONDS


def _sliding(now: float, current: int, previous: int) -> float:
    return current + previous * _weight(now)


def checks_per_minute(now: float | None = None) -> float:
    """Recent anonymous checks per minute (a sliding 60-second window)."""
    now = now if now is not None else time.time()
    bucket = int(now) // BUCKET_SECONDS
    with shared_store("the site's pressure"):
        counts = gate_cache().get_many([_bucket_key(bucket), _bucket_key(bucket - 1)])
    return _sliding(now, counts.get(_bucket_key(bucket), 0), counts.get(_bucket_key(bucket - 1), 0))


def pressure(now: float | None = None) -> float:
    """Recent checks per minute as a multiple of the calm rate (1.0 = at the calm limit)."""
    return multiple_of_calm(checks_per_minute(now))


def multiple_of_calm(per_minute: float) -> float:
    return per_minute / max(1, settings.POW_CALM_CHECKS_PER_MINUTE)


def is_calm(now: float | None = None) -> bool:
    return pressure(now) <= 1.0


def difficulty(now: float | None = None) -> int:
    """The puzzle size for the current pressure (the minimum while calm)."""
    return scaled_difficulty(pressure(now))


def scaled_difficulty(multiple: float) -> int:
    """The puzzle for a load ``multiple`` times what is allowed (the calm rate, or
    a client's own limit): the minimum up to 1x, then doubling per doubling, in
    whole steps so a puzzle being solved stays good while the load creeps up,
    capped at the maximum."""
    steps = max(0, math.ceil(math.log2(max(multiple, 1.0))))
    return min(settings.POW_MAX_DIFFICULTY, settings.POW_MIN_DIFFICULTY * 2**steps)
