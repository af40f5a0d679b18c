"""The chunked import: counts, the quality report, re-runs, failures and cleanup."""

import json

import pytest
from django.core.management import call_command

from imports.importer import import_run
from imports.jobs import import_create
from leaks.models import Breach, Exposure, ImportChunk, ImportJob, StagedHash
from tests.conftest import database_text, digits_variants


def write_dump(path, rows: int = 3000) -> None:
    """Mobiles with duplicates, a virtual operator, a landline, a foreign number and junk."""
    lines = ["姓名,QQ,手机号"]
    for i in range(rows):
        lines.append(f"用户{i},{100000 + i},1380013{i % 1000:04d}")
    lines += [
        "甲,1,17012345678",
        "乙,2,010-6552 9988",
        "丙,3,+1 415 555 0100",
        "丁,4,1.38001E+10",
        "戊,5,12345",
        "己,6,",
        "庚,7,13800138000.0",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def make_job(breach, path, **options) -> ImportJob:
    return ImportJob.objects.create(
        breach=breach,
        file_path=str(path),
        source_name=path.name,
        options=options,
        size=path.stat().st_size,
    )


@pytest.fixture
def breach(db):
    return Breach.objects.create(slug="shop", title="Shop")


def test_it_counts_and_reports_the_quality_of_a_dump(breach, tmp_path):
    dump = tmp_path / "d.csv"
    write_dump(dump)
    job = import_run(make_job(breach, dump))
    assert job.status == ImportJob.Status.DONE, job.error
    assert (job.rows, job.valid, job.invalid) == (3007, 3004, 2)
    # 1000 distinct mobiles + 13800138000 + virtual + landline + foreign.
    assert (job.new, job.duplicates, job.known) == (1004, 2000, 0)
    report = job.report
    assert report["no_phone"] == 1
    assert report["phone_values"] == 3006
    assert report["invalid_reasons"] == {"scientific_notation": 1, "too_short": 1}
    assert report["kinds"]["mobile"] == 3002
    assert report["kinds"]["foreign"] == 1
    assert report["kinds"]["fixed_line"] == 1
    assert report["virtual_operator"] == 1
    assert "北京市" in report["top_regions"]
    assert report["column"] == {"index": 2, "name": "手机号", "by": "header"}
    breach.refresh_from_db()
    assert breach.pwn_count == 1004
    assert not StagedHash.objects.exists()


def test_a_chunked_import_equals_a_single_chunk_import(db, tmp_path, settings):
    dump = tmp_path / "d.csv"
    write_dump(dump, rows=20000)
    one = Breach.objects.create(slug="one", title="One")
    many = Breach.objects.create(slug="many", title="Many")
    single = import_run(make_job(one, dump))
    settings.IMPORT_CHUNK_BYTES = 4096
    chunked = import_run(make_job(many, dump))
    assert ImportChunk.objects.filter(job=chunked).count() > 50
    assert ImportChunk.objects.filter(job=single).count() == 1
    fields = ("rows", "valid", "invalid", "duplicates", "known", "new")
    assert [getattr(chunked, f) for f in fields] == [getattr(single, f) for f in fields]
    for key in ("invalid_reasons", "kinds", "top_regions", "no_phone", "virtual_operator"):
        assert chunked.report[key] == single.report[key]
    keys = set(Exposure.objects.filter(breach=one).values_list("phone_key", flat=True))
    assert keys == set(Exposure.objects.filter(breach=many).values_list("phone_key", flat=True))


def test_rerunning_the_same_dump_adds_nothing(breach, tmp_path):
    dump = tmp_path / "d.csv"
    write_dump(dump, rows=500)
    first = import_run(make_job(breach, dump))
    again = import_run(make_job(breach, dump))
    assert again.new == 0
    assert again.known == first.new
    assert Exposure.objects.filter(breach=breach).count() == first.new


def test_a_chunk_run_twice_counts_once(breach, tmp_path, settings):
    """A chunk whose first run was cut short (rows staged, no counts) is run again."""
    from imports.importer import import_chunk_run, import_plan
    from imports.merge import import_finish

    settings.IMPORT_CHUNK_BYTES = 2048
    dump = tmp_path / "d.csv"
    write_dump(dump, rows=2000)
    job = make_job(breach, dump)
    chunk_ids = import_plan(job)
    first = ImportChunk.objects.get(pk=chunk_ids[0])
    import_chunk_run(first, worker="a", finish=False)
    # Simulate the crash: its rows stay staged but the chunk is not done.
    ImportChunk.objects.filter(pk=first.pk).update(status="running", worker="a", tally={})
    for chunk_id in chunk_ids:
        import_chunk_run(ImportChunk.objects.get(pk=chunk_id), worker="a", finish=False)
    import_finish(job)
    job.refresh_from_db()
    assert (job.rows, job.valid, job.new) == (2007, 2004, 1004)
    assert ImportChunk.objects.get(pk=first.pk).attempts == 2


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\x00\x01\x02junk" * 1000, "binary"),
        (b"name,age\nx,y\n", "No column looks like phone numbers"),
    ],
)
def test_a_broken_dump_fails_with_a_reason_and_leaves_the_breach_alone(
    breach, tmp_path, content, reason
):
    good = tmp_path / "good.csv"
    write_dump(good, rows=10)
    import_run(make_job(breach, good))
    breach.refresh_from_db()
    before = (breach.pwn_count, Exposure.objects.count())
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    job = make_job(breach, bad)
    ImportJob.objects.filter(pk=job.pk).update(delete_file=True)
    job = import_run(ImportJob.objects.get(pk=job.pk))
    assert job.status == ImportJob.Status.FAILED
    assert reason in job.error
    breach.refresh_from_db()
    assert (breach.pwn_count, Exposure.objects.count()) == before
    # The upload is kept for a retry with other options (tests/test_import_retry.py).
    assert bad.exists() and job.file_kept
    assert not StagedHash.objects.exists()


