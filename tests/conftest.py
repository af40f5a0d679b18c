"""Shared fixtures: real worker processes, a real browser, and privacy scans.

In CI (CI=true) a missing service or browser fails the test instead of
skipping it, so a green CI means every test ran.
"""

import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.getenv("CI", "").lower() == "true"
CHROMIUM = os.getenv("CHROMIUM_PATH", "/usr/bin/chromium")


def need(condition: bool, what: str) -> None:
    """Skip outside CI when a real part is missing; fail in CI."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI")
    pytest.skip(f"{what} is not available here")


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    from django.core.cache import cache

    if settings.REDIS_URL:
        # Only the tests' own keys: clear() would FLUSHDB the Celery broker too.
        client = cache._cache.get_client(write=True)
        for key in client.scan_iter(f"{settings.CACHES['default']['KEY_PREFIX']}:*"):
            client.delete(key)
    else:
        cache.clear()
    yield


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Run queued tasks in-process (for tests that are not about the worker)."""
    from breachcheck.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def start_worker(*extra: str, name: str = "w1") -> subprocess.Popen:
    """Start `celery worker` on the test database and wait until it is ready."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "BREACHCHECK_WORKER_FOR_TESTS": "1",
    }
    log_path = Path(settings.TEST_DATA_DIR) / f"worker-{name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "w")  # noqa: SIM115 - handed to the process
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "breachcheck",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            f"--hostname={name}@%h",
            "--without-mingle",
            "--without-gossip",
            *extra,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    proc.log_path = log_path  # type: ignore[attr-defined]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if "ready." in log_path.read_text():
            return proc
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"worker did not start:\n{log_path.read_text()}")


def stop_worker(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def celery_worker_process(transactional_db) -> Iterator[subprocess.Popen]:
    """A real worker process on the real broker (Redis, or the filesystem one)."""
    if settings.REDIS_URL:
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL).ping()
        except redis.RedisError:
            need(False, "Redis at REDIS_URL")
    _purge_queue()
    proc = start_worker()
    yield proc
    stop_worker(proc)


def _purge_queue() -> None:
    from breachcheck.celery import app

    if not settings.REDIS_URL:
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        return
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(settings.CELERY_TASK_DEFAULT_QUEUE)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    need(Path(CHROMIUM).exists(), f"Chromium at {CHROMIUM}")
    # Playwright's sync API runs an event loop in this thread; Django's ORM
    # calls made by the test itself stay synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def all_logs(caplog) -> pytest.LogCaptureFixture:
    """Capture every log record at DEBUG, for scanning for plaintext numbers."""
    caplog.set_level(logging.DEBUG)
    # Django's own logger stops at INFO by default; SQL is logged at DEBUG.
    caplog.set_level(logging.DEBUG, logger="django")
    return caplog


@pytest.fixture
def sms_stub(settings) -> Iterator[object]:
    """A local Twilio-like SMS API, with settings pointing the Twilio backend at it."""
    from tests.sms_stub import SmsStub

    stub = SmsStub().start()
    settings.SMS_BACKEND = "proof.sms.TwilioBackend"
    settings.SMS_API_BASE_URL = stub.base_url
    settings.SMS_ACCOUNT_SID = "AC" + "0" * 32
    settings.SMS_AUTH_TOKEN = "stub-auth-token"
    settings.SMS_FROM = "+15005550006"
    yield stub
    stub.stop()


@pytest.fixture
def sms_outbox(settings, tmp_path) -> Path:
    """The file backend's outbox for this test (JSON lines: to, body, sent_at)."""
    settings.SMS_BACKEND = "proof.sms.FileBackend"
    settings.SMS_FILE_PATH = tmp_path / "sms.jsonl"
    return settings.SMS_FILE_PATH


def database_text() -> str:
    """Every row of every table as text, for scanning for plaintext numbers."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        chunks.append(bytes(value).decode("latin-1"))
                    else:
                        chunks.append(str(value))
    return "\n".join(chunks)


def digits_variants(number: str) -> list[str]:
    """Forms a leaked number could take in storage: national, E.164, with 86."""
    national = number.lstrip("+").removeprefix("86")
    return [national, "86" + national, "+86" + national]


@pytest.fixture
def smtp_server(settings) -> Iterator[object]:
    """A local SMTP server recording messages, with Django's SMTP backend pointed at it."""
    from tests.smtp_server import SmtpServer

    # The server's own log names senders and recipients; it stands for a remote
    # mail server, so keep it out of the logs scanned for contacts.
    logging.getLogger("mail.log").disabled = True
    server = SmtpServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.stop()
