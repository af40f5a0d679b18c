"""Import a dump into a breach: plan chunks, stage each chunk's keys, then merge.

Correctness model: every chunk stages the stored keys of its rows (with COPY on
PostgreSQL); a chunk re-run after a crash may stage some rows twice, which is
harmless because the merge is one transactional
`INSERT ... SELECT DISTINCT ... ON CONFLICT DO NOTHING`. A chunk's counts are
written once, when it completes, so they are exact however often it ran, and
the result is the same with one worker or many.
"""

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from alerts.services import alerts_enqueue_for_job
from imports import merge
from leaks import fastphones, hashing
from leaks.fastphones import plain_mobile, verdict
from leaks.import_tally import Tally
from leaks.models import Breach, ImportChunk, ImportJob, StagedHash
from leaks.phones import InvalidPhone, normalize
from leaks.readers import DumpError, Plan, inspect, iter_values
from leaks.readers.sources import PackedCounter
from leaks.readers.text import row_starts
from leaks.staging import stage_hashes

log = logging.getLogger(__name__)
# English msgids, stored on the job and translated when shown (leaks/import_errors.py).
CRASHED = gettext_noop("The import crashed; see the worker log for the error.")
NO_ROWS = gettext_noop("The file has no rows.")
FILE_GONE = gettext_noop("The dump file is gone; upload it again.")

__all__ = [
    "Tally",
    "failed_files_clear",
    "import_chunk_run",
    "import_create",
    "import_discard_file",
    "import_plan",
    "import_retry",
    "import_run",
]


class Abandoned(Exception):
    """The job ended (failed elsewhere) while this chunk was running."""


def import_create(
    *,
    breach: Breach,
    path: Path,
    source_name: str,
    delete_file: bool = False,
    options: dict | None = None,
    user=None,
) -> ImportJob:
    """Record an import and queue it once the record is committed."""
    from leaks.tasks import import_dump

    job = ImportJob.objects.create(
        breach=breach,
        file_path=str(path),
        source_name=source_name,
        delete_file=delete_file,
        options=options or {},
        created_by=user,
        size=Path(path).stat().st_size if Path(path).is_file() else 0,
    )
    transaction.on_commit(lambda: import_dump.delay(job.pk))
    return job


def import_run(job: ImportJob) -> ImportJob:
    """Run one import to the end in this process (the command's --inline, the demo)."""
    for chunk_id in import_plan(job):
        chunk = ImportChunk.objects.get(pk=chunk_id)
        import_chunk_run(chunk, worker="inline", finish=False)
    import_finish(job, inline=True)
    job.refresh_from_db()
    return job


def import_plan(job: ImportJob, *, worker: str = "") -> list[int]:
    """Inspect the dump and split it into chunks; return the ids of chunks to run."""
    job.refresh_from_db()
    if job.finished:
        return []
    if not job.chunks.exists():
        if not _claim_planning(job):
            return []  # another worker is planning it right now
        try:
            _make_chunks(job)
        except DumpError as exc:
            import_fail(job, exc)
            return []
        except Exception:
            log.exception("import job %s crashed while planning", job.pk)
            import_fail(job, CRASHED)
            return []
    return list(job.chunks.exclude(status=ImportChunk.Status.DONE).values_list("pk", flat=True))


