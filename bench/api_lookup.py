"""Benchmark the API: keyed lookups and catalogue reads, through Django's full stack.

Runs on a throw-away test database (SQLite, or PostgreSQL with DATABASE_URL),
filled with random hashes, and prints timings. Sizes come from the command line:

    .venv/bin/python bench/api_lookup.py --numbers 200000 --breaches 20 --lookups 500
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from api.keys import apikey_create  # noqa: E402
from leaks.hashing import current_version, phone_key  # noqa: E402
from leaks.models import Breach, Exposure  # noqa: E402

PREFIXES = ["138", "139", "150", "186", "199"]


def fill(numbers: int, breaches: int, rng: random.Random) -> list[str]:
    version = current_version()
    created = [
        Breach.objects.create(slug=f"bench-{i}", title=f"Bench {i}", is_verified=i % 2 == 0)
        for i in range(breaches)
    ]
    known = []
    batch = []
    for n in range(numbers):
        e164 = f"+86{rng.choice(PREFIXES)}{rng.randrange(10**8):08d}"
        if n % 100 == 0:
            known.append(e164)
        batch.append(
            Exposure(breach=rng.choice(created), phone_key=phone_key(e164), key_version=version)
        )
        if len(batch) == 10000:
            Exposure.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    Exposure.objects.bulk_create(batch, ignore_conflicts=True)
    return known


def timed(action, times: int) -> list[float]:
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def report(name: str, samples: list[float]) -> None:
    samples.sort()
    p95 = samples[int(len(samples) * 0.95) - 1]
    median = statistics.median(samples)
    print(f"{name:36} n={len(samples):5}  median {median:6.2f} ms  p95 {p95:6.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--numbers", type=int, default=50000)
    parser.add_argument("--breaches", type=int, default=20)
    parser.add_argument("--lookups", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(1)

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        start = time.perf_counter()
        known = fill(args.numbers, args.breaches, rng)
        print(
            f"{connection.vendor}: {Exposure.objects.count()} exposures in {args.breaches} "
            f"breaches (filled in {time.perf_counter() - start:.1f} s)"
        )
        _key, token = apikey_create(name="bench", rate="1000000/m")
        client = Client(HTTP_X_API_KEY=token, HTTP_ACCEPT_LANGUAGE="en")

        def lookup(number: str, truncate: bool = True):
            response = client.post(
                "/api/v1/lookup",
                {"number": number, "truncate_response": truncate},
                content_type="application/json",
            )
            assert response.status_code == 200, response.content

        report(
            "lookup, known number (names)", timed(lambda: lookup(rng.choice(known)), args.lookups)
        )
        report(
            "lookup, known number (full)",
            timed(lambda: lookup(rng.choice(known), truncate=False), args.lookups),
        )
        report(
            "lookup, unknown number",
            timed(lambda: lookup(f"+86139{rng.randrange(10**8):08d}"), args.lookups),
        )
        report("GET /breaches", timed(lambda: client.get("/api/v1/breaches"), args.lookups))
        etag = client.get("/api/v1/breaches")["ETag"]
        report(
            "GET /breaches, revalidated (304)",
            timed(lambda: client.get("/api/v1/breaches", HTTP_IF_NONE_MATCH=etag), args.lookups),
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
