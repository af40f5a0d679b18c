"""The citizen's flow in real headless Chromium: the answer first, then one next
step, "verify by SMS and turn on alerts", with the number typed only once; with
JavaScript (the private check) and without it (Post/Redirect/Get)."""

import json
import re

import pytest
from django.utils import timezone

from alerts.models import Subscription
from leaks.hashing import phone_key
from leaks.models import Breach, Exposure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _breaches() -> None:
    for slug, title, sensitive in (
        ("shop", "Card shop members", False),
        ("clinic", "Clinic patients", True),
    ):
        breach = Breach.objects.create(
            slug=slug, title=title, is_sensitive=sensitive, pwn_count=1, published_at=timezone.now()
        )
        Exposure.objects.create(breach=breach, phone_key=phone_key("+8613800138000"), key_version=1)


@pytest.fixture
def no_js_page(browser, live_server):
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def _check(page, live_server, number: str) -> None:
    page.goto(live_server.url + "/")
    page.fill("input[name=phone]", number)
    page.click("form.check button[type=submit]")
    page.wait_for_selector(".verdict:visible")


def _verdict_in_view_and_focused(page) -> None:
    box = page.locator(".verdict:visible").bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 844
    assert page.evaluate("document.activeElement.classList.contains('verdict')")
    assert page.evaluate("window.scrollY") == 0


@pytest.mark.parametrize("javascript", [True, False])
def test_the_verdict_opens_in_view_and_focused_on_a_phone(
    page, no_js_page, live_server, javascript
):
    _breaches()
    tab = page if javascript else no_js_page
    _check(tab, live_server, "138 0013 8000")
    _verdict_in_view_and_focused(tab)
    # Nothing else takes the focus (the phone keyboard stays down).
    assert tab.locator("input[autofocus]:visible").count() == 0
    if not javascript:
        assert tab.url == live_server.url + "/result/"


@pytest.mark.parametrize("javascript", [True, False])
def test_back_reload_and_language_switch_keep_the_result(page, no_js_page, live_server, javascript):
    _breaches()
    tab = page if javascript else no_js_page
    _check(tab, live_server, "138 0013 8000")
    tab.reload()
    tab.wait_for_selector(".verdict:visible")
    assert tab.locator("li.breach h2:visible").all_inner_texts() == ["Card shop members"]
    tab.click("form.lang button[value=en]")
    tab.wait_for_selector("html[lang=en]")
    tab.wait_for_selector(".verdict:visible")
    assert "Found in 1 breach" in tab.inner_text(".verdict:visible")
    tab.goto(live_server.url + "/breaches/")
    tab.go_back()
    tab.wait_for_selector(".verdict:visible")
    assert "Found in 1 breach" in tab.inner_text(".verdict:visible")


def test_verify_by_sms_and_turn_on_alerts_is_one_flow(
    page, live_server, sms_outbox, smtp_server, settings
):
    settings.SITE_URL = live_server.url
    _breaches()
    _check(page, live_server, "138 0013 8000")
    assert page.locator("li.breach h2:visible").all_inner_texts() == ["Card shop members"]
    # The number is not in the page, and not asked for again.
    assert "13800138000" not in page.content()
    assert page.locator("form.prove input[name=phone]").count() == 0
    page.click("form.prove button[type=submit]")
    page.wait_for_selector("input[name=code]")
    assert "138****8000" in page.inner_text("main")
    body = json.loads(sms_outbox.read_text(encoding="utf-8").splitlines()[-1])["body"]
    page.fill("input[name=code]", re.search(r"\b(\d{6})\b", body).group(1))
    page.click("form.check button[type=submit]")
    page.wait_for_selector("p.proven")

    titles = page.locator("li.breach h2").all_inner_texts()
    assert sorted(titles) == ["Card shop members", "Clinic patients"]
    page.check("form.alerts input[name=by_sms]")
    page.fill("form.alerts input[name=email]", "ming@example.com")
    page.click("form.alerts button[type=submit]")
    page.wait_for_selector("ul.subscriptions")
    assert "m***@example.com" in page.inner_text("main")
    assert "8000" not in page.url and "example" not in page.url
    assert {s.channel: s.confirmed for s in Subscription.objects.all()} == {
        "sms": True,
        "email": False,
    }

    (confirmation,) = smtp_server.messages
    link = re.search(r"https?://\S+/alerts/confirm/\S+/", confirmation.part("plain")).group(0)
    page.goto(link)
    page.click("form.check button[type=submit]")
    page.wait_for_selector("h1.proven")
    assert all(s.confirmed for s in Subscription.objects.all())


def test_without_javascript_the_flow_is_the_same_from_the_servers_result_page(
    no_js_page, live_server, sms_outbox
):
    _breaches()
    _check(no_js_page, live_server, "138 0013 8000")
    assert no_js_page.locator("form.prove input[name=phone]").count() == 0
    no_js_page.click("form.prove button[type=submit]")
    no_js_page.wait_for_selector("input[name=code]")
    body = json.loads(sms_outbox.read_text(encoding="utf-8").splitlines()[-1])["body"]
    no_js_page.fill("input[name=code]", re.search(r"\b(\d{6})\b", body).group(1))
    no_js_page.click("form.check button[type=submit]")
    no_js_page.wait_for_selector("p.proven")
    assert no_js_page.locator("form.alerts").count() == 1
