"""Sessions are saved without a key probe or a wait for the disk, and a taken key is
still never reused."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from breachcheck import sessions
from breachcheck.sessions import SessionStore

# Outside a test transaction, as a request runs (no atomic block around the save).
pytestmark = pytest.mark.django_db(transaction=True)


def _statements(queries) -> list[str]:
    return [" ".join(q["sql"].split()[:3]).upper() for q in queries.captured_queries]


# On PostgreSQL the session's write is its own transaction that does not wait for the flush.
_PG = connection.vendor == "postgresql"


def _around(statement: str) -> list[str]:
    return ["BEGIN", "SET", statement, "COMMIT"] if _PG else [statement]


def test_a_new_session_is_one_insert():
    store = SessionStore()
    store["bc_numbers"] = {"entries": []}
    with CaptureQueriesContext(connection) as queries:
        store.save()
    assert [s.split()[0] for s in _statements(queries)] == _around("INSERT")
    assert SessionStore(store.session_key)["bc_numbers"] == {"entries": []}


def test_an_existing_session_is_one_update():
    store = SessionStore()
    store["a"] = 1
    store.save()
    store["a"] = 2
    with CaptureQueriesContext(connection) as queries:
        store.save()
    assert [s.split()[0] for s in _statements(queries)] == _around("UPDATE")
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


@pytest.mark.postgres
def test_on_postgresql_the_session_write_does_not_wait_for_the_flush():
    store = SessionStore()
    store["a"] = 1
    with CaptureQueriesContext(connection) as queries:
        store.save()
    assert _statements(queries)[1] == "SET LOCAL SYNCHRONOUS_COMMIT"
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        # Only that transaction: the connection's other writes still wait.
        assert cursor.fetchone()[0] == "on"


def test_the_check_uses_this_store_without_redis_and_redis_with_it(settings):
    # Redis keeps them off the database; the embedded default has only the database.
    redis_store = "breachcheck.cache_sessions"
    expected = redis_store if settings.REDIS_URL else "breachcheck.sessions"
    assert expected == settings.SESSION_ENGINE
