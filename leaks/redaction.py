"""The one redaction policy: what a phone number or a contact looks like in
free text, and how it is hidden before the text reaches a log, an error report,
a stored error message or an admin page.

Phone-like: 8 to 15 digits, maybe split by spaces, dots, dashes or brackets,
not inside a longer run: a national or E.164 number in any form the site
accepts. Counts below 10^7 (and providers' 5-digit error codes) and dates
("2026-11-27 14:29") stay readable. Email-like: anything around an @.
"""

import re

PHONE_LIKE = re.compile(r"(?<!\d)\+?\(?\d(?:[ .()\-]{0,2}\d){7,14}(?!\d)")
EMAIL_LIKE = re.compile(r"[^\s<>@\"',;:]+@[^\s<>@\"',;:]+")
NUMBER = "[number]"
ADDRESS = "[address]"
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2})?$")


def redact(text: str) -> str:
    """Hide phone-like digits and email addresses (subscribers' contacts)."""
    text = EMAIL_LIKE.sub(ADDRESS, text)
    return PHONE_LIKE.sub(_unless_date, text)


def looks_like_phone(value: object) -> bool:
    return bool(PHONE_LIKE.search(str(value)))


def _unless_date(match: re.Match[str]) -> str:
    return match.group(0) if _DATE.match(match.group(0)) else NUMBER