def test_a_failure_midway_through_a_chunked_import_rolls_nothing_in(breach, tmp_path, settings):
    settings.IMPORT_CHUNK_BYTES = 4096
    settings.IMPORT_MAX_LINE = 2048
    dump = tmp_path / "d.csv"
    write_dump(dump, rows=2000)
    with open(dump, "a") as handle:
        handle.write("x," + "1" * 5000 + ",13800138000\n")
    job = import_run(make_job(breach, dump))
    assert job.status == ImportJob.Status.FAILED
    assert "longer than 2 KB" in job.error
    assert Exposure.objects.count() == 0
    assert not StagedHash.objects.exists()


def test_the_command_prints_its_summary_and_takes_format_options(
    transactional_db, tmp_path, capsys, eager_celery
):
    dump = tmp_path / "d.dat"
    dump.write_bytes("a|b\nx|13800138000\ny|13900139000\n".encode("gbk"))
    call_command(
        "import_breach",
        str(dump),
        "--breach",
        "cmd",
        "--format",
        "csv",
        "--column",
        "b",
        "--encoding",
        "gbk",
        "--region",
        "CN",
        "--timeout",
        "30",
    )
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (summary["rows"], summary["valid"], summary["new"]) == (2, 2, 2)


def test_an_upload_job_deletes_its_file_and_stores_no_number(
    transactional_db, tmp_path, eager_celery
):
    dump = tmp_path / "d.csv"
    write_dump(dump, rows=50)
    breach = Breach.objects.create(slug="up", title="Up")
    job = import_create(breach=breach, path=dump, source_name="d.csv", delete_file=True)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert not dump.exists()
    text = database_text()
    for variant in digits_variants("13800130001") + digits_variants("17012345678"):
        assert variant not in text


