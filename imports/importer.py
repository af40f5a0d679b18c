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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from imports.jobs import FILE_GONE, import_fail
from imports.merge import import_finish
from imports.queue import queue_chunk, queue_merge, queue_plan
from imports.readers import DumpError, Plan, inspect, iter_values
from imports.readers.sources import PackedCounter
from imports.readers.text import row_starts
from imports.staging import stage_hashes
from imports.tally import Tally
from leaks import fastphones, hashing
from leaks.fastphones import plain_mobile, verdict
from leaks.models import ImportChunk, ImportJob
from leaks.phones import InvalidPhone, normalize

log = logging.getLogger(__name__)
# English msgids, stored on the job and translated when shown (imports/errors.py).
CRASHED = gettext_noop("The import crashed; see the worker log for the error.")


class Abandoned(Exception):
    """The job ended (failed elsewhere) while this chunk was running."""


def stopped(count: int) -> DumpError:
    """Why a job fails whose plan or chunk started `count` times and never ended:
    each time its worker died (out of memory, killed) and the broker, or the
    resume sweep, handed the task back."""
    return DumpError(
        "The import was started %(count)s times at the same place and its worker "
        "stopped each time (out of memory, or killed); refused. Check the file, "
        "then retry it.",
        count=count,
    )


def import_run(job: ImportJob) -> ImportJob:
    """Run one import to the end in this process (the command's --inline, the demo)."""
    for chunk_id in import_plan(job):
        chunk = ImportChunk.objects.select_related("job").get(pk=chunk_id)
        import_chunk_run(chunk, worker="inline", finish=False)
    import_finish(job)
    job.refresh_from_db()
    return job


def import_plan(job: ImportJob) -> list[int]:
    """Inspect the dump and split it into chunks; return the ids of chunks to run."""
    job.refresh_from_db()
    if job.finished:
        return []
    if not job.chunks.exists():
        if not _claim_planning(job):
            if _planning_worn_out(job):
                import_fail(job, stopped(job.plan_attempts))
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
    # One row, conditions on its own columns: the database re-checks them
    # under the row lock, so of two workers only one wins.
    updated = ImportJob.objects.filter(
        _plan_claimable(now), pk=job.pk, plan_attempts__lt=settings.IMPORT_MAX_ATTEMPTS
    )
    return bool(
        updated.update(
            status=ImportJob.Status.RUNNING,
            started_at=now,
            plan_attempts=F("plan_attempts") + 1,
        )
    )


def _plan_claimable(now: datetime) -> Q:
    return Q(status=ImportJob.Status.PENDING) | Q(
        status=ImportJob.Status.RUNNING, started_at__lt=_stale_before(now)
    )


def _planning_worn_out(job: ImportJob) -> bool:
    """Free to plan (no live planner) but started IMPORT_MAX_ATTEMPTS times already:
    the task came back from workers that died on it. Counted on the job's row
    before the work starts, so a redelivery never starts it once too often."""
    worn = ImportJob.objects.filter(
        _plan_claimable(timezone.now()),
        pk=job.pk,
        plan_attempts__gte=settings.IMPORT_MAX_ATTEMPTS,
    )
    return worn.exists()


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
    ranges: Sequence[tuple[int, int | None]]
    if plan.splittable and size > step:
        ranges = _chunk_ranges(path, plan.format, size, step)
    else:
        ranges = [(0, None)]  # one chunk: the whole file
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


class WornOut(Exception):
    """A chunk free to take has been started IMPORT_MAX_ATTEMPTS times already."""


