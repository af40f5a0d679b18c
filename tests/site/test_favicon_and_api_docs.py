"""Small things: an icon instead of a 404 on every page view, and API docs in the
reader's language."""

import pytest

pytestmark = pytest.mark.django_db


def test_favicon_is_served_not_a_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("img/logo.svg")
    page = client.get("/").content.decode()
    assert 'rel="icon"' in page and "img/logo.svg" in page


def test_the_api_docs_show_the_operations_in_the_readers_language(client, monkeypatch):
    from api import docs

    page = client.get("/api/v1/docs", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "List breaches" in page
    # Every operation's text goes through the catalogue when shown.
    monkeypatch.setattr(docs, "gettext", lambda text: f"«{text}»")
    page = client.get("/api/v1/docs", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "«List breaches»" in page
    assert "«The phone number in any usual form" in page
    # The OpenAPI document itself stays as written.
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["paths"]["/api/v1/breaches"]["get"]["summary"] == "List breaches"
