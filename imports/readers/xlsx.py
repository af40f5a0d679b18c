"""Excel .xlsx workbooks, streamed from their XML with a bounded memory.

openpyxl keeps a workbook's whole shared-strings table in memory as Python
strings (a 3 MB file of unique strings took 300 MB), so the parts are read
here with expat directly: the shared strings go to a temporary file with only
an offset per string in memory, and each sheet is read row by row with no
tree kept. A part with a DTD is refused (an xlsx has none), so no entity can
expand.
"""

import re
import struct
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO
from xml.parsers import expat

from django.conf import settings

from imports.readers.base import (
    CELL_COST,
    DumpError,
    Table,
    cell_text,
    max_line,
    name_part,
    row_too_big,
)

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main "
RELATION_ID = "http://schemas.openxmlformats.org/officeDocument/2006/relationships id"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships "
_CELL_REF = re.compile(r"([A-Z]{1,3})")
_INTEGER = re.compile(r"-?\d{1,18}")
MAX_COLUMNS = 16384  # Excel's last column, XFD
_OFFSET = struct.Struct("<Q")
_PAIR = struct.Struct("<QQ")


def check_unpacked_size(path: Path) -> None:
    """An xlsx is a zip: refuse one whose parts declare a bomb-like size."""
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
    unpacked = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos)
    if unpacked > settings.IMPORT_MAX_UNPACKED_BYTES or (
        unpacked > settings.IMPORT_RATIO_AFTER and unpacked > settings.IMPORT_MAX_RATIO * packed
    ):
        raise DumpError("The workbook unpacks to a bomb-like size; refused.")


def xlsx_tables(path: Path) -> Iterator[Table]:
    try:
        check_unpacked_size(path)
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DumpError("The workbook cannot be opened: %(reason)s.", reason=exc) from None
    with archive, shared_strings(archive) as strings:
        for title, part in _sheets(archive):
            rows = _rows(archive, part, strings)
            yield Table(name_part(title), None, rows, {"detect_header": True})


# The attributes of an end event: shared, never written to.
_NO_ATTRIBUTES: dict[str, str] = {}


def _events(part: IO[bytes]) -> Iterator[tuple[str, str, dict[str, str], str]]:
    """("start", tag, attributes, "") and ("end", tag, {}, text) of an XML part, streamed.

    Tags are "namespace name"; the text is the character data just before the end."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    events: list[tuple[str, str, dict[str, str], str]] = []
    text: list[str] = []

    def start(tag: str, attributes: dict[str, str]) -> None:
        events.append(("start", tag, attributes, ""))
        text.clear()

    def end(tag: str) -> None:
        events.append(("end", tag, _NO_ATTRIBUTES, "".join(text)))
        text.clear()

    def refuse(*args: object) -> None:
        raise DumpError("The workbook's XML declares a DTD or entities; refused.")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text.append
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        while block := part.read(1 << 16):
            parser.Parse(block, False)
            yield from events
            events.clear()
            if sum(map(len, text)) > max_line():
                raise _too_long()
        parser.Parse(b"", True)
        yield from events
    except (expat.ExpatError, zipfile.BadZipFile, OSError) as exc:
        raise DumpError("The workbook cannot be opened: %(reason)s.", reason=exc) from None


def _too_long() -> DumpError:
    return DumpError(
        "A workbook cell is longer than %(limit)s KB; not a dump row.",
        limit=max_line() // 1024,
    )


class SharedStrings:
    """The workbook's shared strings in temporary files: the texts one after
    another, and the end offset of each as 8 bytes, so memory stays flat
    however many strings a workbook has."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by shared_strings()
        self.ends = tempfile.TemporaryFile()  # noqa: SIM115 - closed by shared_strings()
        self.count = 0
        self.size = 0

    def append(self, text: str) -> None:
        data = text.encode("utf-8")
        self.file.write(data)
        self.size += len(data)
        self.ends.write(_OFFSET.pack(self.size))
        self.count += 1

    def span(self, index: int) -> tuple[int, int]:
        """Where string `index` starts and ends in the file, in UTF-8 bytes."""
        if not 0 <= index < self.count:
            raise DumpError("The workbook refers to a shared string it does not have.")
        if index == 0:
            self.ends.seek(0)
            return 0, _OFFSET.unpack(self.ends.read(8))[0]
        self.ends.seek(8 * (index - 1))
        start, end = _PAIR.unpack(self.ends.read(16))
        return start, end

    def __getitem__(self, index: int) -> str:
        start, end = self.span(index)
        self.file.seek(start)
        return self.file.read(end - start).decode("utf-8")

    def close(self) -> None:
        self.file.close()
        self.ends.close()


