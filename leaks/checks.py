"""Deployment checks for what Django's own `check --deploy` cannot know."""

from django.conf import settings
from django.core.checks import Error, Tags, register

_DEVELOPMENT_SMS = ("proof.sms.ConsoleBackend", "proof.sms.FileBackend")


@register(Tags.security, deploy=True)
def sms_backend_check(app_configs, **kwargs) -> list[Error]:
    # The development backends print or store the codes: whoever reads them
    # could "prove" any number.
    if settings.SMS_BACKEND in _DEVELOPMENT_SMS:
        return [
            Error(
                f"SMS_BACKEND is {settings.SMS_BACKEND}, a development backend.",
                hint="Set SMS_BACKEND to a provider such as proof.sms.TwilioBackend.",
                id="breachcheck.E001",
            )
        ]
    return []
