"""Requests per second of the check path against the floor, /healthz/live.

One gunicorn with 2 sync workers (--workers) on a free 127.0.0.1 port, PostgreSQL (its own
database, rebuilt here: a few published breaches and --exposures random keys by
INSERT..SELECT, plus the keys of the numbers the run will find) and Redis, with
the limits on as in production. The load generator is wrk (Debian package
`wrk`), driven by Lua scripts written here: every request comes from another
/24 (TRUSTED_PROXIES=127.0.0.1, X-Forwarded-For) and asks about another number,
so no visitor, network or number gets near its own budget; the per-visitor
limits are counted, not measured. One request in ten is a number in a breach.

Measured in one run, each for --seconds:
  live      GET /healthz/live
  ready     GET /healthz/ready: one trivial PostgreSQL and one Redis round trip, the
            cost of the two round trips a lookup cannot do without
  check     POST / (the 302 to the result; the gate, the lookup, the session)
  full      POST / then the redirected GET /result/ (a pair counts as one check)
  api       POST /api/v1/lookup with a key
  evaluate  POST /private/evaluate/ (the private check: the gate, the evaluation,
            the bucket's answer), every request the first ask of its bucket: each
            wrk thread has PRIVATE_BODIES_PER_THREAD numbers of distinct buckets of
            its own (nothing cached; a thread that ran out would start again,
            and the run says so)
  private   POST /private/evaluate/ then GET /private/result/ revalidated with
            its ETag (304), as a browser does, a pair counting as one check; the
            same buckets again, so an answer comes from the cache when the same
            gunicorn process answered it in the evaluate run (about half)

Site pressure: past POW_CALM_CHECKS_PER_MINUTE anonymous checks a minute every
check needs a proof-of-work, which a load generator would have to solve (the
CPU of the solving, not the site, would then be measured). The main run sets
POW_CALM_CHECKS_PER_MINUTE=1000000000 and says so; a last pass with the
production default shows what a visitor without a solution gets then (429 with
the puzzle page) and how fast. The API is not under the site pressure; the key's
own rate is set high (it is one visitor's budget).

Run with `make bench-check`; BENCH_DATABASE_URL / BENCH_REDIS_URL pick the
services (the database is dropped and rebuilt).
"""

import argparse
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gunicorn_server import (  # noqa: E402
    GunicornServer,
    forget_cache_keys,
    production_env,
    request,
)
from bench.wrk import run_wrk, wrk_errors  # noqa: E402

CALM_FOR_RUN = 1_000_000_000
PATHS = {"check": 0, "full": 1, "api": 2, "evaluate": 3, "private": 4}  # own numbers each
# Enough first asks for each wrk thread at up to 3,000 evaluations a second.
PRIVATE_BODIES_PER_THREAD = 15_000
THREADS = 2
HIT_EVERY = 10
BREACHES = [
    # (slug, title, share of the random exposures, sensitive)
    ("bench-shop", "Bench: a shop's members", 0.5, False),
    ("bench-courier", "Bench: a courier's waybills", 0.3, False),
    ("bench-clinic", "Bench: a clinic's patients", 0.15, True),
    ("bench-forum", "Bench: a forum's users", 0.05, False),
]


def number_of(path: int, thread: int, counter: int) -> str:
    """The number the Lua scripts send for (path, wrk thread, request counter)."""
    return str(13900000000 + path * 10_000_000 + thread * 1_000_000 + counter)


LUA_COMMON = r"""
local counter = 0
local tid = 0
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
function init(args)
  tid = tonumber(wrk.thread:get("tid"))
end
local function number()
  return "139" .. string.format("%08d", PATH * 10000000 + tid * 1000000 + counter)
end
local function forwarded()
  -- Another /24 for every request of every thread and path.
  local third = counter % 256
  local second = math.floor(counter / 256) % 256
  return string.format("%d.%d.%d.7", 11 + PATH * 8 + tid, second, third)
end
-- Counts kept per thread as its globals (thread:set: never a global's name,
-- such as done), summed over the threads in done().
local tallies = {}
local function tally(name)
  tallies[name] = (tallies[name] or 0) + 1
  wrk.thread:set(name, tallies[name])
end
local function total(name)
  local sum = 0
  for _, thread in ipairs(threads) do sum = sum + (tonumber(thread:get(name)) or 0) end
  return sum
end
local function report()
  local line = "COUNTED %d OTHER %d WRAPPED %d\n"
  io.write(string.format(line, total("counted"), total("other"), total("wrapped")))
end
"""

LUA_CHECK = r"""
function request()
  counter = counter + 1
  local body = "csrfmiddlewaretoken=" .. TOKEN .. "&phone=" .. number()
  return wrk.format("POST", "/", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = COOKIE,
    ["X-Forwarded-For"] = forwarded(),
  }, body)
end
"""

