"""Deployment checks for what Django's own `check --deploy` cannot know."""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import Error, Tags, register

_DEVELOPMENT_SMS = ("proof.sms.ConsoleBackend", "proof.sms.FileBackend")


@register(Tags.security, deploy=True)
def sms_backend_check(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[Error]:
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


@register()
def merge_parts_check(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[Error]:
    # A merge part must be whole partitions, or two workers write into one
    # partition's index at once and the parallel merge gains nothing.
    parts, partitions = settings.IMPORT_MERGE_PARTS, settings.EXPOSURE_PARTITIONS
    if parts < 1 or partitions < 1 or partitions % parts:
        return [
            Error(
                f"IMPORT_MERGE_PARTS ({parts}) must divide EXPOSURE_PARTITIONS ({partitions}).",
                hint="Use a divisor, such as 4 parts for 16 partitions.",
                id="breachcheck.E002",
            )
        ]
    return []


@register()
def bucket_bits_check(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[Error]:
    # Fewer than 42 bits of OPRF output per stored key would let false "found"
    # answers pass one in 10^7 checks at 10^10 exposures (docs/PRIVATE_CHECK.md).
    bits = settings.PHONE_KEY_BUCKET_BITS
    if not 16 <= bits <= 22:
        return [
            Error(
                f"PHONE_KEY_BUCKET_BITS ({bits}) must be from 16 to 22.",
                hint="Keep 16 (the default) unless docs/SCALING.md says otherwise.",
                id="breachcheck.E003",
            )
        ]
    return []
