"""Alerts after an import: matching, exactly-once sending, retries, throttling."""

import datetime
import re

import pytest
from django.utils import timezone

from alerts import sending
from alerts.models import AlertDelivery, Subscription
from alerts.services import deliveries_create_for_job
from alerts.tasks import alerts_match, alerts_send
from imports.importer import import_run
from leaks.models import Breach
from tests.factories import dump_job, subscribe
from tests.support.privacy_scan import database_text, digits_variants

pytestmark = pytest.mark.django_db

NUMBER = "13800138000"
E164 = "+8613800138000"


@pytest.fixture(autouse=True)
def _texts_without_gathering(settings):
    # The gather window has tests of its own (test_texts.py).
    settings.ALERTS_SMS_GATHER_SECONDS = 0


@pytest.fixture
def shop():
    return Breach.objects.create(
        slug="shop",
        title="Card shop members",
        published_at=timezone.now(),
        breach_date=datetime.date(2024, 3, 1),
        data_classes=["phone", "address"],
    )


@pytest.fixture
def clinic():
    return Breach.objects.create(
        slug="clinic",
        title="Clinic patients",
        is_sensitive=True,
        data_classes=["phone", "health"],
        published_at=timezone.now(),
    )


def _import(tmp_path, breach, numbers, capture, name="dump.csv"):
    job = dump_job(tmp_path, breach, numbers, name)
    with capture(execute=True):
        import_run(job)
    return job


@pytest.mark.slow
def test_an_import_alerts_each_confirmed_subscriber_once(
    tmp_path, shop, smtp_server, sms_stub, eager_celery, django_capture_on_commit_callbacks
):
    subscribe(NUMBER, email="a@example.com")
    subscribe(NUMBER, email="unconfirmed@example.com", confirmed=False)
    subscribe(NUMBER)
    subscribe("13900139000", email="other@example.com")

    _import(tmp_path, shop, [NUMBER, "13700137000"], django_capture_on_commit_callbacks)

    assert [m.rcpt_tos for m in smtp_server.messages] == [["a@example.com"]]
    received = smtp_server.messages[0]
    assert "Card shop members" in received.message["Subject"]
    text = received.part("plain")
    assert "2024-03-01" in text and "Physical addresses" in text and "96110" in text
    assert "Card shop members" in received.part("html")
    unsubscribe = re.search(
        r"<(http\S+/alerts/unsubscribe/\S+/)>", received.message["List-Unsubscribe"]
    )
    assert unsubscribe and unsubscribe.group(1) in text
    assert received.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert received.message["Message-ID"].startswith("<bc-alert-")

    (sms,) = sms_stub.requests
    assert sms.form["To"] == E164
    # A text is the alert template: how many new breaches, the masked number, the site.
    assert "138****8000" in sms.form["Body"] and " 1 " in sms.form["Body"]
    assert "Card shop members" not in sms.form["Body"]
    # No link in a text: in China a text with a link looks like phishing.
    assert "http" not in sms.form["Body"] and "/alerts/" not in sms.form["Body"]
    assert set(AlertDelivery.objects.values_list("status", flat=True)) == {"sent"}
    assert AlertDelivery.objects.count() == 2


@pytest.mark.slow
def test_only_numbers_new_to_the_breach_alert(
    tmp_path, shop, smtp_server, eager_celery, django_capture_on_commit_callbacks
):
    subscribe(NUMBER, email="a@example.com")
    _import(tmp_path, shop, [NUMBER], django_capture_on_commit_callbacks, "one.csv")
    _import(tmp_path, shop, [NUMBER, "13700137000"], django_capture_on_commit_callbacks, "two.csv")
    assert len(smtp_server.messages) == 1


@pytest.mark.slow
def test_a_sensitive_breach_is_told_only_over_the_number_itself(
    tmp_path, clinic, smtp_server, sms_stub, eager_celery, django_capture_on_commit_callbacks
):
    subscribe(NUMBER, email="a@example.com")
    subscribe(NUMBER)
    _import(tmp_path, clinic, [NUMBER], django_capture_on_commit_callbacks)

    # An inbox may be read by others: it gets nothing about a sensitive breach.
    assert smtp_server.messages == []
    (text,) = sms_stub.requests
    assert "138****8000" in text.form["Body"]


