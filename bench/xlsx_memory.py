"""Peak memory of reading an .xlsx with many unique strings (the shared-strings table).

Writes a workbook whose every cell is a distinct string (names, notes and the
phone numbers as text), then reads its phone values in a fresh process and
prints that process's peak RSS. A worker must stay under 256 MB on any file.

    .venv/bin/python bench/xlsx_memory.py --rows 300000
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def write_workbook(path: Path, rows: int) -> None:
    """A workbook as Excel writes it: every text cell points into the shared-strings
    table, and every string here is unique (names, notes, numbers as text)."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            "</Types>",
        )
        book.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{package}"><Relationship Id="rId1" '
            f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        book.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            '<sheet name="会员" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{package}">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>",
        )
        columns = "ABCD"
        with book.open("xl/sharedStrings.xml", "w") as strings:
            count = 4 * (rows + 1)
            strings.write(f'<sst xmlns="{main}" count="{count}" uniqueCount="{count}">'.encode())
            for cells in _rows(rows):
                strings.write("".join(f"<si><t>{cell}</t></si>" for cell in cells).encode())
            strings.write(b"</sst>")
        with book.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(f'<worksheet xmlns="{main}"><sheetData>'.encode())
            for number, _ in enumerate(_rows(rows)):
                row = "".join(
                    f'<c r="{column}{number + 1}" t="s"><v>{4 * number + i}</v></c>'
                    for i, column in enumerate(columns)
                )
                sheet.write(f'<row r="{number + 1}">{row}</row>'.encode())
            sheet.write(b"</sheetData></worksheet>")


def _rows(rows: int):
    yield ["姓名", "手机号", "备注", "地址"]
    for i in range(rows):
        yield [f"用户{i:07d}", f"139{i % 10**8:08d}", f"note-{i * 7919:x}", f"北京市朝阳区{i}号"]


def measure(path: Path, reader: str) -> None:
    """Read every phone value; openpyxl's read-only mode was the reader before."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "breachcheck.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-" + "s" * 40)
    import django

    django.setup()
    from imports.dumps import read_phone_values

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    start = time.monotonic()
    if reader == "openpyxl":
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        count = sum(1 for row in book.worksheets[0].iter_rows(values_only=True) if row[1])
        book.close()
    else:
        _, values = read_phone_values(path)
        count = sum(1 for value in values if value)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    seconds = time.monotonic() - start
    print(f"{reader}: rows={count} seconds={seconds:.1f} peak_rss_mb={peak} (at start {before})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--reader", choices=["breachcheck", "openpyxl"], default="breachcheck")
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.reader)
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "many-strings.xlsx"
        write_workbook(path, args.rows)
        print(f"{path.name}: {path.stat().st_size / 2**20:.1f} MB, {args.rows} rows")
        for reader in ("openpyxl", "breachcheck"):
            command = [sys.executable, __file__, "--measure", str(path), "--reader", reader]
            subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
