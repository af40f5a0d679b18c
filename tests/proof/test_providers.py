"""The Tencent Cloud and Alibaba Cloud backends, through their official SDKs, against
local stand-ins that verify the requests' signatures (tests/support/sms_providers.py)."""

import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from disclosure.policy import shanghai_day_end
from proof import provider_errors
from proof.sms import (
    SmsError,
    SmsNumberRejected,
    SmsOperatorError,
    SmsThrottled,
    Text,
    send_text,
)

NUMBER = "+8613800138000"
DIGITS = ("13800138000", "138 0013 8000", "138-0013-8000")
CODE = Text("code", ("123456",))
ALERT = Text("alert", ("2", "138****8000"))


@pytest.fixture(params=["tencent", "aliyun"])
def provider(request):
    """Each test with each provider's stand-in."""
    return request.getfixturevalue(f"{request.param}_sms")


def _no_number(text: str) -> None:
    for variant in DIGITS:
        assert variant not in text


def test_tencent_sends_the_code_template_with_its_one_parameter(tencent_sms, settings):
    serial = send_text(NUMBER, CODE)
    (sent,) = tencent_sms.sent
    assert serial == sent.serial and serial.startswith("2433:")
    assert (sent.number, sent.template, sent.sign_name) == (NUMBER, "1000001", "泄露查")
    assert sent.params == {"code": "123456"}
    assert tencent_sms.actions == ["SendSms"] and tencent_sms.auth_failures == []


def test_aliyun_sends_named_parameters_as_a_json_object(aliyun_sms):
    serial = send_text(NUMBER, ALERT)
    (sent,) = aliyun_sms.sent
    assert serial == sent.serial and serial.endswith("^0")
    assert (sent.number, sent.template, sent.sign_name) == (NUMBER, "SMS_100000002", "泄露查")
    assert sent.params == {"count": "2", "number": "138****8000"}
    assert aliyun_sms.auth_failures == []


def test_a_wrong_secret_is_the_providers_auth_error_and_an_operator_error(
    provider, settings, caplog
):
    settings.SMS_ACCESS_KEY_SECRET = "not-the-secret"
    with pytest.raises(SmsOperatorError) as caught:
        send_text(NUMBER, CODE)
    assert provider.auth_failures == [
        "AuthFailure.SignatureFailure"
        if provider.provider == "tencent"
        else "SignatureDoesNotMatch"
    ]
    assert caught.value.code == provider.auth_failures[0]
    assert provider.sent == []
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert errors and provider.auth_failures[0] in errors[0].getMessage()
    _no_number(" ".join(r.getMessage() for r in caplog.records) + str(caught.value))


def test_an_unknown_key_is_an_operator_error(provider, settings):
    settings.SMS_ACCESS_KEY_ID = provider.key_id[:-3] + "xyz"
    with pytest.raises(SmsOperatorError) as caught:
        send_text(NUMBER, CODE)
    assert caught.value.code in ("AuthFailure.SecretIdNotFound", "InvalidAccessKeyId.NotFound")


@pytest.mark.parametrize(
    "provider_name,code",
    [
        ("tencent", "LimitExceeded.PhoneNumberDailyLimit"),
        ("aliyun", "isv.BUSINESS_LIMIT_CONTROL"),
        ("aliyun", "isv.DAY_LIMIT_CONTROL"),
    ],
)
def test_a_daily_cap_waits_until_midnight_in_shanghai(request, provider_name, code):
    standin = request.getfixturevalue(f"{provider_name}_sms")
    standin.answer(NUMBER, code)
    with pytest.raises(SmsThrottled) as caught:
        send_text(NUMBER, CODE)
    left = max(60, shanghai_day_end() - time.time())
    assert abs(caught.value.retry_after - left) < 5
    _no_number(str(caught.value))


