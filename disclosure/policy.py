"""The one disclosure gate: every path that can tell whether a number is in a
breach, and every path that costs money or can harass someone, asks here first.

Each action has a named policy: a list of layers, each a fixed-window counter
(disclosure/counters.py) with a rate from settings. Layers are counted in order,
and a request refused by one layer is not counted by the later ones, so a
blocked harvester cannot use up a victim's per-number budget or a wider one.

- check: the web check, the result after an SMS proof, and the private check's
  evaluations. Per host and per network, layers are *soft*: past them a visitor
  may still pass by solving a proof-of-work, so people behind one carrier-grade
  NAT are slowed, not refused. The per-number budget is hard and is shared with
  the API. There is no global refusal: when the whole site is under pressure,
  every anonymous check has to solve a proof-of-work whose difficulty rises
  with the pressure (disclosure/pressure.py), instead of everyone being locked out.
- api: a key's own rate (never above API_KEY_MAX_RATE), a global API budget,
  and the same per-number budget as the web.
- sms, code, subscribe, confirm-email, admin-login: what sending and guessing
  may cost. Admin logins count per (username, network) pair, so nobody can lock
  an admin out from one address.

Views turn a refusal into the one 429 response (disclosure/responses.py).
"""

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest

from disclosure.counters import (
    Counted,
    Guard,
    Site,
    count,
    count_in_order,
    period_seconds,
    rate_parts,
    take_within,
)
from disclosure.network import client_ip, host_of, networks_of


@dataclass(frozen=True)
class Decision:
    """The gate's answer: allowed, or refused by one layer of one policy."""

    allowed: bool
    policy: str = ""
    layer: str = ""
    retry_after: int = 0
    # More than 0: the request may pass with a proof-of-work this hard.
    pow_difficulty: int = 0
    # With a guard (disclosure.counters.Guard): its version had moved, nothing was
    # counted, and the caller reads what it guards again; and the values read along.
    stale: bool = False
    seen: dict[str, Any] = field(default_factory=dict, compare=False)

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def needs_pow(self) -> bool:
        return not self.allowed and self.pow_difficulty > 0


ALLOWED = Decision(allowed=True)


@dataclass(frozen=True)
class Layer:
    name: str  # what the 429 page speaks of: "ip", "network", "number", ...
    group: str  # the counter's name; layers of different policies may share one
    subject: str
    rate: str
    soft: bool = False


def _run(
    request: HttpRequest,
    policy: str,
    layers: list[Layer],
    *,
    pow_payload: str | None = None,
    guard: Guard | None = None,
    site: Site | None = None,
    reads: tuple[str, ...] = (),
) -> Decision:
    # The site's pressure (with a site) and the layers up to the first one over
    # are counted in one go; past the pressure with a solved proof-of-work,
    # counting goes on from the first layer, past a soft layer from the next one.
    start = 0
    while start < len(layers):
        counters = [Counted(layer.group, layer.subject, layer.rate) for layer in layers[start:]]
        counting = count_in_order(
            request, counters, guard if start == 0 else None, site=site, reads=reads
        )
        site = None  # a request counts once site-wide
        if counting.stale:
            return Decision(False, policy, stale=True, seen=counting.seen)
        if counting.busy:
            # Nothing but the site was counted.
            pressure = _scaled(counting.pressure)
            if _pow_solved(request, pow_payload, pressure):
                continue
            return Decision(False, policy, "pressure", 60, pressure)
        if counting.over is None:
            return Decision(True, seen=counting.seen) if counting.seen else ALLOWED
        index, usage = counting.over
        layer = layers[start + index]
        if layer.soft:
            difficulty = _scaled(usage.overage)
            if _pow_solved(request, pow_payload, difficulty):
                start += index + 1
                continue
            return Decision(False, policy, layer.name, usage.retry_after, difficulty)
        return Decision(False, policy, layer.name, usage.retry_after)
    return ALLOWED


