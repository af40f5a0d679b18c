from django import template

from leaks.advice import ANTI_FRAUD_ADVICE, SAFETY_ADVICE

register = template.Library()


@register.simple_tag
def safety_advice(found: bool = True) -> list:
    """{% safety_advice as items %}: also in emails, whose context has no advice;
    ``found=False`` for a result that found nothing (no word of a leak)."""
    return SAFETY_ADVICE if found else ANTI_FRAUD_ADVICE
