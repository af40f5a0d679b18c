import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from disclosure.policy import per_second

# django-ratelimit's syntax: "60/m", "1000/h", "100/10m".
_RATE = re.compile(r"^[1-9]\d*/\d*[smhd]$")


def validate_rate(value: str) -> None:
    if not _RATE.match(value):
        raise ValidationError(_("Write the limit like 60/m, 1000/h or 100/10m."))
    ceiling = settings.API_KEY_MAX_RATE
    if ceiling and per_second(value) > per_second(ceiling):
        raise ValidationError(
            _("At most %(ceiling)s: the site's ceiling for any key.") % {"ceiling": ceiling}
        )


def default_rate() -> str:
    return settings.API_KEY_DEFAULT_RATE


class ApiKey(models.Model):
    """A key for the lookup API. Only its hash is stored; the key is shown once."""

    name = models.CharField(_("name"), max_length=100, help_text=_("Who uses this key, and why."))
    prefix = models.CharField(_("prefix"), max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    rate = models.CharField(
        _("rate limit"),
        max_length=20,
        default=default_rate,
        validators=[validate_rate],
        help_text=_("Lookups allowed for this key, like 60/m or 1000/h."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    trusted_partner = models.BooleanField(
        _("trusted partner"),
        default=False,
        help_text=_(
            "Answers even when the site shows results only after an SMS proof. "
            "Every lookup with such a key is written to the audit log."
        ),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None
