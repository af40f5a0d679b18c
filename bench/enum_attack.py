"""Play a number harvester against a real server and count the answers it gets.

Starts gunicorn with several workers on the Redis cache (one shared set of
rate-limit counters) on a free 127.0.0.1 port, and for each scenario tries to
check N numbers:

  one-ip        every request from one client address (behind the trusted proxy)
  one-24        requests spread over all 254 addresses of one /24
  spoofed-xff   a random X-Forwarded-For on every request, no proxy trusted
  one-number    one victim's number checked from a different /24 each time
  one-48        every request from a different /64 (and /56) of one IPv6 /48
  botnet        every request from a different /24, never solving a puzzle: once
                the site is under pressure every anonymous check needs a proof-of-work
  botnet-pow    the same botnet solving every puzzle it is given (for --pow-seconds):
                the report gives its answers per CPU-second of proof-of-work
  redis-down    the server on a redis-server of its own, killed half-way through:
                a harvester on one address, one victim's number from many networks,
                an SMS bomber texting one number from many networks, and a private-
                check evaluator on one address; what each got before and after (the
                gate fails closed: nothing past the limits, 503s once Redis is gone)

A real user (another network) checks their own number a few times during
each attack, solving a puzzle when asked as their browser would; the report
says whether they were ever refused. Traffic goes to 127.0.0.1 only. Run with
`make bench-enum` (REDIS_URL picks the Redis DB).
"""

import argparse
import json
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gunicorn_server import (  # noqa: E402
    GunicornServer,
    forget_cache_keys,
    production_env,
    request,
)

PROXY = "127.0.0.1"
REAL_USER_IP = "203.0.113.20"
REAL_USER_NUMBER = "13800138000"  # in the demo breach
RATE_SETTINGS = [
    "RATELIMIT_CHECK_PER_IP",
    "RATELIMIT_CHECK_PER_NETWORK",
    "RATELIMIT_CHECK_PER_NUMBER",
    "POW_CALM_CHECKS_PER_MINUTE",
    "POW_MIN_DIFFICULTY",
    "POW_MAX_DIFFICULTY",
    "POW_COST",
]


@dataclass
class Outcome:
    name: str
    attempts: int = 0
    answers: int = 0
    hits: int = 0
    limited: int = 0
    other: int = 0
    retry_after: set[int] = field(default_factory=set)
    user_statuses: list[int] = field(default_factory=list)
    seconds: float = 0.0
    pow_solves: int = 0
    pow_cpu: float = 0.0


def manage(env: dict, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


class Attacker:
    """Fetches one CSRF token (reusable) and then posts checks; follows an answer's
    redirect to read it, and solves a proof-of-work when asked (if it may)."""

    def __init__(self, port: int, solve_pow: bool = False):
        self.port = port
        self.solve_pow = solve_pow
        self.pow_solves = 0
        self.pow_cpu = 0.0
        status, headers, text = request(port, "GET", "/")
        cookie = re.search(r"csrftoken=([^;]+)", headers.get("Set-Cookie", ""))
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
        if cookie is None or token is None:
            raise RuntimeError(f"no form token on the check page (status {status})")
        self.cookie = f"csrftoken={cookie[1]}"
        self.token = token[1]

    def check(self, number: str, forwarded: str | None) -> tuple[int, str, str]:
        status, retry, text = self._post(number, forwarded, "")
        if status == 429 and self.solve_pow and "<altcha-widget" in text:
            status, retry, text = self._post(number, forwarded, self._solve(forwarded))
        return status, retry, text

    def _headers(self, forwarded: str | None, cookie: str = "") -> dict:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie or self.cookie,
        }
        if forwarded:
            headers["X-Forwarded-For"] = forwarded
        return headers

    def _post(self, number: str, forwarded: str | None, payload: str) -> tuple[int, str, str]:
        form = {"csrfmiddlewaretoken": self.token, "phone": number}
        if payload:
            form["altcha"] = payload
        body = urllib.parse.urlencode(form)
        status, headers, text = request(self.port, "POST", "/", body, self._headers(forwarded))
        if status == 302:
            # The answer is behind the redirect, in this client's fresh session.
            session = re.search(r"sessionid=([^;]+)", headers.get("Set-Cookie", ""))
            cookie = self.cookie + (f"; sessionid={session[1]}" if session else "")
            status, headers, text = request(
                self.port, "GET", headers["Location"], headers=self._headers(forwarded, cookie)
            )
        return status, headers.get("Retry-After", ""), text

    def _solve(self, forwarded: str | None) -> str:
        from bench.pow_solver import solve

        headers = self._headers(forwarded)
        _, _, text = request(self.port, "GET", "/pow/challenge/", headers=headers)
        payload, cpu = solve(json.loads(text))
        self.pow_solves += 1
        self.pow_cpu += cpu
        return payload


