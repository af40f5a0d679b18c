"""Which breaches hold a number: the read side of the site."""

import functools
import operator
from collections.abc import Mapping
from itertools import repeat
from operator import itemgetter
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.db.models import QuerySet
from django.dispatch import receiver

from leaks.hashing import KEY_BYTES, bucket_range, phone_hashes, stored_key
from leaks.lookup_reads import read_for_lookup
from leaks.models import Breach, Exposure, LegacyExposure
from leaks.phones import Phone
from leaks.public_set import PublicSet, public_set


def found_breaches(
    phone: Phone, *, include_sensitive: bool = False, public: PublicSet | None = None
) -> list[Breach]:
    """The public breaches holding the number (sensitive ones only when asked),
    newest breach date first, undated last, then by title: the check's and the
    API's lookup, with one query (the breaches themselves come from
    leaks.public_set; a caller that already holds the snapshot passes it as ``public``).

    A number only in sensitive breaches costs the same query and yields the same
    empty list as a number in none, so its page and timing are a miss's. The
    legacy table is read only while it holds rows (a fact of the database, the
    same for every number)."""
    public = public or public_set()
    ids = breach_ids_for_hashes(phone_hashes(phone.e164, legacy=public.has_legacy))
    return public.named(ids, include_sensitive=include_sensitive)


def breach_ids_for_hashes(hashes: Mapping[int, bytes]) -> set[int]:
    """Ids of every breach (public or not) holding the number: one query, both tables.

    The statement is written out once per shape (how many key versions) rather than
    built by the ORM on every lookup, which cost more CPU than running it."""
    keys = [
        (stored_key(digest), version)
        for version, digest in hashes.items()
        if version > 0 and len(digest) == KEY_BYTES
    ]
    legacy = [(digest, -version) for version, digest in hashes.items() if version < 0]
    if not keys and not legacy:
        return set()
    params: list[int | bytes] = []
    for key, version in keys:
        params += [key, version]
    for digest, version in legacy:
        params += [digest, version]
    sql = _lookup_sql(len(keys), len(legacy))

    def read(using: str) -> set[int]:
        # The same database the ORM would read both tables from (a replica, maybe).
        return {breach_id for (breach_id,) in _read_rows(using, sql, params)}

    return read_for_lookup(Exposure, read)


@functools.cache
def _lookup_sql(keys: int, legacy: int) -> str:
    parts = []
    if keys:
        match = " OR ".join(["(phone_key = %s AND key_version = %s)"] * keys)
        parts.append(f"SELECT breach_id FROM {Exposure._meta.db_table} WHERE {match}")
    if legacy:
        match = " OR ".join(["(phone_hash = %s AND key_version = %s)"] * legacy)
        parts.append(f"SELECT breach_id FROM {LegacyExposure._meta.db_table} WHERE {match}")
    return " UNION ALL ".join(parts)


def private_breaches() -> QuerySet[Breach]:
    """The breaches the private check may name: public ones, never sensitive."""
    return Breach.objects.public().filter(is_sensitive=False)


def bucket_entries(
    bucket: int, version: int, public: PublicSet | None = None
) -> list[tuple[int, int]]:
    """The private check's answer: (OPRF output prefix, breach id) of every exposure
    in the bucket under one key version, in public, non-sensitive breaches only (those
    of the ``public`` snapshot); one index range scan. The prefix is the stored key's
    bits after the bucket's (48 at 16-bit buckets). In key order, a key's rows in
    breach id order.

    The breaches are filtered here, not joined in SQL: PostgreSQL would scan the
    bucket's range once per public breach (a nested loop), 30 times slower."""
    public = public or public_set()
    named = public.private_ids
    first, last = bucket_range(bucket)

    def read(using: str) -> list[tuple[int, int]]:
        return _read_rows(using, _BUCKET_SQL, [first, last, version])

    rows = read_for_lookup(Exposure, read)
    if not named.issuperset(map(itemgetter(1), rows)):
        rows = [row for row in rows if row[1] in named]
    # A prefix is the distance from the bucket's first key (one loop in C).
    prefixes = map(operator.sub, map(itemgetter(0), rows), repeat(first))
    return list(zip(prefixes, map(itemgetter(1), rows), strict=True))


def _read_rows(using: str, sql: str, params: list) -> list[tuple]:
    """The rows of a lookup's query; on PostgreSQL run as a prepared statement, so
    that it is planned once per connection, not once per lookup (prepare_lookups)."""
    connection = connections[using]
    # Django's own cursor where queries are logged (DEBUG, tests counting them): its
    # log cannot show a prepared statement's text.
    if connection.vendor != "postgresql" or connection.queries_logged:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    connection.ensure_connection()
    # Django's wrapper, for its error classes and execute wrappers.
    with connection.make_cursor(_preparing_cursor()(connection.connection)) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@receiver(connection_created)
def prepare_lookups(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """Lets a lookup's query be a prepared statement with one generic plan (its
    partition pruned when it runs): Django turns psycopg's prepared statements off
    (prepare_threshold None), and PostgreSQL would parse and plan each lookup anew,
    most of its work for one: 0.07 ms of its CPU for a bucket read, 0.035 ms
    prepared. Only statements run with prepare=True are prepared (Django's own
    cursors bind on the client and never are). A pooler in transaction mode must
    keep prepared statements (PgBouncer 1.21 and later: docs/SCALING.md)."""
    if connection.vendor == "postgresql":
        connection.connection.prepare_threshold = 2**31
        with connection.cursor() as cursor:
            cursor.execute("SET plan_cache_mode = force_generic_plan")


@functools.cache
def _preparing_cursor() -> type:
    # Imported here: the PostgreSQL backend needs psycopg, which SQLite alone does not.
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):
        def execute(self, query: Any, params: Any = None, **options: Any) -> Any:
            return super().execute(query, params, **{**options, "prepare": True})  # type: ignore[misc]

    return PreparingCursor


_BUCKET_SQL = (
    f"SELECT phone_key, breach_id FROM {Exposure._meta.db_table} "
    "WHERE phone_key >= %s AND phone_key <= %s AND key_version = %s "
    "ORDER BY phone_key, breach_id"
)


def totals() -> dict:
    """How many public breaches and numbers the site knows (cached between imports)."""
    return public_set().totals
