import threading
from typing import Any

import pytest
from django.test import RequestFactory, override_settings

from disclosure.counters import count, opaque
from disclosure.network import client_ip, host_of, networks_of
from disclosure.policy import (
    api_rate,
    authorize_admin_login,
    authorize_check,
    authorize_sms,
    longest_window,
)

NUMBER = "+8613800138000"


def request_from(ip: str = "203.0.113.5", forwarded: str | None = None):
    extra: dict[str, Any] = {"REMOTE_ADDR": ip}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/", **extra)


def test_hosts_and_networks_of_ipv4_and_ipv6():
    assert host_of("203.0.113.77") == "203.0.113.77"
    assert networks_of("203.0.113.77") == ["203.0.113.0/24"]
    assert host_of("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert networks_of("2001:db8:1:2:3:4:5:6") == ["2001:db8:1::/56", "2001:db8:1::/48"]
    assert networks_of("::ffff:203.0.113.77") == ["203.0.113.0/24"]


@override_settings(IPV6_NETWORK_PREFIXES="60,52,44", IPV6_HOST_PREFIX=56)
def test_ipv6_prefixes_are_settings():
    assert host_of("2001:db8:1:2::1") == "2001:db8:1::/56"
    assert networks_of("2001:db8:1:2::1") == [
        "2001:db8:1::/60",
        "2001:db8:1::/52",
        "2001:db8::/44",
    ]


def test_count_counts_up_to_the_rate_then_is_over():
    request = RequestFactory().post("/")
    over = [count(request, group="t", subject="k1", rate="3/h").over for _ in range(5)]
    assert over == [False, False, False, True, True]
    assert not count(request, group="t", subject="k2", rate="3/h").over


def test_opaque_hides_the_value_and_is_stable():
    assert opaque("13800138000") == opaque("13800138000")
    assert "13800138000" not in opaque("13800138000")


@override_settings(TRUSTED_PROXIES=[])
def test_client_ip_ignores_forwarded_for_without_a_trusted_proxy():
    assert client_ip(request_from("198.51.100.9", "1.2.3.4")) == "198.51.100.9"


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8"])
def test_client_ip_ignores_forwarded_for_from_an_untrusted_sender():
    assert client_ip(request_from("198.51.100.9", "1.2.3.4")) == "198.51.100.9"


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8", "127.0.0.1"])
def test_client_ip_takes_the_rightmost_untrusted_hop_behind_a_trusted_proxy():
    # The client forged "6.6.6.6"; the proxy appended the address it saw.
    assert client_ip(request_from("127.0.0.1", "6.6.6.6, 198.51.100.9")) == "198.51.100.9"
    # Two trusted proxies in a row are skipped.
    assert client_ip(request_from("127.0.0.1", "6.6.6.6, 198.51.100.9, 10.1.2.3")) == (
        "198.51.100.9"
    )
    assert client_ip(request_from("10.0.0.1", "2001:db8::1")) == "2001:db8::1"


@override_settings(TRUSTED_PROXIES=["127.0.0.1"])
def test_client_ip_stops_at_garbage_and_without_header_keeps_the_proxy():
    assert client_ip(request_from("127.0.0.1", "198.51.100.9, not-an-ip")) == "127.0.0.1"
    assert client_ip(request_from("127.0.0.1")) == "127.0.0.1"


@override_settings(RATELIMIT_CHECK_PER_IP="3/h", RATELIMIT_CHECK_PER_NETWORK="")
def test_per_ip_layer_limits_one_address_and_not_its_neighbour():
    results = [
        bool(authorize_check(request_from("203.0.113.5"), f"+861380013800{i}")) for i in range(5)
    ]
    assert results == [True, True, True, False, False]
    assert authorize_check(request_from("203.0.113.6"), NUMBER)


@override_settings(RATELIMIT_CHECK_PER_IP="100/h", RATELIMIT_CHECK_PER_NETWORK="4/h")
def test_per_network_layer_limits_a_whole_slash_24():
    results = [
        bool(authorize_check(request_from(f"203.0.113.{i}"), f"+86138001380{i:02}"))
        for i in range(6)
    ]
    assert results == [True] * 4 + [False] * 2
    assert authorize_check(request_from("203.0.114.1"), NUMBER)


@override_settings(RATELIMIT_CHECK_PER_IP="4/h", RATELIMIT_CHECK_PER_NUMBER="")
def test_an_ipv6_host_is_its_whole_64():
    decisions = [authorize_check(request_from(f"2001:db8:0:1::{i:x}"), NUMBER) for i in range(1, 6)]
    assert [bool(d) for d in decisions] == [True] * 4 + [False]
    assert decisions[-1].layer == "ip" and decisions[-1].needs_pow
    assert authorize_check(request_from("2001:db8:0:2::1"), NUMBER)


@override_settings(RATELIMIT_CHECK_PER_NETWORK="4/h", RATELIMIT_CHECK_PER_NUMBER="")
def test_ipv6_networks_count_at_56_and_48():
    in_one_56 = [authorize_check(request_from(f"2001:db8:0:{i:x}::1"), NUMBER) for i in range(5)]
    assert [bool(d) for d in in_one_56] == [True] * 4 + [False]
    assert in_one_56[-1].layer == "network"
    # Other /56s of the same /48 share the /48's counter.
    assert not authorize_check(request_from("2001:db8:0:100::1"), NUMBER)
    assert authorize_check(request_from("2001:db8:1::1"), NUMBER)


@override_settings(RATELIMIT_CHECK_PER_NUMBER="3/h")
def test_per_number_layer_limits_one_number_from_many_places():
    decisions = [authorize_check(request_from(f"198.51.{i}.1"), NUMBER) for i in range(4)]
    assert [bool(d) for d in decisions] == [True, True, True, False]
    # The number's budget is hard: no proof-of-work buys past it.
    assert decisions[-1].layer == "number" and not decisions[-1].needs_pow
    assert authorize_check(request_from("198.51.99.1"), "+8613900139000")


@override_settings(RATELIMIT_CHECK_PER_IP="2/h", RATELIMIT_CHECK_PER_NUMBER="3/h")
def test_a_blocked_client_does_not_use_up_a_victims_number_budget():
    for _ in range(50):
        authorize_check(request_from("203.0.113.5"), NUMBER)
    # The 2 answers it got count; the 48 refused ones do not.
    assert authorize_check(request_from("198.51.0.1"), NUMBER)
    assert not authorize_check(request_from("198.52.0.1"), NUMBER)


@override_settings(RATELIMIT_SMS_GLOBAL="3/h")
def test_text_messages_have_a_global_budget():
    decisions = [
        authorize_sms(request_from(f"198.{i}.0.1"), f"+86138001380{i:02}") for i in range(4)
    ]
    assert [bool(d) for d in decisions] == [True] * 3 + [False]
    assert decisions[-1].layer == "global"


@override_settings(RATELIMIT_CHECK_PER_IP="1/h")
def test_decision_says_how_long_to_wait_within_the_window():
    authorize_check(request_from(), NUMBER)
    decision = authorize_check(request_from(), NUMBER)
    assert not decision
    assert 0 < decision.retry_after <= 3600


@override_settings(RATELIMIT_CHECK_PER_IP="2/h", RATELIMIT_ADMIN_LOGIN_PER_IP="2/h")
def test_actions_have_separate_budgets():
    for _ in range(2):
        assert authorize_check(request_from(), NUMBER)
    assert not authorize_check(request_from(), NUMBER)
    assert authorize_admin_login(request_from(), "root")


@override_settings(
    RATELIMIT_ADMIN_LOGIN_PER_USERNAME_NETWORK="2/15m", RATELIMIT_ADMIN_LOGIN_PER_IP=""
)
def test_admin_login_counts_per_username_and_network_whatever_its_case():
    assert authorize_admin_login(request_from("198.51.100.1"), "Admin")
    assert authorize_admin_login(request_from("198.51.100.2"), "admin ")
    assert not authorize_admin_login(request_from("198.51.100.3"), "ADMIN")
    assert authorize_admin_login(request_from("198.51.100.3"), "editor")
    # The same admin from another network is not locked out.
    assert authorize_admin_login(request_from("203.0.113.1"), "admin")


@override_settings(API_KEY_MAX_RATE="100/m")
def test_a_keys_rate_never_exceeds_the_ceiling():
    assert api_rate("60/m") == "60/m"
    assert api_rate("2/s") == "100/m"
    assert api_rate("999999/s") == "100/m"


@override_settings(RATELIMIT_CHECK_PER_IP="", RATELIMIT_CHECK_PER_NETWORK="")
def test_an_empty_setting_turns_a_layer_off():
    assert all(authorize_check(request_from(), f"+86138001380{i:02}") for i in range(30))


@override_settings(RATELIMIT_ENABLE=False, RATELIMIT_CHECK_PER_IP="1/h")
def test_ratelimit_enable_false_allows_everything():
    assert all(authorize_check(request_from(), NUMBER) for _ in range(5))


@pytest.mark.slow
@override_settings(
    RATELIMIT_CHECK_PER_IP="100/h", RATELIMIT_CHECK_PER_NETWORK="", POW_CALM_CHECKS_PER_MINUTE=1000
)
def test_counting_is_atomic_under_concurrency():
    # Threads use separate cache connections (separate Redis connections in
    # Redis mode), so lost updates would let more than 100 through.
    allowed = []
    lock = threading.Lock()

    def attack() -> None:
        for i in range(40):
            ok = bool(authorize_check(request_from("203.0.113.5"), f"+86138001{i:05}"))
            with lock:
                allowed.append(ok)

    threads = [threading.Thread(target=attack) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == 240
    assert allowed.count(True) == 100


@override_settings(RATELIMIT_ADMIN_LOGIN_PER_IP="10/15m", RATELIMIT_SMS_PER_NUMBER="5/d")
def test_longest_window_covers_every_policy():
    assert longest_window() == 86400
