"""The private check in a real browser: the number never leaves it, and the
result equals the server-side check's for a hit, a miss and a sensitive-only number."""

import re
from urllib.parse import unquote_plus

import pytest
from django.test import Client

from tests.factories import breach_with
from tests.support.checks import check

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HIT, MISS, SENSITIVE_ONLY = "13800138000", "13900139000", "13700137000"


@pytest.fixture
def breaches():
    breach_with("shop", [HIT], title="Card shop members")
    breach_with("forum", [HIT, "15000150000"], title="Forum users")
    breach_with("clinic", [HIT, SENSITIVE_ONLY], title="Clinic patients", is_sensitive=True)
    breach_with("gone", [HIT], title="Retired list", is_retired=True)


def _forms(number: str) -> list[str]:
    """Every form the number could travel in: digits, E.164, national, spaced, split."""
    spaced = f"{number[:3]} {number[3:7]} {number[7:]}"
    return [number, "86" + number, "+86" + number, spaced, number[3:], number[-8:]]


def _server_side(number: str) -> list[str]:
    html = check(Client(), number).content.decode()
    return re.findall(r'<li class="breach"[^>]*>\s*<h2>(?:<a [^>]*>)?([^<]+)<', html)


def _private_check(page, live_server, number: str, typed: str) -> tuple[list[str], list[str]]:
    sent: list[str] = []

    def record(request) -> None:
        body = request.post_data or ""
        headers = " ".join(f"{k}: {v}" for k, v in request.all_headers().items())
        sent.append(" ".join([unquote_plus(request.url), headers, unquote_plus(body)]))

    page.goto(live_server.url + "/")
    page.wait_for_selector("#private-check:not([hidden])")
    page.on("request", record)
    page.fill("input[name=phone]", typed)
    page.click("form.check button[type=submit]")
    page.wait_for_selector("[data-private-result] .number:not(:empty)")
    page.remove_listener("request", record)
    titles = page.locator("li.breach h2").all_inner_texts()
    masked = page.inner_text("[data-private-result] .number")
    assert masked == number[:3] + "****" + number[-4:]
    return titles, sent


@pytest.mark.parametrize(
    ("number", "typed"),
    [
        (HIT, "138 0013 8000"),
        (MISS, "+86 139-0013-9000"),
        (SENSITIVE_ONLY, "１３７００１３７０００"),
    ],
)
def test_the_private_check_sends_no_form_of_the_number(page, live_server, breaches, number, typed):
    titles, sent = _private_check(page, live_server, number, typed)
    assert sent, "the check made no request"
    assert any("/private/evaluate/" in line for line in sent)
    for line in sent:
        for form in _forms(number):
            assert form not in line, f"{form!r} left the browser"
    assert titles == _server_side(number)


def test_the_hit_shows_the_public_breaches_only(page, live_server, breaches):
    titles, _ = _private_check(page, live_server, HIT, HIT)
    assert sorted(titles) == ["Card shop members", "Forum users"]
    heading = page.locator("[data-private-result].hit [data-count-title]").inner_text()
    assert "2" in heading and "987654321" not in heading


def test_a_sensitive_only_number_reads_as_a_miss_until_proven(page, live_server, breaches):
    titles, _ = _private_check(page, live_server, SENSITIVE_ONLY, SENSITIVE_ONLY)
    assert titles == []
    assert page.locator("[data-private-result].miss").count() == 1
    # The proof flow starts from the private result page without retyping the number.
    assert page.locator("form.prove input[name=phone]").count() == 0
    assert page.locator("form.prove button[type=submit]").count() == 1


def test_an_invalid_number_is_refused_in_the_browser(page, live_server, breaches) -> None:
    sent: list[str] = []
    page.goto(live_server.url + "/")
    page.wait_for_selector("#private-check:not([hidden])")
    page.on("request", lambda request: sent.append(request.url))
    page.fill("input[name=phone]", "1380013")
    page.click("form.check button[type=submit]")
    page.wait_for_selector("form.check p.error")
    assert sent == []
