"""Shared setup for the alert tests: confirmed subscriptions and imports."""

from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from alerts import crypto, services
from alerts.models import Subscription
from leaks.models import Breach, ImportJob
from leaks.phones import normalize


def subscribe(number: str, *, email: str | None = None, confirmed: bool = True) -> Subscription:
    """A subscription by email (given) or by SMS to the number itself."""
    phone = normalize(number)
    if email:
        channel, contact, masked = "email", email, crypto.mask_email(email)
    else:
        channel, contact, masked = "sms", phone.e164, phone.masked
    subscription = services.subscription_request(
        phone=phone, channel=channel, contact=contact, contact_masked=masked, language="en"
    )
    if confirmed:
        services.subscription_confirm(subscription=subscription)
        # Confirmed a moment before the import, as a real subscriber would be.
        Subscription.objects.filter(pk=subscription.pk).update(
            confirmed_at=timezone.now() - timedelta(minutes=1)
        )
    return subscription


def dump_job(
    tmp_path: Path, breach: Breach, numbers: list[str], name: str = "dump.csv"
) -> ImportJob:
    path = tmp_path / name
    path.write_text("手机号,姓名\n" + "".join(f"{n},某人\n" for n in numbers), encoding="utf-8")
    return ImportJob.objects.create(breach=breach, file_path=str(path), source_name=name)
