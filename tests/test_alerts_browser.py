"""A person subscribes from the result page in a real browser; the confirmation
arrives at a real SMTP server, and the link in it turns the alerts on."""

import re

import pytest

from alerts.models import Subscription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_person_subscribes_by_email_from_the_result_page(
    page, live_server, smtp_server, settings
):
    # Links in mails are built from SITE_URL, never from the request's Host header.
    settings.SITE_URL = live_server.url
    page.goto(live_server.url + "/")
    page.fill("form.check input[name=phone]", "138 0013 8000")
    page.click("form.check button[type=submit]")
    page.wait_for_selector("form.alerts")

    page.fill("form.alerts input[name=phone]", "13800138000")
    page.fill("form.alerts input[name=email]", "ming@example.com")
    page.click("form.alerts button[type=submit]")
    page.wait_for_selector("ul.subscriptions")
    assert "m***@example.com" in page.inner_text("main")
    assert "ming@example.com" not in page.content()
    assert "8000" not in page.url and "example" not in page.url

    (confirmation,) = smtp_server.messages
    assert confirmation.rcpt_tos == ["ming@example.com"]
    link = re.search(r"https?://\S+/alerts/confirm/\S+/", confirmation.part("plain")).group(0)
    assert link.startswith(live_server.url)
    page.goto(link)
    assert not Subscription.objects.get().confirmed
    page.click("form.check button[type=submit]")
    page.wait_for_selector("h1.proven")
    assert Subscription.objects.get().confirmed

    page.click("a[href='/alerts/mine/']")
    page.wait_for_selector("li.subscription")
    assert "138****8000" in page.inner_text("li.subscription")
    page.click("li.subscription button[name=delete]")
    page.wait_for_selector("p.proven")
    assert page.locator("li.subscription").count() == 0
    assert not Subscription.objects.exists()
