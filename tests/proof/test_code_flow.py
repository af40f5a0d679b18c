"""The code flow with the mainland providers: the page says "sent" only when a text
went out; throttling names the wait in minutes; "send a new code" never asks for
the number again."""

import time

import pytest
from django.urls import reverse
from django.utils import timezone

from leaks.hashing import phone_key
from leaks.models import Breach, Exposure, OwnershipCode
from tests.support.checks import check

pytestmark = pytest.mark.django_db

NUMBER = "13800138000"
E164 = "+86" + NUMBER
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(params=["tencent", "aliyun"])
def provider(request):
    return request.getfixturevalue(f"{request.param}_sms")


@pytest.fixture
def sensitive():
    breach = Breach.objects.create(
        slug="clinic", title="Clinic patients", is_sensitive=True, pwn_count=1,
        published_at=timezone.now(),
    )  # fmt: skip
    Exposure.objects.create(breach=breach, phone_key=phone_key(E164), key_version=1)


def _last_code(standin) -> str:
    return standin.delivered[-1].params["code"]


def test_the_whole_proof_goes_through_each_provider(client, provider, sensitive):
    sent = client.post(reverse("bc-proof-send"), {"phone": NUMBER})
    assert sent["Location"] == reverse("bc-proof-code")
    page = client.get(reverse("bc-proof-code"), **EN).content.decode()
    assert "We texted a 6-digit code to 138****8000" in page
    proved = client.post(reverse("bc-proof-code"), {"code": _last_code(provider)})
    assert proved["Location"] == reverse("bc-result")
    assert "Clinic patients" in client.get(reverse("bc-result")).content.decode()
    assert provider.auth_failures == []


