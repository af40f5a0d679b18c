"""The merge: once every chunk of a job is staged, its keys join the breach.

One transaction: the staged keys go into leaks_exposure (ON CONFLICT DO NOTHING),
the keys new to the breach are noted for the alerts, the job's counts and the
breach's pwn_count are written exactly, and ``import_visible`` is sent.
"""

import logging

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from imports.jobs import delete_file, import_fail
from imports.queue import queue_chunk
from imports.readers import Plan
from imports.tally import Tally
from leaks.models import Breach, ImportChunk, ImportJob, StagedHash
from leaks.signals import import_visible

log = logging.getLogger(__name__)
NO_ROWS = gettext_noop("The file has no rows.")


# Each statement notes the keys new to the breach in leaks_newexposure, for the
# alerts; the alert scan deletes them.
_NOTE_NEW_SQL = """
    INSERT INTO leaks_newexposure (job_id, phone_key, key_version)
    SELECT DISTINCT %s, s.phone_key, s.key_version FROM leaks_stagedhash s
    WHERE s.job_id = %s AND NOT EXISTS (
        SELECT 1 FROM leaks_exposure e
        WHERE e.phone_key = s.phone_key AND e.key_version = s.key_version AND e.breach_id = %s
    )
"""
_MERGE_NOTED_SQL = """
    INSERT INTO leaks_exposure (phone_key, key_version, breach_id)
    SELECT phone_key, key_version, %s FROM leaks_newexposure WHERE job_id = %s
"""
# PostgreSQL: one pass over the staged rows gives both counts.
_MERGE_COUNTING_SQL = """
    WITH staged AS MATERIALIZED (
        SELECT DISTINCT phone_key, key_version FROM leaks_stagedhash WHERE job_id = %s
    ), inserted AS (
        INSERT INTO leaks_exposure (phone_key, key_version, breach_id)
        SELECT phone_key, key_version, %s FROM staged
        -- In index order: the primary key is then filled page by page instead
        -- of at random places.
        ORDER BY phone_key, key_version
        ON CONFLICT DO NOTHING RETURNING phone_key, key_version
    ), noted AS (
        INSERT INTO leaks_newexposure (job_id, phone_key, key_version)
        SELECT %s, phone_key, key_version FROM inserted RETURNING 1
    )
    SELECT (SELECT COUNT(*) FROM noted), (SELECT COUNT(*) FROM staged)
"""
_DISTINCT_SQL = """
    SELECT COUNT(*) FROM (
        SELECT DISTINCT phone_key, key_version FROM leaks_stagedhash WHERE job_id = %s
    ) AS staged
"""


def import_finish(job: ImportJob) -> None:
    """Merge the staged hashes once every chunk is done; safe to call any number of times."""
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status != ImportJob.Status.RUNNING:
            return
        chunks = list(locked.chunks.all())
        if not chunks or any(c.status != ImportChunk.Status.DONE for c in chunks):
            return
        tally = Tally.combined([c.tally for c in chunks])
        if _staging_lost(locked, tally):
            return
        if tally.rows == 0:
            transaction.on_commit(lambda: import_fail(locked, NO_ROWS))
            return
        _merge(locked, tally, len(chunks))
    delete_file(locked)
    locked.refresh_from_db()
    log.info("import job %s %s: %s", locked.pk, locked.status, locked.summary())


def _staging_lost(job: ImportJob, tally: Tally) -> bool:
    """Fewer staged rows than valid values means the (unlogged) staging table
    lost rows in a database crash: run every chunk again instead of merging."""
    if StagedHash.objects.filter(job=job).count() >= tally.valid:
        return False
    log.warning("import job %s lost staged rows; running its chunks again", job.pk)
    StagedHash.objects.filter(job=job).delete()
    chunks = list(job.chunks.values_list("pk", flat=True))
    job.chunks.update(status=ImportChunk.Status.PENDING, tally={}, worker="")
    for chunk_id in chunks:
        transaction.on_commit(lambda chunk_id=chunk_id: queue_chunk(chunk_id))
    return True


def _merge(job: ImportJob, tally: Tally, chunk_count: int) -> None:
    breach = Breach.objects.select_for_update().get(pk=job.breach_id)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_MERGE_COUNTING_SQL, [job.pk, breach.pk, job.pk])
            new, distinct = cursor.fetchone()
        else:
            cursor.execute(_NOTE_NEW_SQL, [job.pk, job.pk, breach.pk])
            new = cursor.rowcount
            cursor.execute(_MERGE_NOTED_SQL, [breach.pk, job.pk])
            cursor.execute(_DISTINCT_SQL, [job.pk])
            distinct = cursor.fetchone()[0]
    StagedHash.objects.filter(job=job).delete()
    # Exact: the merge holds the breach's row lock, and exposures are only added here
    # (counting them would scan the table: it has no index by breach).
    breach.pwn_count += new
    breach.save(update_fields=["pwn_count"])
    finished = timezone.now()
    seconds = (finished - (job.started_at or job.created_at)).total_seconds()
    plan = Plan.from_dict(job.plan)
    report = {
        "format": plan.format,
        "compression": plan.compression,
        "encoding": plan.encoding,
        "column": plan.report_column(),
        "columns": plan.found.get("columns", {}),
        "skipped_tables": plan.found.get("skipped_tables", {}),
        "chunks": chunk_count,
        "seconds": round(seconds, 2),
        **tally.report(),
    }
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.DONE,
        plan=plan.without_header().as_dict(),
        finished_at=finished,
        rows=tally.rows,
        valid=tally.valid,
        invalid=tally.invalid,
        duplicates=tally.valid - distinct,
        known=distinct - new,
        new=new,
        report=report,
        error="",
    )
    # The alerts app queues its matching when this transaction commits.
    import_visible.send(sender=ImportJob, job=job)
