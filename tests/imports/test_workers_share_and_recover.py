"""The chunked import across real worker processes: two at once, and one killed mid-import."""

import os
import signal
import time

import pytest

from imports.jobs import import_create
from leaks.models import Breach, Exposure, ImportChunk, ImportJob, StagedHash
from tests.factories import wait_for_job
from tests.support.workers import start_worker, stop_worker

pytestmark = pytest.mark.worker


def write_numbers(path, rows: int) -> int:
    """`rows` valid mobiles, each number twice; returns the distinct count."""
    half = rows // 2
    with open(path, "w") as handle:
        handle.write("id,mobile\n")
        for i in range(rows):
            handle.write(f"{i},1380{i % half:07d}\n")
    return half


@pytest.fixture
def chunked(monkeypatch, settings):
    # Worker processes read these from their environment.
    monkeypatch.setenv("IMPORT_CHUNK_BYTES", str(256 * 1024))
    monkeypatch.setenv("IMPORT_BATCH_SIZE", "2000")
    settings.IMPORT_CHUNK_BYTES = 256 * 1024


def test_two_workers_share_one_import_and_count_exactly(chunked, celery_worker_process, tmp_path):
    second = start_worker(name="w2")
    try:
        dump = tmp_path / "two.csv"
        distinct = write_numbers(dump, 120_000)
        breach = Breach.objects.create(slug="two", title="Two")
        job = wait_for_job(import_create(breach=breach, path=dump, source_name="two.csv"))
        assert job.status == ImportJob.Status.DONE, job.error
        assert (job.rows, job.valid, job.new, job.duplicates) == (
            120_000,
            120_000,
            distinct,
            120_000 - distinct,
        )
        workers = set(ImportChunk.objects.filter(job=job).values_list("worker", flat=True))
        assert len(workers) == 2, workers
        assert Exposure.objects.filter(breach=breach).count() == distinct
    finally:
        stop_worker(second)


def test_a_worker_killed_mid_import_is_restarted_and_the_counts_are_exact(
    chunked, celery_worker_process, tmp_path
):
    dump = tmp_path / "kill.csv"
    distinct = write_numbers(dump, 300_000)
    breach = Breach.objects.create(slug="kill", title="Kill")
    job = import_create(breach=breach, path=dump, source_name="kill.csv")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = ImportChunk.objects.filter(job=job, status="done").count()
        running = ImportChunk.objects.filter(job=job, status="running", rows_done__gt=0)
        if done >= 1 and running.exists():
            break
        time.sleep(0.02)
    else:
        raise AssertionError("the import never got going")
    os.kill(celery_worker_process.pid, signal.SIGKILL)
    celery_worker_process.wait()
    # The dead worker cannot change anything now: was it cut off mid-chunk?
    cut_off = ImportChunk.objects.filter(job=job, status="running").exists()
    job.refresh_from_db()
    assert not job.finished
    assert StagedHash.objects.filter(job=job).exists()

    restarted = start_worker(name="w1")
    try:
        job = wait_for_job(job)
    finally:
        stop_worker(restarted)
    assert job.status == ImportJob.Status.DONE, job.error
    assert (job.rows, job.valid, job.new, job.duplicates, job.known) == (
        300_000,
        300_000,
        distinct,
        300_000 - distinct,
        0,
    )
    assert Exposure.objects.filter(breach=breach).count() == distinct
    attempts = ImportChunk.objects.filter(job=job).values_list("attempts", flat=True)
    assert max(attempts) == (2 if cut_off else 1)
    assert not StagedHash.objects.filter(job=job).exists()


def wait_for_running(job: ImportJob, attempts: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        chunk = ImportChunk.objects.filter(job=job, status="running", rows_done__gt=0).first()
        if chunk is not None and chunk.attempts == attempts:
            return
        job.refresh_from_db()
        assert not job.finished, job.error
        time.sleep(0.02)
    raise AssertionError(f"the chunk never ran a {attempts} time")


@pytest.fixture
def one_chunk(monkeypatch, settings):
    monkeypatch.setenv("IMPORT_CHUNK_BYTES", str(2**30))
    monkeypatch.setenv("IMPORT_BATCH_SIZE", "2000")
    settings.IMPORT_CHUNK_BYTES = 2**30


def test_a_chunk_whose_worker_dies_twice_is_not_started_a_third_time(
    one_chunk, celery_worker_process, tmp_path
):
    # One chunk (no split), long enough to be killed in the middle of, twice:
    # as a file that takes its worker past its memory would be.
    dump = tmp_path / "deadly.csv"
    write_numbers(dump, 600_000)
    breach = Breach.objects.create(slug="deadly", title="Deadly")
    job = import_create(breach=breach, path=dump, source_name="deadly.csv")
    worker = celery_worker_process
    for death in (1, 2):
        wait_for_running(job, attempts=death)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        # The restarted worker (same name) queues the chunk it held again.
        worker = start_worker(name="w1")
    try:
        job = wait_for_job(job, seconds=60)
    finally:
        stop_worker(worker)
    assert job.status == ImportJob.Status.FAILED
    assert job.error.startswith("The import was started 2 times at the same place"), job.error
    assert ImportChunk.objects.get(job=job).attempts == 2
    assert not StagedHash.objects.filter(job=job).exists()
    assert breach.imports.get().valid == 0