def numbers(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    prefixes = ["139", "186", "150", "135", "177", "199"]
    return [rng.choice(prefixes) + f"{rng.randrange(10**8):08d}" for _ in range(count)]


def run(
    name: str,
    port: int,
    count: int,
    concurrency: int,
    make_request,
    user: bool,
    solve_pow: bool = False,
    seconds: float = 0.0,
) -> Outcome:
    attacker = Attacker(port, solve_pow=solve_pow)
    # The real user's browser solves a puzzle when asked, as the widget does.
    real_user = Attacker(port, solve_pow=True)
    outcome = Outcome(name=name)
    checkpoints = {count * k // 5 for k in range(1, 6)} if user else set()
    started = time.monotonic()
    deadline = started + seconds if seconds else None

    def one(i: int) -> tuple[int, str, str] | None:
        if deadline and time.monotonic() > deadline:
            return None
        number, forwarded = make_request(i)
        return attacker.check(number, forwarded)

    with ThreadPoolExecutor(concurrency) as pool:
        for i, result in enumerate(pool.map(one, range(count)), start=1):
            if result is None:
                continue
            status, retry, text = result
            outcome.attempts += 1
            if status == 200:
                outcome.answers += 1
                outcome.hits += 'class="result hit"' in text
            elif status == 429:
                outcome.limited += 1
                outcome.retry_after.add(int(retry))
            else:
                outcome.other += 1
            if i in checkpoints or (deadline and user and not outcome.user_statuses):
                user_status = real_user.check(REAL_USER_NUMBER, REAL_USER_IP)[0]
                outcome.user_statuses.append(user_status)
    outcome.seconds = time.monotonic() - started
    outcome.pow_solves, outcome.pow_cpu = attacker.pow_solves, attacker.pow_cpu
    return outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempts", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--only", nargs="*", help="scenario names to run")
    parser.add_argument(
        "--pow-seconds", type=float, default=60, help="how long the puzzle-solving botnet runs"
    )
    args = parser.parse_args()
    redis_url = os.getenv("REDIS_URL")
    if not redis_url:
        print("Set REDIS_URL (e.g. redis://127.0.0.1:6379/0): the point is a shared cache.")
        return 2

    work = Path(tempfile.mkdtemp(prefix="bench-enum-"))
    results_dir = ROOT / "bench-results"
    results_dir.mkdir(exist_ok=True)
    base_env = production_env(work, SQLITE_PATH=str(work / "db.sqlite3"), REDIS_URL=redis_url)
    base_env.update({name: os.environ[name] for name in RATE_SETTINGS if name in os.environ})
    print(f"Preparing a production-like site in {work} ...", flush=True)
    manage(base_env, "migrate", "--noinput")
    manage(base_env, "collectstatic", "--noinput")
    manage(base_env, "load_demo")

    n = args.attempts
    attack_numbers = numbers(n, seed=1)
    rng = random.Random(2)
    spoofed = [
        ".".join(str(rng.randrange(1, 224 if k == 0 else 255)) for k in range(4)) for _ in range(n)
    ]
    rng48 = [rng.randrange(65536) for _ in range(n)]
    scenarios = {
        "one-ip": ([PROXY], lambda i: (attack_numbers[i], "198.51.100.7"), n),
        "one-24": ([PROXY], lambda i: (attack_numbers[i], f"198.51.100.{i % 254 + 1}"), n),
        "spoofed-xff": ([], lambda i: (attack_numbers[i], spoofed[i]), n),
        "one-number": (
            [PROXY],
            lambda i: ("13700137000", f"10.{i // 256 % 256}.{i % 256}.9"),
            min(n, 1000),
        ),
        "one-48": (
            [PROXY],
            lambda i: (attack_numbers[i], f"2001:db8:1:{rng48[i]:04x}::1"),
            n,
        ),
        "botnet": (
            [PROXY],
            lambda i: (attack_numbers[i], f"100.{i // 256 % 64 + 64}.{i % 256}.1"),
            n,
        ),
        "botnet-pow": (
            [PROXY],
            lambda i: (attack_numbers[i], f"100.{i // 256 % 64 + 64}.{i % 256}.1"),
            n,
        ),
    }
    outcomes = []
    log = results_dir / "enum-gunicorn.log"
    down_lines: list[str] = []
    if not args.only or "redis-down" in args.only:
        print(f"  redis-down: {min(n, 400)} attempts per attacker ...", flush=True)
        down_lines = run_redis_down(base_env, work, log, args, min(n, 400))
    for name, (trusted, make_request, count) in scenarios.items():
        if args.only and name not in args.only:
            continue
        env = {
            **base_env,
            "TRUSTED_PROXIES": ",".join(trusted),
            # Fresh counters per scenario, as if each attack came on its own day.
            "CACHE_KEY_PREFIX": f"bench-enum-{name}-{secrets.token_hex(4)}",
        }
        server = GunicornServer(env, log, workers=args.workers, ready_path="/")
        try:
            print(f"  {name}: {count} attempts ...", flush=True)
            solving = name == "botnet-pow"
            outcomes.append(
                run(
                    name,
                    server.port,
                    count,
                    args.concurrency,
                    make_request,
                    user=bool(trusted),
                    solve_pow=solving,
                    seconds=args.pow_seconds if solving else 0.0,
                )
            )
        finally:
            server.stop()
            forget_cache_keys(redis_url, env["CACHE_KEY_PREFIX"])
    shutil.rmtree(work, ignore_errors=True)

    lines = report(outcomes, base_env, args) + down_lines
    text = "\n".join(lines)
    print(text)
    out = results_dir / f"enum-{time.strftime('%Y%m%d-%H%M%S')}.txt"
    out.write_text(text + "\n")
    print(f"\nSaved to {out}")
    blocked_user = any(s != 200 for o in outcomes for s in o.user_statuses)
    return 1 if blocked_user else 0


@dataclass
class Phase:
    attempts: int = 0
    answers: int = 0  # 200: a result, an evaluation, a code page after a text
    limited: int = 0
    unavailable: int = 0
    other: int = 0
    texts: int = 0


def run_redis_down(base_env: dict, work: Path, log: Path, args, count: int) -> list[str]:
    """Four attackers against a server whose own Redis is killed half-way through."""
    from leaks import private_client
    from tests.support.redis_server import PrivateRedis

    redis_server = PrivateRedis().start()
    outbox = work / "redis-down-sms.jsonl"
    env = {
        **base_env,
        "REDIS_URL": redis_server.url,
        "TRUSTED_PROXIES": PROXY,
        "SMS_BACKEND": "proof.sms.FileBackend",
        "SMS_FILE_PATH": str(outbox),
        "LOG_LEVEL": "ERROR",
        # Each attacker meets its own limits, not the site-wide puzzle the others
        # would raise (the botnet scenarios measure that).
        "POW_CALM_CHECKS_PER_MINUTE": "1000000",
    }
    server = GunicornServer(env, log, workers=args.workers, ready_path="/")
    port = server.port
    harvester, victim_checker, bomber = Attacker(port), Attacker(port), Attacker(port)
    victim = "13700137000"
    harvested = numbers(count, seed=3)

    def texts() -> int:
        return len(outbox.read_text().splitlines()) if outbox.exists() else 0

    def harvest(i: int) -> int:
        return harvester.check(harvested[i], "198.51.100.7")[0]

    def check_victim(i: int) -> int:
        return victim_checker.check(victim, f"10.{i // 256 % 256}.{i % 256}.9")[0]

    def bomb(i: int) -> int:
        form = {"csrfmiddlewaretoken": bomber.token, "phone": victim}
        headers = bomber._headers(f"172.{16 + i // 256 % 16}.{i % 256}.3")
        status, _, _ = request(port, "POST", "/prove/", urllib.parse.urlencode(form), headers)
        return status

    def evaluate(i: int) -> int:
        _blind, body = private_client.request_for("+86" + harvested[i])
        headers = {"Content-Type": "application/json", "X-Forwarded-For": "198.51.100.8"}
        return request(port, "POST", "/private/evaluate/", json.dumps(body), headers)[0]

    attackers = {
        "harvester (one address)": (harvest, 200),
        "one number, many nets": (check_victim, 200),
        "SMS bomber, many nets": (bomb, 302),
        "private check (one addr)": (evaluate, 200),
    }
    phases: dict[str, list[Phase]] = {name: [Phase(), Phase()] for name in attackers}
    killed_after = count // 2
    try:
        for half, indexes in enumerate([range(killed_after), range(killed_after, count)]):
            if half == 1:
                redis_server.kill()
            for name, (attack, answered) in attackers.items():
                phase = phases[name][half]
                sent_before = texts()
                with ThreadPoolExecutor(args.concurrency) as pool:
                    for status in pool.map(attack, indexes):
                        phase.attempts += 1
                        phase.answers += status == answered
                        phase.limited += status == 429
                        phase.unavailable += status == 503
                        phase.other += status not in (answered, 429, 503)
                phase.texts = texts() - sent_before
    finally:
        server.stop()
        redis_server.kill()
    lines = [
        "",
        f"Redis down: the server's own redis-server killed after {killed_after} of {count} "
        "requests per attacker (gunicorn "
        f"--workers={args.workers}, {args.concurrency} concurrent connections)",
        f"{'attacker':<26} {'Redis up: answers 429 texts':>28}   "
        f"{'Redis down: answers 429 503 other texts':>40}",
    ]
    for name, (up, down) in phases.items():
        lines.append(
            f"{name:<26} {up.answers:>15} {up.limited:>5} {up.texts:>6}   "
            f"{down.answers:>20} {down.limited:>4} {down.unavailable:>4} {down.other:>5} "
            f"{down.texts:>5}"
        )
    lines.append(
        "answers: a result or an evaluation (200); for the SMS bomber the code page (302), "
        "texted or not: its texts column is what it got. No site-wide puzzle in this scenario."
    )
    return lines


def report(outcomes: list[Outcome], env: dict, args) -> list[str]:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "breachcheck.settings")
    for name in [*RATE_SETTINGS, "SECRET_KEY", "DEBUG"]:
        if name in env:
            os.environ[name] = env[name]
    import django
    from django.conf import settings

    django.setup()
    lines = [
        f"Enumeration bench: gunicorn --workers={args.workers}, Redis cache, "
        f"{args.concurrency} concurrent attacker connections",
        "Check limits: "
        + ", ".join(f"{name}={getattr(settings, name)!r}" for name in RATE_SETTINGS),
        "",
        f"{'scenario':<12} {'attempts':>8} {'answers':>8} {'hits':>5} {'429':>7} {'other':>5} "
        f"{'Retry-After s':>15} {'req/s':>6}  real user (checks)",
    ]
    for o in outcomes:
        retry = f"{min(o.retry_after)}-{max(o.retry_after)}" if o.retry_after else "-"
        user = " ".join(str(s) for s in o.user_statuses) if o.user_statuses else "n/a (same IP)"
        lines.append(
            f"{o.name:<12} {o.attempts:>8} {o.answers:>8} {o.hits:>5} {o.limited:>7} {o.other:>5} "
            f"{retry:>15} {o.attempts / max(o.seconds, 1e-9):>6.0f}  {user}"
        )
    for o in outcomes:
        if o.pow_solves:
            lines.append(
                f"{o.name}: {o.pow_solves} puzzles solved in {o.pow_cpu:.1f} CPU-s: "
                f"{o.answers / max(o.pow_cpu, 1e-9):.2f} answers per CPU-second of proof-of-work"
            )
    return lines


if __name__ == "__main__":
    sys.exit(main())
