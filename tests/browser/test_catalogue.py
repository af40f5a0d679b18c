"""The catalogue in a real browser: list, sort, open a breach, see its charts."""

import datetime

import pytest
from django.utils import timezone

from leaks.models import Breach
from tests.factories import breach_with_numbers

pytestmark = pytest.mark.browser


@pytest.fixture
def breaches(transactional_db):
    breach_with_numbers(
        "big-shop",
        [f"1380013{n:04d}" for n in range(12)] + ["17012340000", "12345"],
        title="Big Shop",
        data_classes=["phone", "name"],
        is_verified=True,
    )
    small = breach_with_numbers("small-forum", ["13900139000"], title="Small Forum")
    Breach.objects.filter(pk=small.pk).update(added_date=timezone.now() + datetime.timedelta(1))


def test_a_visitor_browses_the_catalogue_and_opens_a_breach(
    page, live_server, breaches, tmp_path
) -> None:
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Small Forum").wait_for()
    page.locator("header .nav a").first.click()
    page.wait_for_url("**/breaches/")
    entries = page.locator(".catalogue .entry h2")
    assert entries.all_inner_texts() == ["Small Forum", "Big Shop"]

    page.locator(".sort a").click()
    page.wait_for_url("**/breaches/?sort=size")
    assert page.locator(".catalogue .entry h2").all_inner_texts() == ["Big Shop", "Small Forum"]
    page.screenshot(path=str(tmp_path / "catalogue.png"), full_page=True)

    page.get_by_role("link", name="Big Shop").click()
    page.wait_for_url("**/breaches/big-shop/")
    # 12 Beijing numbers of 13 valid ones; the virtual-operator one is folded into "other".
    beijing = page.locator(".regions .bar-fill").first
    assert beijing.get_attribute("width") == "92.3076923076923"
    box = page.locator(".regions svg").first.bounding_box()
    fill = beijing.bounding_box()
    assert box and fill and box["width"] * 0.85 < fill["width"] < box["width"]
    assert page.locator(".regions .bars li").count() == 2
    assert page.locator(".share-virtual").count() == 0
    page.screenshot(path=str(tmp_path / "breach.png"), full_page=True)
    assert [url for url in failed if not url.endswith("/favicon.ico")] == []


def test_the_api_docs_page_works_offline(page, live_server, tmp_path) -> None:
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.goto(live_server.url + "/api/v1/docs")
    assert page.locator("section.op").count() == 5
    assert page.locator("#lookup_number").get_by_text("X-Api-Key").count() >= 1
    page.screenshot(path=str(tmp_path / "docs.png"), full_page=True)
    assert [url for url in failed if not url.endswith("/favicon.ico")] == []
