from typing import Any
from urllib.parse import unquote

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils.module_loading import import_string

from proof.sms import SmsError, TemplateBackend


def _shown(value: str) -> str:
    return value or "(not set)"


def _hidden(value: str) -> str:
    return "(not set)" if not value else f"{value[:4]}… ({len(value)} characters)"


class Command(BaseCommand):
    help = (
        "Report the SMS configuration and, for Tencent Cloud and Alibaba Cloud, make a harmless "
        "authenticated call that tells bad credentials and an unapproved signature or template. "
        "Exits non-zero with the reason when texts cannot be sent."
    )

    def handle(self, *args: Any, **opts: Any) -> None:
        mainland = settings.SMS_BACKEND
        international = settings.SMS_BACKEND_INTERNATIONAL or mainland
        self.stdout.write(f"SMS_BACKEND: {mainland}")
        self.stdout.write(f"SMS_BACKEND_INTERNATIONAL: {international}")
        self.stdout.write(f"SMS_SIGN_NAME: 【{settings.SMS_SIGN_NAME}】")
        self.stdout.write(f"SMS_PROVIDER_DAILY_LIMIT: {settings.SMS_PROVIDER_DAILY_LIMIT} a day")
        if settings.SMS_PROVIDER_DAILY_LIMIT < 2:
            # An alert never takes the last text of the day: a code may need it.
            self.stdout.write(self.style.WARNING("  with fewer than 2, no alert is ever texted."))
        for path in dict.fromkeys([mainland, international]):
            try:
                backend = import_string(path)()
            except ImportError as exc:
                raise CommandError(f"{path}: no such backend ({exc}).") from None
            if isinstance(backend, TemplateBackend):
                self._template_backend(backend)
            elif path.endswith(("ConsoleBackend", "FileBackend")):
                self.stdout.write(f"{path}: for development, texts are not sent to phones.")
            elif path.endswith("TwilioBackend"):
                names = ("SMS_ACCOUNT_SID", "SMS_AUTH_TOKEN", "SMS_FROM")
                missing = [name for name in names if not getattr(settings, name)]
                if missing:
                    raise CommandError(f"{path}: {', '.join(missing)} not set.")
                self.stdout.write(f"{path}: configured (no call made).")
        self.stdout.write(self.style.SUCCESS("SMS: ready."))

    def _template_backend(self, backend: TemplateBackend) -> None:
        name = backend.provider
        self.stdout.write(f"{name}: SMS_ACCESS_KEY_ID {_hidden(settings.SMS_ACCESS_KEY_ID)}")
        self.stdout.write(
            f"{name}: SMS_ACCESS_KEY_SECRET {_hidden(settings.SMS_ACCESS_KEY_SECRET)}"
        )
        if name == "tencent":
            self.stdout.write(f"{name}: SMS_APP_ID {_shown(settings.SMS_APP_ID)}")
            self.stdout.write(f"{name}: SMS_REGION {settings.SMS_REGION}")
        self.stdout.write(f"{name}: SMS_TEMPLATE_CODE {_shown(settings.SMS_TEMPLATE_CODE)}")
        self.stdout.write(f"{name}: SMS_TEMPLATE_ALERT {_shown(settings.SMS_TEMPLATE_ALERT)}")
        self.stdout.write(
            f"{name}: SMS_ENDPOINT {settings.SMS_ENDPOINT or backend.default_endpoint}"
        )
        try:
            lines = backend.check()
        except SmsError as exc:
            code = f" [{exc.code}]" if exc.code else ""
            raise CommandError(f"{name}: {exc}{code}") from None
        for line in lines:
            self.stdout.write(f"{name}: {line}")
        self.stdout.write(f"{name}: credentials accepted.")
        self._receipts(name)

    def _receipts(self, name: str) -> None:
        """Where the provider's console must post delivery receipts (the token shown as
        its setting's name: it is the URL's secret)."""
        if not settings.SMS_RECEIPT_TOKEN:
            self.stdout.write(
                self.style.WARNING(
                    f"{name}: SMS_RECEIPT_TOKEN not set: no receipt URL, alert texts are never "
                    "marked delivered."
                )
            )
            return
        path = unquote(reverse(f"bc-sms-receipts-{name}", args=["<SMS_RECEIPT_TOKEN>"]))
        self.stdout.write(f"{name}: receipt URL for the console: {settings.SITE_URL}{path}")
        if not settings.SMS_RECEIPT_ALLOWED_NETWORKS:
            self.stdout.write(f"{name}: receipts taken from any address")
