"""After turning on text-message alerts the page names the number once."""

import pytest
from django.urls import reverse

from tests.alerts.test_subscribe import prove, subscribe

pytestmark = pytest.mark.django_db


def test_text_message_alerts_name_the_number_once(client, sms_outbox):
    prove(client, sms_outbox)
    subscribe(client, by_sms="on")
    page = client.get(reverse("bc-alerts-pending"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Alerts for 138****8000 by text message are on." in page
    assert page.count("138****8000") == 1
