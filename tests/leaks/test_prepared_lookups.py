"""On PostgreSQL a lookup's query is a prepared statement with one generic plan
(leaks/lookups.py: prepare_lookups), and it answers as the unprepared query would."""

import pytest
from django.db import connection

from leaks.hashing import bucket_range, current_version, phone_bucket
from leaks.lookups import _BUCKET_SQL, bucket_entries, found_breaches
from leaks.phones import normalize
from tests.factories import breach_with

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

E164 = "+8613800138000"


def _prepared() -> dict[str, tuple[int, int]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
        return {statement: (generic, custom) for statement, generic, custom in cursor.fetchall()}


def test_lookups_run_as_prepared_statements_with_a_generic_plan():
    shop = breach_with("shop", ["13800138000"], title="Shop")
    bucket, version = phone_bucket(E164), current_version()
    for _ in range(3):
        assert [b.slug for b in found_breaches(normalize(E164))] == ["shop"]
        rows = bucket_entries(bucket, version)
    assert shop.pk in {breach_id for _, breach_id in rows}
    prepared = _prepared()
    bucket_read = prepared[_numbered(_BUCKET_SQL)]
    # Planned once, generically, then only executed.
    assert bucket_read[0] >= 3 and bucket_read[1] == 0
    assert any(sql.startswith("SELECT breach_id FROM leaks_exposure WHERE") for sql in prepared)


def _numbered(sql: str) -> str:
    """The statement as PostgreSQL keeps it: psycopg's %s become $1, $2, ..."""
    parts = sql.split("%s")
    return "".join(part + (f"${i}" if i < len(parts) else "") for i, part in enumerate(parts, 1))


def test_the_prepared_bucket_read_answers_as_the_plain_query():
    breach_with("shop", ["13800138000", "13800138001", "13900139000"], title="Shop")
    version = current_version()
    for number in ("+8613800138000", "+8613800138001", "+8613900139000"):
        bucket = phone_bucket(number)
        first, last = bucket_range(bucket)
        with connection.cursor() as cursor:
            cursor.execute(_BUCKET_SQL, [first, last, version])
            plain = [(key - first, breach_id) for key, breach_id in cursor.fetchall()]
        assert bucket_entries(bucket, version) == plain and plain
