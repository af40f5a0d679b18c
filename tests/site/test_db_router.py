"""Lookups read from the replica; writes and the proof flow never touch it.

The replica here is a second alias of the test database (TEST MIRROR in
tests/settings.py), so which alias ran which query is counted per connection.
"""

import json
import re

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from api.keys import apikey_create
from leaks.hashing import current_version, phone_bucket
from leaks.lookups import bucket_entries
from leaks.models import Breach
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
