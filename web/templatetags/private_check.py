"""`{% private_check %}`: the private check's script and its settings on a check page."""

import json

from django import template

from leaks.hashing import bucket_bits
from leaks.phones import REASONS

register = template.Library()


@register.inclusion_tag("leaks/private_check.html")
def private_check() -> dict:
    # The browser explains an invalid number itself, in the server's words.
    reasons = {code: str(message) for code, message in REASONS.items()}
    return {"reasons_json": json.dumps(reasons, ensure_ascii=False), "bucket_bits": bucket_bits()}
