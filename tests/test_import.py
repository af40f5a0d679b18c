import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from imports.importer import import_run
from leaks.hashing import phone_key
from leaks.models import Breach, Exposure, ImportJob, NewExposure, StagedHash
from leaks.publishing import breach_publish

pytestmark = pytest.mark.django_db


def make_job(tmp_path, content: str | bytes, name: str = "dump.csv", **options) -> ImportJob:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    breach, _ = Breach.objects.get_or_create(slug="shop", defaults={"title": "Shop"})
    return ImportJob.objects.create(
        breach=breach, file_path=str(path), source_name=name, options=options
    )


MEMBERS = (
    "姓名,手机号,QQ,身份证\n"
    "张三,13800138000,123456789,110101199003077777\n"
    "李四,+86 139 0013 9000,987654321,110101199003078888\n"
    "王五,13800138000,55555,\n"
    "赵六,1380013,66666,\n"
    "钱七,,77777,\n"
    "孙八,010-65529988,88888,\n"
)


def test_it_counts_rows_valid_invalid_duplicates_and_new(tmp_path):
    job = import_run(make_job(tmp_path, MEMBERS))
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


def test_importing_the_same_file_twice_adds_nothing(tmp_path):
    first = import_run(make_job(tmp_path, MEMBERS))
    second = import_run(make_job(tmp_path, MEMBERS))
    assert first.new == 3
    assert (second.new, second.known) == (0, 3)
    assert Breach.objects.get(slug="shop").pwn_count == 3
    assert Exposure.objects.count() == 3


def test_stored_rows_hold_only_keyed_hashes(tmp_path):
    import_run(make_job(tmp_path, MEMBERS))
    stored = set(Exposure.objects.values_list("phone_key", flat=True))
    assert phone_key("+8613800138000") in stored
    assert len(stored) == 3
    # The new exposures are noted for the alert scan, which deletes them.
    assert set(NewExposure.objects.values_list("phone_key", flat=True)) == stored


def test_plain_lists_with_comments_and_blank_lines(tmp_path):
    dump = "# leaked list\n13800138000\n\n139-0013-9000\nnot a number\n"
    job = import_run(make_job(tmp_path, dump, "list.txt"))
    assert (job.rows, job.valid, job.invalid, job.new) == (3, 2, 1, 2)
    assert job.report["column"]["by"] == "list"


def test_a_one_column_file_with_a_header(tmp_path):
    job = import_run(make_job(tmp_path, "手机号码\r\n13800138000\r\n13900139000\r\n"))
    assert (job.rows, job.valid, job.invalid) == (2, 2, 0)
    assert job.report["column"]["by"] == "header"


def test_headerless_csv_finds_the_phone_column_by_content(tmp_path):
    rows = [f"{1000 + i},user{i},1390013{i:04d},{123456 + i}" for i in range(30)]
    job = import_run(make_job(tmp_path, "\n".join(rows) + "\n", "noheader.csv"))
    assert job.report["column"] == {"index": 2, "name": "#2", "by": "content"}
    assert (job.rows, job.valid, job.new) == (30, 30, 30)


def test_gbk_encoded_dumps_are_read(tmp_path):
    job = import_run(make_job(tmp_path, MEMBERS.encode("gbk"), "gbk.csv"))
    assert job.status == ImportJob.Status.DONE
    assert job.valid == 4


def test_the_admin_can_name_the_column(tmp_path):
    dump = "a,b\n13800138000,13900139000\n"
    job = import_run(make_job(tmp_path, dump, column="b"))
    assert job.report["column"]["by"] == "admin"
    assert job.new == 1
    assert Exposure.objects.get().phone_key == phone_key("+8613900139000")


def test_a_binary_file_fails_with_a_reason_and_changes_nothing(tmp_path):
    import_run(make_job(tmp_path, MEMBERS))
    job = import_run(make_job(tmp_path, b"\x00\x01\x02PK\x03\x04" * 100, "junk.bin"))
    assert job.status == ImportJob.Status.FAILED
    assert "binary" in job.error
    assert Breach.objects.get(slug="shop").pwn_count == 3 == Exposure.objects.count()
    assert not StagedHash.objects.exists()


def test_a_file_without_phone_numbers_fails_clearly(tmp_path):
    job = import_run(make_job(tmp_path, "name,city\nzhang,beijing\nli,shanghai\n"))
    assert job.status == ImportJob.Status.FAILED
    assert "No column looks like phone numbers" in job.error


def test_an_empty_file_fails_clearly(tmp_path):
    job = import_run(make_job(tmp_path, ""))
    assert job.status == ImportJob.Status.FAILED
    assert "no rows" in job.error


def test_a_missing_file_fails_clearly(tmp_path):
    job = make_job(tmp_path, MEMBERS)
    (tmp_path / "dump.csv").unlink()
    assert "gone" in import_run(job).error


def test_uploaded_files_are_deleted_after_import(tmp_path):
    job = make_job(tmp_path, MEMBERS)
    job.delete_file = True
    job.save()
    import_run(job)
    assert not (tmp_path / "dump.csv").exists()


@pytest.mark.django_db(transaction=True)
def test_import_breach_command_prints_a_json_summary(tmp_path, capsys, eager_celery):
    dump = tmp_path / "cmd.csv"
    dump.write_text(MEMBERS, encoding="utf-8")
    call_command("import_breach", str(dump), "--breach", "cmd-shop", "--title", "Cmd Shop")
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {k: summary[k] for k in ("rows", "valid", "invalid", "duplicates", "new")} == {
        "rows": 6,
        "valid": 4,
        "invalid": 1,
        "duplicates": 1,
        "new": 3,
    }
    assert Breach.objects.get(slug="cmd-shop").title == "Cmd Shop"


def test_import_breach_command_fails_on_a_broken_dump(tmp_path, capsys, eager_celery):
    dump = tmp_path / "junk.csv"
    dump.write_bytes(b"\x00" * 100)
    with pytest.raises(CommandError, match="binary"):
        call_command("import_breach", str(dump), "--breach", "junk", "--inline")
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["status"] == "failed"


def test_check_phone_command_lists_breaches(tmp_path, capsys):
    breach_publish(breach=import_run(make_job(tmp_path, MEMBERS)).breach)
    call_command("check_phone", "138 0013 8000", "--json")
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["number"] == "138****8000"
    assert [b["slug"] for b in result["breaches"]] == ["shop"]
    call_command("check_phone", "13700137000", "--json")
    assert json.loads(capsys.readouterr().out.strip())["breaches"] == []


def test_check_phone_command_rejects_invalid_numbers():
    with translation.override("en"), pytest.raises(CommandError, match="too few digits"):
        call_command("check_phone", "1380013")
