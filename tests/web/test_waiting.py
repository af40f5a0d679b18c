"""Past the per-connection limit, without JavaScript: told how long to wait, and the
typed number kept (sealed in the session), so "Check again" needs no typing."""

import pytest

from tests.factories import breach_with

pytestmark = pytest.mark.django_db

NUMBER = "13800138000"


def _check(client, **data):
    return client.post("/", data, HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def limited(client, settings):
    breach_with("shop", [NUMBER])
    settings.RATELIMIT_CHECK_PER_IP = "2/h"
    for _ in range(2):
        assert _check(client, phone="13900139000").status_code == 302
    return client


def test_past_the_limit_the_page_names_the_wait_and_keeps_the_number(limited):
    response = _check(limited, phone=NUMBER)
    assert response.status_code == 429
    minutes = -(-int(response["Retry-After"]) // 60)
    page = response.content.decode()
    assert f"please wait {minutes} minute" in page
    assert "Going on now needs JavaScript" in page
    assert "138****8000" in page and NUMBER not in page
    assert 'name="waiting"' in page
    # One noscript message, not two that contradict each other.
    assert page.count('class="pow-noscript"') == 1
    assert "this check needs JavaScript to solve a small puzzle" not in page


def test_check_again_uses_the_kept_number_once_the_wait_is_over(limited, settings):
    assert _check(limited, phone=NUMBER).status_code == 429
    # Still over the limit: the same page, the number still kept.
    again = _check(limited, waiting="1")
    assert again.status_code == 429 and "138****8000" in again.content.decode()
    settings.RATELIMIT_CHECK_PER_IP = "100/h"
    settings.RATELIMIT_CHECK_PER_NETWORK = "100/h"
    response = _check(limited, waiting="1")
    assert response.status_code == 302 and response["Location"] == "/result/"
    result = limited.get("/result/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "138****8000" in result and "Found in 1 breach" in result
    # Once answered, the number is no longer kept for another "Check again".
    forgotten = _check(limited, waiting="1")
    assert forgotten.status_code == 400
    assert "no longer kept here: please type it again" in forgotten.content.decode()


def test_the_session_keeps_no_number_in_clear(limited):
    _check(limited, phone=NUMBER)
    stored = str(dict(limited.session))
    for written in (NUMBER, "8613800138000"):
        assert written not in stored
