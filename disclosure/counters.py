"""Fixed-window counters in the shared cache (atomic on Redis across processes).

Built on django-ratelimit's counters. Keys that name a number, an address, a
username or an API key are keyed digests, so the cache never holds them.
"""

import hashlib
import hmac
import time
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest
from django_ratelimit import ALL
from django_ratelimit.core import (
    EXPIRATION_FUDGE,
    _get_window,
    _make_cache_key,
    _split_rate,
    get_usage,
)


@dataclass(frozen=True)
class Usage:
    count: int
    limit: int
    retry_after: int  # seconds until this window ends

    @property
    def over(self) -> bool:
        return self.count > self.limit

    @property
    def overage(self) -> float:
        """How many times the limit this window has seen (1.0 at the limit)."""
        return self.count / self.limit if self.limit else 0.0


def opaque(value: str | bytes) -> str:
    """A cache-key-safe keyed digest of a value that must not be stored."""
    data = value.encode() if isinstance(value, str) else value
    return hmac.new(settings.SECRET_KEY.encode(), data, hashlib.sha256).hexdigest()[:32]


def rate_parts(rate: str) -> tuple[int, int]:
    """(count, seconds) of a rate such as "20/h" or "10/15m"."""
    return _split_rate(rate)


def period_seconds(rate: str) -> int:
    return rate_parts(rate)[1]


def count(
    request: HttpRequest, *, group: str, subject: str, rate: str, increment: bool = True
) -> Usage | None:
    """Count one request against (group, subject) under ``rate``; None when the rate is off."""
    if not rate or not settings.RATELIMIT_ENABLE:
        return None
    usage = get_usage(
        request,
        group=group,
        key=lambda _group, _request: opaque(subject),
        rate=rate,
        method=ALL,
        increment=increment,
    )
    if usage is None:
        return None
    # time_left is the real end of this fixed window; -1 means the cache
    # failed, and then the window's full length is the honest guess.
    retry = usage["time_left"] if usage["time_left"] > 0 else period_seconds(rate)
    return Usage(count=usage["count"], limit=usage["limit"], retry_after=max(1, retry))


# Counting several layers in one round trip (Redis): the gate's layers are
# counted in order and counting stops at the first one over its limit, as
# count() called layer by layer would; the keys, windows and expiries are
# django-ratelimit's, so count(..., increment=False) reads the same counters.
_COUNT_IN_ORDER = """
for i, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('EXPIRE', key, ARGV[2 * i]) end
  if n > tonumber(ARGV[2 * i - 1]) then return {i, n} end
end
return {0, 0}
"""


@dataclass(frozen=True)
class Counted:
    """One counter to bump: what count() takes."""

    group: str
    subject: str
    rate: str


def first_over(request: HttpRequest, counters: list[Counted]) -> tuple[int, Usage] | None:
    """Count ``counters`` in order, stopping after the first one over its limit:
    (its index, its usage), or None when none is over (or the limits are off)."""
    active = [(i, c) for i, c in enumerate(counters) if c.rate]
    if not active or not settings.RATELIMIT_ENABLE:
        return None
    backend = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
    client = redis_client(backend)
    if client is None:
        for i, counter in active:
            usage = count(request, group=counter.group, subject=counter.subject, rate=counter.rate)
            if usage is not None and usage.over:
                return i, usage
        return None
    keys, args, windows = [], [], []
    for _, counter in active:
        limit, period = rate_parts(counter.rate)
        value = opaque(counter.subject)
        window = _get_window(value, period)
        name = _make_cache_key(counter.group, window, counter.rate, value, ALL)
        keys.append(backend.make_and_validate_key(name))
        args += [limit, period + EXPIRATION_FUDGE]
        windows.append((limit, window, period))
    try:
        position, current = client.eval(_COUNT_IN_ORDER, len(keys), *keys, *args)
    except redis.RedisError:
        # As django-ratelimit does when the cache fails: not over (fail open).
        return None
    if not position:
        return None
    limit, window, period = windows[position - 1]
    left = window - int(time.time())
    retry = left if left > 0 else period
    return active[position - 1][0], Usage(count=current, limit=limit, retry_after=max(1, retry))


def redis_client(backend: BaseCache) -> "redis.Redis | None":
    """The cache's Redis client when it is Redis, else None (one per process with
    breachcheck.redis_cache, the backend the settings name)."""
    if not isinstance(backend, RedisCache):
        return None
    return backend._cache.get_client(write=True)
