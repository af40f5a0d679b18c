"""A gunicorn to benchmark against, and a plain HTTP client (bench-enum, bench-check)."""

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GunicornServer:
    """gunicorn with the project's WSGI app on a free 127.0.0.1 port, ready once
    `ready_path` answers 200."""

    def __init__(self, env: dict, log: Path, *, workers: int = 2, ready_path: str = "/"):
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
                if request(self.port, "GET", ready_path)[0] == 200:
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
        # A private-check answer is binary (leaks/private_encoding.py): only its status counts here.
        return (
            response.status,
            dict(response.getheaders()),
            response.read().decode(errors="replace"),
        )
    finally:
        conn.close()


def production_env(work: Path, **extra: str) -> dict[str, str]:
    """The environment of a production-like site in `work`: DEBUG off, fresh keys,
    plain HTTP on 127.0.0.1 (no HTTPS redirect or secure-only cookies)."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(work)),
        "DJANGO_SETTINGS_MODULE": "breachcheck.settings",
        "DEBUG": "False",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "False",
        "SESSION_COOKIE_SECURE": "False",
        "CSRF_COOKIE_SECURE": "False",
        "SECURE_HSTS_SECONDS": "0",
        "BREACHCHECK_DATA_DIR": str(work),
        "STATIC_ROOT": str(work / "static"),
        "BREACHCHECK_PEPPER": secrets.token_urlsafe(48),
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def forget_cache_keys(redis_url: str, prefix: str) -> None:
    """Delete what a bench's site left in Redis under its cache prefix (sessions live
    two weeks): the tests scan the shared Redis for their own keys, and every key
    left here would slow each of them."""
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{prefix}*", count=1000))
    for start in range(0, len(keys), 1000):
        client.unlink(*keys[start : start + 1000])
