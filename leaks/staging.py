"""Write staged hashes fast: PostgreSQL COPY, or one executemany on SQLite."""

from django.db import connection, transaction

_COLUMNS = "(job_id, chunk, phone_hash, key_version)"


def stage_hashes(*, job_id: int, chunk: int, version: int, hashes: list[bytes]) -> None:
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


def _copy(job_id: int, chunk: int, version: int, hashes: list[bytes]) -> None:
    # COPY's text format: bytea as \x<hex>, the backslash itself escaped.
    head = f"{job_id}\t{chunk}\t\\\\x"
    tail = f"\t{version}\n"
    data = head + (tail + head).join(value.hex() for value in hashes) + tail
    sql = f"COPY leaks_stagedhash {_COLUMNS} FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        copy.write(data)
