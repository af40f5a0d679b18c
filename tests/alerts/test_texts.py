"""Alert texts: one a day per number carrying every waiting alert, a gather window,
quiet hours, the provider's daily cap left to codes, what each provider answer does,
and nothing sent when the shared counters cannot be reached."""

import datetime
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from alerts import schedule, sending
from alerts.models import AlertDelivery, Subscription
from alerts.services import deliveries_create_for_job
from alerts.tasks import alerts_send
from disclosure.policy import authorize_sms, shanghai_day_end
from imports.importer import import_run
from leaks.models import Breach
from proof.sms import SmsError, SmsNumberRejected, SmsOperatorError, SmsThrottled, Text, render_text
from tests.alerts.text_backends import ScriptedBackend
from tests.factories import dump_job, subscribe

pytestmark = pytest.mark.django_db

NUMBER = "13800138000"
E164 = "+86" + NUMBER
MASKED = "138****8000"
SHANGHAI = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def scripted(settings):
    settings.SMS_BACKEND = "tests.alerts.text_backends.ScriptedBackend"
    ScriptedBackend.reset()
    yield ScriptedBackend
    ScriptedBackend.reset()


def _breach(slug: str) -> Breach:
    return Breach.objects.create(
        slug=slug, title=slug.title(), pwn_count=1, published_at=timezone.now()
    )


def _waiting(*slugs: str) -> list[AlertDelivery]:
    """Alerts of one SMS subscription, due now."""
    subscription = subscribe(NUMBER)
    return [
        AlertDelivery.objects.create(
            subscription=subscription, breach=_breach(slug), next_attempt_at=timezone.now()
        )
        for slug in slugs
    ]


def _fresh(delivery: AlertDelivery) -> AlertDelivery:
    delivery.refresh_from_db()
    return delivery


def _next_midnight() -> datetime.datetime:
    return datetime.datetime.fromtimestamp(shanghai_day_end(), datetime.UTC)


# When a text may go: pure functions of the clock.


def test_quiet_hours_read_as_a_range_on_the_shanghai_clock():
    assert schedule.parse_quiet_hours("") is None
    assert schedule.parse_quiet_hours("22-8") == (datetime.time(22), datetime.time(8))
    assert schedule.parse_quiet_hours(" 22:30 - 07:45 ") == (
        datetime.time(22, 30),
        datetime.time(7, 45),
    )
    for bad in ("10pm-8am", "22", "25-8", "22-8-9", "8-8", "22:61-8"):
        with pytest.raises(ImproperlyConfigured, match="SMS_QUIET_HOURS"):
            schedule.parse_quiet_hours(bad)


def test_a_text_in_the_quiet_hours_waits_for_their_end():
    hours = schedule.parse_quiet_hours("22-8")
    at = datetime.datetime(2026, 12, 7, 23, 30, tzinfo=SHANGHAI)
    assert schedule.quiet_until(at, hours) == datetime.datetime(2026, 12, 8, 8, tzinfo=SHANGHAI)
    early = datetime.datetime(2026, 12, 8, 6, 0, tzinfo=SHANGHAI)
    assert schedule.quiet_until(early, hours) == datetime.datetime(2026, 12, 8, 8, tzinfo=SHANGHAI)
    for awake in (datetime.time(8), datetime.time(12), datetime.time(21, 59)):
        noon = datetime.datetime.combine(datetime.date(2026, 12, 8), awake, SHANGHAI)
        assert schedule.quiet_until(noon, hours) is None
        assert schedule.text_time(noon, not_before=None, hours=hours) == noon
    # Within one day too ("1-6"), and none at all.
    night = schedule.parse_quiet_hours("1-6")
    assert (
        schedule.quiet_until(datetime.datetime(2026, 12, 8, 0, 30, tzinfo=SHANGHAI), night) is None
    )
    assert schedule.quiet_until(at, None) is None