@pytest.mark.parametrize(
    "provider_name,code",
    [("tencent", "LimitExceeded.PhoneNumberDailyLimit"), ("aliyun", "isv.BUSINESS_LIMIT_CONTROL")],
)
def test_a_provider_throttle_names_the_wait_and_never_says_sent(
    request, client, provider_name, code
):
    standin = request.getfixturevalue(f"{provider_name}_sms")
    standin.answer(E164, code)
    response = client.post(reverse("bc-proof-send"), {"phone": NUMBER}, **EN)
    html = response.content.decode()
    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    minutes = -(-retry_after // 60)
    assert f"You can ask for a code again in {minutes} minutes" in html
    assert "No code was sent" in html and "We texted" not in html
    assert NUMBER not in html
    # No code kept, nothing pending; what the gate counted stays spent: asking
    # again at once is refused before the provider is asked.
    assert OwnershipCode.objects.count() == 0
    assert client.get(reverse("bc-proof-code"))["Location"] == reverse("bc-proof-send")
    asked = len(standin.actions)
    again = client.post(reverse("bc-proof-send"), {"phone": NUMBER}, **EN)
    assert again.status_code == 429 and len(standin.actions) == asked


def test_an_invalid_number_is_a_clear_permanent_answer(client, tencent_sms):
    tencent_sms.answer(E164, "InvalidParameterValue.IncorrectPhoneNumber")
    response = client.post(reverse("bc-proof-send"), {"phone": NUMBER}, **EN)
    html = response.content.decode()
    assert response.status_code == 400
    assert "Text messages cannot be sent to this number" in html
    assert "Retry-After" not in response and "We texted" not in html
    assert OwnershipCode.objects.count() == 0


def test_an_operator_error_says_the_site_cannot_send_texts(client, aliyun_sms, settings):
    settings.SMS_ACCESS_KEY_SECRET = "wrong"
    response = client.post(reverse("bc-proof-send"), {"phone": NUMBER}, **EN)
    assert response.status_code == 503
    assert "The site cannot send text messages right now" in response.content.decode()
    assert aliyun_sms.auth_failures == ["SignatureDoesNotMatch"]
    assert OwnershipCode.objects.count() == 0


def test_send_a_new_code_within_the_window_names_the_wait_and_keeps_the_code(client, tencent_sms):
    client.post(reverse("bc-proof-send"), {"phone": NUMBER})
    first = _last_code(tencent_sms)
    page = client.get(reverse("bc-proof-code"), **EN).content.decode()
    assert f'action="{reverse("bc-proof-again")}"' in page
    assert 'name="phone"' not in page
    again = client.post(reverse("bc-proof-again"), **EN)
    html = again.content.decode()
    assert again.status_code == 429
    assert "No new code was sent" in html and "A new code is on its way" not in html
    retry_after = int(again["Retry-After"])
    assert 0 < retry_after <= 300
    minutes = -(-retry_after // 60)
    assert f"You can ask for a new code in {minutes} minute" in html
    assert len(tencent_sms.sent) == 1
    # The code already texted still proves the number.
    assert client.post(reverse("bc-proof-code"), {"code": first})["Location"] == reverse(
        "bc-result"
    )


def test_send_a_new_code_texts_the_sealed_number_again(client, provider, settings):
    settings.RATELIMIT_SMS_PER_NUMBER = "5/5m"
    client.post(reverse("bc-proof-send"), {"phone": NUMBER})
    first = _last_code(provider)
    again = client.post(reverse("bc-proof-again"), **EN)
    assert again["Location"] == reverse("bc-proof-code")
    page = client.get(reverse("bc-proof-code"), **EN).content.decode()
    assert "A new code is on its way" in page
    assert [s.number for s in provider.delivered] == [E164, E164]
    newest = _last_code(provider)
    if newest != first:
        assert client.post(reverse("bc-proof-code"), {"code": first}).status_code == 400
    assert client.post(reverse("bc-proof-code"), {"code": newest})["Location"] == reverse(
        "bc-result"
    )


def test_a_throttled_new_code_leaves_the_earlier_one_working(client, tencent_sms, settings):
    settings.RATELIMIT_SMS_PER_NUMBER = "5/5m"
    client.post(reverse("bc-proof-send"), {"phone": NUMBER})
    first = _last_code(tencent_sms)
    tencent_sms.answer(E164, "LimitExceeded.DeliveryFrequencyLimit")
    again = client.post(reverse("bc-proof-again"), **EN)
    assert again.status_code == 429 and again["Retry-After"] == "60"
    html = again.content.decode()
    assert "No new code was sent" in html and "in 1 minute" in html
    assert client.post(reverse("bc-proof-code"), {"code": first})["Location"] == reverse(
        "bc-result"
    )


def test_an_expired_code_offers_a_new_one_without_asking_for_the_number(
    client, sms_outbox, settings, monkeypatch
):
    check(client, NUMBER)  # the result is remembered for a while: the number with it
    client.post(reverse("bc-proof-send"))
    later = time.time() + settings.OWNERSHIP_CODE_TTL_SECONDS + 1
    monkeypatch.setattr("proof.session.time.time", lambda: later)
    page = client.get(reverse("bc-proof-code"), **EN)
    html = page.content.decode()
    assert page.status_code == 200
    assert "This code has expired" in html and f'action="{reverse("bc-proof-again")}"' in html
    assert 'name="phone"' not in html


def test_send_a_new_code_without_a_pending_number_goes_to_the_start(client):
    assert client.post(reverse("bc-proof-again"))["Location"] == reverse("bc-proof-send")
    assert client.get(reverse("bc-proof-again")).status_code == 405


def test_a_stranger_asking_in_the_window_is_told_a_code_was_already_texted(client, tencent_sms):
    client.post(reverse("bc-proof-send"), {"phone": NUMBER})
    stranger = type(client)()
    again = stranger.post(reverse("bc-proof-send"), {"phone": NUMBER}, **EN)
    assert again["Location"] == reverse("bc-proof-code")
    page = stranger.get(reverse("bc-proof-code"), **EN).content.decode()
    assert "A code was texted to this number a few minutes ago" in page
    assert "A new code is on its way" not in page
    assert len(tencent_sms.sent) == 1