@pytest.mark.slow
def test_with_proof_required_email_alerts_name_no_breach(
    tmp_path,
    shop,
    smtp_server,
    sms_stub,
    eager_celery,
    django_capture_on_commit_callbacks,
    settings,
):
    settings.RESULTS_REQUIRE_PROOF = True
    subscribe(NUMBER, email="a@example.com")
    subscribe(NUMBER)
    _import(tmp_path, shop, [NUMBER], django_capture_on_commit_callbacks)

    (received,) = smtp_server.messages
    everything = received.message["Subject"] + received.part("plain") + received.part("html")
    assert "Card shop" not in everything
    assert len(sms_stub.requests) == 1


@pytest.mark.slow
def test_a_retried_task_sends_nothing_twice(
    tmp_path, shop, smtp_server, sms_stub, eager_celery, django_capture_on_commit_callbacks
):
    subscribe(NUMBER, email="a@example.com")
    subscribe(NUMBER)
    job = _import(tmp_path, shop, [NUMBER], django_capture_on_commit_callbacks)
    assert len(smtp_server.messages) == 1 and len(sms_stub.requests) == 1

    # The broker delivers both tasks again (a retry, a lost ack, a second worker).
    alerts_match.apply(args=[job.pk])
    alerts_send.apply()
    assert deliveries_create_for_job(job=job) == 0
    assert len(smtp_server.messages) == 1 and len(sms_stub.requests) == 1


def _pending(tmp_path, breach, emails):
    for email in emails:
        subscribe(NUMBER, email=email)
    job = dump_job(tmp_path, breach, [NUMBER])
    import_run(job)  # inside the test transaction: its on_commit hook does not fire
    assert deliveries_create_for_job(job=job) == len(emails)
    return job


def test_a_claimed_alert_is_not_claimed_again(tmp_path, shop):
    _pending(tmp_path, shop, ["a@example.com"])
    first = sending.delivery_claim_next(skip_channels=set())
    assert first.status == "sending" and first.attempts == 1
    assert sending.delivery_claim_next(skip_channels=set()) is None


@pytest.mark.slow
def test_a_temporary_failure_is_retried_with_backoff_and_shown_without_the_address(
    tmp_path, shop, smtp_server, settings, all_logs
):
    settings.ALERTS_RETRY_BACKOFF_SECONDS = 120
    _pending(tmp_path, shop, ["a@example.com"])
    smtp_server.fail_reply = "451 4.3.0 a@example.com mailbox busy, try later"

    report = sending.deliveries_send_due(limit=10)
    assert (report.sent, report.retrying) == (0, 1)
    delivery = AlertDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "451" in delivery.last_error and "a@example.com" not in delivery.last_error
    wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
    assert 100 < wait <= 120
    # Not due yet: nothing is sent before the backoff is over.
    assert sending.deliveries_send_due(limit=10).retrying == 0

    smtp_server.fail_reply = None
    AlertDelivery.objects.update(next_attempt_at=timezone.now())
    assert sending.deliveries_send_due(limit=10).sent == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 2, "")
    assert len(smtp_server.messages) == 1
    assert "a@example.com" not in all_logs.text


def test_backoff_grows_and_is_capped(settings):
    settings.ALERTS_RETRY_BACKOFF_SECONDS = 60
    settings.ALERTS_RETRY_BACKOFF_MAX_SECONDS = 600
    assert [sending.backoff_seconds(n) for n in (1, 2, 3, 4, 5, 6)] == [60, 120, 240, 480, 600, 600]


@pytest.mark.slow
def test_it_gives_up_after_the_last_attempt(tmp_path, shop, sms_stub, settings):
    settings.ALERTS_MAX_ATTEMPTS = 2
    subscribe(NUMBER)
    job = dump_job(tmp_path, shop, [NUMBER])
    import_run(job)
    deliveries_create_for_job(job=job)
    sms_stub.fail(400, code=21211, message="The 'To' number +86 138 0013 8000 is not valid.")
    for _ in range(2):
        sending.deliveries_send_due(limit=10)
        AlertDelivery.objects.filter(status="pending").update(next_attempt_at=timezone.now())
        # A failed text keeps its day taken (it may have gone out): the next day comes.
        Subscription.objects.update(next_text_at=None)
    delivery = AlertDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    assert "21211" in delivery.last_error and "8000" not in delivery.last_error
    assert len(sms_stub.requests) == 2


def test_a_stale_claim_is_sent_again_and_a_fresh_one_is_not(tmp_path, shop, smtp_server, settings):
    settings.ALERTS_SENDING_LEASE_SECONDS = 60
    _pending(tmp_path, shop, ["a@example.com"])
    sending.delivery_claim_next(skip_channels=set())  # a worker claimed it, then died
    assert sending.deliveries_send_due(limit=10).sent == 0
    AlertDelivery.objects.update(claimed_at=timezone.now() - timezone.timedelta(seconds=61))
    assert sending.deliveries_send_due(limit=10).sent == 1
    assert AlertDelivery.objects.get().attempts == 2
    assert len(smtp_server.messages) == 1


