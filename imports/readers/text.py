"""Text encodings and bounded line reading over binary streams.

Lines are cut from large blocks on the newline byte, which never occurs inside
a multi-byte character of UTF-8 or GB18030; that is what lets a dump be split
into byte ranges read by different workers. UTF-16 is read through a decoder
and is never split.
"""

import codecs
import io
from collections.abc import Iterator
from typing import BinaryIO

from imports.readers.base import DumpError, max_line
from imports.readers.sources import iter_blocks

SNIFF_BYTES = 64 * 1024
# Encodings in which the byte 0x0A is always a newline: safe to split by bytes.
SPLITTABLE = {"utf-8", "utf-8-sig", "gb18030", "gbk", "gb2312", "ascii", "latin-1"}
_CONTROL = set(range(0, 32)) - {9, 10, 12, 13}


def normal_encoding(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise DumpError(
            "Unknown text encoding “%(encoding)s”.", option="encoding", encoding=name
        ) from None


def detect_encoding(head: bytes, *, complete: bool = False) -> str:
    """UTF-8 (with or without BOM), UTF-16 (with or without BOM) or GB18030.

    `head` is the start of a longer text unless `complete`: a character cut at
    its end is then no evidence against an encoding, so the sample is decoded
    incrementally and only a wrong byte before the cut fails it."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    utf16 = _utf16_without_bom(head)
    if utf16:
        return utf16
    if is_binary(head):
        raise DumpError("The file is binary, not a text dump.")
    for encoding in ("utf-8", "gb18030"):
        if decodes_as(head, encoding, complete=complete):
            return encoding
    raise DumpError(
        "Cannot tell the file's text encoding (not UTF-8, UTF-16 or GBK/GB18030).",
        option="encoding",
    )


def decodes_as(data: bytes, encoding: str, *, complete: bool) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        decoder.decode(data, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text has a NUL in many odd (LE) or even (BE) bytes and almost none
    in the others: every ASCII character (digits, commas, newlines) has one."""
    sample = head[: len(head) // 2 * 2][:8192]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    for encoding, zeros, others in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if zeros.count(0) > 0.9 * len(zeros) and others.count(0) < 0.1 * len(others):
            return encoding
        # Chinese text between the ASCII: fewer NULs, but still only on one side.
        if (
            zeros.count(0) > 0.2 * len(zeros)
            and others.count(0) < 0.01 * len(others)
            and _reads_as_text(sample, encoding)
        ):
            return encoding
    return None


def _reads_as_text(sample: bytes, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        decoded = decoder.decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    control = sum(1 for char in decoded if ord(char) < 32 and char not in "\t\r\n\f")
    return control == 0


def is_binary(head: bytes) -> bool:
    if b"\x00" in head:
        return True
    control = sum(1 for byte in head[:8192] if byte in _CONTROL)
    return control > max(2, len(head[:8192]) // 100)


def row_starts(stream: BinaryIO, step: int) -> list[int]:
    """Offsets, about `step` bytes apart, where a CSV row starts.

    A quoted field may hold a newline, so a row starts only after a newline
    that an even number of quote characters precede (ASCII-compatible text)."""
    starts: list[int] = []
    offset, inside, target = 0, 0, step
    for block in iter_blocks(stream):
        pos = 0
        while pos < len(block):
            if offset + pos < target:
                cut = min(len(block), target - offset)
                inside ^= block.count(b'"', pos, cut) & 1
                pos = cut
                continue
            newline = block.find(b"\n", pos)
            if newline < 0:
                inside ^= block.count(b'"', pos) & 1
                break
            inside ^= block.count(b'"', pos, newline) & 1
            pos = newline + 1
            if not inside:
                starts.append(offset + pos)
                target = offset + pos + step
        offset += len(block)
    return [start for start in starts if start < offset]


def range_blocks(stream: BinaryIO, start: int, end: int | None) -> Iterator[bytes]:
    """Blocks holding exactly the lines that start in [start, end)."""
    if start > 0:
        stream.seek(start - 1)
        # The line running across `start` belongs to the range before.
        while True:
            piece = stream.readline(1 << 20)
            if not piece or piece.endswith(b"\n"):
                break
    position = stream.tell() if start > 0 else 0
    if end is None:
        yield from iter_blocks(stream)
        return
    if position >= end:
        return
    for block in iter_blocks(stream):
        cut_from = max(0, end - 1 - position)
        if cut_from < len(block):
            newline = block.find(b"\n", cut_from)
            if newline >= 0:
                yield block[: newline + 1]
                return
        position += len(block)
        yield block


def split_lines(blocks: Iterator[bytes], encoding: str, first_line: int = 0) -> Iterator[str]:
    """Decoded lines (without their newline), refusing one longer than the limit."""
    limit = max_line()
    pending = b""
    number = first_line
    bom_checked = False
    for block in blocks:
        if not bom_checked:
            bom_checked = True
            if block.startswith(codecs.BOM_UTF8):
                block = block[3:]
        data = pending + block if pending else block
        cut = data.rfind(b"\n")
        if cut < 0:
            pending = data
            _check_length(pending, number, limit)
            continue
        pending = data[cut + 1 :]
        _check_length(pending, number, limit)
        try:
            text = data[: cut + 1].decode(encoding)
        except UnicodeDecodeError as exc:
            raise DumpError(
                "The text is not valid %(encoding)s near line %(line)s: %(reason)s.",
                option="encoding",
                encoding=encoding,
                line=number + 1,
                reason=exc.reason,
            ) from None
        lines = text.split("\n")
        lines.pop()  # the empty piece after the last newline
        for line in lines:
            if len(line) > limit:
                raise _too_long(number + 1, limit)
            number += 1
            yield line
    if pending:
        try:
            yield pending.decode(encoding)
        except UnicodeDecodeError as exc:
            raise DumpError(
                "The text is not valid %(encoding)s at the end: %(reason)s.",
                option="encoding",
                encoding=encoding,
                reason=exc.reason,
            ) from None


def _check_length(pending: bytes, number: int, limit: int) -> None:
    if len(pending) > limit:
        raise _too_long(number + 1, limit)


def _too_long(number: int, limit: int) -> DumpError:
    return DumpError(
        "Line %(line)s is longer than %(limit)s KB; not a dump row.",
        line=number,
        limit=limit // 1024,
    )


def decoded_lines(stream: BinaryIO, encoding: str) -> Iterator[str]:
    """Lines of a stream in an encoding that cannot be split by bytes (UTF-16)."""
    limit = max_line()
    handle = io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline="")
    number = 0
    while True:
        try:
            line = handle.readline(limit + 1)
        except UnicodeDecodeError as exc:
            raise DumpError(
                "The text encoding breaks after line %(line)s: %(reason)s.",
                option="encoding",
                line=number,
                reason=exc.reason,
            ) from None
        if not line:
            return
        number += 1
        if len(line) > limit and not line.endswith("\n"):
            raise _too_long(number, limit)
        yield line.rstrip("\r\n")


def lines_of(
    stream: BinaryIO, encoding: str, start: int = 0, end: int | None = None
) -> Iterator[str]:
    if normal_encoding(encoding) in SPLITTABLE or encoding in SPLITTABLE:
        return split_lines(range_blocks(stream, start, end), encoding)
    if start or end is not None:
        raise DumpError("A %(encoding)s file cannot be split into byte ranges.", encoding=encoding)
    return decoded_lines(stream, encoding)
