"""Subscribing to alerts: only for a number just proven by SMS code; an email
address is then confirmed by a signed link."""

import json
import re

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from alerts import crypto, tokens
from alerts.models import Subscription
from leaks.hashing import phone_hash
from tests.support.privacy_scan import database_text, digits_variants

pytestmark = pytest.mark.django_db

NUMBER = "13800138000"
E164 = "+86" + NUMBER
EMAIL = "ming.li@example.com"


def _link(received) -> str:
    return re.findall(r"https?://\S+/alerts/confirm/\S+/", received.part("plain"))[0]


def _code(outbox) -> str:
    body = json.loads(outbox.read_text(encoding="utf-8").splitlines()[-1])["body"]
    return re.findall(r"\b(\d{6})\b", body)[0]


def prove(client: Client, outbox, number: str = NUMBER) -> None:
    """Prove the number in this browser, as its holder would."""
    assert client.post(reverse("bc-proof-send"), {"phone": number}).status_code == 302
    done = client.post(reverse("bc-proof-code"), {"code": _code(outbox)})
    assert done["Location"] == reverse("bc-result")


def subscribe(client: Client, **form):
    return client.post(reverse("bc-alerts-subscribe"), form)


@pytest.fixture
def proven(client, sms_outbox):
    prove(client, sms_outbox)
    return client


