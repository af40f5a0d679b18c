from django import template

from leaks import provinces

register = template.Library()


@register.filter
def province(key: str) -> str:
    """A report's region key as the charts name it ("CN" is "Unknown province")."""
    return str(provinces.label(provinces.canonical(key)))
