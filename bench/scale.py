"""Scale benchmark: 10^8 exposures on one PostgreSQL, lookups at 10^6 and 10^8, a merge into it.

Builds its own database (bc_scale_bench by default) and drops it at the end (--keep keeps it):
  build     breaches of realistic sizes (a few of 10^7, many of 10^4-10^6), their
            exposures COPYed as generated keys of the real shape (2 bytes of bucket,
            6 of OPRF output, as a signed int8), not imported; some known numbers
            get their real keyed value so lookups hit. 10^6 rows first (lookups
            measured), then the rest (loaded without the index, which is built after).
  lookups   p50/p99 in this process: "check" is leaks.lookups.found_breaches (the
            check's lookup: the keyed function, then one query), "API" is POST
            /api/v1/lookup through Django's whole stack (test client, no server),
            and the private check's evaluation (leaks.private_check.private_answer)
            with its answer's bytes, first ask of a bucket and asked again.
  dense     one bucket filled to --dense-bucket exposures (15,000: the density of
            10^9 exposures): the answer's bytes and where a first ask's time goes.
  import    IMPORT_ROWS generated keys (5% repeated, some already in other breaches)
            staged by the importer's own COPY (imports.staging) into a job whose chunks
            are marked done, then the real merge (import_finish -> one Celery task per
            merge part) with 1 and 2 workers: the same data into a new breach each time.
            The keyed function is not rerun for 10^7 numbers (over an hour on this
            machine): its rate is measured on a sample and the import's rows/s is
            figured as bench/import_bench.py's baseline is (keyed function + COPY +
            merge), the keyed function spread over the workers.

    make bench-scale EXPOSURES=100000000 IMPORT_ROWS=10000000
"""

import argparse
import os
import random
import statistics
import sys
import time
from array import array
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "breachcheck.settings")
os.environ.setdefault("BREACHCHECK_PEPPER", "bench-pepper-" + "b" * 40)
os.environ.setdefault("CELERY_QUEUE", "breachcheck-bench-scale")
os.environ.setdefault("DEBUG", "True")
os.environ.setdefault("SECRET_KEY", "bench-secret-key-" + "s" * 40)
# The API's ceilings would cut the latency runs short.
os.environ.setdefault("API_KEY_MAX_RATE", "")
os.environ.setdefault("RATELIMIT_API_GLOBAL", "100000000/h")

import import_bench  # noqa: E402  (its worker start-up and database helpers)
from scale_data import (  # noqa: E402
    breach_sizes,
    copy_keys,
    create_breaches,
    generated,
    known_numbers,
    random_keys,
)

STEPS: list[tuple[str, float]] = []


def step(name: str, started: float) -> float:
    seconds = time.perf_counter() - started
    STEPS.append((name, seconds))
    print(f"  [{name}: {seconds:.1f} s]", flush=True)
    return time.perf_counter()


