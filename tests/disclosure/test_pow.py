"""Proof-of-work challenges, their one-time verification, and site-wide pressure."""

import base64
import hashlib
import json
import struct
import uuid

import pytest
from django.conf import settings as django_settings
from django.core.cache.backends.redis import RedisCache

from bench.pow_solver import solve
from disclosure import pow, pressure
from tests.support.services import need


@pytest.fixture
def small(settings):
    """Cheap puzzles, so the tests spend milliseconds solving."""
    settings.POW_COST = 10
    settings.POW_MIN_DIFFICULTY = 20
    settings.POW_MAX_DIFFICULTY = 2000
    settings.POW_CALM_CHECKS_PER_MINUTE = 10


def _decode(payload: str) -> dict:
    return json.loads(base64.b64decode(payload))


def _encode(data: dict) -> str:
    return base64.b64encode(json.dumps(data).encode()).decode()


def test_it_accepts_a_solved_challenge(small):
    payload, cpu_seconds = solve(pow.challenge(20))
    assert cpu_seconds >= 0
    assert pow.verify(payload) is True


def test_a_solution_is_good_for_one_answer_only(small):
    payload, _ = solve(pow.challenge(20))
    assert pow.verify(payload) is True
    assert pow.verify(payload) is False


def test_each_challenge_is_fresh_and_its_counter_is_in_the_upper_half(small):
    counters = set()
    for _ in range(10):
        payload, _ = solve(pow.challenge(40))
        counters.add(_decode(payload)["solution"]["counter"])
    assert all(20 <= counter < 40 for counter in counters)
    assert len(counters) > 1


def test_it_rejects_a_tampered_challenge(small):
    payload, _ = solve(pow.challenge(20))
    data = _decode(payload)
    data["challenge"]["parameters"]["cost"] = 1
    assert pow.verify(_encode(data)) is False
    data = _decode(payload)
    data["challenge"]["parameters"]["expiresAt"] += 3600
    assert pow.verify(_encode(data)) is False
    data = _decode(payload)
    data["challenge"]["signature"] = "0" * 64
    assert pow.verify(_encode(data)) is False
    assert pow.verify(payload) is True


def test_it_rejects_a_wrong_number(small):
    challenge = pow.challenge(20)
    payload, _ = solve(challenge)
    data = _decode(payload)
    params = challenge["parameters"]
    wrong = data["solution"]["counter"] + 1
    # The key an honest solver would have derived for the wrong counter.
    derived = hashlib.pbkdf2_hmac(
        "sha256",
        bytes.fromhex(params["nonce"]) + struct.pack(">I", wrong),
        bytes.fromhex(params["salt"]),
        params["cost"],
        params["keyLength"],
    )
    data["solution"] = {"counter": wrong, "derivedKey": derived.hex()}
    assert pow.verify(_encode(data)) is False
    data["solution"] = {"counter": wrong, "derivedKey": "ab" * 32}
    assert pow.verify(_encode(data)) is False


def test_it_rejects_an_expired_challenge(small, settings):
    settings.POW_CHALLENGE_TTL = -1
    payload, _ = solve(pow.challenge(20))
    assert pow.verify(payload) is False


def test_it_rejects_a_challenge_signed_under_another_key(small, settings):
    settings.POW_HMAC_KEY = "another-key"
    payload, _ = solve(pow.challenge(20))
    settings.POW_HMAC_KEY = "the-real-key"
    assert pow.verify(payload) is False


@pytest.mark.parametrize(
    "garbage",
    [
        None,
        "",
        "not base64 at all!",
        base64.b64encode(b"not json").decode(),
        base64.b64encode(b"[1, 2, 3]").decode(),
        base64.b64encode(b'{"challenge": {}, "solution": {}}').decode(),
        base64.b64encode(b"\xff\xfe").decode(),
        "A" * 100_000,
    ],
)
def test_it_rejects_garbage(garbage):
    assert pow.verify(garbage) is False


