"""A key is read from the cache, not the database, and every change drops it at once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.keys import apikey_create
from api.models import ApiKey

pytestmark = pytest.mark.django_db


def lookup(client, token: str):
    return client.post(
        "/api/v1/lookup",
        {"number": "13800138000", "truncate_response": True},
        content_type="application/json",
        HTTP_X_API_KEY=token,
    )


def _key_reads(queries) -> int:
    return sum('"api_apikey"' in q["sql"] for q in queries)


def test_a_key_is_read_from_the_database_once(client):
    _, token = apikey_create(name="researcher")
    with CaptureQueriesContext(connection) as first:
        assert lookup(client, token).status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert lookup(client, token).status_code == 200
    assert _key_reads(first.captured_queries) == 1
    assert _key_reads(second.captured_queries) == 0


def test_a_change_to_a_cached_key_counts_on_the_next_request(client):
    api_key, token = apikey_create(name="researcher")
    assert lookup(client, token).status_code == 200
    # Revoked by a plain save (as a data fix in the shell would), not by apikey_revoke.
    api_key.revoked_at = api_key.created_at
    api_key.save()
    assert lookup(client, token).status_code == 401


def test_a_key_deleted_in_bulk_stops_at_once(client):
    _, token = apikey_create(name="researcher")
    assert lookup(client, token).status_code == 200
    ApiKey.objects.all().delete()
    assert lookup(client, token).status_code == 401
