"""Dump contents that more than one test file reads."""

import codecs
from pathlib import Path

from imports.readers.text import SNIFF_BYTES

# A small members list: 6 rows, 4 valid numbers (one twice), one too short, one landline.
MEMBERS = (
    "姓名,手机号,QQ,身份证\n"
    "张三,13800138000,123456789,110101199003077777\n"
    "李四,+86 139 0013 9000,987654321,110101199003078888\n"
    "王五,13800138000,55555,\n"
    "赵六,1380013,66666,\n"
    "钱七,,77777,\n"
    "孙八,010-65529988,88888,\n"
)


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


def write_cut_utf8_csv(path: Path, cut: int = 2) -> int:
    """A UTF-8 CSV cut inside 张 at 64 KB."""
    data, rows = chinese_csv("utf-8", name="张三丰", cut=cut)
    path.write_bytes(data)
    return rows
