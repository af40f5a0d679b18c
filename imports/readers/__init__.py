"""Dump readers: turn a dump file of any common shape into a stream of phone values.

`inspect()` looks at the start of a dump once and returns a Plan (format,
compression, encoding, and for line formats the delimiter and phone column).
`iter_values()` then streams each row's phone value (None for a row without
one), for the whole file or for a byte range of a line-format file, so several
workers can read one dump at once and agree on every detail.
"""

import io
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields, replace
from itertools import chain
from pathlib import Path

from django.conf import settings

from imports.readers import sources, text
from imports.readers.base import (
    DumpError,
    PhoneColumn,
    Table,
    bounded_sample,
    name_part,
    row_size,
    sample_too_big,
    too_many_fields,
)
from imports.readers.columns import SAMPLE_ROWS, column_for, is_header
from imports.readers.delimited import csv_rows, list_rows, sniff_delimiter
from imports.readers.jsonish import array_records, jsonl_records, records_table
from imports.readers.sql import looks_like_sql, sql_rows
from imports.readers.xlsx import xlsx_tables

__all__ = ["DumpError", "PhoneColumn", "Plan", "inspect", "iter_values"]

FORMATS = ("csv", "list", "jsonl", "json", "sql", "xlsx")
LINE_FORMATS = ("csv", "list", "jsonl")


@dataclass
class Plan:
    """How to read one dump, decided once by inspect() and stored on the job
    (``ImportJob.plan`` holds ``as_dict()``); every chunk reads by it. ``found``
    is what the first chunk's reading saw (columns per member, skipped tables)."""

    format: str
    compression: str = ""
    encoding: str = ""
    delimiter: str = ""
    header: list[str] | None = None
    column: dict | None = None
    members: int = 1
    splittable: bool = False
    column_wanted: str | None = None
    notes: dict = field(default_factory=dict)
    found: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Plan":
        names = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in names})

    def without_header(self) -> "Plan":
        """A first row taken for a header may really be a person's row (a name, an
        address): the chunks need it, a finished job does not keep it."""
        return replace(self, header=None)

    def report_column(self) -> dict:
        """The phone column to show in the report: the chosen one, else the first found."""
        columns = list((self.found.get("columns") or {}).values())
        column = self.column or (columns[0] if columns else None)
        return column or {"index": 0, "name": "", "by": "list"}

    @property
    def phone_column(self) -> PhoneColumn:
        column = self.column or {"index": 0, "name": "", "by": "list"}
        return PhoneColumn(column["index"], column["name"], column["by"])


def inspect(
    path: Path,
    *,
    column: str | None = None,
    encoding: str | None = None,
    format: str | None = None,  # noqa: A002 - the admin's word for it
) -> Plan:
    """Decide how to read a dump, from its first bytes and rows."""
    if format and format not in FORMATS:
        raise DumpError(
            "Unknown format “%(format)s”; use one of %(formats)s.",
            option="format",
            format=format,
            formats=", ".join(FORMATS),
        )
    if path.stat().st_size == 0:
        raise DumpError("The file is empty: it has no rows.")
    compression = sources.compression_of(path)
    if format == "xlsx" or (compression == "zip" and sources.is_xlsx_zip(path)):
        return Plan("xlsx", column_wanted=column)
    members = sources.members(path)
    member = members[0]
    with sources.open_member(path, member) as stream:
        head = stream.read(text.SNIFF_BYTES)
    if encoding:
        encoding = text.normal_encoding(encoding)
    else:
        encoding = text.detect_encoding(head, complete=len(head) < text.SNIFF_BYTES)
    found = format or _format_of(member.name, head, encoding)
    plan = Plan(
        found,
        compression=compression,
        encoding=encoding,
        members=len(members),
        column_wanted=column,
    )
    if len(members) > 1 or found not in LINE_FORMATS:
        return plan
    # A line format: settle the delimiter, header and column once for all chunks.
    with sources.open_member(path, member) as stream:
        lines = text.lines_of(stream, encoding)
        head_lines = bounded_sample(lines, SAMPLE_ROWS + 1, len)
    table = _line_table(plan, iter(head_lines), detect=True)
    sample = bounded_sample(table.rows, SAMPLE_ROWS, row_size)
    # The header is kept in the plan: a cell that looks like a number is not.
    plan.header = [name_part(cell) for cell in table.header] if table.header else table.header
    if found == "list" and not table.header and not column:
        plan.column = _column_dict(PhoneColumn(0, "", "list"))
    else:
        plan.column = _column_dict(column_for(table.header, sample, column))
    plan.splittable = compression == "" and (
        encoding in text.SPLITTABLE or text.normal_encoding(encoding) in text.SPLITTABLE
    )
    return plan


