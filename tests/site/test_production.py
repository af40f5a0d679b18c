"""Production settings come from the environment and serve static files themselves."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "breachcheck.settings",
        "DEBUG": "false",
        "SECRET_KEY": "production-test-secret-" + "k" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_ROOT": str(tmp_path / "static"),
        "BREACHCHECK_PEPPER": "production-test-pepper-" + "p" * 40,
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        # Not the checkout's .data/, where `make run` leaves a secret key.
        "BREACHCHECK_DATA_DIR": str(tmp_path),
    }


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_gunicorn_serves_pages_and_hashed_static_files(tmp_path):
    env = production_env(tmp_path)
    env.pop("DATABASE_URL", None)
    run = [sys.executable, "manage.py"]
    subprocess.run([*run, "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*run, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    css = next((tmp_path / "static" / "css").glob("site.*.css")).name
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "breachcheck.wsgi", "-b", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        page = fetch(f"http://127.0.0.1:{port}/")
        assert page.status == 200
        assert page.headers["X-Frame-Options"] == "DENY"
        assert f"/static/css/{css}" in page.read().decode()
        static = fetch(f"http://127.0.0.1:{port}/static/css/{css}")
        assert static.status == 200
        assert "max-age" in static.headers["Cache-Control"]
    finally:
        server.terminate()
        server.wait(timeout=20)


def fetch(url: str, attempts: int = 100):
    for _ in range(attempts):
        try:
            return urllib.request.urlopen(url, timeout=5)
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"no answer from {url}")
