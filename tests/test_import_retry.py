"""A failed upload: its error in the admin's language, a retry with other options
on the kept file, discarding it, and housekeeping deleting it after a set time."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from breachcheck.tasks import expired_data_clear
from imports.errors import error_for_web
from leaks.models import Exposure, ImportJob


@pytest.fixture
def staff(db, client, settings, tmp_path):
    settings.UPLOAD_DIR = tmp_path / "uploads"
    user = User.objects.create_user("admin", password="x" * 20, is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


GBK_WITHOUT_HEADER = "张三,13800138000\n李四,13900139000\n".encode("gbk")


def upload(client, capture, content: bytes, **options) -> ImportJob:
    """Upload a dump through the staff page and run its import to the end."""
    dump = SimpleUploadedFile("members.csv", content)
    with capture(execute=True):
        client.post(reverse("bc-import-new"), {"new_slug": "shop", "dump": dump, **options})
    return ImportJob.objects.latest("pk")


def test_a_failed_upload_keeps_its_file_and_retries_with_other_options(
    client, staff, eager_celery, django_capture_on_commit_callbacks
):
    failed = upload(
        client, django_capture_on_commit_callbacks, GBK_WITHOUT_HEADER, encoding="utf-8"
    )
    assert failed.status == ImportJob.Status.FAILED
    assert failed.file_kept
    page = client.get(reverse("bc-import-detail", kwargs={"job_id": failed.pk}))
    html = page.content.decode()
    assert 'id="retry-form"' in html and 'id="discard-form"' in html
    assert "--encoding" not in html

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("bc-import-retry", kwargs={"job_id": failed.pk}), {"encoding": "gbk"}
        )
    retry = ImportJob.objects.latest("pk")
    assert retry.pk != failed.pk
    assert response["Location"] == reverse("bc-import-detail", kwargs={"job_id": retry.pk})
    assert retry.status == ImportJob.Status.DONE, retry.error
    assert (retry.rows, retry.new) == (2, 2)
    assert retry.options == {"encoding": "gbk"}
    assert Exposure.objects.count() == 2
    # The file passed to the retry, which deleted it on success.
    failed.refresh_from_db()
    assert failed.file_path == "" and not failed.file_kept
    assert not any(staff_uploads(retry))


def staff_uploads(job: ImportJob):
    from django.conf import settings

    return settings.UPLOAD_DIR.iterdir()


def test_a_retry_with_a_bad_option_says_so_and_keeps_the_file(
    client, staff, eager_celery, django_capture_on_commit_callbacks
):
    failed = upload(
        client, django_capture_on_commit_callbacks, GBK_WITHOUT_HEADER, encoding="utf-8"
    )
    response = client.post(
        reverse("bc-import-retry", kwargs={"job_id": failed.pk}), {"encoding": "klingon"}
    )
    assert response.status_code == 400
    assert "未知的文字编码" in response.content.decode()
    failed.refresh_from_db()
    assert failed.file_kept and ImportJob.objects.count() == 1


def test_the_admin_can_discard_a_failed_jobs_file(
    client, staff, eager_celery, django_capture_on_commit_callbacks
):
    failed = upload(
        client, django_capture_on_commit_callbacks, GBK_WITHOUT_HEADER, encoding="utf-8"
    )
    path = failed.file_path
    client.post(reverse("bc-import-discard", kwargs={"job_id": failed.pk}))
    failed.refresh_from_db()
    assert not failed.file_kept
    assert not any(staff_uploads(failed))
    html = client.get(reverse("bc-import-detail", kwargs={"job_id": failed.pk})).content.decode()
    assert 'id="retry-form"' not in html and 'id="file-gone"' in html
    response = client.post(reverse("bc-import-retry", kwargs={"job_id": failed.pk}), {})
    assert response.status_code == 409
    assert path and ImportJob.objects.count() == 1


def test_housekeeping_deletes_a_failed_jobs_file_after_the_set_time_not_sooner(
    client, staff, settings, eager_celery, django_capture_on_commit_callbacks
):
    settings.IMPORT_FAILED_FILE_HOURS = 72
    failed = upload(
        client, django_capture_on_commit_callbacks, GBK_WITHOUT_HEADER, encoding="utf-8"
    )
    now = timezone.now()
    ImportJob.objects.filter(pk=failed.pk).update(
        finished_at=now - datetime.timedelta(hours=71, minutes=59)
    )
    expired_data_clear()
    failed.refresh_from_db()
    assert failed.file_kept
    ImportJob.objects.filter(pk=failed.pk).update(
        finished_at=now - datetime.timedelta(hours=72, minutes=1)
    )
    expired_data_clear()
    failed.refresh_from_db()
    assert not failed.file_kept and failed.file_path == ""
    assert not any(staff_uploads(failed))


@pytest.mark.parametrize(
    ("content", "options", "english", "chinese"),
    [
        (GBK_WITHOUT_HEADER, {"encoding": "utf-8"}, "“Encoding” field", "“文字编码”"),
        (b"name,age\nx,y\n", {}, "“Phone column” field", "“号码列”"),
        (b"mobile\n13800138000\n", {"column": "tel"}, "“Phone column” field", "“号码列”"),
        (b"\x00\x01\x02" * 500, {}, "binary", "二进制"),
    ],
)
def test_a_reader_error_is_translated_and_names_the_form_field(
    client,
    staff,
    eager_celery,
    django_capture_on_commit_callbacks,
    content,
    options,
    english,
    chinese,
):
    failed = upload(client, django_capture_on_commit_callbacks, content, **options)
    assert failed.status == ImportJob.Status.FAILED
    with translation.override("en"):
        text = error_for_web(failed)
    assert english in text and "--" not in text
    with translation.override("zh-hans"):
        text = error_for_web(failed)
    assert chinese in text and "--" not in text
    # The command keeps its flag wording.
    assert failed.error.endswith(".") and ("--" in failed.error) == ("field" in english)


def test_the_upload_form_has_help_for_every_option_and_no_doubled_colon(client, staff):
    with translation.override("zh-hans"):
        html = client.get(reverse("bc-import-new"), HTTP_ACCEPT_LANGUAGE="zh-hans").content
    page = html.decode()
    for name in ("format", "column", "encoding", "region"):
        assert f'id="id_{name}_helptext"' in page, name
    assert "：名称:" not in page and "：:" not in page and "号码列</label>" in page
