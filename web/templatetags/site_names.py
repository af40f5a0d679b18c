"""The site's names for templates rendered without a request (emails, texts)."""

from urllib.parse import urlsplit

from django import template
from django.conf import settings

from web.site import site_title

register = template.Library()


@register.simple_tag
def site_name() -> str:
    """Both names, the reader's language first: "泄露查 breachcheck"."""
    return site_title()


@register.simple_tag
def site_address() -> str:
    """Where to look, written into a text itself and never as a link: the host of
    SITE_URL, without its scheme ("xielou.cn")."""
    parts = urlsplit(settings.SITE_URL)
    return (parts.netloc + parts.path).rstrip("/") or settings.SITE_URL
