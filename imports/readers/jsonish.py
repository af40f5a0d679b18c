"""JSON lines and JSON arrays of records; the phone may sit in a nested object.

A record is flattened to dotted paths ("user.contact.mobile"), which act as the
table's header. Arrays are read one element at a time, never whole.
"""

import json
from collections.abc import Iterator

from imports.readers.base import DumpError, cell_text, max_line

_decoder = json.JSONDecoder()
_WHITESPACE = " \t\r\n"


def flatten(value: object, prefix: str = "", out: dict | None = None) -> dict[str, str]:
    out = {} if out is None else out
    if isinstance(value, dict):
        for key, item in value.items():
            flatten(item, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list):
        for index, item in enumerate(value[:20]):
            flatten(item, f"{prefix}.{index}" if prefix else str(index), out)
    else:
        out[prefix or "value"] = cell_text(value)
    return out


def jsonl_records(lines: Iterator[str]) -> Iterator[dict[str, str]]:
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text:
            continue
        try:
            yield flatten(json.loads(text))
        except json.JSONDecodeError as exc:
            raise DumpError(
                "Line %(line)s is not valid JSON: %(reason)s.",
                option="format",
                line=number,
                reason=exc.msg,
            ) from None


def array_records(chunks: Iterator[str]) -> Iterator[dict[str, str]]:
    """Elements of a top-level JSON array, decoded one by one from text chunks."""
    limit = max_line()
    buffer = ""
    position = 0
    started = False
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
        if not started:
            if char != "[":
                raise DumpError("The JSON file is not an array of records.")
            started = True
            position += 1
            continue
        if char == ",":
            position += 1
            continue
        if char == "]":
            done = True
            break
        try:
            value, end = _decoder.raw_decode(buffer, position)
        except json.JSONDecodeError as exc:
            if len(buffer) - position > limit:
                raise DumpError(
                    "A JSON record is longer than %(limit)s KB; not a dump row.",
                    limit=limit // 1024,
                ) from None
            if exhausted or not more():
                raise DumpError("The JSON is malformed: %(reason)s.", reason=exc.msg) from None
            continue
        # A number or string cut at the chunk's end: read on to be sure.
        if end >= len(buffer) and not exhausted and not isinstance(value, dict | list) and more():
            continue
        position = end
        yield flatten(value)
    if not started:
        raise DumpError("The JSON file is empty.")
    if not done:
        raise DumpError("The JSON array is not closed; the file is truncated.")


def records_table(records: Iterator[dict[str, str]], sample_size: int):
    """A header of paths from the sample and rows aligned with it."""
    sample = []
    for record in records:
        sample.append(record)
        if len(sample) >= sample_size:
            break
    header: list[str] = []
    for record in sample:
        header.extend(key for key in record if key not in header)

    def rows() -> Iterator[list[str]]:
        for record in sample:
            yield [record.get(key, "") for key in header]
        for record in records:
            yield [record.get(key, "") for key in header]

    return header, rows()
