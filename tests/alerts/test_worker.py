"""Alerts through real Celery worker processes, a real SMTP server and the SMS stub.

The worker is a separate process: it reads the SMTP server and the SMS stub
from the environment, as a production worker would.
"""

import os
import re
import time

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from alerts.models import AlertDelivery, Subscription
from imports.jobs import import_create
from leaks.models import Breach
from tests.factories import dump_job, subscribe
from tests.support.privacy_scan import digits_variants
from tests.support.services import need
from tests.support.workers import purge_queue, start_worker, stop_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

NUMBER = "13800138000"
E164 = "+86" + NUMBER


@pytest.fixture
def worker_env(monkeypatch, smtp_server, sms_stub, live_server):
    """Point worker processes at the local SMTP server and SMS stub."""
    if settings.REDIS_URL:
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL).ping()
        except redis.RedisError:
            need(False, "Redis at REDIS_URL")
    values = {
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_server.port),
        "SMS_BACKEND": "proof.sms.TwilioBackend",
        "SMS_API_BASE_URL": sms_stub.base_url,
        "SMS_ACCOUNT_SID": settings.SMS_ACCOUNT_SID,
        "SMS_AUTH_TOKEN": settings.SMS_AUTH_TOKEN,
        "SMS_FROM": settings.SMS_FROM,
        "SITE_URL": live_server.url,
        "ALERTS_SENDING_LEASE_SECONDS": "3",
        "ALERTS_RETRY_BACKOFF_SECONDS": "1",
        # A text waits a second for breaches finishing with its own (60 in production).
        "ALERTS_SMS_GATHER_SECONDS": "1",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    purge_queue()
    return values


@pytest.fixture
def workers():
    started = []

    def start(name: str = "w1"):
        proc = start_worker(name=name)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        stop_worker(proc)


def test_a_subscriber_gets_the_alert_of_an_import_run_by_the_worker(
    client, worker_env, workers, smtp_server, sms_stub, tmp_path, capsys
):
    # Prove the number, then subscribe by email and by SMS through the site.
    client.post(reverse("bc-proof-send"), {"phone": NUMBER})
    code = re.search(r"\b(\d{6})\b", sms_stub.bodies[-1]).group(1)
    client.post(reverse("bc-proof-code"), {"code": code})
    client.post(reverse("bc-alerts-subscribe"), {"email": "li@example.com", "by_sms": "on"})
    (confirmation,) = smtp_server.messages
    link = re.search(r"https?://\S+(/alerts/confirm/\S+/)", confirmation.part("plain")).group(1)
    client.post(link)
    assert Subscription.objects.filter(confirmed_at__isnull=False).count() == 2

    worker = workers()
    dump = tmp_path / "members.csv"
    dump.write_text("姓名,手机号\n张三,13800138000\n李四,13900139000\n")
    call_command(
        "import_breach", str(dump), "--breach", "worker-shop", "--timeout", "60", "--publish"
    )
    assert "done" in capsys.readouterr().out

    # The proof's code was the first text; the alert is the second.
    wait_for(lambda: len(smtp_server.messages) == 2 and len(sms_stub.requests) == 2, what="alerts")
    alert = smtp_server.messages[1]
    assert alert.rcpt_tos == ["li@example.com"]
    assert "worker-shop" in alert.message["Subject"]
    assert (
        alert.message["List-Unsubscribe"]
        .strip()
        .startswith(f"<{worker_env['SITE_URL']}/alerts/unsubscribe/")
    )
    assert sms_stub.requests[1].form["To"] == E164 and "138****8000" in sms_stub.bodies[1]
    assert set(AlertDelivery.objects.values_list("status", flat=True)) == {"sent"}

    log = worker.log_path.read_text()
    assert "alerts_send" in log
    for secret in ["li@example.com", *digits_variants(NUMBER)]:
        assert secret not in log


def test_a_temporary_smtp_failure_is_retried_by_the_worker_and_sent_once(
    worker_env, workers, smtp_server, tmp_path
):
    breach = Breach.objects.create(slug="shop", title="Shop", published_at=timezone.now())
    for name in ("a", "b"):
        subscribe(NUMBER, email=f"{name}@example.com")
    smtp_server.fail_reply, smtp_server.fail_count = "451 4.3.0 Try again later", 1
    workers()
    import_create(
        breach=breach, path=dump_job(tmp_path, breach, [NUMBER]).file_path, source_name="x"
    )

    wait_for(lambda: AlertDelivery.objects.filter(status="sent").count() == 2, what="both sent")
    time.sleep(2)
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == ["a@example.com", "b@example.com"]
    assert sorted(AlertDelivery.objects.values_list("attempts", flat=True)) == [1, 2]


