"""The whole holder flow with each mainland provider, end to end (issue 18).

Through the real SDKs against the signature-checking stand-ins, no mock: a
visitor checks a number, proves it with the code the provider was asked to
text, turns on SMS alerts; two breaches imported together (import_create and
the tasks) make one alert text; a third the same day makes none; the provider
posts its delivery receipts to the site; and the number is nowhere in the logs,
the database, the cache or the broker.

Twice: with the tasks run in this process (the gather window's end stepped
over), and with a real worker process configured from the environment as in
production, whose queued send honours the gather window itself.
"""

import datetime
import json
import re
from pathlib import Path
from typing import Any

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
from tests.support.privacy_scan import assert_number_nowhere, digits_variants
from tests.support.workers import purge_queue, start_worker, stop_worker, wait_for

NUMBER = "13800138000"
E164 = "+86" + NUMBER
MASKED = "138****8000"
TOKEN = "receipt-token-" + "e2e" * 12
GATHER = 5  # seconds texts wait for breaches landing with them, for the worker (60 by default)

# How each provider's receipt says a text did not reach the phone.
FAILED: dict[str, dict[str, Any]] = {
    "tencent": {"report_status": "FAIL", "errmsg": "MK:0001", "description": "用户关机"},
    "aliyun": {"success": False, "err_code": "MK:0001", "err_msg": "用户关机"},
}
# What each provider expects as the answer to its receipts.
ANSWERS = {"tencent": {"result": 0, "errmsg": "OK"}, "aliyun": {"code": 0, "msg": "接收成功"}}

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=["tencent", "aliyun"])
def provider(request, settings):
    standin = request.getfixturevalue(f"{request.param}_sms")
    settings.SMS_QUIET_HOURS = ""
    settings.SMS_RECEIPT_TOKEN = TOKEN
    settings.SMS_RECEIPT_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    return standin


def _import(tmp_path: Path, slug: str) -> ImportJob:
    """A dump holding the number, imported the real way: import_create queues the
    plan on commit, and the tasks read, merge and match it."""
    breach = Breach.objects.create(
        slug=slug, title=slug.title(), pwn_count=0, published_at=timezone.now()
    )
    dump = tmp_path / f"{slug}.csv"
    dump.write_text(f"手机号,姓名\n{NUMBER},某人\n13700137000,某人\n", encoding="utf-8")
    return import_create(breach=breach, path=dump, source_name=dump.name)


def _alert_texts(standin, settings) -> list:
    return [s for s in standin.sent if s.template == settings.SMS_TEMPLATE_ALERT]


def _prove_and_subscribe(client, standin, settings) -> Subscription:
    """Check the number, prove it with the code the provider was asked to text, and
    turn on SMS alerts, all through the site."""
    assert check(client, NUMBER).status_code == 200
    assert client.post(reverse("bc-proof-send"))["Location"] == reverse("bc-proof-code")
    (code_text,) = standin.delivered
    assert code_text.template == settings.SMS_TEMPLATE_CODE and code_text.number == E164
    proved = client.post(reverse("bc-proof-code"), {"code": code_text.params["code"]})
    assert proved["Location"] == reverse("bc-result")
    on = client.post(reverse("bc-alerts-subscribe"), {"by_sms": "on"})
    assert on["Location"] == reverse("bc-alerts-pending")
    (subscription,) = Subscription.objects.filter(channel="sms", confirmed_at__isnull=False)
    return subscription


def _one_text_for_both(standin, settings, texts) -> object:
    (alert,) = _alert_texts(standin, settings)
    assert alert.number == E164 and alert.sign_name == "泄露查"
    assert alert.params == {"count": "2", "number": MASKED}
    assert alert.serial
    assert [(d.status, d.provider_id) for d in texts] == [("sent", alert.serial)] * 2
    assert standin.auth_failures == []
    return alert


def _waits_for_midnight(delivery: AlertDelivery) -> None:
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempts == 0
    midnight = datetime.datetime.fromtimestamp(shanghai_day_end(), datetime.UTC)
    assert delivery.next_attempt_at == midnight


def _receipts(standin, live_server, alert, texts: list[AlertDelivery]) -> None:
    """The provider posts its receipts to the URL docs/SMS.md gives for its console:
    first a failure, then a late delivery (which wins)."""
    url = f"{live_server.url}/sms/receipts/{standin.provider}/{TOKEN}/"
    status, body = standin.post_receipts(url, [alert], **FAILED[standin.provider])
    assert (status, json.loads(body)) == (200, ANSWERS[standin.provider])
    pks = [d.pk for d in texts]
    failed = AlertDelivery.objects.filter(pk__in=pks).order_by("pk")
    assert [(d.status, d.receipt_at is not None) for d in failed] == [("undelivered", True)] * 2
    assert all("MK:0001" in d.last_error for d in failed)

    status, _ = standin.post_receipts(url)  # every text delivered: the code's and the alert's
    assert status == 200
    delivered = AlertDelivery.objects.filter(pk__in=pks).values_list("status", "last_error")
    assert list(delivered) == [("delivered", "")] * 2


def _admin_rows(admin_client, state: str) -> list[str]:
    """The breaches of the alerts the admin's list shows in this state."""
    html = admin_client.get(f"/admin/alerts/alertdelivery/?state={state}").content.decode()
    table = html.split('id="result_list"')[1].split("</table>")[0]
    return sorted(re.findall(r'<td class="field-breach[^"]*">([^<]+)</td>', table))


