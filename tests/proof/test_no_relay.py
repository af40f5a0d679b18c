"""No texting relay (issue 18, item 7), written as the attack: a stranger with many
addresses asks the site to text one number again and again, through every path
that sends a code. Every text is counted before it is sent, per number whoever
asks, so the number gets at most its daily limit of texts."""

import json

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

VICTIM = "13800138000"


def _addresses(n: int) -> list[str]:
    # Each one in a network of its own (IPv4 /24s, IPv6 /48s): no host or network
    # layer ever sees two of them.
    half = n // 2
    return [f"198.{18 + i // 250}.{i % 250}.7" for i in range(half)] + [
        f"2001:db8:{i:x}::1" for i in range(n - half)
    ]


def _attack(settings, attempts: int = 40) -> list[int]:
    statuses = []
    for i, address in enumerate(_addresses(attempts)):
        stranger = Client(REMOTE_ADDR=address)
        if i % 2:
            # The check page with the operator switch texts a code too.
            settings.RESULTS_REQUIRE_PROOF = True
            response = stranger.post(reverse("bc-check"), {"phone": VICTIM})
            settings.RESULTS_REQUIRE_PROOF = False
        else:
            response = stranger.post(reverse("bc-proof-send"), {"phone": VICTIM})
            if response.status_code == 302:
                stranger.post(reverse("bc-proof-again"))
        statuses.append(response.status_code)
    return statuses


def _texts_to_victim(outbox) -> int:
    if not outbox.exists():
        return 0
    lines = outbox.read_text(encoding="utf-8").splitlines()
    return sum(json.loads(line)["to"] == "+86" + VICTIM for line in lines)


def test_many_addresses_text_one_number_at_most_its_daily_limit(settings, sms_outbox):
    # Only the daily limit binds: the 5-minute window is as wide as it can be.
    settings.RATELIMIT_SMS_PER_NUMBER = "1000/5m"
    settings.RATELIMIT_SMS_PER_NUMBER_DAILY = "6/d"
    statuses = _attack(settings)
    assert _texts_to_victim(sms_outbox) == 6
    # Past the limit a stranger is refused, or led to the code already texted.
    assert set(statuses) <= {302, 429} and 429 in statuses


def test_the_providers_daily_cap_holds_when_ours_is_higher(settings, tencent_sms):
    settings.RATELIMIT_SMS_PER_NUMBER = "1000/5m"
    settings.RATELIMIT_SMS_PER_NUMBER_DAILY = "1000/d"
    settings.SMS_PROVIDER_DAILY_LIMIT = 4
    _attack(settings)
    # Counted before sending: the provider itself was asked four times, no more.
    assert len(tencent_sms.sent) == 4
    assert tencent_sms.actions == ["SendSms"] * 4


def test_with_the_default_limits_the_number_gets_one_text(settings, sms_outbox):
    _attack(settings)
    assert _texts_to_victim(sms_outbox) == 1
