"""Import a dump into a breach: read, normalise, hash, stage, then merge.

Hashes are staged per job and merged into the breach's exposures in one
transaction, so a crash before the merge leaves the breach untouched and a
re-run of the job starts clean. The counts come from the database, so they
are exact however often the job ran.
"""

import logging
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from alerts.services import alerts_enqueue_for_job
from leaks import hashing
from leaks.dumps import DumpError, read_phone_values
from leaks.models import Breach, Exposure, ImportJob, StagedHash
from leaks.phones import InvalidPhone, Phone, normalize, region_name

log = logging.getLogger(__name__)
TOP_REGIONS = 10


class Tally:
    """What an import has seen so far; never holds a number."""

    def __init__(self) -> None:
        self.rows = 0
        self.no_phone = 0
        self.valid = 0
        self.reasons: Counter[str] = Counter()
        self.kinds: Counter[str] = Counter()
        self.regions: Counter[str] = Counter()
        self.virtual_operator = 0

    def add_valid(self, phone: Phone) -> None:
        self.valid += 1
        self.kinds[phone.kind if phone.country == "CN" else "foreign"] += 1
        self.virtual_operator += phone.virtual_operator
        self.regions[province(phone)] += 1

    @property
    def invalid(self) -> int:
        return sum(self.reasons.values())

    def report(self) -> dict:
        return {
            "rows": self.rows,
            "phone_values": self.rows - self.no_phone,
            "no_phone": self.no_phone,
            "invalid_reasons": dict(self.reasons.most_common()),
            "kinds": dict(self.kinds.most_common()),
            "virtual_operator": self.virtual_operator,
            "top_regions": dict(self.regions.most_common(TOP_REGIONS)),
        }


_PROVINCES: dict[str, str] = {}


def province(phone: Phone) -> str:
    """Province for Chinese numbers, country for others; cached by number block."""
    if phone.country != "CN":
        return phone.country
    block = phone.e164[:10] if phone.kind == "mobile" else phone.e164[:7]
    if block not in _PROVINCES:
        _PROVINCES[block] = _province_of(region_name(phone.e164, "zh")) or "CN"
    return _PROVINCES[block]


def _province_of(description: str) -> str:
    for marker in ("省", "自治区", "市"):
        if marker in description:
            return description[: description.index(marker) + len(marker)]
    return description


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
    )
    transaction.on_commit(lambda: import_dump.delay(job.pk))
    return job


def import_run(job: ImportJob) -> ImportJob:
    """Run one import to the end; a broken dump fails the job with a readable reason."""
    if job.finished:
        return job
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now()
    )
    try:
        tally = _stage(job)
        _merge(job, tally)
    except DumpError as exc:
        _fail(job, str(exc))
    except Exception:
        log.exception("import job %s crashed", job.pk)
        _fail(job, "The import crashed; see the worker log for the error.")
    finally:
        if job.delete_file:
            Path(job.file_path).unlink(missing_ok=True)
    job.refresh_from_db()
    log.info("import job %s %s: %s", job.pk, job.status, job.summary())
    return job


def _stage(job: ImportJob) -> Tally:
    StagedHash.objects.filter(job=job).delete()
    path = Path(job.file_path)
    if not path.is_file():
        raise DumpError("The dump file is gone; upload it again.")
    options = job.options
    column, values = read_phone_values(
        path, column=options.get("column"), encoding=options.get("encoding")
    )
    region = options.get("region") or settings.PHONE_DEFAULT_REGION
    version = hashing.current_version()
    tally = Tally()
    batch: list[StagedHash] = []
    for value in values:
        tally.rows += 1
        if value is None:
            tally.no_phone += 1
            continue
        try:
            phone = normalize(value, region)
        except InvalidPhone as exc:
            tally.reasons[exc.reason] += 1
            continue
        tally.add_valid(phone)
        batch.append(
            StagedHash(job=job, phone_hash=hashing.phone_hash(phone.e164), key_version=version)
        )
        if len(batch) >= settings.IMPORT_BATCH_SIZE:
            StagedHash.objects.bulk_create(batch)
            batch = []
    StagedHash.objects.bulk_create(batch)
    if tally.rows == 0:
        raise DumpError("The file has no rows.")
    job.report = {"column": {"index": column.index, "name": column.name, "by": column.found_by}}
    return tally


_MERGE_SQL = """
    INSERT INTO leaks_exposure (breach_id, phone_hash, key_version, first_job_id)
    SELECT DISTINCT %s, phone_hash, key_version, %s FROM leaks_stagedhash WHERE job_id = %s
    ON CONFLICT DO NOTHING
"""
_DISTINCT_SQL = """
    SELECT COUNT(*) FROM (
        SELECT DISTINCT phone_hash, key_version FROM leaks_stagedhash WHERE job_id = %s
    ) AS staged
"""


@transaction.atomic
def _merge(job: ImportJob, tally: Tally) -> None:
    breach = Breach.objects.select_for_update().get(pk=job.breach_id)
    with connection.cursor() as cursor:
        cursor.execute(_MERGE_SQL, [breach.pk, job.pk, job.pk])
        new = cursor.rowcount
        cursor.execute(_DISTINCT_SQL, [job.pk])
        distinct = cursor.fetchone()[0]
    StagedHash.objects.filter(job=job).delete()
    breach.pwn_count = Exposure.objects.filter(breach=breach).count()
    breach.save(update_fields=["pwn_count"])
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.DONE,
        finished_at=timezone.now(),
        rows=tally.rows,
        valid=tally.valid,
        invalid=tally.invalid,
        duplicates=tally.valid - distinct,
        known=distinct - new,
        new=new,
        report={**job.report, **tally.report()},
        error="",
    )
    # Alerts for the new exposures, queued when this transaction commits.
    alerts_enqueue_for_job(job)


def _fail(job: ImportJob, reason: str) -> None:
    with transaction.atomic():
        StagedHash.objects.filter(job=job).delete()
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.FAILED, finished_at=timezone.now(), error=reason
        )
