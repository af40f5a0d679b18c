"""The staff upload page and its progress, through the test client and a real browser."""

import re
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from leaks.models import Breach, ImportJob
from tests.factories import staff_user


@pytest.fixture
def staff(db):
    return staff_user()


def test_it_sends_non_staff_to_the_login(client, db):
    response = client.get(reverse("bc-import-new"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.slow
def test_an_upload_creates_the_breach_imports_and_deletes_the_file(
    client, staff, settings, tmp_path, eager_celery, django_capture_on_commit_callbacks
):
    settings.UPLOAD_DIR = tmp_path / "uploads"
    client.force_login(staff)
    upload = SimpleUploadedFile("members.csv", "手机号\n13800138000\n12345\n".encode())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("bc-import-new"),
            {"new_slug": "club", "new_title": "Club", "dump": upload},
        )
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("bc-import-detail", kwargs={"job_id": job.pk})
    assert job.status == ImportJob.Status.DONE
    assert (job.rows, job.valid, job.invalid) == (2, 1, 1)
    assert job.breach == Breach.objects.get(slug="club")
    assert list((tmp_path / "uploads").iterdir()) == []
    page = client.get(response["Location"]).content.decode()
    [(reason, count)] = job.invalid_reasons()
    # The report speaks Chinese by default, with a full-width colon.
    assert f"<li>{escape(reason)}：1</li>" in page
    assert "12345" not in page
    progress = client.get(reverse("bc-import-progress", kwargs={"job_id": job.pk})).json()
    assert (progress["status"], progress["rows"], progress["percent"]) == ("done", 2, 100.0)
    admin_page = client.get(reverse("admin:leaks_breach_change", args=[job.breach.pk]))
    assert 'data-field="new">1<' in admin_page.content.decode()


@pytest.mark.slow
def test_the_form_needs_a_breach(client, staff):
    client.force_login(staff)
    upload = SimpleUploadedFile("a.csv", b"13800138000\n")
    response = client.post(reverse("bc-import-new"), {"dump": upload})
    assert response.status_code == 200
    assert ImportJob.objects.count() == 0


@pytest.mark.slow
def test_staff_without_import_permissions_are_refused(client, db):
    user = staff_user("intern", is_superuser=False)
    client.force_login(user)
    assert client.get(reverse("bc-import-new")).status_code == 403


@pytest.mark.browser
@pytest.mark.worker
def test_the_browser_shows_progress_and_the_report_across_a_reload(
    monkeypatch, settings, tmp_path, live_server, celery_worker_process, page
):
    settings.UPLOAD_DIR = tmp_path / "uploads"
    user = staff_user("boss", is_superuser=False)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="leaks",
            codename__in=["add_importjob", "view_importjob", "add_breach"],
        )
    )
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    dump = Path(tmp_path) / "big.csv"
    rows = 400_000
    with open(dump, "w") as handle:
        handle.write("name,mobile\n")
        for i in range(rows):
            handle.write(f"n{i},139{i % 100_000:08d}\n")

    page.goto(live_server.url + reverse("bc-import-new"))
    page.fill("input[name=new_slug]", "big")
    page.fill("input[name=new_title]", "Big shop")
    page.set_input_files("input[name=dump]", str(dump))
    page.click(".staff-form button[type=submit]")
    page.wait_for_url(re.compile(r"/staff/imports/\d+/$"), timeout=60_000)

    seen = set()
    deadline = time.monotonic() + 240
    reloaded = False
    while time.monotonic() < deadline:
        if page.locator("#import-report").count():
            break
        value = page.locator("#import-bar").get_attribute("value")
        seen.add(float(value or 0))
        if not reloaded and 0 < float(value or 0) < 100:
            page.reload()  # the page picks up where the import is
            reloaded = True
        time.sleep(0.2)
    page.locator("#import-report").wait_for()
    assert any(0 < value < 100 for value in seen), seen
    assert page.locator("[data-field=rows]").inner_text() == str(rows)
    assert page.locator("[data-field=new]").inner_text() == "100000"
    assert list((tmp_path / "uploads").iterdir()) == []
