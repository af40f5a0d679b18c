"""Rate-limit policies on top of django-ratelimit's atomic cache counters.

Keys that name a number are keyed hashes, so the cache never holds a number.
"""

import hashlib
import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit import ALL
from django_ratelimit.core import is_ratelimited


def client_ip(request: HttpRequest) -> str:
    """The client's address. Proxy headers are not trusted here (yet)."""
    return request.META.get("REMOTE_ADDR", "")


def network_of(ip: str) -> str:
    """The /24 of an IPv4 address or the /64 of an IPv6 address."""
    address = ipaddress.ip_address(ip)
    prefix = 24 if address.version == 4 else 64
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def opaque(value: str | bytes) -> str:
    """A cache-key-safe keyed digest of a value that must not be stored."""
    data = value.encode() if isinstance(value, str) else value
    return hmac.new(settings.SECRET_KEY.encode(), data, hashlib.sha256).hexdigest()[:32]


def hit(request: HttpRequest, *, group: str, key: str, rate: str) -> bool:
    """Count one request against (group, key); True when over the rate."""
    return is_ratelimited(
        request,
        group=group,
        key=lambda _group, _request: opaque(key),
        rate=rate,
        method=ALL,
        increment=True,
    )