LUA_FULL = r"""
local pending = {}
function request()
  local session = table.remove(pending)
  if session then
    return wrk.format("GET", "/result/", {
      ["Cookie"] = COOKIE .. "; sessionid=" .. session,
      ["X-Forwarded-For"] = forwarded(),
    })
  end
  counter = counter + 1
  local body = "csrfmiddlewaretoken=" .. TOKEN .. "&phone=" .. number()
  return wrk.format("POST", "/", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = COOKIE,
    ["X-Forwarded-For"] = forwarded(),
  }, body)
end
function response(status, headers, body)
  if status == 302 then
    local cookie = headers["Set-Cookie"] or ""
    local session = string.match(cookie, "sessionid=([^;]+)")
    if session then table.insert(pending, session) else tally("other") end
  elseif status == 200 then
    tally("counted")
  else
    tally("other")
  end
end
function done(summary, latency, requests) report() end
"""

LUA_API = r"""
function request()
  counter = counter + 1
  return wrk.format("POST", "/api/v1/lookup", {
    ["Content-Type"] = "application/json",
    ["X-Api-Key"] = API_KEY,
    ["X-Forwarded-For"] = forwarded(),
  }, '{"number": "' .. number() .. '"}')
end
"""


LUA_EVALUATE = r"""
local per_thread = math.floor(#BODIES / THREADS)
local function evaluation()
  counter = counter + 1
  if counter > per_thread then tally("wrapped") end
  return wrk.format("POST", "/private/evaluate/", {
    ["Content-Type"] = "application/json",
    ["X-Forwarded-For"] = forwarded(),
  }, BODIES[tid * per_thread + (counter - 1) % per_thread + 1])
end
"""

LUA_EVALUATE_ONLY = r"""
function request()
  return evaluation()
end
function done(summary, latency, requests) report() end
"""

LUA_PRIVATE = r"""
local frame_next = false
function request()
  if frame_next then
    frame_next = false
    return wrk.format("GET", "/private/result/", {
      ["If-None-Match"] = ETAG,
      ["X-Forwarded-For"] = forwarded(),
    })
  end
  frame_next = true
  return evaluation()
end
function response(status, headers, body)
  if status == 304 then
    tally("counted")
  elseif status ~= 200 then
    tally("other")
  end
end
function done(summary, latency, requests) report() end
"""


def private_bodies(count: int) -> list[str]:
    """Request bodies of private checks of `count` random numbers of distinct buckets."""
    import random

    from leaks.private_client import bucket_of, request_for

    rng = random.Random(7)
    numbers: dict[int, str] = {}
    while len(numbers) < count:
        number = f"+86139{rng.randrange(10**8):08d}"
        numbers.setdefault(bucket_of(number), number)  # the width request_for uses
    return [
        json.dumps(request_for(number)[1], separators=(",", ":")) for number in numbers.values()
    ]


def lua_script(path: str, consts: dict[str, str | int | list[str]]) -> str:
    # JSON strings are valid Lua strings for these values (no escapes beyond \").
    head = "".join(f"local {name} = {lua_value(value)}\n" for name, value in consts.items())
    body = {
        "check": LUA_CHECK,
        "full": LUA_FULL,
        "api": LUA_API,
        "evaluate": LUA_EVALUATE + LUA_EVALUATE_ONLY,
        "private": LUA_EVALUATE + LUA_PRIVATE,
    }[path]
    return head + LUA_COMMON + body


def lua_value(value: str | int | list[str]) -> str:
    if isinstance(value, list):
        return "{" + ",".join(lua_value(item) for item in value) + "}"
    return json.dumps(value)


