"""The private check in a real browser: the number never leaves it, and the
result equals the server-side check's for a hit, a miss and a sensitive-only number."""

import re
from html import unescape
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


# The private result leads on as the server's does (issue 21, item 6): the same advice,
# offer and links, chosen by the script from a frame that is the same for everyone.


@pytest.fixture
def locale_page(browser, live_server, request):
    context = browser.new_context(locale=request.param, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15000)
    console = []
    page.on("console", lambda message: console.append(message.text))
    yield page, request.param, console
    context.close()


def _server_words(number: str, language: str) -> tuple[str, list[str], str]:
    """The server-side result's advice title and items, and its alert offer's title."""
    html = check(Client(), number, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    advice = re.search(r'<section class="advice">\s*<h2>([^<]+)</h2>(.*?)</section>', html, re.S)
    assert advice
    items = [unescape(item).strip() for item in re.findall(r"<li>(.*?)</li>", advice[2], re.S)]
    offer = re.search(r'<form class="check prove".*?<h2>([^<]+)</h2>', html, re.S)
    assert offer
    return unescape(advice[1]), items, unescape(offer[1])


def _private_words(page, kept: str) -> tuple[str, list[str], str]:
    # Only the branch that applies is left: one advice, one offer title, no hidden alternative.
    assert page.locator(f'[data-when]:not([data-when="{kept}"])').count() == 0
    assert page.locator("[data-when][hidden]").count() == 0
    assert page.locator(".advice").count() == 1 and page.locator(".advice").is_visible()
    assert page.locator("form.prove h2").count() == 1
    offer = page.locator("form.prove h2")
    assert offer.is_visible()
    advice = page.locator(".advice")
    return (
        advice.locator("h2").inner_text(),
        advice.locator("li").all_inner_texts(),
        offer.inner_text(),
    )


@pytest.mark.parametrize("locale_page", ["en-US", "zh-CN"], indirect=True)
def test_a_private_miss_gets_the_anti_fraud_advice_and_an_offer_for_a_number_not_found_yet(
    locale_page, live_server, breaches
):
    page, language, console = locale_page
    titles, _ = _private_check(page, live_server, MISS, MISS)
    assert titles == []
    assert page.locator("[data-private-result].miss").count() == 1
    assert page.locator(".advice li", has_text="96110").first.is_visible()
    assert page.locator(".advice li", has_text="110").count() >= 2
    words = _private_words(page, "miss")
    assert words == _server_words(MISS, language)
    if language == "en-US":
        title, items, offer = words
        assert title == "Stay safe anyway"
        assert not any("this leak" in item for item in items)
        assert offer == "Be told if it turns up in a breach"
        text = page.locator("form.prove").inner_text()
        assert "Not found yet is not safe for good" in text and "leaks again" not in text
        assert "The site has not seen your number" in text
    assert not [m for m in console if "Content Security Policy" in m]


@pytest.mark.parametrize("locale_page", ["en-US"], indirect=True)
def test_a_private_hit_links_each_breach_to_its_page_and_marks_the_unverified(
    locale_page, live_server, breaches
):
    page, language, console = locale_page
    breach_with("bank", [HIT], title="Bank customers", is_verified=True)
    titles, _ = _private_check(page, live_server, HIT, HIT)
    assert sorted(titles) == ["Bank customers", "Card shop members", "Forum users"]
    for slug, title in [("bank", "Bank customers"), ("shop", "Card shop members")]:
        link = page.locator("li.breach h2 a", has_text=title)
        assert link.get_attribute("href") == f"/breaches/{slug}/"
    flags = {
        title: page.locator("li.breach", has_text=title).locator(".tag").first.inner_text()
        for title in titles
    }
    assert flags == {
        "Bank customers": "verified",
        "Card shop members": "unverified",
        "Forum users": "unverified",
    }
    words = _private_words(page, "hit")
    assert words == _server_words(HIT, language)
    title, items, offer = words
    assert title == "What to do now" and any("this leak" in item for item in items)
    assert offer == "Be told when it leaks again"
    page.locator("li.breach h2 a", has_text="Forum users").click()
    page.wait_for_url("**/breaches/forum/")
    assert page.locator("h1").inner_text() == "Forum users"
    assert not [m for m in console if "Content Security Policy" in m]