def _format_of(name: str, head: bytes, encoding: str) -> str:
    lowered = name.lower()
    for suffix in (".gz", ".bz2", ".xz"):
        lowered = lowered.removesuffix(suffix)
    if lowered.endswith(".xlsx"):
        return "xlsx"
    try:
        sample = head.decode(encoding, errors="ignore").lstrip("\ufeff \t\r\n")
    except LookupError:
        raise DumpError(
            "Unknown text encoding “%(encoding)s”.", option="encoding", encoding=encoding
        ) from None
    if sample.startswith("["):
        return "json"
    if sample.startswith("{"):
        # One record a line, or one object (of records) spread over lines.
        first, newline, _ = sample.partition("\n")
        return "json" if newline and not _json_line(first) else "jsonl"
    if lowered.endswith(".sql") or looks_like_sql(sample):
        return "sql"
    lines = sample.split("\n")[:50]
    return "csv" if sniff_delimiter(lines[:-1] or lines) else "list"


def _json_line(line: str) -> bool:
    try:
        json.loads(line)
    except (ValueError, RecursionError):
        return False
    return True


def _column_dict(column: PhoneColumn) -> dict:
    return {"index": column.index, "name": column.name, "by": column.found_by}


def _line_table(plan: Plan, lines: Iterator[str], *, detect: bool, name: str = "") -> Table:
    """Rows of a line-format stream; `detect` reads the header from the first row."""
    if plan.format == "jsonl":
        header, rows = records_table(jsonl_records(lines), SAMPLE_ROWS)
        return Table(name, header, rows)
    if plan.format == "csv":
        delimiter = plan.delimiter
        if not delimiter:
            lines = iter(lines)
            head = bounded_sample(lines, 50, len)
            delimiter = sniff_delimiter(head) or ","
            lines = chain(head, lines)
            plan.delimiter = delimiter
        rows = csv_rows(lines, delimiter)
    else:
        rows = list_rows(lines)
    if not detect:
        return Table(name, plan.header, rows)
    first = next(rows, None)
    if first is None:
        return Table(name, None, iter(()))
    notes = {"list": plan.format == "list"}
    if is_header(first) and (plan.format == "csv" or not first[0][:1].isdigit()):
        return Table(name, first, rows, notes)
    return Table(name, None, chain([first], rows), notes)


def iter_values(
    path: Path,
    plan: Plan,
    *,
    start: int = 0,
    end: int | None = None,
    progress: sources.PackedCounter | None = None,
    found: dict | None = None,
) -> Iterator[str | None]:
    """Each row's phone value (None when the row has none), in file order."""
    found = {} if found is None else found
    if plan.splittable:
        yield from _range_values(path, plan, start, end, progress)
        found.setdefault("columns", {})[name_part(path.name)] = plan.column
        return
    if start or end is not None:
        raise DumpError("This dump cannot be split into byte ranges.")
    if plan.format == "xlsx":
        yield from _tables_values(xlsx_tables(path), plan.column_wanted, found)
        return
    # One counter for every member: the unpacked limit is the archive's.
    progress = progress or sources.PackedCounter()
    for member in sources.members(path):
        with sources.open_member(path, member, progress) as stream:
            yield from _member_values(member, stream, plan, found)


def _range_values(
    path: Path,
    plan: Plan,
    start: int,
    end: int | None,
    progress: sources.PackedCounter | None,
) -> Iterator[str | None]:
    index = plan.phone_column.index
    with sources.open_member(path, sources.Member(path.name, ""), progress) as stream:
        lines = text.lines_of(stream, plan.encoding, start, end)
        rows: Iterator[list[str]]
        if plan.format == "jsonl":
            # Records name their fields; the plan's header gives the path order.
            header = plan.header or []
            key = header[index] if index < len(header) else None
            for record in jsonl_records(lines):
                value = record.get(key, "").strip() if key is not None else ""
                yield value or None
            return
        else:
            rows = _line_table(plan, lines, detect=False).rows
            if start == 0 and plan.header is not None:
                next(rows, None)
        for row in rows:
            value = row[index].strip() if index < len(row) else ""
            yield value or None


