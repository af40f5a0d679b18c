"""The whole holder flow with each mainland provider, end to end (issue 18).

Through the real SDKs against the signature-checking stand-ins, no mock: a
visitor checks a number, proves it with the code the provider was asked to
text, turns on SMS alerts; two breaches imported together (import_create and
the tasks) make one alert text; a third the same day makes none; the provider
posts its delivery receipts to the site; and the number is nowhere in the logs,
the database, the cache or the broker.
"""

import datetime
import json

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from alerts.models import AlertDelivery, Subscription
from alerts.tasks import alerts_send
from disclosure.policy import shanghai_day_end
from imports.jobs import import_create
from leaks.models import Breach, ImportJob
from tests.support.checks import check
from tests.support.privacy_scan import assert_number_nowhere

NUMBER = "13800138000"
E164 = "+86" + NUMBER
MASKED = "138****8000"
TOKEN = "receipt-token-" + "e2e" * 12
GATHER = 60

# How each provider's receipt says a text did not reach the phone.
FAILED = {
    "tencent": {"report_status": "FAIL", "errmsg": "MK:0001", "description": "用户关机"},
    "aliyun": {"success": False, "err_code": "MK:0001", "err_msg": "用户关机"},
}
# What each provider expects as the answer to its receipts.
ANSWERS = {"tencent": {"result": 0, "errmsg": "OK"}, "aliyun": {"code": 0, "msg": "接收成功"}}

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=["tencent", "aliyun"])
def provider(request, settings, eager_celery):
    standin = request.getfixturevalue(f"{request.param}_sms")
    settings.ALERTS_SMS_GATHER_SECONDS = GATHER
    settings.SMS_QUIET_HOURS = ""
    settings.SMS_RECEIPT_TOKEN = TOKEN
    settings.SMS_RECEIPT_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    return standin


def _import(tmp_path, slug: str) -> ImportJob:
    """A dump holding the number, imported the real way: import_create queues the
    plan on commit, and the (eager) tasks read, merge and match it."""
    breach = Breach.objects.create(
        slug=slug, title=slug.title(), pwn_count=0, published_at=timezone.now()
    )
    dump = tmp_path / f"{slug}.csv"
    dump.write_text(f"手机号,姓名\n{NUMBER},某人\n13700137000,某人\n", encoding="utf-8")
    job = import_create(breach=breach, path=dump, source_name=dump.name)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.error
    return job


def _gather_window_passes() -> None:
    """The window breaches that land together share ends: the alert texts waiting
    in it come due (as the send task queued for its end would find them)."""
    AlertDelivery.objects.filter(status=AlertDelivery.Status.PENDING).update(
        next_attempt_at=F("next_attempt_at") - datetime.timedelta(seconds=GATHER)
    )


def _alert_texts(standin, settings) -> list:
    return [s for s in standin.sent if s.template == settings.SMS_TEMPLATE_ALERT]


def test_the_holder_flow_through_each_provider(
    client, provider, settings, tmp_path, live_server, all_logs
):
    # Check the number, then prove it with the code the provider was asked to text.
    assert check(client, NUMBER).status_code == 200
    assert client.post(reverse("bc-proof-send"))["Location"] == reverse("bc-proof-code")
    (code_text,) = provider.delivered
    assert code_text.template == settings.SMS_TEMPLATE_CODE and code_text.number == E164
    proved = client.post(reverse("bc-proof-code"), {"code": code_text.params["code"]})
    assert proved["Location"] == reverse("bc-result")

    # Turn on SMS alerts for the proven number.
    on = client.post(reverse("bc-alerts-subscribe"), {"by_sms": "on"})
    assert on["Location"] == reverse("bc-alerts-pending")
    (subscription,) = Subscription.objects.filter(channel="sms", confirmed_at__isnull=False)

    # Two breaches land together: their texts wait out the gather window, then go as one.
    started = timezone.now()
    jobs = [_import(tmp_path, "shop"), _import(tmp_path, "clinic")]
    texts = AlertDelivery.objects.filter(subscription=subscription).order_by("pk")
    assert [d.job_id for d in texts] == [job.pk for job in jobs]
    assert all(d.status == "pending" for d in texts)
    assert all(d.next_attempt_at > started for d in texts)
    assert _alert_texts(provider, settings) == []  # gathering

    _gather_window_passes()
    alerts_send.delay()
    (alert,) = _alert_texts(provider, settings)
    assert alert.number == E164 and alert.sign_name == "泄露查"
    assert alert.params == {"count": "2", "number": MASKED}
    assert alert.serial
    assert [(d.status, d.provider_id) for d in texts.all()] == [("sent", alert.serial)] * 2
    assert provider.auth_failures == []

    # A third breach the same day makes no second text that day: it waits for midnight.
    third = _import(tmp_path, "forum")
    _gather_window_passes()
    alerts_send.delay()
    assert _alert_texts(provider, settings) == [alert]
    waiting = AlertDelivery.objects.get(job=third)
    assert waiting.status == "pending" and waiting.attempts == 0
    midnight = datetime.datetime.fromtimestamp(shanghai_day_end(), datetime.UTC)
    assert waiting.next_attempt_at == midnight

    # The provider posts its receipts to the site: first a failure, then a late delivery.
    # At the URL docs/SMS.md gives the operator for the provider's console.
    url = f"{live_server.url}/sms/receipts/{provider.provider}/{TOKEN}/"
    status, body = provider.post_receipts(url, [alert], **FAILED[provider.provider])
    assert (status, json.loads(body)) == (200, ANSWERS[provider.provider])
    failed = list(texts.filter(job__in=jobs))
    assert [(d.status, d.receipt_at is not None) for d in failed] == [("undelivered", True)] * 2
    assert all("MK:0001" in d.last_error for d in failed)

    status, _ = provider.post_receipts(url)  # every text delivered: the code's and the alert's
    assert status == 200
    assert (
        list(texts.filter(job__in=jobs).values_list("status", "last_error"))
        == [("delivered", "")] * 2
    )
    assert AlertDelivery.objects.get(job=third).status == "pending"

    # The number is nowhere: not in the logs (which did record the flow), the database,
    # the cache, the broker or the session.
    assert "alert text sent for 2 alerts" in all_logs.text
    assert "sms receipts from" in all_logs.text
    assert_number_nowhere([NUMBER], logs=all_logs, client=client)
