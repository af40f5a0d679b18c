"""Sending alerts exactly once, in throttled batches, with retries and backoff.

Every alert has one AlertDelivery row. A sender claims a row with a
compare-and-swap UPDATE (pending -> sending) committed before it talks to the
provider, and marks it sent right after. So a retried or duplicated task finds
the row claimed or sent and leaves it alone, and a worker killed before the
provider took the message leaves a claim that expires after
ALERTS_SENDING_LEASE_SECONDS and is sent then. The one window no protocol can
close is a worker killed between the provider accepting the message and the
row being marked sent: that alert is sent again, with the same Message-ID.
"""

import logging
import smtplib
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.mail import get_connection
from django.db.models import F, Min, Q
from django.utils import timezone

from alerts import messages, tokens
from alerts.models import AlertDelivery, Subscription
from alerts.services import subscription_contact
from disclosure.counters import rate_parts
from leaks.models import Breach
from leaks.redaction import redact
from proof.sms import SmsError, send_sms

log = logging.getLogger(__name__)


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    throttled: dict[str, int] = field(default_factory=dict)  # channel -> seconds to wait


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
        candidates = (
            AlertDelivery.objects.filter(deliveries_due())
            .exclude(subscription__channel__in=skip_channels)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", "status", "attempts")[:20]
        )
        candidates = list(candidates)
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
    cache.add(key, 0, timeout=period + 5)
    try:
        used = cache.incr(key)
    except ValueError:  # the window expired between add() and incr()
        cache.set(key, used := 1, timeout=period + 5)
    if used <= count:
        return 0
    return max(int((window + 1) * period - time.time()) + 1, 1)


def delivery_unclaim(*, delivery: AlertDelivery) -> None:
    """Give a claim back unused (the channel's budget ran out)."""
    _still_mine(delivery).update(
        status=AlertDelivery.Status.PENDING, attempts=F("attempts") - 1, claimed_at=None
    )


def _still_mine(delivery: AlertDelivery):
    # A claim that outlived its lease may have been taken again by another
    # worker (attempts moved on): then this worker must not touch the row.
    return AlertDelivery.objects.filter(
        pk=delivery.pk, status=AlertDelivery.Status.SENDING, attempts=delivery.attempts
    )


def delivery_send(*, delivery: AlertDelivery, email_connection=None) -> bool:
    """Send one claimed alert and record the outcome; True when it went out."""
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
        if subscription.channel == Subscription.Channel.EMAIL:
            message_id = messages.alert_message_id(
                delivery_id=delivery.pk, nonce=subscription.nonce
            )
            email = messages.alert_email(
                context=context,
                to=contact["to"],
                language=subscription.language,
                message_id=message_id,
            )
            email.connection = email_connection
            email.send()
            provider_id = message_id
        else:
            text = messages.alert_sms(context=context, language=subscription.language)
            provider_id = send_sms(contact["to"], text)
    except (SmsError, smtplib.SMTPException, OSError) as exc:
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


def describe(exc: Exception) -> str:
    """The error for the admin, without the address or number providers echo back."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
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
            wait = throttle_take(channel)
            if wait:
                delivery_unclaim(delivery=delivery)
                report.throttled[channel] = wait
                continue
            if channel == Subscription.Channel.EMAIL and connection is None:
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