def prepare_database(env: dict, exposures: int, hit_counters: int) -> dict:
    """Rebuild the bench database; returns the API token and what it holds."""
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from api.keys import apikey_create
    from leaks.hashing import phone_key
    from leaks.models import Breach

    call_command("migrate", "--noinput", verbosity=0)
    breaches = []
    for slug, title, share, sensitive in BREACHES:
        breaches.append(
            Breach.objects.create(
                slug=slug,
                title=title,
                domain=f"{slug}.example",
                data_classes=["phone", "name"],
                is_verified=True,
                is_sensitive=sensitive,
                published_at=timezone.now(),
                pwn_count=int(exposures * share),
            )
        )
    started = time.monotonic()
    with connection.cursor() as cursor:
        for breach, (_, _, share, _) in zip(breaches, BREACHES, strict=True):
            # Random signed 8-byte keys, as the keyed function spreads real ones.
            cursor.execute(
                "INSERT INTO leaks_exposure (phone_key, key_version, breach_id) "
                "SELECT (random() * 18446744073709551615::numeric "
                "        - 9223372036854775808::numeric)::bigint, 1, %s "
                "FROM generate_series(1, %s) ON CONFLICT DO NOTHING",
                [breach.pk, int(exposures * share)],
            )
        # The numbers the run asks about that are "found": one in HIT_EVERY, in
        # the shop's breach (and one in three of those also in the sensitive one).
        rows = []
        for path in (PATHS["check"], PATHS["full"], PATHS["api"]):  # those that send a number
            for thread in range(THREADS):
                for counter in range(HIT_EVERY, hit_counters, HIT_EVERY):
                    key = phone_key("+86" + number_of(path, thread, counter))
                    rows.append((key, breaches[0].pk))
                    if counter % (3 * HIT_EVERY) == 0:
                        rows.append((key, breaches[2].pk))
        cursor.executemany(
            "INSERT INTO leaks_exposure (phone_key, key_version, breach_id) VALUES (%s, 1, %s) "
            "ON CONFLICT DO NOTHING",
            rows,
        )
        # As autovacuum leaves a table after imports (its insert threshold): pages
        # all-visible, so a bucket is an index-only scan. Unvacuumed, each read
        # visits a heap page per row, and autovacuum would start during the run.
        cursor.execute("VACUUM ANALYZE leaks_exposure")
        cursor.execute("SELECT count(*) FROM leaks_exposure")
        total = cursor.fetchone()[0]
    filled = time.monotonic() - started
    _, token = apikey_create(name="bench", rate="1000000/s")
    connection.close()
    return {"token": token, "exposures": total, "fill_seconds": filled, "hits": len(rows)}


def psql(admin_url: str, sql: str) -> None:
    subprocess.run(["psql", admin_url, "-qc", sql], check=True, capture_output=True)


def csrf_pair(port: int) -> tuple[str, str]:
    _, headers, text = request(port, "GET", "/", headers={"X-Forwarded-For": "198.18.0.1"})
    cookie = re.search(r"csrftoken=([^;]+)", headers.get("Set-Cookie", ""))[1]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)[1]
    return f"csrftoken={cookie}", token


