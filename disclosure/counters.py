"""Fixed-window counters in the shared cache (atomic on Redis across processes).

Built on django-ratelimit's counters. Keys that name a number, an address, a
username or an API key are keyed digests, so the cache never holds them.

Fails closed: when the cache cannot be read or written (an error, a refused
connection, a timeout), every counter raises GateUnavailable and counts
nothing as allowed; django-ratelimit's own get_usage swallows such errors
(and answers "not over"), so it is not used here.
"""

import functools
import hmac
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import redis
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache, RedisSerializer
from django.http import HttpRequest
from django_ratelimit import ALL
from django_ratelimit.core import (
    EXPIRATION_FUDGE,
    _get_window,
    _make_cache_key,
    _split_rate,
)
from redis.commands.core import Script

from disclosure import outage


class GateUnavailable(Exception):
    """The counters cannot be read or written (the shared cache failed): the gate
    cannot know what a request may do, so it refuses; it never opens.
    disclosure/middleware.py answers it with a 503."""


# What a cache call raises when its server is down, refuses or times out.
STORE_ERRORS: tuple[type[Exception], ...] = (redis.RedisError, OSError)


@contextmanager
def shared_store(what: str = "the rate-limit counters") -> Iterator[None]:
    """Turn a failure of the shared cache inside the block into GateUnavailable."""
    try:
        yield
    except STORE_ERRORS as exc:
        raise GateUnavailable(f"{what} cannot be reached") from exc


def gate_cache() -> BaseCache:
    """The cache the gate counts in (django-ratelimit's RATELIMIT_USE_CACHE, "default")."""
    return caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]


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
    return hmac.digest(settings.SECRET_KEY.encode(), data, "sha256").hex()[:32]


@functools.lru_cache(maxsize=256)
def rate_parts(rate: str) -> tuple[int, int]:
    """(count, seconds) of a rate such as "20/h" or "10/15m"."""
    return _split_rate(rate)


def period_seconds(rate: str) -> int:
    return rate_parts(rate)[1]


def count(
    request: HttpRequest, *, group: str, subject: str, rate: str, increment: bool = True
) -> Usage | None:
    """Count one request against (group, subject) under ``rate`` (or only read the
    count); None when the rate is off. Raises GateUnavailable when the cache fails.

    The keys, windows and expiries are django-ratelimit's (count_in_order bumps
    the same counters); its get_usage is not used because it fails open."""
    if not rate or not settings.RATELIMIT_ENABLE:
        return None
    limit, period = rate_parts(rate)
    value = opaque(subject)
    window = _get_window(value, period)
    key = _make_cache_key(group, window, rate, value, ALL)
    backend = gate_cache()
    with shared_store():
        if not increment:
            current = backend.get(key, 0)
        elif backend.add(key, 1, period + EXPIRATION_FUDGE):
            current = 1
        else:
            try:
                current = backend.incr(key)
            except ValueError:
                # It expired between add and incr: this request starts a new window;
                # unless the cache refuses that too (a memcached that is gone).
                if not backend.add(key, 1, period + EXPIRATION_FUDGE):
                    raise GateUnavailable("the rate-limit counters cannot be written") from None
                current = 1
    if not isinstance(current, int):
        # A cache that fails without raising (memcached answers None).
        raise GateUnavailable("the rate-limit counters answered nothing")
    left = window - int(time.time())
    return Usage(count=current, limit=limit, retry_after=max(1, left if left > 0 else period))


