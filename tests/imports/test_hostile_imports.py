"""Issue 22 through the importer: no number kept from a key or a name, records keyed
by their number all read, rows and samples bounded by the text they produce,
and a task its workers died on not started again forever."""

import json
import time
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from imports.importer import import_chunk_run, import_plan, import_run
from imports.merge import import_finish
from imports.readers import DumpError, inspect, iter_values
from leaks.models import Breach, ImportChunk, ImportJob
from tests.factories import import_job
from tests.support.privacy_scan import assert_number_nowhere

pytestmark = pytest.mark.django_db

KEYED = [f"1393610{i:04d}" for i in range(10)]


def shop_job(path, *, source_name: str = "upload.dump", **options) -> ImportJob:
    """A job as the upload view makes it: the file under a name of our own, the
    admin's file name as the source name."""
    breach, _ = Breach.objects.get_or_create(slug="shop", defaults={"title": "Shop"})
    return import_job(breach, path, source_name=source_name, options=options)


def shown(job: ImportJob) -> str:
    return json.dumps([job.plan, job.report, job.error, job.source_name], ensure_ascii=False)


@pytest.mark.parametrize("lines", [False, True], ids=["one-object", "one-record-a-line"])
def test_records_keyed_by_their_number_are_all_read_and_no_number_is_kept(
    tmp_path, all_logs, lines
):
    path = tmp_path / "upload.dump"
    entries = {number: {"mobile": number, "name": "张三", "city": "北京"} for number in KEYED}
    if lines:
        path.write_text("".join(json.dumps({k: v}) + "\n" for k, v in entries.items()))
    else:
        path.write_text(json.dumps(entries, ensure_ascii=False, indent=2))
    job = import_run(shop_job(path, source_name=f"{KEYED[0]}.json"))
    assert job.status == ImportJob.Status.DONE, job.error
    assert (job.rows, job.valid, job.new) == (10, 10, 10)
    assert job.report["column"]["name"] == "[number].mobile"
    assert job.source_name == "[number].json"
    assert_number_nowhere(KEYED, logs=all_logs)


def test_a_number_found_only_in_the_key_is_read_from_the_key(tmp_path):
    path = tmp_path / "upload.dump"
    path.write_text(json.dumps({number: {"name": "x", "age": 30} for number in KEYED}))
    job = import_run(shop_job(path))
    assert job.status == ImportJob.Status.DONE, job.error
    assert (job.rows, job.valid) == (10, 10)
    assert job.report["column"] == {"index": 0, "name": "#0", "by": "content"}


def test_a_number_deep_in_a_path_is_a_placeholder(tmp_path):
    path = tmp_path / "upload.dump"
    path.write_text(
        "".join(json.dumps({"users": {n: {"tel": n}}, "id": i}) + "\n" for i, n in enumerate(KEYED))
    )
    job = import_run(shop_job(path))
    assert job.status == ImportJob.Status.DONE, job.error
    assert (job.rows, job.valid) == (10, 10)
    assert job.report["column"]["name"] == "users.[number].tel"
    assert KEYED[0] not in shown(job)


def test_a_number_key_written_with_slashes_or_unicode_dashes_is_a_placeholder(tmp_path):
    path = tmp_path / "upload.dump"
    forms = [f"{n[:3]}/{n[3:7]}/{n[7:]}" for n in KEYED[:5]]
    forms += [f"{n[:3]}–{n[3:7]}–{n[7:]}" for n in KEYED[5:]]
    path.write_text(
        "".join(json.dumps({"contacts": {f: {"tel": f}}}) + "\n" for f in forms),
        encoding="utf-8",
    )
    job = import_run(shop_job(path))
    assert job.status == ImportJob.Status.DONE, job.error
    stored = shown(job)
    for number, form in zip(KEYED, forms, strict=True):
        assert number not in stored and form not in stored and form[4:8] not in stored


def test_a_zip_member_named_by_a_number_is_a_placeholder(tmp_path, all_logs):
    path = tmp_path / "upload.dump"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("13812340000.csv", "".join(f"{n}\n" for n in KEYED))
        archive.writestr("13812340001.csv", "".join(f"{n}\n" for n in KEYED))
    job = import_run(shop_job(path, source_name="13812340000.zip"))
    assert job.status == ImportJob.Status.DONE, job.error
    assert job.rows == 20
    assert list(job.report["columns"]) == ["[number].csv"]
    assert_number_nowhere(["13812340000", "13812340001", *KEYED], logs=all_logs)