def measure(env: dict, args, work: Path, token: str, log: Path, paths: list[str]) -> dict:
    server = GunicornServer(env, log, workers=args.workers, ready_path="/healthz/ready")
    try:
        cookie, csrf = csrf_pair(server.port)
        _, frame_headers, _ = request(
            server.port, "GET", "/private/result/", headers={"X-Forwarded-For": "198.18.0.2"}
        )
        private = {"evaluate", "private"} & set(paths)
        bodies = private_bodies(PRIVATE_BODIES_PER_THREAD * THREADS) if private else []
        results: dict = {}
        for name in paths:
            if name in ("live", "ready"):
                rate, out = run_wrk(
                    server.port, args.seconds, args.connections, None, f"/healthz/{name}", THREADS
                )
            else:
                script = work / f"{name}.lua"
                consts: dict[str, str | int | list[str]] = {
                    "PATH": PATHS[name],
                    "TOKEN": csrf,
                    "COOKIE": cookie,
                    "API_KEY": token,
                    "ETAG": frame_headers.get("ETag", ""),
                    "BODIES": bodies if name in ("evaluate", "private") else [],
                    "THREADS": THREADS,
                }
                script.write_text(lua_script(name, consts))
                url = {"api": "/api/v1/lookup", "evaluate": "/private/evaluate/"}.get(name, "/")
                rate, out = run_wrk(
                    server.port, args.seconds, args.connections, script, url, THREADS
                )
            results[name] = {"rate": rate, "errors": wrk_errors(out)}
            if name in ("full", "evaluate", "private"):
                tallied = re.search(r"COUNTED (\d+) OTHER (\d+) WRAPPED (\d+)", out)
                results[name]["other"] = int(tallied[2])
                results[name]["wrapped"] = tallied[3] != "0"
                if name != "evaluate":  # whole checks: the pairs the script counted
                    results[name]["rate"] = int(tallied[1]) / args.seconds
            print(
                f"  {name:<6} {results[name]['rate']:8.0f}/s  {results[name]['errors']}", flush=True
            )
        return results
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exposures", type=int, default=1_500_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-default-calm", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install -y wrk).")
        return 2
    database_url = os.getenv(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bc_fast_bench"
    )
    redis_url = os.getenv("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
    db_name = database_url.rsplit("/", 1)[1]
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    psql(admin_url, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
    psql(admin_url, f'CREATE DATABASE "{db_name}"')

    work = Path(tempfile.mkdtemp(prefix="bench-check-"))
    results_dir = ROOT / "bench-results"
    results_dir.mkdir(exist_ok=True)
    env = production_env(
        work,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CACHE_KEY_PREFIX=f"bench-check-{secrets.token_hex(4)}",
        TRUSTED_PROXIES="127.0.0.1",
        RATELIMIT_ENABLE="True",
        API_KEY_MAX_RATE="",
        # Redis, the settings' default with REDIS_URL; SESSION_ENGINE=breachcheck.sessions
        # to compare with the database store.
        SESSION_ENGINE=os.getenv("SESSION_ENGINE", "breachcheck.cache_sessions"),
    )
    try:
        print(f"Filling {db_name} with {args.exposures:,} random exposures ...", flush=True)
        # Enough hit numbers for any request counter a thread reaches in a run.
        filled = prepare_database(env, args.exposures, hit_counters=20_000)
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        log = results_dir / "check-gunicorn.log"
        print(
            f"gunicorn --workers={args.workers}, "
            f"wrk -t{THREADS} -c{args.connections} -d{args.seconds}s, "
            f"POW_CALM_CHECKS_PER_MINUTE={CALM_FOR_RUN}",
            flush=True,
        )
        main_env = {**env, "POW_CALM_CHECKS_PER_MINUTE": str(CALM_FOR_RUN)}
        paths = ["live", "ready", "check", "full", "api", "evaluate", "private"]
        results = measure(main_env, args, work, filled["token"], log, paths)
        pressure = None
        if not args.skip_default_calm:
            print("Production POW_CALM_CHECKS_PER_MINUTE (default), no puzzle solved:", flush=True)
            calm_env = {**env, "CACHE_KEY_PREFIX": env["CACHE_KEY_PREFIX"] + "-calm"}
            pressure = measure(calm_env, args, work, filled["token"], log, ["check"])

        live = results["live"]["rate"]
        lines = [
            f"Check-path bench: {filled['exposures']:,} exposures in {len(BREACHES)} breaches "
            f"(filled in {filled['fill_seconds']:.0f} s), PostgreSQL + Redis, limits on, "
            f"gunicorn {args.workers} sync workers, "
            f"wrk -t{THREADS} -c{args.connections} -d{args.seconds:g}s; "
            f"every request from another /24, every number asked once, 1 in {HIT_EVERY} found.",
            f"POW_CALM_CHECKS_PER_MINUTE={CALM_FOR_RUN} for the run (see the module doc); "
            f"SESSION_ENGINE={env['SESSION_ENGINE']}.",
            "",
            f"{'path':<34} {'req/s':>8} {'x live':>7}  target",
            f"{'GET /healthz/live':<34} {live:>8.0f} {1:>7.2f}",
            f"{'GET /healthz/ready (1 PG + 1 Redis)':<34} {results['ready']['rate']:>8.0f} "
            f"{results['ready']['rate'] / live:>7.2f}",
            f"{'POST / (check page)':<34} {results['check']['rate']:>8.0f} "
            f"{results['check']['rate'] / live:>7.2f}  >= 0.25",
            f"{'POST / + GET /result/ (checks/s)':<34} {results['full']['rate']:>8.0f} "
            f"{results['full']['rate'] / live:>7.2f}",
            f"{'POST /api/v1/lookup':<34} {results['api']['rate']:>8.0f} "
            f"{results['api']['rate'] / live:>7.2f}  >= 0.35",
            f"{'POST /private/evaluate/ (first ask)':<34} {results['evaluate']['rate']:>8.0f} "
            f"{results['evaluate']['rate'] / live:>7.2f}  >= 0.25",
            f"{'  again + GET /private/result/ 304':<34} {results['private']['rate']:>8.0f} "
            f"{results['private']['rate'] / live:>7.2f}  (checks/s: pairs)",
        ]
        for name, result in results.items():
            if result["errors"]:
                lines.append(f"  {name}: {result['errors']}")
        if results["full"]["other"]:
            lines.append(f"  full: {results['full']['other']} answers were neither 302 nor 200")
        if results["evaluate"]["wrapped"]:
            lines.append(
                "  evaluate: a wrk thread ran out of first asks (raise PRIVATE_BODIES_PER_THREAD)"
            )
        if results["private"]["other"]:
            lines.append(
                f"  private: {results['private']['other']} answers were neither 200 nor 304"
            )
        if pressure:
            refused = pressure["check"]["errors"] or "no refusals"
            lines.append(
                f"With the production calm rate, POST / without a puzzle solved: "
                f"{pressure['check']['rate']:.0f}/s ({refused})"
            )
        text = "\n".join(lines)
        print("\n" + text)
        out = results_dir / f"check-{time.strftime('%Y%m%d-%H%M%S')}.txt"
        out.write_text(text + "\n")
        print(f"\nSaved to {out}")
    finally:
        # Whatever happened: the sessions and counters left in the shared Redis, the
        # work folder and the database go.
        forget_cache_keys(redis_url, env["CACHE_KEY_PREFIX"])
        shutil.rmtree(work, ignore_errors=True)
        psql(admin_url, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
