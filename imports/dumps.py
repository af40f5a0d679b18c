"""Read the phone values out of a dump file: the short way into imports.readers.

Kept for callers that want one call: detect everything, then stream values.
"""

from collections.abc import Iterator
from pathlib import Path

from imports.readers import Plan, inspect, iter_values
from imports.readers.base import PHONE_HEADERS, DumpError, PhoneColumn, header_key
from imports.readers.columns import (
    SAMPLE_ROWS,
    choose_column,
    is_header,
    looks_like_phone,
    pick_column,
)
from imports.readers.delimited import DELIMITERS, sniff_delimiter
from imports.readers.text import SNIFF_BYTES, detect_encoding

__all__ = [
    "DELIMITERS",
    "PHONE_HEADERS",
    "SAMPLE_ROWS",
    "SNIFF_BYTES",
    "DumpError",
    "PhoneColumn",
    "Plan",
    "choose_column",
    "detect_encoding",
    "header_key",
    "is_header",
    "looks_like_phone",
    "pick_column",
    "read_phone_values",
    "sniff_delimiter",
]


def read_phone_values(
    path: Path,
    *,
    column: str | None = None,
    encoding: str | None = None,
    format: str | None = None,  # noqa: A002
) -> tuple[PhoneColumn, Iterator[str | None]]:
    """Return the chosen column and an iterator of each row's phone value (None if empty)."""
    plan = inspect(Path(path), column=column, encoding=encoding, format=format)
    found: dict = {}
    values = iter_values(Path(path), plan, found=found)
    if plan.column:
        return plan.phone_column, values
    # Formats with tables choose their column while reading; peek one value.
    first = next(values, _END)
    columns = list(found.get("columns", {}).values())
    chosen = columns[0] if columns else {"index": 0, "name": "", "by": "list"}
    column_info = PhoneColumn(chosen["index"], chosen["name"], chosen["by"])
    if first is _END:
        return column_info, iter(())
    return column_info, _prepend(first, values)


_END = object()


def _prepend(first, rest: Iterator[str | None]) -> Iterator[str | None]:
    yield first
    yield from rest
