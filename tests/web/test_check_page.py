import pytest
from django.test import Client

from tests.factories import breach_with
from tests.support.checks import check

pytestmark = pytest.mark.django_db


@pytest.fixture
def breaches():
    breach_with(
        "card-shop",
        ["+8613800138000", "+8613900139000"],
        title="Card Shop Members",
        description="A card-trading shop's member list.",
        data_classes=["phone", "name", "photo"],
        breach_date="2024-03-01",
        is_verified=True,
    )
    breach_with("clinic", ["+8613800138000"], title="Free Health Check", is_sensitive=True)
    breach_with("old-hotel", ["+8613800138000"], title="Old Hotel", is_retired=True)


def test_home_page_is_chinese_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "我的手机号泄露了吗" in response.content.decode()
    assert 'type="tel"' in response.content.decode()


def test_english_can_be_chosen(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Has my phone number leaked?" in client.get("/").content.decode()


def test_a_hit_lists_the_breach_its_data_classes_and_advice(client, breaches):
    response = check(client, "138 0013 8000", HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Found in 1 breach" in page
    assert "Card Shop Members" in page
    assert "A card-trading shop&#x27;s member list." in page
    assert "2024-03-01" in page
    for label in ("Phone numbers", "Names", "Photos"):
        assert label in page
    assert "What to do now" in page
    assert "recycled" in page


def test_the_number_is_shown_back_masked_only(client, breaches):
    page = check(client, "13800138000").content.decode()
    assert "138****8000" in page
    assert "13800138000" not in page


def test_sensitive_and_retired_breaches_are_not_listed(client, breaches):
    page = check(client, "13800138000", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Free Health Check" not in page
    assert "Old Hotel" not in page


def test_a_miss_says_so_and_what_the_site_knows(client, breaches):
    page = check(client, "13700137000", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Not found in any breach we know" in page
    assert "We searched 2 breaches (phone numbers in them: 3)" in page


def test_invalid_input_gets_a_clear_message(client):
    response = check(client, "1380013", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "The number has too few digits." in response.content.decode()


@pytest.mark.slow
def test_checks_are_rate_limited_per_client_ip(client, breaches, settings):
    settings.RATELIMIT_CHECK_PER_IP = "3/h"
    codes = [check(client, "13800138000").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = check(client, "13800138000", HTTP_ACCEPT_LANGUAGE="en")
    assert limited["Retry-After"]
    assert "Please slow down" in limited.content.decode()
    other_ip = check(client, "13800138000", REMOTE_ADDR="198.51.100.7")
    assert other_ip.status_code == 200


def test_the_form_needs_a_csrf_token():
    client = Client(enforce_csrf_checks=True)
    assert check(client, "13800138000").status_code == 403


def test_the_page_promises_not_to_store_the_number(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "not stored or logged" in page
