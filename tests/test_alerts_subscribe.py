"""Subscribing to alerts: email confirmed by a signed link, SMS by the ownership code."""

import json
import re

import pytest
from django.core import signing
from django.urls import reverse

from alerts import crypto, tokens
from alerts.models import Subscription
from leaks.hashing import phone_hash
from tests.conftest import database_text, digits_variants

pytestmark = pytest.mark.django_db

NUMBER = "13800138000"
E164 = "+86" + NUMBER
EMAIL = "ming.li@example.com"


def _link(received) -> str:
    return re.search(r"https?://\S+/alerts/confirm/\S+/", received.part("plain")).group(0)


def _code(outbox) -> str:
    body = json.loads(outbox.read_text(encoding="utf-8").splitlines()[-1])["body"]
    return re.search(r"\b(\d{6})\b", body).group(1)


def test_it_emails_a_signed_confirmation_link_through_smtp(client, smtp_server):
    response = client.post(reverse("bc-alerts-subscribe"), {"phone": NUMBER, "email": EMAIL})
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
    assert not subscription.confirmed
    assert bytes(subscription.phone_hash) == phone_hash(E164)

    page = client.get(reverse("bc-alerts-pending")).content.decode()
    assert "m***@example.com" in page and EMAIL not in page


def test_the_link_is_built_from_site_url_not_the_host_header(client, smtp_server, settings):
    settings.ALLOWED_HOSTS = ["*"]
    settings.SITE_URL = "https://breachcheck.example"
    client.post(
        reverse("bc-alerts-subscribe"),
        {"phone": NUMBER, "email": EMAIL},
        HTTP_HOST="evil.example",
    )
    assert _link(smtp_server.messages[0]).startswith("https://breachcheck.example/alerts/")


def test_the_page_does_not_tell_whether_an_address_already_watches_a_number(client, smtp_server):
    client.post(reverse("bc-alerts-subscribe"), {"phone": NUMBER, "email": EMAIL})
    Subscription.objects.update(confirmed_at="2026-01-01T00:00:00Z")
    stranger = type(client)()
    stranger.post(reverse("bc-alerts-subscribe"), {"phone": NUMBER, "email": EMAIL})
    page = stranger.get(reverse("bc-alerts-pending")).content.decode()
    assert "We emailed a confirmation link" in page or "确认链接" in page
    assert len(smtp_server.messages) == 2


def test_the_link_confirms_with_a_button_not_on_opening(client, smtp_server):
    client.post(reverse("bc-alerts-subscribe"), {"phone": NUMBER, "email": EMAIL})
    path = "/alerts/" + _link(smtp_server.messages[0]).split("/alerts/", 1)[1]
    assert client.get(path).status_code == 200
    assert not Subscription.objects.get().confirmed
    assert client.post(path).status_code == 200
    assert Subscription.objects.get().confirmed


def test_an_expired_or_forged_link_does_not_confirm(client, smtp_server, settings):
    client.post(reverse("bc-alerts-subscribe"), {"phone": NUMBER, "email": EMAIL})
    subscription = Subscription.objects.get()
    forged = signing.dumps([subscription.pk, subscription.nonce], salt=tokens.UNSUBSCRIBE)
    assert client.post(reverse("bc-alerts-confirm", args=[forged])).status_code == 400
    settings.ALERTS_CONFIRM_MAX_AGE = -1
    path = reverse("bc-alerts-confirm", args=[tokens.token_for(subscription, tokens.CONFIRM)])
    assert client.post(path).status_code == 400
    assert not Subscription.objects.get().confirmed


def test_it_resends_the_confirmation_without_the_address_in_the_url(client, smtp_server):
    client.post(reverse("bc-alerts-subscribe"), {"phone": NUMBER, "email": EMAIL})
    response = client.post(reverse("bc-alerts-resend"))
    assert response.status_code == 302
    assert [m.rcpt_tos for m in smtp_server.messages] == [[EMAIL], [EMAIL]]
    assert _link(smtp_server.messages[0]) != "" and _link(smtp_server.messages[1]) != ""


