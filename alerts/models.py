import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from leaks.hashing import HASH_BYTES
from leaks.models import Breach, ImportJob


def _nonce() -> str:
    return secrets.token_hex(8)


class Subscription(models.Model):
    """One contact watching one number. Neither the number nor the contact is stored
    in clear: the number as its keyed hash, the contact encrypted and as a keyed hash."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("email")
        SMS = "sms", _("text message")

    phone_hash = models.BinaryField(max_length=HASH_BYTES)
    key_version = models.PositiveSmallIntegerField()
    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices)
    contact_sealed = models.BinaryField()
    contact_hash = models.BinaryField(max_length=HASH_BYTES)
    contact_key_version = models.PositiveSmallIntegerField()
    language = models.CharField(max_length=10)
    # Signed links carry it: a link stops working when its subscription is gone.
    nonce = models.CharField(max_length=16, default=_nonce, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    # When the subscriber proved the number by SMS code; never set, never alerted.
    number_proven_at = models.DateTimeField(_("number proven"), null=True, blank=True)
    # Text alerts: the earliest the next one may go (one per Asia/Shanghai day). A
    # sender takes the day by moving it forward with a compare-and-swap.
    next_text_at = models.DateTimeField(_("next text"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["phone_hash", "key_version", "channel", "contact_hash"],
                name="subscription_unique",
            )
        ]
        indexes = [
            models.Index(fields=["phone_hash"], name="subscription_phone"),
            models.Index(fields=["contact_hash"], name="subscription_contact"),
        ]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")

    def __str__(self) -> str:
        return f"subscription {self.pk} ({self.channel})"

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def names_sensitive_breaches(self) -> bool:
        # Only a contact confirmed through the number itself may learn that the
        # number is in a sensitive breach.
        return self.channel == self.Channel.SMS


class AlertDelivery(models.Model):
    """The one alert of one subscription about one breach: the exactly-once record."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        # From the provider's delivery receipt (text alerts only).
        DELIVERED = "delivered", _("delivered")
        UNDELIVERED = "undelivered", _("failed by provider")
        FAILED = "failed", _("failed")

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    breach = models.ForeignKey(Breach, on_delete=models.CASCADE, related_name="+")
    job = models.ForeignKey(ImportJob, null=True, blank=True, on_delete=models.SET_NULL)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Refusals the operator must fix (credentials, signature, template, credit) in a
    # row: they back off but never use up the attempts.
    operator_errors = models.PositiveSmallIntegerField(_("operator errors"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The provider's serial number of the text (one text may carry several alerts),
    # or the email's Message-ID: what a delivery receipt names.
    provider_id = models.CharField(max_length=100, blank=True)
    receipt_at = models.DateTimeField(_("receipt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "breach"], name="delivery_once")
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["provider_id"], name="delivery_provider_id"),
        ]
        verbose_name = _("alert delivery")
        verbose_name_plural = _("alert deliveries")

    def __str__(self) -> str:
        return f"alert {self.pk} ({self.status})"


class AlertScan(models.Model):
    """Marks an import whose new exposures were matched against the subscriptions."""

    job = models.OneToOneField(ImportJob, on_delete=models.CASCADE, related_name="+")
    matched = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"alert scan of job {self.job_id}"