def _claim_planning(job: ImportJob) -> bool:
    """Only one worker plans a job; a planner silent for too long is presumed dead."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.IMPORT_STALL_SECONDS)
    # One row, conditions on its own columns: the database re-checks them
    # under the row lock, so of two workers only one wins.
    claimable = Q(status=ImportJob.Status.PENDING) | Q(
        status=ImportJob.Status.RUNNING, started_at__lt=stale
    )
    updated = ImportJob.objects.filter(claimable, pk=job.pk)
    return bool(updated.update(status=ImportJob.Status.RUNNING, started_at=now))


def _make_chunks(job: ImportJob) -> None:
    path = Path(job.file_path)
    if not path.is_file():
        raise DumpError(FILE_GONE)
    options = job.options
    plan = inspect(
        path,
        column=options.get("column"),
        encoding=options.get("encoding"),
        format=options.get("format"),
    )
    size = path.stat().st_size
    step = max(settings.IMPORT_CHUNK_BYTES, 1)
    if plan.splittable and size > step:
        ranges = _chunk_ranges(path, plan.format, size, step)
    else:
        ranges = [(0, None)]
    with transaction.atomic():
        ImportJob.objects.filter(pk=job.pk).update(plan=plan.as_dict(), size=size)
        # Plans are deterministic: a second planner adds nothing.
        ImportChunk.objects.bulk_create(
            (
                ImportChunk(job=job, index=i, start=start, end=end)
                for i, (start, end) in enumerate(ranges)
            ),
            ignore_conflicts=True,
        )


def _chunk_ranges(path: Path, format: str, size: int, step: int) -> list[tuple[int, int]]:
    if format == "csv":
        # Cut only where a row starts: a quoted field may span lines.
        with open(path, "rb") as stream:
            starts = [0, *row_starts(stream, step), size]
    else:
        starts = [*range(0, size, step), size]
    return list(pairwise(starts))


def _claim(chunk: ImportChunk, worker: str) -> bool:
    """Take a chunk unless it is done or another live worker has it."""
    stale = timezone.now() - timedelta(seconds=settings.IMPORT_STALL_SECONDS)
    claimable = ImportChunk.objects.filter(pk=chunk.pk).exclude(status=ImportChunk.Status.DONE)
    mine_or_free = (
        claimable.filter(status=ImportChunk.Status.PENDING)
        | claimable.filter(worker=worker)
        | claimable.filter(heartbeat__lt=stale)
    )

    return bool(
        mine_or_free.update(
            status=ImportChunk.Status.RUNNING,
            worker=worker,
            attempts=F("attempts") + 1,
            rows_done=0,
            bytes_done=0,
            heartbeat=timezone.now(),
        )
    )


def import_chunk_run(chunk: ImportChunk, *, worker: str, finish: bool = True) -> None:
    """Stage one chunk's hashes and record its counts; merge if it was the last."""
    job = chunk.job
    if job.finished or not _claim(chunk, worker):
        return
    try:
        with _heartbeat(chunk):
            tally = _stage(job, chunk)
    except Abandoned:
        return
    except DumpError as exc:
        import_fail(job, exc)
        return
    except Exception:
        if ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.FAILED).exists():
            return  # the file went away because the job failed elsewhere
        log.exception("import job %s chunk %s crashed", job.pk, chunk.index)
        import_fail(job, CRASHED)
        return
    ImportChunk.objects.filter(pk=chunk.pk).update(
        status=ImportChunk.Status.DONE, tally=tally.as_dict(), heartbeat=timezone.now()
    )
    if finish:
        import_finish(job)


