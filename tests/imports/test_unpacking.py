"""One decompression meter for .gz, .bz2, .xz and every zip method: honest archives
read whole and exact, bombs refused at the same ratio at about the same point."""

import bz2
import gzip
import lzma
import zipfile
from collections.abc import Callable

import pytest

from imports.readers import DumpError, inspect, iter_values
from imports.readers.sources import PackedCounter, members, open_member

LINE = b"13800138000,zhang san,beijing\n"
ZIP_METHODS = [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]


def honest_numbers(count: int) -> bytes:
    return b"mobile,name\n" + b"".join(b"139%08d,n%d\n" % (i, i) for i in range(count))


def write_packed(path, kind: str, data: bytes, *, streams: int = 1, method=zipfile.ZIP_DEFLATED):
    """`data` packed as one or several .gz/.bz2/.xz streams, or one zip member."""
    if kind == "zip":
        with zipfile.ZipFile(path, "w", method) as archive:
            archive.writestr("dump.csv", data)
        return path
    packers: dict[str, Callable[[bytes], bytes]] = {
        "gz": gzip.compress,
        "bz2": bz2.compress,
        "xz": lzma.compress,
    }
    pack = packers[kind]
    piece = len(data) // streams + 1
    path.write_bytes(b"".join(pack(data[i : i + piece]) for i in range(0, len(data), piece)))
    return path


def read_all(path) -> tuple[bytes, PackedCounter]:
    progress = PackedCounter()
    out = []
    for member in members(path):
        with open_member(path, member, progress) as stream:
            out.append(stream.read())
    return b"".join(out), progress


@pytest.mark.parametrize("method", ZIP_METHODS)
def test_every_zip_method_reads_its_member_exactly(tmp_path, method):
    data = honest_numbers(20_000)
    path = write_packed(tmp_path / "d.zip", "zip", data, method=method)
    read, progress = read_all(path)
    assert read == data
    assert progress.unpacked == len(data)
    # Only the member's packed bytes are counted, never the central directory.
    assert progress.bytes == zipfile.ZipFile(path).getinfo("dump.csv").compress_size


@pytest.mark.parametrize("kind", ["gz", "bz2", "xz"])
@pytest.mark.parametrize("streams", [1, 3])
def test_gz_bz2_and_xz_read_every_stream(tmp_path, kind, streams):
    data = honest_numbers(20_000)
    path = write_packed(tmp_path / f"d.csv.{kind}", kind, data, streams=streams)
    read, progress = read_all(path)
    assert read == data
    assert progress.bytes == path.stat().st_size
    values = list(iter_values(path, inspect(path)))
    assert len(values) == 20_000 and values[0] == "13900000000"


@pytest.mark.parametrize("kind", ["gz", "bz2", "xz", "zip"])
def test_a_truncated_archive_is_damaged(tmp_path, kind):
    path = write_packed(tmp_path / f"d.{kind}", kind, honest_numbers(20_000))
    raw = path.read_bytes()
    if kind == "zip":
        # Cut the member's data short but keep the central directory.
        info = zipfile.ZipFile(path).getinfo("dump.csv")
        start = info.header_offset + 30 + len("dump.csv")
        raw = raw[: start + info.compress_size // 2] + b"\0" * (info.compress_size // 2)
        raw += path.read_bytes()[start + info.compress_size // 2 * 2 :]
    else:
        raw = raw[: len(raw) // 2]
    path.write_bytes(raw)
    with pytest.raises(DumpError, match="The compressed data is damaged"):
        read_all(path)


def test_a_zip_member_with_a_wrong_crc_is_damaged(tmp_path):
    path = write_packed(tmp_path / "d.zip", "zip", b"13800138000\n" * 10, method=0)
    raw = bytearray(path.read_bytes())
    at = raw.index(b"13800138000")
    raw[at] = ord("2")
    path.write_bytes(bytes(raw))
    with pytest.raises(DumpError, match="bad CRC-32"):
        read_all(path)


def bomb_data(megabytes: int) -> bytes:
    return LINE * (megabytes * 2**20 // len(LINE))


@pytest.mark.parametrize(
    ("kind", "method"),
    [
        ("gz", None),
        ("bz2", None),
        ("xz", None),
        ("zip", zipfile.ZIP_DEFLATED),
        pytest.param("zip", zipfile.ZIP_BZIP2, marks=pytest.mark.slow),
        ("zip", zipfile.ZIP_LZMA),
    ],
)
def test_bombs_of_every_kind_are_refused_at_the_same_point(tmp_path, settings, kind, method):
    settings.IMPORT_RATIO_AFTER = 2 * 2**20
    path = tmp_path / f"bomb.{kind}"
    if kind == "zip":
        write_packed(path, kind, bomb_data(4), method=method)
    else:
        # One packed megabyte, twelve streams in a row (bz2 packs runs slowly).
        write_packed(path, kind, bomb_data(1))
        path.write_bytes(path.read_bytes() * 12)
    progress = PackedCounter()
    with pytest.raises(DumpError, match="expands more than 200 times its packed size"):
        for _value in iter_values(path, inspect(path), progress=progress):
            pass
    # Refused once 2 MB were out at over 200 times what the decompressor took in
    # (read 1 MB at a time): never after reading ahead of it, as a zip was (20
    # times later than a .gz).
    assert 2 * 2**20 < progress.unpacked <= 3 * 2**20, progress.unpacked
    assert progress.unpacked > 200 * progress.bytes


def test_a_stored_zip_member_is_never_a_bomb(tmp_path, settings):
    settings.IMPORT_RATIO_AFTER = 2**20
    path = write_packed(tmp_path / "stored.zip", "zip", bomb_data(4), method=zipfile.ZIP_STORED)
    read, progress = read_all(path)
    assert progress.unpacked == len(read) == 4 * 2**20 // len(LINE) * len(LINE)


def test_a_zip_method_the_importer_does_not_read_is_refused_by_name(tmp_path):
    path = write_packed(tmp_path / "d.zip", "zip", b"13800138000\n")
    raw = bytearray(path.read_bytes())
    # Deflate64 (9) in the local and central headers.
    for at in (8, raw.index(b"PK\x01\x02") + 10):
        raw[at : at + 2] = (9).to_bytes(2, "little")
    path.write_bytes(bytes(raw))
    with pytest.raises(DumpError, match=r"packed with a method .* \(9\)"):
        read_all(path)


def test_an_archive_of_too_many_files_is_refused(tmp_path, settings):
    settings.IMPORT_MAX_FIELDS = 20
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(21):
            archive.writestr(f"part{i}.txt", "13800138000\n")
    with pytest.raises(DumpError, match="The archive holds more than 20 files"):
        members(path)
    settings.IMPORT_MAX_FIELDS = 21
    assert len(members(path)) == 21
