"""Sessions in Redis are created with one write (no key probe), and a taken key is
still never reused."""

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.test.utils import override_settings
from django.utils.crypto import get_random_string

from breachcheck import cache_sessions
from breachcheck.cache_sessions import SessionStore
from tests.support.services import redis_commands


def test_a_new_session_is_one_write(redis_client, monkeypatch):
    store = SessionStore()
    store["bc_numbers"] = {"entries": []}
    sent = redis_commands(redis_client, monkeypatch)
    store.save()
    assert sent == ["SET"]
    assert SessionStore(store.session_key)["bc_numbers"] == {"entries": []}


def test_a_taken_key_is_drawn_again(redis_client, monkeypatch):
    taken = SessionStore()
    taken["owner"] = "first"
    taken.save()
    fresh = get_random_string(32, VALID_KEY_CHARS)
    keys = iter([taken.session_key, fresh])
    monkeypatch.setattr(cache_sessions, "get_random_string", lambda *args: next(keys))
    second = SessionStore()
    second["owner"] = "second"
    second.save()
    assert second.session_key == fresh
    assert SessionStore(taken.session_key)["owner"] == "first"


@override_settings(SESSION_ENGINE="breachcheck.cache_sessions")
def test_a_check_keeps_its_session_in_redis_not_the_database(redis_client, client, db):
    from django.contrib.sessions.models import Session

    response = client.post("/", {"phone": "13800138000"})
    assert response.status_code == 302
    key = response.cookies["sessionid"].value
    assert "bc_numbers" in SessionStore(key).load()
    assert not Session.objects.exists()
