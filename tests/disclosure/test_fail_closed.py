"""Redis down: the gate closes. Each path is used with its limits tight while a
redis-server of the test's own is up, then the server is killed mid-run and the
answers and texts are counted: nothing past what the limits allowed while it
was up, a 503 with Retry-After (never a 500, never an answer), with sessions in
that Redis and in the database."""

import json
import logging
import re
import time

import pytest
from django.contrib.auth.models import User
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client
from django.urls import reverse

from alerts.models import Subscription
from api.keys import _known, apikey_create
from disclosure import outage
from leaks import private_client
from leaks.models import OwnershipCode
from tests.factories import breach_with
from tests.support.checks import check

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

NUMBER = "13800138000"
E164 = "+86" + NUMBER
SESSIONS = {"redis": "breachcheck.cache_sessions", "database": "breachcheck.sessions"}
CLOSED = "The site cannot answer safely right now"


@pytest.fixture(params=sorted(SESSIONS))
def site(request, private_redis, settings):
    """The counters in a Redis the test kills; sessions there too, or in the database."""
    settings.SESSION_ENGINE = SESSIONS[request.param]
    settings.LANGUAGE_CODE = "en"
    breach_with("shop", [NUMBER])
    return private_redis


@pytest.fixture(autouse=True)
def _gate_open():
    outage._state.update(closed_since=0.0, noted_at=0.0, refused=0)
    yield
    outage._state.update(closed_since=0.0, noted_at=0.0, refused=0)


def site_sessions(settings) -> str:
    return next(name for name, engine in SESSIONS.items() if engine == settings.SESSION_ENGINE)


def numbers(count: int, start: int = 0) -> list[str]:
    return [f"1390013{9000 + start + i:04d}" for i in range(count)]


def assert_closed(response, *, json_body: bool = False) -> None:
    assert response.status_code == 503, response.status_code
    assert response["Retry-After"] == "60"
    assert not response.has_header("Location")
    if json_body:
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["error"]
    else:
        assert CLOSED in response.content.decode()


def code_sent(outbox) -> str:
    body = json.loads(outbox.read_text(encoding="utf-8").splitlines()[-1])["body"]
    return re.findall(r"\b(\d{6})\b", body)[0]


def texts(outbox) -> int:
    return len(outbox.read_text().splitlines()) if outbox.exists() else 0


def test_the_web_check_answers_nothing_once_redis_is_gone(site, settings):
    settings.RATELIMIT_CHECK_PER_IP = "3/h"
    client = Client()
    before = [check(client, number).status_code for number in numbers(5)]
    assert before == [200, 200, 200, 429, 429]
    site.kill()
    for number in numbers(20, start=5):
        assert_closed(client.post("/", {"phone": number}))
    # The last result stays behind the gate too, and so does the check page.
    assert_closed(client.get(reverse("bc-result")))
    assert_closed(Client().post("/", {"phone": NUMBER}))
    assert_closed(Client().get(reverse("bc-pow-challenge")), json_body=True)


def test_the_private_check_evaluates_nothing_once_redis_is_gone(site, settings):
    settings.RATELIMIT_CHECK_PER_IP = "2/h"
    client = Client()

    def evaluate():
        _blind, body = private_client.request_for(E164)
        return client.post(
            reverse("bc-private-evaluate"), json.dumps(body), content_type="application/json"
        )

    assert [evaluate().status_code for _ in range(4)] == [200, 200, 429, 429]
    site.kill()
    for _ in range(10):
        response = evaluate()
        assert_closed(response, json_body=True)
        assert "evaluated" not in response.json() and "entries" not in response.json()


def test_the_api_looks_up_nothing_once_redis_is_gone(site):
    _, token = apikey_create(name="partner", rate="3/m")

    def lookup(number: str = NUMBER):
        return Client().post(
            "/api/v1/lookup",
            {"number": number},
            content_type="application/json",
            HTTP_X_API_KEY=token,
        )

    assert [lookup().status_code for _ in range(5)] == [200, 200, 200, 429, 429]
    site.kill()
    for number in [NUMBER, *numbers(5)]:
        response = lookup(number)
        assert_closed(response, json_body=True)
        assert response.json()["error"] == "unavailable" and "breaches" not in response.json()
    # A request that fails validation still counts against its key: it cannot be
    # counted, so it is not answered either.
    assert_closed(lookup("12345"), json_body=True)
    # A process that has not seen the key yet cannot read it either: still a 503.
    _known.clear()
    assert_closed(lookup(), json_body=True)


