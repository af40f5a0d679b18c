"""The site's own 404, 403 (form forgery check) and 500 pages, with DEBUG off."""

import pytest
from django.test import Client, RequestFactory, override_settings

from breachcheck.error_views import server_error

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _debug_off(settings):
    settings.DEBUG = False


def test_an_unknown_page_is_a_styled_404_in_chinese(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "这个页面不存在" in html
    assert 'class="brand"' in html and "/static/css/site.css" in html
    assert 'href="/"' in html


def test_the_404_page_speaks_english(client):
    html = client.get("/breaches/nothing/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This page does not exist" in html
    assert "页面不存在" not in html


def test_a_form_without_its_security_token_gets_a_styled_403():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/", {"phone": "13800138000"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    html = response.content.decode()
    assert "The form has expired" in html
    assert "Nothing was sent." in html
    assert "13800138000" not in html and "CSRF" not in html
    chinese = client.post("/", {"phone": "13800138000"}).content.decode()
    assert "表单已过期" in chinese


@override_settings(ROOT_URLCONF="tests.support.urls_boom")
def test_a_failing_view_gets_a_styled_500_without_the_number(client):
    client.raise_request_exception = False
    response = client.get("/boom/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert "13800138000" not in html
    assert "breachcheck" in html and "泄露查" in html
    chinese = client.get("/boom/").content.decode()
    assert "我们这边出错了" in chinese


@override_settings(ROOT_URLCONF="tests.support.urls_boom")
def test_a_refused_page_gets_a_styled_403(client):
    response = client.get("/forbidden/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "You are not allowed to see this page" in response.content.decode()


def test_the_500_page_needs_neither_request_context_nor_database(django_assert_num_queries):
    request = RequestFactory().get("/")
    with django_assert_num_queries(0):
        response = server_error(request)
    html = response.content.decode()
    assert response.status_code == 500
    # No language form: it needs the request (and a security token) to work.
    assert 'class="lang"' not in html
    assert "/static/css/site.css" in html
