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

from leaks.readers.base import DumpError

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
        raise DumpError(f"The zip archive is damaged: {exc}.") from None
    found = []
    for info in infos:
        name = info.filename
        pure = PurePosixPath(name.replace("\\", "/"))
        if pure.is_absolute() or ".." in pure.parts or (len(name) > 1 and name[1] == ":"):
            raise DumpError(f"The archive member {name!r} has an unsafe path; refused.")
        if info.is_dir() or name.startswith(_SKIPPED_MEMBERS) or name.endswith(".DS_Store"):
            continue
        if info.flag_bits & 0x1:
            raise DumpError(f"The archive member {name!r} is encrypted; unpack it first.")
        found.append(Member(name, "zip"))
    if not found:
        raise DumpError("The zip archive holds no files.")
    return found


class MeteredReader(io.RawIOBase):
    """Counts decompressed bytes and stops a stream that expands like a bomb."""

    def __init__(self, inner: BinaryIO, name: str, packed: "PackedCounter") -> None:
        self.inner = inner
        self.name = name
        self.packed = packed
        self.unpacked = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.inner.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        self.unpacked += size
        limit = settings.IMPORT_MAX_UNPACKED_BYTES
        ratio = settings.IMPORT_MAX_RATIO
        if self.unpacked > limit:
            raise DumpError(
                f"{self.name} unpacks to more than {limit // 2**20} MB; refused as a bomb."
            )
        if self.unpacked > settings.IMPORT_RATIO_AFTER and self.unpacked > ratio * max(
            self.packed.bytes, 1
        ):
            raise DumpError(
                f"{self.name} expands more than {ratio} times its packed size; "
                "refused as a zip bomb."
            )
        return size


class PackedCounter(io.RawIOBase):
    """Counts the bytes read from the file on disk: the import's byte progress."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.bytes = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.bytes += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()


@contextmanager
def open_member(path: Path, member: Member, progress: PackedCounter | None = None):
    """A buffered binary stream of one member; `progress.bytes` tracks the disk side."""
    with open(path, "rb") as raw:
        packed = progress or PackedCounter(raw)
        packed.raw = raw
        if member.compression == "":
            yield io.BufferedReader(packed, buffer_size=1 << 20)
            return
        try:
            if member.compression == "zip":
                with (
                    zipfile.ZipFile(io.BufferedReader(packed, 1 << 16)) as archive,
                    archive.open(member.name) as inner,
                ):
                    yield _metered(inner, member.name, packed)
                return
            with _OPENERS[member.compression](io.BufferedReader(packed, 1 << 16)) as inner:
                yield _metered(inner, member.name, packed)
        except (OSError, EOFError, lzma.LZMAError, zipfile.BadZipFile, zlib.error) as exc:
            raise DumpError(f"The compressed data is damaged: {exc}.") from None


def _metered(inner: BinaryIO, name: str, packed: PackedCounter) -> BinaryIO:
    return io.BufferedReader(MeteredReader(inner, name, packed), 1 << 20)


def iter_blocks(stream: BinaryIO, size: int = 1 << 20) -> Iterator[bytes]:
    while block := stream.read(size):
        yield block
