"""The merge: once every chunk of a job is staged, its keys join the breach.

One transaction: the staged keys go into leaks_exposure (ON CONFLICT DO NOTHING),
the keys new to the breach are noted for the alerts, the job's counts and the
breach's pwn_count are written exactly, and ``import_visible`` is sent.
On PostgreSQL the same is done in parts, one task each: imports/merge_parts.py.
"""

import logging
from functools import partial

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from imports import merge_parts
from imports.jobs import delete_file, import_fail
from imports.queue import queue_chunk
from imports.readers import Plan
from imports.tally import Tally
from leaks.models import Breach, ImportChunk, ImportJob, MergePart, StagedHash
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
_DISTINCT_SQL = """
    SELECT COUNT(*) FROM (
        SELECT DISTINCT phone_key, key_version FROM leaks_stagedhash WHERE job_id = %s
    ) AS staged
"""


def import_finish(job: ImportJob, *, inline: bool = True) -> None:
    """Merge the staged hashes once every chunk is done; safe to call any number of times.

    On PostgreSQL the merge is split into parts (imports/merge_parts.py), run here
    one after another, or with `inline=False` (workers) queued as one task each."""
    parallel, run_here = merge_parts.parallel(), []
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
        if parallel:
            run_here = merge_parts.merge_start(locked, inline=inline)
        else:
            _merge(locked, tally, len(chunks))
    for part_id in run_here:
        merge_part(part_id, worker="inline")
    if parallel:
        # Closes a job whose parts all ran but whose close was lost with its worker
        # (import_resume calls this again); a no-op while any part is pending.
        merge_close(locked.pk)
    else:
        import_closed(locked)


def merge_part(part_id: int, *, worker: str) -> None:
    """Merge one part of a job; the last part to finish closes it."""
    job_id = merge_parts.merge_part_run(part_id, worker=worker)
    if job_id is None:
        return
    try:
        merge_close(job_id)
    except Exception:
        # A job left RUNNING with every part DONE would never close: fail it.
        log.exception("import job %s crashed while closing its merge", job_id)
        merge_parts.merge_fail(job_id, merge_parts.MERGE_FAILED)


def merge_close(job_id: int) -> None:
    """Close a job merged in parts once all are DONE (imports/merge_parts.py): its counts,
    the breach's pwn_count, the signal; exactly once, under the job's row lock."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.status != ImportJob.Status.RUNNING:
            return
        parts = list(job.merge_parts.all())
        if not parts or any(part.status != MergePart.Status.DONE for part in parts):
            return
        new = sum(part.new for part in parts)
        distinct = sum(part.distinct for part in parts)
        chunks = list(job.chunks.all())
        tally = Tally.combined([chunk.tally for chunk in chunks])
        breach = Breach.objects.select_for_update().get(pk=job.breach_id)
        # Exact: every row a part inserted was counted by that part alone.
        import_done(job, breach, tally, len(chunks), new=new, distinct=distinct)
    import_closed(job)


def import_closed(job: ImportJob) -> None:
    """After a job's merge committed: its file goes (if uploaded), the log says how it went."""
    delete_file(job)
    job.refresh_from_db()
    log.info("import job %s %s: %s", job.pk, job.status, job.summary())


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
        transaction.on_commit(partial(queue_chunk, chunk_id))
    return True


def _merge(job: ImportJob, tally: Tally, chunk_count: int) -> None:
    """The merge in one go (SQLite; PostgreSQL merges in parts)."""
    breach = Breach.objects.select_for_update().get(pk=job.breach_id)
    with connection.cursor() as cursor:
        cursor.execute(_NOTE_NEW_SQL, [job.pk, job.pk, breach.pk])
        new = cursor.rowcount
        cursor.execute(_MERGE_NOTED_SQL, [breach.pk, job.pk])
        cursor.execute(_DISTINCT_SQL, [job.pk])
        distinct = cursor.fetchone()[0]
    # Exact: the merge holds the breach's row lock, and exposures are only added here
    # (counting them would scan the table: it has no index by breach).
    import_done(job, breach, tally, chunk_count, new=new, distinct=distinct)


def import_done(
    job: ImportJob, breach: Breach, tally: Tally, chunk_count: int, *, new: int, distinct: int
) -> None:
    """Mark a merged job DONE with its counts and report, and add its new numbers to
    the breach (whose row the caller holds locked), in the merge's transaction."""
    StagedHash.objects.filter(job=job).delete()
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
