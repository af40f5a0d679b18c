"""A result is not a dead end: a found breach links to its page and says whether it
is verified; a miss gets the anti-fraud advice and an alert offer worded for it."""

import pytest
from django.utils import timezone

from imports.demo import DEMO_NUMBER, load_demo
from tests.factories import breach_with

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _check(page, live_server, number: str) -> None:
    page.goto(live_server.url + "/")
    page.fill("input[name=phone]", number)
    page.click("form.check button[type=submit]")


@pytest.fixture
def english(browser, live_server):
    context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def test_a_found_breach_links_to_its_page_and_is_marked_unverified(english, live_server):
    load_demo()
    breach_with("forum", [DEMO_NUMBER], title="Old forum", published_at=timezone.now())
    page = english
    _check(page, live_server, DEMO_NUMBER)
    page.wait_for_selector(".result.hit h1:visible")
    forum = page.locator(".breach:visible", has_text="Old forum")
    assert forum.locator(".tag").first.inner_text() == "unverified"
    demo = page.locator(".breach:visible", has_text="demo")
    assert demo.locator(".tag.ok").inner_text() == "verified"
    # On a phone the tag stays on one line.
    box = demo.locator(".tag.ok").bounding_box()
    assert box and box["height"] < 30
    forum.locator("h2 a").click()
    page.wait_for_url("**/breaches/forum/")
    assert page.locator("h1").inner_text() == "Old forum"
    assert page.locator(".meaning h2").inner_text() == "What this breach means for you"


def test_a_miss_gets_the_anti_fraud_advice_and_an_offer_for_a_number_not_found_yet(
    browser, live_server
):
    # The server's result (without JavaScript); the private check's page is its own.
    load_demo()
    context = browser.new_context(
        java_script_enabled=False, locale="en-US", viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    try:
        _check(page, live_server, "13700137000")
        page.wait_for_selector(".result.miss")
        advice = page.locator(".advice")
        assert advice.locator("h2").inner_text() == "Stay safe anyway"
        assert "96110" in advice.inner_text() and "110" in advice.inner_text()
        assert "this leak" not in advice.inner_text()
        offer = page.locator("form.prove")
        assert offer.locator("h2").inner_text() == "Be told if it turns up in a breach"
        assert "leaks again" not in offer.inner_text()
    finally:
        context.close()


def test_without_javascript_the_result_heading_has_no_focus_box(browser, live_server):
    load_demo()
    context = browser.new_context(java_script_enabled=False, locale="en-US")
    page = context.new_page()
    try:
        _check(page, live_server, DEMO_NUMBER)
        page.wait_for_selector(".result.hit")
        heading = page.locator("h1.verdict")
        assert heading.evaluate("e => e === document.activeElement")
        assert heading.evaluate("e => getComputedStyle(e).outlineStyle") == "none"
        assert page.locator(".breach h2 a").count() == 1
    finally:
        context.close()
