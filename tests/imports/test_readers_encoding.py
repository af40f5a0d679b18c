"""Encoding detection on files longer than the sniffed start, cut anywhere."""

import pytest

from imports.dumps import read_phone_values
from imports.readers import inspect
from imports.readers.text import SNIFF_BYTES
from tests.support.dumps import chinese_csv


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
