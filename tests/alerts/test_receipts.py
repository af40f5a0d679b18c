"""Delivery receipts: Tencent's status callback and Alibaba's HTTP push mark the
alerts a text carried by its serial number; the number they carry is kept nowhere."""

import json

import pytest
from django.utils import timezone

from alerts.models import AlertDelivery
from leaks.models import Breach
from tests.factories import subscribe
from tests.support.privacy_scan import database_text, digits_variants

pytestmark = pytest.mark.django_db

NUMBER = "13800138000"
TOKEN = "receipt-token-" + "r" * 32
TENCENT = f"/sms/receipts/tencent/{TOKEN}/"
ALIYUN = f"/sms/receipts/aliyun/{TOKEN}/"


@pytest.fixture(autouse=True)
def _token(settings):
    settings.SMS_RECEIPT_TOKEN = TOKEN
    settings.SMS_RECEIPT_ALLOWED_NETWORKS = []


@pytest.fixture
def text():
    """Two alerts sent in one text (serial "2019:1234"), and an email alert."""
    subscription = subscribe(NUMBER)
    rows = []
    for slug in ("shop", "clinic"):
        breach = Breach.objects.create(slug=slug, title=slug, pwn_count=1)
        rows.append(
            AlertDelivery.objects.create(
                subscription=subscription,
                breach=breach,
                status="sent",
                attempts=1,
                next_attempt_at=timezone.now(),
                sent_at=timezone.now(),
                provider_id="2019:1234",
            )
        )
    email = AlertDelivery.objects.create(
        subscription=subscribe(NUMBER, email="li@example.com"),
        breach=rows[0].breach,
        status="sent",
        next_attempt_at=timezone.now(),
        provider_id="2019:1234",  # a Message-ID is never a text's serial
    )
    return rows, email


def tencent_report(status="SUCCESS", sid="2019:1234", errmsg="DELIVRD"):
    return [
        {
            "user_receive_time": "2026-12-08 02:03:04",
            "nationcode": "86",
            "mobile": NUMBER,
            "report_status": status,
            "errmsg": errmsg,
            "description": "用户短信送达成功" if status == "SUCCESS" else "用户关机",
            "sid": sid,
        }
    ]


def aliyun_report(success=True, biz_id="2019:1234", err_code="DELIVERED"):
    return [
        {
            "phone_number": NUMBER,
            "send_time": "2026-12-08 02:03:00",
            "report_time": "2026-12-08 02:03:04",
            "success": success,
            "err_code": err_code,
            "err_msg": "用户接收成功" if success else "号码停机",
            "sms_size": "1",
            "biz_id": biz_id,
            "out_id": "",
        }
    ]


def post(client, url, body, **extra):
    return client.post(url, json.dumps(body), content_type="application/json", **extra)


def states(rows):
    return [AlertDelivery.objects.get(pk=row.pk).status for row in rows]


def test_a_tencent_receipt_marks_every_alert_of_the_text_delivered(client, text, all_logs):
    rows, email = text
    response = post(client, TENCENT, tencent_report())
    assert response.status_code == 200
    assert response.json() == {"result": 0, "errmsg": "OK"}
    assert states(rows) == ["delivered", "delivered"]
    assert all(AlertDelivery.objects.get(pk=row.pk).receipt_at for row in rows)
    assert states([email]) == ["sent"]
    # Idempotent: the same receipt again changes nothing.
    first = AlertDelivery.objects.get(pk=rows[0].pk).receipt_at
    assert post(client, TENCENT, tencent_report()).json()["result"] == 0
    assert AlertDelivery.objects.get(pk=rows[0].pk).receipt_at == first
    # The number the receipt carried is kept nowhere.
    everything = database_text() + all_logs.text
    for secret in digits_variants(NUMBER):
        assert secret not in everything


def test_an_aliyun_receipt_marks_a_failed_delivery_with_its_code(client, text, all_logs):
    rows, _ = text
    response = post(client, ALIYUN, aliyun_report(success=False, err_code="MK:0001"))
    assert response.status_code == 200
    assert response.json() == {"code": 0, "msg": "接收成功"}
    assert states(rows) == ["undelivered", "undelivered"]
    error = AlertDelivery.objects.get(pk=rows[0].pk).last_error
    assert "MK:0001" in error and "could not deliver" in error
    everything = database_text() + all_logs.text
    for secret in digits_variants(NUMBER):
        assert secret not in everything