def test_confirmation_emails_to_one_address_are_limited(client, smtp_server, settings):
    settings.RATELIMIT_CONFIRM_EMAIL_PER_ADDRESS = "2/h"
    client.post(reverse("bc-alerts-subscribe"), {"phone": NUMBER, "email": EMAIL})
    client.post(reverse("bc-alerts-resend"))
    response = client.post(reverse("bc-alerts-resend"))
    assert response.status_code == 429
    assert len(smtp_server.messages) == 2


def test_subscribing_is_rate_limited_per_client(client, smtp_server, settings):
    settings.RATELIMIT_SUBSCRIBE_PER_IP = "2/h"
    for n in range(2):
        client.post(reverse("bc-alerts-subscribe"), {"phone": NUMBER, "email": f"a{n}@example.com"})
    response = client.post(reverse("bc-alerts-subscribe"), {"phone": NUMBER, "email": EMAIL})
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    assert "邮件和短信" in response.content.decode()
    assert len(smtp_server.messages) == 2


def test_it_needs_an_email_or_sms(client):
    response = client.post(reverse("bc-alerts-subscribe"), {"phone": NUMBER})
    assert response.status_code == 400
    assert Subscription.objects.count() == 0


def test_it_rejects_a_bad_number(client, smtp_server):
    response = client.post(reverse("bc-alerts-subscribe"), {"phone": "1380013", "email": EMAIL})
    assert response.status_code == 400
    assert smtp_server.messages == []


def test_sms_alerts_are_confirmed_by_the_ownership_code(client, sms_outbox):
    response = client.post(reverse("bc-alerts-subscribe"), {"phone": NUMBER, "by_sms": "on"})
    assert response["Location"] == reverse("bc-alerts-pending")
    assert not Subscription.objects.get().confirmed
    response = client.post(reverse("bc-alerts-pending"), {"code": _code(sms_outbox)})
    assert response["Location"] == reverse("bc-alerts-mine")
    subscription = Subscription.objects.get()
    assert subscription.confirmed and subscription.channel == "sms"
    # Confirming proved the number: this browser now sees its subscriptions.
    assert "138****8000" in client.get(reverse("bc-alerts-mine")).content.decode()


def test_a_wrong_code_confirms_nothing(client, sms_outbox):
    client.post(reverse("bc-alerts-subscribe"), {"phone": NUMBER, "by_sms": "on"})
    wrong = f"{(int(_code(sms_outbox)) + 1) % 10**6:06d}"
    assert client.post(reverse("bc-alerts-pending"), {"code": wrong}).status_code == 400
    assert not Subscription.objects.get().confirmed


def test_one_email_watches_several_numbers_and_a_number_has_several_subscriptions(
    client, smtp_server
):
    client.post(reverse("bc-alerts-subscribe"), {"phone": NUMBER, "email": EMAIL})
    client.post(reverse("bc-alerts-subscribe"), {"phone": "13900139000", "email": EMAIL})
    client.post(reverse("bc-alerts-subscribe"), {"phone": NUMBER, "email": "other@example.com"})
    client.post(reverse("bc-alerts-subscribe"), {"phone": NUMBER, "email": EMAIL.upper()})
    assert Subscription.objects.count() == 3
    assert (
        Subscription.objects.filter(contact_hash=crypto.contact_hash("email", EMAIL)).count() == 2
    )


def test_contacts_are_encrypted_and_never_stored_or_logged_in_clear(
    client, smtp_server, sms_outbox, all_logs
):
    client.post(reverse("bc-alerts-subscribe"), {"phone": NUMBER, "email": EMAIL, "by_sms": "on"})
    client.post(reverse("bc-alerts-pending"), {"code": _code(sms_outbox)})
    subscriptions = Subscription.objects.order_by("channel")
    assert [s.channel for s in subscriptions] == ["email", "sms"]
    assert crypto.unseal(subscriptions[0].contact_sealed)["to"] == EMAIL
    assert crypto.unseal(subscriptions[1].contact_sealed)["to"] == E164
    text = database_text() + all_logs.text + json.dumps(dict(client.session))
    for secret in [EMAIL, "ming.li", *digits_variants(NUMBER)]:
        assert secret not in text
