"""The site's names and logo, the about page, and the ICP filing in the footer."""

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import override_settings

from alerts.messages import email_message

pytestmark = pytest.mark.django_db


def english(client, path: str) -> str:
    return client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_the_header_shows_both_names_and_the_logo(client):
    html = client.get("/").content.decode()
    header = html.split("<header", 1)[1].split("</header>", 1)[0]
    assert "泄露查" in header and "breachcheck" in header
    assert '<img src="/static/img/logo.svg"' in header


def test_page_titles_carry_the_name_of_the_readers_language_first(client):
    assert "· 泄露查 breachcheck</title>" in client.get("/privacy/").content.decode()
    assert "· breachcheck 泄露查</title>" in english(client, "/privacy/")


@override_settings(SITE_NAME="leakcheck", SITE_NAME_ZH="查泄露")
def test_the_names_come_from_the_settings(client):
    html = client.get("/").content.decode()
    assert "查泄露" in html and "leakcheck" in html and "泄露查" not in html


def test_the_logo_is_a_small_self_contained_svg():
    path = finders.find("img/logo.svg")
    assert path
    svg = Path(path).read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<svg") and len(svg) < 2000
    # No external font or image: the only URL is the SVG namespace.
    assert svg.count("http") == 1 and "<image" not in svg and "font" not in svg


def test_emails_are_signed_with_the_site_name(settings):
    assert "泄露查" in settings.DEFAULT_FROM_EMAIL
    context = {"number": "138****8000", "site_url": "https://example.org", "days": 2}
    context["confirm_url"] = "https://example.org/alerts/confirm/x/"
    message = email_message(name="confirm", context=context, to="li@example.com", language="en")
    assert message.subject.endswith("from breachcheck 泄露查")
    assert "breachcheck 泄露查 · https://example.org" in message.body
    chinese = email_message(
        name="confirm", context=context, to="li@example.com", language="zh-hans"
    )
    assert "泄露查 breachcheck" in chinese.subject


@override_settings(OPERATOR_NAME="Example Lab Ltd", OPERATOR_CONTACT="privacy@example.org")
def test_the_about_page_says_who_runs_the_site_in_both_languages(client):
    html = english(client, "/about/")
    assert "This site is run by Example Lab Ltd" in html
    assert '<a href="mailto:privacy@example.org">privacy@example.org</a>' in html
    for heading in ("Where the data comes from", "How breaches are verified", "asking for removal"):
        assert heading in html
    assert "Personal Information Protection Law" in html and "article 47" in html
    assert 'href="/alerts/mine/"' in html and 'href="/privacy/"' in html
    chinese = client.get("/about/").content.decode()
    assert "本站由Example Lab Ltd运营" in chinese
    assert "《个人信息保护法》" in chinese and "第四十七条" in chinese


def test_the_about_page_works_before_the_operator_fills_anything_in(client, settings):
    settings.OPERATOR_NAME = settings.OPERATOR_CONTACT = ""
    html = english(client, "/about/")
    assert "has not published its name yet" in html and "mailto:" not in html


def test_the_about_page_is_linked_from_every_page(client):
    html = client.get("/breaches/").content.decode()
    assert html.count('href="/about/"') == 2  # header and footer


@override_settings(ICP_FILING="京ICP备12345678号-1")
def test_the_icp_filing_is_in_the_footer_linked_to_the_miit_site(client):
    html = client.get("/").content.decode()
    footer = html.split("<footer>", 1)[1]
    assert (
        '<a href="https://beian.miit.gov.cn/" rel="noopener noreferrer">京ICP备12345678号-1</a>'
        in footer
    )
    assert "京ICP备12345678号-1" in client.get("/about/").content.decode()


def test_no_icp_line_when_none_is_set(client, settings):
    settings.ICP_FILING = ""
    assert "beian.miit.gov.cn" not in client.get("/").content.decode()


def test_the_skip_link_is_the_first_link_and_points_at_the_main_content(client):
    html = english(client, "/")
    body = html.split("<body>", 1)[1]
    first_link = body.split("<a ", 1)[1]
    assert first_link.startswith('class="skip" href="#main">Skip to content</a>')
    assert '<main id="main"' in html
    assert "跳到正文" in client.get("/").content.decode()
