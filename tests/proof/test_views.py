import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from leaks.hashing import phone_key
from leaks.models import Breach, Exposure
from tests.support import privacy_scan
from tests.support.checks import check
from tests.support.privacy_scan import database_text, digits_variants

pytestmark = pytest.mark.django_db

NUMBER = "13800138000"
E164 = "+86" + NUMBER


@pytest.fixture
def breaches():
    public = Breach.objects.create(
        slug="shop", title="Card shop members", pwn_count=1, published_at=timezone.now()
    )
    sensitive = Breach.objects.create(
        slug="clinic",
        title="Clinic patients",
        is_sensitive=True,
        pwn_count=1,
        published_at=timezone.now(),
    )
    for breach in (public, sensitive):
        Exposure.objects.create(breach=breach, phone_key=phone_key(E164), key_version=1)
    return public, sensitive


def _code(outbox) -> str:
    body = json.loads(outbox.read_text(encoding="utf-8").splitlines()[-1])["body"]
    return re.findall(r"\b(\d{6})\b", body)[0]


def _prove(client, outbox, number: str = NUMBER):
    sent = client.post(reverse("bc-proof-send"), {"phone": number})
    assert sent.status_code == 302 and sent["Location"] == reverse("bc-proof-code")
    checked = client.post(reverse("bc-proof-code"), {"code": _code(outbox)})
    assert checked.status_code == 302 and checked["Location"] == reverse("bc-result")
    return client.get(reverse("bc-result"))


@pytest.mark.slow
def test_the_result_page_hides_sensitive_breaches_and_offers_the_proof(client, breaches):
    response = check(client, NUMBER)
    html = response.content.decode()
    assert "Card shop members" in html
    assert "Clinic patients" not in html
    assert f'action="{reverse("bc-proof-send")}"' in html
    assert NUMBER not in html and "+86" + NUMBER not in html


def test_a_miss_also_offers_the_proof(client, breaches):
    html = check(client, "13900139000").content.decode()
    assert f'action="{reverse("bc-proof-send")}"' in html


def test_the_whole_flow_shows_sensitive_breaches_after_proof(client, breaches, sms_outbox):
    response = _prove(client, sms_outbox)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Card shop members" in html and "Clinic patients" in html
    assert "138****8000" in html
    # Checking the number again in this session shows them too.
    again = check(client, "+86 138 0013 8000").content.decode()
    assert "Clinic patients" in again


def test_the_proof_holds_for_that_number_and_that_session_only(client, breaches, sms_outbox):
    from django.test import Client

    other = Exposure.objects.create(
        breach=breaches[1], phone_key=phone_key("+8613900139000"), key_version=1
    )
    assert other.pk
    _prove(client, sms_outbox)
    html = check(client, "13900139000").content.decode()
    assert "Clinic patients" not in html
    stranger = check(Client(), NUMBER).content.decode()
    assert "Clinic patients" not in stranger


def test_the_proof_expires_and_the_session_with_it(client, breaches, sms_outbox, monkeypatch):
    import time

    _prove(client, sms_outbox)
    # The session lives as long as what it remembers: the proof, at most.
    assert 0 < client.session.get_expiry_age() <= 3600
    later = time.time() + 3601
    monkeypatch.setattr("proof.session.time.time", lambda: later)
    assert client.get(reverse("bc-result"))["Location"] == reverse("bc-check")
    html = check(client, NUMBER).content.decode()
    assert "Card shop members" in html and "Clinic patients" not in html


def test_a_wrong_code_says_so_and_does_not_prove(client, breaches, sms_outbox):
    client.post(reverse("bc-proof-send"), {"phone": NUMBER})
    wrong = f"{(int(_code(sms_outbox)) + 1) % 10**6:06d}"
    response = client.post(reverse("bc-proof-code"), {"code": wrong})
    assert response.status_code == 400
    assert "验证码不正确" in response.content.decode()
    assert client.get(reverse("bc-result"))["Location"] == reverse("bc-check")


def test_a_used_up_code_asks_for_a_new_one(client, breaches, sms_outbox, settings):
    settings.OWNERSHIP_CODE_MAX_ATTEMPTS = 1
    client.post(reverse("bc-proof-send"), {"phone": NUMBER})
    wrong = f"{(int(_code(sms_outbox)) + 1) % 10**6:06d}"
    html = client.post(reverse("bc-proof-code"), {"code": wrong}).content.decode()
    assert "此验证码已过期或尝试次数过多" in html


def test_the_code_page_needs_a_pending_proof(client):
    assert client.get(reverse("bc-proof-code"))["Location"] == reverse("bc-proof-send")


def test_asking_again_in_the_window_leads_to_the_code_already_sent(client, sms_outbox):
    client.post(reverse("bc-proof-send"), {"phone": NUMBER})
    other = type(client)()
    again = other.post(reverse("bc-proof-send"), {"phone": NUMBER})
    assert again["Location"] == reverse("bc-proof-code")
    assert len(sms_outbox.read_text().splitlines()) == 1
    assert other.post(reverse("bc-proof-code"), {"code": _code(sms_outbox)}).status_code == 302


