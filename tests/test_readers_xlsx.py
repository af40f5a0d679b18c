"""The .xlsx reader: shared strings kept out of memory, every sheet, hostile XML refused."""

import sys
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from imports.dumps import read_phone_values
from imports.readers import DumpError
from imports.readers.xlsx import xlsx_tables

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from xlsx_memory import write_workbook  # noqa: E402 - the benchmark's generator


def values(path: Path) -> list[str | None]:
    return list(read_phone_values(path)[1])


def test_memory_stays_flat_however_many_unique_strings_a_workbook_has(tmp_path):
    small, large = tmp_path / "small.xlsx", tmp_path / "large.xlsx"
    write_workbook(small, 1_000)
    write_workbook(large, 15_000)  # 60k unique shared strings, ~5 MB of them as str

    peaks = {}
    for path in (small, large):
        tracemalloc.start()
        tables = xlsx_tables(path)
        rows = sum(1 for _ in next(tables).rows)
        assert next(tables, None) is None
        peaks[path.name] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert rows == 1 + int(path.stem == "large") * 14_000 + 1_000
    # openpyxl held every string: its peak grew by megabytes with the table.
    assert peaks["large.xlsx"] < peaks["small.xlsx"] + 300_000, peaks
    assert peaks["large.xlsx"] < 3_000_000, peaks


def test_it_reads_every_sheet_with_shared_inline_and_number_cells(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    first = book.active
    first.title = "会员"
    first.append(["姓名", "手机号"])
    first.append(["张三", "13800138000"])
    first.append(["李四", 13900139000])
    first["D5"] = "far away"  # a sparse cell past the phone column
    second = book.create_sheet("订单")
    second.append(["订单号", "联系电话"])
    second.append(["A1", 1.5012345678e10])
    path = tmp_path / "book.xlsx"
    book.save(path)
    assert values(path) == ["13800138000", "13900139000", None, "15012345678"]


def _workbook_with(tmp_path: Path, shared: str, sheet_cells: str) -> Path:
    path = tmp_path / "odd.xlsx"
    write_workbook(path, 1)
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    parts["xl/sharedStrings.xml"] = shared.encode()
    parts["xl/worksheets/sheet1.xml"] = (
        f'<worksheet xmlns="{main}"><sheetData>{sheet_cells}</sheetData></worksheet>'
    ).encode()
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return path


def test_it_refuses_xml_with_a_dtd_or_entities(tmp_path):
    shared = (
        '<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<si><t>&b;</t></si></sst>"
    )
    path = _workbook_with(tmp_path, shared, '<row r="1"><c r="A1" t="s"><v>0</v></c></row>')
    with pytest.raises(DumpError, match="DTD"):
        values(path)


def test_it_refuses_a_cell_pointing_past_the_shared_strings(tmp_path):
    shared = '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"></sst>'
    path = _workbook_with(tmp_path, shared, '<row r="1"><c r="A1" t="s"><v>7</v></c></row>')
    with pytest.raises(DumpError, match="shared string"):
        values(path)


def test_it_refuses_a_cell_beyond_excels_last_column(tmp_path):
    shared = '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"></sst>'
    cells = '<row r="1"><c r="ZZZ1"><v>13800138000</v></c></row>'
    path = _workbook_with(tmp_path, shared, cells)
    with pytest.raises(DumpError, match="last column"):
        values(path)


def test_a_damaged_workbook_fails_with_a_reason(tmp_path):
    shared = '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'
    path = _workbook_with(tmp_path, shared, "")
    with pytest.raises(DumpError, match="cannot be opened"):
        values(path)