def _member_values(
    member: sources.Member, stream: io.BufferedReader, plan: Plan, found: dict
) -> Iterator[str | None]:
    if plan.members > 1:
        head = stream.peek(text.SNIFF_BYTES)[: text.SNIFF_BYTES]
        encoding = text.detect_encoding(head)
        member_plan = Plan(_format_of(member.name, head, encoding), encoding=encoding)
        member_plan.column_wanted = plan.column_wanted
        if member_plan.format == "xlsx":
            raise DumpError(
                "%(member)s: unpack workbooks from the archive and upload them.",
                member=member.name,
            )
    else:
        member_plan = Plan(plan.format, encoding=plan.encoding, delimiter=plan.delimiter)
        member_plan.column_wanted = plan.column_wanted
    if member_plan.format in LINE_FORMATS:
        lines = text.lines_of(stream, member_plan.encoding)
        table = _line_table(member_plan, lines, detect=True, name=name_part(member.name))
        yield from _tables_values(iter([table]), member_plan.column_wanted, found)
    elif member_plan.format == "json":
        chunks = _text_chunks(stream, member_plan.encoding)
        header, rows = records_table(array_records(chunks), SAMPLE_ROWS)
        table = Table(name_part(member.name), header, rows)
        yield from _tables_values(iter([table]), member_plan.column_wanted, found)
    else:
        yield from _sql_values(_text_chunks(stream, member_plan.encoding), plan, found)


def _text_chunks(stream: io.BufferedReader, encoding: str) -> Iterator[str]:
    import codecs

    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        for block in sources.iter_blocks(stream):
            yield decoder.decode(block)
        yield decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise DumpError(
            "The text is not valid %(encoding)s: %(reason)s.",
            option="encoding",
            encoding=encoding,
            reason=exc.reason,
        ) from None


def _tables_values(
    tables: Iterator[Table], wanted: str | None, found: dict
) -> Iterator[str | None]:
    chosen_any = False
    last_error: DumpError | None = None
    for table in tables:
        rows = table.rows
        header = table.header
        if table.notes.get("detect_header"):
            first = next(rows, None)
            if first is None:
                continue
            if is_header(first):
                header = first
            else:
                rows = chain([first], rows)
        sample = bounded_sample(rows, SAMPLE_ROWS, row_size)
        try:
            if table.notes.get("list") and not header and not wanted:
                column = PhoneColumn(0, "", "list")
            else:
                column = column_for(header, sample, wanted)
        except DumpError as exc:
            last_error = exc
            found.setdefault("skipped_tables", {})[table.name] = str(exc)
            continue
        chosen_any = True
        found.setdefault("columns", {})[table.name] = _column_dict(column)
        index = column.index
        for row in chain(sample, rows):
            value = row[index].strip() if index < len(row) else ""
            yield value or None
    if not chosen_any:
        raise last_error or DumpError("The dump has no rows.")


def _sql_values(chunks: Iterator[str], plan: Plan, found: dict) -> Iterator[str | None]:
    """Rows of every table; a table's column is chosen once SAMPLE_ROWS rows are in."""
    pending: dict[str, list[list[str]]] = {}
    headers: dict[str, list[str] | None] = {}
    columns: dict[str, int | None] = {}
    errors: dict[str, DumpError] = {}
    # Every table's sample is held until it is complete: together they keep to
    # the sample budget, and a dump may name only so many tables.
    held = 0
    budget = settings.IMPORT_MAX_SAMPLE_BYTES

    def decide(table: str) -> Iterator[str | None]:
        nonlocal held
        sample = pending.pop(table)
        held -= sum(map(row_size, sample))
        try:
            column = column_for(headers[table], sample, plan.column_wanted)
        except DumpError as exc:
            columns[table] = None
            errors[table] = exc
            found.setdefault("skipped_tables", {})[table] = str(exc)
            return
        columns[table] = column.index
        found.setdefault("columns", {})[table] = _column_dict(column)
        for row in sample:
            yield _value(row, column.index)

    for name, names, row in sql_rows(chunks):
        # The same table may be written with different column lists.
        table = name_part(f"{name} ({', '.join(names)})" if names else name)
        if table in columns:
            index = columns[table]
            if index is not None:
                yield _value(row, index)
            continue
        if table not in headers and len(headers) >= settings.IMPORT_MAX_FIELDS:
            raise too_many_fields()
        headers.setdefault(table, names)
        held += row_size(row)
        if held > budget:
            raise sample_too_big(sum(map(len, pending.values())) + 1)
        pending.setdefault(table, []).append(row)
        if len(pending[table]) >= SAMPLE_ROWS:
            yield from decide(table)
    for table in list(pending):
        yield from decide(table)
    if not any(index is not None for index in columns.values()):
        if errors:
            raise next(iter(errors.values()))
        raise DumpError("The SQL dump has no INSERT or COPY rows.")


def _value(row: list[str], index: int) -> str | None:
    value = row[index].strip() if index < len(row) else ""
    return value or None
