"""A real streaming replica: a primary and a hot standby of the test's own.

The site runs as in production (gunicorn, manage.py) on the primary with
DATABASE_REPLICA_URL naming the standby. Imports go to the primary; lookups read
the standby once it has replayed them; while it is behind past the allowed lag, or
stopped, lookups read the primary and /healthz/ready names the standby's state.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bench.gunicorn_server import GunicornServer, production_env, request
from tests.support import ROOT
from tests.support.pg_cluster import Cluster, Standby, primary_and_standby

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

NUMBER = "13800138000"
MAX_LAG = 15


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def import_dump(env: dict[str, str], work: Path, slug: str, numbers: list[str]) -> None:
    dump = work / f"{slug}.txt"
    dump.write_text("".join(f"{number}\n" for number in numbers))
    manage(env, "import_breach", str(dump), "--breach", slug, "--inline", "--publish")


def checked(env: dict[str, str]) -> list[str]:
    """The breaches `manage.py check_phone` (the site's lookup) finds for NUMBER."""
    found = json.loads(manage(env, "check_phone", NUMBER, "--json"))
    return [breach["slug"] for breach in found["breaches"]]


def looked_up(server: GunicornServer, token: str) -> list[str]:
    status, _, body = request(
        server.port,
        "POST",
        "/api/v1/lookup",
        json.dumps({"number": NUMBER}),
        {"Content-Type": "application/json", "X-API-Key": token},
    )
    assert status == 200, body
    return sorted(breach["name"] for breach in json.loads(body)["breaches"])


def ready(server: GunicornServer) -> tuple[int, dict]:
    status, _, body = request(server.port, "GET", "/healthz/ready")
    return status, json.loads(body)


def replay_age(standby: Standby) -> float:
    return float(
        standby.sql("SELECT EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())", "site")
    )


def site_env(work: Path, primary: Cluster, standby: Cluster, **extra: str) -> dict[str, str]:
    return production_env(
        work,
        DATABASE_URL=primary.url("site"),
        DATABASE_REPLICA_URL=standby.url("site"),
        DATABASE_REPLICA_MAX_LAG_SECONDS=str(MAX_LAG),
        DATABASE_REPLICA_CHECK_SECONDS="0",
        ALERTS_FERNET_KEY=Fernet.generate_key().decode(),
        CELERY_TASK_ALWAYS_EAGER="1",
        **extra,
    )


def test_lookups_read_the_standby_and_the_primary_when_it_is_behind_or_down(tmp_path):
    with primary_and_standby() as (primary, standby):
        primary.sql("CREATE DATABASE site")
        env = site_env(tmp_path, primary, standby)
        manage(env, "migrate", "-v0")
        import_dump(env, tmp_path, "shop", [NUMBER, "13900139000"])
        import_dump(env, tmp_path, "forum", ["13700137000"])
        token = manage(
            env,
            "shell",
            "-c",
            "from api.keys import apikey_create; print(apikey_create(name='t', rate='600/m')[1])",
        ).split()[-1]
        standby.caught_up_with(primary)
        server = GunicornServer(
            env, tmp_path / "gunicorn.log", workers=1, ready_path="/healthz/live"
        )
        try:
            # Replicated: the standby answers.
            assert ready(server) == (200, {"status": "ok", "replica": "ok"})
            assert looked_up(server, token) == ["shop"]

            # The standby stops replaying; the number joins "forum" on the primary.
            standby.sql("SELECT pg_wal_replay_pause()")
            import_dump(env, tmp_path, "forum", [NUMBER])
            assert checked({**env, "DATABASE_REPLICA_URL": ""}) == ["forum", "shop"]
            # Behind by less than the allowed lag: lookups still read the standby.
            assert replay_age(standby) < MAX_LAG, "the machine is too slow for this test"
            assert looked_up(server, token) == ["shop"]

            # Past the allowed lag: the primary answers, and ready says why.
            while replay_age(standby) <= MAX_LAG + 1:
                time.sleep(0.5)
            assert looked_up(server, token) == ["forum", "shop"]
            status, body = ready(server)
            assert status == 200 and body["status"] == "ok"
            assert body["replica"].startswith("lagging ") and body["replica"].endswith(" s")
            assert int(body["replica"].split()[1]) > MAX_LAG

            # Replaying again and caught up: the standby answers, with the new exposure.
            standby.sql("SELECT pg_wal_replay_resume()")
            standby.caught_up_with(primary)
            assert ready(server) == (200, {"status": "ok", "replica": "ok"})
            assert looked_up(server, token) == ["forum", "shop"]

            # Stopped: the primary answers (no 500) and the site stays ready.
            standby.stop()
            assert looked_up(server, token) == ["forum", "shop"]
            assert ready(server) == (200, {"status": "ok", "replica": "down"})
            assert checked(env) == ["forum", "shop"]
        finally:
            server.stop()
