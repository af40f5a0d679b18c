"""Sending alerts exactly once, in throttled batches, with retries and backoff.

Every alert has one AlertDelivery row. A sender claims a row with a
compare-and-swap UPDATE (pending -> sending) committed before it talks to the
provider, and marks it sent right after. So a retried or duplicated task finds
the row claimed or sent and leaves it alone, and a worker killed before the
provider took the message leaves a claim that expires after
ALERTS_SENDING_LEASE_SECONDS and is sent then. The one window no protocol can
close is a worker killed between the provider accepting the message and the
row being marked sent: that alert is sent again, with the same Message-ID.

Text alerts (SMS) go as one text per subscription carrying every alert it has
waiting: the sender claims one due alert as above, then takes the number's day
(Subscription.next_text_at moved to the next Asia/Shanghai midnight with a
compare-and-swap, so two workers never both text it that day), asks the
provider's per-number cap (disclosure.policy.authorize_alert_text), claims the
subscription's other waiting alerts the same way, and sends one text counting
them; all of them record its serial number. Nothing sent (the provider
throttled, the counters unreachable, the cap reached) gives the day back. A
worker killed after taking the day leaves it taken: its alerts are sent the next
day, never twice in one. What each provider answer does: text_send().
"""

import logging
import smtplib
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.core.cache import cache
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db.models import F, Min, Q, QuerySet
from django.utils import timezone

from alerts import messages, schedule, tokens
from alerts.models import AlertDelivery, Subscription
from alerts.services import subscription_contact
from disclosure.counters import GateUnavailable, rate_parts
from disclosure.policy import authorize_alert_text
from leaks.models import Breach
from leaks.redaction import redact
from proof.sms import (
    SmsError,
    SmsNumberRejected,
    SmsOperatorError,
    SmsThrottled,
    Text,
    send_text,
)

log = logging.getLogger(__name__)


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    throttled: dict[str, int] = field(default_factory=dict)  # channel -> seconds to wait
    # Texts that wait (quiet hours, the number's day taken, the provider's cap or
    # throttling): not attempts, and not failures.
    deferred: int = 0
    # Seconds to wait when the shared counters could not be reached: nothing was sent.
    gate_closed: int = 0


def deliveries_due() -> "Q":
    now = timezone.now()
    stale = now - timedelta(seconds=settings.ALERTS_SENDING_LEASE_SECONDS)
    due = Q(status=AlertDelivery.Status.PENDING, next_attempt_at__lte=now) | Q(
        status=AlertDelivery.Status.SENDING, claimed_at__lt=stale
    )
    # An alert waits while its breach is unpublished (or retired) again.
    return due & Q(breach__in=Breach.objects.public())


def delivery_claim_next(*, skip_channels: set[str]) -> AlertDelivery | None:
    """Claim the next due alert for this worker, or None when none is left."""
    while True:
        candidates = list(
            AlertDelivery.objects.filter(deliveries_due())
            .exclude(subscription__channel__in=skip_channels)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", "status", "attempts")[:20]
        )
        if not candidates:
            return None
        for pk, status, attempts in candidates:
            if status == AlertDelivery.Status.SENDING and attempts >= settings.ALERTS_MAX_ATTEMPTS:
                # Lost with its worker on every attempt: stop and show it to the admin.
                AlertDelivery.objects.filter(pk=pk, status=status, attempts=attempts).update(
                    status=AlertDelivery.Status.FAILED,
                    last_error="The worker was lost while sending, on every attempt.",
                )
                continue
            # Compare-and-swap: only one worker moves the row from what it saw.
            claimed = AlertDelivery.objects.filter(pk=pk, status=status, attempts=attempts).update(
                status=AlertDelivery.Status.SENDING,
                claimed_at=timezone.now(),
                attempts=F("attempts") + 1,
            )
            if claimed:
                return AlertDelivery.objects.select_related("subscription", "breach").get(pk=pk)