def test_no_code_is_texted_once_redis_is_gone(site, settings, sms_outbox):
    settings.RATELIMIT_SMS_PER_NUMBER = "1/5m"
    client = Client()
    assert client.post(reverse("bc-proof-send"), {"phone": NUMBER}).status_code == 302
    assert texts(sms_outbox) == 1
    site.kill()
    for number in [NUMBER, *numbers(10)]:
        assert_closed(Client().post(reverse("bc-proof-send"), {"phone": number}))
        assert_closed(client.post(reverse("bc-proof-send"), {"phone": number}))
    # "Send a new code" texts the number kept in the session: refused all the same.
    assert_closed(client.post(reverse("bc-proof-again")))
    assert texts(sms_outbox) == 1
    assert OwnershipCode.objects.count() == 1


def test_codes_cannot_be_tried_once_redis_is_gone(site, settings, sms_outbox):
    client = Client()
    assert client.post(reverse("bc-proof-send"), {"phone": NUMBER}).status_code == 302
    code = code_sent(sms_outbox)
    site.kill()
    for guess in ["000000", "123456", code]:
        assert_closed(client.post(reverse("bc-proof-code"), {"code": guess}))
    # Refused before the code was looked at: not one of its attempts was spent.
    assert OwnershipCode.objects.get().attempts == 0
    site.start()
    if site_sessions(settings) == "database":
        # The session outlived the outage: the right code works once Redis is back.
        proven = client.post(reverse("bc-proof-code"), {"code": code})
        assert proven.status_code == 302 and proven["Location"] == reverse("bc-result")


def test_no_subscription_or_mail_once_redis_is_gone(site, settings, sms_outbox, mailoutbox):
    client = Client()
    assert client.post(reverse("bc-proof-send"), {"phone": NUMBER}).status_code == 302
    assert client.post(reverse("bc-proof-code"), {"code": code_sent(sms_outbox)}).status_code == 302
    subscribed = client.post(reverse("bc-alerts-subscribe"), {"email": "a@example.com"})
    assert subscribed.status_code == 302 and len(mailoutbox) == 1
    site.kill()
    for n in range(5):
        assert_closed(client.post(reverse("bc-alerts-subscribe"), {"email": f"b{n}@example.com"}))
        assert_closed(client.post(reverse("bc-alerts-resend")))
    assert len(mailoutbox) == 1 and Subscription.objects.count() == 1


def test_admin_logins_are_refused_with_a_clear_message_once_redis_is_gone(site):
    User.objects.create_user("boss", password="a long admin password", is_staff=True)
    site.kill()
    client = Client()
    form = {"username": "boss", "password": "a long admin password", "next": "/admin/"}
    response = client.post("/admin/login/", form)
    assert response.status_code == 503 and response["Retry-After"] == "60"
    assert "manage.py" in response.content.decode()
    # No session was made: nobody is logged in.
    assert "sessionid" not in response.cookies
    index = client.get("/admin/")
    assert index.status_code == 302 and index["Location"].startswith("/admin/login/")


def test_the_log_says_so_once_a_minute_not_once_a_request(site, caplog):
    caplog.set_level(logging.INFO)
    client = Client()
    assert check(client, NUMBER).status_code == 200
    site.kill()
    for number in numbers(15):
        assert client.post("/", {"phone": number}).status_code == 503
    notes = [r for r in caplog.records if r.name == "disclosure.gate"]
    assert len(notes) == 1 and notes[0].levelno == logging.ERROR
    assert "gate is closed" in notes[0].getMessage() and "ConnectionError" in notes[0].getMessage()
    assert not [r for r in caplog.records if r.name == "django.request"]
    # A minute later it says so again, with the count since.
    outage._state["noted_at"] -= outage.NOTE_EVERY_SECONDS
    assert client.post("/", {"phone": NUMBER}).status_code == 503
    notes = [r for r in caplog.records if r.name == "disclosure.gate"]
    assert len(notes) == 2 and "15 refused" in notes[1].getMessage()
    # Redis back: the gate opens by itself, and the log says that once.
    site.start()
    assert check(Client(), NUMBER).status_code == 200
    assert check(Client(), NUMBER).status_code == 200
    notes = [r for r in caplog.records if r.name == "disclosure.gate"]
    assert len(notes) == 3 and "open again" in notes[2].getMessage()


