"""/healthz/live touches nothing; /healthz/ready fails when the database or Redis is gone."""

from unittest import mock

import pytest
from django.core.cache.backends.base import BaseCache
from django.db import OperationalError, connections
from django.test import override_settings

pytestmark = pytest.mark.django_db


class UntouchableCache(BaseCache):
    """A cache that fails the test if anyone uses it."""

    def __init__(self, location, params):
        super().__init__(params)

    def _touched(self, *args, **kwargs):
        raise AssertionError("the cache was used")

    add = get = set = delete = touch = incr = get_many = has_key = clear = _touched


UNTOUCHABLE = {"default": {"BACKEND": f"{__name__}.UntouchableCache"}}


def test_live_answers_without_database_cache_or_session(client, django_assert_num_queries):
    with override_settings(CACHES=UNTOUCHABLE), django_assert_num_queries(0):
        response = client.get("/healthz/live")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "sessionid" not in response.cookies
    assert "no-cache" in response["Cache-Control"]


def test_live_answers_while_the_database_is_down(client):
    with mock.patch.object(
        connections["default"], "ensure_connection", side_effect=OperationalError("down")
    ):
        response = client.get("/healthz/live")
    assert response.status_code == 200


def test_ready_when_database_and_cache_answer(client, settings):
    response = client.get("/healthz/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_fails_when_the_database_is_unreachable(client):
    with mock.patch.object(
        connections["default"], "ensure_connection", side_effect=OperationalError("down")
    ):
        response = client.get("/healthz/ready")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failing": ["database:default"]}


def test_ready_fails_when_redis_is_unreachable(client, settings):
    # Port 1 on localhost: nothing listens, so the connection is refused at once.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    body = response.json()
    assert body == {"status": "unavailable", "failing": ["redis"]}
    assert "127.0.0.1" not in response.content.decode()


def test_ready_ignores_redis_when_none_is_configured(client, settings):
    settings.REDIS_URL = ""
    with mock.patch("breachcheck.health._redis_ok", side_effect=AssertionError("probed")):
        response = client.get("/healthz/ready")
    assert response.status_code == 200