def _where(request: HttpRequest, policy: str, rates: tuple[str, str], soft: bool) -> list[Layer]:
    """The host layer and one layer per counted network around it."""
    ip = client_ip(request)
    per_host, per_network = rates
    layers = [Layer("ip", f"bc:{policy}:ip", f"ip:{host_of(ip)}", per_host, soft)]
    layers += [
        Layer("network", f"bc:{policy}:net", f"net:{network}", per_network, soft)
        for network in networks_of(ip)
    ]
    return layers


def _number_layer(e164: str) -> Layer:
    # One budget per number, whichever path asks about it.
    return Layer("number", "bc:number", f"num:{e164}", settings.RATELIMIT_CHECK_PER_NUMBER)


def _check_where(request: HttpRequest) -> list[Layer]:
    """The soft host and network layers every anonymous oracle query counts against."""
    rates = (settings.RATELIMIT_CHECK_PER_IP, settings.RATELIMIT_CHECK_PER_NETWORK)
    return _where(request, "check", rates, soft=True)


def _anonymous_query(
    request: HttpRequest, target: Layer, pow_payload: str | None, also_read: tuple[str, ...] = ()
) -> Decision:
    """The site's pressure first, then host and networks (soft), then the target (hard):
    on Redis one script call, which also reads the cache keys ``also_read``."""
    layers = [*_check_where(request), target]
    site = _site_count()
    return _run(request, "check", layers, pow_payload=pow_payload, site=site, reads=also_read)


def authorize_check(
    request: HttpRequest, e164: str, *, pow_payload: str | None = None, proven: bool = False
) -> Decision:
    """May this client learn which breaches hold this number now?

    ``proven``: the number was just proven by SMS code in this session; its
    owner is not asked for a proof-of-work, but the number's budget still counts."""
    if proven:
        return _run(request, "check", [_number_layer(e164)])
    return _anonymous_query(request, _number_layer(e164), pow_payload)


def authorize_evaluation(
    request: HttpRequest,
    bucket: int,
    *,
    pow_payload: str | None = None,
    also_read: tuple[str, ...] = (),
) -> Decision:
    """May this client have one private-check evaluation (it names only a bucket)?

    The cache keys ``also_read`` are read in the same round trip: ``seen``."""
    target = Layer("bucket", "bc:bucket", f"bucket:{bucket}", settings.RATELIMIT_CHECK_PER_BUCKET)
    return _anonymous_query(request, target, pow_payload, also_read)


def pow_demanded(request: HttpRequest) -> int:
    """The proof-of-work difficulty a check from this client would need now (0: none).

    Reads the counters without counting, so a page can offer the puzzle up front."""
    difficulty = _site_pressure()
    for layer in _check_where(request):
        usage = count(
            request, group=layer.group, subject=layer.subject, rate=layer.rate, increment=False
        )
        # The next request is the one that would be over.
        if usage is not None and usage.count + 1 > usage.limit:
            difficulty = max(difficulty, _scaled((usage.count + 1) / usage.limit))
    return difficulty


def _api_key_layers(key_hash: str, key_rate: str) -> list[Layer]:
    return [
        Layer("key", "bc:api:key", f"key:{key_hash}", api_rate(key_rate)),
        Layer("global", "bc:api:global", "all", settings.RATELIMIT_API_GLOBAL),
    ]


def authorize_api_key(
    request: HttpRequest, *, key_hash: str, key_rate: str, guard: Guard | None = None
) -> Decision:
    """May this API key make a request now? Every authenticated request counts.

    ``guard``: count only while the key is as the caller read it (api/keys.py)."""
    return _run(request, "api", _api_key_layers(key_hash, key_rate), guard=guard)


def authorize_api_lookup(
    request: HttpRequest,
    e164: str,
    *,
    key_hash: str | None = None,
    key_rate: str = "",
    guard: Guard | None = None,
) -> Decision:
    """May this API request learn which breaches hold this number?

    With ``key_hash`` the key's own layers (authorize_api_key's) are counted first,
    in the same round trip: a refused key still never spends the number's budget,
    and with ``guard`` neither does a key changed since the caller read it."""
    layers = _api_key_layers(key_hash, key_rate) if key_hash is not None else []
    return _run(request, "api", [*layers, _number_layer(e164)], guard=guard)


