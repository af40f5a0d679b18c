"""Every dump shape the readers accept, generated here, and the hostile ones they refuse."""

import bz2
import gzip
import io
import json
import lzma
import zipfile
from pathlib import Path

import pytest

from imports.dumps import read_phone_values
from imports.readers import DumpError, inspect, iter_values

MOBILES = ["13800138000", "13900139000", "15012345678"]


def values(path: Path, **options) -> list[str | None]:
    return list(read_phone_values(path, **options)[1])


def column(path: Path, **options):
    return read_phone_values(path, **options)[0]


@pytest.mark.parametrize(
    ("delimiter", "name"), [(",", "a.csv"), ("\t", "a.tsv"), (";", "a.csv"), ("|", "a.txt")]
)
def test_it_reads_delimited_files_with_any_common_delimiter(tmp_path, delimiter, name):
    rows = ["id,name,mobile"] + [f"{i},x,{m}" for i, m in enumerate(MOBILES)]
    path = tmp_path / name
    path.write_text("\r\n".join(row.replace(",", delimiter) for row in rows) + "\r\n")
    assert values(path) == MOBILES
    assert column(path).found_by == "header"


def test_it_reads_quoted_fields_and_a_file_without_header(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(
        '1,"Zhang, San","13800138000"\n2,"Li ""Si""",13900139000\n3,"multi\nline",15012345678\n'
    )
    assert values(path) == MOBILES
    assert column(path).found_by == "content"


def test_it_reads_a_plain_list_with_blank_lines_and_comments(tmp_path):
    path = tmp_path / "list.txt"
    path.write_text("# leaked numbers\n13800138000\n\n  13900139000  \n# end\n15012345678\n")
    assert values(path) == MOBILES


def test_it_finds_the_phone_in_nested_json_lines(tmp_path):
    path = tmp_path / "users.jsonl"
    lines = [
        json.dumps({"id": 10000 + i, "qq": "123456789", "user": {"contact": {"手机": m}}})
        for i, m in enumerate(MOBILES)
    ]
    path.write_text("\n".join(lines) + "\n")
    assert values(path) == MOBILES
    assert column(path).name == "user.contact.手机"


def test_it_streams_a_json_array(tmp_path):
    path = tmp_path / "users.json"
    records = [{"order": 2023000000 + i, "phone": int(m)} for i, m in enumerate(MOBILES)]
    path.write_text(json.dumps(records, indent=2))
    assert values(path) == MOBILES


def test_it_reads_mysql_inserts_with_escapes_and_nulls(tmp_path):
    path = tmp_path / "shop.sql"
    path.write_text(
        "-- MySQL dump 10.13\n/*!40101 SET NAMES utf8 */;\n"
        "CREATE TABLE `orders` (`id` int, `ip` varchar(15), PRIMARY KEY (`id`));\n"
        "INSERT INTO `orders` VALUES (1,'10.12.34.56'),(2,'192.168.1.1');\n"
        "CREATE TABLE `members` (\n  `id` int NOT NULL,\n  `qq` varchar(12),\n"
        "  `name` varchar(20),\n  `mobile` varchar(20) DEFAULT NULL,\n  KEY `m` (`mobile`)\n);\n"
        "INSERT INTO `members` VALUES (1,'12345','O\\'Brien; (x)','13800138000'),"
        "(2,NULL,'it''s','13900139000'),(3,'1','a\\\\','15012345678'),(4,'2','b',NULL);\n"
    )
    assert values(path) == [*MOBILES, None]


def test_it_reads_postgres_inserts_and_copy_blocks(tmp_path):
    path = tmp_path / "pg.sql"
    path.write_text(
        "--\n-- PostgreSQL database dump\n--\n"
        "INSERT INTO public.users (id, tel) VALUES (1, '13800138000');\n"
        "COPY public.users (id, note, tel) FROM stdin;\n"
        "2\ta\\tb\t13900139000\n3\t\\N\t15012345678\n4\tx\t\\N\n\\.\n"
    )
    assert values(path) == [*MOBILES, None]


def test_it_reads_an_xlsx_workbook_and_recovers_spreadsheet_floats(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "身份证", "联系电话"])
    sheet.append(["张三", "110101199003077777", 13800138000])
    sheet.append(["李四", "110101199003078888", "13900139000.0"])
    sheet.append(["王五", "110101199003079999", "1.38001E+10"])
    path = tmp_path / "book.xlsx"
    workbook.save(path)
    assert values(path) == ["13800138000", "13900139000.0", "1.38001E+10"]
    assert column(path).name == "联系电话"


@pytest.mark.parametrize("kind", ["gz", "bz2", "xz"])
def test_it_reads_compressed_dumps(tmp_path, kind):
    data = ("mobile\n" + "\n".join(MOBILES) + "\n").encode()
    packed = {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}[kind](data)
    path = tmp_path / f"dump.csv.{kind}"
    path.write_bytes(packed)
    assert values(path) == MOBILES