def test_the_challenge_view_answers_fresh_json_sized_by_pressure(small, client):
    response = client.get("/pow/challenge/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    calm = response.json()
    assert calm["parameters"]["algorithm"] == "PBKDF2/SHA-256"
    payload, _ = solve(calm)
    assert _decode(payload)["solution"]["counter"] < 20
    assert pow.verify(payload)

    for _ in range(50):  # 50 a minute against a calm 10: five times the minimum
        pressure.record_check()
    challenge = client.get("/pow/challenge/").json()
    # Five times the calm rate: three doublings of the minimum.
    assert challenge["parameters"]["data"]["difficulty"] == 160
    payload, _ = solve(challenge)
    assert 80 <= _decode(payload)["solution"]["counter"] < 160
    assert pow.verify(payload)


def test_the_challenge_view_refuses_post(client):
    assert client.post("/pow/challenge/").status_code == 405


def test_pressure_rises_with_recorded_checks(small):
    now = 1_800_000_000.0  # the start of a minute
    assert pressure.pressure(now) == 0
    assert pressure.is_calm(now)
    for _ in range(10):
        pressure.record_check(now)
    assert pressure.pressure(now) == pytest.approx(1.0)
    assert pressure.is_calm(now)
    for _ in range(30):
        pressure.record_check(now + 1)
    assert pressure.pressure(now + 1) == pytest.approx(4.0)
    assert not pressure.is_calm(now + 1)


def test_last_minutes_checks_fade_out_over_the_next_minute(small):
    now = 1_800_000_000.0
    for _ in range(20):
        pressure.record_check(now)
    assert pressure.checks_per_minute(now + 60) == pytest.approx(20)
    assert pressure.checks_per_minute(now + 90) == pytest.approx(10)
    assert pressure.checks_per_minute(now + 120) == 0


def test_difficulty_rises_with_pressure_up_to_the_maximum(small):
    now = 1_800_000_000.0
    assert pressure.difficulty(now) == 20
    for _ in range(10):
        pressure.record_check(now)
    assert pressure.difficulty(now) == 20
    for _ in range(10):
        pressure.record_check(now)
    assert pressure.difficulty(now) == 40  # twice the calm rate, twice the work
    for _ in range(5):
        pressure.record_check(now)
    assert pressure.difficulty(now) == 80  # 2.5 times: the next whole doubling
    for _ in range(15):
        pressure.record_check(now)
    assert pressure.difficulty(now) == 80
    for _ in range(5000):
        pressure.record_check(now)
    assert pressure.difficulty(now) == 2000


def test_defaults_keep_the_site_calm_and_cheap():
    assert pressure.is_calm()
    assert pressure.difficulty() == django_settings.POW_MIN_DIFFICULTY


def test_the_replay_store_holds_across_two_redis_clients(small, monkeypatch):
    url = django_settings.REDIS_URL or "redis://127.0.0.1:6379/0"
    import redis

    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError:
        need(False, f"Redis at {url}")
    prefix = f"bc-test-pow-{uuid.uuid4().hex}"
    first = RedisCache(url, {"KEY_PREFIX": prefix})
    second = RedisCache(url, {"KEY_PREFIX": prefix})
    assert first._cache is not second._cache
    payload, _ = solve(pow.challenge(20))
    try:
        monkeypatch.setattr(pow, "cache", first)
        assert pow.verify(payload) is True
        monkeypatch.setattr(pow, "cache", second)
        assert pow.verify(payload) is False
        (key,) = redis.Redis.from_url(url).keys(f"{prefix}:*")
        assert 0 < redis.Redis.from_url(url).ttl(key) <= django_settings.POW_CHALLENGE_TTL + 5
    finally:
        client = redis.Redis.from_url(url)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


@pytest.mark.urls("tests.support.pow_urls")
def test_the_field_tells_a_browser_without_javascript_why(client):
    page = client.get("/pow-test/").content.decode()
    assert "<noscript>" in page
    assert "这次查询需要启用 JavaScript" in page
    page = client.get("/pow-test/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The site is busy; this check needs JavaScript" in page
    assert 'name="altcha"' in page
    assert 'challenge="/pow/challenge/"' in page
