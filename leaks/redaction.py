"""The one redaction policy: what a phone number or a contact looks like in
free text, and how it is hidden before the text reaches a log, an error report,
a stored error message, a printed mail or an admin page.

Phone-like: 8 to 15 digits, maybe split by spaces, dots, dashes, slashes or
brackets (ASCII or full-width), not inside a longer run: a national or E.164
number in any form the site accepts. Counts below 10^7 (and providers' 5-digit error codes), dates
("2026-11-27 14:29") and UUIDs (Celery's task ids) stay readable.
Email-like: a name, an @ and a domain with a dot in it; so Celery's node names
(``celery@host``) and the embedded default's ``alerts@localhost`` stay readable,
while any address mail can be delivered to is hidden.
"""

import re

# Separators the site's normaliser reads past: ASCII ones, slashes, tildes, the
# Unicode dashes and minus signs, full-width brackets, hyphen and space.
SEPARATORS = " .()\\-/~\u2010-\u2015\u2212\u30fc\u3000\uff08\uff09\uff0d"
PHONE_LIKE = re.compile(rf"(?<!\d)[+＋]?[(（]?\d(?:[{SEPARATORS}]{{0,3}}\d){{7,14}}(?!\d)")
EMAIL_LIKE = re.compile(r"[^\s<>@\"',;:]+@[^\s<>@\"',;:.]+(?:\.[^\s<>@\"',;:.]+)+")
NUMBER = "[number]"
ADDRESS = "[address]"
_DATE = re.compile(r"\d{4}([-/.])\d{1,2}\1\d{1,2}(?:[ T]\d{1,2})?$")
# A UUID (a task id): its digits may look like a number with dashes.
_UUID = re.compile(
    r"(?<![0-9A-Fa-f-])[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}(?![0-9A-Fa-f-])"
)


def redact(text: str) -> str:
    """Hide phone-like digits and email addresses (subscribers' contacts)."""
    text = EMAIL_LIKE.sub(ADDRESS, text)
    kept = 0
    parts = []
    for uuid in _UUID.finditer(text):
        parts += [PHONE_LIKE.sub(_unless_date, text[kept : uuid.start()]), uuid.group(0)]
        kept = uuid.end()
    parts.append(PHONE_LIKE.sub(_unless_date, text[kept:]))
    return "".join(parts)


def looks_like_phone(value: object) -> bool:
    return bool(PHONE_LIKE.search(_UUID.sub("", str(value))))


def _unless_date(match: re.Match[str]) -> str:
    return match.group(0) if _DATE.match(match.group(0)) else NUMBER
