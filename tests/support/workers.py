"""Real Celery worker processes on the test database and the test queue."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

from tests.support import ROOT


class WorkerProcess(subprocess.Popen[bytes]):
    log_path: Path  # where the worker's output goes


def start_worker(*extra: str, name: str = "w1") -> WorkerProcess:
    """Start `celery worker` on the test database and wait until it is ready."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "BREACHCHECK_WORKER_FOR_TESTS": "1",
    }
    log_path = Path(settings.TEST_DATA_DIR) / f"worker-{name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "w")  # noqa: SIM115 - handed to the process
    proc = WorkerProcess(
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
    proc.log_path = log_path
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


def purge_queue() -> None:
    """Drop every task waiting in the test queue (Redis, or the filesystem broker)."""
    from breachcheck.celery import app

    if not settings.REDIS_URL:
        folder = Path(str(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]))
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        return
    with app.connection_for_write() as conn:
        # The Redis channel has queue_purge; kombu's StdChannel stub does not declare it.
        conn.default_channel.queue_purge(settings.CELERY_TASK_DEFAULT_QUEUE)  # type: ignore[attr-defined]


def wait_for(condition, timeout: float = 60, what: str = "condition") -> None:
    """Poll ``condition`` until it holds; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")
