"""CSV/TSV with any common delimiter, and plain lists of one number per line."""

import csv
from collections.abc import Iterator

from imports.readers.base import DumpError, check_row, max_line

DELIMITERS = ",\t;|"


def sniff_delimiter(lines: list[str]) -> str | None:
    """The delimiter that splits every sample line into the same number (>1) of fields."""
    lines = [line for line in lines if line.strip()]
    for delimiter in DELIMITERS:
        try:
            widths = {len(row) for row in csv.reader(lines, delimiter=delimiter)}
        except csv.Error:
            continue
        widths.discard(0)
        if len(widths) == 1 and widths.pop() > 1:
            return delimiter
    # Ragged rows: the delimiter present in most lines, if any.
    counts = {d: sum(d in line for line in lines) for d in DELIMITERS}
    best = max(counts, key=counts.__getitem__)
    return best if lines and counts[best] >= 0.9 * len(lines) else None


def csv_rows(lines: Iterator[str], delimiter: str) -> Iterator[list[str]]:
    # A field may be as long as a line may be (the csv module stops at 128 KB).
    csv.field_size_limit(max(max_line(), 131072))
    reader = csv.reader(lines, delimiter=delimiter)
    last = number = 0
    try:
        for row in reader:
            number += 1
            # A row of quoted fields spanning lines is bounded as a row, not by its lines.
            if reader.line_num - last > 1:
                check_row(row, number)
            last = reader.line_num
            if row:
                yield row
    except csv.Error as exc:
        raise DumpError(
            "The CSV is malformed near line %(line)s: %(reason)s.",
            line=reader.line_num,
            reason=exc,
        ) from None


def list_rows(lines: Iterator[str]) -> Iterator[list[str]]:
    """One value per line; blank lines and `#` comments are not rows."""
    for line in lines:
        text = line.strip()
        if text and not text.startswith("#"):
            yield [text]
