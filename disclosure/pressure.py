"""Site-wide pressure on the check: how busy it is, and the puzzle it implies.

Anonymous check attempts are counted in per-minute buckets in the shared cache
(``add`` + ``incr``, atomic on Redis across processes). The rate is a sliding
minute: this minute's count plus the share of last minute's count that still
falls within the past 60 seconds, so a burst shows up at once and fades out
within two minutes rather than at a bucket edge.
"""

import math
import time

from django.conf import settings
from django.core.cache import cache

BUCKET_SECONDS = 60


def _bucket_key(bucket: int) -> str:
    return f"pow-pressure:{bucket}"


def record_check(now: float | None = None) -> None:
    """Count one anonymous check attempt site-wide."""
    key = _bucket_key(int(now if now is not None else time.time()) // BUCKET_SECONDS)
    # Two buckets are read; the third keeps the count safe across clock skew.
    cache.add(key, 0, timeout=3 * BUCKET_SECONDS)
    try:
        cache.incr(key)
    except ValueError:
        # The key expired between add and incr (a process stalled for minutes).
        cache.add(key, 1, timeout=3 * BUCKET_SECONDS)


def checks_per_minute(now: float | None = None) -> float:
    """Recent anonymous checks per minute (a sliding 60-second window)."""
    now = now if now is not None else time.time()
    bucket = int(now) // BUCKET_SECONDS
    counts = cache.get_many([_bucket_key(bucket), _bucket_key(bucket - 1)])
    current = counts.get(_bucket_key(bucket), 0)
    previous = counts.get(_bucket_key(bucket - 1), 0)
    elapsed = (now % BUCKET_SECONDS) / BUCKET_SECONDS
    return current + previous * (1 - elapsed)


def pressure(now: float | None = None) -> float:
    """Recent checks per minute as a multiple of the calm rate (1.0 = at the calm limit)."""
    calm = max(1, settings.POW_CALM_CHECKS_PER_MINUTE)
    return checks_per_minute(now) / calm


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
