"""JSON lines, JSON arrays of records and JSON objects of records; the phone may
sit in a nested object.

A record is flattened to dotted paths ("user.contact.mobile"), which act as the
table's header. Arrays and objects are read one element at a time, never whole.

A key is part of a column's name, and names are stored and shown: a key that
looks like a phone number becomes the placeholder of the one redaction policy
("[number].mobile"), and its text is kept as the value of that path, so the
number is read like any other cell. An object whose every key looks like a
phone number ({"13800138000": {...}, "13900139000": {...}}) holds one record a
key. Every record is bounded by the text it flattens to (IMPORT_MAX_LINE) and
by its depth, and a table's header by IMPORT_MAX_FIELDS.
"""

import json
from collections.abc import Iterator

from django.conf import settings

from imports.readers.base import (
    CELL_COST,
    DumpError,
    bounded_sample,
    cell_text,
    max_line,
    name_part,
    too_many_fields,
)
from leaks.redaction import looks_like_phone

_decoder = json.JSONDecoder()
_WHITESPACE = " \t\r\n"
MAX_DEPTH = 64
LIST_ITEMS = 20


def flatten(value: object) -> dict[str, str]:
    out: dict[str, str] = {}
    _flat(value, "", out, [max_line()], 0)
    return out


def _flat(value: object, prefix: str, out: dict[str, str], left: list[int], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _too_deep()
    if isinstance(value, dict):
        for key, item in value.items():
            text = str(key)
            part = name_part(text)
            path = f"{prefix}.{part}" if prefix else part
            if part != text:
                # The key was a number (or an address): its text is a cell of its own.
                _put(out, path, text, left)
                if not isinstance(item, dict | list):
                    _flat(item, f"{path}.value", out, left, depth + 1)
                    continue
            _flat(item, path, out, left, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value[:LIST_ITEMS]):
            _flat(item, f"{prefix}.{index}" if prefix else str(index), out, left, depth + 1)
    else:
        _put(out, prefix or "value", cell_text(value), left)


def _put(out: dict[str, str], path: str, text: str, left: list[int]) -> None:
    left[0] -= len(path) + len(text) + CELL_COST
    if left[0] < 0:
        raise DumpError(
            "A JSON record holds more than %(limit)s KB of text once flattened; not a dump row.",
            limit=max_line() // 1024,
        )
    out[path] = text


def records_of(value: object) -> Iterator[dict[str, str]]:
    """One decoded JSON value as flat records: an object keyed by phone numbers is
    one record a key, each keeping its key as a cell."""
    if isinstance(value, dict) and len(value) > 1 and all(looks_like_phone(k) for k in value):
        for key, item in value.items():
            yield flatten({key: item})
    else:
        yield flatten(value)


def _too_deep() -> DumpError:
    return DumpError(
        "A JSON record nests deeper than %(depth)s levels; not a dump row.", depth=MAX_DEPTH
    )


def jsonl_records(lines: Iterator[str]) -> Iterator[dict[str, str]]:
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text:
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DumpError(
                "Line %(line)s is not valid JSON: %(reason)s.",
                option="format",
                line=number,
                reason=exc.msg,
            ) from None
        except RecursionError:
            raise _too_deep() from None
        yield from records_of(value)


def array_records(chunks: Iterator[str]) -> Iterator[dict[str, str]]:
    """Records of a top-level JSON array (its elements) or object (its members),
    decoded one by one from text chunks."""
    limit = max_line()
    buffer = ""
    position = 0
    closing = ""  # "]" for an array, "}" for an object, once its opening is read
    done = False
    chunks = iter(chunks)
    exhausted = False

    def more() -> bool:
        nonlocal buffer, position, exhausted
        piece = next(chunks, None)
        while piece == "":
            piece = next(chunks, None)
        if piece is None:
            exhausted = True
            return False
        buffer = buffer[position:] + piece
        position = 0
        return True

    while not done:
        while position < len(buffer) and buffer[position] in _WHITESPACE:
            position += 1
        if position >= len(buffer):
            if not more():
                break
            continue
        char = buffer[position]
        if not closing:
            if char not in "[{":
                raise DumpError("The JSON file is not an array of records.")
            closing = "]" if char == "[" else "}"
            position += 1
            continue
        if char == ",":
            position += 1
            continue
        if char == closing:
            done = True
            position += 1
            break
        try:
            key, value, end = _element(buffer, position, closing == "}")
        except json.JSONDecodeError as exc:
            if len(buffer) - position > limit:
                raise DumpError(
                    "A JSON record is longer than %(limit)s KB; not a dump row.",
                    limit=limit // 1024,
                ) from None
            if exhausted or not more():
                raise DumpError("The JSON is malformed: %(reason)s.", reason=exc.msg) from None
            continue
        except RecursionError:
            raise _too_deep() from None
        if end - position > limit:
            raise DumpError(
                "A JSON record is longer than %(limit)s KB; not a dump row.", limit=limit // 1024
            )
        # A number or string cut at the chunk's end: read on to be sure.
        if end >= len(buffer) and not exhausted and not isinstance(value, dict | list) and more():
            continue
        position = end
        if key is None:
            yield from records_of(value)
        else:
            yield flatten({key: value})
    if not closing:
        raise DumpError("The JSON file is empty.")
    if not done:
        raise DumpError("The JSON array is not closed; the file is truncated.")
    if closing == "}":
        # One object spanning lines, or JSON lines whose first record is long?
        while buffer[position:].strip(_WHITESPACE) == "" and more():
            pass
        if buffer[position:].strip(_WHITESPACE):
            raise DumpError(
                "The JSON goes on after its first object: is it one record a line "
                "(JSON lines, “jsonl”)?",
                option="format",
            )


def _element(buffer: str, position: int, member: bool) -> tuple[str | None, object, int]:
    """An array element, or an object member ("key": value), at `position`."""
    if not member:
        value, end = _decoder.raw_decode(buffer, position)
        return None, value, end
    key, end = _decoder.raw_decode(buffer, position)
    if not isinstance(key, str):
        raise DumpError("The JSON is malformed: %(reason)s.", reason="a key is not a string")
    while end < len(buffer) and buffer[end] in _WHITESPACE:
        end += 1
    if end >= len(buffer):
        raise json.JSONDecodeError("Expecting ':' delimiter", buffer, end)
    if buffer[end] != ":":
        raise DumpError("The JSON is malformed: %(reason)s.", reason="Expecting ':' delimiter")
    end += 1
    while end < len(buffer) and buffer[end] in _WHITESPACE:
        end += 1
    value, end = _decoder.raw_decode(buffer, end)
    return key, value, end


def _record_size(record: dict[str, str]) -> int:
    return sum(len(key) + len(value) + CELL_COST for key, value in record.items())


def records_table(
    records: Iterator[dict[str, str]], sample_size: int
) -> tuple[list[str], Iterator[list[str]]]:
    """A header of paths from the sample and rows aligned with it.

    Planning is linear: the header is a dict, capped at IMPORT_MAX_FIELDS, and a
    row is built from its record's own keys, not from the whole header."""
    sample = bounded_sample(records, sample_size, _record_size)
    positions: dict[str, int] = {}
    cap = settings.IMPORT_MAX_FIELDS
    for record in sample:
        for key in record:
            if key not in positions:
                if len(positions) >= cap:
                    raise too_many_fields()
                positions[key] = len(positions)
    width = len(positions)

    def row(record: dict[str, str]) -> list[str]:
        cells = [""] * width
        for key, value in record.items():
            index = positions.get(key)
            if index is not None:
                cells[index] = value
        return cells

    def rows() -> Iterator[list[str]]:
        for record in sample:
            yield row(record)
        for record in records:
            yield row(record)

    return list(positions), rows()
