"""Lookups read from the replica; writes and the proof flow never touch it; a
replica that is down or behind is left out and lookups read the primary.

The replica here is a second alias of the test database (TEST MIRROR in
tests/settings.py), so which alias ran which query is counted per connection.
"""

import json
import re
from unittest import mock

import pytest
from django.db import OperationalError, ProgrammingError, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from api.keys import apikey_create
from breachcheck import replica
from leaks.hashing import current_version, phone_bucket
from leaks.lookups import bucket_entries, found_breaches
from leaks.models import Breach
from leaks.phones import normalize
from leaks.public_set import public_set
from leaks.publishing import breach_unpublish
from tests.factories import breach_with
from tests.support.checks import check

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

NUMBER = "13800138000"
LOOKUP_TABLES = ("leaks_exposure", "leaks_legacyexposure")


@pytest.fixture
def replica_reads(settings):
    settings.DATABASE_REPLICA_READS = True


@pytest.fixture
def shop():
    return breach_with("shop", [NUMBER], title="Card shop members")


def _lookup_reads(queries) -> list[str]:
    """Reads of the lookup tables that match numbers (the public snapshot's probe
    whether any legacy rows are left matches none, and reads the primary)."""
    return [
        q["sql"]
        for q in queries
        if any(table in q["sql"] for table in LOOKUP_TABLES)
        and ("phone_key" in q["sql"] or "phone_hash" in q["sql"])
    ]


def _is_read(sql: str) -> bool:
    # A union is "(SELECT ...) UNION ALL (SELECT ...)" on PostgreSQL.
    return sql.lstrip(" (").upper().startswith("SELECT")


class Counted:
    """Queries on the primary and on the replica while the block runs."""

    def __enter__(self):
        self.primary = CaptureQueriesContext(connections["default"]).__enter__()
        self.replica = CaptureQueriesContext(connections["replica"]).__enter__()
        return self

    def __exit__(self, *exc):
        self.replica.__exit__(*exc)
        self.primary.__exit__(*exc)


def test_a_check_reads_exposures_from_the_replica(client, shop, replica_reads):
    with Counted() as counted:
        response = check(client, NUMBER)
    assert response.status_code == 200
    assert "Card shop members" in response.content.decode()
    assert len(_lookup_reads(counted.replica.captured_queries)) == 1
    assert _lookup_reads(counted.primary.captured_queries) == []
    assert all(_is_read(q["sql"]) for q in counted.replica)


def test_an_api_lookup_reads_exposures_from_the_replica(client, shop, replica_reads):
    token = apikey_create(name="tests", rate="100/m")[1]
    with Counted() as counted:
        response = client.post(
            "/api/v1/lookup",
            {"number": NUMBER},
            content_type="application/json",
            HTTP_X_API_KEY=token,
        )
    assert response.status_code == 200
    assert [b["name"] for b in response.json()["breaches"]] == ["shop"]
    assert len(_lookup_reads(counted.replica.captured_queries)) == 1
    assert _lookup_reads(counted.primary.captured_queries) == []
    # The key is checked on the primary: a revoked key is refused at once.
    assert not any("api_apikey" in q["sql"] for q in counted.replica)


def test_a_private_check_bucket_is_read_from_the_replica(shop, replica_reads):
    public = public_set()  # the breaches: the process's snapshot, read from the primary
    with Counted() as counted:
        entries = bucket_entries(phone_bucket("+86" + NUMBER), current_version(), public)
    assert [breach_id for _, breach_id in entries] == [shop.pk]
    assert len(_lookup_reads(counted.replica.captured_queries)) == 1
    assert counted.primary.captured_queries == []


def test_without_replica_reads_everything_stays_on_the_primary(client, shop):
    with Counted() as counted:
        response = check(client, NUMBER)
    assert "Card shop members" in response.content.decode()
    assert counted.replica.captured_queries == []
    assert len(_lookup_reads(counted.primary.captured_queries)) == 1


def test_the_proof_flow_and_writes_never_use_the_replica(client, shop, replica_reads, sms_outbox):
    with Counted() as counted:
        sent = client.post(reverse("bc-proof-send"), {"phone": NUMBER})
        assert sent.status_code == 302
        body = json.loads(sms_outbox.read_text(encoding="utf-8").splitlines()[-1])["body"]
        code = re.search(r"\b(\d{6})\b", body)[1]
        proven = client.post(reverse("bc-proof-code"), {"code": code})
        assert proven.status_code == 302 and proven["Location"] == reverse("bc-result")
        breach_unpublish(breach=shop)
        Breach.objects.create(slug="new", title="New", published_at=timezone.now())
    assert counted.replica.captured_queries == []
    writes = [q for q in counted.primary if not _is_read(q["sql"])]
    assert writes, "the flow wrote nothing: the test proves nothing"