def api_rate(key_rate: str) -> str:
    """A key's rate, never above the ceiling API_KEY_MAX_RATE (compared per second)."""
    ceiling = settings.API_KEY_MAX_RATE
    if not ceiling:
        return key_rate
    if not key_rate or per_second(key_rate) > per_second(ceiling):
        return ceiling
    return key_rate


def per_second(rate: str) -> float:
    number, seconds = rate_parts(rate)
    return number / seconds


def authorize_sms(request: HttpRequest, e164: str) -> Decision:
    """May this client have a code texted to this number now?"""
    rates = (settings.RATELIMIT_SMS_PER_IP, settings.RATELIMIT_SMS_PER_NETWORK)
    layers = _where(request, "sms", rates, soft=False)
    layers += [
        Layer("number", "bc:sms:num", f"num:{e164}", settings.RATELIMIT_SMS_PER_NUMBER),
        Layer("global", "bc:sms:global", "all", settings.RATELIMIT_SMS_GLOBAL),
    ]
    decision = _run(request, "sms", layers)
    if not decision:
        return decision
    # The number's daily codes on the calendar day, not a rolling window whose end
    # a 429 would tell: no burst of twice the limit around a window's edge.
    daily = settings.RATELIMIT_SMS_PER_NUMBER_DAILY
    if daily:
        decision = _day_within(e164, "sms", "bc:sms:num-day", rate_parts(daily)[0])
        if not decision:
            return decision
    return _day_within(e164, "sms", "bc:sms:provider-day", settings.SMS_PROVIDER_DAILY_LIMIT)


def authorize_alert_text(e164: str) -> Decision:
    """May an alert be texted to this number now? Alerts share the provider's cap
    per number and day with codes, and never take the last text a code may need:
    the owner must still be able to prove the number that day."""
    limit = settings.SMS_PROVIDER_DAILY_LIMIT - 1
    return _day_within(e164, "sms-alert", "bc:sms:provider-day", limit)


def _day_within(e164: str, policy: str, group: str, limit: int) -> Decision:
    # Counted per calendar day in China's time, as the providers count texts.
    if not settings.RATELIMIT_ENABLE:
        return ALLOWED
    usage = take_within(group=group, subject=f"num:{e164}", limit=limit, ends_at=shanghai_day_end())
    return Decision(False, policy, "number", usage.retry_after) if usage.over else ALLOWED


SMS_DAY_ZONE = ZoneInfo("Asia/Shanghai")


def shanghai_day_end(now: float | None = None) -> int:
    """The epoch second at which the current Asia/Shanghai calendar day ends."""
    today = datetime.fromtimestamp(time.time() if now is None else now, SMS_DAY_ZONE).date()
    midnight = datetime.combine(today + timedelta(days=1), datetime.min.time(), SMS_DAY_ZONE)
    return int(midnight.timestamp())


def authorize_code_attempt(request: HttpRequest) -> Decision:
    """May this client try a code now? (Each code also has its own attempt budget.)"""
    ip = host_of(client_ip(request))
    return _run(
        request, "code", [Layer("ip", "bc:code:ip", f"ip:{ip}", settings.RATELIMIT_CODE_PER_IP)]
    )


def authorize_subscribe(request: HttpRequest) -> Decision:
    rates = (settings.RATELIMIT_SUBSCRIBE_PER_IP, settings.RATELIMIT_SUBSCRIBE_PER_NETWORK)
    return _run(request, "subscribe", _where(request, "subscribe", rates, soft=False))


