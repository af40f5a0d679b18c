"""API keys: hashed at rest, shown once, revoked at once, limited one by one."""

import hashlib

import pytest

from api.keys import apikey_create, apikey_revoke
from api.models import ApiKey
from tests.factories import breach_with_numbers
from tests.support.privacy_scan import database_text, digits_variants

pytestmark = pytest.mark.django_db

NUMBER = "13800138000"


def lookup(client, key: str, number: str = NUMBER):
    return client.post(
        "/api/v1/lookup", {"number": number}, content_type="application/json", HTTP_X_API_KEY=key
    )


def test_a_key_is_stored_only_as_its_hash(db):
    api_key, token = apikey_create(name="password manager")
    api_key.refresh_from_db()
    assert api_key.key_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token.startswith(api_key.prefix)
    assert token not in database_text()
    assert token[len(api_key.prefix) :] not in database_text()


def test_a_revoked_key_stops_working_at_once(client, db):
    api_key, token = apikey_create(name="researcher")
    assert lookup(client, token).status_code == 200
    apikey_revoke(api_key=api_key)
    response = lookup(client, token)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_api_key"


def test_a_deleted_key_stops_working_at_once(client, db):
    api_key, token = apikey_create(name="researcher")
    assert lookup(client, token).status_code == 200
    api_key.delete()
    assert lookup(client, token).status_code == 401


def test_each_key_has_its_own_limit(client, db):
    _first, first = apikey_create(name="first", rate="2/h")
    _second, second = apikey_create(name="second", rate="3/h")
    assert [lookup(client, first).status_code for _ in range(3)] == [200, 200, 429]
    assert [lookup(client, second).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_over_the_limit_is_429_with_retry_after(client, db):
    _api_key, token = apikey_create(name="busy", rate="1/h")
    assert lookup(client, token).status_code == 200
    response = lookup(client, token)
    assert response.status_code == 429
    assert response.json()["error"] == "rate_limited"
    assert 0 < int(response["Retry-After"]) <= 3600


def test_invalid_requests_count_against_the_limit(client, db):
    # Otherwise a key could probe the validator for free.
    _api_key, token = apikey_create(name="sloppy", rate="2/h")
    assert lookup(client, token, number="12").status_code == 400
    assert lookup(client, token, number="12").status_code == 400
    assert lookup(client, token).status_code == 429


def test_a_key_over_its_limit_is_refused_whatever_its_request(client, db):
    # The lookup counts its key with the number; a request failing before that
    # is counted when it is answered, and over the limit it is the same 429.
    _api_key, token = apikey_create(name="sloppy", rate="1/h")
    assert lookup(client, token).status_code == 200
    refused = lookup(client, token, number="12")
    assert refused.status_code == 429 and refused.json()["error"] == "rate_limited"
    malformed = client.post(
        "/api/v1/lookup", {"region": "CN"}, content_type="application/json", HTTP_X_API_KEY=token
    )
    assert malformed.status_code == 429 and int(malformed["Retry-After"]) > 0


def test_a_key_over_its_limit_does_not_spend_the_numbers_budget(client, db, settings):
    settings.RATELIMIT_CHECK_PER_NUMBER = "2/h"
    _busy, busy = apikey_create(name="busy", rate="1/h")
    _other, other = apikey_create(name="other", rate="10/h")
    assert [lookup(client, busy).status_code for _ in range(4)] == [200, 429, 429, 429]
    # The busy key's refusals left the number one lookup of its two.
    assert [lookup(client, other).status_code for _ in range(2)] == [200, 429]


def test_unauthenticated_requests_do_not_use_a_keys_limit(client, db):
    _api_key, token = apikey_create(name="victim", rate="1/h")
    for _ in range(3):
        assert lookup(client, "bck_wrong").status_code == 401
    assert lookup(client, token).status_code == 200


def test_a_key_rejects_a_malformed_rate(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        apikey_create(name="bad", rate="lots")


@pytest.mark.slow
def test_no_plaintext_number_in_logs_or_database_from_api_calls(client, db, all_logs):
    breach_with_numbers("shop", [NUMBER])
    _api_key, token = apikey_create(name="logs", rate="3/h")
    lookup(client, token, "+86 138 0013 8000")
    lookup(client, token, "1380013800")  # invalid: 400
    client.post(
        "/api/v1/lookup",
        f"{{number: {NUMBER}",
        content_type="application/json",
        HTTP_X_API_KEY=token,
    )
    lookup(client, token)  # over the limit: 429
    lookup(client, "bck_wrong")  # 401
    assert all_logs.records, "the API calls should have logged something to scan"
    text = all_logs.text + database_text()
    for variant in digits_variants(NUMBER) + ["138 0013 8000", "1380013800"]:
        assert variant not in text


# The admin


@pytest.mark.slow
def test_admin_shows_a_new_key_once(admin_client, client):
    response = admin_client.post(
        "/admin/api/apikey/add/", {"name": "Bitwarden", "rate": "30/m"}, follow=True
    )
    assert response.status_code == 200
    api_key = ApiKey.objects.get()
    html = response.content.decode()
    token = html.split('id="api-key-token">', 1)[1].split("<", 1)[0]
    assert token.startswith(api_key.prefix)
    assert hashlib.sha256(token.encode()).hexdigest() == api_key.key_hash
    assert api_key.rate == "30/m"
    change = admin_client.get(f"/admin/api/apikey/{api_key.pk}/change/").content.decode()
    assert token not in change
    assert token not in str(admin_client.cookies)
    assert token not in admin_client.get("/admin/api/apikey/").content.decode()
    assert lookup(client, token).status_code == 200


@pytest.mark.slow
def test_admin_revokes_keys(admin_client, client):
    api_key, token = apikey_create(name="old partner")
    response = admin_client.post(
        "/admin/api/apikey/",
        {"action": "revoke", "_selected_action": [api_key.pk]},
        follow=True,
    )
    assert response.status_code == 200
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert lookup(client, token).status_code == 401


def test_a_lookup_after_unpublishing_no_longer_names_the_breach(client, db):
    # The snapshot's version is read with the key; a change still shows at once.
    from leaks.publishing import breach_unpublish

    breach = breach_with_numbers("shop", [NUMBER])
    _api_key, token = apikey_create(name="watcher")
    assert lookup(client, token).json()["breaches"] == [{"name": "shop"}]
    breach_unpublish(breach=breach)
    assert lookup(client, token).json()["breaches"] == []
