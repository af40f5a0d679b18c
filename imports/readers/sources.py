"""Open a dump as one or more binary streams: plain, gzip, bzip2, xz or zip members.

Archives are hostile until proven otherwise: a member path with `..` or an
absolute path is refused, and every decompressed stream goes through one meter
(Unpacker) that weighs the bytes it gave out against the packed bytes the
decompressor really took in, so a bomb of any kind fails after a bounded
amount of work instead of filling memory or disk.
"""

import bz2
import io
import lzma
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, BinaryIO, Protocol

from django.conf import settings

from imports.readers.base import DumpError

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

MAGIC = {
    b"\x1f\x8b": "gz",
    b"BZh": "bz2",
    b"\xfd7zXZ\x00": "xz",
    b"PK\x03\x04": "zip",
}
_SKIPPED_MEMBERS = ("__MACOSX/", ".DS_Store")


@dataclass(frozen=True)
class Member:
    """One stream to read: the file itself, its decompressed content, or a zip member."""

    name: str
    compression: str  # "", "gz", "bz2", "xz" or "zip"
    # A zip member's entry, read once with the archive's listing.
    info: zipfile.ZipInfo | None = field(default=None, compare=False, repr=False)


def compression_of(path: Path) -> str:
    with open(path, "rb") as handle:
        head = handle.read(8)
    for magic, kind in MAGIC.items():
        if head.startswith(magic):
            return kind
    return ""


def is_xlsx_zip(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False
    return "xl/workbook.xml" in names


def members(path: Path) -> list[Member]:
    """The streams a dump file holds, refusing unsafe archive members."""
    kind = compression_of(path)
    if kind != "zip":
        return [Member(path.name, kind)]
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise DumpError("The zip archive is damaged: %(reason)s.", reason=exc) from None
    found = []
    for info in infos:
        name = info.filename
        pure = PurePosixPath(name.replace("\\", "/"))
        if pure.is_absolute() or ".." in pure.parts or (len(name) > 1 and name[1] == ":"):
            raise DumpError(
                "The archive member “%(member)s” has an unsafe path; refused.", member=name
            )
        if info.is_dir() or name.startswith(_SKIPPED_MEMBERS) or name.endswith(".DS_Store"):
            continue
        if info.flag_bits & 0x1:
            raise DumpError(
                "The archive member “%(member)s” is encrypted; unpack it first.", member=name
            )
        found.append(Member(name, "zip", info))
        if len(found) > settings.IMPORT_MAX_FIELDS:
            # Each member is a table of the plan and the report.
            raise DumpError(
                "The archive holds more than %(count)s files; unpack it and upload them in parts.",
                count=settings.IMPORT_MAX_FIELDS,
            )
    if not found:
        raise DumpError("The zip archive holds no files.")
    return found


class PackedCounter:
    """Bytes read from the file on disk (the import's byte progress), and bytes
    unpacked from it: shared by every member of an archive, so the unpacked
    limit holds for the archive as a whole, not for each member."""

    def __init__(self) -> None:
        self.bytes = 0
        self.unpacked = 0


class DiskReader(io.RawIOBase):
    """The file on disk, counting what is read into a PackedCounter."""

    def __init__(self, raw: BinaryIO, packed: PackedCounter) -> None:
        self.raw = raw
        self.packed = packed

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: "WriteableBuffer") -> int:
        view = memoryview(buffer)
        data = self.raw.read(len(view))
        view[: len(data)] = data
        self.packed.bytes += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()


def size_text(size: int) -> str:
    return f"{size // 2**20} MB" if size >= 2**20 else f"{size // 1024} KB"


# Packed bytes handed to a decompressor at a time, and only when it asks for
# more: what the meter counts as consumed is then never more than one piece
# ahead of what the decompressor really used, whatever the archive kind.
PIECE = 8 * 1024


class _Codec(Protocol):
    @property
    def eof(self) -> bool: ...

    @property
    def unused_data(self) -> bytes: ...

    @property
    def needs_input(self) -> bool: ...

    def decompress(self, data: bytes, max_length: int) -> bytes: ...