def test_a_hung_redis_fails_a_check_within_seconds(site):
    client = Client()
    assert check(client, NUMBER).status_code == 200
    site.freeze()
    try:
        started = time.monotonic()
        assert_closed(client.post("/", {"phone": NUMBER}))
        assert time.monotonic() - started < 4
    finally:
        site.thaw()


def test_ready_names_redis_while_live_stays_up(site):
    site.kill()
    ready = Client().get("/healthz/ready")
    assert ready.status_code == 503 and ready.json()["failing"] == ["redis"]
    assert Client().get("/healthz/live").status_code == 200


# Each counter on its own: a failing store raises GateUnavailable, never "not over".


def test_every_counter_raises_when_redis_is_gone(private_redis, rf):
    from disclosure import pow, pressure
    from disclosure.counters import (
        Counted,
        GateUnavailable,
        count,
        count_in_order,
        take_within,
    )

    request = rf.get("/")
    assert count(request, group="t", subject="s", rate="5/h").count == 1
    private_redis.kill()
    calls = {
        "count": lambda: count(request, group="t", subject="s", rate="5/h"),
        "count, reading": lambda: count(
            request, group="t", subject="s", rate="5/h", increment=False
        ),
        "count_in_order": lambda: count_in_order(request, [Counted("t", "s", "5/h")]),
        "take_within": lambda: take_within(
            group="t", subject="s", limit=5, ends_at=int(time.time()) + 60
        ),
        "pressure, counting": lambda: count_in_order(request, [], site=pressure.site_count()),
        "pressure, reading": pressure.checks_per_minute,
        "pressure, the plain counting": pressure.record_check,
        "a spent solution": lambda: pow._first_use("signature", int(time.time()) + 60),
    }
    for name, call in calls.items():
        with pytest.raises(GateUnavailable):
            call()
            pytest.fail(f"{name} did not raise")


class SilentlyFailingCache(LocMemCache):
    """As Django's memcached backends behave with their server gone: nothing is
    added, nothing is found, and nothing raises but incr's ValueError."""

    def add(self, *args: object, **kwargs: object) -> bool:
        return False

    def get(self, key: str, default: object = None, version: int | None = None) -> object:
        return None

    def incr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        raise ValueError(f"Key {key!r} not found.")


def test_a_cache_that_fails_without_raising_still_closes_the_gate(settings, rf):
    from disclosure.counters import GateUnavailable, count

    backend = f"{__name__}.SilentlyFailingCache"
    settings.CACHES = {"default": {"BACKEND": backend}}
    for increment in (True, False):
        with pytest.raises(GateUnavailable):
            count(rf.get("/"), group="t", subject="s", rate="5/h", increment=increment)


def test_a_full_redis_that_may_not_evict_closes_the_gate(private_redis, rf):
    import redis

    from disclosure.counters import Counted, GateUnavailable, count_in_order, take_within

    server = redis.Redis.from_url(private_redis.url)
    server.config_set("maxmemory-policy", "noeviction")
    server.config_set("maxmemory", int(server.info("memory")["used_memory"]) + 200_000)
    with pytest.raises(redis.ResponseError):
        for i in range(10_000):
            server.set(f"filler-{i}", "x" * 1000)
    with pytest.raises(GateUnavailable):
        count_in_order(rf.get("/"), [Counted("t", "s", "5/h")])
    with pytest.raises(GateUnavailable):
        take_within(group="t", subject="s", limit=5, ends_at=int(time.time()) + 60)
    assert_closed(Client().post("/", {"phone": NUMBER}, HTTP_ACCEPT_LANGUAGE="en"))
