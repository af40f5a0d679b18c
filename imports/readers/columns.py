"""Which column of a table holds the phone numbers: by header, by content, or as told.

Other digit strings in a row (QQ numbers, ID-card numbers, order ids, IP
addresses, dates) must not win: content evidence counts only values that are
Chinese mobiles as written, or numbers written with phone punctuation.
"""

import re

from django.conf import settings

from imports.readers.base import (
    PHONE_HEADERS,
    DumpError,
    PhoneColumn,
    header_key,
    name_part,
    too_many_fields,
)
from leaks.phones import InvalidPhone, normalize
from leaks.redaction import SEPARATORS

SAMPLE_ROWS = 200
# Share of sampled rows that must look like phones for a content match.
MIN_SHARE = 0.2
# Cells whose content is weighed (a phone-like cell costs a parse, ~50 µs): a
# wide table is scored on fewer rows, so planning stays about a second.
SCORE_CELLS = 20_000
_PHONE_PUNCTUATION = re.compile(rf"^[+＋]?[\d\s{SEPARATORS}]+$")
_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}")


def looks_like_phone(value: str) -> bool:
    text = value.strip()
    if not text or len(text) > 24 or not _PHONE_PUNCTUATION.match(text) or _DATE.match(text):
        return False
    try:
        phone = normalize(text)
    except InvalidPhone:
        return False
    # Bare digit strings parse as landlines surprisingly often (QQ numbers,
    # order ids); only mobiles or explicitly written numbers count as evidence.
    if text.isdigit():
        return phone.kind in ("mobile", "fixed_line_or_mobile")
    return True


def holds_phone(value: str) -> bool:
    """Whether a cell is a valid phone number of any kind, as written."""
    text = value.strip()
    if not text or len(text) > 24 or not _PHONE_PUNCTUATION.match(text) or _DATE.match(text):
        return False
    try:
        normalize(text)
    except InvalidPhone:
        return False
    return True


def is_header(row: list[str]) -> bool:
    """A first row with no digits at all, or with a known phone header, is a header.

    A row holding a valid phone number is data whatever else it holds: a header
    is kept in the job's plan and report, a number must never be."""
    if any(holds_phone(cell) for cell in row):
        return False
    return any(_header_matches(c) for c in row) or not any(
        ch.isdigit() for cell in row for ch in cell
    )


def column_name(header: list[str] | None, index: int) -> str:
    """The name a report keeps for a column: its header cell, unless that is a number."""
    cell = header[index].strip() if header and index < len(header) else ""
    if not cell or holds_phone(cell) or holds_phone(cell.rsplit(".", 1)[-1]):
        return f"#{index}"
    return name_part(cell)


def _header_matches(cell: str) -> bool:
    # JSON paths ("user.contact.mobile") are named by their last part.
    return header_key(cell) in PHONE_HEADERS or header_key(cell.rsplit(".", 1)[-1]) in PHONE_HEADERS


def _scores(sample: list[list[str]], width: int) -> list[int]:
    return [
        sum(looks_like_phone(row[i]) for row in sample if i < len(row) and row[i])
        for i in range(width)
    ]


def choose_column(header: list[str] | None, sample: list[list[str]]) -> PhoneColumn:
    width = max([len(row) for row in sample] + [len(header or [])], default=0)
    if width > settings.IMPORT_MAX_FIELDS:
        raise too_many_fields()
    sample = sample[: max(10, SCORE_CELLS // max(width, 1))]
    scores = _scores(sample, width)
    if header:
        named = [i for i, cell in enumerate(header) if _header_matches(cell)]
        # Prefer a named column whose values also look like phones.
        named.sort(key=lambda i: -(scores[i] if i < len(scores) else 0))
        if named:
            return PhoneColumn(named[0], column_name(header, named[0]), "header")
    if not scores or max(scores) == 0 or max(scores) < len(sample) * MIN_SHARE:
        raise DumpError(
            "No column looks like phone numbers (by header or content).", option="column"
        )
    best = scores.index(max(scores))
    # Not the header cell's text: a first row without digits may be a person's
    # row (a name, an address), and the column's name is kept in the report.
    return PhoneColumn(best, f"#{best}", "content")


def pick_column(header: list[str] | None, wanted: str) -> PhoneColumn:
    if wanted.isdigit():
        index = int(wanted)
        return PhoneColumn(index, column_name(header, index), "admin")
    keys = [header_key(cell) for cell in header or []]
    if header_key(wanted) not in keys:
        raise DumpError("No column named “%(name)s” in the header.", option="column", name=wanted)
    index = keys.index(header_key(wanted))
    return PhoneColumn(index, column_name(header, index), "admin")


def column_for(
    header: list[str] | None, sample: list[list[str]], wanted: str | None
) -> PhoneColumn:
    return pick_column(header, wanted) if wanted else choose_column(header, sample)
