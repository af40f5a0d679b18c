"""An import through a real Celery worker process, on the configured broker and database."""

import json

import pytest
from django.core.management import call_command

from leaks.models import Breach, Exposure, ImportJob
from tests.support.privacy_scan import database_text, digits_variants

pytestmark = pytest.mark.worker


def test_import_breach_runs_in_the_worker(celery_worker_process, tmp_path, capsys):
    dump = tmp_path / "members.csv"
    dump.write_text("姓名,手机号\n张三,13800138000\n李四,139 0013 9000\n王五,12345\n")

    call_command("import_breach", str(dump), "--breach", "worker-shop", "--timeout", "60")

    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["status"] == "done"
    assert (summary["rows"], summary["valid"], summary["invalid"], summary["new"]) == (3, 2, 1, 2)
    assert Breach.objects.get(slug="worker-shop").pwn_count == 2
    assert Exposure.objects.count() == 2
    assert "import job" in celery_worker_process.log_path.read_text()
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE

    text = database_text() + celery_worker_process.log_path.read_text()
    for variant in digits_variants("13800138000") + digits_variants("13900139000"):
        assert variant not in text