def throttle_take(channel: str) -> int:
    """Take one send from the channel's budget: 0 when allowed, else seconds to wait.

    A fixed window in the shared cache, so all workers together respect the rate."""
    rate = settings.ALERTS_EMAIL_RATE if channel == "email" else settings.ALERTS_SMS_RATE
    count, period = rate_parts(rate)
    window = int(time.time() // period)
    key = f"alerts-throttle:{channel}:{window}"
    try:
        cache.add(key, 0, timeout=period + 5)
        try:
            used = cache.incr(key)
        except ValueError:  # the window expired between add() and incr()
            cache.set(key, used := 1, timeout=period + 5)
    except redis.RedisError as exc:
        raise GateUnavailable("the alert rate counters cannot be reached") from exc
    if used <= count:
        return 0
    return max(int((window + 1) * period - time.time()) + 1, 1)


def delivery_unclaim(
    *, delivery: AlertDelivery, until: datetime | None = None, reason: str | None = None
) -> None:
    """Give a claim back unused (the channel's budget ran out, the text must wait):
    no attempt spent; due again at ``until`` when given."""
    changes: dict = {"status": AlertDelivery.Status.PENDING, "attempts": F("attempts") - 1}
    changes["claimed_at"] = None
    if until is not None:
        changes["next_attempt_at"] = until
    if reason is not None:
        changes["last_error"] = reason
    _still_mine(delivery).update(**changes)


def _still_mine(delivery: AlertDelivery) -> QuerySet[AlertDelivery]:
    # A claim that outlived its lease may have been taken again by another
    # worker (attempts moved on): then this worker must not touch the row.
    return AlertDelivery.objects.filter(
        pk=delivery.pk, status=AlertDelivery.Status.SENDING, attempts=delivery.attempts
    )


def delivery_send(
    *, delivery: AlertDelivery, email_connection: BaseEmailBackend | None = None
) -> bool:
    """Send one claimed email alert and record the outcome; True when it went out.
    (Text alerts go through text_send.)"""
    subscription: Subscription = delivery.subscription
    try:
        contact = subscription_contact(subscription)
        links = {
            "unsubscribe_url": tokens.link_for(subscription, tokens.UNSUBSCRIBE),
            "manage_url": tokens.link_for(subscription, tokens.MANAGE),
            "check_url": settings.SITE_URL + "/",
        }
        context = messages.alert_context(
            breach=delivery.breach, subscription=subscription, contact=contact, links=links
        )
        message_id = messages.alert_message_id(delivery_id=delivery.pk, nonce=subscription.nonce)
        email = messages.alert_email(
            context=context,
            to=contact["to"],
            language=subscription.language,
            message_id=message_id,
        )
        email.connection = email_connection
        email.send()
        provider_id = message_id
    except (smtplib.SMTPException, OSError) as exc:
        _record_failure(delivery, describe(exc))
        return False
    except Exception as exc:
        # A bug or a lost key: retry later like any failure, visible in the admin,
        # rather than leave the claim to expire and fail the same way forever.
        log.exception("alert %s could not be sent", delivery.pk)
        _record_failure(delivery, describe(exc))
        return False
    AlertDelivery.objects.filter(pk=delivery.pk, status=AlertDelivery.Status.SENDING).update(
        status=AlertDelivery.Status.SENT,
        sent_at=timezone.now(),
        provider_id=provider_id[:100],
        last_error="",
    )
    log.info("alert %s sent (%s)", delivery.pk, subscription.channel)
    return True


def text_send(*, delivery: AlertDelivery, now: datetime | None = None) -> str:
    """Send one text for a claimed SMS alert and every other alert its subscription
    has waiting. Returns what happened: "sent", "deferred" (waits, no attempt
    spent), "retrying" or "failed". Raises GateUnavailable with nothing sent and
    the number's day given back, when the shared counters cannot be reached (the
    caller gives the claim back).

    Provider answers: throttled -> waits out the window it names (no attempt
    spent); number rejected (invalid, blacklisted) -> failed at once, no retry;
    operator error (credentials, signature, template, credit) -> kept, retried
    with backoff and shown in the admin, never given up on; any other error ->
    retried with backoff until ALERTS_MAX_ATTEMPTS, as an email is."""
    now = now or timezone.now()
    subscription: Subscription = delivery.subscription
    at = schedule.text_time(now, not_before=subscription.next_text_at, hours=schedule.quiet_hours())
    if at > now:
        _text_wait(delivery, at)
        return "deferred"
    day = schedule.next_day_start(now)
    previous = subscription.next_text_at
    if not _day_take(subscription, previous=previous, day=day):
        # Another worker texted the number meanwhile: read when, and wait for it.
        subscription.refresh_from_db(fields=["next_text_at"])
        _text_wait(delivery, subscription.next_text_at or day)
        return "deferred"
    try:
        contact = subscription_contact(subscription)
        decision = authorize_alert_text(contact["to"])
    except GateUnavailable:  # the caller gives the claim back
        _day_give_back(subscription, previous=previous, day=day)
        raise
    except Exception as exc:  # a lost key: as in delivery_send
        log.exception("alert %s could not be sent", delivery.pk)
        _day_give_back(subscription, previous=previous, day=day)
        _record_failure(delivery, describe(exc))
        return "failed" if delivery.attempts >= settings.ALERTS_MAX_ATTEMPTS else "retrying"
    if not decision:
        # The provider's cap for the day is left to codes: the owner can still prove it.
        _day_give_back(subscription, previous=previous, day=day)
        _text_wait(delivery, now + timedelta(seconds=decision.retry_after))
        return "deferred"
    group = [delivery, *_claim_waiting(subscription, but=delivery, now=now)]
    try:
        text = Text("alert", (str(len(group)), contact["number"]), language=subscription.language)
        serial = send_text(contact["to"], text)
    except SmsThrottled as exc:
        _day_give_back(subscription, previous=previous, day=day)
        until = now + timedelta(seconds=max(exc.retry_after, 1))
        for claimed in group:
            delivery_unclaim(delivery=claimed, until=until, reason=describe(exc))
        log.info("alert text %s throttled by the provider for %ss", delivery.pk, exc.retry_after)
        return "deferred"
    except SmsNumberRejected as exc:
        _day_give_back(subscription, previous=previous, day=day)
        reason = describe(exc, "The provider rejects this number for good (invalid or blocked)")
        for claimed in group:
            _still_mine(claimed).update(status=AlertDelivery.Status.FAILED, last_error=reason)
        log.warning("alert text %s: the number was rejected, not retried", delivery.pk)
        return "failed"
    except SmsOperatorError as exc:
        _day_give_back(subscription, previous=previous, day=day)
        reason = describe(exc, "Operator error (credentials, signature, template or credit)")
        for claimed in group:
            _operator_wait(claimed, now, reason)
        # Without the number: the error says what the operator must fix.
        log.error("alert text %s waits for the operator: %s", delivery.pk, reason)
        return "retrying"
    except Exception as exc:
        if not isinstance(exc, SmsError | OSError):
            log.exception("alert %s could not be sent", delivery.pk)
        # The day stays taken: a timeout may hide a text the provider took, and a
        # second one the same day would break the one-a-day promise. Tomorrow's
        # text carries these alerts.
        for claimed in group:
            _record_failure(claimed, describe(exc))
        return "failed" if delivery.attempts >= settings.ALERTS_MAX_ATTEMPTS else "retrying"
    AlertDelivery.objects.filter(
        pk__in=[claimed.pk for claimed in group], status=AlertDelivery.Status.SENDING
    ).update(
        status=AlertDelivery.Status.SENT,
        sent_at=timezone.now(),
        provider_id=serial[:100],
        operator_errors=0,
        last_error="",
    )
    log.info("alert text sent for %s alerts (%s)", len(group), ", ".join(str(c.pk) for c in group))
    return "sent"


def _day_take(subscription: Subscription, *, previous: datetime | None, day: datetime) -> bool:
    # Compare-and-swap: only the worker that saw the day free moves it on.
    return bool(
        Subscription.objects.filter(pk=subscription.pk, next_text_at=previous).update(
            next_text_at=day
        )
    )


def _day_give_back(subscription: Subscription, *, previous: datetime | None, day: datetime) -> None:
    Subscription.objects.filter(pk=subscription.pk, next_text_at=day).update(next_text_at=previous)


def _text_wait(delivery: AlertDelivery, until: datetime) -> None:
    """Give the claim back until ``until``, and let the subscription's other
    waiting alerts wait as long (they go in the same text)."""
    delivery_unclaim(delivery=delivery, until=until)
    AlertDelivery.objects.filter(
        subscription_id=delivery.subscription_id,
        status=AlertDelivery.Status.PENDING,
        next_attempt_at__lt=until,
    ).update(next_attempt_at=until)


def _claim_waiting(
    subscription: Subscription, *, but: AlertDelivery, now: datetime
) -> list[AlertDelivery]:
    """Claim the subscription's other alerts not yet sent (due or not: they all go
    in this text), each with the compare-and-swap delivery_claim_next uses."""
    stale = now - timedelta(seconds=settings.ALERTS_SENDING_LEASE_SECONDS)
    waiting = (
        AlertDelivery.objects.filter(subscription=subscription, breach__in=Breach.objects.public())
        .filter(
            Q(status=AlertDelivery.Status.PENDING)
            | Q(
                status=AlertDelivery.Status.SENDING,
                claimed_at__lt=stale,
                attempts__lt=settings.ALERTS_MAX_ATTEMPTS,
            )
        )
        .exclude(pk=but.pk)
        .values_list("pk", "status", "attempts")
    )
    claimed = [
        pk
        for pk, status, attempts in waiting
        if AlertDelivery.objects.filter(pk=pk, status=status, attempts=attempts).update(
            status=AlertDelivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    ]
    return list(AlertDelivery.objects.filter(pk__in=claimed).order_by("pk")) if claimed else []


def _operator_wait(delivery: AlertDelivery, now: datetime, reason: str) -> None:
    # Not an attempt: the alert waits for the operator's fix, however long it takes.
    seconds = backoff_seconds(delivery.operator_errors + 1)
    _still_mine(delivery).update(
        status=AlertDelivery.Status.PENDING,
        attempts=F("attempts") - 1,
        claimed_at=None,
        operator_errors=F("operator_errors") + 1,
        next_attempt_at=now + timedelta(seconds=seconds),
        last_error=reason,
    )


def _gate_wait() -> timedelta:
    return timedelta(seconds=settings.ALERTS_RETRY_BACKOFF_SECONDS)


def backoff_seconds(attempts: int) -> int:
    base = settings.ALERTS_RETRY_BACKOFF_SECONDS
    return min(base * 2 ** max(attempts - 1, 0), settings.ALERTS_RETRY_BACKOFF_MAX_SECONDS)


def _record_failure(delivery: AlertDelivery, reason: str) -> None:
    gave_up = delivery.attempts >= settings.ALERTS_MAX_ATTEMPTS
    _still_mine(delivery).update(
        status=AlertDelivery.Status.FAILED if gave_up else AlertDelivery.Status.PENDING,
        next_attempt_at=timezone.now() + timedelta(seconds=backoff_seconds(delivery.attempts)),
        last_error=reason,
    )
    log.warning(
        "alert %s attempt %s failed%s: %s",
        delivery.pk,
        delivery.attempts,
        ", giving up" if gave_up else "",
        reason,
    )


def describe(exc: Exception, meaning: str = "") -> str:
    """The error for the admin, without the address or number providers echo back."""
    if meaning:
        code = getattr(exc, "code", None)
        text = f"{meaning}: {type(exc).__name__}" + (f" {code}" if code else "") + f": {exc}"
    elif isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in exc.recipients.values()})
        text = f"SMTPRecipientsRefused {codes}"
    elif isinstance(exc, smtplib.SMTPResponseException):
        detail = (
            exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
        )
        text = f"{type(exc).__name__} {exc.smtp_code}: {detail}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return redact(text)[:500]


