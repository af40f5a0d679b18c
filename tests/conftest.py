"""Shared fixtures, and only fixtures: real worker processes, a real browser, local
SMTP and SMS servers, captured logs. Objects are made in tests/factories.py; what the
fixtures stand on (services, workers, privacy scans) is in tests/support/.

In CI (CI=true) a missing service or browser fails the test instead of
skipping it (tests/support/services.py), so a green CI means every test ran.
"""

import logging
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from tests.support.redis_server import PrivateRedis
from tests.support.services import CHROMIUM, need
from tests.support.workers import purge_queue, start_worker, stop_worker


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A browser or a worker process is slow whatever the test does with it.

    Tests of what exists only on PostgreSQL (partitions, the parallel merge) are
    left out of a run on the embedded SQLite, as deselected, not skipped: CI's
    second pass runs them on PostgreSQL."""
    for item in items:
        if item.get_closest_marker("browser") or item.get_closest_marker("worker"):
            item.add_marker(pytest.mark.slow)
    if connection.vendor != "postgresql":
        left_out = [item for item in items if item.get_closest_marker("postgres")]
        if left_out:
            config.hook.pytest_deselected(items=left_out)
            items[:] = [item for item in items if not item.get_closest_marker("postgres")]


@pytest.fixture(scope="session")
def django_db_modify_db_settings() -> None:
    """No suffix from pytest-django: tests/settings.py names each xdist process's test
    database itself, where the worker processes a test starts read the name too."""


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    from django.core.cache import cache

    if settings.REDIS_URL:
        # Only the tests' own keys: clear() would FLUSHDB the Celery broker too.
        # django-redis's own client, which BaseCache does not declare.
        client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
        for key in client.scan_iter(f"{settings.CACHES['default']['KEY_PREFIX']}:*"):
            client.delete(key)
    else:
        cache.clear()
    yield


@pytest.fixture(autouse=True)
def _fresh_replica_state() -> None:
    """Each test probes the read replica anew (its state is kept per process)."""
    from breachcheck.replica import replica_state_forget

    replica_state_forget()


@pytest.fixture(params=["default cache", "redis"])
def any_cache(request):
    """The pass's own cache (local memory in the embedded pass), and Redis, where the
    gate counts in one script: each test that takes it runs on both."""
    if request.param == "redis":
        return request.getfixturevalue("redis_client")
    return None


@pytest.fixture
def redis_client(settings) -> Iterator[object]:
    """The cache on the machine's Redis in both CI passes (the embedded one has no
    REDIS_URL), for tests of what Redis itself does; under a prefix of its own,
    emptied before and after."""
    url = settings.REDIS_URL or "redis://127.0.0.1:6379/15"
    prefix = "bc-test-redis"
    settings.CACHES = {
        "default": {
            "BACKEND": "breachcheck.redis_cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
        }
    }
    from django.core.cache import cache

    client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        need(False, f"Redis at {url}")

    def empty() -> None:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)

    empty()  # keys of an earlier run live on in Redis
    yield client
    empty()


@pytest.fixture
def private_redis(settings) -> Iterator[PrivateRedis]:
    """A redis-server of the test's own (tests/support/redis_server.py) holding the
    cache (the gate's counters) and REDIS_URL; the test may kill it. Sessions stay
    where the settings put them: set SESSION_ENGINE to have them there too."""
    need(PrivateRedis.available(), "redis-server")
    server = PrivateRedis().start()
    settings.REDIS_URL = server.url
    settings.CACHES = {
        "default": {
            "BACKEND": "breachcheck.redis_cache.RedisCache",
            "LOCATION": server.url,
            "KEY_PREFIX": "bc-private",
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        }
    }
    yield server
    server.kill()


@pytest.fixture
def admin_client(db):
    """A client of its own, logged in as the superuser "boss" (`admin_client.user`)."""
    from django.test import Client

    from tests.factories import staff_user

    client = Client()
    client.user = staff_user("boss")
    client.force_login(client.user)
    return client


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Run queued tasks in-process (for tests that are not about the worker)."""
    from breachcheck.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def celery_worker_process(transactional_db) -> Iterator[subprocess.Popen]:
    """A real worker process on the real broker (Redis, or the filesystem one)."""
    if settings.REDIS_URL:
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL).ping()
        except redis.RedisError:
            need(False, "Redis at REDIS_URL")
    purge_queue()
    proc = start_worker()
    yield proc
    stop_worker(proc)


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
    from tests.support.sms_stub import SmsStub

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


def _provider(settings, standin, backend: str, app_id: str = "") -> None:
    code, alert = standin.templates
    settings.SMS_BACKEND = backend
    settings.SMS_BACKEND_INTERNATIONAL = ""
    settings.SMS_ENDPOINT = standin.url
    settings.SMS_ACCESS_KEY_ID = standin.key_id
    settings.SMS_ACCESS_KEY_SECRET = standin.secret
    settings.SMS_APP_ID = app_id
    settings.SMS_SIGN_NAME = "泄露查"
    settings.SMS_TEMPLATE_CODE = code
    settings.SMS_TEMPLATE_ALERT = alert


@pytest.fixture
def tencent_sms(settings) -> Iterator[object]:
    """A local Tencent Cloud SMS API that checks TC3 signatures; the Tencent backend on it."""
    from tests.support.sms_providers import TencentStandin

    standin = TencentStandin().start()
    _provider(settings, standin, "proof.sms.TencentBackend", TencentStandin.app_id)
    yield standin
    standin.stop()


@pytest.fixture
def aliyun_sms(settings) -> Iterator[object]:
    """A local Alibaba Cloud SMS API that checks ACS3 signatures; the Aliyun backend on it."""
    from tests.support.sms_providers import AliyunStandin

    standin = AliyunStandin().start()
    _provider(settings, standin, "proof.sms.AliyunBackend")
    yield standin
    standin.stop()
