"""manage.py sms_check and sms_send_test, against the providers' stand-ins."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

NUMBER = "+8613800138000"


@pytest.fixture(params=["tencent", "aliyun"])
def provider(request):
    return request.getfixturevalue(f"{request.param}_sms")


def _run(name: str, *args: str) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def test_sms_check_reports_the_configuration_and_a_good_call(provider, settings):
    out = _run("sms_check")
    assert "credentials accepted" in out and "SMS: ready." in out
    assert "code template" in out and "approved" in out
    assert settings.SMS_ACCESS_KEY_SECRET not in out
    assert provider.auth_failures == [] and provider.sent == []


def test_sms_check_gives_the_receipt_url_for_the_console_without_its_token(provider, settings):
    settings.SITE_URL = "https://xielou.example"
    settings.SMS_RECEIPT_TOKEN = "t" * 43
    out = _run("sms_check")
    url = f"https://xielou.example/sms/receipts/{provider.provider}/<SMS_RECEIPT_TOKEN>/"
    assert f"receipt URL for the console: {url}" in out
    assert "t" * 43 not in out


def test_sms_check_warns_that_without_a_receipt_token_nothing_is_marked_delivered(
    tencent_sms, settings
):
    settings.SMS_RECEIPT_TOKEN = ""
    out = _run("sms_check")
    assert "SMS_RECEIPT_TOKEN not set" in out and "SMS: ready." in out


def test_sms_check_fails_clearly_on_bad_credentials(provider, settings):
    settings.SMS_ACCESS_KEY_SECRET = "wrong"
    with pytest.raises(CommandError) as caught:
        _run("sms_check")
    assert caught.value.args[0].startswith(provider.provider)
    assert ("AuthFailure.SignatureFailure" in str(caught.value)) or (
        "SignatureDoesNotMatch" in str(caught.value)
    )
    assert provider.auth_failures


def test_sms_check_fails_on_a_template_in_review(provider, settings):
    provider.unapproved.add(settings.SMS_TEMPLATE_ALERT)
    with pytest.raises(CommandError, match="alert template .* not approved"):
        _run("sms_check")


def test_sms_check_fails_on_an_unapproved_signature(aliyun_sms):
    aliyun_sms.unapproved.add("泄露查")
    with pytest.raises(CommandError, match="signature is not approved"):
        _run("sms_check")


def test_sms_check_fails_on_a_missing_setting(tencent_sms, settings):
    settings.SMS_APP_ID = ""
    with pytest.raises(CommandError, match="SMS_APP_ID"):
        _run("sms_check")
    assert tencent_sms.actions == []


def test_sms_check_says_a_development_backend_sends_nothing(sms_outbox):
    assert "texts are not sent to phones" in _run("sms_check")


def test_sms_send_test_sends_one_code_and_shows_the_number_masked(provider, all_logs):
    out = _run("sms_send_test", "+86 138 0013 8000")
    (sent,) = provider.sent
    assert sent.number == NUMBER and sent.params["code"] in out
    assert "138****8000" in out and "13800138000" not in out
    assert "13800138000" not in " ".join(r.getMessage() for r in all_logs.records)


def test_sms_send_test_can_send_the_alert_template(tencent_sms):
    _run("sms_send_test", NUMBER, "--alert")
    assert tencent_sms.sent[0].params == {"count": "1", "number": "138****8000"}


def test_sms_send_test_fails_without_the_number(tencent_sms):
    tencent_sms.answer(NUMBER, "FailedOperation.PhoneNumberInBlacklist")
    with pytest.raises(CommandError) as caught:
        _run("sms_send_test", NUMBER)
    assert "138****8000" in str(caught.value) and "13800138000" not in str(caught.value)
    with pytest.raises(CommandError):
        _run("sms_send_test", "12345")
