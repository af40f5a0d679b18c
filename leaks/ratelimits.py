"""Rate-limit policies on top of django-ratelimit's atomic cache counters.

Every costly or revealing action (a check, a code request, a code attempt, a
subscription, an admin login) has a policy of layers: per client IP, per
network (IPv4 /24, IPv6 /64), per target (the number, or the admin username)
and a global budget. Each layer's rate is a setting named
``RATELIMIT_<ACTION>_<LAYER>``, for example ``RATELIMIT_CHECK_PER_NUMBER`` or
``RATELIMIT_ADMIN_LOGIN_PER_USERNAME`` (django-ratelimit syntax such as
``20/h`` or ``10/15m``; empty turns the layer off).

Counting happens in the cache with ``add`` + ``incr``, atomic on Redis across
processes and machines. Keys that name a number, an address or a username are
keyed digests, so the cache never holds them.
"""

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit import ALL
from django_ratelimit.core import _split_rate, get_usage, is_ratelimited

from leaks.phones import Phone

# The layers, checked in this order. A request refused by an earlier layer
# never counts against later ones: a blocked harvester cannot use up the
# global budget (and lock everyone out) or a victim's per-number budget.
LAYERS = ("PER_IP", "PER_NETWORK", "PER_TARGET", "GLOBAL")
ACTIONS = ("CHECK", "ADMIN_LOGIN")
# Limits counted directly with hit() (code requests and attempts, subscriptions,
# confirmation emails), named here so the privacy page can state their windows.
OTHER_RATES = (
    "RATELIMIT_SMS_PER_IP",
    "RATELIMIT_SMS_PER_NETWORK",
    "RATELIMIT_SMS_PER_NUMBER",
    "RATELIMIT_SMS_GLOBAL",
    "RATELIMIT_CODE_PER_IP",
    "RATELIMIT_SUBSCRIBE_PER_IP",
    "RATELIMIT_SUBSCRIBE_PER_NETWORK",
    "RATELIMIT_CONFIRM_EMAIL_PER_ADDRESS",
    "RATELIMIT_CONFIRM_EMAIL_GLOBAL",
)


def client_ip(request: HttpRequest) -> str:
    """The client's address.

    ``X-Forwarded-For`` counts only when the request came from a trusted proxy
    (``TRUSTED_PROXIES``, a list of CIDRs); then the right-most address that is
    not itself a trusted proxy is the client. Anything left of it was written
    by the client and could be forged, so it is never used.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    if not _is_trusted(remote):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [part.strip() for part in forwarded.split(",") if part.strip()]
    client = remote
    for hop in reversed(hops):
        try:
            hop = str(ipaddress.ip_address(hop))
        except ValueError:
            # Garbage where a proxy should have written an address: stop at
            # the last hop we could trust rather than guess.
            return client
        client = hop
        if not _is_trusted(hop):
            return hop
    return client


def _is_trusted(ip: str) -> bool:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in network for network in _trusted_networks(tuple(settings.TRUSTED_PROXIES)))


@lru_cache(maxsize=8)
def _trusted_networks(
    cidrs: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def network_of(ip: str) -> str:
    """The /24 of an IPv4 address or the /64 of an IPv6 address."""
    address = ipaddress.ip_address(ip)
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 64
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def opaque(value: str | bytes) -> str:
    """A cache-key-safe keyed digest of a value that must not be stored."""
    data = value.encode() if isinstance(value, str) else value
    return hmac.new(settings.SECRET_KEY.encode(), data, hashlib.sha256).hexdigest()[:32]


def hit(request: HttpRequest, *, group: str, key: str, rate: str) -> bool:
    """Count one request against (group, key); True when over the rate.

    An empty rate turns the limit off."""
    if not rate:
        return False
    return is_ratelimited(
        request,
        group=group,
        key=lambda _group, _request: opaque(key),
        rate=rate,
        method=ALL,
        increment=True,
    )


@dataclass(frozen=True)
class Decision:
    """The outcome of a policy: allowed, or refused by a layer for some seconds."""

    allowed: bool
    layer: str = ""
    retry_after: int = 0

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Decision(allowed=True)


def rate_for(action: str, layer: str) -> str:
    """The configured rate of one layer of one action's policy ('' = off)."""
    if layer == "PER_TARGET":
        layer = "PER_USERNAME" if action == "ADMIN_LOGIN" else "PER_NUMBER"
    return getattr(settings, f"RATELIMIT_{action}_{layer}", "") or ""


def authorize(request: HttpRequest, *, action: str, target: str = "") -> Decision:
    """Count one attempt at ``action`` through every layer of its policy.

    ``target`` is what the action is about (an E.164 number, a username); it is
    only ever used as a keyed digest.
    """
    ip = client_ip(request) or "unknown"
    try:
        network = network_of(ip)
    except ValueError:
        network = ip
    keys = {
        "PER_IP": f"ip:{ip}",
        "PER_NETWORK": f"net:{network}",
        "PER_TARGET": f"target:{target}" if target else "",
        "GLOBAL": "global",
    }
    for layer in LAYERS:
        rate = rate_for(action, layer)
        if not rate or not keys[layer]:
            continue
        usage = get_usage(
            request,
            group=f"bc:{action.lower()}:{layer.lower()}",
            key=lambda _group, _request, value=keys[layer]: opaque(value),
            rate=rate,
            method=ALL,
            increment=True,
        )
        if usage is not None and usage["should_limit"]:
            # time_left is the real end of this fixed window; -1 means the
            # cache failed, and then the window's full length is the honest guess.
            retry = usage["time_left"] if usage["time_left"] > 0 else period_seconds(rate)
            return Decision(allowed=False, layer=layer, retry_after=max(1, retry))
    return ALLOWED


def rate_parts(rate: str) -> tuple[int, int]:
    """(count, seconds) of a django-ratelimit rate such as "20/h" or "10/15m"."""
    return _split_rate(rate)


def period_seconds(rate: str) -> int:
    return rate_parts(rate)[1]


def longest_window() -> int:
    """Seconds the longest configured window keeps a counter (for the privacy page)."""
    rates = [rate_for(action, layer) for action in ACTIONS for layer in LAYERS]
    rates += [getattr(settings, name, "") for name in OTHER_RATES]
    return max((period_seconds(rate) for rate in rates if rate), default=0)


def _number(phone: Phone | str) -> str:
    return phone.e164 if isinstance(phone, Phone) else phone


def authorize_check(request: HttpRequest, phone: Phone | str) -> Decision:
    """May this client look up this number now?"""
    return authorize(request, action="CHECK", target=_number(phone))


def authorize_admin_login(request: HttpRequest, username: str) -> Decision:
    """May this client try to log in to the admin as this user now?"""
    return authorize(request, action="ADMIN_LOGIN", target=username.strip().lower())
