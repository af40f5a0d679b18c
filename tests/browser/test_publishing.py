"""An admin finds the publish step in Chromium: on the breach's admin page and as
the finished import's next step; axe-core finds nothing on the staff pages."""

import pytest
from django.test import Client

from audit.models import AuditEvent
from leaks.models import Breach
from tests.browser.test_accessibility import AXE
from tests.factories import breach_with_numbers, staff_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(context, live_server) -> None:
    client = Client()
    client.force_login(staff_user("boss"))
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


@pytest.fixture
def staff_page(browser, live_server):
    context = browser.new_context(
        locale="en-US", viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    _log_in(context, live_server)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def fresh(transactional_db) -> Breach:
    return breach_with_numbers("card-shop", ["13800138000", "13900139000"], publish=False)


def test_an_admin_publishes_from_the_breach_page_after_reading_the_checklist(
    staff_page, live_server, fresh
):
    page = staff_page
    page.goto(f"{live_server.url}/admin/leaks/breach/{fresh.pk}/change/")
    assert "Not published" in page.locator(".publish-state").inner_text()
    page.click(".publish-state a.button")
    page.wait_for_url(f"**/staff/breaches/{fresh.pk}/publishing/")
    checklist = page.locator(".checklist").inner_text()
    assert "No breach date" in checklist and "No data classes" in checklist
    # The preview opens the public page as citizens will see it.
    with page.expect_popup() as popup:
        page.click("text=Preview its public page")
    preview = popup.value
    preview.wait_for_load_state()
    assert preview.locator("h1").inner_text() == "Card Shop"
    assert "not public until" in preview.locator(".preview-note").inner_text()
    preview.close()

    page.click("button[value=publish]")
    page.wait_for_selector(".messagelist .success")
    assert "is published" in page.locator(".messagelist").inner_text()
    fresh.refresh_from_db()
    assert fresh.published_at is not None
    assert AuditEvent.objects.filter(action="change", changes__has_key="published_at").exists()
    page.goto(f"{live_server.url}/breaches/card-shop/")
    assert page.locator("h1").inner_text() == "Card Shop"

    page.goto(f"{live_server.url}/staff/breaches/{fresh.pk}/publishing/")
    page.click("button[value=unpublish]")
    page.wait_for_selector(".messagelist .success")
    fresh.refresh_from_db()
    assert fresh.published_at is None


def test_the_finished_import_offers_publishing_as_its_next_step(staff_page, live_server, fresh):
    page = staff_page
    job = fresh.imports.get()
    page.goto(f"{live_server.url}/staff/imports/{job.pk}/")
    assert page.locator("#publishing h2").inner_text() == "Next step: publish"
    page.click("#publishing button[value=publish]")
    page.wait_for_url(f"**/staff/imports/{job.pk}/")
    assert "is published" in page.locator(".messagelist").inner_text()
    assert page.locator("#publishing h2").inner_text() == "Published"


def test_the_admin_home_links_to_the_upload_page(staff_page, live_server):
    page = staff_page
    page.goto(f"{live_server.url}/admin/")
    assert "Django" not in page.locator("#header").inner_text()
    page.click("#staff-start a.button")
    page.wait_for_url("**/staff/imports/new/")
    # The staff pages wear the admin's look, not the citizens' header and footer.
    assert page.locator("#header").count() == 1 and page.locator("header.top").count() == 0


def test_quality_bars_have_a_light_track_and_a_coloured_fill(staff_page, live_server, fresh):
    page = staff_page
    page.goto(f"{live_server.url}/admin/leaks/breach/{fresh.pk}/change/")
    track = page.locator(".bar-track").first.evaluate("e => getComputedStyle(e).fill")
    fill = page.locator(".bar-fill").first.evaluate("e => getComputedStyle(e).fill")
    assert track != fill and "rgb(0, 0, 0)" not in (track, fill)


def _violations(page) -> list[str]:
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    return page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .map(v => `${v.id}: ${v.nodes.map(n => n.target.join(" ")).join(", ")}`)"""
    )


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_the_staff_pages_have_no_axe_violation(browser, live_server, fresh, locale):
    context = browser.new_context(
        locale=locale, viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    _log_in(context, live_server)
    page = context.new_page()
    job = fresh.imports.get()
    paths = [
        "/admin/",
        "/admin/leaks/breach/",
        f"/admin/leaks/breach/{fresh.pk}/change/",
        "/staff/imports/new/",
        f"/staff/imports/{job.pk}/",
        f"/staff/breaches/{fresh.pk}/publishing/",
        f"/staff/breaches/{fresh.pk}/preview/",
    ]
    problems = {}
    try:
        for path in paths:
            page.goto(live_server.url + path)
            if found := _violations(page):
                problems[path] = found
    finally:
        context.close()
    assert problems == {}
