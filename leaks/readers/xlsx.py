"""Excel .xlsx workbooks, read row by row in openpyxl's streaming mode."""

import zipfile
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from leaks.readers.base import DumpError, Table, cell_text


def check_unpacked_size(path: Path) -> None:
    """An xlsx is a zip: refuse one whose parts declare a bomb-like size."""
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
    unpacked = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos)
    if unpacked > settings.IMPORT_MAX_UNPACKED_BYTES or (
        unpacked > settings.IMPORT_RATIO_AFTER and unpacked > settings.IMPORT_MAX_RATIO * packed
    ):
        raise DumpError("The workbook unpacks to a bomb-like size; refused.")


def xlsx_tables(path: Path) -> Iterator[Table]:
    from openpyxl import load_workbook

    check_unpacked_size(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        raise DumpError("The workbook cannot be opened: %(reason)s.", reason=exc) from None
    try:
        for sheet in workbook.worksheets:
            rows = (
                [cell_text(value) for value in row]
                for row in sheet.iter_rows(values_only=True)
                if any(value is not None for value in row)
            )
            yield Table(sheet.title, None, rows, {"detect_header": True})
    finally:
        workbook.close()
