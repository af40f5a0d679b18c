"""Unsubscribing: one click from the mail client (RFC 8058), or a button on the page."""

import pytest
from django.test import Client
from django.urls import reverse

from alerts import tokens
from alerts.models import Subscription
from tests.factories import subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscription():
    return subscribe("13800138000", email="a@example.com")


def _url(subscription) -> str:
    return reverse(
        "bc-alerts-unsubscribe", args=[tokens.token_for(subscription, tokens.UNSUBSCRIBE)]
    )


def test_one_click_unsubscribe_works_without_cookie_or_csrf_token(subscription):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        _url(subscription),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert not Subscription.objects.exists()


def test_any_other_post_still_needs_the_csrf_token(subscription):
    client = Client(enforce_csrf_checks=True)
    assert client.post(_url(subscription), {"confirm": "1"}).status_code == 403
    assert client.post(_url(subscription), {"List-Unsubscribe": "Other"}).status_code == 403
    assert Subscription.objects.exists()


def test_opening_the_link_only_asks(client, subscription):
    response = client.get(_url(subscription))
    assert response.status_code == 200
    assert "a***@example.com" in response.content.decode()
    assert Subscription.objects.exists()


def test_the_button_on_the_page_unsubscribes(subscription):
    client = Client(enforce_csrf_checks=True)
    page = client.get(_url(subscription))
    token = page.context["csrf_token"]
    response = client.post(_url(subscription), {"csrfmiddlewaretoken": str(token)})
    assert response.status_code == 200
    assert not Subscription.objects.exists()
    assert client.get(_url(subscription)).context["gone"]


def test_a_forged_or_other_purpose_token_unsubscribes_nothing(subscription):
    client = Client(enforce_csrf_checks=True)
    confirm_token = tokens.token_for(subscription, tokens.CONFIRM)
    for token in (confirm_token, "garbage", confirm_token[:-2] + "xx"):
        url = reverse("bc-alerts-unsubscribe", args=[token])
        client.post(
            url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        )
    assert Subscription.objects.exists()