def test_a_late_delivered_wins_over_a_failure_but_never_the_reverse(client, text):
    rows, _ = text
    post(client, TENCENT, tencent_report(status="FAIL", errmsg="MK:0005"))
    assert states(rows) == ["undelivered", "undelivered"]
    post(client, TENCENT, tencent_report(status="SUCCESS"))
    assert states(rows) == ["delivered", "delivered"]
    assert AlertDelivery.objects.get(pk=rows[0].pk).last_error == ""
    post(client, ALIYUN, aliyun_report(success=False))
    assert states(rows) == ["delivered", "delivered"]


def test_a_receipt_for_an_unknown_text_or_an_unsent_alert_changes_nothing(client, text):
    rows, _ = text
    AlertDelivery.objects.filter(pk=rows[1].pk).update(status="pending")
    assert post(client, TENCENT, tencent_report(sid="other")).status_code == 200
    assert states(rows) == ["sent", "pending"]
    post(client, TENCENT, tencent_report())
    assert states(rows) == ["delivered", "pending"]


def test_a_wrong_or_unset_token_is_not_found(client, text, settings):
    rows, _ = text
    assert post(client, TENCENT.replace(TOKEN, "guess"), tencent_report()).status_code == 404
    assert post(client, ALIYUN.replace(TOKEN, TOKEN + "x"), aliyun_report()).status_code == 404
    settings.SMS_RECEIPT_TOKEN = ""
    assert post(client, "/sms/receipts/tencent//", tencent_report()).status_code == 404
    assert post(client, TENCENT, tencent_report()).status_code == 404
    assert states(rows) == ["sent", "sent"]


def test_only_the_allowed_networks_may_post_receipts(client, text, settings):
    rows, _ = text
    settings.SMS_RECEIPT_ALLOWED_NETWORKS = ["203.0.113.0/24", "2001:db8::/32"]
    refused = post(client, TENCENT, tencent_report(), REMOTE_ADDR="198.51.100.7")
    assert refused.status_code == 404
    assert states(rows) == ["sent", "sent"]
    # Outside the networks a right token and a wrong one get the same answer.
    assert (
        post(client, "/sms/receipts/tencent/x/", [], REMOTE_ADDR="198.51.100.7").status_code == 404
    )
    assert post(client, ALIYUN, aliyun_report(), REMOTE_ADDR="203.0.113.9").status_code == 200
    assert states(rows) == ["delivered", "delivered"]
    assert post(client, TENCENT, [], REMOTE_ADDR="2001:db8::5").status_code == 200


def test_behind_a_trusted_proxy_the_client_address_counts(client, text, settings):
    settings.SMS_RECEIPT_ALLOWED_NETWORKS = ["203.0.113.0/24"]
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    forwarded = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    assert post(client, TENCENT, tencent_report(), **forwarded).status_code == 200
    forged = {"REMOTE_ADDR": "198.51.100.7", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    assert post(client, TENCENT, tencent_report(), **forged).status_code == 404


def test_not_a_receipt_is_refused_and_the_token_is_never_logged(client, text, all_logs):
    rows, _ = text
    assert client.post(TENCENT, "not json", content_type="application/json").status_code == 400
    assert post(client, ALIYUN, ["a string"]).status_code == 400
    assert client.get(TENCENT).status_code == 405
    assert states(rows) == ["sent", "sent"]
    assert post(client, TENCENT.replace(TOKEN, "guess"), []).status_code == 404
    assert TOKEN not in all_logs.text


@pytest.mark.slow
def test_the_admin_lists_alerts_by_state(admin_client, text):
    rows, email = text
    admin_client.post(
        ALIYUN, json.dumps(aliyun_report()), content_type="application/json"
    )  # the admin's client posts like any other
    for state, shown in [("delivered", rows), ("sent", [email]), ("undelivered", [])]:
        page = admin_client.get(f"/admin/alerts/alertdelivery/?state={state}").content.decode()
        listed = {
            pk
            for pk in AlertDelivery.objects.values_list("pk", flat=True)
            if f'value="{pk}"' in page
        }
        assert listed == {row.pk for row in shown}, state
    page = admin_client.get(
        "/admin/alerts/alertdelivery/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    for label in ("waiting", "sending", "delivered", "failed by provider", "operator error"):
        assert label in page
