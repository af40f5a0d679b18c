"""The site's names for templates rendered without a request (emails, texts)."""

from django import template
from django.conf import settings
from django.utils import translation

from web.site import site_title

register = template.Library()


@register.simple_tag
def site_name() -> str:
    """Both names, the reader's language first: "泄露查 breachcheck"."""
    return site_title()


@register.simple_tag
def sms_sender() -> str:
    """Who a text says it is from: the registered signature in Chinese, the name otherwise."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    return settings.SMS_SENDER_NAME if language.startswith("zh") else settings.SITE_NAME
