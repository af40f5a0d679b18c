"""Read the phone values out of a dump file (CSV or a plain list of numbers).

Streams the file: memory stays bounded by the longest accepted line, whatever
the file's size.
"""

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import IO

from leaks.phones import InvalidPhone, normalize

MAX_LINE = 64 * 1024
SNIFF_BYTES = 64 * 1024
SAMPLE_ROWS = 200
DELIMITERS = ",\t;|"

# Header names a dump uses for its phone column, compared without case,
# spaces, underscores or dashes.
PHONE_HEADERS = {
    "手机",
    "手机号",
    "手机号码",
    "电话",
    "电话号码",
    "联系电话",
    "联系方式",
    "移动电话",
    "手机电话",
    "mobile",
    "mobilephone",
    "mobileno",
    "phone",
    "phonenumber",
    "phoneno",
    "tel",
    "telephone",
    "cell",
    "cellphone",
    "contact",
    "msisdn",
}
_HEADER_NOISE = re.compile(r"[\s_\-]+")


class DumpError(Exception):
    """A dump that cannot be read; the message is shown to the admin."""


@dataclass(frozen=True)
class PhoneColumn:
    index: int
    name: str
    found_by: str  # "header", "content", "admin" or "list"


def header_key(cell: str) -> str:
    return _HEADER_NOISE.sub("", cell.strip().strip('"').lower())


def detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        # A multi-byte character may be cut at the end of the sample.
        head.decode("utf-8") if len(head) < SNIFF_BYTES else head[:-4].decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        head.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError:
        raise DumpError(
            "Cannot tell the file's text encoding (not UTF-8, UTF-16 or GBK/GB18030); "
            "give it with --encoding."
        ) from None


def open_text(path: Path, encoding: str | None = None) -> IO[str]:
    with open(path, "rb") as raw:
        head = raw.read(SNIFF_BYTES)
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DumpError("The file is binary, not a text dump (it contains NUL bytes).")
    encoding = encoding or detect_encoding(head)
    return open(path, encoding=encoding, errors="strict", newline="")


def bounded_lines(handle: IO[str]) -> Iterator[str]:
    """Yield lines, refusing one longer than MAX_LINE instead of loading it."""
    number = 0
    while True:
        try:
            line = handle.readline(MAX_LINE + 1)
        except UnicodeDecodeError as exc:
            raise DumpError(
                f"The text encoding breaks after line {number}: {exc.reason}."
            ) from None
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE:
            raise DumpError(f"Line {number} is longer than {MAX_LINE // 1024} KB; not a dump row.")
        yield line


def sniff_delimiter(lines: list[str]) -> str | None:
    """The delimiter that splits every sample line into the same number (>1) of fields."""
    for delimiter in DELIMITERS:
        widths = {len(row) for row in csv.reader(io.StringIO("".join(lines)), delimiter=delimiter)}
        widths.discard(0)
        if len(widths) == 1 and widths.pop() > 1:
            return delimiter
    return None


def looks_like_phone(value: str) -> bool:
    try:
        phone = normalize(value)
    except InvalidPhone:
        return False
    # Bare digit strings parse as landlines surprisingly often (QQ numbers,
    # order ids); only mobiles or explicitly written numbers count as evidence.
    return phone.kind in ("mobile", "fixed_line_or_mobile") or not value.strip().isdigit()


def choose_column(header: list[str] | None, sample: list[list[str]]) -> PhoneColumn:
    if header:
        for index, cell in enumerate(header):
            if header_key(cell) in PHONE_HEADERS:
                return PhoneColumn(index, cell.strip(), "header")
    width = max((len(row) for row in sample), default=0)
    scores = [sum(looks_like_phone(row[i]) for row in sample if i < len(row)) for i in range(width)]
    if not scores or max(scores) == 0 or max(scores) < len(sample) * 0.2:
        raise DumpError(
            "No column looks like phone numbers (by header or content); name it with --column."
        )
    best = scores.index(max(scores))
    name = header[best].strip() if header and best < len(header) else f"#{best}"
    return PhoneColumn(best, name, "content")


def pick_column(header: list[str] | None, wanted: str) -> PhoneColumn:
    if wanted.isdigit():
        index = int(wanted)
        name = header[index] if header and index < len(header) else f"#{index}"
        return PhoneColumn(index, name, "admin")
    keys = [header_key(cell) for cell in header or []]
    if header_key(wanted) not in keys:
        raise DumpError(f"No column named {wanted!r} in the header.")
    index = keys.index(header_key(wanted))
    return PhoneColumn(index, header[index].strip(), "admin")


def is_header(row: list[str]) -> bool:
    """A first row with no digits at all, or with a known phone header, is a header."""
    return any(header_key(c) in PHONE_HEADERS for c in row) or not any(
        ch.isdigit() for cell in row for ch in cell
    )


def read_phone_values(
    path: Path, *, column: str | None = None, encoding: str | None = None
) -> tuple[PhoneColumn, Iterator[str | None]]:
    """Return the chosen column and an iterator of each row's phone value (None if empty)."""
    handle = open_text(path, encoding)
    lines = bounded_lines(handle)
    head = list(islice(lines, SAMPLE_ROWS + 1))
    delimiter = sniff_delimiter(head[:50]) if head else None
    if delimiter is None:
        # A one-column file may still carry a header such as 手机号.
        if head and header_key(head[0]) in PHONE_HEADERS:
            return PhoneColumn(0, head[0].strip(), "header"), _list_values(
                chain(head[1:], lines), handle
            )
        return PhoneColumn(0, "", "list"), _list_values(chain(head, lines), handle)
    rows = csv.reader(chain(head, lines), delimiter=delimiter)
    sample = [row for row in islice(rows, SAMPLE_ROWS + 1) if row]
    header = sample[0] if sample and is_header(sample[0]) else None
    data_sample = sample[1:] if header else sample
    chosen = pick_column(header, column) if column else choose_column(header, data_sample)
    data = chain(data_sample, rows)
    return chosen, _csv_values(data, chosen.index, handle)


def _list_values(lines: Iterator[str], handle: IO[str]) -> Iterator[str | None]:
    with handle:
        for line in lines:
            text = line.strip()
            if text and not text.startswith("#"):
                yield text


def _csv_values(rows: Iterator[list[str]], index: int, handle: IO[str]) -> Iterator[str | None]:
    with handle:
        try:
            for row in rows:
                if not row:
                    continue
                value = row[index].strip() if index < len(row) else ""
                yield value or None
        except csv.Error as exc:
            raise DumpError(f"The CSV is malformed: {exc}.") from None
