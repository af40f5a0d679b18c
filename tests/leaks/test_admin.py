import pytest
from django.contrib.auth.hashers import get_hasher

from leaks.models import Breach

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_admin_passwords_are_hashed_with_argon2(django_user_model):
    user = django_user_model.objects.create_user("ann", password="pw-1234-long")
    assert user.password.startswith("argon2")
    assert get_hasher().algorithm == "argon2"


def test_a_breach_is_created_and_described_in_the_admin(admin_client):
    response = admin_client.post(
        "/admin/leaks/breach/add/",
        {
            "title": "Card Shop",
            "slug": "card-shop",
            "domain": "cards.example",
            "breach_date": "2024-03-01",
            "description": "Members with photos.",
            "data_classes": ["phone", "photo"],
            "is_verified": "on",
            "is_sensitive": "",
            "imports-TOTAL_FORMS": "0",
            "imports-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    breach = Breach.objects.get(slug="card-shop")
    assert breach.data_classes == ["phone", "photo"]
    assert breach.is_verified and not breach.is_sensitive
    assert admin_client.get(f"/admin/leaks/breach/{breach.pk}/change/").status_code == 200


def test_the_breach_page_says_when_it_was_published_in_the_sites_time(admin_client, settings):
    from datetime import UTC, datetime

    from tests.factories import breach_with

    settings.TIME_ZONE = "Asia/Shanghai"
    breach = breach_with("clinic", [], published_at=datetime(2026, 12, 7, 18, 37, tzinfo=UTC))
    page = admin_client.get(
        f"/admin/leaks/breach/{breach.pk}/change/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "since 2026-12-08 02:37" in page and "18:37" not in page
