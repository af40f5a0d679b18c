"""The ALTCHA widget in a real browser, under the site's Content-Security-Policy."""

import time

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.support.pow_urls"),
]


def _console(page) -> list[str]:
    messages: list[str] = []
    page.on("console", lambda msg: messages.append(msg.text))
    return messages


def _solve_and_submit(page, live_server) -> float:
    page.goto(live_server.url + "/pow-test/")
    page.wait_for_function("() => customElements.get('altcha-widget') !== undefined")
    started = time.monotonic()
    page.click("button[type=submit]:not([name])")
    page.wait_for_url("**/pow-test/submit/", timeout=60000)
    return time.monotonic() - started


def test_the_browser_solves_the_puzzle_and_the_server_accepts_it(page, live_server) -> None:
    messages = _console(page)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    response = page.goto(live_server.url + "/pow-test/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    seconds = _solve_and_submit(page, live_server)
    assert page.locator("body").inner_text().strip() == "ok"
    assert not [m for m in messages if "Content Security Policy" in m], messages
    # Self-hosted: the widget, its worker and the challenge all come from the site.
    assert any(url.endswith("/pow/challenge/") for url in requested)
    assert any(url.endswith("/workers/pbkdf2.js") for url in requested)
    assert all(url.startswith(live_server.url) for url in requested), requested
    print(f"solved and submitted at the minimum difficulty in {seconds:.2f} s")


def test_the_browser_solves_the_hardest_puzzle(page, live_server, settings):
    settings.POW_MIN_DIFFICULTY = settings.POW_MAX_DIFFICULTY
    messages = _console(page)
    seconds = _solve_and_submit(page, live_server)
    assert page.locator("body").inner_text().strip() == "ok"
    assert not [m for m in messages if "Content Security Policy" in m], messages
    print(f"solved and submitted at difficulty {settings.POW_MAX_DIFFICULTY} in {seconds:.2f} s")


def test_a_browser_without_javascript_is_told_why(browser, live_server):
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(live_server.url + "/pow-test/")
        assert page.locator(".pow-noscript").is_visible()
        assert "需要启用 JavaScript" in page.locator(".pow-noscript").inner_text()
    finally:
        context.close()
