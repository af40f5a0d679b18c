"""Failed alerts are visible to the admin and can be retried; contacts stay hidden."""

import pytest
from django.utils import timezone

from alerts.models import AlertDelivery
from leaks.models import Breach
from tests.factories import subscribe

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def failed():
    subscription = subscribe("13800138000", email="ming@example.com")
    breach = Breach.objects.create(
        slug="shop", title="Card shop", pwn_count=1, published_at=timezone.now()
    )
    return AlertDelivery.objects.create(
        subscription=subscription,
        breach=breach,
        status=AlertDelivery.Status.FAILED,
        attempts=8,
        next_attempt_at=timezone.now(),
        last_error="SMTPRecipientsRefused [550]",
    )


def test_the_admin_lists_failed_alerts_with_their_error(admin_client, failed):
    html = admin_client.get("/admin/alerts/alertdelivery/?status__exact=failed").content.decode()
    assert "SMTPRecipientsRefused [550]" in html and "Card shop" in html
    subscriptions = admin_client.get("/admin/alerts/subscription/").content.decode()
    pages = (
        html
        + subscriptions
        + admin_client.get(f"/admin/alerts/alertdelivery/{failed.pk}/change/").content.decode()
    )
    assert "ming@example.com" not in pages and "13800138000" not in pages


def test_the_admin_retries_failed_alerts(admin_client, failed, eager_celery, smtp_server):
    response = admin_client.post(
        "/admin/alerts/alertdelivery/",
        {"action": "retry_now", "_selected_action": [failed.pk]},
    )
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == "sent" and failed.attempts == 1
    assert [m.rcpt_tos for m in smtp_server.messages] == [["ming@example.com"]]
