"""Where a check's time goes: cProfile of checks and API lookups in one process.

Builds its own PostgreSQL database (bc_fast_profile unless PROFILE_DATABASE_URL;
dropped afterwards) the way bench/check_throughput.py does, with Redis and the
limits on, then drives --checks full checks (POST / and GET /result/), as
many API lookups and as many private-check evaluations (a bucket at random each)
through Django's test client, each from another /24, and prints the mean time
per check and the functions that take most of it.
Run with `make profile-check`.
"""

import argparse
import cProfile
import io
import os
import pstats
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.check_throughput import (  # noqa: E402
    PATHS,
    number_of,
    prepare_database,
    private_bodies,
    psql,
)
from bench.gunicorn_server import forget_cache_keys, production_env  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exposures", type=int, default=100_000)
    parser.add_argument("--checks", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="cumulative", help="pstats order: cumulative, tottime")
    parser.add_argument(
        "--plain", action="store_true", help="time without the profiler, with queries counted"
    )
    args = parser.parse_args()
    database_url = os.getenv(
        "PROFILE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bc_fast_profile"
    )
    name = database_url.rsplit("/", 1)[1]
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    psql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(admin_url, f'CREATE DATABASE "{name}"')
    work = Path(tempfile.mkdtemp(prefix="profile-check-"))
    env = production_env(
        work,
        ALLOWED_HOSTS="testserver",
        DATABASE_URL=database_url,
        REDIS_URL=os.getenv("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3"),
        CACHE_KEY_PREFIX=f"profile-check-{secrets.token_hex(4)}",
        TRUSTED_PROXIES="127.0.0.1",
        POW_CALM_CHECKS_PER_MINUTE="1000000000",
        API_KEY_MAX_RATE="",
    )
    try:
        filled = prepare_database(env, args.exposures, hit_counters=args.checks + 10)
        from django.core.management import call_command
        from django.test import Client

        call_command("collectstatic", "--noinput", verbosity=0)

        client = Client(enforce_csrf_checks=False)

        def full_check(counter: int) -> None:
            forwarded = f"12.{counter // 256 % 256}.{counter % 256}.7"
            number = number_of(PATHS["full"], 0, counter)
            response = client.post("/", {"phone": number}, HTTP_X_FORWARDED_FOR=forwarded)
            assert response.status_code == 302, response.status_code
            response = client.get("/result/", HTTP_X_FORWARDED_FOR=forwarded)
            assert response.status_code == 200, response.status_code
            client.cookies.clear()

        def api_lookup(counter: int) -> None:
            number = number_of(PATHS["api"], 0, counter)
            response = client.post(
                "/api/v1/lookup",
                {"number": number},
                content_type="application/json",
                HTTP_X_API_KEY=filled["token"],
            )
            assert response.status_code == 200, response.status_code

        def check_post(counter: int) -> None:
            forwarded = f"13.{counter // 256 % 256}.{counter % 256}.7"
            number = number_of(PATHS["check"], 0, counter)
            response = client.post("/", {"phone": number}, HTTP_X_FORWARDED_FOR=forwarded)
            assert response.status_code == 302, response.status_code
            client.cookies.clear()

        bodies = private_bodies(args.checks + 3)

        def evaluate(counter: int) -> None:
            # A first ask of its bucket in this process, nearly always (as in bench-check).
            forwarded = f"14.{counter // 256 % 256}.{counter % 256}.7"
            response = client.post(
                "/private/evaluate/",
                bodies[counter],
                content_type="application/json",
                HTTP_X_FORWARDED_FOR=forwarded,
            )
            assert response.status_code == 200, response.status_code

        def live(counter: int) -> None:
            assert client.get("/healthz/live").status_code == 200

        paths = (
            ("floor (GET /healthz/live)", live),
            ("check page (POST /)", check_post),
            ("full check (POST / + GET /result/)", full_check),
            ("API", api_lookup),
            ("private evaluation (POST /private/evaluate/)", evaluate),
        )
        for label, one in paths:
            one(1)  # warm: connections, templates, translations
            if args.plain:
                from django.db import connection

                queries = []

                def note(execute, sql, params, many, context, seen=queries):
                    seen.append(sql)
                    return execute(sql, params, many, context)

                with connection.execute_wrapper(note):
                    one(2)
                cpu, started = time.process_time(), time.perf_counter()
                for counter in range(3, args.checks + 3):
                    one(counter)
                wall = (time.perf_counter() - started) / args.checks * 1000
                cpu = (time.process_time() - cpu) / args.checks * 1000
                print(
                    f"=== {label}: {wall:.2f} ms wall, {cpu:.2f} ms CPU each; "
                    f"{len(queries)} SQL queries: " + " | ".join(sql[:50] for sql in queries)
                )
                continue
            profiler = cProfile.Profile()
            started = time.perf_counter()
            profiler.enable()
            for counter in range(2, args.checks + 2):
                one(counter)
            profiler.disable()
            per = (time.perf_counter() - started) / args.checks * 1000
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats(args.sort).print_stats(args.top)
            print(f"=== {label}: {per:.2f} ms each (under cProfile), {args.checks} runs")
            print("\n".join(out.getvalue().splitlines()[6:]))
    finally:
        from django.db import connections

        connections.close_all()
        forget_cache_keys(env["REDIS_URL"], env["CACHE_KEY_PREFIX"])
        psql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
