"""Contract tests for every API v1 operation and every error it can answer."""

import datetime
import json

import pytest
from django.utils import timezone

from api.keys import apikey_create
from leaks.models import Breach
from tests.factories import breach_with_numbers

pytestmark = pytest.mark.django_db

NUMBER = "13800138000"
BREACH_FIELDS = {
    "name",
    "title",
    "domain",
    "breach_date",
    "added_date",
    "modified_date",
    "pwn_count",
    "description",
    "data_classes",
    "is_verified",
    "is_fabricated",
    "is_sensitive",
    "is_spam_list",
}


@pytest.fixture
def breaches(db):
    shop = breach_with_numbers(
        "card-shop",
        [NUMBER, "13900139000", "17012345678"],
        domain="cards.example",
        breach_date=datetime.date(2024, 3, 1),
        data_classes=["phone", "name"],
        is_verified=True,
    )
    rumour = breach_with_numbers("rumour", [NUMBER], is_verified=False)
    clinic = breach_with_numbers("clinic", [NUMBER], is_verified=True, is_sensitive=True)
    old = breach_with_numbers("old", [NUMBER], is_verified=True, is_retired=True)
    return {"shop": shop, "rumour": rumour, "clinic": clinic, "old": old}


@pytest.fixture
def key(db) -> str:
    return apikey_create(name="tests", rate="100/m")[1]


def lookup(client, body: dict, key: str | None = None):
    headers = {"HTTP_X_API_KEY": key} if key else {}
    return client.post("/api/v1/lookup", body, content_type="application/json", **headers)


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "message", "reason"}
    assert body["error"] == code
    assert body["message"]
    return body


# The catalogue


@pytest.mark.slow
def test_it_lists_breaches_without_retired_ones(client, breaches):
    response = client.get("/api/v1/breaches")
    assert response.status_code == 200
    names = [b["name"] for b in response.json()]
    assert sorted(names) == ["card-shop", "clinic", "rumour"]
    shop = next(b for b in response.json() if b["name"] == "card-shop")
    assert set(shop) == BREACH_FIELDS
    assert shop["pwn_count"] == 3
    assert shop["breach_date"] == "2024-03-01"
    assert shop["data_classes"] == ["phone", "name"]


@pytest.mark.slow
def test_it_filters_breaches_by_domain(client, breaches):
    response = client.get("/api/v1/breaches", {"domain": "CARDS.example"})
    assert [b["name"] for b in response.json()] == ["card-shop"]
    assert client.get("/api/v1/breaches", {"domain": "nowhere.example"}).json() == []


@pytest.mark.slow
def test_it_leaves_out_unverified_breaches_on_request(client, breaches):
    response = client.get("/api/v1/breaches", {"include_unverified": "false"})
    assert sorted(b["name"] for b in response.json()) == ["card-shop", "clinic"]


@pytest.mark.slow
def test_it_rejects_a_malformed_filter(client, breaches):
    response = client.get("/api/v1/breaches", {"include_unverified": "perhaps"})
    body = assert_error(response, 400, "invalid_request")
    assert "include_unverified" in body["message"]


@pytest.mark.slow
def test_it_gets_one_breach(client, breaches):
    response = client.get("/api/v1/breaches/card-shop")
    assert response.status_code == 200
    assert response.json()["name"] == "card-shop"
    assert response.json()["domain"] == "cards.example"


@pytest.mark.slow
def test_it_answers_404_for_unknown_and_retired_breaches(client, breaches):
    assert_error(client.get("/api/v1/breaches/nothing"), 404, "not_found")
    assert_error(client.get("/api/v1/breaches/old"), 404, "not_found")