def test_a_worker_killed_mid_send_neither_repeats_nor_skips_an_alert(
    worker_env, workers, smtp_server, tmp_path
):
    breach = Breach.objects.create(slug="shop", title="Shop", published_at=timezone.now())
    emails = [f"{name}@example.com" for name in ("a", "b", "c", "d")]
    for email in emails:
        subscribe(NUMBER, email=email)
    # The SMTP server holds the third recipient: the worker is inside the SMTP
    # conversation for that alert when it is killed.
    held = emails[2]
    smtp_server.hold_address = held
    first = workers("w1")
    import_create(
        breach=breach, path=dump_job(tmp_path, breach, [NUMBER]).file_path, source_name="x"
    )
    assert smtp_server.held.wait(60), "the worker never reached the held recipient"
    first.kill()  # SIGKILL: no cleanup, no ack, the claim stays behind
    first.wait()
    smtp_server.hold_address = None
    smtp_server.release.set()
    held_row = AlertDelivery.objects.get(
        subscription__in=[s for s in Subscription.objects.all() if _is(s, held)]
    )
    assert held_row.status == "sending"

    workers("w2")
    wait_for(lambda: AlertDelivery.objects.filter(status="sent").count() == 4, what="all sent")
    time.sleep(2)
    received = sorted(m.rcpt_tos[0] for m in smtp_server.messages)
    assert received == emails
    held_row.refresh_from_db()
    assert held_row.attempts == 2


def _is(subscription: Subscription, email: str) -> bool:
    from alerts.services import subscription_contact

    return subscription_contact(subscription)["to"] == email


def test_the_worker_environment_does_not_leak_into_this_process():
    assert os.getenv("EMAIL_HOST") is None


def test_a_strangers_address_learns_nothing_while_the_proven_owner_gets_one_alert(
    client, worker_env, workers, smtp_server, sms_stub, tmp_path, capsys
):
    from django.test import Client

    # The stranger tries the site: without the texted code nothing is made or sent.
    stranger = Client()
    stranger.post(reverse("bc-proof-send"), {"phone": NUMBER})
    stranger.post(reverse("bc-proof-code"), {"code": "000000"})
    stranger.post(reverse("bc-alerts-subscribe"), {"email": "stranger@example.com"})
    assert not Subscription.objects.exists()
    # A confirmed address from before the gate, whose number nobody proved.
    legacy = subscribe(NUMBER, email="legacy@example.com")
    Subscription.objects.filter(pk=legacy.pk).update(number_proven_at=None)

    # The holder asks too: one code per number per window, so no second text is
    # sent, and the code the stranger had sent to the phone is the one to type.
    client.post(reverse("bc-proof-send"), {"phone": NUMBER})
    assert len(sms_stub.requests) == 1
    code = re.search(r"\b(\d{6})\b", sms_stub.bodies[-1]).group(1)
    client.post(reverse("bc-proof-code"), {"code": code})
    client.post(reverse("bc-alerts-subscribe"), {"email": "owner@example.com"})
    (confirmation,) = [m for m in smtp_server.messages if m.rcpt_tos == ["owner@example.com"]]
    link = re.search(r"https?://\S+(/alerts/confirm/\S+/)", confirmation.part("plain")).group(1)
    client.post(link)
    smtp_server.messages.clear()

    workers()
    Breach.objects.create(slug="clinic", title="Clinic patients", is_sensitive=True)
    for slug in ("worker-shop", "clinic"):
        dump = tmp_path / f"{slug}.csv"
        dump.write_text(f"姓名,手机号\n张三,{NUMBER}\n")
        call_command("import_breach", str(dump), "--breach", slug, "--timeout", "60", "--publish")
    wait_for(lambda: AlertDelivery.objects.filter(status="sent").exists(), what="the alert")
    wait_for(lambda: Breach.objects.filter(imports__status="done").count() == 2, what="imports")
    time.sleep(3)  # time for any wrong alert to go out too

    (alert,) = smtp_server.messages
    assert alert.rcpt_tos == ["owner@example.com"]
    assert "worker-shop" in alert.message["Subject"]
    assert "Clinic" not in alert.part("plain") + alert.message["Subject"]
    assert AlertDelivery.objects.count() == 1
