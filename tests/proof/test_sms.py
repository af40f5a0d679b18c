import base64
import json
import socket

import pytest

from proof.sms import ConsoleBackend, FileBackend, SmsError, TwilioBackend

NUMBER = "+8613800138000"


def test_file_backend_appends_one_json_line_per_message(sms_outbox):
    FileBackend().send(NUMBER, "first")
    FileBackend().send("+8613900139000", "第二条")
    lines = [json.loads(line) for line in sms_outbox.read_text(encoding="utf-8").splitlines()]
    assert [(line["to"], line["body"]) for line in lines] == [
        (NUMBER, "first"),
        ("+8613900139000", "第二条"),
    ]


def test_console_backend_prints_a_masked_number_and_the_text(capsys, all_logs):
    ConsoleBackend().send(NUMBER, "hello 123456")
    out = capsys.readouterr().out
    assert "138****8000" in out
    assert "hello 123456" in out
    assert "13800138000" not in out
    assert all_logs.records == []


def test_twilio_backend_posts_the_documented_request(sms_stub, settings):
    sid = TwilioBackend().send(NUMBER, "验证码 123456")
    assert sid.startswith("SM")
    (request,) = sms_stub.requests
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{settings.SMS_ACCOUNT_SID}/Messages.json"
    expected = base64.b64encode(f"{settings.SMS_ACCOUNT_SID}:stub-auth-token".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.form == {"To": NUMBER, "From": "+15005550006", "Body": "验证码 123456"}


def test_twilio_backend_raises_the_providers_error_without_the_number(sms_stub):
    sms_stub.fail(400, code=21211, message="The 'To' number 138 0013 8000 is not a valid number.")
    with pytest.raises(SmsError) as caught:
        TwilioBackend().send(NUMBER, "x")
    assert caught.value.code == 21211
    assert "HTTP 400" in str(caught.value)
    assert "The 'To' number [number] is not a valid number." in str(caught.value)
    assert "8000" not in str(caught.value)


def test_twilio_backend_raises_when_the_provider_is_unreachable(settings, sms_stub):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.SMS_API_BASE_URL = f"http://127.0.0.1:{port}"
    settings.SMS_TIMEOUT = 2
    with pytest.raises(SmsError, match="unreachable"):
        TwilioBackend().send(NUMBER, "x")


def test_twilio_backend_refuses_to_run_without_credentials(settings, sms_stub):
    settings.SMS_AUTH_TOKEN = ""
    with pytest.raises(SmsError, match="SMS_AUTH_TOKEN"):
        TwilioBackend().send(NUMBER, "x")
    assert sms_stub.requests == []
