"""The parallel merge on PostgreSQL (imports/merge.py): parts across real workers,
exact counts, a part run twice, a part that fails."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from imports import merge_parts as merge
from imports.importer import import_chunk_run, import_plan, import_resume
from imports.jobs import import_create
from imports.merge import import_finish, merge_close, merge_part
from leaks.models import (
    Breach,
    Exposure,
    ImportChunk,
    ImportJob,
    MergePart,
    NewExposure,
    StagedHash,
)
from leaks.signals import import_visible
from tests.factories import import_job, wait_for_job
from tests.support.workers import purge_queue, start_worker, stop_worker

pytestmark = [pytest.mark.worker, pytest.mark.postgres]


@pytest.fixture(autouse=True)
def postgres(settings, monkeypatch):
    # Worker processes read these from their environment.
    monkeypatch.setenv("IMPORT_CHUNK_BYTES", str(256 * 1024))
    monkeypatch.setenv("IMPORT_MERGE_PARTS", "4")
    settings.IMPORT_CHUNK_BYTES = 256 * 1024
    settings.IMPORT_MERGE_PARTS = 4


def write_numbers(path, numbers: range, repeat: int = 2) -> None:
    """Each number of `numbers` `repeat` times, one mobile a row."""
    with open(path, "w") as handle:
        handle.write("id,mobile\n")
        for copy in range(repeat):
            for i in numbers:
                handle.write(f"{copy}-{i},1390{i:07d}\n")


def partitions() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relid::regclass::text FROM pg_partition_tree('leaks_exposure') "
            "WHERE isleaf ORDER BY 1"
        )
        return [row[0] for row in cursor.fetchall()]


def test_exposures_are_partitioned_and_each_part_is_whole_partitions(db, settings):
    names = partitions()
    assert len(names) == settings.EXPOSURE_PARTITIONS
    ranges = merge.key_ranges(4)
    assert ranges[0][0] == -(2**63) and ranges[-1][1] == 2**63 - 1
    assert all(last + 1 == first for (_, last), (first, _) in zip(ranges, ranges[1:], strict=False))
    breach = Breach.objects.create(slug="ends", title="Ends")
    Exposure.objects.bulk_create(
        Exposure(phone_key=key, key_version=1, breach=breach) for pair in ranges for key in pair
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT phone_key, tableoid::regclass::text FROM leaks_exposure WHERE breach_id = %s",
            [breach.pk],
        )
        home = dict(cursor.fetchall())
    per_part = settings.EXPOSURE_PARTITIONS // 4
    for index, (first, last) in enumerate(ranges):
        assert home[first] == names[index * per_part]
        assert home[last] == names[index * per_part + per_part - 1]


def test_two_workers_merge_the_parts_and_the_counts_are_exact(transactional_db, tmp_path):
    purge_queue()
    breach = Breach.objects.create(slug="parts", title="Parts")
    first = tmp_path / "first.csv"
    write_numbers(first, range(0, 30_000))
    second = tmp_path / "second.csv"
    write_numbers(second, range(20_000, 45_000), repeat=3)
    workers = [start_worker(name="m1"), start_worker(name="m2")]
    try:
        one = wait_for_job(import_create(breach=breach, path=first, source_name="first.csv"))
        two = wait_for_job(import_create(breach=breach, path=second, source_name="second.csv"))
    finally:
        for worker in workers:
            stop_worker(worker)
    assert one.status == ImportJob.Status.DONE, one.error
    assert (one.rows, one.new, one.known, one.duplicates) == (60_000, 30_000, 0, 30_000)
    assert two.status == ImportJob.Status.DONE, two.error
    assert (two.rows, two.new, two.known, two.duplicates) == (75_000, 15_000, 10_000, 50_000)
    breach.refresh_from_db()
    assert breach.pwn_count == 45_000 == Exposure.objects.filter(breach=breach).count()
    parts = MergePart.objects.filter(job=two)
    assert sorted(parts.values_list("status", flat=True)) == ["done"] * 4
    assert sum(parts.values_list("new", flat=True)) == 15_000
    assert len({part.worker.split("@")[0] for part in MergePart.objects.all()}) == 2
    assert NewExposure.objects.filter(job=two).count() == 15_000
    assert not StagedHash.objects.exists()


def test_a_merge_part_run_again_changes_nothing(transactional_db, tmp_path, request):
    enqueued = []

    def visible(sender, job, **kwargs):
        enqueued.append(job)

    import_visible.connect(visible)
    request.addfinalizer(lambda: import_visible.disconnect(visible))
    breach = Breach.objects.create(slug="again", title="Again")
    dump = tmp_path / "again.csv"
    write_numbers(dump, range(0, 4_000))
    job = import_job(breach, dump)
    for chunk_id in import_plan(job):
        import_chunk_run(ImportChunk.objects.get(pk=chunk_id), worker="t", finish=False)
    # Parts made but not yet run, as a worker would find them after a crash.
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        ids = merge.merge_start(locked, inline=True)
    assert len(ids) == 4
    # A part cut short: its transaction rolls back, nothing of it stays.
    with pytest.raises(RuntimeError), transaction.atomic():
        merge._merge_part(ids[0], "crashed")
        raise RuntimeError("killed")
    assert MergePart.objects.get(pk=ids[0]).status == MergePart.Status.PENDING
    assert Exposure.objects.filter(breach=breach).count() == 0
    for part_id in ids + ids:  # every part twice, as a re-delivered task would
        merge_part(part_id, worker="t")
    job.refresh_from_db()
    breach.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.error
    assert (job.new, job.duplicates) == (4_000, 4_000)
    assert breach.pwn_count == 4_000 == Exposure.objects.filter(breach=breach).count()
    assert NewExposure.objects.filter(job=job).count() == 4_000
    assert MergePart.objects.get(pk=ids[0]).worker == "t"
    # Closing again (a late part's close) adds nothing.
    merge_close(job.pk)
    import_finish(job)
    breach.refresh_from_db()
    assert breach.pwn_count == 4_000
    assert [queued.pk for queued in enqueued] == [job.pk]  # the alerts' signal, once


def test_one_failing_part_fails_the_job_and_the_breach_keeps_its_counts(
    transactional_db, celery_worker_process, tmp_path, settings
):
    breach = Breach.objects.create(slug="fails", title="Fails")
    before = tmp_path / "before.csv"
    write_numbers(before, range(0, 10_000), repeat=1)
    done = wait_for_job(import_create(breach=breach, path=before, source_name="before.csv"))
    assert done.status == ImportJob.Status.DONE, done.error
    breach.refresh_from_db()
    assert breach.pwn_count == 10_000
    # Inserts into one partition of the second part fail, as a full disk would.
    victim = partitions()[settings.EXPOSURE_PARTITIONS // 4 + 1]
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'disk full'; END $$"
        )
        cursor.execute(
            f"CREATE TRIGGER refuse BEFORE INSERT ON {victim} "
            "FOR EACH ROW EXECUTE FUNCTION refuse()"
        )
    try:
        dump = tmp_path / "fails.csv"
        write_numbers(dump, range(5_000, 25_000))
        job = wait_for_job(import_create(breach=breach, path=dump, source_name="fails.csv"))
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER refuse ON {victim}")
            cursor.execute("DROP FUNCTION refuse()")
    assert job.status == ImportJob.Status.FAILED
    assert job.error == merge.MERGE_FAILED
    assert "disk full" not in job.error
    parts = MergePart.objects.filter(job=job)
    assert parts.filter(status=MergePart.Status.PENDING).count() >= 1
    breach.refresh_from_db()
    assert breach.pwn_count == 10_000 == Exposure.objects.filter(breach=breach).count()
    assert not NewExposure.objects.filter(job=job).exists()
    assert not StagedHash.objects.filter(job=job).exists()
    # The failed job's parts, run again, do nothing.
    for part_id in parts.values_list("pk", flat=True):
        merge_part(part_id, worker="late")
    assert Exposure.objects.filter(breach=breach).count() == 10_000


def staged_and_stalled(breach: Breach, dump, settings) -> ImportJob:
    """A job whose chunks all ran long ago, as a worker killed before the merge leaves it."""
    job = import_job(breach, dump)
    for chunk_id in import_plan(job):
        import_chunk_run(ImportChunk.objects.get(pk=chunk_id), worker="dead", finish=False)
    long_ago = timezone.now() - timedelta(seconds=settings.IMPORT_STALL_SECONDS + 60)
    job.chunks.update(heartbeat=long_ago)
    return job


def test_a_merge_lost_with_its_worker_is_finished_by_the_resume_sweep(
    transactional_db, celery_worker_process, tmp_path, settings
):
    breach = Breach.objects.create(slug="lost", title="Lost")
    dump = tmp_path / "lost.csv"
    write_numbers(dump, range(0, 3_000))
    job = staged_and_stalled(breach, dump, settings)
    # Parts made, one merged, the rest never queued: their worker died.
    with transaction.atomic():
        ids = merge.merge_start(ImportJob.objects.select_for_update().get(pk=job.pk), inline=True)
    merge.merge_part_run(ids[0], worker="dead")
    assert import_resume() == []  # no chunk to run again; the merge is queued
    job = wait_for_job(job)
    assert job.status == ImportJob.Status.DONE, job.error
    assert (job.new, job.duplicates) == (3_000, 3_000)
    breach.refresh_from_db()
    assert breach.pwn_count == 3_000 == Exposure.objects.filter(breach=breach).count()


def test_a_close_lost_with_its_worker_is_done_by_the_resume_sweep(
    transactional_db, celery_worker_process, tmp_path, settings
):
    breach = Breach.objects.create(slug="unclosed", title="Unclosed")
    dump = tmp_path / "unclosed.csv"
    write_numbers(dump, range(0, 2_000))
    job = staged_and_stalled(breach, dump, settings)
    with transaction.atomic():
        ids = merge.merge_start(ImportJob.objects.select_for_update().get(pk=job.pk), inline=True)
    for part_id in ids:  # every part merged, the close never ran
        merge.merge_part_run(part_id, worker="dead")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING
    import_resume()
    job = wait_for_job(job)
    assert job.status == ImportJob.Status.DONE, job.error
    breach.refresh_from_db()
    assert breach.pwn_count == 2_000 == job.new
