import ipaddress

from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = _("Alerts")

    def ready(self) -> None:
        from alerts import receivers  # noqa: F401 - connects to the core's signals
        from alerts.schedule import quiet_hours

        # Bad values stop the site at startup, not the first text at night.
        quiet_hours()
        for cidr in settings.SMS_RECEIPT_ALLOWED_NETWORKS:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                raise ImproperlyConfigured(
                    f"SMS_RECEIPT_ALLOWED_NETWORKS: {cidr!r} is not a network (CIDR)."
                ) from None
