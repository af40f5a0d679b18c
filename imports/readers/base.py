"""What every dump reader shares: the error an admin reads, limits, and tables of rows."""

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TypeVar

from django.conf import settings

from leaks.redaction import redact

T = TypeVar("T")
# What a cell costs beyond its text, in the budgets below: an empty cell is not free.
CELL_COST = 8

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
    "联系手机",
    "移动电话",
    "手机电话",
    "mobile",
    "mobilephone",
    "mobileno",
    "mobilenumber",
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
_HEADER_NOISE = re.compile(r"[\s_\-.]+")


class DumpError(Exception):
    """A dump that cannot be read; the message is shown to the admin.

    `message` is an English msgid with %(name)s placeholders that `params` fill,
    so the web page can show it in the admin's language; `option` names the
    import option that could fix it ("encoding", "column", "format"). `str()`
    gives the English text with the management command's flag for the option;
    the upload pages name their form field instead (imports.errors).
    """

    def __init__(self, message: str, *, option: str = "", **params: object) -> None:
        self.message = message
        self.option = option
        # Member, sheet and table names, keys and reasons come from the file:
        # whatever is stored or shown passes the one redaction policy.
        # (Counts and sizes are the importer's own and stay as they are.)
        self.params = {
            name: str(value) if isinstance(value, int) else redact(str(value))
            for name, value in params.items()
        }
        super().__init__(self.english())

    def english(self) -> str:
        text = self.message % self.params if self.params else self.message
        return f"{text} Give it with --{self.option}." if self.option else text

    def as_dict(self) -> dict:
        return {"message": self.message, "params": self.params, "option": self.option}


@dataclass(frozen=True)
class PhoneColumn:
    index: int
    name: str
    found_by: str  # "header", "content", "admin" or "list"


@dataclass
class Table:
    """Rows of one table of a dump (a CSV, a sheet, an SQL table), header apart."""

    name: str
    header: list[str] | None
    rows: Iterator[list[str]]
    notes: dict = field(default_factory=dict)


def header_key(cell: str) -> str:
    return _HEADER_NOISE.sub("", str(cell).strip().strip("\"'`").lower())


def max_line() -> int:
    """The longest line (or SQL value, or JSON record) a dump may have, in characters."""
    return settings.IMPORT_MAX_LINE


def row_size(row: Sequence[str]) -> int:
    """What a row weighs in the readers' budgets: its text and CELL_COST a cell."""
    return sum(map(len, row)) + CELL_COST * len(row)


def check_row(row: Sequence[str], number: int | str) -> None:
    """Refuse a row heavier than a line may be (IMPORT_MAX_LINE): rows are built
    from decoded text, which a few packed bytes can multiply (xlsx shared
    strings, JSON paths, quoted CSV fields spanning lines)."""
    if row_size(row) > max_line():
        raise row_too_big(number)


def row_too_big(number: int | str) -> DumpError:
    return DumpError(
        "Row %(row)s holds more than %(limit)s KB of text once read; not a dump row.",
        row=number,
        limit=max_line() // 1024,
    )


def bounded_sample(items: Iterable[T], count: int, weigh: Callable[[T], int]) -> list[T]:
    """The first `count` items, refusing a sample heavier than IMPORT_MAX_SAMPLE_BYTES:
    a planning sample is held whole, so its decoded size is what a worker holds."""
    budget = settings.IMPORT_MAX_SAMPLE_BYTES
    sample: list[T] = []
    if count <= 0:
        return sample
    total = 0
    for item in items:
        total += weigh(item)
        if total > budget:
            raise sample_too_big(len(sample) + 1)
        sample.append(item)
        if len(sample) >= count:
            break
    return sample


def sample_too_big(rows: int) -> DumpError:
    return DumpError(
        "The first %(rows)s rows hold more than %(size)s of text once read; not a dump's rows.",
        rows=rows,
        size=f"{settings.IMPORT_MAX_SAMPLE_BYTES // 2**20} MB",
    )


def too_many_fields() -> DumpError:
    return DumpError(
        "The first rows have more than %(count)s different columns, fields or tables; "
        "not a dump's rows.",
        count=settings.IMPORT_MAX_FIELDS,
    )


@lru_cache(maxsize=4096)
def name_part(name: str) -> str:
    """A key, header cell or member name as it may be stored or shown: a part that
    looks like a phone number becomes the placeholder (the one redaction policy)."""
    return redact(name)


def cell_text(value: object) -> str:
    """A cell as text; spreadsheets and JSON give numbers, dumps give strings."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        # Exact integral floats are what a spreadsheet makes of a number column.
        return str(int(value))
    return str(value)
