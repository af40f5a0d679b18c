"""Fixed-window counters in the shared cache (atomic on Redis across processes).

Built on django-ratelimit's counters. Keys that name a number, an address, a
username or an API key are keyed digests, so the cache never holds them.
"""

import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit import ALL
from django_ratelimit.core import _split_rate, get_usage


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