def test_tencent_reads_the_numbers_own_status_behind_a_successful_request(tencent_sms):
    tencent_sms.answer(NUMBER, "LimitExceeded.DeliveryFrequencyLimit")
    with pytest.raises(SmsThrottled) as caught:
        send_text(NUMBER, CODE)
    assert caught.value.retry_after == 60
    assert [s.code for s in tencent_sms.sent] == ["LimitExceeded.DeliveryFrequencyLimit"]


def test_an_aliyun_minute_cap_waits_a_minute(aliyun_sms, monkeypatch):
    from tests.support import sms_providers

    monkeypatch.setitem(
        sms_providers.MESSAGES, "isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1"
    )
    aliyun_sms.answer(NUMBER, "isv.BUSINESS_LIMIT_CONTROL")
    with pytest.raises(SmsThrottled) as caught:
        send_text(NUMBER, CODE)
    assert caught.value.retry_after == 60


@pytest.mark.parametrize(
    "provider_name,code",
    [
        ("tencent", "InvalidParameterValue.IncorrectPhoneNumber"),
        ("tencent", "FailedOperation.PhoneNumberInBlacklist"),
        ("aliyun", "isv.MOBILE_NUMBER_ILLEGAL"),
    ],
)
def test_an_invalid_or_blocked_number_is_rejected_without_naming_it(request, provider_name, code):
    standin = request.getfixturevalue(f"{provider_name}_sms")
    standin.answer(NUMBER, code)
    with pytest.raises(SmsNumberRejected) as caught:
        send_text(NUMBER, CODE)
    assert caught.value.code == code
    # The stand-in's message named the number; the error does not.
    assert "[number]" in str(caught.value)
    _no_number(str(caught.value))


@pytest.mark.parametrize(
    "provider_name,code",
    [
        ("tencent", "FailedOperation.InsufficientBalanceInSmsPackage"),
        ("aliyun", "isv.AMOUNT_NOT_ENOUGH"),
    ],
)
def test_out_of_credit_is_an_operator_error(request, provider_name, code):
    standin = request.getfixturevalue(f"{provider_name}_sms")
    standin.answer(NUMBER, code)
    with pytest.raises(SmsOperatorError):
        send_text(NUMBER, CODE)


def test_an_unapproved_template_is_an_operator_error(provider, settings):
    provider.unapproved.add(settings.SMS_TEMPLATE_CODE)
    with pytest.raises(SmsOperatorError) as caught:
        send_text(NUMBER, CODE)
    assert caught.value.code in (
        "FailedOperation.TemplateIncorrectOrUnapproved",
        "isv.SMS_TEMPLATE_ILLEGAL",
    )


def test_an_unapproved_signature_is_an_operator_error(provider, settings):
    settings.SMS_SIGN_NAME = "别的签名"
    with pytest.raises(SmsOperatorError) as caught:
        send_text(NUMBER, CODE)
    assert caught.value.code in (
        "FailedOperation.SignatureIncorrectOrUnapproved",
        "isv.SMS_SIGNATURE_ILLEGAL",
    )


def test_a_missing_template_setting_is_an_operator_error_before_any_request(provider, settings):
    settings.SMS_TEMPLATE_ALERT = ""
    with pytest.raises(SmsOperatorError, match="SMS_TEMPLATE_ALERT"):
        send_text(NUMBER, ALERT)
    assert provider.actions == []


@pytest.mark.parametrize(
    "provider_name,code,error",
    [
        ("tencent", "InternalError.Timeout", SmsError),
        ("tencent", "AuthFailure.SecretIdNotFound", SmsOperatorError),
        ("aliyun", "isp.SYSTEM_ERROR", SmsError),
        ("aliyun", "InvalidAccessKeyId.NotFound", SmsOperatorError),
    ],
)
def test_a_standin_can_fail_every_request(request, provider_name, code, error):
    standin = request.getfixturevalue(f"{provider_name}_sms")
    standin.fail_all = code
    with pytest.raises(SmsError) as caught:
        send_text("+8613900139000", CODE)
    assert type(caught.value) is error and caught.value.code == code


