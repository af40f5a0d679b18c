"""Without JavaScript, past the per-connection limit: no dead end. The page names
the wait in minutes, offers JavaScript as the way on now, and keeps the number."""

import re

import pytest

from imports.demo import DEMO_NUMBER, load_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_without_javascript_is_told_how_long_to_wait_and_keeps_the_number(
    browser, live_server, settings
):
    load_demo()
    settings.RATELIMIT_CHECK_PER_IP = "2/h"
    context = browser.new_context(
        java_script_enabled=False, locale="en-US", viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    try:
        for number in ("13700137000", "13600136000"):
            page.goto(live_server.url + "/")
            page.fill("input[name=phone]", number)
            page.click("form.check button[type=submit]")
            page.wait_for_selector(".result")
        page.goto(live_server.url + "/")
        page.fill("input[name=phone]", DEMO_NUMBER)
        page.click("form.check button[type=submit]")
        box = page.locator(".waiting")
        box.wait_for()
        text = box.inner_text()
        assert "138****8000" in text and "need not type it again" in text
        wait = page.locator(".pow-noscript").inner_text()
        assert re.search(r"please wait \d+ minutes?", wait), wait
        assert "Going on now needs JavaScript" in wait
        # One explanation, not two that contradict each other.
        assert page.locator(".pow-noscript").count() == 1
        assert DEMO_NUMBER not in page.content()
        page.screenshot(path=str(settings.TEST_DATA_DIR / "waiting-nojs.png"), full_page=True)

        # Pressing the button early: the same answer, the number still kept.
        page.click(".waiting button[type=submit]")
        page.locator(".waiting").wait_for()
        assert "138****8000" in page.locator(".waiting").inner_text()

        # Once the wait is over (here: the limit raised), one press shows the result.
        settings.RATELIMIT_CHECK_PER_IP = "100/h"
        settings.RATELIMIT_CHECK_PER_NETWORK = "100/h"
        page.click(".waiting button[type=submit]")
        page.wait_for_selector(".result.hit")
        assert page.locator(".result .number").inner_text() == "138****8000"
    finally:
        context.close()


def test_with_javascript_the_kept_number_goes_on_after_the_puzzle_without_typing(
    browser, live_server, settings
):
    load_demo()
    settings.RATELIMIT_CHECK_PER_IP = "1/h"
    context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    # The server's check, not the private one: the page's form posts the number.
    context.route("**/static/js/private-check.js", lambda route: route.abort())
    page = context.new_page()
    page.set_default_timeout(60000)
    try:
        page.goto(live_server.url + "/")
        page.fill("input[name=phone]", "13700137000")
        page.click("form.check button[type=submit]")
        page.wait_for_selector(".result.miss")
        page.goto(live_server.url + "/")
        # Past the limit the home page already offers the puzzle; a form sent without
        # it (the widget had not loaded, say) gets the waiting box.
        page.locator("form.check altcha-widget").evaluate("e => e.remove()")
        page.fill("input[name=phone]", DEMO_NUMBER)
        page.click("form.check button[type=submit]")
        page.locator(".waiting").wait_for()
        page.wait_for_function("() => customElements.get('altcha-widget') !== undefined")
        page.click(".waiting button[type=submit]")
        page.wait_for_selector(".result.hit")
        assert page.locator(".result .number").inner_text() == "138****8000"
    finally:
        context.close()
