from django import template

from leaks.advice import SAFETY_ADVICE

register = template.Library()


@register.simple_tag
def safety_advice() -> list:
    """{% safety_advice as items %}: also in emails, whose context has no advice."""
    return SAFETY_ADVICE
