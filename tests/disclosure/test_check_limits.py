"""The check page behind its rate limits, through the real middleware stack."""

import pytest
from django.test import override_settings

from tests.support.checks import check

pytestmark = pytest.mark.django_db


@override_settings(RATELIMIT_CHECK_PER_IP="3/h")
def test_it_answers_429_with_retry_after_once_over_the_limit(client):
    statuses = [check(client, f"1380013800{i}").status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = check(client, "13800138009")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    assert "13800138009" not in response.content.decode()


@override_settings(RATELIMIT_CHECK_PER_IP="1/h")
def test_past_its_limit_a_client_is_asked_for_a_puzzle_not_refused(client):
    check(client, "13800138000")
    response = check(client, "13800138000", HTTP_ACCEPT_LANGUAGE="en")
    text = response.content.decode()
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "Please slow down" in text and "<altcha-widget" in text
    # Without JavaScript the page says plainly what is going on.
    assert "<noscript>" in text and "needs JavaScript" in text
    # The number is not echoed back into the new form.
    assert "13800138000" not in text
    response = check(client, "13800138000", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "请慢一点" in response.content.decode()


@override_settings(RATELIMIT_CHECK_PER_NUMBER="1/h")
def test_past_a_numbers_budget_the_429_page_says_when_to_come_back(client):
    check(client, "13800138000")
    response = check(client, "13800138000", HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="198.51.100.3")
    text = response.content.decode()
    assert response.status_code == 429
    # "1 minute" when the window is about to end, "N minutes" otherwise.
    assert "Please slow down" in text and "minute" in text and "<altcha-widget" not in text


@override_settings(RATELIMIT_CHECK_PER_IP="2/h", TRUSTED_PROXIES=[])
def test_a_spoofed_forwarded_for_does_not_reset_the_limit(client):
    statuses = [
        check(client, f"1380013800{i}", HTTP_X_FORWARDED_FOR=f"198.51.{i}.7").status_code
        for i in range(4)
    ]
    assert statuses == [200, 200, 429, 429]


@override_settings(
    RATELIMIT_CHECK_PER_IP="2/h", RATELIMIT_CHECK_PER_NETWORK="", TRUSTED_PROXIES=["127.0.0.1"]
)
def test_behind_a_trusted_proxy_each_client_has_its_own_budget(client):
    attacker = {"HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    assert [check(client, f"1380013800{i}", **attacker).status_code for i in range(3)] == [
        200,
        200,
        429,
    ]
    # A real user behind the same proxy checks their number a few times.
    user = {"HTTP_X_FORWARDED_FOR": "203.0.113.20"}
    assert [check(client, "13900139000", **user).status_code for _ in range(2)] == [200, 200]


@override_settings(RATELIMIT_CHECK_PER_IP="1/h")
def test_an_invalid_number_is_not_counted(client):
    assert check(client, "12345").status_code == 400
    assert check(client, "13800138000").status_code == 200


@pytest.mark.slow
def test_a_real_user_checking_a_few_times_with_defaults_is_never_blocked(client):
    assert all(check(client, "138 0013 8000").status_code == 200 for _ in range(8))


@pytest.mark.slow
@override_settings(RATELIMIT_ADMIN_LOGIN_PER_IP="3/15m")
def test_admin_login_is_rate_limited(client, django_user_model):
    django_user_model.objects.create_user(
        "boss", password="right-horse-battery-staple", is_staff=True
    )
    form = {"username": "boss", "password": "wrong", "next": "/admin/"}
    statuses = [client.post("/admin/login/", form).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    right = {**form, "password": "right-horse-battery-staple"}
    assert client.post("/admin/login/", right).status_code == 429


@pytest.mark.slow
def test_admin_login_still_logs_in_below_the_limit(client, django_user_model):
    django_user_model.objects.create_user(
        "boss", password="right-horse-battery-staple", is_staff=True
    )
    response = client.post(
        "/admin/login/",
        {"username": "boss", "password": "right-horse-battery-staple", "next": "/admin/"},
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_the_429_carries_the_decisions_remaining_window():
    from django.test import RequestFactory

    from disclosure.policy import Decision
    from disclosure.responses import too_many_requests

    response = too_many_requests(RequestFactory().get("/"), Decision(False, "sms", "ip", 125))
    assert response.status_code == 429
    assert response["Retry-After"] == "125"
    assert "3 minutes" in response.content.decode() or "3 分钟" in response.content.decode()
