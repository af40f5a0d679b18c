"""A person's own alerts: seen and deleted after an SMS proof or through an alert's link."""

import json
import re

import pytest
from django.urls import reverse

from alerts import tokens
from alerts.models import AlertDelivery, Subscription
from leaks.models import Breach
from tests.factories import subscribe
from tests.support.privacy_scan import database_text

pytestmark = pytest.mark.django_db

NUMBER = "13800138000"


def _code(outbox) -> str:
    body = json.loads(outbox.read_text(encoding="utf-8").splitlines()[-1])["body"]
    return re.findall(r"\b(\d{6})\b", body)[0]


def test_without_proof_or_link_it_shows_nothing(client):
    subscribe(NUMBER, email="a@example.com")
    html = client.get(reverse("bc-alerts-mine")).content.decode()
    assert "a***@example.com" not in html
    assert reverse("bc-proof-send") in html


def test_the_link_in_an_alert_shows_every_number_that_address_watches(client):
    mine = subscribe(NUMBER, email="a@example.com")
    subscribe("13900139000", email="a@example.com")
    subscribe(NUMBER, email="b@example.com")
    response = client.get(reverse("bc-alerts-manage", args=[tokens.token_for(mine, tokens.MANAGE)]))
    assert response["Location"] == reverse("bc-alerts-mine")
    html = client.get(reverse("bc-alerts-mine")).content.decode()
    assert "138****8000" in html and "139****9000" in html
    assert "b***@example.com" not in html


def test_an_expired_link_shows_nothing(client, settings):
    mine = subscribe(NUMBER, email="a@example.com")
    settings.ALERTS_MANAGE_LINK_MAX_AGE = -1
    url = reverse("bc-alerts-manage", args=[tokens.token_for(mine, tokens.MANAGE)])
    assert client.get(url).status_code == 400
    assert "a***@example.com" not in client.get(reverse("bc-alerts-mine")).content.decode()


def test_proving_the_number_shows_all_its_subscriptions(client, sms_outbox):
    subscribe(NUMBER, email="a@example.com")
    subscribe(NUMBER)
    subscribe("13900139000", email="c@example.com")
    client.post(reverse("bc-proof-send"), {"phone": NUMBER})
    client.post(reverse("bc-proof-code"), {"code": _code(sms_outbox)})
    html = client.get(reverse("bc-alerts-mine")).content.decode()
    assert "a***@example.com" in html and html.count("138****8000") >= 2
    assert "c***@example.com" not in html


def test_deleting_removes_the_encrypted_contact_at_once(client):
    mine = subscribe(NUMBER, email="a@example.com")
    other = subscribe("13900139000", email="a@example.com")
    breach = Breach.objects.create(slug="shop", title="Shop")
    AlertDelivery.objects.create(subscription=mine, breach=breach, next_attempt_at=mine.created_at)
    sealed = bytes(mine.contact_sealed)
    client.get(reverse("bc-alerts-manage", args=[tokens.token_for(mine, tokens.MANAGE)]))

    response = client.post(reverse("bc-alerts-mine"), {"delete": str(mine.pk)})
    assert response.status_code == 302
    assert list(Subscription.objects.all()) == [other]
    assert not AlertDelivery.objects.exists()
    assert sealed.decode() not in database_text()

    client.post(reverse("bc-alerts-mine"), {"delete_all": "1"})
    assert not Subscription.objects.exists()


def test_it_deletes_only_what_this_person_may_see(client):
    mine = subscribe(NUMBER, email="a@example.com")
    theirs = subscribe(NUMBER, email="b@example.com")
    client.get(reverse("bc-alerts-manage", args=[tokens.token_for(mine, tokens.MANAGE)]))
    client.post(reverse("bc-alerts-mine"), {"delete": str(theirs.pk)})
    client.post(reverse("bc-alerts-mine"), {"delete": "not-a-number"})
    assert Subscription.objects.count() == 2


def test_a_deleted_subscriptions_links_stop_working(client):
    mine = subscribe(NUMBER, email="a@example.com")
    url = reverse("bc-alerts-manage", args=[tokens.token_for(mine, tokens.MANAGE)])
    mine.delete()
    assert client.get(url).status_code == 400