def test_an_unpublished_breach_is_not_named_even_if_the_replica_still_has_it(
    client, shop, replica_reads
):
    breach_unpublish(breach=shop)
    response = check(client, NUMBER)
    assert "Card shop members" not in response.content.decode()


def _replica_down():
    return mock.patch.object(
        connections["replica"], "ensure_connection", side_effect=OperationalError("down")
    )


def test_a_check_reads_the_primary_while_the_replica_is_down(client, shop, replica_reads):
    with Counted() as counted, _replica_down():
        response = check(client, NUMBER)
    assert response.status_code == 200
    assert "Card shop members" in response.content.decode()
    assert len(_lookup_reads(counted.primary.captured_queries)) == 1


def test_ready_names_a_replica_that_is_down_and_stays_ready(client, replica_reads, settings):
    settings.DATABASE_REPLICA_CHECK_SECONDS = 0
    assert client.get("/healthz/ready").json() == {"status": "ok", "replica": "ok"}
    with _replica_down():
        response = client.get("/healthz/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "replica": "down"}


def test_a_lagging_replica_is_left_out_and_named(client, shop, replica_reads, monkeypatch):
    monkeypatch.setattr(replica, "_probe", lambda: replica.ReplicaState(False, "lagging 45 s"))
    with Counted() as counted:
        response = check(client, NUMBER)
    assert "Card shop members" in response.content.decode()
    assert _lookup_reads(counted.replica.captured_queries) == []
    assert len(_lookup_reads(counted.primary.captured_queries)) == 1
    ready = client.get("/healthz/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "replica": "lagging 45 s"}


def test_a_replica_failing_under_a_lookup_is_answered_by_the_primary(shop, replica_reads, caplog):
    bucket = phone_bucket("+86" + NUMBER)
    assert replica.replica_state().usable  # probed: up
    with Counted() as counted, _replica_down():
        entries = bucket_entries(bucket, current_version())
        found = found_breaches(normalize(NUMBER))
    assert [breach_id for _, breach_id in entries] == [shop.pk]
    assert [breach.slug for breach in found] == ["shop"]
    assert len(_lookup_reads(counted.primary.captured_queries)) == 2
    # The failure marked it down: the second lookup went straight to the primary.
    assert replica.replica_state() == replica.DOWN
    assert "Read replica: down" in caplog.text


def test_the_replica_is_probed_once_per_interval(shop, replica_reads, settings, monkeypatch):
    probes = []
    real = replica._probe
    monkeypatch.setattr(replica, "_probe", lambda: probes.append(1) or real())
    settings.DATABASE_REPLICA_CHECK_SECONDS = 60
    for _ in range(3):
        found_breaches(normalize(NUMBER))
    assert len(probes) == 1
    settings.DATABASE_REPLICA_CHECK_SECONDS = 0
    found_breaches(normalize(NUMBER))
    assert len(probes) == 2


def test_the_lag_of_a_postgresql_standby(monkeypatch, settings):
    """What the probe makes of the standby's row: (in recovery, caught up, replay age)."""
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 30
    rows = {
        "primary": (False, None, None),
        "idle, caught up": (True, True, 3600.0),
        "behind a little": (True, False, 12.0),
        "behind": (True, False, 45.2),
        "never replayed": (True, False, None),
    }
    states = {}
    for name, row in rows.items():
        cursor = mock.MagicMock()
        cursor.__enter__.return_value.fetchone.return_value = row
        fake = mock.MagicMock(vendor="postgresql")
        fake.cursor.return_value = cursor
        monkeypatch.setattr(replica, "connections", {"replica": fake})
        states[name] = replica._probe().label
    assert states == {
        "primary": "ok",
        "idle, caught up": "ok",
        "behind a little": "ok",
        "behind": "lagging 45 s",
        "never replayed": "lagging (nothing replayed yet)",
    }


def test_a_replica_without_the_newest_schema_is_answered_for_by_the_primary(shop, replica_reads):
    with mock.patch.object(
        connections["replica"], "cursor", side_effect=ProgrammingError("no such column")
    ):
        found = found_breaches(normalize(NUMBER))
    assert [breach.slug for breach in found] == ["shop"]
    assert replica.replica_state() == replica.DOWN


def test_a_change_of_the_replica_state_is_logged_once(replica_reads, settings, monkeypatch, caplog):
    settings.DATABASE_REPLICA_CHECK_SECONDS = 0
    states = iter(["ok", "lagging 45 s", "lagging 50 s", "lagging 55 s", "down", "ok", "ok"])
    monkeypatch.setattr(
        replica, "_probe", lambda: replica.ReplicaState((label := next(states)) == "ok", label)
    )
    for _ in range(7):
        replica.replica_state()
    assert [r.getMessage() for r in caplog.records if r.name == "breachcheck.replica"] == [
        "Read replica: lagging 45 s (was ok)",
        "Read replica: down (was lagging 55 s)",
        "Read replica: ok (was down)",
    ]