@contextmanager
def _heartbeat(chunk: ImportChunk) -> Iterator[None]:
    """Say the chunk is alive on a timer, even while its reader finds no rows for
    a long time, so a live chunk is never taken for a dead one and run twice."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(max(settings.IMPORT_STALL_SECONDS / 5, 1)):
                ImportChunk.objects.filter(pk=chunk.pk, status=ImportChunk.Status.RUNNING).update(
                    heartbeat=timezone.now()
                )
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"heartbeat-{chunk.pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _stage(job: ImportJob, chunk: ImportChunk) -> Tally:
    path = Path(job.file_path)
    if not path.is_file():
        raise DumpError(FILE_GONE)
    plan = Plan.from_dict(job.plan)
    region = job.options.get("region") or settings.PHONE_DEFAULT_REGION
    fast = region == "CN"
    version = hashing.current_version()
    hash_one = hashing.hasher(version)
    hash_cn = hashing.hasher(version, prefix="+86")
    verdicts = fastphones.known_verdicts()
    batch_size = settings.IMPORT_BATCH_SIZE
    progress = PackedCounter()
    found: dict = {}
    tally = Tally()
    blocks = tally.blocks
    reasons = tally.reasons
    hashes: list[int] = []
    rows = no_phone = 0
    values = iter_values(
        path, plan, start=chunk.start, end=chunk.end, progress=progress, found=found
    )
    for value in values:
        rows += 1
        if value is None:
            no_phone += 1
            continue
        digits = plain_mobile(value) if fast else None
        if digits is not None:
            kind = verdicts.get(digits[:5]) or verdict(digits)
            if kind.__class__ is InvalidPhone:
                reasons[kind.reason] += 1
                continue
            block = digits[:7]
            blocks[block] = blocks.get(block, 0) + 1
            hashes.append(hash_cn(digits))
        else:
            try:
                phone = normalize(value, region)
            except InvalidPhone as exc:
                reasons[exc.reason] += 1
                continue
            tally.add_valid(phone)
            hashes.append(hash_one(phone.e164))
        if len(hashes) >= batch_size:
            _flush(job, chunk, version, hashes, rows, progress.bytes)
            hashes = []
    _flush(job, chunk, version, hashes, rows, progress.bytes)
    tally.rows, tally.no_phone = rows, no_phone
    if chunk.index == 0:
        found_columns = found.get("columns") or {}
        ImportJob.objects.filter(pk=job.pk).update(
            plan={**job.plan, "found": {**found, "columns": found_columns}}
        )
    return tally


def _flush(job, chunk, version: int, hashes: list[int], rows: int, done_bytes: int) -> None:
    stage_hashes(job_id=job.pk, chunk=chunk.index, version=version, hashes=hashes)
    span = (chunk.end or job.size) - chunk.start
    updated = (
        ImportChunk.objects.filter(pk=chunk.pk)
        .exclude(job__status=ImportJob.Status.FAILED)
        .update(rows_done=rows, bytes_done=min(done_bytes, span), heartbeat=timezone.now())
    )
    if not updated:
        raise Abandoned


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


def import_finish(job: ImportJob, *, inline: bool = False) -> None:
    """Merge the staged hashes once every chunk is done; safe to call any number of times.

    On PostgreSQL the merge is split into parts, one task each (`imports.merge`);
    `inline` runs them here instead."""
    parallel, run_here = merge.parallel(), []
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
            run_here = merge.merge_start(locked, inline=inline)
        else:
            _merge(locked, tally, len(chunks))
    if parallel:
        for part_id in run_here:
            merge.merge_part_run(part_id, worker="inline")
        return
    import_closed(locked)


def import_closed(job: ImportJob) -> None:
    """After a job's merge committed: its file goes (if uploaded) and the log says how it went."""
    _delete_file(job)
    job.refresh_from_db()
    log.info("import job %s %s: %s", job.pk, job.status, job.summary())


def _staging_lost(job: ImportJob, tally: Tally) -> bool:
    """Fewer staged rows than valid values means the (unlogged) staging table
    lost rows in a database crash: run every chunk again instead of merging."""
    if StagedHash.objects.filter(job=job).count() >= tally.valid:
        return False
    from leaks.tasks import import_chunk

    log.warning("import job %s lost staged rows; running its chunks again", job.pk)
    StagedHash.objects.filter(job=job).delete()
    chunks = list(job.chunks.values_list("pk", flat=True))
    job.chunks.update(status=ImportChunk.Status.PENDING, tally={}, worker="")
    for chunk_id in chunks:
        transaction.on_commit(lambda chunk_id=chunk_id: import_chunk.delay(chunk_id))
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
    import_done(job, tally, chunk_count, new=new, distinct=distinct)


def import_done(job: ImportJob, tally: Tally, chunk_count: int, *, new: int, distinct: int) -> None:
    """Mark a merged job DONE with its report and queue its alerts (in the merge's transaction)."""
    finished = timezone.now()
    seconds = (finished - (job.started_at or job.created_at)).total_seconds()
    found = job.plan.get("found", {})
    report = {
        "format": job.plan.get("format"),
        "compression": job.plan.get("compression"),
        "encoding": job.plan.get("encoding"),
        "column": _first_column(found, job.plan),
        "columns": found.get("columns", {}),
        "skipped_tables": found.get("skipped_tables", {}),
        "chunks": chunk_count,
        "seconds": round(seconds, 2),
        **tally.report(),
    }
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.DONE,
        plan=_forget_header(job.plan),
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
    # Alerts for the new exposures, queued when this transaction commits.
    alerts_enqueue_for_job(job)