def test_the_holder_flow_through_each_provider(
    client, provider, settings, tmp_path, live_server, all_logs, eager_celery, admin_client
):
    gather = settings.ALERTS_SMS_GATHER_SECONDS = 60
    subscription = _prove_and_subscribe(client, provider, settings)

    # Two breaches land together: their texts wait out the gather window, then go as one.
    started = timezone.now()
    jobs = [_import(tmp_path, "shop"), _import(tmp_path, "clinic")]
    for job in jobs:
        job.refresh_from_db()
        assert job.status == ImportJob.Status.DONE, job.error
    texts = AlertDelivery.objects.filter(subscription=subscription).order_by("pk")
    assert [d.job_id for d in texts] == [job.pk for job in jobs]
    assert all(d.status == "pending" and d.next_attempt_at > started for d in texts)
    assert _alert_texts(provider, settings) == []  # gathering

    # The window ends (as the send task queued for its end would find it).
    texts.update(next_attempt_at=F("next_attempt_at") - datetime.timedelta(seconds=gather))
    alerts_send.delay()
    alert = _one_text_for_both(provider, settings, texts.all())

    # A third breach the same day makes no second text that day: it waits for midnight.
    third = _import(tmp_path, "forum")
    AlertDelivery.objects.filter(job=third).update(next_attempt_at=timezone.now())
    alerts_send.delay()
    assert _alert_texts(provider, settings) == [alert]
    _waits_for_midnight(AlertDelivery.objects.get(job=third))

    _receipts(provider, live_server, alert, list(texts.filter(job__in=jobs)))
    assert AlertDelivery.objects.get(job=third).status == "pending"
    # The admin lists the alerts by state.
    assert _admin_rows(admin_client, "delivered") == ["Clinic", "Shop"]
    assert _admin_rows(admin_client, "waiting") == ["Forum"]

    # The number is nowhere: not in the logs (which did record the flow), the database,
    # the cache, the broker or the session.
    assert "alert text sent for 2 alerts" in all_logs.text
    assert "sms receipts from" in all_logs.text
    assert_number_nowhere([NUMBER], logs=all_logs, client=client)


@pytest.fixture
def provider_worker(provider, settings, monkeypatch, live_server):
    """A real worker process configured from the environment, as in production, to
    text through the stand-in."""
    settings.ALERTS_SMS_GATHER_SECONDS = GATHER
    names = [
        "SMS_BACKEND",
        "SMS_ENDPOINT",
        "SMS_ACCESS_KEY_ID",
        "SMS_ACCESS_KEY_SECRET",
        "SMS_APP_ID",
        "SMS_SIGN_NAME",
        "SMS_TEMPLATE_CODE",
        "SMS_TEMPLATE_ALERT",
        "SMS_QUIET_HOURS",
        "ALERTS_SMS_GATHER_SECONDS",
    ]
    for name in names:
        monkeypatch.setenv(name, str(getattr(settings, name)))
    monkeypatch.setenv("SITE_URL", live_server.url)
    purge_queue()
    return start_worker


@pytest.mark.worker
def test_the_holder_flow_through_a_real_worker(
    client, provider, provider_worker, settings, tmp_path, live_server
):
    subscription = _prove_and_subscribe(client, provider, settings)

    # Both imports are queued before the worker starts: they land together.
    jobs = [_import(tmp_path, "shop"), _import(tmp_path, "clinic")]
    worker = provider_worker()
    try:
        texts = AlertDelivery.objects.filter(subscription=subscription).order_by("pk")
        wait_for(lambda: texts.count() == 2, what="both imports' alerts", timeout=90)
        finished = [ImportJob.objects.get(pk=job.pk).finished_at for job in jobs]
        assert abs((finished[1] - finished[0]).total_seconds()) < GATHER, "not together"

        # The send queued for the end of the window sends one text for both.
        wait_for(lambda: _alert_texts(provider, settings), what="the alert text", timeout=90)
        wait_for(
            lambda: all(d.status == "sent" for d in texts.all()),
            what="both marked sent",
            timeout=90,
        )
        alert = _one_text_for_both(provider, settings, texts.all())
        # It waited out the window, and went within two minutes of the first import.
        waited = (texts[0].sent_at - min(finished)).total_seconds()
        assert GATHER <= waited < 120

        # A third breach the same day: its window ends, and it waits for midnight.
        third = _import(tmp_path, "forum")
        wait_for(
            lambda: AlertDelivery.objects.filter(
                job=third, next_attempt_at__gt=timezone.now() + datetime.timedelta(seconds=60)
            ).exists(),
            what="the third alert deferred",
            timeout=90,
        )
        assert _alert_texts(provider, settings) == [alert]
        _waits_for_midnight(AlertDelivery.objects.get(job=third))
    finally:
        stop_worker(worker)

    _receipts(provider, live_server, alert, list(texts.filter(job__in=jobs)))
    log = worker.log_path.read_text()
    assert "alerts_send" in log and "alert text sent for 2 alerts" in log
    for variant in digits_variants(NUMBER):
        assert variant not in log
    assert_number_nowhere([NUMBER], client=client)