def test_the_next_day_starts_at_midnight_in_shanghai_and_waits_out_the_quiet_hours():
    # 23:30 UTC on the 7th is 07:30 on the 8th in Shanghai.
    now = datetime.datetime(2026, 12, 7, 23, 30, tzinfo=datetime.UTC)
    day = schedule.next_day_start(now)
    assert day == datetime.datetime(2026, 12, 9, 0, 0, tzinfo=SHANGHAI)
    hours = schedule.parse_quiet_hours("22-8")
    assert schedule.text_time(now, not_before=day, hours=hours) == datetime.datetime(
        2026, 12, 9, 8, 0, tzinfo=SHANGHAI
    )
    # The day's text taken: wait for the day; free: only the quiet hours count.
    assert schedule.text_time(now, not_before=None, hours=hours) == datetime.datetime(
        2026, 12, 8, 8, 0, tzinfo=SHANGHAI
    )


@pytest.mark.slow
def test_a_bad_quiet_hours_setting_stops_the_site_at_startup(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "SMS_QUIET_HOURS": "late-early",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "SMS_QUIET_HOURS='late-early' is not a range of hours" in done.stderr


# What a text says.


def test_the_alert_text_names_the_count_the_masked_number_and_the_site_never_a_link(settings):
    settings.SITE_URL = "https://xielou.example"
    settings.SMS_SIGN_NAME = "泄露查"
    text = render_text(Text("alert", ("2", MASKED), language="zh-hans"))
    chinese, english = text.splitlines()
    assert chinese.startswith("【泄露查】") and MASKED in chinese and "2 个" in chinese
    assert "xielou.example" in chinese and "in 2 newly imported" in english
    assert "://" not in text and NUMBER not in text


# One text a day.


@pytest.mark.slow
def test_two_breaches_landing_together_make_one_text(tmp_path, scripted, settings):
    settings.ALERTS_SMS_GATHER_SECONDS = 60
    subscription = subscribe(NUMBER)
    subscribe(NUMBER, email="li@example.com")
    for slug in ("shop", "clinic"):
        job = dump_job(tmp_path, _breach(slug), [NUMBER], f"{slug}.csv")
        import_run(job)
        deliveries_create_for_job(job=job)
    texts = AlertDelivery.objects.filter(subscription=subscription).order_by("pk")
    finished = timezone.now()
    # A text waits the gather window, well within the two minutes it is due in.
    for delivery in texts:
        wait = (delivery.next_attempt_at - finished).total_seconds()
        assert 50 < wait <= 60
    report = sending.deliveries_send_due(limit=10)
    assert report.sent == 2  # the two emails; the text is gathering
    assert scripted.sent == []

    texts.filter(pk=texts[0].pk).update(next_attempt_at=timezone.now())  # the minute is over
    assert sending.deliveries_send_due(limit=10).sent == 1
    ((to, text, serial),) = scripted.sent
    assert to == E164 and text.kind == "alert" and text.params == ("2", MASKED)
    assert [(d.status, d.provider_id, d.attempts) for d in texts.all()] == [("sent", serial, 1)] * 2
    subscription.refresh_from_db()
    assert subscription.next_text_at == _next_midnight()


def test_what_lands_later_that_day_waits_for_the_next_day(scripted):
    (first,) = _waiting("shop")
    assert sending.deliveries_send_due(limit=10).sent == 1
    second = AlertDelivery.objects.create(
        subscription=first.subscription, breach=_breach("clinic"), next_attempt_at=timezone.now()
    )
    report = sending.deliveries_send_due(limit=10)
    assert (report.sent, report.deferred) == (0, 1)
    second = _fresh(second)
    assert (second.status, second.attempts) == ("pending", 0)
    assert second.next_attempt_at == _next_midnight()
    assert len(scripted.sent) == 1

    # The next day (the clock moved on): its own text, counting what waited.
    Subscription.objects.update(next_text_at=timezone.now() - datetime.timedelta(seconds=1))
    AlertDelivery.objects.filter(pk=second.pk).update(next_attempt_at=timezone.now())
    assert sending.deliveries_send_due(limit=10).sent == 1
    assert [text.params for _, text, _ in scripted.sent] == [("1", MASKED), ("1", MASKED)]
    assert _fresh(second).provider_id == "serial-2"


def test_two_workers_holding_alerts_of_one_number_send_one_text_that_day(scripted):
    first, second = _waiting("shop", "clinic")
    one = sending.delivery_claim_next(skip_channels=set())
    other = sending.delivery_claim_next(skip_channels=set())
    assert {one.pk, other.pk} == {first.pk, second.pk}
    assert sending.text_send(delivery=one) == "sent"
    assert sending.text_send(delivery=other) == "deferred"
    assert [text.params for _, text, _ in scripted.sent] == [("1", MASKED)]
    other = _fresh(other)
    assert (other.status, other.attempts, other.next_attempt_at) == (
        "pending",
        0,
        _next_midnight(),
    )


def test_a_text_waits_out_the_quiet_hours(scripted, settings):
    settings.SMS_QUIET_HOURS = "22-8"
    first, second = _waiting("shop", "clinic")
    claimed = sending.delivery_claim_next(skip_channels=set())
    night = datetime.datetime(2026, 12, 7, 23, 30, tzinfo=SHANGHAI)
    assert sending.text_send(delivery=claimed, now=night) == "deferred"
    morning = datetime.datetime(2026, 12, 8, 8, 0, tzinfo=SHANGHAI)
    for delivery in (first, second):
        delivery = _fresh(delivery)
        assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (
            "pending",
            0,
            morning,
        )
    assert scripted.tried == 0
    assert Subscription.objects.get().next_text_at is None


def test_an_alert_never_takes_the_last_text_a_code_may_need(scripted, settings, rf):
    settings.SMS_PROVIDER_DAILY_LIMIT = 2
    settings.RATELIMIT_SMS_PER_NUMBER = "10/m"
    (delivery,) = _waiting("shop")
    assert authorize_sms(rf.post("/", REMOTE_ADDR="203.0.113.5"), E164)  # this morning's code

    report = sending.deliveries_send_due(limit=10)
    assert (report.sent, report.deferred) == (0, 1)
    delivery = _fresh(delivery)
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    # It waits for the provider's next day; the day's text is given back.
    wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
    assert abs(wait - (shanghai_day_end() - time.time())) < 5
    assert Subscription.objects.get().next_text_at is None
    assert scripted.tried == 0
    # The last text of the day is still there for a code.
    assert authorize_sms(rf.post("/", REMOTE_ADDR="203.0.113.6"), E164)
    assert not authorize_sms(rf.post("/", REMOTE_ADDR="203.0.113.7"), E164)


# The provider's answers.


def test_a_throttled_text_waits_the_window_without_spending_an_attempt(scripted):
    first, second = _waiting("shop", "clinic")
    scripted.answer = SmsThrottled("LimitExceeded.PhoneNumberDailyLimit", retry_after=900)
    report = sending.deliveries_send_due(limit=10)
    assert (report.sent, report.deferred, report.failed) == (0, 1, 0)
    assert scripted.tried == 1
    for delivery in (first, second):
        delivery = _fresh(delivery)
        assert (delivery.status, delivery.attempts) == ("pending", 0)
        assert 890 < (delivery.next_attempt_at - timezone.now()).total_seconds() <= 900
        assert "SmsThrottled" in delivery.last_error
    # Nothing went out: the number's day is free again.
    assert Subscription.objects.get().next_text_at is None

    scripted.answer = None
    AlertDelivery.objects.update(next_attempt_at=timezone.now())
    assert sending.deliveries_send_due(limit=10).sent == 1
    assert [text.params for _, text, _ in scripted.sent] == [("2", MASKED)]


def test_a_rejected_number_fails_at_once_with_a_clear_message(scripted, all_logs):
    first, second = _waiting("shop", "clinic")
    scripted.answer = SmsNumberRejected(
        "InvalidParameterValue.IncorrectPhoneNumber", code="IncorrectPhoneNumber"
    )
    report = sending.deliveries_send_due(limit=10)
    assert report.failed == 1 and scripted.tried == 1
    for delivery in (first, second):
        delivery = _fresh(delivery)
        assert (delivery.status, delivery.attempts) == ("failed", 1)
        assert "rejects this number for good" in delivery.last_error
        assert "IncorrectPhoneNumber" in delivery.last_error
    AlertDelivery.objects.update(next_attempt_at=timezone.now())
    assert sending.deliveries_send_due(limit=10).failed == 0
    assert scripted.tried == 1  # never retried
    assert NUMBER not in all_logs.text


def test_an_operator_error_keeps_the_alert_for_retry_without_giving_up(
    scripted, settings, all_logs, admin_client
):
    settings.ALERTS_MAX_ATTEMPTS = 3
    settings.ALERTS_RETRY_BACKOFF_SECONDS = 60
    (delivery,) = _waiting("shop")
    scripted.answer = SmsOperatorError(
        "isv.SMS_SIGNATURE_ILLEGAL", code="isv.SMS_SIGNATURE_ILLEGAL"
    )
    waits = []
    for _ in range(settings.ALERTS_MAX_ATTEMPTS + 3):
        sending.deliveries_send_due(limit=10)
        delivery = _fresh(delivery)
        waits.append(round((delivery.next_attempt_at - timezone.now()).total_seconds() / 60))
        AlertDelivery.objects.update(next_attempt_at=timezone.now())
    assert scripted.tried == settings.ALERTS_MAX_ATTEMPTS + 3
    assert (delivery.status, delivery.attempts, delivery.operator_errors) == ("pending", 0, 6)
    assert waits == [1, 2, 4, 8, 16, 32]  # backing off, never failing
    assert "Operator error" in delivery.last_error and "SIGNATURE" in delivery.last_error
    errors = [r for r in all_logs.records if r.levelno >= logging.ERROR]
    assert errors and "SMS_SIGNATURE_ILLEGAL" in errors[0].getMessage()
    assert NUMBER not in all_logs.text and MASKED not in all_logs.text

    # The admin shows it as an operator error, with a warning on the list.
    page = admin_client.get(
        "/admin/alerts/alertdelivery/?state=operator", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "operator error" in page and "wait for the operator" in page
    assert f'value="{delivery.pk}"' in page
    assert (
        f'value="{delivery.pk}"'
        not in admin_client.get("/admin/alerts/alertdelivery/?state=waiting").content.decode()
    )

    # Fixed: it goes, and the operator error is forgotten.
    scripted.answer = None
    assert sending.deliveries_send_due(limit=10).sent == 1
    delivery = _fresh(delivery)
    assert (delivery.status, delivery.operator_errors, delivery.last_error) == ("sent", 0, "")


def test_a_transient_error_keeps_the_day_taken_and_is_given_up_after_its_attempts(
    scripted, settings
):
    settings.ALERTS_MAX_ATTEMPTS = 2
    (delivery,) = _waiting("shop")
    scripted.answer = SmsError("provider unreachable")
    assert sending.deliveries_send_due(limit=10).retrying == 1
    assert _fresh(delivery).status == "pending"
    # A timeout may hide a text the provider took: no second text that day.
    taken = Subscription.objects.get().next_text_at
    assert taken is not None and taken > timezone.now()
    AlertDelivery.objects.update(next_attempt_at=timezone.now())
    sending.deliveries_send_due(limit=10)
    assert scripted.tried == 1 and _fresh(delivery).attempts == 1
    # The next day it is tried again, and given up after its attempts.
    Subscription.objects.update(next_text_at=timezone.now() - datetime.timedelta(seconds=1))
    AlertDelivery.objects.update(next_attempt_at=timezone.now())
    assert sending.deliveries_send_due(limit=10).failed == 1
    delivery = _fresh(delivery)
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    assert "provider unreachable" in delivery.last_error


# The counters unreachable: nothing is sent.


@pytest.mark.slow
@pytest.mark.parametrize("counter", ["channel rate", "provider day"])
def test_no_text_goes_when_the_counters_cannot_be_reached(
    scripted, private_redis, eager_celery, monkeypatch, counter
):
    if counter == "provider day":
        # Past the channel's rate: the provider's per-number day is what fails.
        monkeypatch.setattr(sending, "throttle_take", lambda channel: 0)
    (delivery,) = _waiting("shop")
    private_redis.kill()

    report = sending.deliveries_send_due(limit=10)
    assert (report.sent, report.failed, report.retrying) == (0, 0, 0)
    assert report.gate_closed > 0  # the seconds until it is tried again
    AlertDelivery.objects.update(next_attempt_at=timezone.now())
    alerts_send.apply().get()  # the task does not crash
    assert scripted.tried == 0
    delivery = _fresh(delivery)
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    assert delivery.next_attempt_at > timezone.now()  # retried later
    assert Subscription.objects.get().next_text_at is None

    # The counters are back: the alert goes, once.
    private_redis.start()
    AlertDelivery.objects.update(next_attempt_at=timezone.now())
    assert sending.deliveries_send_due(limit=10).sent == 1
    assert [text.params for _, text, _ in scripted.sent] == [("1", MASKED)]
