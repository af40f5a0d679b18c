"""An import job's life outside its run: made, failed, retried, its file discarded.

``import_create`` is the one way a job is made (the upload view, the command,
the demo, a retry). A failed job keeps its uploaded file for a retry with other
options until the admin discards it or housekeeping deletes it.
"""

import logging
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from imports.queue import queue_plan
from imports.readers import DumpError, Plan
from leaks.models import Breach, ImportJob, StagedHash
from leaks.redaction import redact

log = logging.getLogger(__name__)
FILE_GONE = gettext_noop("The dump file is gone; upload it again.")


def import_create(
    *,
    breach: Breach,
    path: Path,
    source_name: str,
    delete_file: bool = False,
    options: dict | None = None,
    user: User | None = None,
    queue: bool = True,
) -> ImportJob:
    """Record an import: the one way a job is made. Queued for a worker once the
    record is committed, unless ``queue`` is false (then run it with import_run)."""
    job = ImportJob.objects.create(
        breach=breach,
        file_path=str(path),
        # The uploaded file's name is shown and stored: "13812340000.csv" is not.
        source_name=redact(source_name),
        delete_file=delete_file,
        options=options or {},
        created_by=user,
        size=Path(path).stat().st_size if Path(path).is_file() else 0,
    )
    if queue:
        transaction.on_commit(lambda: queue_plan(job.pk))
    return job


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
            plan=_without_header(locked.plan),
            finished_at=timezone.now(),
            error=str(error),
            report={"error": error.as_dict()},
        )
    log.info("import job %s failed: %s", job.pk, error)


def delete_file(job: ImportJob) -> None:
    if job.delete_file and job.file_path:
        Path(job.file_path).unlink(missing_ok=True)


def import_retry(*, job: ImportJob, options: dict, user: User | None = None) -> ImportJob:
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
        delete_file(locked)
        ImportJob.objects.filter(pk=locked.pk).update(file_path="")


def failed_files_clear() -> int:
    """Delete the files of uploads that failed more than IMPORT_FAILED_FILE_HOURS ago."""
    cutoff = timezone.now() - timedelta(hours=settings.IMPORT_FAILED_FILE_HOURS)
    old = ImportJob.objects.filter(
        status=ImportJob.Status.FAILED, delete_file=True, finished_at__lt=cutoff
    ).exclude(file_path="")
    count = 0
    for job in old:
        delete_file(job)
        count += ImportJob.objects.filter(pk=job.pk, file_path=job.file_path).update(file_path="")
    return count


def _without_header(stored: dict) -> dict:
    # A job that failed before its plan was made has none to clean.
    return Plan.from_dict(stored).without_header().as_dict() if stored else {}