def test_a_sending_limit_gives_a_clear_429(client, sms_outbox, settings):
    from leaks.models import OwnershipCode

    settings.RATELIMIT_SMS_PER_NUMBER = "1/h"
    client.post(reverse("bc-proof-send"), {"phone": NUMBER})
    OwnershipCode.objects.all().delete()  # used or expired: nothing left to type
    response = client.post(reverse("bc-proof-send"), {"phone": NUMBER}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    assert "A code was sent to this number very recently" in response.content.decode()


def test_code_attempts_are_limited_per_client(client, sms_outbox, settings):
    settings.RATELIMIT_CODE_PER_IP = "2/h"
    client.post(reverse("bc-proof-send"), {"phone": NUMBER})
    for _ in range(2):
        assert client.post(reverse("bc-proof-code"), {"code": "000000"}).status_code != 429
    response = client.post(reverse("bc-proof-code"), {"code": _code(sms_outbox)})
    assert response.status_code == 429


def test_a_provider_failure_is_shown_and_nothing_is_pending(client, sms_stub):
    sms_stub.fail(503, code=20503, message="Service unavailable")
    response = client.post(reverse("bc-proof-send"), {"phone": NUMBER})
    assert response.status_code == 502
    assert "短信发送失败" in response.content.decode()
    assert NUMBER not in response.content.decode()
    assert client.get(reverse("bc-proof-code"))["Location"] == reverse("bc-proof-send")


def test_the_flow_works_through_the_twilio_backend(client, breaches, sms_stub):
    client.post(reverse("bc-proof-send"), {"phone": NUMBER})
    (request,) = sms_stub.requests
    assert request.form["To"] == E164
    code = re.search(r"\b(\d{6})\b", request.form["Body"]).group(1)
    assert client.post(reverse("bc-proof-code"), {"code": code}).status_code == 302
    assert "Clinic patients" in client.get(reverse("bc-result")).content.decode()


@pytest.mark.slow
def test_the_operator_switch_hides_every_result_before_proof(
    client, breaches, sms_outbox, settings
):
    settings.RESULTS_REQUIRE_PROOF = True
    assert "we first text a code" in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # A hit and a miss get the very same answer: a code is texted, then the code page.
    for number in (NUMBER, "13900139000"):
        response = client.post(reverse("bc-check"), {"phone": number})
        assert response.status_code == 302
        assert response["Location"] == reverse("bc-proof-code")
    assert len(sms_outbox.read_text().splitlines()) == 2
    assert "Card shop members" not in client.get(reverse("bc-proof-code")).content.decode()
    assert client.get(reverse("bc-result"))["Location"] == reverse("bc-check")

    # The first code is still pending: typing it proves the number.
    pending = client.get(reverse("bc-proof-code")).content.decode()
    assert "139****9000" in pending
    settings.RATELIMIT_SMS_PER_NUMBER = "5/h"
    client.post(reverse("bc-check"), {"phone": NUMBER})
    proved = client.post(reverse("bc-proof-code"), {"code": _code(sms_outbox)})
    assert proved["Location"] == reverse("bc-result")
    html = client.get(reverse("bc-result")).content.decode()
    assert "Card shop members" in html and "Clinic patients" in html
    after = check(client, NUMBER)
    assert after.status_code == 200 and "Clinic patients" in after.content.decode()


def test_no_plaintext_number_in_urls_logs_database_session_or_cache(
    client, breaches, sms_outbox, all_logs
):
    urls = []
    sent = client.post(reverse("bc-proof-send"), {"phone": NUMBER})
    urls.append(sent["Location"])
    checked = client.post(reverse("bc-proof-code"), {"code": _code(sms_outbox)})
    urls.append(checked["Location"])
    pages = client.get(checked["Location"]).content.decode()
    pages += check(client, NUMBER).content.decode()

    # Read back from whichever store the settings name (the database or Redis).
    session_data = json.dumps(client.session.load())
    log_text = "\n".join(record.getMessage() for record in all_logs.records)
    cache_text = privacy_scan.cache_text()
    db = database_text()
    for variant in digits_variants(NUMBER):
        for where, text in {
            "urls": " ".join(urls),
            "pages": pages,
            "logs": log_text,
            "database": db,
            "session": session_data,
            "cache": cache_text,
        }.items():
            assert variant not in text, f"{variant} found in {where}"
    # The scans looked at the real session and the rate-limit counters.
    assert "bc_numbers" in session_data and "proven_until" in session_data
    assert ":rl:" in cache_text


def test_the_prove_page_asks_for_a_number_and_rejects_a_bad_one(client, sms_outbox):
    page = client.get(reverse("bc-proof-send"))
    assert page.status_code == 200
    assert 'name="phone"' in page.content.decode()
    response = client.post(reverse("bc-proof-send"), {"phone": "12345"})
    assert response.status_code == 400
    assert not sms_outbox.exists()


def test_the_proof_pages_speak_chinese_by_default(client, sms_outbox):
    assert "证明这个号码属于你" in client.get(reverse("bc-proof-send")).content.decode()
    client.post(reverse("bc-proof-send"), {"phone": NUMBER})
    assert "发送了 6 位验证码" in client.get(reverse("bc-proof-code")).content.decode()