def test_it_reads_every_dump_member_of_a_zip(tmp_path):
    path = tmp_path / "dumps.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("part1.csv", "name,phone\na,13800138000\n")
        archive.writestr("nested/part2.txt", "13900139000\n15012345678\n")
        archive.writestr("__MACOSX/._part1.csv", "junk")
    assert sorted(values(path)) == MOBILES


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_it_detects_the_encoding(tmp_path, encoding):
    path = tmp_path / "enc.csv"
    path.write_bytes("姓名,手机号码\r\n张三,13800138000\r\n李四,13900139000\r\n".encode(encoding))
    assert values(path) == MOBILES[:2]
    assert column(path).name == "手机号码"


def test_it_reads_utf16_without_a_bom(tmp_path):
    path = tmp_path / "enc.csv"
    path.write_bytes("电话,name\n13800138000,a\n".encode("utf-16-le"))
    assert values(path) == ["13800138000"]


def test_it_chooses_the_phone_column_by_content_among_decoys(tmp_path):
    rows = [
        f"{200000 + i},{10000 + i * 7},11010119900307{1000 + i},192.168.{i}.1,"
        f"2024-01-{i % 28 + 1:02d},1380013{8000 + i},{8000000000 + i}"
        for i in range(50)
    ]
    path = tmp_path / "decoys.csv"
    path.write_text("\n".join(rows) + "\n")
    chosen = column(path)
    assert (chosen.index, chosen.found_by) == (5, "content")


def test_it_prefers_a_named_column_holding_phones(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("电话,手机,QQ\n,13800138000,12345\n,13900139000,67890\n")
    assert column(path).name == "手机"


def test_the_admin_can_override_column_format_and_encoding(tmp_path):
    path = tmp_path / "odd.dat"
    path.write_bytes("a;b\nx;13800138000\n".encode("gbk"))
    assert values(path, column="1", encoding="gbk", format="csv") == ["13800138000"]
    assert values(path, column="b") == ["13800138000"]
    with pytest.raises(DumpError, match="No column named"):
        values(path, column="mobile")


def test_it_splits_a_file_into_ranges_that_together_read_every_row(tmp_path):
    path = tmp_path / "big.csv"
    lines = ["name,mobile"] + [f"名字{i},1380000{i:04d}" for i in range(3000)]
    path.write_text("\n".join(lines) + "\n")
    plan = inspect(path)
    assert plan.splittable
    size = path.stat().st_size
    bounds = list(range(0, size, 997)) + [size]
    pieces = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        pieces.extend(iter_values(path, plan, start=start, end=end))
    assert pieces == [f"1380000{i:04d}" for i in range(3000)]


# Hostile files: each fails with a reason an admin can read.


def test_it_refuses_binary_junk(tmp_path):
    path = tmp_path / "junk.csv"
    path.write_bytes(bytes(range(256)) * 100)
    with pytest.raises(DumpError, match="binary"):
        values(path)


def test_it_refuses_a_zip_bomb_after_bounded_work(tmp_path, settings):
    settings.IMPORT_RATIO_AFTER = 1 << 20
    path = tmp_path / "bomb.zip"
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("numbers.txt", "w") as member,
    ):
        member.write(b"13800138000\n")
        for _ in range(40):
            member.write(b"\n" * (1 << 20))
    assert path.stat().st_size < 1 << 20
    with pytest.raises(DumpError, match="bomb"):
        values(path)


def test_it_refuses_a_gzip_larger_than_the_unpacked_limit(tmp_path, settings):
    settings.IMPORT_MAX_UNPACKED_BYTES = 1 << 20
    path = tmp_path / "big.txt.gz"
    path.write_bytes(gzip.compress(b"13800138000\n" * 200_000))
    with pytest.raises(DumpError, match="bomb"):
        values(path)


def test_it_refuses_archive_members_with_parent_paths(tmp_path):
    path = tmp_path / "evil.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ok.csv", "13800138000\n")
        archive.writestr("../../etc/cron.d/x", "13900139000\n")
    path.write_bytes(buffer.getvalue())
    with pytest.raises(DumpError, match="unsafe path"):
        values(path)


def test_it_refuses_a_line_above_the_limit_without_loading_it(tmp_path, settings):
    settings.IMPORT_MAX_LINE = 64 * 1024
    path = tmp_path / "long.txt"
    with open(path, "w") as handle:
        handle.write("13800138000\n")
        # A 5 MB line stands in for a 1 GB one: the limit is the setting.
        handle.write("1" * (5 << 20) + "\n")
    with pytest.raises(DumpError, match="longer than 64 KB"):
        values(path)


def test_it_refuses_text_in_a_wrong_encoding(tmp_path):
    # UTF-8 for longer than the sniffed start, then GBK bytes.
    path = tmp_path / "mixed.csv"
    path.write_bytes("手机\n".encode() + b"13800138000\n" * 10_000 + "张三\n".encode("gbk"))
    with pytest.raises(DumpError, match="not valid utf-8"):
        values(path)
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("手机,姓名\n13800138000,张三\n".encode("gbk"))
    with pytest.raises(DumpError, match="not valid utf-8"):
        values(gbk, encoding="utf-8")


def test_it_refuses_a_truncated_sql_dump(tmp_path):
    path = tmp_path / "cut.sql"
    path.write_text("INSERT INTO t (id, phone) VALUES (1,'13800138000'),(2,'1390")
    with pytest.raises(DumpError, match="truncated|never ends"):
        values(path)
