"""The check page driven in real headless Chromium."""

import pytest

from imports.demo import DEMO_NUMBER, load_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_person_checks_their_number_and_sees_the_breach(page, live_server, settings):
    breach = load_demo()
    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == "我的手机号泄露了吗？"

    page.fill("input[name=phone]", "+86 138-0013-8000")
    page.click("form.check button[type=submit]")

    page.wait_for_selector(".result.hit")
    assert page.locator(".result .number").inner_text() == "138****8000"
    assert breach.title in page.locator(".breach h2").inner_text()
    assert "照片" in page.locator(".classes").inner_text()
    assert DEMO_NUMBER not in page.content()
    page.screenshot(path=str(settings.TEST_DATA_DIR / "check-hit.png"), full_page=True)


def test_a_miss_and_an_invalid_number_are_explained(page, live_server):
    load_demo()
    page.goto(live_server.url + "/")
    page.fill("input[name=phone]", "13700137000")
    page.click("form.check button[type=submit]")
    page.wait_for_selector(".result.miss")
    assert "没有找到" in page.locator("h1").inner_text()

    # "Check another number" comes last on the result page.
    page.fill(".again input[name=phone]", "1380013")
    page.click(".again form.check button[type=submit]")
    assert page.locator(".error").inner_text() == "号码位数太少。"


def test_the_page_switches_to_english(page, live_server):
    page.goto(live_server.url + "/")
    page.click("form.lang button[value=en]")
    page.wait_for_selector("html[lang=en]")
    assert page.locator("h1").inner_text() == "Has my phone number leaked?"
    page.fill("input[name=phone]", "13700137000")
    page.click("form.check button[type=submit]")
    # The private check answers without loading a new page.
    page.wait_for_selector(".result.miss h1:visible")
    assert "Not found" in page.locator(".result.miss h1:visible").inner_text()
