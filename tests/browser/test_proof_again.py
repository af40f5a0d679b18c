"""The code page in real headless Chromium, with the Tencent Cloud stand-in behind
the site: "send a new code" never asks for the number, says a code was sent only
when one went out, and otherwise names the wait in minutes."""

import pytest
from django.utils import timezone

from leaks.hashing import phone_key
from leaks.models import Breach, Exposure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

E164 = "+8613800138000"


def _sensitive_breach() -> None:
    breach = Breach.objects.create(
        slug="clinic",
        title="Clinic patients",
        is_sensitive=True,
        pwn_count=1,
        published_at=timezone.now(),
    )
    Exposure.objects.create(breach=breach, phone_key=phone_key(E164), key_version=1)


def _to_the_code_page(page, live_server) -> None:
    page.goto(live_server.url + "/")
    page.fill("input[name=phone]", "138 0013 8000")
    page.click("form.check button[type=submit]")
    page.wait_for_selector(".verdict:visible")
    page.click("form.prove button[type=submit]")
    page.wait_for_selector("input[name=code]")


def test_send_a_new_code_names_the_wait_then_sends_without_the_number(
    page, live_server, tencent_sms, settings
):
    _sensitive_breach()
    _to_the_code_page(page, live_server)
    assert "138****8000" in page.inner_text("main")
    assert len(tencent_sms.delivered) == 1

    # Within the number's window: nothing is sent, and the page says how long to wait.
    page.click("form.again button[type=submit]")
    page.wait_for_selector(".not-sent")
    alert = page.inner_text(".not-sent")
    assert "分钟" in alert or "minute" in alert
    assert len(tencent_sms.delivered) == 1
    assert page.locator("input[name=phone]").count() == 0

    # Once the window allows it, the same button texts the sealed number again.
    settings.RATELIMIT_SMS_PER_NUMBER = "5/5m"
    page.click("form.again button[type=submit]")
    page.wait_for_selector(".notice")
    assert page.locator(".not-sent").count() == 0
    assert [s.number for s in tencent_sms.delivered] == [E164, E164]
    assert "13800138000" not in page.content() and "8000" not in page.url

    page.fill("input[name=code]", tencent_sms.delivered[-1].params["code"])
    page.click("form.check button[type=submit]")
    page.wait_for_selector("p.proven")
    assert "Clinic patients" in page.inner_text("main")


def test_a_provider_throttle_is_shown_in_minutes_and_no_code_page(page, live_server, tencent_sms):
    tencent_sms.answer(E164, "LimitExceeded.PhoneNumberDailyLimit")
    page.goto(live_server.url + "/")
    page.fill("input[name=phone]", "138 0013 8000")
    page.click("form.check button[type=submit]")
    page.wait_for_selector(".verdict:visible")
    page.click("form.prove button[type=submit]")
    page.wait_for_selector(".not-sent")
    assert page.locator("input[name=code]").count() == 0
    assert "分钟" in page.inner_text(".not-sent") or "minute" in page.inner_text(".not-sent")
    assert tencent_sms.delivered == []
