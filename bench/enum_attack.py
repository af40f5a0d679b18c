"""Play a number harvester against a real server and count the answers it gets.

Starts gunicorn with several workers on the Redis cache (one shared set of
rate-limit counters) on a free 127.0.0.1 port, and for each scenario tries to
check N numbers:

  one-ip        every request from one client address (behind the trusted proxy)
  one-24        requests spread over all 254 addresses of one /24
  spoofed-xff   a random X-Forwarded-For on every request, no proxy trusted
  one-number    one victim's number checked from a different /24 each time
  botnet        every request from a different /24 (only the global budget helps)

A real user (another network) checks their own number a few times during
each attack; the report says whether they were ever blocked. Traffic goes to
127.0.0.1 only. Run with `make bench-enum` (REDIS_URL picks the Redis DB).
"""

import argparse
import http.client
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROXY = "127.0.0.1"
REAL_USER_IP = "203.0.113.20"
REAL_USER_NUMBER = "13800138000"  # in the demo breach
RATE_SETTINGS = [
    "RATELIMIT_CHECK_PER_IP",
    "RATELIMIT_CHECK_PER_NETWORK",
    "RATELIMIT_CHECK_PER_NUMBER",
    "RATELIMIT_CHECK_GLOBAL",
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


class Server:
    def __init__(self, env: dict, workers: int, log: Path):
        self.port = free_port()
        self.log = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "breachcheck.wsgi",
                f"--workers={workers}",
                f"--bind=127.0.0.1:{self.port}",
                "--log-level=warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if request(self.port, "GET", "/")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not start; see {log}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def request(port: int, method: str, path: str, body: str = "", headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


class Attacker:
    """Fetches one CSRF token (reusable) and then posts checks."""

    def __init__(self, port: int):
        self.port = port
        status, headers, text = request(port, "GET", "/")
        cookie = re.search(r"csrftoken=([^;]+)", headers.get("Set-Cookie", ""))[1]
        self.cookie = f"csrftoken={cookie}"
        self.token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)[1]

    def check(self, number: str, forwarded: str | None) -> tuple[int, str, str]:
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": self.token, "phone": number})
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": self.cookie}
        if forwarded:
            headers["X-Forwarded-For"] = forwarded
        status, response_headers, text = request(self.port, "POST", "/", body, headers)
        return status, response_headers.get("Retry-After", ""), text


def numbers(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    prefixes = ["139", "186", "150", "135", "177", "199"]
    return [rng.choice(prefixes) + f"{rng.randrange(10**8):08d}" for _ in range(count)]


def run(name: str, port: int, count: int, concurrency: int, make_request, user: bool) -> Outcome:
    attacker = Attacker(port)
    outcome = Outcome(name=name, attempts=count)
    checkpoints = {count * k // 5 for k in range(1, 6)} if user else set()
    started = time.monotonic()

    def one(i: int) -> tuple[int, str, str]:
        number, forwarded = make_request(i)
        return attacker.check(number, forwarded)

    with ThreadPoolExecutor(concurrency) as pool:
        for i, (status, retry, text) in enumerate(pool.map(one, range(count)), start=1):
            if status == 200:
                outcome.answers += 1
                outcome.hits += 'class="result hit"' in text
            elif status == 429:
                outcome.limited += 1
                outcome.retry_after.add(int(retry))
            else:
                outcome.other += 1
            if i in checkpoints:
                user_status = attacker.check(REAL_USER_NUMBER, REAL_USER_IP)[0]
                outcome.user_statuses.append(user_status)
    outcome.seconds = time.monotonic() - started
    return outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempts", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--only", nargs="*", help="scenario names to run")
    args = parser.parse_args()
    redis_url = os.getenv("REDIS_URL")
    if not redis_url:
        print("Set REDIS_URL (e.g. redis://127.0.0.1:6379/0): the point is a shared cache.")
        return 2

    work = Path(tempfile.mkdtemp(prefix="bench-enum-"))
    results_dir = ROOT / "bench-results"
    results_dir.mkdir(exist_ok=True)
    base_env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(work)),
        "DJANGO_SETTINGS_MODULE": "breachcheck.settings",
        "DEBUG": "False",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        # Plain HTTP on localhost: no HTTPS redirect or secure-only cookies.
        "SECURE_SSL_REDIRECT": "False",
        "SESSION_COOKIE_SECURE": "False",
        "CSRF_COOKIE_SECURE": "False",
        "SECURE_HSTS_SECONDS": "0",
        "BREACHCHECK_DATA_DIR": str(work),
        "SQLITE_PATH": str(work / "db.sqlite3"),
        "STATIC_ROOT": str(work / "static"),
        "BREACHCHECK_PEPPER": secrets.token_urlsafe(48),
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
    }
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
    scenarios = {
        "one-ip": ([PROXY], lambda i: (attack_numbers[i], "198.51.100.7"), n),
        "one-24": ([PROXY], lambda i: (attack_numbers[i], f"198.51.100.{i % 254 + 1}"), n),
        "spoofed-xff": ([], lambda i: (attack_numbers[i], spoofed[i]), n),
        "one-number": (
            [PROXY],
            lambda i: ("13700137000", f"10.{i // 256 % 256}.{i % 256}.9"),
            min(n, 1000),
        ),
        "botnet": (
            [PROXY],
            lambda i: (attack_numbers[i], f"100.{i // 256 % 64 + 64}.{i % 256}.1"),
            n,
        ),
    }
    outcomes = []
    log = results_dir / "enum-gunicorn.log"
    for name, (trusted, make_request, count) in scenarios.items():
        if args.only and name not in args.only:
            continue
        env = {
            **base_env,
            "TRUSTED_PROXIES": ",".join(trusted),
            # Fresh counters per scenario, as if each attack came on its own day.
            "CACHE_KEY_PREFIX": f"bench-enum-{name}-{secrets.token_hex(4)}",
        }
        server = Server(env, args.workers, log)
        try:
            print(f"  {name}: {count} attempts ...", flush=True)
            outcomes.append(
                run(name, server.port, count, args.concurrency, make_request, user=bool(trusted))
            )
        finally:
            server.stop()
    shutil.rmtree(work, ignore_errors=True)

    lines = report(outcomes, base_env, args)
    text = "\n".join(lines)
    print(text)
    out = results_dir / f"enum-{time.strftime('%Y%m%d-%H%M%S')}.txt"
    out.write_text(text + "\n")
    print(f"\nSaved to {out}")
    blocked_user = any(s != 200 for o in outcomes if o.name != "botnet" for s in o.user_statuses)
    return 1 if blocked_user else 0


def report(outcomes: list[Outcome], env: dict, args) -> list[str]:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "breachcheck.settings")
    for name in RATE_SETTINGS:
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
        f"{'Retry-After s':>15} {'req/s':>6}  real user (5 checks)",
    ]
    for o in outcomes:
        retry = f"{min(o.retry_after)}-{max(o.retry_after)}" if o.retry_after else "-"
        user = " ".join(str(s) for s in o.user_statuses) if o.user_statuses else "n/a (same IP)"
        lines.append(
            f"{o.name:<12} {o.attempts:>8} {o.answers:>8} {o.hits:>5} {o.limited:>7} {o.other:>5} "
            f"{retry:>15} {o.attempts / o.seconds:>6.0f}  {user}"
        )
    return lines


if __name__ == "__main__":
    sys.exit(main())