@pytest.mark.slow
def test_without_proof_the_page_asks_to_prove_the_number_first(client, smtp_server):
    page = client.get(reverse("bc-alerts-subscribe"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Verify by SMS and turn on alerts" in page
    assert f'action="{reverse("bc-proof-send")}"' in page
    # A stranger posting an address for someone else's number gets nothing made or sent.
    response = subscribe(client, phone=NUMBER, email=EMAIL, by_sms="on")
    assert response.status_code == 200
    assert Subscription.objects.count() == 0 and smtp_server.messages == []


def test_it_emails_a_signed_confirmation_link_through_smtp(proven, smtp_server):
    response = subscribe(proven, email=EMAIL)
    assert response.status_code == 302 and response["Location"] == reverse("bc-alerts-pending")

    (received,) = smtp_server.messages
    assert received.rcpt_tos == [EMAIL]
    assert "138****8000" in received.message["Subject"]
    text, html = received.part("plain"), received.part("html")
    assert "breachcheck" in text and ("ignore this email" in text or "忽略" in text)
    link = _link(received)
    assert link in html
    assert EMAIL not in link and "8000" not in link.split("/alerts/")[1].split(":")[0]
    subscription = Subscription.objects.get()
    assert not subscription.confirmed and subscription.number_proven_at is not None
    assert bytes(subscription.phone_hash) == phone_hash(E164)

    page = proven.get(reverse("bc-alerts-pending"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "m***@example.com" in page and EMAIL not in page
    assert "Almost done" in page and "are on" not in page
    # The page names the same time as the mail, and one subscription is no bullet list.
    assert "works for 2 days" in page
    assert "<li>" not in page.split("Almost done")[1].split("See or delete")[0]


def test_text_message_alerts_are_on_at_once_after_the_proof(proven, sms_outbox):
    response = subscribe(proven, by_sms="on")
    assert response["Location"] == reverse("bc-alerts-pending")
    subscription = Subscription.objects.get()
    assert subscription.confirmed and subscription.channel == "sms"
    page = proven.get(reverse("bc-alerts-pending"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Alerts are on" in page and "Almost done" not in page
    assert "138****8000" in proven.get(reverse("bc-alerts-mine")).content.decode()


def test_the_link_is_built_from_site_url_not_the_host_header(proven, smtp_server, settings):
    settings.ALLOWED_HOSTS = ["*"]
    settings.SITE_URL = "https://breachcheck.example"
    proven.post(reverse("bc-alerts-subscribe"), {"email": EMAIL}, HTTP_HOST="evil.example")
    assert _link(smtp_server.messages[0]).startswith("https://breachcheck.example/alerts/")


def test_the_link_confirms_with_a_button_not_on_opening(proven, smtp_server):
    subscribe(proven, email=EMAIL)
    path = "/alerts/" + _link(smtp_server.messages[0]).split("/alerts/", 1)[1]
    assert proven.get(path).status_code == 200
    assert not Subscription.objects.get().confirmed
    assert proven.post(path).status_code == 200
    assert Subscription.objects.get().confirmed


def test_an_expired_or_forged_link_does_not_confirm(proven, smtp_server, settings):
    subscribe(proven, email=EMAIL)
    subscription = Subscription.objects.get()
    forged = signing.dumps([subscription.pk, subscription.nonce], salt=tokens.UNSUBSCRIBE)
    assert proven.post(reverse("bc-alerts-confirm", args=[forged])).status_code == 400
    settings.ALERTS_CONFIRM_MAX_AGE = -1
    path = reverse("bc-alerts-confirm", args=[tokens.token_for(subscription, tokens.CONFIRM)])
    assert proven.post(path).status_code == 400
    assert not Subscription.objects.get().confirmed


def test_it_resends_the_confirmation_without_the_address_in_the_url(proven, smtp_server):
    subscribe(proven, email=EMAIL)
    response = proven.post(reverse("bc-alerts-resend"))
    assert response.status_code == 302
    assert [m.rcpt_tos for m in smtp_server.messages] == [[EMAIL], [EMAIL]]


def test_confirmation_emails_to_one_address_are_limited(proven, smtp_server, settings):
    settings.RATELIMIT_CONFIRM_EMAIL_PER_ADDRESS = "2/h"
    subscribe(proven, email=EMAIL)
    proven.post(reverse("bc-alerts-resend"))
    response = proven.post(reverse("bc-alerts-resend"))
    assert response.status_code == 429
    assert len(smtp_server.messages) == 2


@pytest.mark.slow
def test_subscribing_is_rate_limited_per_client(proven, smtp_server, settings):
    settings.RATELIMIT_SUBSCRIBE_PER_IP = "2/h"
    for n in range(2):
        subscribe(proven, email=f"a{n}@example.com")
    response = proven.post(
        reverse("bc-alerts-subscribe"), {"email": EMAIL}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    assert "Too many alert requests" in response.content.decode()
    assert len(smtp_server.messages) == 2


def test_it_needs_an_email_or_sms(proven):
    response = subscribe(proven)
    assert response.status_code == 400
    assert Subscription.objects.count() == 0


def test_a_bad_address_is_refused(proven, smtp_server):
    response = subscribe(proven, email="not-an-address")
    assert response.status_code == 400
    assert smtp_server.messages == [] and Subscription.objects.count() == 0


@pytest.mark.slow
def test_one_email_watches_several_numbers_and_a_number_has_several_subscriptions(
    client, smtp_server, sms_outbox, settings
):
    prove(client, sms_outbox)
    subscribe(client, email=EMAIL)
    subscribe(client, email="other@example.com")
    subscribe(client, email=EMAIL.upper())
    prove(client, sms_outbox, "13900139000")
    subscribe(client, email=EMAIL)
    assert Subscription.objects.count() == 3
    assert (
        Subscription.objects.filter(contact_hash=crypto.contact_hash("email", EMAIL)).count() == 2
    )


def test_contacts_are_encrypted_and_never_stored_or_logged_in_clear(
    proven, smtp_server, sms_outbox, all_logs
):
    subscribe(proven, email=EMAIL, by_sms="on")
    subscriptions = Subscription.objects.order_by("channel")
    assert [s.channel for s in subscriptions] == ["email", "sms"]
    assert crypto.unseal(subscriptions[0].contact_sealed)["to"] == EMAIL
    assert crypto.unseal(subscriptions[1].contact_sealed)["to"] == E164
    text = database_text() + all_logs.text + json.dumps(dict(proven.session))
    for secret in [EMAIL, "ming.li", *digits_variants(NUMBER)]:
        assert secret not in text
