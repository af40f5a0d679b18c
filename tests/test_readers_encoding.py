"""Encoding detection on files longer than the sniffed start, cut anywhere."""

import codecs
from pathlib import Path

import pytest

from imports.dumps import read_phone_values
from imports.readers import inspect
from imports.readers.text import SNIFF_BYTES


def chinese_csv(encoding: str, *, name: str, cut: int, rows: int = 6000) -> tuple[bytes, int]:
    """A CSV whose byte SNIFF_BYTES falls `cut` bytes into the character `name[0]`.

    Returns the bytes and the number of data rows; every row's number is valid."""
    bom = codecs.BOM_UTF16_LE if encoding == "utf-16" else b""
    codec = "utf-16-le" if encoding == "utf-16" else encoding
    body = bytearray(bom + "姓名,手机号\n".encode(codec))
    count = 0
    while len(body) < SNIFF_BYTES - 400:
        body += f"{name},1380013{count % 10000:04d}\n".encode(codec)
        count += 1
    # An ASCII filler row puts a run of name[0] across the sample's end, with
    # the sample ending `cut` bytes into one of them.
    width = len(name[0].encode(codec))
    target = SNIFF_BYTES - cut - 10 * width
    filler_tail = f",1390013{count % 10000:04d}\n".encode(codec)
    filler = (target - len(body) - len(filler_tail)) // len("x".encode(codec))
    body += ("x" * filler).encode(codec) + filler_tail
    count += 1
    assert len(body) == target, (len(body), target)
    body += f"{name[0] * 20}{name},1390013{count % 10000:04d}\n".encode(codec)
    count += 1
    while count < rows:
        body += f"{name},1500000{count % 10000:04d}\n".encode(codec)
        count += 1
    return bytes(body), count


@pytest.mark.parametrize("cut", [0, 1, 2, 3])
@pytest.mark.parametrize("name", ["张三丰", "𠮷野家"])  # 3- and 4-byte UTF-8 characters
def test_a_utf8_csv_cut_inside_a_character_at_the_sniffed_end_is_utf8(tmp_path, name, cut):
    data, rows = chinese_csv("utf-8", name=name, cut=cut)
    path = tmp_path / "members.csv"
    path.write_bytes(data)
    assert inspect(path).encoding == "utf-8"
    column, values = read_phone_values(path)
    assert column.name == "手机号"
    assert len([value for value in values if value]) == rows


@pytest.mark.parametrize("cut", [0, 1, 2, 3])
def test_a_gb18030_csv_longer_than_the_sample_is_gb18030(tmp_path, cut):
    # 𠮷 is four bytes in GB18030, 张 two: both can be cut by the sample's end.
    data, rows = chinese_csv("gb18030", name="𠮷张三", cut=cut)
    path = tmp_path / "members.csv"
    path.write_bytes(data)
    assert inspect(path).encoding == "gb18030"
    _, values = read_phone_values(path)
    assert len([value for value in values if value]) == rows


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_chinese_utf16_csv_longer_than_the_sample_is_read(tmp_path, encoding):
    # Names longer than the numbers: fewer than 90% of the high bytes are NUL.
    cut = 2 if encoding.endswith("be") else 0
    data, rows = chinese_csv(encoding, name="欧阳张三丰李四王五赵六", cut=cut)
    path = tmp_path / "members.csv"
    path.write_bytes(data)
    assert len(data) > SNIFF_BYTES
    assert inspect(path).encoding.startswith("utf-16")
    _, values = read_phone_values(path)
    assert len([value for value in values if value]) == rows


def write_cut_utf8_csv(path: Path, cut: int = 2) -> int:
    """For other tests (the browser upload): a UTF-8 CSV cut inside 张 at 64 KB."""
    data, rows = chinese_csv("utf-8", name="张三丰", cut=cut)
    path.write_bytes(data)
    return rows
