import json
import re
from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from leaks.models import OwnershipCode
from leaks.phones import normalize
from proof.ownership import (
    OwnershipLimited,
    ownership_code_check,
    ownership_code_send,
    sms_text,
)
from proof.session import number_digest
from proof.sms import SmsError
from tests.support.privacy_scan import database_text

pytestmark = pytest.mark.django_db

PHONE = normalize("13800138000")
DIGEST = number_digest(PHONE.e164)


def _request(ip: str = "203.0.113.7"):
    return RequestFactory().post("/prove/", REMOTE_ADDR=ip)


def _last_code(outbox) -> str:
    body = json.loads(outbox.read_text(encoding="utf-8").splitlines()[-1])["body"]
    return re.findall(r"\b(\d{6})\b", body)[0]


def test_it_texts_a_six_digit_code_to_the_number(sms_outbox):
    ownership_code_send(phone=PHONE, request=_request())
    (line,) = [json.loads(x) for x in sms_outbox.read_text(encoding="utf-8").splitlines()]
    assert line["to"] == "+8613800138000"
    assert re.fullmatch(r"\d{6}", _last_code(sms_outbox))


def test_the_text_is_in_both_languages_and_says_who_sent_it(settings):
    settings.SMS_SIGN_NAME = "breachcheck"
    text = sms_text("123456")
    assert text.startswith("【breachcheck】")
    assert "验证码 123456" in text and "your code is 123456" in text
    assert "如非本人操作，请忽略" in text and "ignore this message" in text


def test_it_accepts_the_right_code_once(sms_outbox):
    ownership_code_send(phone=PHONE, request=_request())
    code = _last_code(sms_outbox)
    assert ownership_code_check(phone_hash=DIGEST, code=code) is True
    assert ownership_code_check(phone_hash=DIGEST, code=code) is False


def test_it_rejects_a_wrong_code(sms_outbox):
    ownership_code_send(phone=PHONE, request=_request())
    code = _last_code(sms_outbox)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    assert ownership_code_check(phone_hash=DIGEST, code=wrong) is False
    assert ownership_code_check(phone_hash=DIGEST, code=code) is True


def test_it_rejects_the_code_of_another_number(sms_outbox):
    ownership_code_send(phone=PHONE, request=_request())
    other = number_digest(normalize("13900139000").e164)
    assert ownership_code_check(phone_hash=other, code=_last_code(sms_outbox)) is False


def test_it_rejects_an_expired_code(sms_outbox):
    ownership_code_send(phone=PHONE, request=_request())
    OwnershipCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert ownership_code_check(phone_hash=DIGEST, code=_last_code(sms_outbox)) is False


def test_it_gives_up_after_too_many_wrong_attempts(sms_outbox, settings):
    settings.OWNERSHIP_CODE_MAX_ATTEMPTS = 3
    ownership_code_send(phone=PHONE, request=_request())
    code = _last_code(sms_outbox)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    assert [ownership_code_check(phone_hash=DIGEST, code=wrong) for _ in range(3)] == [False] * 3
    assert ownership_code_check(phone_hash=DIGEST, code=code) is False


def test_a_new_code_replaces_the_old_one(sms_outbox, settings):
    settings.RATELIMIT_SMS_PER_NUMBER = "2/h"
    ownership_code_send(phone=PHONE, request=_request())
    first = _last_code(sms_outbox)
    ownership_code_send(phone=PHONE, request=_request())
    second = _last_code(sms_outbox)
    assert OwnershipCode.objects.count() == 1
    if first != second:
        assert ownership_code_check(phone_hash=DIGEST, code=first) is False
    assert ownership_code_check(phone_hash=DIGEST, code=second) is True


def test_codes_and_numbers_are_stored_only_as_keyed_hashes(sms_outbox):
    ownership_code_send(phone=PHONE, request=_request())
    code = _last_code(sms_outbox)
    record = OwnershipCode.objects.get()
    assert bytes(record.phone_hash) == DIGEST
    assert len(bytes(record.code_hash)) == 32
    text = database_text()
    assert code not in text
    assert "13800138000" not in text


@pytest.mark.slow
def test_a_failed_send_forgets_the_code(sms_stub):
    sms_stub.fail(500, code=20500, message="Internal Server Error")
    with pytest.raises(SmsError):
        ownership_code_send(phone=PHONE, request=_request())
    assert OwnershipCode.objects.count() == 0


def test_sending_is_limited_per_number(sms_outbox, settings):
    # One code per number per window, whoever asks, from wherever.
    ownership_code_send(phone=PHONE, request=_request("203.0.113.1"))
    with pytest.raises(OwnershipLimited) as caught:
        ownership_code_send(phone=PHONE, request=_request("192.0.2.1"))
    assert caught.value.decision.layer == "number"
    ownership_code_send(phone=normalize("13900139000"), request=_request("192.0.2.1"))


def test_sending_is_limited_per_client_ip(sms_outbox, settings):
    settings.RATELIMIT_SMS_PER_IP = "2/h"
    numbers = [normalize(f"1390013900{i}") for i in range(3)]
    ownership_code_send(phone=numbers[0], request=_request())
    ownership_code_send(phone=numbers[1], request=_request())
    with pytest.raises(OwnershipLimited) as caught:
        ownership_code_send(phone=numbers[2], request=_request())
    assert caught.value.decision.layer == "ip"
    assert len(sms_outbox.read_text().splitlines()) == 2


def test_sending_is_limited_per_network(sms_outbox, settings):
    settings.RATELIMIT_SMS_PER_NETWORK = "3/h"
    numbers = [normalize(f"1390013900{i}") for i in range(4)]
    for i in range(3):
        ownership_code_send(phone=numbers[i], request=_request(f"203.0.113.{i + 1}"))
    with pytest.raises(OwnershipLimited) as caught:
        ownership_code_send(phone=numbers[3], request=_request("203.0.113.99"))
    assert caught.value.decision.layer == "network"
    ownership_code_send(phone=numbers[3], request=_request("198.51.100.9"))


def test_sending_is_limited_globally(sms_outbox, settings):
    settings.RATELIMIT_SMS_GLOBAL = "3/h"
    numbers = [normalize(f"1390013900{i}") for i in range(4)]
    for i in range(3):
        ownership_code_send(phone=numbers[i], request=_request(f"10.{i}.0.1"))
    with pytest.raises(OwnershipLimited) as caught:
        ownership_code_send(phone=numbers[3], request=_request("10.9.0.1"))
    assert caught.value.decision.layer == "global"
