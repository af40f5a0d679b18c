"""PostgreSQL: leaks_exposure partitioned by range of phone_key (SQLite keeps one table).

The key leads with the number's 16-bit bucket, so each partition holds a run of
whole buckets. An import's merge then runs as several tasks, each on its own
partitions and their own (smaller) indexes (imports/merge.py). The number of
partitions is settings.EXPOSURE_PARTITIONS when this runs; the rows are copied,
so on a large table this takes as long as rewriting it.
"""

from django.conf import settings
from django.db import migrations

_SIGN = 1 << 63


def partition_bounds(count: int) -> list[tuple[str, str]]:
    """(FROM, TO) of each partition: equal ranges of the unsigned key, as signed int8."""
    step = (1 << 64) // count
    edges = [str(i * step - _SIGN) for i in range(count + 1)]
    edges[0], edges[-1] = "MINVALUE", "MAXVALUE"
    return list(zip(edges, edges[1:], strict=False))


def _foreign_key_name(cursor, table: str) -> str:
    cursor.execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
        [table],
    )
    return cursor.fetchone()[0]


def _rebuild(schema_editor, partitions: int) -> None:
    with schema_editor.connection.cursor() as cursor:
        foreign_key = _foreign_key_name(cursor, "leaks_exposure")
    run = schema_editor.execute
    run("ALTER TABLE leaks_exposure RENAME TO leaks_exposure_old")
    run("ALTER INDEX leaks_exposure_pkey RENAME TO leaks_exposure_old_pkey")
    suffix = " PARTITION BY RANGE (phone_key)" if partitions else ""
    run(
        "CREATE TABLE leaks_exposure ("
        " phone_key bigint NOT NULL,"
        " key_version smallint NOT NULL"
        " CONSTRAINT leaks_exposure_key_version_check1 CHECK (key_version >= 0),"
        " breach_id integer NOT NULL,"
        " CONSTRAINT leaks_exposure_pkey PRIMARY KEY (phone_key, key_version, breach_id)"
        f"){suffix}"
    )
    for index, (low, high) in enumerate(partition_bounds(partitions) if partitions else []):
        run(
            f"CREATE TABLE leaks_exposure_p{index:02d} PARTITION OF leaks_exposure "
            f"FOR VALUES FROM ({low}) TO ({high})"
        )
    run(
        "INSERT INTO leaks_exposure (phone_key, key_version, breach_id) "
        "SELECT phone_key, key_version, breach_id FROM leaks_exposure_old"
    )
    run("DROP TABLE leaks_exposure_old")
    run(
        f"ALTER TABLE leaks_exposure ADD CONSTRAINT {foreign_key} FOREIGN KEY (breach_id) "
        "REFERENCES leaks_breach (id) DEFERRABLE INITIALLY DEFERRED"
    )


def partition(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _rebuild(schema_editor, max(settings.EXPOSURE_PARTITIONS, 1))


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _rebuild(schema_editor, 0)


class Migration(migrations.Migration):
    dependencies = [("leaks", "0008_merge_parts")]
    operations = [migrations.RunPython(partition, unpartition)]
