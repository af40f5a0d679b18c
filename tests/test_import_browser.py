"""Staff import pages in a real browser, with a real worker."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leaks.models import ImportJob
from tests.test_readers_encoding import write_cut_utf8_csv

pytestmark = [pytest.mark.browser]


def staff_login(page, live_server, **extra) -> User:
    user = User.objects.create_user(
        "boss", password="x" * 20, is_staff=True, is_superuser=True, **extra
    )
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return user


@pytest.mark.worker
def test_a_utf8_csv_cut_inside_a_character_at_64_kb_uploads_to_a_finished_import(
    settings, tmp_path, live_server, celery_worker_process, page
):
    settings.UPLOAD_DIR = tmp_path / "uploads"
    staff_login(page, live_server)
    dump = tmp_path / "会员.csv"
    rows = write_cut_utf8_csv(dump, cut=2)

    page.goto(live_server.url + reverse("bc-import-new"))
    page.fill("input[name=new_slug]", "members")
    page.set_input_files("input[name=dump]", str(dump))
    page.click(".staff-form button[type=submit]")
    page.wait_for_url(re.compile(r"/staff/imports/\d+/$"), timeout=60_000)
    page.locator("#import-report").wait_for(timeout=120_000)

    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE, job.error
    assert job.report["encoding"] == "utf-8"
    assert page.locator("[data-field=rows]").inner_text() == str(rows)
    assert job.valid == rows
    assert list((tmp_path / "uploads").iterdir()) == []


def test_an_empty_or_unpublished_breach_is_not_listed(live_server, page):
    from leaks.models import Breach
    from tests.breach_factory import breach_with_numbers

    breach_with_numbers("shown", ["13800138000"], title="Shown shop")
    breach_with_numbers("hidden", ["13900139000"], title="Hidden shop", publish=False)
    Breach.objects.create(slug="empty", title="Empty shop", published_at=timezone.now())

    page.goto(live_server.url + reverse("bc-breaches"))
    listed = page.locator("main").inner_text()
    assert "Shown shop" in listed
    assert "Hidden shop" not in listed and "Empty shop" not in listed
    page.goto(live_server.url + reverse("bc-check"))
    home = page.locator("main").inner_text()
    assert "Shown shop" in home and "Empty shop" not in home and "Hidden shop" not in home
    response = page.goto(live_server.url + reverse("bc-breach", args=["empty"]))
    assert response.status == 404


def test_the_admin_breach_page_fits_1280_pixels_in_chinese(live_server, page, tmp_path):
    from imports.importer import import_run
    from leaks.models import Breach, ImportJob

    staff_login(page, live_server)
    breach = Breach.objects.create(slug="wide", title="宽表测试")
    long_name = "会员数据_2024年3月_全量导出_含手机号地址身份证_第一部分_最终版本_v2.csv"
    for content in ("手机号\n13800138000\n", "\x00\x01" * 50):
        path = tmp_path / long_name
        path.write_text(content)
        import_run(
            ImportJob.objects.create(breach=breach, file_path=str(path), source_name=long_name)
        )
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + reverse("admin:leaks_breach_change", args=[breach.pk]))
    text = page.locator("#content").inner_text()
    assert "号码类型" in text and "手机：1" in text
    assert "“号码列”" in text  # the failed import's error, phrased for the web
    for raw in ("mobile:", "：:", "。:", "Rows", "Status", "(header)", "--column"):
        assert raw not in text, raw
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280, width


@pytest.mark.worker
def test_a_failed_upload_is_retried_with_other_options_without_a_new_upload(
    settings, tmp_path, live_server, celery_worker_process, page
):
    settings.UPLOAD_DIR = tmp_path / "uploads"
    staff_login(page, live_server)
    dump = tmp_path / "members.csv"
    dump.write_bytes("张三,13800138000\n李四,13900139000\n".encode("gbk"))

    page.goto(live_server.url + reverse("bc-import-new"))
    page.fill("input[name=new_slug]", "gbk-shop")
    page.fill("input[name=encoding]", "utf-8")
    page.set_input_files("input[name=dump]", str(dump))
    page.click(".staff-form button[type=submit]")
    page.locator("#retry-form").wait_for(timeout=120_000)
    error = page.locator("#import-error").inner_text()
    assert "“文字编码”" in error and "--encoding" not in error
    assert len(list((tmp_path / "uploads").iterdir())) == 1

    page.fill("#retry-form input[name=encoding]", "gbk")
    page.click("#retry-form button[type=submit]")
    page.locator("#import-report").wait_for(timeout=120_000)
    retry = ImportJob.objects.latest("pk")
    assert retry.status == ImportJob.Status.DONE and (retry.rows, retry.new) == (2, 2)
    assert ImportJob.objects.count() == 2
    assert list((tmp_path / "uploads").iterdir()) == []