def authorize_confirm_email(request: HttpRequest, contact_hash: bytes) -> Decision:
    layers = [
        Layer(
            "address",
            "bc:mail:to",
            f"to:{contact_hash.hex()}",
            settings.RATELIMIT_CONFIRM_EMAIL_PER_ADDRESS,
        ),
        Layer("global", "bc:mail:global", "all", settings.RATELIMIT_CONFIRM_EMAIL_GLOBAL),
    ]
    return _run(request, "confirm-email", layers)


def authorize_admin_login(request: HttpRequest, username: str) -> Decision:
    ip = client_ip(request)
    networks = networks_of(ip)
    wide = networks[-1] if networks else host_of(ip)
    user = username.strip().lower()
    layers = [
        Layer("ip", "bc:admin:ip", f"ip:{host_of(ip)}", settings.RATELIMIT_ADMIN_LOGIN_PER_IP),
        # Per (username, network): guessing one admin's password from one network
        # is slowed, and nobody elsewhere can lock that admin out.
        Layer(
            "username",
            "bc:admin:user-net",
            f"user:{user}@{wide}",
            settings.RATELIMIT_ADMIN_LOGIN_PER_USERNAME_NETWORK,
        ),
    ]
    return _run(request, "admin-login", layers)


RATE_SETTINGS = (
    "RATELIMIT_CHECK_PER_IP",
    "RATELIMIT_CHECK_PER_NETWORK",
    "RATELIMIT_CHECK_PER_NUMBER",
    "RATELIMIT_CHECK_PER_BUCKET",
    "RATELIMIT_API_GLOBAL",
    "API_KEY_MAX_RATE",
    "RATELIMIT_SMS_PER_IP",
    "RATELIMIT_SMS_PER_NETWORK",
    "RATELIMIT_SMS_PER_NUMBER",
    "RATELIMIT_SMS_PER_NUMBER_DAILY",
    "RATELIMIT_SMS_GLOBAL",
    "RATELIMIT_CODE_PER_IP",
    "RATELIMIT_SUBSCRIBE_PER_IP",
    "RATELIMIT_SUBSCRIBE_PER_NETWORK",
    "RATELIMIT_CONFIRM_EMAIL_PER_ADDRESS",
    "RATELIMIT_CONFIRM_EMAIL_GLOBAL",
    "RATELIMIT_ADMIN_LOGIN_PER_IP",
    "RATELIMIT_ADMIN_LOGIN_PER_USERNAME_NETWORK",
)


def longest_window() -> int:
    """Seconds the longest configured window keeps a counter (for the privacy page)."""
    rates = [getattr(settings, name, "") for name in RATE_SETTINGS]
    return max((period_seconds(rate) for rate in rates if rate), default=0)


# Proof-of-work (disclosure/pow.py, disclosure/pressure.py).


def _scaled(overage: float) -> int:
    from disclosure.pressure import scaled_difficulty

    return scaled_difficulty(overage)


def _site_pressure() -> int:
    """The difficulty the whole site demands now (0 while it is calm), read only."""
    from disclosure import pressure

    if not settings.RATELIMIT_ENABLE:
        return 0
    multiple = pressure.pressure()
    return 0 if multiple <= 1.0 else pressure.scaled_difficulty(multiple)


def _site_count() -> Site | None:
    """An anonymous check, to count site-wide with its layers (None: limits off)."""
    from disclosure import pressure

    return pressure.site_count() if settings.RATELIMIT_ENABLE else None


# The difficulty a request's solution was verified for, once per request.
_solved_by_request: WeakKeyDictionary[HttpRequest, int] = WeakKeyDictionary()


def _pow_solved(request: HttpRequest, payload: str | None, difficulty: int) -> bool:
    """Did the request bring a solution hard enough? A solution is spent on first
    use, so one request verifies it once. One made for the level just below still
    counts: pressure may have risen a step while the browser was solving it."""
    from disclosure import pow as proof_of_work

    solved = _solved_by_request.get(request)
    if solved is None:
        solved = _solved_by_request[request] = proof_of_work.solved_difficulty(payload)
    return solved > 0 and solved * 2 >= difficulty
