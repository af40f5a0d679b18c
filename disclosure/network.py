"""Where a request comes from: the client's address and the networks around it.

Limits count per host and per network. An IPv4 host is its /32; an IPv6 host
is its /64, since one household or phone is routinely handed a whole /64. One
IPv6 customer can hold a /56 or a /48 (256 or 65,536 /64s), so those count as
networks too, each with its own counter (settings IPV4_NETWORK_PREFIXES,
IPV6_HOST_PREFIX, IPV6_NETWORK_PREFIXES).
"""

import ipaddress
from collections.abc import Sequence
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


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
        address = _parsed(hop)
        if address is None:
            # Garbage where a proxy should have written an address: stop at
            # the last hop we could trust rather than guess.
            return client
        client = hop = str(address)
        if not _is_trusted(hop):
            return hop
    return client


def _is_trusted(ip: str) -> bool:
    return _trusted(ip, tuple(settings.TRUSTED_PROXIES))


# The proxy's own address is asked about on every request.
@lru_cache(maxsize=1024)
def _trusted(ip: str, cidrs: tuple[str, ...]) -> bool:
    address = _parsed(ip)
    if address is None:
        return False
    return any(address in network for network in _networks(cidrs))


# A request's address is read for the proxy check, its host and each network: parsed once.
@lru_cache(maxsize=4096)
def _parsed(ip: str) -> Address | None:
    try:
        return ipaddress.ip_address(ip)
    except ValueError:
        return None


@lru_cache(maxsize=8)
def _networks(
    cidrs: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def address_in(ip: str, cidrs: Sequence[str]) -> bool:
    """Whether the address (an IPv4-mapped IPv6 one read as IPv4) is in one of the CIDRs."""
    address = _address(ip)
    return address is not None and any(address in network for network in _networks(tuple(cidrs)))


def _address(ip: str) -> Address | None:
    address = _parsed(ip)
    if address is None:
        return None
    if address.version == 6 and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _prefixes(value: str) -> list[int]:
    return [int(part) for part in value.split(",") if part.strip()]


def host_of(ip: str) -> str:
    """The host an address stands for: itself for IPv4, its /64 (IPV6_HOST_PREFIX) for IPv6."""
    address = _address(ip)
    if address is None:
        return ip or "unknown"
    if address.version == 4:
        return str(address)
    return str(ipaddress.ip_network(f"{address}/{settings.IPV6_HOST_PREFIX}", strict=False))


def networks_of(ip: str) -> list[str]:
    """Every network an address belongs to that has its own counter, narrowest first."""
    address = _address(ip)
    if address is None:
        return []
    prefixes = _prefixes(
        settings.IPV4_NETWORK_PREFIXES if address.version == 4 else settings.IPV6_NETWORK_PREFIXES
    )
    if address.version == 4:
        # Masked as a number: parsing "a.b.c.d/24" again for each prefix cost more
        # than the rest of a check's counting.
        value = int(address)
        return [
            f"{ipaddress.IPv4Address(value >> (32 - p) << (32 - p))}/{p}"
            for p in sorted(prefixes)[::-1]
        ]
    return [
        str(ipaddress.ip_network(f"{address}/{p}", strict=False)) for p in sorted(prefixes)[::-1]
    ]
