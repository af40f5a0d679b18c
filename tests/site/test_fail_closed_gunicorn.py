"""Redis killed under a real gunicorn (two workers, its own redis-server, SQLite,
the file SMS backend): the checks, evaluations and texts stop at once, every
answer is a 503 (never a 500), the log says so once per worker, /healthz/ready
names Redis, and the gate opens again by itself when Redis is back."""

import json
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

from bench.enum_attack import Attacker
from bench.gunicorn_server import GunicornServer, production_env, request
from leaks import private_client
from tests.support import ROOT
from tests.support.redis_server import PrivateRedis
from tests.support.services import need

pytestmark = pytest.mark.slow

ATTACKER_IP = "198.51.100.7"
VICTIM = "13800138000"  # in the demo breach


def manage(env: dict, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True
    )


def texts(outbox: Path) -> int:
    return len(outbox.read_text().splitlines()) if outbox.exists() else 0


def test_gunicorn_answers_and_texts_nothing_once_redis_is_killed(tmp_path):
    need(PrivateRedis.available(), "redis-server")
    redis_server = PrivateRedis().start()
    outbox = tmp_path / "sms.jsonl"
    env = production_env(
        tmp_path,
        REDIS_URL=redis_server.url,
        SQLITE_PATH=str(tmp_path / "db.sqlite3"),
        SMS_BACKEND="proof.sms.FileBackend",
        SMS_FILE_PATH=str(outbox),
        TRUSTED_PROXIES="127.0.0.1",
        RATELIMIT_CHECK_PER_IP="3/h",
        RATELIMIT_SMS_PER_NUMBER="1/5m",
    )
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"], ["load_demo"]):
        manage(env, *command)
    log = tmp_path / "gunicorn.log"
    server = GunicornServer(env, log, workers=2, ready_path="/healthz/live")
    port = server.port
    try:
        attacker = Attacker(port)
        forwarded = {"X-Forwarded-For": ATTACKER_IP}

        def send_code(number: str) -> int:
            body = urllib.parse.urlencode({"csrfmiddlewaretoken": attacker.token, "phone": number})
            headers = {**attacker._headers(ATTACKER_IP), **forwarded}
            return request(port, "POST", "/prove/", body, headers)[0]

        def evaluate() -> tuple[int, dict, str]:
            _blind, body = private_client.request_for("+86" + VICTIM)
            headers = {"Content-Type": "application/json", **forwarded}
            return request(port, "POST", "/private/evaluate/", json.dumps(body), headers)

        # Redis up: the limits hold as usual.
        up = [attacker.check(f"1390013{9000 + i:04d}", ATTACKER_IP)[0] for i in range(5)]
        assert up == [200, 200, 200, 429, 429]
        # One code per number per window: the later asks go to the code page, untexted.
        assert [send_code(VICTIM) for _ in range(3)] == [302, 302, 302]
        assert texts(outbox) == 1

        redis_server.kill()
        down = [attacker.check(f"1390014{i:04d}", f"203.0.113.{i + 1}") for i in range(30)]
        assert {status for status, _, _ in down} == {503}
        assert {retry for _, retry, _ in down} == {"60"}
        sends = [send_code(VICTIM) for _ in range(5)]
        sends += [send_code(f"1370013{7000 + i:04d}") for i in range(5)]
        assert set(sends) == {503}
        assert texts(outbox) == 1
        evaluations = [evaluate() for _ in range(10)]
        assert {status for status, _, _ in evaluations} == {503}
        assert all("error" in json.loads(text) for _, _, text in evaluations)
        status, _, text = request(port, "GET", "/healthz/ready")
        assert status == 503 and json.loads(text)["failing"] == ["redis"]
        assert request(port, "GET", "/healthz/live")[0] == 200

        # Back: the gate opens by itself, with fresh counters.
        redis_server.start()
        assert Attacker(port).check(VICTIM, "192.0.2.1")[0] == 200
    finally:
        server.stop()
        redis_server.kill()
    logged = log.read_text()
    closed = re.findall(r"The disclosure gate is closed", logged)
    assert 1 <= len(closed) <= 2, logged  # once per worker that refused, within the minute
    assert "Internal Server Error" not in logged and "Traceback" not in logged