def test_resume_hands_a_stalled_chunk_to_another_worker(
    transactional_db, tmp_path, settings, eager_celery
):
    from datetime import timedelta

    from django.utils import timezone

    from imports.importer import import_plan

    settings.IMPORT_CHUNK_BYTES = 2048
    dump = tmp_path / "d.csv"
    write_dump(dump, rows=1000)
    breach = Breach.objects.create(slug="stall", title="Stall")
    job = make_job(breach, dump)
    import_plan(job)
    long_ago = timezone.now() - timedelta(seconds=settings.IMPORT_STALL_SECONDS + 5)
    job.chunks.update(status="running", worker="gone@host", heartbeat=long_ago)
    call_command("import_resume")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.rows, job.new) == (1007, 1004)


def test_chunks_never_cut_a_quoted_field_that_spans_lines(db, tmp_path, settings):
    # Every note holds newlines, so a cut at a plain newline would split a row.
    rows = [f'"{i}","note {i}\nline two\nline three","1390013{i:04d}"' for i in range(400)]
    dump = tmp_path / "quoted.csv"
    dump.write_text('"id","note","手机号"\n' + "\n".join(rows) + "\n", encoding="utf-8")
    one = Breach.objects.create(slug="one", title="One")
    many = Breach.objects.create(slug="many", title="Many")
    single = import_run(make_job(one, dump))
    settings.IMPORT_CHUNK_BYTES = 1000
    chunked = import_run(make_job(many, dump))
    assert ImportChunk.objects.filter(job=chunked).count() > 10
    assert (single.rows, single.valid, single.invalid) == (400, 400, 0)
    assert (chunked.rows, chunked.valid, chunked.invalid, chunked.new) == (400, 400, 0, 400)


def test_row_starts_skip_newlines_inside_quotes():
    import io

    from imports.readers.text import row_starts

    data = b'a,b\n"x\ny",1\n"p""q\nr",2\ns,3\n'
    starts = row_starts(io.BytesIO(data), 1)
    assert starts == [4, 12, 23]
    assert all(data[start - 1 : start] == b"\n" for start in starts)


def test_a_job_being_planned_by_another_worker_is_left_alone(breach, tmp_path, settings):
    from django.utils import timezone

    from imports.importer import import_plan

    dump = tmp_path / "d.csv"
    write_dump(dump, rows=500)
    job = make_job(breach, dump)
    ImportJob.objects.filter(pk=job.pk).update(status="running", started_at=timezone.now())
    assert import_plan(job) == []
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING
    assert not ImportChunk.objects.filter(job=job).exists()

    # A planner silent for longer than the stall limit is presumed dead.
    stale = timezone.now() - timezone.timedelta(seconds=settings.IMPORT_STALL_SECONDS + 1)
    ImportJob.objects.filter(pk=job.pk).update(started_at=stale)
    assert len(import_plan(job)) == 1
    assert ImportChunk.objects.filter(job=job).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_chunk_reports_it_is_alive_while_its_reader_is_silent(tmp_path, settings):
    import time

    from django.utils import timezone

    from imports import importer

    settings.IMPORT_STALL_SECONDS = 5  # a beat every second
    breach = Breach.objects.create(slug="slow", title="Slow")
    dump = tmp_path / "d.csv"
    write_dump(dump, rows=10)
    job = make_job(breach, dump)
    (chunk_id,) = importer.import_plan(job)
    chunk = ImportChunk.objects.get(pk=chunk_id)
    long_ago = timezone.now() - timezone.timedelta(hours=1)
    ImportChunk.objects.filter(pk=chunk_id).update(status="running", heartbeat=long_ago)
    with importer._heartbeat(chunk):
        time.sleep(2.5)  # a reader finding no rows, as in a long table before the phones
    assert ImportChunk.objects.get(pk=chunk_id).heartbeat > long_ago


def test_a_finished_job_keeps_no_row_taken_for_a_header(breach, tmp_path):
    dump = tmp_path / "d.csv"
    # No header: the first row has no digits, so it is read as one.
    dump.write_text("张三丰,北京市朝阳区某街道\n李四,13800138000\n王五,13900139000\n")
    job = import_run(make_job(breach, dump))
    assert job.status == ImportJob.Status.DONE, job.error
    assert "张三丰" not in json.dumps(job.plan, ensure_ascii=False)
    assert "朝阳区" not in json.dumps(job.plan, ensure_ascii=False)