class _Zlib:
    """zlib's decompressor with the interface bz2 and lzma share."""

    def __init__(self, wbits: int) -> None:
        self.inner = zlib.decompressobj(wbits)
        self.tail = b""
        self.full = False

    @property
    def eof(self) -> bool:
        return self.inner.eof

    @property
    def unused_data(self) -> bytes:
        return self.inner.unused_data

    @property
    def needs_input(self) -> bool:
        # An output cut at max_length may have more to give without new input.
        return not self.tail and not self.full

    def decompress(self, data: bytes, max_length: int) -> bytes:
        out = self.inner.decompress(self.tail + data if self.tail else data, max_length)
        self.tail = self.inner.unconsumed_tail
        self.full = len(out) >= max_length
        return out


class _Stored:
    """A zip member stored without compression."""

    def __init__(self) -> None:
        self.eof = False
        self.unused_data = b""
        self.tail = b""

    @property
    def needs_input(self) -> bool:
        return not self.tail

    def decompress(self, data: bytes, max_length: int) -> bytes:
        data = self.tail + data if self.tail else data
        self.tail = data[max_length:]
        return data[:max_length]


def _zip_lzma(header: bytes) -> lzma.LZMADecompressor:
    """A zip member's LZMA: version (2 bytes), properties size (2), properties (5)."""
    if len(header) < 9:
        raise DumpError("The compressed data is damaged: %(reason)s.", reason="short LZMA header")
    props = header[4:9]
    pb, rest = divmod(props[0], 45)
    lp, lc = divmod(rest, 9)
    filters = [
        {
            "id": lzma.FILTER_LZMA1,
            "dict_size": int.from_bytes(props[1:5], "little"),
            "lc": lc,
            "lp": lp,
            "pb": pb,
        }
    ]
    return lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=filters)


_STREAM_CODECS: dict[str, Callable[[], _Codec]] = {
    "gz": lambda: _Zlib(31),
    "bz2": bz2.BZ2Decompressor,
    "xz": lambda: lzma.LZMADecompressor(lzma.FORMAT_XZ),
}


class Unpacker(io.RawIOBase):
    """Decompressed bytes of one packed stream (a .gz, .bz2 or .xz file, or a zip
    member), with one meter for every kind: bytes that came out against packed
    bytes the decompressor actually took in (PackedCounter), checked after
    every piece, so a bomb of any kind is refused at the same ratio at about
    the same point. .gz, .bz2 and .xz may hold several streams one after another."""

    def __init__(
        self,
        source: IO[bytes],
        length: int | None,
        make: Callable[[], _Codec],
        *,
        name: str,
        packed: PackedCounter,
        archive: bool,
        multistream: bool,
        crc: int | None = None,
    ) -> None:
        self.source = source
        self.left = length
        self.make = make
        self.codec = make()
        self.name = name
        self.packed = packed
        self.archive = archive
        self.multistream = multistream
        self.crc = crc
        self.crc_seen = 0
        self.pending = b""
        self.done = False

    def readable(self) -> bool:
        return True

    def _take(self) -> bytes:
        size = PIECE if self.left is None else min(PIECE, self.left)
        data = self.source.read(size) if size else b""
        if self.left is not None:
            self.left -= len(data)
        self.packed.bytes += len(data)
        return data

    def _next(self, max_length: int) -> bytes:
        while not self.done:
            if self.codec.eof:
                rest = self.pending + self.codec.unused_data
                self.pending = b""
                if self.multistream:
                    rest = rest.lstrip(b"\x00")  # gzip tolerates zero padding
                    while not rest:
                        more = self._take()
                        if not more:
                            break
                        rest = more.lstrip(b"\x00")
                if not self.multistream or not rest:
                    self.done = True
                    self._check_crc()
                    return b""
                self.codec = self.make()
                self.pending = rest
                continue
            data = b""
            if self.codec.needs_input:
                data, self.pending = (self.pending, b"") if self.pending else (self._take(), b"")
                if not data and isinstance(self.codec, _Stored):
                    self.codec.eof = True  # a stored member ends with its bytes
                    continue
                if not data:
                    raise DumpError(
                        "The compressed data is damaged: %(reason)s.",
                        reason="it ends before its last block",
                    )
            out = self.codec.decompress(data, max_length)
            if out:
                return out
        return b""

    def _check_crc(self) -> None:
        if self.crc is not None and self.crc_seen != self.crc:
            raise DumpError(
                "The compressed data is damaged: %(reason)s.", reason="bad CRC-32 for a member"
            )

    def readinto(self, buffer: "WriteableBuffer") -> int:
        view = memoryview(buffer).cast("B")
        data = self._next(len(view))
        size = len(data)
        view[:size] = data
        if self.crc is not None:
            self.crc_seen = zlib.crc32(data, self.crc_seen)
        self.packed.unpacked += size
        self._meter()
        return size

    def _meter(self) -> None:
        unpacked = self.packed.unpacked
        limit = settings.IMPORT_MAX_UNPACKED_BYTES
        ratio = settings.IMPORT_MAX_RATIO
        if unpacked > limit:
            if self.archive:
                raise DumpError(
                    "The archive's files together unpack to more than %(size)s; refused as a bomb.",
                    size=size_text(limit),
                )
            raise DumpError(
                "%(member)s unpacks to more than %(size)s; refused as a bomb.",
                member=self.name,
                size=size_text(limit),
            )
        if unpacked > settings.IMPORT_RATIO_AFTER and unpacked > ratio * max(self.packed.bytes, 1):
            raise DumpError(
                "%(member)s expands more than %(ratio)s times its packed size; "
                "refused as a zip bomb.",
                member=self.name,
                ratio=ratio,
            )


