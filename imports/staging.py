"""Write staged keys fast: PostgreSQL COPY, or one executemany on SQLite."""

from django.db import connection, transaction

_COLUMNS = "(job_id, chunk, phone_key, key_version)"


def stage_hashes(*, job_id: int, chunk: int, version: int, hashes: list[int]) -> None:
    """Stage stored keys (`leaks.hashing.hasher`'s ints) of one chunk."""
    if not hashes:
        return
    if connection.vendor == "postgresql":
        _copy(job_id, chunk, version, hashes)
        return
    # One transaction per batch: in autocommit SQLite would sync every row.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO leaks_stagedhash {_COLUMNS} VALUES (%s, %s, %s, %s)",
            [(job_id, chunk, value, version) for value in hashes],
        )


def _copy(job_id: int, chunk: int, version: int, hashes: list[int]) -> None:
    head = f"{job_id}\t{chunk}\t"
    tail = f"\t{version}\n"
    data = head + (tail + head).join(map(str, hashes)) + tail
    sql = f"COPY leaks_stagedhash {_COLUMNS} FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        copy.write(data)
