"""/alerts/mine/ and the alert form on a phone: every target is 44 px at least."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.alerts.test_subscribe import prove

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _proven_page(browser, live_server, sms_outbox):
    client = Client()
    prove(client, sms_outbox)
    context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return client, context


def _assert_big_enough(locator) -> None:
    assert locator.count() >= 1
    for index in range(locator.count()):
        box = locator.nth(index).bounding_box()
        assert box and box["height"] >= 44 and box["width"] >= 44, (
            locator.nth(index).inner_text(),
            box,
        )


def test_the_delete_buttons_and_the_text_message_tick_are_44_px(browser, live_server, sms_outbox):
    client, context = _proven_page(browser, live_server, sms_outbox)
    page = context.new_page()
    try:
        page.goto(live_server.url + reverse("bc-alerts-subscribe"))
        tick = page.locator("label[for=alerts_by_sms]")
        _assert_big_enough(tick)
        tick.click()
        assert page.locator("#alerts_by_sms").is_checked()
        page.fill("#alerts_email", "ming.li@example.com")
        page.click("form.alerts button[type=submit]")
        page.wait_for_url("**/alerts/pending/")
        assert page.locator("main").inner_text().count("138****8000") == 2  # once per alert

        page.goto(live_server.url + reverse("bc-alerts-mine"))
        _assert_big_enough(page.locator("button[name=delete]"))
        _assert_big_enough(page.locator("button[name=delete_all]"))
    finally:
        context.close()