@contextmanager
def open_member(
    path: Path, member: Member, progress: PackedCounter | None = None
) -> Iterator[io.BufferedReader]:
    """A buffered binary stream of one member; `progress` counts its bytes.

    Pass the same `progress` for every member of an archive: it carries the
    archive's unpacked total."""
    with open(path, "rb") as raw:
        packed = progress or PackedCounter()
        if member.compression == "":
            yield io.BufferedReader(DiskReader(raw, packed), buffer_size=1 << 20)
            return
        try:
            if member.compression == "zip":
                unpacker = _zip_unpacker(raw, member, packed)
            else:
                unpacker = Unpacker(
                    io.BufferedReader(raw, 1 << 16),
                    None,
                    _STREAM_CODECS[member.compression],
                    name=member.name,
                    packed=packed,
                    archive=False,
                    multistream=True,
                )
            yield io.BufferedReader(unpacker, 1 << 20)
        except (OSError, EOFError, lzma.LZMAError, zipfile.BadZipFile, zlib.error) as exc:
            raise DumpError("The compressed data is damaged: %(reason)s.", reason=exc) from None


def _zip_unpacker(raw: io.BufferedReader, member: Member, packed: PackedCounter) -> Unpacker:
    """A zip member read straight from its local entry, through the same meter as
    a .gz (zipfile's own reader takes packed bytes ahead of what it unpacks)."""
    info = member.info
    assert info is not None  # members() reads every entry's
    raw.seek(info.header_offset)
    header = raw.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise DumpError("The zip archive is damaged: %(reason)s.", reason="bad local header")
    name_size, extra_size = struct.unpack("<HH", header[26:30])
    raw.seek(info.header_offset + 30 + name_size + extra_size)
    length = info.compress_size
    source = io.BufferedReader(raw, 1 << 16)
    make: Callable[[], _Codec]
    if info.compress_type == zipfile.ZIP_STORED:
        make = _Stored
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        make = lambda: _Zlib(-15)  # noqa: E731
    elif info.compress_type == zipfile.ZIP_BZIP2:
        make = bz2.BZ2Decompressor
    elif info.compress_type == zipfile.ZIP_LZMA:
        lzma_header = source.read(4)
        props_size = int.from_bytes(lzma_header[2:4], "little") if len(lzma_header) == 4 else 0
        lzma_header += source.read(props_size)
        length -= len(lzma_header)
        packed.bytes += len(lzma_header)
        make = lambda: _zip_lzma(lzma_header)  # noqa: E731
    else:
        raise DumpError(
            "%(member)s is packed with a method this importer does not read (%(method)s); "
            "repack it as zip (deflate), gz, bz2 or xz.",
            member=member.name,
            method=info.compress_type,
        )
    return Unpacker(
        source,
        length,
        make,
        name=member.name,
        packed=packed,
        archive=True,
        multistream=False,
        crc=info.CRC,
    )


def iter_blocks(stream: BinaryIO, size: int = 1 << 20) -> Iterator[bytes]:
    while block := stream.read(size):
        yield block