def _first_column(found: dict, plan: dict) -> dict:
    columns = list((found.get("columns") or {}).values())
    column = plan.get("column") or (columns[0] if columns else None)
    return column or {"index": 0, "name": "", "by": "list"}


def import_fail(job: ImportJob, reason: DumpError | str) -> None:
    """End a job as failed: nothing of it reaches the breach.

    An uploaded file is kept, so the admin can try again with other options,
    until the admin discards it or housekeeping deletes it
    (IMPORT_FAILED_FILE_HOURS after the failure)."""
    error = reason if isinstance(reason, DumpError) else DumpError(reason)
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status == ImportJob.Status.DONE:
            return
        StagedHash.objects.filter(job=locked).delete()
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.FAILED,
            plan=_forget_header(locked.plan),
            finished_at=timezone.now(),
            error=str(error),
            report={"error": error.as_dict()},
        )
    log.info("import job %s failed: %s", job.pk, error)


def _forget_header(plan: dict) -> dict:
    # A first row taken for a header may really be a person's row (a name, an
    # address): the chunks needed it, the finished job does not keep it.
    return {key: value for key, value in plan.items() if key != "header"}


def _delete_file(job: ImportJob) -> None:
    if job.delete_file and job.file_path:
        Path(job.file_path).unlink(missing_ok=True)


def import_retry(*, job: ImportJob, options: dict, user=None) -> ImportJob:
    """A new import of a failed job's kept file, with other options; no new upload.

    The file passes to the new job (which deletes it when it succeeds)."""
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if not locked.file_kept:
            raise DumpError(FILE_GONE)
        ImportJob.objects.filter(pk=locked.pk).update(file_path="")
        return import_create(
            breach=locked.breach,
            path=Path(locked.file_path),
            source_name=locked.source_name,
            delete_file=True,
            options=options,
            user=user,
        )


def import_discard_file(job: ImportJob) -> None:
    """Delete a failed job's kept file now, at the admin's word."""
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status != ImportJob.Status.FAILED:
            return
        _delete_file(locked)
        ImportJob.objects.filter(pk=locked.pk).update(file_path="")


def failed_files_clear() -> int:
    """Delete the files of uploads that failed more than IMPORT_FAILED_FILE_HOURS ago."""
    cutoff = timezone.now() - timedelta(hours=settings.IMPORT_FAILED_FILE_HOURS)
    old = ImportJob.objects.filter(
        status=ImportJob.Status.FAILED, delete_file=True, finished_at__lt=cutoff
    ).exclude(file_path="")
    count = 0
    for job in old:
        _delete_file(job)
        count += ImportJob.objects.filter(pk=job.pk, file_path=job.file_path).update(file_path="")
    return count


def import_resume(*, worker: str | None = None) -> list[int]:
    """Queue again the chunks a dead worker held; return the chunk ids queued.

    With `worker`, the chunks that worker (just restarted, so running nothing)
    held; without, every chunk whose worker stopped reporting progress.
    """
    from leaks.tasks import import_chunk, import_dump

    running = ImportChunk.objects.filter(
        status=ImportChunk.Status.RUNNING, job__status=ImportJob.Status.RUNNING
    )
    if worker:
        running = running.filter(worker=worker)
    else:
        stale = timezone.now() - timedelta(seconds=settings.IMPORT_STALL_SECONDS)
        running = running.filter(heartbeat__lt=stale)
    ids = list(running.values_list("pk", flat=True))
    ImportChunk.objects.filter(pk__in=ids).update(status=ImportChunk.Status.PENDING)
    for chunk_id in ids:
        import_chunk.delay(chunk_id)
    # A job whose planning was cut short has no chunks yet.
    for job_id in ImportJob.objects.filter(
        status=ImportJob.Status.RUNNING, chunks__isnull=True
    ).values_list("pk", flat=True):
        import_dump.delay(job_id)
    return ids
