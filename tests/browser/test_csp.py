"""The Content-Security-Policy in a real browser: the site works, injected script does not."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _violations(page) -> list[str]:
    messages: list[str] = []
    page.on("console", lambda msg: messages.append(msg.text))
    return messages


def test_pages_render_without_csp_violations(page, live_server):
    messages = _violations(page)
    for path in ["/", "/privacy/", "/breaches/", "/api/v1/docs", "/admin/login/"]:
        response = page.goto(live_server.url + path)
        assert response.status == 200
        assert "script-src 'self'" in response.headers["content-security-policy"]
    page.goto(live_server.url + "/")
    page.fill("input[name=phone]", "13800138000")
    page.click("button[type=submit]:not([name])")
    page.wait_for_selector(".result")
    assert not [m for m in messages if "Content Security Policy" in m]


def test_injected_inline_script_is_blocked(page, live_server):
    messages = _violations(page)
    page.goto(live_server.url + "/")
    page.evaluate(
        """() => {
            const s = document.createElement('script');
            s.textContent = 'window.__injected = true';
            document.body.appendChild(s);
        }"""
    )
    assert page.evaluate("() => window.__injected === undefined")
    assert any("Content Security Policy" in m for m in messages)