def deliveries_send_due(*, limit: int) -> SendReport:
    """Send up to ``limit`` due alerts, within each channel's rate."""
    report = SendReport()
    connection = None
    try:
        for _ in range(limit):
            delivery = delivery_claim_next(skip_channels=set(report.throttled))
            if delivery is None:
                break
            channel = delivery.subscription.channel
            try:
                wait = throttle_take(channel)
                if wait:
                    delivery_unclaim(delivery=delivery)
                    report.throttled[channel] = wait
                    continue
                if channel == Subscription.Channel.SMS:
                    outcome = text_send(delivery=delivery)
                    setattr(report, outcome, getattr(report, outcome) + 1)
                    continue
            except GateUnavailable:
                # The counters are unreachable: send nothing, keep the alert due
                # (no attempt spent) and try again later.
                delivery_unclaim(delivery=delivery, until=timezone.now() + _gate_wait())
                report.gate_closed = int(_gate_wait().total_seconds())
                log.warning("alerts wait: the rate counters cannot be reached")
                break
            if connection is None:
                connection = get_connection()
            if delivery_send(delivery=delivery, email_connection=connection):
                report.sent += 1
            elif delivery.attempts >= settings.ALERTS_MAX_ATTEMPTS:
                report.failed += 1
            else:
                report.retrying += 1
    finally:
        if connection is not None:
            connection.close()
    return report


def seconds_until_next_due() -> int | None:
    """When the send task should run again: now if alerts are due, later for retries
    and for claims a dead worker may hold; None when nothing is left to send."""
    if AlertDelivery.objects.filter(deliveries_due()).exists():
        return 0
    times = AlertDelivery.objects.aggregate(
        retry=Min("next_attempt_at", filter=Q(status=AlertDelivery.Status.PENDING)),
        claim=Min("claimed_at", filter=Q(status=AlertDelivery.Status.SENDING)),
    )
    lease = timedelta(seconds=settings.ALERTS_SENDING_LEASE_SECONDS)
    soonest = min(
        [at for at in (times["retry"], times["claim"] and times["claim"] + lease) if at],
        default=None,
    )
    if soonest is None:
        return None
    return max(int((soonest - timezone.now()).total_seconds()) + 1, 1)
