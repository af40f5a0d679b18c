"""An import's merge on PostgreSQL, in parallel: one Celery task per range of keys
(imports/merge.py does it in one statement on SQLite).

leaks_exposure is partitioned by range of phone_key (leaks migration 0009), so
with IMPORT_MERGE_PARTS a divisor of EXPOSURE_PARTITIONS each part inserts into
partitions, and indexes, of its own while other workers merge the others.

Invariants:
- A part's inserts, its notes in leaks_newexposure and its DONE mark with its
  counts commit in one transaction: a part cut short leaves nothing behind and
  runs again; a DONE part never runs again. So counts are exact however often
  a part's task ran.
- A part holds its job's row FOR SHARE while it writes; failing the job takes
  the row FOR UPDATE, so it waits for running parts, then removes all the job
  added: nothing of a failed job reaches its breach.
- One job per breach merges at a time (checked under the breach's row lock when
  the parts are made): the rows a failed job removes are rows no other import
  counted as already known.
- The job is closed (its counts, the breach's pwn_count, the alerts) once, by
  whichever part finishes last, under the job's row lock (imports.merge.merge_close).
"""

import logging
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from imports.jobs import import_fail
from imports.queue import queue_merge, queue_merge_part
from leaks.models import Breach, ImportJob, MergePart, NewExposure

log = logging.getLogger(__name__)
MERGE_FAILED = gettext_noop(
    "The merge into the breach failed, so nothing of this import was added; "
    "see the worker log for the error, then import the file again."
)
# While another import of the same breach merges, look again after this long.
WAIT_SECONDS = 5
_SIGN = 1 << 63

_MERGE_PART_SQL = """
    WITH staged AS MATERIALIZED (
        SELECT DISTINCT phone_key, key_version FROM leaks_stagedhash
        WHERE job_id = %(job)s AND phone_key BETWEEN %(first)s AND %(last)s
    ), inserted AS (
        INSERT INTO leaks_exposure (phone_key, key_version, breach_id)
        SELECT phone_key, key_version, %(breach)s FROM staged
        -- In index order: each partition's key is filled page by page.
        ORDER BY phone_key, key_version
        ON CONFLICT DO NOTHING RETURNING phone_key, key_version
    ), noted AS (
        INSERT INTO leaks_newexposure (job_id, phone_key, key_version)
        SELECT %(job)s, phone_key, key_version FROM inserted RETURNING 1
    )
    SELECT (SELECT COUNT(*) FROM noted), (SELECT COUNT(*) FROM staged)
"""
_UNDO_SQL = """
    DELETE FROM leaks_exposure e USING leaks_newexposure n
    WHERE n.job_id = %s AND e.phone_key = n.phone_key AND e.key_version = n.key_version
      AND e.breach_id = %s
"""


def parallel() -> bool:
    """Whether imports merge in parts (PostgreSQL) or in one statement (SQLite)."""
    return connection.vendor == "postgresql"


def key_ranges(parts: int) -> list[tuple[int, int]]:
    """First and last stored key of each part: equal ranges of the unsigned key,
    so with `parts` dividing the partition count a part is whole partitions."""
    step = (1 << 64) // parts
    edges = [i * step - _SIGN for i in range(parts)] + [_SIGN]
    return [(low, high - 1) for low, high in zip(edges, edges[1:], strict=False)]


def merge_start(job: ImportJob, *, inline: bool = False) -> list[int]:
    """Make the job's merge parts and queue one task each; or, `inline`, return
    their ids for the caller to run. Runs in import_finish's transaction, job locked."""
    breach = Breach.objects.select_for_update().get(pk=job.breach_id)
    busy = (
        MergePart.objects.filter(
            job__breach=breach,
            job__status=ImportJob.Status.RUNNING,
            status=MergePart.Status.PENDING,
        )
        .exclude(job=job)
        .exists()
    )
    if busy:
        log.info("import job %s waits for another import of its breach to merge", job.pk)
        transaction.on_commit(lambda: queue_merge(job.pk, countdown=WAIT_SECONDS))
        return []
    MergePart.objects.bulk_create(
        (
            MergePart(job=job, index=index, first_key=first, last_key=last)
            for index, (first, last) in enumerate(key_ranges(settings.IMPORT_MERGE_PARTS))
        ),
        ignore_conflicts=True,
    )
    # Parts made by an earlier call are queued again: a part that already ran does nothing.
    pending = list(
        job.merge_parts.filter(status=MergePart.Status.PENDING).values_list("pk", flat=True)
    )
    if inline:
        return pending
    for part_id in pending:
        transaction.on_commit(partial(queue_merge_part, part_id))
    return []


def merge_part_run(part_id: int, *, worker: str) -> int | None:
    """Merge one part; safe to run any number of times. Returns its job's id for the
    caller to try closing (imports.merge.merge_close), or None when the part failed
    and failed its job."""
    part = MergePart.objects.filter(pk=part_id).first()
    if part is None:
        return None
    try:
        _merge_part(part_id, worker)
    except Exception:
        log.exception("import job %s merge part %s crashed", part.job_id, part.index)
        merge_fail(part.job_id, MERGE_FAILED)
        return None
    return part.job_id


def _merge_part(part_id: int, worker: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        part = MergePart.objects.select_for_update().get(pk=part_id)
        if part.status == MergePart.Status.DONE:
            return
        cursor.execute(
            "SELECT status, breach_id FROM leaks_importjob WHERE id = %s FOR SHARE", [part.job_id]
        )
        status, breach_id = cursor.fetchone()
        if status != ImportJob.Status.RUNNING:
            return
        cursor.execute(
            _MERGE_PART_SQL,
            {
                "job": part.job_id,
                "first": part.first_key,
                "last": part.last_key,
                "breach": breach_id,
            },
        )
        new, distinct = cursor.fetchone()
        MergePart.objects.filter(pk=part_id).update(
            status=MergePart.Status.DONE,
            new=new,
            distinct=distinct,
            worker=worker,
            finished_at=timezone.now(),
        )


def merge_fail(job_id: int, reason: str) -> None:
    """Fail a merging job and take back what its finished parts added."""
    with transaction.atomic():
        # Waits for parts still writing (they hold the row FOR SHARE).
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.status != ImportJob.Status.RUNNING:
            return
        with connection.cursor() as cursor:
            cursor.execute(_UNDO_SQL, [job.pk, job.breach_id])
        NewExposure.objects.filter(job=job).delete()
        import_fail(job, reason)