def test_an_unreachable_provider_is_transient(provider, settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.SMS_ENDPOINT = f"http://127.0.0.1:{port}"
    settings.SMS_TIMEOUT = 2
    with pytest.raises(SmsError) as caught:
        send_text(NUMBER, CODE)
    assert type(caught.value) is SmsError
    _no_number(str(caught.value))


def test_plain_http_is_refused_off_the_loopback(provider, settings):
    settings.SMS_ENDPOINT = "http://sms.example.com"
    with pytest.raises(SmsOperatorError, match="loopback"):
        send_text(NUMBER, CODE)
    assert provider.actions == []


def test_the_sdks_debug_logs_never_carry_the_number(provider, all_logs):
    send_text(NUMBER, CODE)
    rejected = {"aliyun": "isv.MOBILE_NUMBER_ILLEGAL"}
    provider.answer(
        NUMBER, rejected.get(provider.provider, "FailedOperation.PhoneNumberInBlacklist")
    )
    with pytest.raises(SmsNumberRejected):
        send_text(NUMBER, CODE)
    _no_number("\n".join(r.getMessage() for r in all_logs.records))


def test_numbers_outside_china_can_go_through_another_backend(tencent_sms, settings, sms_stub):
    settings.SMS_BACKEND = "proof.sms.TencentBackend"
    settings.SMS_BACKEND_INTERNATIONAL = "proof.sms.TwilioBackend"
    send_text("+447700900123", CODE)
    send_text(NUMBER, CODE)
    assert len(sms_stub.requests) == 1 and "123456" in sms_stub.bodies[0]
    assert [s.number for s in tencent_sms.sent] == [NUMBER]


def test_the_standins_post_receipts_in_each_providers_format(provider):
    got: list[object] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"result":0,"errmsg":"OK"}')

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        serial = send_text(NUMBER, CODE)
        status, _ = provider.post_receipts(f"http://127.0.0.1:{server.server_address[1]}/")
    finally:
        server.shutdown()
        server.server_close()
    assert status == 200
    ((receipt,),) = got
    if provider.provider == "tencent":
        assert set(receipt) == {
            "sid",
            "report_status",
            "errmsg",
            "mobile",
            "nationcode",
            "user_receive_time",
            "description",
        }
        assert (receipt["sid"], receipt["report_status"], receipt["mobile"]) == (
            serial,
            "SUCCESS",
            "13800138000",
        )
    else:
        assert set(receipt) == {
            "phone_number",
            "biz_id",
            "success",
            "err_code",
            "err_msg",
            "send_time",
            "report_time",
            "out_id",
            "sms_size",
        }
        assert (receipt["biz_id"], receipt["success"]) == (serial, True)


@pytest.mark.parametrize(
    "code,kind,wait",
    [
        ("LimitExceeded.PhoneNumberOneHourLimit", "throttled", 3600),
        ("LimitExceeded.PhoneNumberThirtySecondLimit", "throttled", 60),
        ("LimitExceeded.AppDailyLimit", "operator", 0),
        ("AuthFailure.SignatureExpire", "operator", 0),
        ("UnauthorizedOperation.SmsSdkAppIdVerifyFail", "operator", 0),
        ("InternalError.Timeout", "transient", 0),
        ("ClientNetworkError", "transient", 0),
    ],
)
def test_tencent_codes_mean(code, kind, wait):
    assert provider_errors.tencent(code) == provider_errors.Kind(kind, wait)


@pytest.mark.parametrize(
    "code,message,kind,wait",
    [
        ("isv.BUSINESS_LIMIT_CONTROL", "触发小时级流控Permits:5", "throttled", 3600),
        ("InvalidAccessKeyId.NotFound", "", "operator", 0),
        ("SignatureDoesNotMatch", "", "operator", 0),
        ("isv.SMS_SIGNATURE_ILLEGAL", "", "operator", 0),
        ("isp.SYSTEM_ERROR", "", "transient", 0),
        ("ServiceUnavailable", "", "transient", 0),
    ],
)
def test_aliyun_codes_mean(code, message, kind, wait):
    assert provider_errors.aliyun(code, message) == provider_errors.Kind(kind, wait)
