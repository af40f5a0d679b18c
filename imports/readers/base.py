"""What every dump reader shares: the error an admin reads, limits, and tables of rows."""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings

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
        self.params = {name: str(value) for name, value in params.items()}
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
