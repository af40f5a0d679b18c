"""Open a dump as one or more binary streams: plain, gzip, bzip2, xz or zip members.

Archives are hostile until proven otherwise: a member path with `..` or an
absolute path is refused, and every decompressed stream is metered so a zip
bomb fails after a bounded amount of work instead of filling memory or disk.
"""

import bz2
import gzip
import io
import lzma
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from django.conf import settings

from imports.readers.base import DumpError

MAGIC = {
    b"\x1f\x8b": "gz",
    b"BZh": "bz2",
    b"\xfd7zXZ\x00": "xz",
    b"PK\x03\x04": "zip",
}
_OPENERS = {
    "gz": lambda raw: gzip.GzipFile(fileobj=raw),
    "bz2": bz2.BZ2File,
    "xz": lzma.LZMAFile,
}
_SKIPPED_MEMBERS = ("__MACOSX/", ".DS_Store")


@dataclass(frozen=True)
class Member:
    """One stream to read: the file itself, its decompressed content, or a zip member."""

    name: str
    compression: str  # "", "gz", "bz2", "xz" or "zip"


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
        found.append(Member(name, "zip"))
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

    def readinto(self, buffer) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.packed.bytes += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()


class MeteredReader(io.RawIOBase):
    """Counts decompressed bytes and stops a stream that expands like a bomb."""

    def __init__(self, inner: BinaryIO, name: str, packed: PackedCounter, archive: bool) -> None:
        self.inner = inner
        self.name = name
        self.packed = packed
        self.archive = archive

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.inner.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        self.packed.unpacked += size
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
        return size


def size_text(size: int) -> str:
    return f"{size // 2**20} MB" if size >= 2**20 else f"{size // 1024} KB"


@contextmanager
def open_member(path: Path, member: Member, progress: PackedCounter | None = None):
    """A buffered binary stream of one member; `progress` counts its bytes.

    Pass the same `progress` for every member of an archive: it carries the
    archive's unpacked total."""
    with open(path, "rb") as raw:
        packed = progress or PackedCounter()
        disk = DiskReader(raw, packed)
        if member.compression == "":
            yield io.BufferedReader(disk, buffer_size=1 << 20)
            return
        try:
            if member.compression == "zip":
                with (
                    zipfile.ZipFile(io.BufferedReader(disk, 1 << 16)) as archive,
                    archive.open(member.name) as inner,
                ):
                    yield _metered(inner, member.name, packed, archive=True)
                return
            with _OPENERS[member.compression](io.BufferedReader(disk, 1 << 16)) as inner:
                yield _metered(inner, member.name, packed, archive=False)
        except (OSError, EOFError, lzma.LZMAError, zipfile.BadZipFile, zlib.error) as exc:
            raise DumpError("The compressed data is damaged: %(reason)s.", reason=exc) from None


def _metered(inner: BinaryIO, name: str, packed: PackedCounter, *, archive: bool) -> BinaryIO:
    return io.BufferedReader(MeteredReader(inner, name, packed, archive), 1 << 20)


def iter_blocks(stream: BinaryIO, size: int = 1 << 20) -> Iterator[bytes]:
    while block := stream.read(size):
        yield block