def load(total: int, prefix: str, rng: random.Random, *, bulk: bool) -> int:
    """Add `total` generated exposures (and the known numbers, in the first load)."""
    from django.db import connection

    from leaks import hashing

    version = hashing.current_version()
    sizes = breach_sizes(total, rng)
    breaches = create_breaches(sizes, prefix)
    pool = random_keys(rng, max(total // 20, 1))
    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        # The foreign key is checked after the load in one join, not row by row
        # (deferred: 10^8 queued trigger events); and loading 10^8 rows into a
        # B-tree costs far more than building it after.
        raw.execute(
            "SELECT conname FROM pg_constraint "
            "WHERE conrelid = 'leaks_exposure'::regclass AND contype = 'f'"
        )
        foreign_key = raw.fetchone()[0]
        raw.execute(f"ALTER TABLE leaks_exposure DROP CONSTRAINT {foreign_key}")
        if bulk:
            raw.execute("ALTER TABLE leaks_exposure DROP CONSTRAINT leaks_exposure_pkey")
        copy_keys(raw, "leaks_exposure (phone_key, key_version, breach_id)",
                  generated(breaches, sizes, pool, rng, version))  # fmt: skip
        if prefix == "first":
            key_of = hashing.hasher(version)
            rows = [
                (array("q", [key_of(e164)]), version, breach)
                for e164 in known_numbers()
                for breach in rng.sample(breaches[:50], rng.choice((1, 1, 2, 3)))
            ]
            copy_keys(raw, "leaks_exposure (phone_key, key_version, breach_id)", rows)
        started = step(f"COPY {total:,} rows in {len(sizes)} breaches", started)
        if bulk:
            raw.execute("SET maintenance_work_mem = '1GB'")
            raw.execute(
                "ALTER TABLE leaks_exposure ADD CONSTRAINT leaks_exposure_pkey "
                "PRIMARY KEY (phone_key, key_version, breach_id)"
            )
            started = step("primary key built", started)
        raw.execute(
            f"ALTER TABLE leaks_exposure ADD CONSTRAINT {foreign_key} FOREIGN KEY (breach_id) "
            "REFERENCES leaks_breach (id) DEFERRABLE INITIALLY DEFERRED"
        )
        started = step("foreign key checked", started)
        raw.execute("ANALYZE leaks_exposure")
    return len(sizes)


def table_size() -> tuple[int, int, int]:
    """(table bytes, index bytes, rows) of leaks_exposure, all partitions."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(pg_table_size(relid)), 0), "
            "COALESCE(SUM(pg_indexes_size(relid)), 0) "
            "FROM pg_partition_tree('leaks_exposure') WHERE isleaf"
        )
        table, indexes = cursor.fetchone()
        cursor.execute("SELECT COUNT(*) FROM leaks_exposure")
        return table, indexes, cursor.fetchone()[0]


def percentiles(samples: list[float]) -> str:
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return f"p50 {statistics.median(samples):6.2f} ms  p99 {p99:6.2f} ms"


def lookups(label: str, count: int, rng: random.Random) -> None:
    from django.test import Client

    from api.keys import apikey_create
    from leaks.lookups import found_breaches
    from leaks.phones import normalize

    known = known_numbers()

    def number(i: int) -> str:
        # Half known (hits), half unknown (misses).
        return rng.choice(known) if i % 2 else f"+86139{rng.randrange(10**8):08d}"

    checks, found = [], 0
    for i in range(count):
        phone = normalize(number(i))
        started = time.perf_counter()
        found += bool(found_breaches(phone))
        checks.append((time.perf_counter() - started) * 1000)
    _key, token = apikey_create(name=f"scale-{label}", rate="100000000/m")
    client = Client(HTTP_X_API_KEY=token, HTTP_ACCEPT_LANGUAGE="en")
    api = []
    for i in range(count):
        body = {"number": number(i), "truncate_response": False}
        started = time.perf_counter()
        response = client.post("/api/v1/lookup", body, content_type="application/json")
        api.append((time.perf_counter() - started) * 1000)
        assert response.status_code in (200, 404), response.content
    print(f"lookups at {label}: {count} each, half known ({found} checks hit)")
    print(f"  check, in process (found_breaches): {percentiles(checks)}")
    print(f"  API, in process (POST /api/v1/lookup):  {percentiles(api)}")
    private_answers(label, count, rng)


def private_answers(label: str, count: int, rng: random.Random) -> None:
    """The private check's evaluation (leaks.private_check.private_answer: the scalar
    multiplication, the bucket's range scan, padding, encoding) for random buckets,
    each asked first (nothing cached) and then again (from the process's cache)."""
    from leaks import oprf
    from leaks.hashing import phone_bucket
    from leaks.private_check import clear_cache, private_answer

    first, again, sizes = [], [], []
    for i in range(count):
        e164 = rng.choice(known_numbers()) if i % 2 else f"+86139{rng.randrange(10**8):08d}"
        _blind, blinded = oprf.blind(e164.encode())
        bucket = phone_bucket(e164)
        clear_cache()  # a first ask even when a number or its bucket comes round again
        for times in (first, again):
            started = time.perf_counter()
            answer = private_answer(bucket=bucket, blinded=blinded)
            times.append((time.perf_counter() - started) * 1000)
        sizes.append(len(answer))
    sizes.sort()
    print(
        f"  private answer at {label}: {statistics.median(sizes):,.0f} bytes median, "
        f"{sizes[-1]:,} largest"
    )
    print(f"  private evaluation, first ask of a bucket: {percentiles(first)}")
    print(f"  private evaluation, asked again (cached):   {percentiles(again)}")


def dense_bucket(entries: int, asks: int, rng: random.Random) -> None:
    """One bucket filled to `entries` exposures (the density of 10^9 exposures at
    16-bit buckets is about 15,000): the answer's bytes, and where its time goes."""
    from django.db import connection

    from leaks import hashing, oprf
    from leaks.lookups import bucket_entries
    from leaks.private_check import bucket_answer_arrays, clear_cache, private_answer
    from leaks.private_encoder import encode_arrays

    e164 = known_numbers()[0]
    bucket = hashing.phone_bucket(e164)
    first, last = hashing.bucket_range(bucket)
    version = hashing.current_version()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM leaks_exposure WHERE phone_key BETWEEN %s AND %s",
            [first, last],
        )
        have = cursor.fetchone()[0]
        cursor.execute("SELECT id FROM leaks_breach ORDER BY pwn_count DESC LIMIT 200")
        breaches = [row[0] for row in cursor.fetchall()]
        # n numbers, n / 5 of them in two breaches: n * 6 / 5 exposures more.
        keys = rng.sample(range(first, last + 1), max(entries - have, 0) * 5 // 6)
        rows = [(array("q", keys[i::3]), version, breaches[i]) for i in range(3)]
        # A fifth of the numbers are in a second breach too (one entry, two ids).
        rows += [(array("q", keys[: len(keys) // 5]), version, breaches[3])]
        copy_keys(cursor.cursor, "leaks_exposure (phone_key, key_version, breach_id)", rows)
        cursor.execute(
            "SELECT count(*) FROM leaks_exposure WHERE phone_key BETWEEN %s AND %s",
            [first, last],
        )
        total = cursor.fetchone()[0]
    stages: dict[str, list[float]] = {
        k: [] for k in ("scalar", "scan", "entries and padding", "encode", "all", "cpu", "cached")
    }
    for _ in range(asks):
        clear_cache()
        _blind, blinded = oprf.blind(e164.encode())
        started, cpu = time.perf_counter(), time.process_time()
        data = private_answer(bucket=bucket, blinded=blinded)
        stages["all"].append((time.perf_counter() - started) * 1000)
        stages["cpu"].append((time.process_time() - cpu) * 1000)
        started = time.perf_counter()
        private_answer(bucket=bucket, blinded=blinded)
        stages["cached"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        oprf.blind_evaluate(hashing.server_key(), blinded)
        stages["scalar"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        bucket_entries(bucket, version)
        stages["scan"].append((time.perf_counter() - started) * 1000)
        # The answer's entries made from the scan's rows (the scan itself taken off).
        started = time.perf_counter()
        arrays = bucket_answer_arrays(bucket, version)
        stages["entries and padding"].append(
            (time.perf_counter() - started) * 1000 - stages["scan"][-1]
        )
        started = time.perf_counter()
        encode_arrays(*arrays, 64 - hashing.bucket_bits())
        stages["encode"].append((time.perf_counter() - started) * 1000)
    print(
        f"a bucket of {total:,} exposures ({len(arrays[0]):,} entries with padding): "
        f"answer {len(data):,} bytes ({len(data) / 1024:.1f} KiB, goal <= 96 KB)"
    )
    print(
        f"  evaluation, first ask: median {statistics.median(stages['all']):.1f} ms "
        f"(goal <= 20 ms), of which this process's CPU {statistics.median(stages['cpu']):.1f} ms"
        f"; again, cached: median {statistics.median(stages['cached']):.2f} ms"
    )
    print(
        "  where a first ask's time goes (medians): "
        + ", ".join(
            f"{k} {statistics.median(stages[k]):.1f} ms"
            for k in ("scalar", "scan", "entries and padding", "encode")
        )  # fmt: skip
    )


def keyed_rate(sample: int = 20_000) -> float:
    from leaks import hashing

    key_of = hashing.hasher(prefix="+86")
    started = time.perf_counter()
    for i in range(sample):
        key_of(f"138{i:08d}")
    return sample / (time.perf_counter() - started)


def import_keys(rows: int, rng: random.Random) -> array:
    """The dump's keys: 95% distinct, 10% of those already in other breaches."""
    from django.db import connection

    distinct = rows * 95 // 100
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT phone_key FROM leaks_exposure TABLESAMPLE SYSTEM (1) LIMIT %s",
            [distinct // 10],
        )
        keys = array("q", (row[0] for row in cursor.fetchall()))
    keys.extend(random_keys(rng, distinct - len(keys)))
    keys.extend(keys[: rows - distinct])
    return keys


def staged_job(keys: array, chunk_rows: int):
    """A running job whose chunks are done and whose keys are staged by imports.staging."""
    from django.utils import timezone

    from imports.readers import Plan
    from imports.staging import stage_hashes
    from leaks import hashing
    from leaks.models import Breach, ImportChunk, ImportJob

    breach = Breach.objects.create(slug=f"scale-import-{time.time_ns()}", title="Scale import")
    job = ImportJob.objects.create(
        breach=breach,
        source_name="generated",
        file_path="",
        status=ImportJob.Status.RUNNING,
        started_at=timezone.now(),
        plan=Plan(format="lines").as_dict(),
    )
    version = hashing.current_version()
    for index, offset in enumerate(range(0, len(keys), chunk_rows)):
        part = keys[offset : offset + chunk_rows]
        for start in range(0, len(part), 20_000):
            stage_hashes(
                job_id=job.pk, chunk=index, version=version, hashes=part[start : start + 20_000]
            )
        ImportChunk.objects.create(
            job=job,
            index=index,
            start=offset,
            end=offset + len(part),
            status=ImportChunk.Status.DONE,
            tally={"rows": len(part), "valid": len(part), "kinds": {"mobile": len(part)}},
        )
    return job


def merged(job, workers: int) -> float:
    """Merge a staged job with `workers` Celery workers; the seconds it took."""
    from imports.merge import import_finish
    from leaks.models import ImportJob

    with import_bench.running_workers(workers, f"scale{workers}"):
        started = time.perf_counter()
        import_finish(job, inline=False)
        import_bench.wait_finished(job, poll=0.05)
        seconds = time.perf_counter() - started
    if job.status != ImportJob.Status.DONE:
        raise RuntimeError(f"merge failed: {job.error}")
    return seconds


def import_step(rows: int, worker_counts: list[int], rng: random.Random) -> None:
    from django.conf import settings
    from django.db import connection

    from leaks.models import MergePart

    keyed = keyed_rate()
    print(f"keyed function (RFC 9497 OPRF) in one process: {keyed:,.0f} numbers/s")
    started = time.perf_counter()
    keys = import_keys(rows, rng)
    started = step(f"{rows:,} import keys generated", started)
    baseline = 0.0
    for workers in worker_counts:
        started = time.perf_counter()
        job = staged_job(keys, chunk_rows=1_000_000)
        copy_s = time.perf_counter() - started
        started = step(f"staged {rows:,} keys (imports.staging COPY)", started)
        merge_s = merged(job, workers)
        started = step(f"merged with {workers} worker(s)", started)
        parts = MergePart.objects.filter(job=job)
        by = sorted({part.worker.split("@")[0] for part in parts})
        # When each part was done, from the start of the merge: shows the overlap.
        begun = job.finished_at - timedelta(seconds=merge_s)
        done_at = ", ".join(
            f"{part.index}:{(part.finished_at - begun).total_seconds():.0f}s"
            for part in parts.order_by("index")
        )
        # The baseline of make bench-import: keyed function + COPY + conflict-skipping
        # insert, all in one process: here the first run's (one worker merging
        # its parts one after another). The import: the keyed function over the workers.
        keyed_s = rows / keyed
        baseline = baseline or rows / (keyed_s + copy_s + merge_s)
        import_rate = rows / (keyed_s / workers + copy_s + merge_s)
        print(
            f"import {rows:,} rows into {connection.vendor} with {workers} worker(s): "
            f"staging COPY {copy_s:.1f} s (+ keyed function {keyed_s / workers:,.0f} s, "
            f"figured), merge {merge_s:.1f} s in {settings.IMPORT_MERGE_PARTS} parts by {by}; "
            f"new {job.new:,} known {job.known:,} duplicates {job.duplicates:,}; "
            f"{import_rate:,.0f} rows/s, baseline {baseline:,.0f} rows/s "
            f"({import_rate / baseline:.0%}); parts done at {done_at}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--exposures", type=int, default=10**8)
    parser.add_argument("--first", type=int, default=10**6, help="lookups measured here too")
    parser.add_argument("--import-rows", type=int, default=10**7)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--lookups", type=int, default=1000)
    parser.add_argument("--dense-bucket", type=int, default=15_000, help="exposures in one bucket")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--reuse", action="store_true", help="a kept database: skip the build")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (make bench-scale does).")
    name = url.rsplit("/", 1)[1].split("?")[0]
    began = started = time.perf_counter()
    if not args.reuse:
        drop_database(url, name)
    import_bench.ensure_database(url)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_test_environment

    from breachcheck.celery import app

    setup_test_environment()  # the test client's host name
    call_command("migrate", verbosity=0)
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(settings.CELERY_TASK_DEFAULT_QUEUE)
    print(
        f"{name}: {settings.EXPOSURE_PARTITIONS} partitions, merge in "
        f"{settings.IMPORT_MERGE_PARTS} parts; {os.cpu_count()} CPUs (shared: figures are noisy)"
    )
    started = step("database and migrations", started)
    rng = random.Random(13)
    try:
        if not args.reuse:
            load(args.first, "first", rng, bulk=False)
            table, indexes, rows = table_size()
            print(f"{rows:,} exposures: {(table + indexes) / rows:.1f} bytes each")
            started = time.perf_counter()
            lookups(f"{rows:,}", args.lookups, rng)
            started = step("lookups", started)
            if args.exposures > args.first:
                load(args.exposures - args.first, "rest", rng, bulk=True)
        started = time.perf_counter()
        table, indexes, rows = table_size()
        print(
            f"{rows:,} exposures: table {table / 2**30:.2f} GiB + index {indexes / 2**30:.2f} GiB"
            f" = {(table + indexes) / rows:.1f} bytes each"
        )
        lookups(f"{rows:,}", args.lookups, rng)
        started = step("lookups", started)
        dense_bucket(args.dense_bucket, 21, rng)
        started = step("dense bucket", started)
        if args.import_rows:
            import_step(args.import_rows, [int(n) for n in args.workers.split(",")], rng)
    finally:
        connection.close()
        if not args.keep:
            started = time.perf_counter()
            drop_database(url, name)
            step("database dropped", started)
    print(f"bench-scale took {time.perf_counter() - began:.0f} s: " + ", ".join(
        f"{label} {seconds:.0f} s" for label, seconds in STEPS))  # fmt: skip


def drop_database(url: str, name: str) -> None:
    import psycopg

    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
