"""Texts are a template kind with short parameters; the provider's daily cap per
number is shared by codes and alerts, and an alert leaves the last one for a code."""

import pytest
from django.test import RequestFactory

from disclosure.policy import authorize_alert_text, authorize_sms, shanghai_day_end
from proof.sms import Text, render_text

NUMBER = "+8613800138000"


def test_it_refuses_a_link_or_a_long_parameter():
    with pytest.raises(ValueError):
        Text("alert", ("2", "https://x.cn"))
    with pytest.raises(ValueError):
        Text("alert", ("2", "1" * 21))
    with pytest.raises(ValueError):
        Text("code", ("123456", "extra"))


def test_a_free_text_code_carries_the_signature_and_the_code(settings):
    settings.SMS_SIGN_NAME = "泄露查"
    body = render_text(Text("code", ("123456",)))
    assert body.startswith("【泄露查】验证码 123456")
    assert "123456" in body.splitlines()[1]


def test_the_day_ends_at_midnight_in_shanghai():
    # 2026-12-07 15:59:59 UTC is 23:59:59 in Shanghai; 16:00 UTC starts the 8th.
    assert shanghai_day_end(1796659199) == 1796659200
    assert shanghai_day_end(1796659200) == 1796659200 + 86400


def test_an_alert_never_takes_the_last_text_a_code_may_need(settings, db):
    settings.SMS_PROVIDER_DAILY_LIMIT = 3
    settings.RATELIMIT_SMS_PER_NUMBER = ""
    settings.RATELIMIT_SMS_PER_NUMBER_DAILY = ""
    assert authorize_alert_text(NUMBER)
    assert authorize_alert_text(NUMBER)
    refused = authorize_alert_text(NUMBER)
    assert not refused and refused.retry_after > 0
    request = RequestFactory().post("/prove/", REMOTE_ADDR="203.0.113.9")
    assert authorize_sms(request, NUMBER)
    assert not authorize_sms(request, NUMBER)
    # Another number is counted apart.
    assert authorize_alert_text("+8613900139000")


def test_a_numbers_daily_codes_end_with_the_shanghai_day_not_a_rolling_window(settings, db):
    import time

    settings.RATELIMIT_SMS_PER_NUMBER = ""
    settings.RATELIMIT_SMS_PER_IP = ""
    settings.RATELIMIT_SMS_PER_NETWORK = ""
    settings.RATELIMIT_SMS_PER_NUMBER_DAILY = "3/d"
    request = RequestFactory().post("/prove/", REMOTE_ADDR="203.0.113.9")
    assert [bool(authorize_sms(request, NUMBER)) for _ in range(4)] == [True, True, True, False]
    refused = authorize_sms(request, NUMBER)
    # The wait a refusal names is the rest of China's calendar day: nothing to
    # time a burst on, and the limit holds per day as the providers count.
    assert abs(refused.retry_after - (shanghai_day_end() - time.time())) < 5
