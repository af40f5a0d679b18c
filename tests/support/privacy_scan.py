"""Look everywhere a plaintext number could hide: logs, database, cache, broker, session.

The hook for every feature that handles a number (checks, imports, the SMS
proof flow, subscriptions): do the thing, then call

    assert_number_nowhere(["13800138000"], logs=all_logs, client=client)

Redis mode scans every key and value of the Redis database that holds both
the cache and the Celery broker; the embedded default scans the local-memory
cache and the filesystem broker's folders.
"""

import pickle
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection


def database_text() -> str:
    """Every row of every table as text, for scanning for plaintext numbers."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        chunks.append(bytes(value).decode("latin-1"))
                    else:
                        chunks.append(str(value))
    return "\n".join(chunks)


def digits_variants(number: str) -> list[str]:
    """Forms a leaked number could take in storage: national, E.164, with 86."""
    national = number.lstrip("+").removeprefix("86")
    return [national, "86" + national, "+86" + national]


def cache_text() -> str:
    """Every cache key and value (and, on Redis, every broker key and message)."""
    if settings.REDIS_URL:
        return redis_text()
    chunks = []
    # LocMemCache internals, which BaseCache does not declare.
    for key, value in list(cache._cache.items()):  # type: ignore[attr-defined]
        chunks.append(str(key))
        chunks.append(bytes(value).decode("latin-1"))
        chunks.append(repr(pickle.loads(value)))  # noqa: S301 - our own cache
    return "\n".join(chunks)


def redis_text() -> str:
    import redis

    # Untyped on purpose: redis-py types replies as bytes | str (it cannot see decode_responses).
    client: Any = redis.Redis.from_url(settings.REDIS_URL)
    chunks = []
    for key in client.scan_iter(count=1000):
        chunks.append(key.decode("latin-1"))
        kind = client.type(key).decode()
        if kind == "string":
            values = [client.get(key)]
        elif kind == "list":
            values = client.lrange(key, 0, -1)
        elif kind == "hash":
            values = [item for pair in client.hgetall(key).items() for item in pair]
        elif kind == "set":
            values = list(client.smembers(key))
        elif kind == "zset":
            values = [member for member, _ in client.zrange(key, 0, -1, withscores=True)]
        else:
            values = []
        chunks.extend(value.decode("latin-1") for value in values if value is not None)
    return "\n".join(chunks)


def broker_text() -> str:
    """Every message waiting in the broker."""
    if settings.REDIS_URL:
        return redis_text()
    chunks = []
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        folder = Path(options[key])
        if folder.is_dir():
            for path in folder.rglob("*"):
                if path.is_file():
                    chunks.append(path.read_bytes().decode("latin-1"))
    return "\n".join(chunks)


def session_text(client) -> str:
    return repr(dict(client.session.items())) if client is not None else ""


def assert_number_nowhere(
    numbers: list[str], *, logs: pytest.LogCaptureFixture | None = None, client=None
) -> None:
    places = {
        "database": database_text(),
        "cache": cache_text(),
        "broker": broker_text(),
        "session": session_text(client),
        "logs": logs.text + "\n".join(repr(r.__dict__) for r in logs.records) if logs else "",
    }
    for number in numbers:
        for variant in digits_variants(number):
            for place, text in places.items():
                assert variant not in text, f"{variant} found in the {place}"
