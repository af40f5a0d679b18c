"""Hostile dump files through the importer: numbers in headers, archives, bombs."""

import zipfile

import pytest

from imports.importer import import_run
from leaks.models import Breach, Exposure, ImportJob
from tests.factories import import_job
from tests.support.privacy_scan import database_text, digits_variants

pytestmark = pytest.mark.django_db


def shop_job(path, **options) -> ImportJob:
    """A job importing the file at `path` into the shop breach."""
    breach, _ = Breach.objects.get_or_create(slug="shop", defaults={"title": "Shop"})
    return import_job(breach, path, options=options)


def assert_nowhere(numbers: list[str], job: ImportJob) -> None:
    text = f"{job.plan}\n{job.report}\n{job.error}\n" + database_text()
    for number in numbers:
        for variant in digits_variants(number):
            assert variant not in text, variant


@pytest.mark.parametrize(
    ("content", "column"),
    [
        # Key-value rows: "mobile" makes the first row look like a header.
        ("mobile,13800138000\nmobile,13900139000\n", "1"),
        ("联系方式,+86 138 0013 8000\n联系方式,+86 139 0013 9000\n", "1"),
        # A row without digits but the number written with punctuation.
        ("tel\t138-0013-8000\ntel\t139-0013-9000\n", "1"),
    ],
)
def test_a_first_row_holding_a_number_is_data_not_a_header(tmp_path, content, column):
    path = tmp_path / "kv.csv"
    path.write_text(content)
    job = import_run(shop_job(path, column=column))
    assert job.status == ImportJob.Status.DONE, job.error
    assert (job.rows, job.valid, job.new) == (2, 2, 2)
    assert job.report["column"]["name"] == "#1"
    assert_nowhere(["13800138000", "13900139000"], job)


def test_a_json_key_that_is_a_number_is_not_kept_as_a_column_name(tmp_path):
    path = tmp_path / "keys.jsonl"
    path.write_text('{"13800138000": "13800138000"}\n{"13800138000": "13900139000"}\n')
    job = import_run(shop_job(path, column="0"))
    assert job.status == ImportJob.Status.DONE, job.error
    assert job.report["column"]["name"] == "[number]"
    assert_nowhere(["13800138000", "13900139000"], job)


def member_numbers(member: int, count: int) -> list[str]:
    return [f"13{member}00{i:06d}" for i in range(count)]


@pytest.mark.slow
@pytest.mark.parametrize("members", [3, 5])
def test_every_member_of_a_zip_is_imported(tmp_path, members):
    path = tmp_path / "parts.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in range(members):
            numbers = member_numbers(member + 3, 1000 + member)
            archive.writestr(
                f"part{member}.csv",
                "name,mobile\n" + "".join(f"n{i},{number}\n" for i, number in enumerate(numbers)),
            )
    job = import_run(shop_job(path))
    assert job.status == ImportJob.Status.DONE, job.error
    expected = sum(1000 + member for member in range(members))
    assert (job.rows, job.valid, job.new) == (expected, expected, expected)
    assert Exposure.objects.count() == expected == job.breach.pwn_count
    assert len(job.report["columns"]) == members


@pytest.mark.slow
def test_the_unpacked_limit_counts_every_member_of_an_archive(tmp_path, settings):
    settings.IMPORT_MAX_UNPACKED_BYTES = 100 * 1024
    before = import_run(shop_job(_zip(tmp_path / "small.zip", 1, 2000)))
    assert before.status == ImportJob.Status.DONE, before.error
    # Five members of 24 KB each: each under the limit, together over it.
    job = import_run(shop_job(_zip(tmp_path / "many.zip", 5, 2000)))
    assert job.status == ImportJob.Status.FAILED
    assert "100 KB" in job.error and "together" in job.error
    breach = Breach.objects.get(slug="shop")
    assert breach.pwn_count == 2000 == Exposure.objects.count()


def _zip(path, members: int, rows: int):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in range(members):
            body = "".join(f"{number}\n" for number in member_numbers(member + 3, rows))
            archive.writestr(f"part{member}.txt", body)
    return path