def _claim(chunk: ImportChunk, worker: str) -> bool:
    """Take a chunk unless it is done or another live worker has it; raise WornOut
    when it was started too often (its workers died on it)."""
    stale = _stale_before()
    claimable = ImportChunk.objects.filter(pk=chunk.pk).exclude(status=ImportChunk.Status.DONE)
    mine_or_free = (
        claimable.filter(status=ImportChunk.Status.PENDING)
        | claimable.filter(worker=worker)
        | claimable.filter(heartbeat__lt=stale)
    )

    limit = settings.IMPORT_MAX_ATTEMPTS
    claimed = mine_or_free.filter(attempts__lt=limit).update(
        status=ImportChunk.Status.RUNNING,
        worker=worker,
        attempts=F("attempts") + 1,
        rows_done=0,
        bytes_done=0,
        heartbeat=timezone.now(),
    )
    if not claimed and mine_or_free.filter(attempts__gte=limit).exists():
        raise WornOut
    return bool(claimed)


def import_chunk_run(chunk: ImportChunk, *, worker: str, finish: bool = True) -> None:
    """Stage one chunk's hashes and record its counts; merge if it was the last."""
    job = chunk.job
    if job.finished:
        return
    try:
        if not _claim(chunk, worker):
            return
    except WornOut:
        import_fail(job, stopped(settings.IMPORT_MAX_ATTEMPTS))
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
        import_finish(job, inline=False)


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
        seen = replace(plan, found={**found, "columns": found_columns})
        ImportJob.objects.filter(pk=job.pk).update(plan=seen.as_dict())
    return tally


def _flush(
    job: ImportJob, chunk: ImportChunk, version: int, hashes: list[int], rows: int, done_bytes: int
) -> None:
    stage_hashes(job_id=job.pk, chunk=chunk.index, version=version, hashes=hashes)
    span = (chunk.end or job.size) - chunk.start
    updated = (
        ImportChunk.objects.filter(pk=chunk.pk)
        .exclude(job__status=ImportJob.Status.FAILED)
        .update(rows_done=rows, bytes_done=min(done_bytes, span), heartbeat=timezone.now())
    )
    if not updated:
        raise Abandoned


def import_resume(*, worker: str | None = None) -> list[int]:
    """Queue again the chunks a dead worker held; return the chunk ids queued.

    With `worker`, the chunks that worker (just restarted, so running nothing)
    held; without, every chunk whose worker stopped reporting progress.
    """
    running = ImportChunk.objects.filter(
        status=ImportChunk.Status.RUNNING, job__status=ImportJob.Status.RUNNING
    )
    if worker:
        running = running.filter(worker=worker)
    else:
        stale = _stale_before()
        running = running.filter(heartbeat__lt=stale)
    ids = list(running.values_list("pk", flat=True))
    ImportChunk.objects.filter(pk__in=ids).update(status=ImportChunk.Status.PENDING)
    for chunk_id in ids:
        queue_chunk(chunk_id)
    # A job whose planning was cut short has no chunks yet.
    for job_id in ImportJob.objects.filter(
        status=ImportJob.Status.RUNNING, chunks__isnull=True
    ).values_list("pk", flat=True):
        queue_plan(job_id)
    for job_id in _merges_stalled():
        queue_merge(job_id)
    return ids


def _merges_stalled() -> list[int]:
    """Running jobs whose chunks all finished over IMPORT_STALL_SECONDS ago: their
    merge (or a part of it, or its close) was lost with a worker. import_finish is
    idempotent, so a merge still under way only gets a task that does nothing."""
    return list(
        ImportJob.objects.filter(status=ImportJob.Status.RUNNING)
        .annotate(
            open_chunks=Count("chunks", filter=~Q(chunks__status=ImportChunk.Status.DONE)),
            # None for a job without chunks, which the filter below leaves out.
            last_beat=Max("chunks__heartbeat"),
        )
        .filter(open_chunks=0, last_beat__lt=_stale_before())
        .values_list("pk", flat=True)
    )


def _stale_before(now: datetime | None = None) -> datetime:
    """Heartbeats older than this are a dead worker's (IMPORT_STALL_SECONDS)."""
    return (now or timezone.now()) - timedelta(seconds=settings.IMPORT_STALL_SECONDS)
