"""Every public page in real Chromium: axe-core finds no violation, in both languages.

Also the parts of accessibility a rule engine cannot judge well: the skip
link is the first thing the keyboard reaches, and touch targets are 44 px.
"""

import pytest

from imports.demo import DEMO_NUMBER, load_demo
from tests.support import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = ROOT / "tests" / "support" / "vendor" / "axe.min.js"
LOCALES = {"zh-hans": "zh-CN", "en": "en-US"}
PAGES = [
    "/",
    "/breaches/",
    "/breaches/demo-card-shop/",
    "/privacy/",
    "/about/",
    "/alerts/",
    "/prove/",
    "/no-such-page/",
    "/api/v1/docs",
]


@pytest.fixture
def demo(transactional_db):
    return load_demo()


def _context(browser, language: str):
    # axe is injected as a script: the site's CSP (rightly) refuses inline
    # script, so only this test's browser context bypasses it.
    return browser.new_context(
        locale=LOCALES[language], viewport={"width": 390, "height": 844}, bypass_csp=True
    )


def _violations(page) -> list[str]:
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    return page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .map(v => `${v.id}: ${v.nodes.map(n => n.target.join(" ")).join(", ")}`)"""
    )


@pytest.mark.parametrize("language", list(LOCALES))
def test_every_public_page_has_no_axe_violation(browser, live_server, demo, language) -> None:
    context = _context(browser, language)
    page = context.new_page()
    problems: dict[str, list[str]] = {}
    try:
        for path in PAGES:
            page.goto(live_server.url + path)
            assert page.evaluate("document.documentElement.lang") == language
            if found := _violations(page):
                problems[path] = found
        # A result page, reached through the form as a person would.
        page.goto(live_server.url + "/")
        page.fill("input[name=phone]", DEMO_NUMBER)
        page.click("form.check button[type=submit]")
        page.wait_for_selector(".result.hit")
        if found := _violations(page):
            problems["result"] = found
        # A miss, from the result's own form: its advice and alert offer are checked too.
        page.fill("section.again input[name=phone]", "13900139000")
        page.click("section.again form.check button[type=submit]")
        page.wait_for_selector(".result.miss .verdict:visible")
        page.wait_for_selector(".advice")
        if found := _violations(page):
            problems["miss"] = found
    finally:
        context.close()
    assert problems == {}


def test_the_skip_link_is_the_first_stop_and_moves_to_the_content(page, live_server, demo):
    page.goto(live_server.url + "/breaches/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip"
    box = page.locator("a.skip").bounding_box()
    assert box and box["y"] >= 0  # visible once focused
    assert page.locator("a.skip").inner_text() == "跳到正文"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


@pytest.mark.parametrize("width", [390, 1280])
def test_header_and_footer_targets_are_at_least_44_px(browser, live_server, demo, width):
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        targets = page.locator(".lang button, .nav a, .footer-links a, a.brand")
        assert targets.count() >= 6
        for index in range(targets.count()):
            box = targets.nth(index).bounding_box()
            name = targets.nth(index).inner_text()
            assert box and box["height"] >= 44 and box["width"] >= 44, (name, box)
    finally:
        context.close()
