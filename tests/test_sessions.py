"""Sessions are saved in one statement, and a taken key is still never reused."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from breachcheck import sessions
from breachcheck.sessions import SessionStore

# Outside a test transaction, as a request runs (no atomic block around the save).
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_new_session_is_one_insert():
    store = SessionStore()
    store["bc_numbers"] = {"entries": []}
    with CaptureQueriesContext(connection) as queries:
        store.save()
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert statements == ["INSERT"]
    assert SessionStore(store.session_key)["bc_numbers"] == {"entries": []}


def test_an_existing_session_is_one_update():
    store = SessionStore()
    store["a"] = 1
    store.save()
    store["a"] = 2
    with CaptureQueriesContext(connection) as queries:
        store.save()
    assert [q["sql"].split()[0].upper() for q in queries.captured_queries] == ["UPDATE"]
    assert SessionStore(store.session_key)["a"] == 2


def test_a_taken_key_is_drawn_again(monkeypatch):
    taken = SessionStore()
    taken["owner"] = "first"
    taken.save()
    keys = iter([taken.session_key, "b" * 32])
    monkeypatch.setattr(sessions, "get_random_string", lambda *args: next(keys))
    second = SessionStore()
    second["owner"] = "second"
    second.save()
    assert second.session_key == "b" * 32
    assert SessionStore(taken.session_key)["owner"] == "first"


def test_the_check_uses_this_store(settings):
    assert settings.SESSION_ENGINE == "breachcheck.sessions"
