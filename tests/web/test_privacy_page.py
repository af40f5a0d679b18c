import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_the_footer_links_to_the_privacy_page(client):
    assert 'href="/privacy/"' in client.get("/").content.decode()


@override_settings(RATELIMIT_CONFIRM_EMAIL_PER_ADDRESS="5/d")
def test_the_privacy_page_states_how_long_counters_live_from_the_settings(client):
    text = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "keyed hash" in text
    assert "within 24 hours" in text


def test_the_privacy_page_speaks_both_languages(client):
    english = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "what this site keeps" in english
    assert "隐私" in chinese
    assert "what this site keeps" not in chinese


@override_settings(
    OWNERSHIP_CODE_TTL_SECONDS=300,
    OWNERSHIP_PROOF_TTL_SECONDS=1800,
    SESSION_RESULT_TTL_SECONDS=600,
)
def test_the_privacy_page_states_the_lifetimes_from_the_settings(client):
    text = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "5 minutes have passed" in text
    assert "for 30 minutes; then the session expires" in text
    assert "keeps it for 10 minutes, encrypted" in text


def test_the_privacy_page_describes_the_one_gate(client):
    text = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "only through one gate" in text and "small puzzle" in text


@override_settings(ALERTS_CONFIRM_MAX_AGE=3 * 86400)
def test_the_privacy_page_says_how_to_delete_a_subscription(client):
    text = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "not confirmed within 3 days is deleted" in text
    assert 'href="/alerts/mine/"' in text
    assert "unsubscribe link" in text


@pytest.mark.parametrize(
    ("bits", "buckets", "share"), [(16, "65,536", "27,000"), (20, "1,048,576", "1,700")]
)
def test_the_privacy_page_says_what_the_private_check_limits_and_shows(
    client, bits, buckets, share
):
    with override_settings(PHONE_KEY_BUCKET_BITS=bits):
        text = " ".join(client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="en").content.decode().split())
    assert f"one of {buckets}, that about {share} mainland mobile numbers share" in text
    assert "limited per address, per network and per bucket" in text
    assert "but not per number" in text
    assert "comparing two answers does not tell them from the real ones" in text