def test_an_error_naming_a_member_keeps_no_number(tmp_path, all_logs):
    path = tmp_path / "upload.dump"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("13812340000.csv", "13800000000\n")
        archive.writestr("13812340001.xlsx", "PK")
    job = import_run(shop_job(path))
    assert job.status == ImportJob.Status.FAILED
    assert job.error == "[number].xlsx: unpack workbooks from the archive and upload them."
    assert job.report["error"]["params"] == {"member": "[number].xlsx"}
    assert_number_nowhere(["13812340000", "13812340001", "13800000000"], logs=all_logs)


def test_a_csv_header_cell_holding_a_number_is_not_kept(tmp_path):
    path = tmp_path / "upload.dump"
    path.write_text("mobile,note_13812340000\n" + "".join(f"{n},x\n" for n in KEYED))
    plan = inspect(path)
    assert plan.header == ["mobile", "note_[number]"]
    job = import_run(shop_job(path))
    assert job.status == ImportJob.Status.DONE, job.error
    assert "13812340000" not in shown(job)


def test_an_sql_table_named_by_a_number_is_a_placeholder(tmp_path):
    path = tmp_path / "upload.dump"
    rows = ", ".join(f"('{n}')" for n in KEYED)
    path.write_text(f"INSERT INTO `t_13812340000` (`mobile`) VALUES {rows};\n")
    job = import_run(shop_job(path, format="sql"))
    assert job.status == ImportJob.Status.DONE, job.error
    assert list(job.report["columns"]) == ["t_[number] (mobile)"]


def test_deep_nesting_is_refused_with_its_reason(tmp_path):
    path = tmp_path / "deep.jsonl"
    deep = '{"a":' * 70 + '"13800138000"' + "}" * 70
    path.write_text(deep + "\n" + '{"a": "13800138001"}\n')
    with pytest.raises(DumpError, match="nests deeper than 64 levels"):
        list(iter_values(path, inspect(path)))


def test_paths_that_multiply_a_record_are_bounded_by_the_row_budget(tmp_path, settings):
    # A 30 KB line whose 1000 leaves each sit under a 60-level, 400-character path.
    settings.IMPORT_MAX_LINE = 64 * 1024
    record = {f"k{i}": "1" for i in range(1000)}
    for _level in range(60):
        record = {"abcdef": record}
    path = tmp_path / "paths.jsonl"
    path.write_text(json.dumps(record) + "\n")
    assert path.stat().st_size < 64 * 1024
    with pytest.raises(DumpError, match="holds more than 64 KB of text once flattened"):
        list(iter_values(path, inspect(path)))


def test_quoted_fields_spanning_lines_are_bounded_as_a_row(tmp_path, settings):
    settings.IMPORT_MAX_LINE = 4096
    field = '"' + "\n".join(["x" * 1000] * 3) + '"'
    path = tmp_path / "rows.csv"
    path.write_text("mobile,note,other\n13800138000," + field + "," + field + "\n")
    with pytest.raises(DumpError, match="Row 2 holds more than 4 KB of text once read"):
        list(iter_values(path, inspect(path)))


def test_an_sql_dump_naming_too_many_tables_is_refused(tmp_path, settings):
    settings.IMPORT_MAX_FIELDS = 50
    path = tmp_path / "tables.sql"
    path.write_text("".join(f"INSERT INTO t{i} VALUES ('13800138000');\n" for i in range(60)))
    with pytest.raises(DumpError, match="more than 50 different columns, fields or tables"):
        list(iter_values(path, inspect(path)))


def test_an_sql_row_is_bounded_by_the_text_it_holds(tmp_path, settings):
    settings.IMPORT_MAX_LINE = 4096
    path = tmp_path / "wide.sql"
    values = ", ".join(["'" + "y" * 500 + "'"] * 20)
    path.write_text(f"INSERT INTO t VALUES ('13800138000', {values});\n")
    with pytest.raises(DumpError, match="Row of an INSERT holds more than 4 KB"):
        list(iter_values(path, inspect(path)))


def test_a_json_object_followed_by_more_asks_for_jsonl(tmp_path):
    path = tmp_path / "two.json"
    path.write_text('{\n"a": {"mobile": "13800138000"}\n}\n{"b": 1}\n')
    with pytest.raises(
        DumpError, match=r"one record a line \(JSON lines, “jsonl”\)\? Give it with --format"
    ):
        list(iter_values(path, inspect(path)))


def stall(job: ImportJob) -> None:
    long_ago = timezone.now() - timedelta(hours=1)
    ImportJob.objects.filter(pk=job.pk).update(started_at=long_ago)
    ImportChunk.objects.filter(job=job).update(heartbeat=long_ago)


def write_numbers(path, count: int = 50) -> None:
    path.write_text("".join(f"139{i:08d}\n" for i in range(count)))


