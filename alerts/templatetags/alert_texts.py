"""What alert texts say of the site, rendered without a request."""

from urllib.parse import urlsplit

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def site_address() -> str:
    """Where to look, written into the text itself and never as a link: the host of
    SITE_URL, without its scheme ("xielou.cn")."""
    parts = urlsplit(settings.SITE_URL)
    return (parts.netloc + parts.path).rstrip("/") or settings.SITE_URL
