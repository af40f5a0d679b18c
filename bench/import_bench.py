"""Import benchmark: end-to-end import with 1 and 2 Celery workers against a raw baseline.

Generates a CSV dump of N rows (mostly Chinese mobiles, with duplicates, other
forms and junk), then measures on PostgreSQL:
  baseline   the keyed function (RFC 9497 OPRF) of every valid number, COPY of the
             keys + INSERT ... ON CONFLICT DO NOTHING, in one process, no parsing
  1 worker   the real import (plan, read, normalise, key, COPY, merge) in one worker
  2 workers  the same with two workers sharing the chunks
and prints rows per second, the peak RSS of the worker processes, and the bytes
per exposure (table and index of every partition, pg_total_relation_size) after the first import
into an empty exposures table.

    make bench-import ROWS=1000000
"""

import argparse
import contextlib
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "breachcheck.settings")
os.environ.setdefault("BREACHCHECK_PEPPER", "bench-pepper-" + "b" * 40)
os.environ.setdefault("CELERY_QUEUE", "breachcheck-bench")
os.environ.setdefault("DEBUG", "True")
os.environ.setdefault("SECRET_KEY", "bench-secret-key-" + "s" * 40)

PREFIXES = ["138", "139", "150", "151", "186", "187", "135", "136", "177", "199", "170", "166"]