# Counting several layers in one round trip (Redis): the gate's layers are
# counted in order and counting stops at the first one over its limit, as
# count() called layer by layer would; the keys, windows and expiries are
# django-ratelimit's, so count(..., increment=False) reads the same counters.
# An anonymous check is first counted site-wide (a Site: disclosure/pressure.py's
# buckets) and nothing more is counted while the site is busier than its calm
# rate. A guard (a version read earlier) is checked in the same script, before
# any layer is counted, and a few cache keys are read along.
# KEYS: the site's two minutes (with a site), the counters, then the keys to read.
# ARGV: how many keys to read, what the first of them must hold ('' for no guard),
# the site's expiry ('' for no site), last minute's weight, the calm rate, then
# limit and expiry per counter. Answers {position, count, the site's two minutes,
# the values read}: position 0 nothing over, i the i-th counter over, -1 the
# guard's version had moved, -2 the site is busy (nothing but the site counted).
_COUNT_IN_ORDER = """
local reads = tonumber(ARGV[1])
local first, site = 0, {0, 0}
if ARGV[3] ~= '' then
  first = 2
  site[1] = redis.call('INCR', KEYS[1])
  if site[1] == 1 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
  site[2] = tonumber(redis.call('GET', KEYS[2]) or '0')
end
local counters = #KEYS - first - reads
local seen = {}
for j = 1, reads do seen[j] = redis.call('GET', KEYS[first + counters + j]) end
if first > 0 and (site[1] + site[2] * tonumber(ARGV[4])) / tonumber(ARGV[5]) > 1.0 then
  return {-2, 0, site[1], site[2], unpack(seen)}
end
if ARGV[2] ~= '' and seen[1] ~= ARGV[2] then return {-1, 0, site[1], site[2], unpack(seen)} end
for i = 1, counters do
  local n = redis.call('INCR', KEYS[first + i])
  if n == 1 then redis.call('EXPIRE', KEYS[first + i], ARGV[5 + 2 * i]) end
  if n > tonumber(ARGV[4 + 2 * i]) then return {i, n, site[1], site[2], unpack(seen)} end
end
return {0, 0, site[1], site[2], unpack(seen)}
"""
_script: Script | None = None
_values = RedisSerializer()


@dataclass(frozen=True)
class Counted:
    """One counter to bump: what count() takes."""

    group: str
    subject: str
    rate: str


@dataclass(frozen=True)
class Guard:
    """Count only while the cache holds ``expected`` at ``key`` (a version the caller
    read earlier); the values at ``also_read`` come back with the counting."""

    key: str
    expected: int
    also_read: tuple[str, ...] = ()


@dataclass(frozen=True)
class Site:
    """One anonymous check counted site-wide before the layers (disclosure/pressure.py):
    ``keys`` are this minute's and last minute's buckets, and the layers are counted
    only while ``multiple()`` of what they hold is at most 1 (the script computes it
    with the same float operations). ``record`` does the same on a cache other than
    Redis: it counts the check and answers the two buckets."""

    keys: tuple[str, str]
    expiry: int
    weight: float  # the share of last minute still within the sliding minute
    calm: int  # checks a minute at which the site is still calm, at least 1
    record: Callable[[], tuple[int, int]]

    def multiple(self, this_minute: int, last_minute: int) -> float:
        """The site's sliding minute as a multiple of its calm rate."""
        return (this_minute + last_minute * self.weight) / self.calm


@dataclass(frozen=True)
class Counting:
    """What counting in order found: the first counter over (its index, its usage)
    or None; ``stale``: the guard's version had moved and nothing was counted;
    ``busy``: the site was over its calm rate and nothing but the site was
    counted; ``pressure``: the site's multiple of its calm rate (with a Site)."""

    over: tuple[int, Usage] | None = None
    stale: bool = False
    seen: dict[str, Any] = field(default_factory=dict)
    busy: bool = False
    pressure: float = 0.0


def count_in_order(
    request: HttpRequest,
    counters: list[Counted],
    guard: Guard | None = None,
    *,
    site: Site | None = None,
    reads: tuple[str, ...] = (),
) -> Counting:
    """Count ``counters`` in order, stopping after the first one over its limit
    (nothing is over when the limits are off); in the same round trip, count the
    site first (see Site), check the guard and read what it reads along, and the
    keys ``reads``."""
    backend = gate_cache()
    reads = (guard.key, *guard.also_read, *reads) if guard else reads
    active = [(i, c) for i, c in enumerate(counters) if c.rate]
    if not settings.RATELIMIT_ENABLE:
        active = []
    client = redis_client(backend)
    if client is None:
        return _count_in_python(request, backend, active, guard, reads, site)
    keys = [backend.make_key(name) for name in site.keys] if site else []
    args: list[Any] = []
    windows = []
    for _, counter in active:
        limit, period = rate_parts(counter.rate)
        value = opaque(counter.subject)
        window = _get_window(value, period)
        # md5 hex under our prefix: nothing for the key validation to find.
        name = _make_cache_key(counter.group, window, counter.rate, value, ALL)
        keys.append(backend.make_key(name))
        args += [limit, period + EXPIRATION_FUDGE]
        windows.append((limit, window, period))
    if not keys and not reads:
        return Counting()
    keys += [backend.make_key(name) for name in reads]
    site_args = [site.expiry, repr(site.weight), site.calm] if site else ["", "", ""]
    args = [len(reads), str(guard.expected) if guard else "", *site_args, *args]
    with shared_store():
        position, current, this_minute, last_minute, *values = _count_script(client)(
            keys, args, client
        )
    outage.note_working()
    seen = {
        name: None if value is None else _values.loads(value)
        for name, value in zip(reads, values, strict=True)
    }
    pressure = site.multiple(this_minute, last_minute) if site else 0.0
    if position == -2:
        return Counting(seen=seen, busy=True, pressure=pressure)
    if position == -1:
        return Counting(stale=True, seen=seen, pressure=pressure)
    if not position:
        return Counting(seen=seen, pressure=pressure)
    limit, window, period = windows[position - 1]
    left = window - int(time.time())
    retry = left if left > 0 else period
    usage = Usage(count=current, limit=limit, retry_after=max(1, retry))
    return Counting(over=(active[position - 1][0], usage), seen=seen, pressure=pressure)


