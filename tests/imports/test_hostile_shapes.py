"""Issue 22's hostile shapes, each read in a fresh process: its peak memory, its
seconds and how it ended (bench/hostile.py builds the shapes and measures them).

The child plans and reads the whole file as a worker's chunk does, under a
2 GB address-space limit; its peak RSS (VmHWM) is compared with what it held
once Django was set up, so the bound is the reader's own.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent / "bench"))
# The benchmark's generators; bench/ is outside mypy's files, found only on sys.path.
import hostile  # type: ignore[import-not-found]  # noqa: E402

# What reading any shape may add to a worker, in MB: the readers' budgets are a
# 1 MB row and a 16 MB planning sample of text (Python strings: up to 4 bytes
# a character), plus 1 MB read buffers.
GROWTH_MB = 120


def read_in_child(path: Path, **env: str) -> dict:
    result = hostile.run_child(path, timeout=120, env=env)
    assert result["outcome"] in ("read", "refused"), result
    return result


def assert_bounded(result: dict, seconds: float) -> None:
    assert result["peak_rss_mb"] - result["start_rss_mb"] < GROWTH_MB, result
    assert result["seconds"] < seconds, result


def assert_refused(path: Path, reason: str, **env: str) -> None:
    """Read in a child: refused, for the reason given, within its bounds."""
    result = read_in_child(path, **env)
    assert result["outcome"] == "refused", result
    assert result["reason"].startswith(reason), result
    assert_bounded(result, seconds=5)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("rows", "cells", "string_kb"),
    [
        (4, 1500, 1024),  # the 17 KB workbook: took a worker to 6 GB
        (20, 1500, 1024),  # more rows: would have taken the machine
        (4, 3000, 400),  # a shorter string, more cells: no one cell is too long
    ],
)
def test_shared_string_amplification_is_refused_at_the_first_row(tmp_path, rows, cells, string_kb):
    path = tmp_path / "amplified.xlsx"
    hostile.xlsx_amplified(path, rows=rows, cells=cells, string_kb=string_kb)
    assert path.stat().st_size < 100_000
    assert_refused(path, "Row 1 holds more than 1024 KB of text once read")


@pytest.mark.slow
def test_rows_each_under_the_limit_are_refused_once_the_planning_sample_is_full(tmp_path):
    # 200 rows of one 600 KB string each: every row is fine, the sample would be 120 MB.
    path = tmp_path / "sample.xlsx"
    hostile.xlsx_amplified(path, rows=200, cells=1, string_kb=600)
    assert_refused(path, "The first 28 rows hold more than 16 MB of text")


@pytest.mark.slow
def test_inline_strings_that_unpack_like_a_bomb_are_refused(tmp_path):
    path = tmp_path / "inline.xlsx"
    hostile.xlsx_inline(path, rows=4, cells=1500, string_kb=64)
    result = read_in_child(path)
    assert result["reason"] == "The workbook unpacks to a bomb-like size; refused."
    assert_bounded(result, seconds=5)


@pytest.mark.slow
def test_inline_strings_are_bounded_per_row_like_shared_ones(tmp_path):
    # Under the bomb ratio (random-ish text), over the row budget: 40 cells of 40 KB.
    path = tmp_path / "inline-row.xlsx"
    hostile.xlsx_inline(path, rows=2, cells=40, string_kb=40)
    assert_refused(path, "Row 1 holds more than 1024 KB", IMPORT_MAX_RATIO="100000")


@pytest.mark.slow
@pytest.mark.parametrize(("records", "keys"), [(200, 1000), (200, 250), (20, 10_000)])
def test_records_with_too_many_distinct_keys_are_refused_fast(tmp_path, records, keys):
    # 200 x 1000 distinct keys kept a worker planning for 203 s (a list lookup).
    path = tmp_path / "keys.jsonl"
    hostile.json_keys(path, records=records, keys=keys)
    assert_refused(path, "The first rows have more than 2000 different columns")


@pytest.mark.slow
def test_a_wide_dump_whose_records_share_their_keys_is_read(tmp_path):
    path = tmp_path / "wide.jsonl"
    hostile.json_keys(path, records=2000, keys=1000, shared=True)
    result = read_in_child(path)
    assert result["outcome"] == "read", result
    assert (result["rows"], result["values"]) == (2000, 2000)
    assert_bounded(result, seconds=20)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["gz", "bz2", "xz", "zip"])
def test_every_archive_kind_refuses_a_bomb_at_the_same_point(tmp_path, kind):
    # 256 MB of one line; the .zip ran for 20 minutes (15 million rows) before.
    path = tmp_path / f"bomb.{kind}"
    hostile.bomb(path, kind, megabytes=256)
    result = read_in_child(path)
    assert result["outcome"] == "refused"
    assert "times its packed size; refused as a zip bomb" in result["reason"]
    # IMPORT_RATIO_AFTER (16 MB) out, at 200 times what was taken in: all alike.
    assert 16 <= result["unpacked_mb"] < 18, result
    assert result["rows"] < 400_000, result
    assert_bounded(result, seconds=10)
