from django import template
from django.utils import translation

from leaks.counts import readable_count

register = template.Library()


@register.filter
def readable(n: int | None) -> str:
    """{{ breach.pwn_count|readable }}: 12.3万 on Chinese pages, 123,456 on English ones."""
    return readable_count(int(n or 0), translation.get_language() or "zh-hans")