def _count_in_python(
    request: HttpRequest,
    backend: BaseCache,
    active: list[tuple[int, Counted]],
    guard: Guard | None,
    reads: tuple[str, ...],
    site: Site | None,
) -> Counting:
    # Not atomic, as a cache other than Redis cannot be (the embedded default).
    pressure = site.multiple(*site.record()) if site else 0.0
    with shared_store():
        found = backend.get_many(reads) if reads else {}
    seen = {name: found.get(name) for name in reads}
    if pressure > 1.0:
        return Counting(seen=seen, busy=True, pressure=pressure)
    if guard is not None and seen[guard.key] != guard.expected:
        return Counting(stale=True, seen=seen, pressure=pressure)
    for i, counter in active:
        usage = count(request, group=counter.group, subject=counter.subject, rate=counter.rate)
        if usage is not None and usage.over:
            return Counting(over=(i, usage), seen=seen, pressure=pressure)
    return Counting(seen=seen, pressure=pressure)


def _count_script(client: "redis.Redis") -> Script:
    # EVALSHA: the script is sent to Redis once, not with every check. Every call
    # names its client, so one Script serves them all.
    global _script
    if _script is None:
        _script = Script(client, _COUNT_IN_ORDER)
    return _script


def redis_client(backend: BaseCache) -> "redis.Redis | None":
    """The cache's Redis client when it is Redis, else None (one per process with
    breachcheck.redis_cache, the backend the settings name)."""
    if not isinstance(backend, RedisCache):
        return None
    return backend._cache.get_client(write=True)


# A counter whose window is given, not staggered (a calendar day, as SMS providers
# count): it is bumped only when the bump stays within the limit, so a refused
# request spends nothing. ARGV: limit, the window's end (epoch seconds).
_TAKE_WITHIN = """
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n + 1 > tonumber(ARGV[1]) then return {0, n} end
n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIREAT', KEYS[1], ARGV[2] + 60) end
return {1, n}
"""
_take_script: Script | None = None


def take_within(*, group: str, subject: str, limit: int, ends_at: int) -> Usage:
    """Take one from (group, subject)'s count in the window ending at ``ends_at``
    if that keeps it within ``limit``; ``usage.over`` tells a refusal (nothing
    taken). Raises GateUnavailable when the shared cache fails."""
    global _take_script
    backend = gate_cache()
    key = backend.make_key(f"bc:within:{group}:{ends_at}:{opaque(subject)}")
    retry = max(1, ends_at - int(time.time()))
    client = redis_client(backend)
    if client is None:
        # Not atomic, as a cache other than Redis cannot be (the embedded default).
        with shared_store():
            used = backend.get(key, 0)
            if used + 1 > limit:
                return Usage(count=used + 1, limit=limit, retry_after=retry)
            backend.set(key, used + 1, timeout=retry + 60)
        return Usage(count=used + 1, limit=limit, retry_after=retry)
    if _take_script is None:
        _take_script = Script(client, _TAKE_WITHIN)
    with shared_store():
        taken, used = _take_script([key], [limit, ends_at], client)
    return Usage(count=used if taken else used + 1, limit=limit, retry_after=retry)