def write_dump(path: Path, rows: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    distinct = max(rows * 9 // 10, 1)
    with open(path, "w", encoding="utf-8") as out:
        out.write("id,name,qq,mobile,city\n")
        for i in range(rows):
            roll = rng.random()
            j = rng.randrange(distinct)
            mobile = f"{PREFIXES[j % len(PREFIXES)]}{j:08d}"
            if roll < 0.02:
                mobile = rng.choice(["", "12345", "1.38001E+10", "n/a", "010-65529988"])
            elif roll < 0.05:
                mobile = f"+86 {mobile[:3]} {mobile[3:7]} {mobile[7:]}"
            elif roll < 0.07:
                mobile = f"{mobile}.0"
            out.write(f"{i},user{i},{rng.randrange(10**5, 10**10)},{mobile},city\n")


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def baseline(path: Path) -> tuple[float, int]:
    """Rows/s of computing the keyed function, COPY, and a conflict-skipping insert."""
    from django.db import connection

    from imports.dumps import read_phone_values
    from leaks import hashing
    from leaks.fastphones import fast_normalize
    from leaks.models import Breach
    from leaks.phones import InvalidPhone, normalize

    key_of = hashing.hasher()
    numbers = []
    rows = 0
    for value in read_phone_values(path)[1]:
        rows += 1
        with contextlib.suppress(InvalidPhone):
            numbers.append((fast_normalize(value or "") or normalize(value or "")).e164)
    breach = Breach.objects.create(slug=f"baseline-{time.time_ns()}", title="baseline")
    started = time.perf_counter()
    data = "".join(f"{key_of(e164)}\t1\n" for e164 in numbers)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_stage (phone_key bigint, key_version smallint)")
        with cursor.cursor.copy("COPY bench_stage FROM STDIN") as copy:
            for offset in range(0, len(data), 1 << 22):
                copy.write(data[offset : offset + (1 << 22)])
        cursor.execute(
            "INSERT INTO leaks_exposure (phone_key, key_version, breach_id) "
            "SELECT DISTINCT phone_key, key_version, %s FROM bench_stage "
            "ORDER BY phone_key, key_version ON CONFLICT DO NOTHING",
            [breach.pk],
        )
        cursor.execute("DROP TABLE bench_stage")
    return rows / (time.perf_counter() - started), len(numbers)


def exposure_bytes() -> tuple[int, int]:
    """(bytes of leaks_exposure with its index, rows in it)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE leaks_exposure")
        # The partitioned parent holds nothing itself: count what its partitions store.
        cursor.execute(
            "SELECT COALESCE(SUM(pg_total_relation_size(relid)), 0), "
            "(SELECT COUNT(*) FROM leaks_exposure) "
            "FROM pg_partition_tree('leaks_exposure') WHERE isleaf"
        )
        return cursor.fetchone()


def empty_exposures() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE leaks_exposure, leaks_newexposure")


def start_workers(count: int, tag: str) -> list[subprocess.Popen]:
    workers = []
    for i in range(count):
        log = open(Path(tempfile.gettempdir()) / f"bench-{tag}-{i}.log", "w")  # noqa: SIM115
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "breachcheck",
                "worker",
                "--pool=solo",
                "--loglevel=WARNING",
                f"--hostname=bench-{tag}-{i}@%h",
                "--without-mingle",
                "--without-gossip",
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        proc.log = log  # type: ignore[attr-defined]
        workers.append(proc)
    time.sleep(1)
    # Wait until every worker answers a ping.
    from breachcheck.celery import app

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=1.0) or []
        names = {name for reply in replies for name in reply}
        if sum(f"bench-{tag}-" in name for name in names) >= count:
            return workers
    raise RuntimeError("workers did not start")


def peak_rss_mb(proc: subprocess.Popen) -> float:
    for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


@contextlib.contextmanager
def running_workers(count: int, tag: str) -> Iterator[list[subprocess.Popen]]:
    """`count` Celery workers for the block (start_workers), stopped after it."""
    procs = start_workers(count, tag)
    try:
        yield procs
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=60)


def wait_finished(job, *, poll: float) -> None:
    while True:
        job.refresh_from_db()
        if job.finished:
            return
        time.sleep(poll)


def end_to_end(path: Path, workers: int) -> tuple[float, float, dict]:
    from imports.jobs import import_create
    from leaks.models import Breach, ImportJob

    with running_workers(workers, f"w{workers}") as procs:
        breach = Breach.objects.create(slug=f"bench-{workers}-{time.time_ns()}", title="bench")
        started = time.perf_counter()
        job = import_create(breach=breach, path=path, source_name=path.name)
        wait_finished(job, poll=0.1)
        seconds = time.perf_counter() - started
        peak = max(peak_rss_mb(proc) for proc in procs)
    if job.status != ImportJob.Status.DONE:
        raise RuntimeError(f"import failed: {job.error}")
    # Where the time went: chunks staged in parallel, then one serial merge.
    staged_at = max(job.chunks.values_list("heartbeat", flat=True))
    phases = {
        "chunks": job.chunks.count(),
        "staging_s": round((staged_at - job.started_at).total_seconds(), 1),
        "merge_s": round((job.finished_at - staged_at).total_seconds(), 1),
    }
    return job.rows / seconds, peak, {**job.summary(), **phases}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (make bench-import does).")
    ensure_database(url)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from breachcheck.celery import app

    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(settings.CELERY_TASK_DEFAULT_QUEUE)

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench-dump.csv"
        write_dump(path, args.rows)
        size_mb = path.stat().st_size / 2**20
        print(
            f"dump: {args.rows:,} rows, {size_mb:.1f} MB, chunks of "
            f"{settings.IMPORT_CHUNK_BYTES / 2**20:.0f} MB; "
            f"{os.cpu_count()} CPUs (shared: figures are noisy)"
        )
        rate, valid = baseline(path)
        print(
            f"baseline  keyed function + COPY + ON CONFLICT insert of {valid:,} numbers: "
            f"{rate:>10,.0f} rows/s"
        )
        empty_exposures()
        for index, count in enumerate(int(n) for n in args.workers.split(",")):
            rate_e2e, peak, summary = end_to_end(path, count)
            if index == 0:
                size, stored = exposure_bytes()
                print(
                    f"exposures after one import into an empty table: {stored:,} rows, "
                    f"{size / 2**20:.1f} MB with the index: {size / max(stored, 1):.1f} bytes each"
                )
            print(
                f"import    {count} worker{'s' if count > 1 else ' '}: "
                f"{rate_e2e:>10,.0f} rows/s   peak worker RSS {peak:.0f} MB   "
                f"({rate_e2e / rate:.0%} of baseline)   "
                f"staging {summary['staging_s']}s + merge {summary['merge_s']}s"
            )
        print(f"last import: {summary}")


if __name__ == "__main__":
    main()
