"""Subscriptions: create, confirm, delete; and the import hook that queues alerts."""

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from alerts import crypto, messages, tokens
from alerts.models import AlertDelivery, AlertScan, Subscription
from leaks.hashing import KEY_BYTES, current_version, phone_hash, stored_key
from leaks.models import Breach, ImportJob, NewExposure
from leaks.phones import Phone

log = logging.getLogger(__name__)


def confirm_days() -> int:
    """How many days a confirmation link works: the mail and the pages say the same."""
    return max(settings.ALERTS_CONFIRM_MAX_AGE // 86400, 1)


def subscription_request(
    *, phone: Phone, channel: str, contact: str, contact_masked: str, language: str
) -> Subscription:
    """The subscription of this contact to this number, created unconfirmed if new.

    Call it only for a number the asker has just proven by SMS code: the
    subscription records that proof, and only proven numbers are ever alerted."""
    digest = phone_hash(phone.e164)
    now = timezone.now()
    existing = (
        Subscription.objects.filter(phone_hash=digest, key_version=current_version())
        .filter(channel=channel, contact_hash__in=crypto.contact_hashes(channel, contact).values())
        .first()
    )
    if existing is not None:
        Subscription.objects.filter(pk=existing.pk).update(number_proven_at=now)
        existing.number_proven_at = now
        return existing
    sealed = crypto.seal({"to": contact, "masked": contact_masked, "number": phone.masked})
    subscription, _ = Subscription.objects.get_or_create(
        phone_hash=digest,
        key_version=current_version(),
        channel=channel,
        contact_hash=crypto.contact_hash(channel, contact),
        defaults={
            "contact_sealed": sealed,
            "contact_key_version": current_version(),
            "language": language,
            "number_proven_at": now,
        },
    )
    return subscription


def subscription_confirm(*, subscription: Subscription) -> bool:
    """Confirm once; True when this call confirmed it."""
    confirmed = Subscription.objects.filter(pk=subscription.pk, confirmed_at=None).update(
        confirmed_at=timezone.now()
    )
    subscription.refresh_from_db()
    if confirmed:
        log.info("subscription %s confirmed (%s)", subscription.pk, subscription.channel)
    return bool(confirmed)


def subscription_delete(*, subscription: Subscription) -> None:
    """Delete the subscription with its encrypted contact and its alert records, at once."""
    log.info("subscription %s deleted", subscription.pk)
    subscription.delete()


def subscription_contact(subscription: Subscription) -> dict:
    """The decrypted contact: {"to", "masked", "number"} (the number masked)."""
    return crypto.unseal(subscription.contact_sealed)


def confirmation_email_send(*, subscription: Subscription, base_url: str) -> None:
    """Email the signed confirmation link; the only message an unconfirmed address gets."""
    contact = subscription_contact(subscription)
    context = {
        "number": contact["number"],
        "confirm_url": tokens.link_for(subscription, tokens.CONFIRM, base=base_url),
        "site_url": base_url,
        "days": confirm_days(),
    }
    message = messages.email_message(
        name="confirm", context=context, to=contact["to"], language=subscription.language
    )
    message.send()
    Subscription.objects.filter(pk=subscription.pk).update(confirmation_sent_at=timezone.now())
    log.info("confirmation email sent for subscription %s", subscription.pk)


def subscriptions_visible(
    *, numbers: Sequence[Mapping[int, bytes]], contact_hashes: Sequence[bytes]
) -> QuerySet[Subscription]:
    """Subscriptions a person may see: of numbers they proved, or of their address."""
    match = Q(pk__in=[])
    for hashes in numbers:
        # Negative versions carry the number's pre-OPRF digest (leaks.hashing.phone_hashes):
        # old subscriptions stay visible, so their owners can delete them.
        for version, digest in hashes.items():
            match |= Q(phone_hash=digest, key_version=abs(version))
    if contact_hashes:
        match |= Q(contact_hash__in=contact_hashes)
    return Subscription.objects.filter(match).order_by("created_at")


def subscriptions_expire_unconfirmed() -> int:
    """Forget subscriptions whose confirmation link has expired."""
    cutoff = timezone.now() - timedelta(seconds=settings.ALERTS_CONFIRM_MAX_AGE)
    deleted, _ = Subscription.objects.filter(confirmed_at=None, created_at__lt=cutoff).delete()
    return deleted


@transaction.atomic
def deliveries_create_for_job(*, job: ImportJob) -> int:
    """One pending alert per (confirmed subscription, breach) for the numbers this
    import added to its breach. Idempotent: the unique record makes a re-run a no-op."""
    if not Breach.objects.public().filter(pk=job.breach_id).exists():
        return 0  # matched when an admin publishes the breach (leaks.publishing)
    scan, created = AlertScan.objects.select_for_update().get_or_create(job=job)
    if not created:
        return 0
    breach = job.breach
    if job.status != ImportJob.Status.DONE or breach.is_retired:
        NewExposure.objects.filter(job=job).delete()
        return 0
    # Someone who subscribed after the import finished sees the breach on the
    # result page; alerts are for what came after them.
    # Only numbers their holder proved by SMS code: a stranger who subscribed an
    # address to someone else's number must learn nothing from an alert.
    subscriptions = Subscription.objects.filter(
        confirmed_at__isnull=False,
        confirmed_at__lte=job.finished_at,
        number_proven_at__isnull=False,
    )
    if breach.is_sensitive:
        # A sensitive breach is told only over the number itself: an address may
        # be read by others, and the proof was of the number, not of the inbox.
        subscriptions = subscriptions.filter(channel=Subscription.Channel.SMS)
    pairs = subscriptions.values_list("pk", "phone_hash", "key_version")
    matched = _subscriptions_with_new_keys(job, pairs.iterator(chunk_size=2000))
    NewExposure.objects.filter(job=job).delete()
    now = timezone.now()
    rows = [
        AlertDelivery(subscription_id=pk, breach=breach, job=job, next_attempt_at=now)
        for pk in matched
    ]
    AlertDelivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    # A text waits a moment, so breaches finishing together share it.
    gather = timedelta(seconds=settings.ALERTS_SMS_GATHER_SECONDS)
    if gather:
        AlertDelivery.objects.filter(
            job=job, subscription__channel=Subscription.Channel.SMS, status="pending"
        ).update(next_attempt_at=now + gather)
    AlertScan.objects.filter(pk=scan.pk).update(matched=len(rows))
    log.info("import job %s: %s alerts queued for breach %s", job.pk, len(rows), breach.pk)
    return len(rows)


def _subscriptions_with_new_keys(
    job: ImportJob, subscriptions: Iterable[tuple[int, bytes | memoryview, int]], batch: int = 1000
) -> list[int]:
    """Ids of the subscriptions whose number is among the keys the import added
    (NewExposure), probing the job's keys in batches by primary key."""
    matched: list[int] = []
    pending: dict[tuple[int, int], list[int]] = {}

    def probe() -> None:
        found = NewExposure.objects.filter(
            job=job, phone_key__in={key for key, _ in pending}
        ).values_list("phone_key", "key_version")
        for pair in found:
            matched.extend(pending.get(pair, []))
        pending.clear()

    for pk, digest, version in subscriptions:
        # 16-byte digests are subscriptions made before the OPRF: they cannot match.
        if len(digest) == KEY_BYTES:
            pending.setdefault((stored_key(bytes(digest)), version), []).append(pk)
        if len(pending) >= batch:
            probe()
    if pending:
        probe()
    return matched


def jobs_without_alert_scan() -> QuerySet[ImportJob]:
    """Finished imports whose alerts were never matched (their task was lost)."""
    recent = timezone.now() - timedelta(days=7)
    scanned = AlertScan.objects.filter(job=OuterRef("pk"))
    return ImportJob.objects.filter(
        status=ImportJob.Status.DONE,
        finished_at__gte=recent,
        breach__in=Breach.objects.public(),
    ).exclude(Exists(scanned))
