"""Each process remembers the keys it has read; a lookup with a remembered key is
one Redis round trip, and a key changed in another process since is read again
before anything is counted (api/keys.py, disclosure.counters.Guard)."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import RequestFactory

from api import keys
from api.keys import KEYS_VERSION_KEY, apikey_create, apikey_revoke
from disclosure.counters import count
from disclosure.policy import api_rate
from tests.support.services import redis_commands

pytestmark = pytest.mark.django_db

NUMBER = "13800138000"


def lookup(client, token: str):
    return client.post(
        "/api/v1/lookup", {"number": NUMBER}, content_type="application/json", HTTP_X_API_KEY=token
    )


def used(group: str, subject: str, rate: str) -> int:
    usage = count(
        RequestFactory().get("/"), group=group, subject=subject, rate=rate, increment=False
    )
    assert usage is not None
    return usage.count


def number_lookups() -> int:
    return used("bc:number", f"num:+86{NUMBER}", settings.RATELIMIT_CHECK_PER_NUMBER)


def key_requests(api_key) -> int:
    return used("bc:api:key", f"key:{api_key.key_hash}", api_rate(api_key.rate))


def revoked_elsewhere(client):
    """A key this process has used, revoked by another process: this one still
    remembers it as it read it."""
    api_key, token = apikey_create(name="researcher", rate="10/h")
    assert lookup(client, token).status_code == 200
    remembered = keys._known[api_key.key_hash]
    apikey_revoke(api_key=api_key)
    keys._known[api_key.key_hash] = remembered
    return api_key, token


def test_a_key_revoked_in_another_process_counts_nothing(any_cache, client):
    api_key, token = revoked_elsewhere(client)

    response = lookup(client, token)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_api_key"
    assert number_lookups() == 1
    assert key_requests(api_key) == 1


def test_a_revoked_key_with_a_bad_request_is_still_told_it_is_revoked(any_cache, client):
    api_key, token = revoked_elsewhere(client)

    response = client.post(
        "/api/v1/lookup", {"number": "12"}, content_type="application/json", HTTP_X_API_KEY=token
    )

    assert response.status_code == 401
    assert key_requests(api_key) == 1


def test_a_rate_changed_in_another_process_counts_at_once(any_cache, client):
    api_key, token = apikey_create(name="researcher", rate="1/h")
    assert lookup(client, token).status_code == 200
    remembered = keys._known[api_key.key_hash]
    api_key.rate = "5/h"
    api_key.save()
    keys._known[api_key.key_hash] = remembered

    # Under the remembered 1/h this would be the 429.
    assert lookup(client, token).status_code == 200
    assert keys._known[api_key.key_hash].api_key.rate == "5/h"


def test_a_flushed_version_is_started_again(any_cache, client):
    api_key, token = apikey_create(name="researcher", rate="10/h")
    assert lookup(client, token).status_code == 200
    cache.delete(KEYS_VERSION_KEY)

    assert lookup(client, token).status_code == 200
    assert keys._known[api_key.key_hash].version == cache.get(KEYS_VERSION_KEY)
    assert number_lookups() == 2


def test_a_lookup_with_a_remembered_key_is_one_redis_round_trip(redis_client, client, monkeypatch):
    _api_key, token = apikey_create(name="researcher", rate="10/h")
    assert lookup(client, token).status_code == 200
    sent = redis_commands(redis_client, monkeypatch)

    assert lookup(client, token).status_code == 200

    assert sent == ["EVALSHA"]