@contextmanager
def shared_strings(archive: zipfile.ZipFile) -> Iterator[SharedStrings]:
    strings = SharedStrings()
    try:
        if "xl/sharedStrings.xml" in archive.namelist():
            with archive.open("xl/sharedStrings.xml") as part:
                _read_strings(part, strings)
        yield strings
    finally:
        strings.close()


def _read_strings(part: IO[bytes], strings: SharedStrings) -> None:
    parts: list[str] = []
    phonetic = 0  # inside <rPh>: a reading guide, not the cell's text
    for event, tag, _attributes, data in _events(part):
        if tag == MAIN + "rPh":
            phonetic += 1 if event == "start" else -1
        elif event == "end" and tag == MAIN + "t" and not phonetic:
            parts.append(data)
        elif event == "end" and tag == MAIN + "si":
            text = "".join(parts)
            if len(text) > max_line():
                raise _too_long()
            strings.append(text)
            parts = []


def _sheets(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(title, part name) of each worksheet, in the workbook's order."""
    names = set(archive.namelist())
    targets: dict[str, str] = {}
    if "xl/_rels/workbook.xml.rels" in names:
        with archive.open("xl/_rels/workbook.xml.rels") as part:
            for event, tag, attributes, _text in _events(part):
                if event == "start" and tag == PACKAGE + "Relationship":
                    target = attributes.get("Target", "")
                    if target.startswith("/"):
                        target = target[1:]
                    else:
                        target = str(PurePosixPath("xl") / target)
                    targets[attributes.get("Id", "")] = target
    sheets = []
    if "xl/workbook.xml" in names:
        with archive.open("xl/workbook.xml") as part:
            for event, tag, attributes, _text in _events(part):
                if event == "start" and tag == MAIN + "sheet":
                    target = targets.get(attributes.get(RELATION_ID, ""), "")
                    if target in names:
                        sheets.append((attributes.get("name") or target, target))
    if not sheets:
        raise DumpError("The workbook has no worksheets.")
    return sheets


def _rows(archive: zipfile.ZipFile, name: str, strings: SharedStrings) -> Iterator[list[str]]:
    """A sheet's rows. A row is bounded by the text it holds, shared strings
    counted at each use (a cell pointing at a 1 MB string is 1 MB, however many
    cells point at it), and weighed before a string is read."""
    cells: dict[int, str] = {}
    size, limit, number = 0, max_line(), 0
    kind: str = "n"
    ref: str | None = None
    value: str | None = None
    inline: list[str] | None = None
    with archive.open(name) as part:
        for event, tag, attributes, data in _events(part):
            if event == "start":
                if tag == MAIN + "c":
                    kind, ref, value, inline = (
                        attributes.get("t", "n"),
                        attributes.get("r"),
                        None,
                        None,
                    )
                elif tag == MAIN + "is":
                    inline = []
                continue
            if tag == MAIN + "v":
                value = data
            elif tag == MAIN + "t" and inline is not None:
                inline.append(data)
            elif tag == MAIN + "c":
                if kind == "s" and value is not None:
                    size += _shared_size(strings, value)
                    if size + CELL_COST * len(cells) > limit:
                        raise row_too_big(number + 1)
                text = _cell(kind, value, inline, strings)
                if text is not None:
                    if kind != "s":
                        size += len(text)
                    cells[_column(ref, len(cells))] = text
                    if size + CELL_COST * len(cells) > limit:
                        raise row_too_big(number + 1)
            elif tag == MAIN + "row":
                number += 1
                if cells:
                    row = [""] * (max(cells) + 1)
                    for column, text in cells.items():
                        row[column] = text
                    yield row
                cells, size = {}, 0


def _shared_size(strings: SharedStrings, value: str) -> int:
    try:
        start, end = strings.span(int(value))
    except ValueError:
        raise DumpError("The workbook refers to a shared string it does not have.") from None
    return end - start


def _column(ref: str | None, default: int) -> int:
    match = _CELL_REF.match(ref or "")
    if not match:
        return default
    index = 0
    for letter in match.group(1):
        index = index * 26 + ord(letter) - 64
    if index > MAX_COLUMNS:
        raise DumpError("The workbook has a cell beyond Excel's last column.")
    return index - 1


def _cell(
    kind: str, value: str | None, inline: list[str] | None, strings: SharedStrings
) -> str | None:
    """A cell's value as text, as openpyxl gives it; None for an empty cell."""
    if kind == "inlineStr":
        return "".join(inline) if inline is not None else None
    if value is None:
        return None
    if kind == "s":
        try:
            return strings[int(value)]
        except ValueError:
            raise DumpError("The workbook refers to a shared string it does not have.") from None
    if kind in ("str", "d"):
        return value
    if kind in ("b", "e"):
        return ""  # booleans and errors are never a phone number
    if _INTEGER.fullmatch(value):
        return str(int(value))
    try:
        return cell_text(float(value))
    except ValueError:
        return value