@pytest.mark.slow
def test_sending_is_throttled_per_channel(tmp_path, shop, smtp_server, settings):
    # An hour's window: a minute's could roll over mid-test and let a third through.
    settings.ALERTS_EMAIL_RATE = "2/h"
    _pending(tmp_path, shop, ["a@example.com", "b@example.com", "c@example.com"])
    report = sending.deliveries_send_due(limit=10)
    assert report.sent == 2
    assert 0 < report.throttled["email"] <= 3601
    assert len(smtp_server.messages) == 2
    left = AlertDelivery.objects.get(status="pending")
    assert left.attempts == 0


@pytest.mark.slow
def test_one_run_sends_one_batch(tmp_path, shop, smtp_server):
    _pending(tmp_path, shop, ["a@example.com", "b@example.com", "c@example.com"])
    assert sending.deliveries_send_due(limit=2).sent == 2
    assert sending.seconds_until_next_due() == 0
    assert sending.deliveries_send_due(limit=2).sent == 1
    assert sending.seconds_until_next_due() is None


def test_subscribers_confirmed_after_the_import_get_no_alert_for_it(tmp_path, shop):
    job = dump_job(tmp_path, shop, [NUMBER])
    import_run(job)
    subscription = subscribe(NUMBER, email="late@example.com")
    subscription.confirmed_at = timezone.now() + timezone.timedelta(minutes=5)
    subscription.save()
    assert deliveries_create_for_job(job=job) == 0


@pytest.mark.slow
def test_the_alert_flow_keeps_numbers_and_contacts_out_of_storage_and_logs(
    tmp_path,
    shop,
    smtp_server,
    sms_stub,
    eager_celery,
    django_capture_on_commit_callbacks,
    all_logs,
):
    subscribe(NUMBER, email="ming.li@example.com")
    subscribe(NUMBER)
    _import(tmp_path, shop, [NUMBER], django_capture_on_commit_callbacks)
    assert len(smtp_server.messages) == 1 and len(sms_stub.requests) == 1
    text = database_text() + all_logs.text
    for secret in ["ming.li", *digits_variants(NUMBER)]:
        assert secret not in text


def test_a_send_lost_with_its_worker_every_time_ends_as_failed(
    tmp_path, shop, smtp_server, settings
):
    settings.ALERTS_MAX_ATTEMPTS = 2
    settings.ALERTS_SENDING_LEASE_SECONDS = 60
    _pending(tmp_path, shop, ["a@example.com"])
    long_ago = timezone.now() - timezone.timedelta(seconds=61)
    AlertDelivery.objects.update(status="sending", attempts=2, claimed_at=long_ago)
    assert sending.deliveries_send_due(limit=10).sent == 0
    delivery = AlertDelivery.objects.get()
    assert delivery.status == "failed" and "lost" in delivery.last_error
    assert smtp_server.messages == []


def test_an_unexpected_error_is_recorded_and_retried(tmp_path, shop, smtp_server, settings):
    _pending(tmp_path, shop, ["a@example.com"])
    settings.ALERTS_FERNET_KEY = "bm90LXRoZS1rZXktdGhhdC1lbmNyeXB0ZWQtaXQtLS0="  # the key was lost
    report = sending.deliveries_send_due(limit=10)
    assert report.retrying == 1
    delivery = AlertDelivery.objects.get()
    assert delivery.status == "pending" and "ImproperlyConfigured" in delivery.last_error
    assert smtp_server.messages == []


def test_the_alert_task_is_published_with_the_job_id_only(
    tmp_path, shop, django_capture_on_commit_callbacks
):
    from celery.signals import before_task_publish

    from tests.support.workers import purge_queue

    published = []

    def record(sender=None, body=None, **kwargs):
        published.append((sender, body))

    subscribe(NUMBER, email="ming@example.com")
    before_task_publish.connect(record)
    try:
        job = _import(tmp_path, shop, [NUMBER], django_capture_on_commit_callbacks)
    finally:
        before_task_publish.disconnect(record)
        purge_queue()
    assert [(name, list(body[0])) for name, body in published] == [
        ("alerts.tasks.alerts_match", [job.pk])
    ]
    assert "ming" not in repr(published) and "8000" not in repr(published)