def test_it_lists_data_classes_in_the_requested_language(client):
    english = client.get("/api/v1/dataclasses", HTTP_ACCEPT_LANGUAGE="en").json()
    assert {"key": "phone", "name": "Phone numbers"} in english
    chinese = client.get("/api/v1/dataclasses", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese.status_code == 200
    assert [c["key"] for c in chinese.json()] == [c["key"] for c in english]
    assert chinese["ETag"] != client.get("/api/v1/dataclasses", HTTP_ACCEPT_LANGUAGE="en")["ETag"]


@pytest.mark.slow
def test_it_gets_the_latest_breach(client, breaches):
    Breach.objects.filter(slug="rumour").update(added_date=timezone.now() + datetime.timedelta(1))
    assert client.get("/api/v1/latestbreach").json()["name"] == "rumour"


def test_latest_breach_is_404_when_there_is_none(client, db):
    assert_error(client.get("/api/v1/latestbreach"), 404, "not_found")


@pytest.mark.slow
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/breaches",
        "/api/v1/breaches/card-shop",
        "/api/v1/dataclasses",
        "/api/v1/latestbreach",
    ],
)
def test_catalogue_answers_are_cacheable_and_revalidate(client, breaches, path):
    first = client.get(path)
    assert first.status_code == 200
    assert first["ETag"]
    assert first["Last-Modified"]
    assert "public" in first["Cache-Control"]
    again = client.get(path, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    since = client.get(path, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304


@pytest.mark.slow
def test_an_import_changes_the_etag(client, breaches):
    before = client.get("/api/v1/breaches")["ETag"]
    breach_with_numbers("new-dump", ["13700137000"])
    after = client.get("/api/v1/breaches", HTTP_IF_NONE_MATCH=before)
    assert after.status_code == 200
    assert after["ETag"] != before


@pytest.mark.slow
def test_an_edit_changes_the_etag(client, breaches):
    before = client.get("/api/v1/breaches/card-shop")["ETag"]
    shop = breaches["shop"]
    shop.title = "Renamed"
    shop.save()
    response = client.get("/api/v1/breaches/card-shop", HTTP_IF_NONE_MATCH=before)
    assert response.status_code == 200
    assert response.json()["title"] == "Renamed"


# The lookup


@pytest.mark.slow
def test_lookup_returns_names_by_default(client, breaches, key):
    response = lookup(client, {"number": NUMBER}, key)
    assert response.status_code == 200
    assert response.json() == {"breaches": [{"name": "card-shop"}, {"name": "rumour"}]}


@pytest.mark.slow
def test_lookup_returns_full_breaches_when_not_truncated(client, breaches, key):
    response = lookup(client, {"number": "+86 138 0013 8000", "truncate_response": False}, key)
    found = response.json()["breaches"]
    assert [b["name"] for b in found] == ["card-shop", "rumour"]
    assert set(found[0]) == BREACH_FIELDS


@pytest.mark.slow
def test_lookup_never_returns_sensitive_or_retired_breaches(client, breaches, key):
    response = lookup(client, {"number": NUMBER, "truncate_response": False}, key)
    names = {b["name"] for b in response.json()["breaches"]}
    assert "clinic" not in names
    assert "old" not in names
    assert all(not b["is_sensitive"] for b in response.json()["breaches"])


@pytest.mark.slow
def test_lookup_can_leave_out_unverified_breaches(client, breaches, key):
    response = lookup(client, {"number": NUMBER, "include_unverified": False}, key)
    assert response.json() == {"breaches": [{"name": "card-shop"}]}


@pytest.mark.slow
def test_lookup_of_an_unknown_number_is_an_empty_list(client, breaches, key):
    response = lookup(client, {"number": "13700137000"}, key)
    assert response.status_code == 200
    assert response.json() == {"breaches": []}


def test_lookup_uses_the_region_for_national_numbers(client, db, key):
    breach_with_numbers("uk-shop", ["+44 7911 123456"])
    assert lookup(client, {"number": "07911 123456", "region": "GB"}, key).json() == {
        "breaches": [{"name": "uk-shop"}]
    }


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("138", "too_short"),
        ("23456", "invalid"),
        ("1.38001E+10", "scientific_notation"),
        ("call me", "not_a_number"),
    ],
)
def test_it_rejects_bad_number_with_the_reason(client, db, key, number, reason):
    body = assert_error(lookup(client, {"number": number}, key), 400, "invalid_number")
    assert body["reason"] == reason


def test_it_rejects_a_body_without_number(client, db, key):
    body = assert_error(lookup(client, {"truncate_response": True}, key), 400, "invalid_request")
    assert "number" in body["message"]


def test_it_rejects_a_body_that_is_not_json(client, db, key):
    response = client.post(
        "/api/v1/lookup", "number=13800138000", content_type="application/json", HTTP_X_API_KEY=key
    )
    assert_error(response, 400, "invalid_request")


def test_it_rejects_a_bad_region(client, db, key):
    assert_error(lookup(client, {"number": NUMBER, "region": "china"}, key), 400, "invalid_request")


def test_lookup_without_key_is_401(client, db):
    assert_error(lookup(client, {"number": NUMBER}), 401, "missing_api_key")


def test_lookup_with_wrong_key_is_401(client, db, key):
    assert_error(lookup(client, {"number": NUMBER}, key + "x"), 401, "invalid_api_key")
    assert_error(lookup(client, {"number": NUMBER}, "not-a-key"), 401, "invalid_api_key")


def test_lookup_by_get_is_not_allowed(client, db, key):
    response = client.get("/api/v1/lookup", HTTP_X_API_KEY=key)
    assert response.status_code == 405


def test_error_messages_follow_the_language(client, db, key):
    english = client.post(
        "/api/v1/lookup",
        {"number": "138"},
        content_type="application/json",
        HTTP_X_API_KEY=key,
        HTTP_ACCEPT_LANGUAGE="en",
    ).json()
    assert english["message"] == "The number has too few digits."


# The description


def no_duplicate_keys(pairs: list) -> dict:
    keys = [key for key, _value in pairs]
    assert len(keys) == len(set(keys)), f"duplicate keys in {keys}"
    return dict(pairs)


def test_openapi_document_describes_every_operation(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content, object_pairs_hook=no_duplicate_keys)
    assert schema["openapi"].startswith("3.")
    operations = {
        spec["operationId"]: (method, path)
        for path, methods in schema["paths"].items()
        for method, spec in methods.items()
    }
    assert operations == {
        "list_breaches": ("get", "/api/v1/breaches"),
        "get_breach": ("get", "/api/v1/breaches/{name}"),
        "list_data_classes": ("get", "/api/v1/dataclasses"),
        "latest_breach": ("get", "/api/v1/latestbreach"),
        "lookup_number": ("post", "/api/v1/lookup"),
    }
    lookup_spec = schema["paths"]["/api/v1/lookup"]["post"]
    assert lookup_spec["security"]
    assert {"200", "400", "401", "429"} <= set(lookup_spec["responses"])
    assert "Retry-After" in lookup_spec["responses"]["429"]["headers"]
    schemes = schema["components"]["securitySchemes"].values()
    assert {"type": "apiKey", "in": "header", "name": "X-Api-Key"} in list(schemes)


def test_docs_page_lists_operations_without_any_script(client):
    response = client.get("/api/v1/docs", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script" not in html
    for path in [
        "/api/v1/breaches",
        "/api/v1/lookup",
        "/api/v1/latestbreach",
        "/api/v1/dataclasses",
    ]:
        assert path in html
    assert "X-Api-Key" in html
    assert "/api/v1/openapi.json" in html


def test_an_unknown_api_path_is_a_json_404(client, db):
    assert_error(client.get("/api/v1/breachedaccount/13800138000"), 404, "not_found")