def test_a_chunk_its_workers_died_on_twice_fails_the_job_instead_of_a_third_start(tmp_path):
    path = tmp_path / "upload.dump"
    write_numbers(path)
    job = shop_job(path)
    (chunk_id,) = import_plan(job)
    # Two deliveries started it and their worker died (a kill leaves it running).
    ImportChunk.objects.filter(pk=chunk_id).update(
        status=ImportChunk.Status.RUNNING, worker="w1", attempts=2
    )
    # The broker hands the task back to the restarted worker: it does not start.
    import_chunk_run(ImportChunk.objects.select_related("job").get(pk=chunk_id), worker="w1")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.error.startswith("The import was started 2 times at the same place")
    assert ImportChunk.objects.get(pk=chunk_id).attempts == 2


def test_a_chunk_another_live_worker_runs_is_left_to_it(tmp_path):
    path = tmp_path / "upload.dump"
    write_numbers(path)
    job = shop_job(path)
    (chunk_id,) = import_plan(job)
    ImportChunk.objects.filter(pk=chunk_id).update(
        status=ImportChunk.Status.RUNNING, worker="w2", attempts=2, heartbeat=timezone.now()
    )
    import_chunk_run(ImportChunk.objects.select_related("job").get(pk=chunk_id), worker="w1")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING  # a duplicate delivery leaves it alone


def test_a_second_start_after_one_death_still_runs(tmp_path):
    path = tmp_path / "upload.dump"
    write_numbers(path)
    job = shop_job(path)
    (chunk_id,) = import_plan(job)
    ImportChunk.objects.filter(pk=chunk_id).update(
        status=ImportChunk.Status.RUNNING, worker="w1", attempts=1
    )
    chunk = ImportChunk.objects.select_related("job").get(pk=chunk_id)
    import_chunk_run(chunk, worker="w1", finish=False)
    assert ImportChunk.objects.get(pk=chunk_id).status == ImportChunk.Status.DONE
    import_finish(job)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.error
    assert job.valid == 50


def test_planning_its_workers_died_on_twice_fails_the_job(tmp_path):
    path = tmp_path / "upload.dump"
    write_numbers(path)
    job = shop_job(path)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, plan_attempts=2)
    # A planner still alive (recent start) is not failed by a duplicate delivery.
    ImportJob.objects.filter(pk=job.pk).update(started_at=timezone.now())
    assert import_plan(job) == []
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING
    stall(job)  # the planner died: the resume sweep queues the plan again
    assert import_plan(job) == []
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.error.startswith("The import was started 2 times at the same place")


def test_each_planning_start_is_counted(tmp_path):
    path = tmp_path / "upload.dump"
    write_numbers(path)
    job = shop_job(path)
    assert len(import_plan(job)) == 1
    job.refresh_from_db()
    assert job.plan_attempts == 1


@pytest.mark.slow
def test_the_upload_pages_show_no_number_from_a_number_keyed_dump(
    client, settings, tmp_path, eager_celery, django_capture_on_commit_callbacks, all_logs
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from tests.factories import staff_user

    settings.UPLOAD_DIR = tmp_path / "uploads"
    client.force_login(staff_user())
    entries = {number: {"mobile": number, "name": "张三"} for number in KEYED}
    upload = SimpleUploadedFile(f"{KEYED[0]}.json", json.dumps(entries).encode())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("bc-import-new"), {"new_slug": "keyed", "new_title": "Keyed", "dump": upload}
        )
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE, job.error
    assert job.valid == 10
    pages = [
        client.get(response["Location"]).content.decode(),
        # The breach's admin page lists its imports (file name, status, report).
        client.get(reverse("admin:leaks_breach_change", args=[job.breach.pk])).content.decode(),
    ]
    assert "[number].json" in pages[1]
    assert "[number].mobile" in pages[0]
    for page in pages:
        for number in KEYED:
            assert number not in page
    assert_number_nowhere(KEYED, logs=all_logs)


@pytest.mark.slow
def test_planning_a_wide_table_of_numbers_stays_about_a_second(tmp_path):
    # 100 rows of 5000 numbers each took 28 s to score (a phone parse a cell).
    path = tmp_path / "wide.csv"
    for columns, refused in ((5000, True), (1999, False)):
        line = ",".join(["13800138000"] * columns)
        path.write_text("".join(f"{n},{line}\n" for n in KEYED * 10))
        started = time.monotonic()
        if refused:
            with pytest.raises(DumpError, match="more than 2000 different columns"):
                inspect(path)
        else:
            assert inspect(path).column == {"index": 0, "name": "#0", "by": "content"}
        assert time.monotonic() - started < 3
