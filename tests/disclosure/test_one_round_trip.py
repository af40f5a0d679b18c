"""An anonymous check (the web check, a private-check evaluation) is one Redis round
trip: the site's pressure, the host, network and target layers, and the keys its
caller reads along, in one script call (disclosure.counters.Site); and the script
stops where the pressure's Python formula says the site is busy."""

import json
import time

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse

from disclosure import pressure
from disclosure.counters import Counted, count, count_in_order
from disclosure.policy import authorize_check, authorize_evaluation
from leaks import private_client
from leaks.public_set import VERSION_KEY, public_set
from tests.support.services import redis_commands

pytestmark = pytest.mark.django_db

NUMBER = "+8613800138000"


def request_from(ip: str = "203.0.113.5"):
    return RequestFactory().post("/", REMOTE_ADDR=ip)


def number_checks() -> int:
    rate = django_settings.RATELIMIT_CHECK_PER_NUMBER
    usage = count(
        request_from(), group="bc:number", subject=f"num:{NUMBER}", rate=rate, increment=False
    )
    assert usage is not None
    return usage.count


def test_an_anonymous_check_is_one_redis_round_trip(redis_client, monkeypatch):
    assert authorize_check(request_from(), NUMBER)  # the script is loaded once
    before = pressure.checks_per_minute()
    sent = redis_commands(redis_client, monkeypatch)

    assert authorize_check(request_from(), NUMBER)

    assert sent == ["EVALSHA"]
    # It was counted site-wide too.
    assert pressure.checks_per_minute() > before


def test_an_evaluation_is_one_redis_round_trip_with_the_public_version_read_along(
    redis_client, client, monkeypatch
):
    def evaluate():
        _blind, body = private_client.request_for(NUMBER)
        return client.post(
            reverse("bc-private-evaluate"), json.dumps(body), content_type="application/json"
        )

    assert evaluate().status_code == 200
    sent = redis_commands(redis_client, monkeypatch)

    assert evaluate().status_code == 200

    assert sent == ["EVALSHA"]


def test_the_keys_read_along_come_back_with_the_decision(any_cache):
    version = public_set().version
    decision = authorize_evaluation(request_from(), 7, also_read=(VERSION_KEY,))
    assert decision and decision.seen == {VERSION_KEY: version}


def test_a_check_refused_under_pressure_counts_nothing_but_the_site(any_cache, settings):
    settings.POW_CALM_CHECKS_PER_MINUTE = 2
    for n in range(2):
        assert authorize_check(request_from(f"198.51.100.{n + 1}"), NUMBER)
    assert number_checks() == 2

    decision = authorize_check(request_from("198.51.100.9"), NUMBER)

    assert not decision and decision.layer == "pressure"
    assert decision.pow_difficulty == pressure.scaled_difficulty(1.5)
    assert number_checks() == 2
    assert pressure.checks_per_minute() >= 3


def test_the_script_stops_exactly_where_the_pressure_says_busy(any_cache, settings):
    """For the same counts and time, the site is busy in the script (or the embedded
    path) exactly when Python's sliding minute is over the calm rate."""
    settings.POW_CALM_CHECKS_PER_MINUTE = 10
    minute = int(time.time()) // 60 * 60
    request = request_from()
    cases = 0
    for second in range(0, 60, 7):
        now = minute + second + 0.25
        bucket = int(now) // 60
        for last in range(12):
            # This minute's count, once the check is counted, around the boundary.
            edge = int(10 - last * pressure.site_count(now).weight)
            for this in (edge - 1, edge, edge + 1):
                if this < 1:
                    continue
                cache.set(pressure._bucket_key(bucket), this - 1, timeout=180)
                cache.set(pressure._bucket_key(bucket - 1), last, timeout=180)
                counter = Counted("t", f"case-{cases}", "5/h")
                counting = count_in_order(
                    request, [counter], site=pressure.site_count(now), reads=(VERSION_KEY,)
                )
                multiple = pressure.multiple_of_calm(pressure._sliding(now, this, last))
                assert counting.pressure == multiple
                assert counting.busy == (multiple > 1.0), (second, last, this)
                usage = count(request, group="t", subject=f"case-{cases}", rate="5/h")
                assert usage is not None
                # Counted only when the site was not busy (this read counts one more).
                assert usage.count == (1 if counting.busy else 2)
                assert cache.get(pressure._bucket_key(bucket)) == this
                cases += 1
    assert cases > 250
