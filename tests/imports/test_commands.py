"""The import_breach command: its JSON summary, its format options, a broken dump."""

import json

import pytest
from django.core.management import CommandError, call_command

from leaks.models import Breach
from tests.support.dumps import MEMBERS

pytestmark = pytest.mark.django_db


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
