"""Small dumps through the importer: counts, the phone column, encodings, files that fail.

The chunked pipeline (re-runs, broken dumps, cleanup) is in test_pipeline.py; the
commands in test_commands.py."""

import pytest

from imports.importer import import_run
from leaks.hashing import phone_key
from leaks.models import Breach, Exposure, ImportJob, NewExposure, StagedHash
from tests.factories import import_job
from tests.support.dumps import MEMBERS

pytestmark = pytest.mark.django_db


def shop_job(tmp_path, content: str | bytes, name: str = "dump.csv", **options) -> ImportJob:
    """A job importing `content` (written to `name`) into the shop breach."""
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    breach, _ = Breach.objects.get_or_create(slug="shop", defaults={"title": "Shop"})
    return import_job(breach, path, options=options)


def test_it_counts_rows_valid_invalid_duplicates_and_new(tmp_path):
    job = import_run(shop_job(tmp_path, MEMBERS))
    assert job.status == ImportJob.Status.DONE
    assert (job.rows, job.valid, job.invalid, job.duplicates, job.known, job.new) == (
        6,
        4,
        1,
        1,
        0,
        3,
    )
    assert job.report["no_phone"] == 1
    assert job.report["invalid_reasons"] == {"too_short": 1}
    assert job.report["kinds"] == {"mobile": 3, "fixed_line": 1}
    assert job.report["column"] == {"index": 1, "name": "手机号", "by": "header"}
    assert job.breach.pwn_count == 3 == Exposure.objects.count()
    assert not StagedHash.objects.exists()


def test_stored_rows_hold_only_keyed_hashes(tmp_path):
    import_run(shop_job(tmp_path, MEMBERS))
    stored = set(Exposure.objects.values_list("phone_key", flat=True))
    assert phone_key("+8613800138000") in stored
    assert len(stored) == 3
    # The new exposures are noted for the alert scan, which deletes them.
    assert set(NewExposure.objects.values_list("phone_key", flat=True)) == stored


def test_plain_lists_with_comments_and_blank_lines(tmp_path):
    dump = "# leaked list\n13800138000\n\n139-0013-9000\nnot a number\n"
    job = import_run(shop_job(tmp_path, dump, "list.txt"))
    assert (job.rows, job.valid, job.invalid, job.new) == (3, 2, 1, 2)
    assert job.report["column"]["by"] == "list"


def test_a_one_column_file_with_a_header(tmp_path):
    job = import_run(shop_job(tmp_path, "手机号码\r\n13800138000\r\n13900139000\r\n"))
    assert (job.rows, job.valid, job.invalid) == (2, 2, 0)
    assert job.report["column"]["by"] == "header"


def test_headerless_csv_finds_the_phone_column_by_content(tmp_path):
    rows = [f"{1000 + i},user{i},1390013{i:04d},{123456 + i}" for i in range(30)]
    job = import_run(shop_job(tmp_path, "\n".join(rows) + "\n", "noheader.csv"))
    assert job.report["column"] == {"index": 2, "name": "#2", "by": "content"}
    assert (job.rows, job.valid, job.new) == (30, 30, 30)


def test_gbk_encoded_dumps_are_read(tmp_path):
    job = import_run(shop_job(tmp_path, MEMBERS.encode("gbk"), "gbk.csv"))
    assert job.status == ImportJob.Status.DONE
    assert job.valid == 4


def test_the_admin_can_name_the_column(tmp_path):
    dump = "a,b\n13800138000,13900139000\n"
    job = import_run(shop_job(tmp_path, dump, column="b"))
    assert job.report["column"]["by"] == "admin"
    assert job.new == 1
    assert Exposure.objects.get().phone_key == phone_key("+8613900139000")


def test_an_empty_file_fails_clearly(tmp_path):
    job = import_run(shop_job(tmp_path, ""))
    assert job.status == ImportJob.Status.FAILED
    assert "no rows" in job.error


def test_a_missing_file_fails_clearly(tmp_path):
    job = shop_job(tmp_path, MEMBERS)
    (tmp_path / "dump.csv").unlink()
    assert "gone" in import_run(job).error
