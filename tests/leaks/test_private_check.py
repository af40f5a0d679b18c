"""The private check's server side, and the command-line client against a live server."""

import json
import re
import subprocess
import sys

import pytest
from django.test import override_settings
from django.urls import reverse

from leaks import oprf, private_check, private_client, private_encoding
from leaks.hashing import phone_bucket, server_key
from tests.factories import breach_with

pytestmark = pytest.mark.django_db

E164 = "+8613800138000"


@pytest.fixture
def breaches():
    shop = breach_with("shop", ["13800138000"], title="Card shop members")
    clinic = breach_with("clinic", ["13800138000"], title="Clinic", is_sensitive=True)
    return shop, clinic


def _ask(client, e164: str = E164, bits: int = 16, **extra):
    blind, body = private_client.request_for(e164, bits)
    body.update(extra)
    response = client.post(
        reverse("bc-private-evaluate"), json.dumps(body), content_type="application/json"
    )
    return blind, response


def test_the_answer_finds_public_breaches_only(client, breaches, settings):
    shop, _clinic = breaches
    blind, response = _ask(client)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Cache-Control"] == "no-store"
    answer = private_encoding.decode(response.content)
    # The one real entry and the bucket's padding (ENTRIES to 2 x ENTRIES - 1 of them).
    base = settings.PRIVATE_CHECK_ENTRIES
    assert base + 1 <= len(answer.entries) <= 2 * base
    assert private_client.matches(E164, blind, answer) == {shop.pk}
    blind, response = _ask(client, "+8613900139000")
    assert private_client.matches("+8613900139000", blind, response.content) == set()


def test_the_evaluation_is_the_rfc_blind_evaluation(client, breaches):
    _blind, body = private_client.request_for(E164)
    response = client.post(
        reverse("bc-private-evaluate"), json.dumps(body), content_type="application/json"
    )
    expected = oprf.blind_evaluate(server_key(), bytes.fromhex(body["blinded"]))
    answer = private_encoding.decode(response.content)
    assert answer.evaluated == expected
    assert (answer.bucket_bits, answer.version) == (16, 1)
    assert body["bucket"] == phone_bucket(E164)


def test_an_answer_depends_on_the_bucket_only(client, breaches):
    """Two numbers of one bucket get the same entries; no answer holds the number."""
    same_bucket = _number_in_bucket(phone_bucket(E164), avoid=E164)
    bodies = []
    for e164 in (E164, same_bucket):
        private_check.clear_cache()  # each answer made, not the first one kept
        _blind, response = _ask(client, e164)
        assert E164.encode() not in response.content
        bodies.append(response.content[42:])
    assert bodies[0] == bodies[1]


def _number_in_bucket(bucket: int, avoid: str = "", bits: int = 16) -> str:
    for n in range(10**6):
        e164 = f"+86139{n:08d}"
        if e164 != avoid and private_client.bucket_of(e164, bits) == bucket:
            return e164
    raise AssertionError("no number found in the bucket")


@pytest.mark.parametrize(
    "body",
    [
        {"bucket": 70000, "blinded": "00" * 32},
        {"bucket": "1", "blinded": "00" * 32},
        {"bucket": 1, "blinded": "00" * 32},
        {"bucket": 1, "blinded": "zz"},
        {"bucket": 1},
        [],
    ],
)
def test_bad_requests_get_a_clear_400(client, body):
    response = client.post(
        reverse("bc-private-evaluate"), json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]


def test_a_get_is_refused(client):
    assert client.get(reverse("bc-private-evaluate")).status_code == 405


@override_settings(RATELIMIT_CHECK_PER_IP="2/h")
def test_evaluations_are_rate_limited_like_checks(client, breaches):
    assert [_ask(client)[1].status_code for _ in range(3)] == [200, 200, 429]
    response = _ask(client)[1]
    assert int(response["Retry-After"]) > 0
    assert response.json()["error"]


@override_settings(RESULTS_REQUIRE_PROOF=True)
def test_no_private_answer_when_results_require_proof(client, breaches):
    assert _ask(client)[1].status_code == 403
    assert b"private-check.js" not in client.get(reverse("bc-check")).content


def test_an_unpublished_breach_is_named_nowhere_in_the_private_check(client, breaches):
    hidden = breach_with("draft", ["13800138000"], title="Draft leak", published_at=None)
    blind, response = _ask(client)
    answer = private_encoding.decode(response.content)
    # Not matched, not even used as padding, and not in the page the browser fills in.
    assert private_client.matches(E164, blind, answer) == {breaches[0].pk}
    named = {breach_id for _, ids in answer.entries for breach_id in ids}
    assert named == {breaches[0].pk}
    assert hidden.pk not in named
    assert "Draft leak" not in client.get(reverse("bc-private-result")).content.decode()


def test_the_result_frame_lists_public_breaches_hidden(client, breaches):
    html = client.get(reverse("bc-private-result")).content.decode()
    assert f'data-breach="{breaches[0].pk}" hidden' in html
    assert "Clinic" not in html


def test_the_result_frame_holds_a_hits_and_a_miss_advice_and_offer_hidden(client, breaches):
    # The same frame for everyone: both answers' words are in it, hidden; the script keeps one.
    html = client.get(reverse("bc-private-result"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    advice = re.findall(
        r'<div data-when="(\w+)" hidden>\s*<section class="advice">'
        r"\s*<h2>([^<]+)</h2>(.*?)</section>",
        html,
        flags=re.S,
    )
    assert [(when, title) for when, title, _ in advice] == [
        ("hit", "What to do now"),
        ("miss", "Stay safe anyway"),
    ]
    assert all("96110" in items and "call the police at 110" in items for *_, items in advice)
    assert "this leak" in advice[0][2] and "this leak" not in advice[1][2]
    offers = re.findall(r'<h2 data-when="(\w+)" hidden>([^<]+)</h2>', html)
    assert offers == [
        ("hit", "Be told when it leaks again"),
        ("miss", "Be told if it turns up in a breach"),
    ]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_command_line_client_checks_against_a_live_server(live_server, breaches):
    def run(number: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "leaks.private_client", live_server.url, number],
            capture_output=True,
            text=True,
            timeout=60,
        )

    hit = run("138 0013 8000")
    assert hit.returncode == 1, hit.stderr
    assert "Card shop members" in hit.stdout and "Clinic" not in hit.stdout
    miss = run("13900139000")
    assert miss.returncode == 0 and "Not found" in miss.stdout
    bad = run("1380013")
    assert bad.returncode == 2 and "not a valid" in bad.stderr


# The evaluation is a lean view (breachcheck/lean.py): past the session, locale, CSRF,
# user and messages middleware, with what every response needs kept.


def test_the_lean_evaluation_keeps_the_security_headers_and_sets_no_cookie(client, breaches):
    response = _ask(client)[1]
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "default-src" in response["Content-Security-Policy"]
    assert not response.cookies
    assert "sessionid" not in client.cookies


def _post(client, **headers):
    _blind, body = private_client.request_for(E164)
    return client.post(
        reverse("bc-private-evaluate"), json.dumps(body), content_type="application/json", **headers
    )


def test_the_lean_evaluation_refuses_an_unknown_host(client, breaches):
    assert _post(client, HTTP_HOST="attacker.example").status_code == 400
    assert _post(client).status_code == 200


@override_settings(RESULTS_REQUIRE_PROOF=True)
def test_the_lean_evaluation_answers_in_the_visitors_language(client, breaches):
    english = _post(client, HTTP_ACCEPT_LANGUAGE="en").json()["error"]
    chinese = _post(client, HTTP_ACCEPT_LANGUAGE="zh-CN").json()["error"]
    assert english.startswith("This site shows a result only")
    assert chinese != english and "号码" in chinese


def test_the_command_line_client_needs_neither_django_nor_numpy():
    # What its docstring promises: pip install phonenumbers rbcl is enough.
    code = (
        "import sys, leaks.private_client; "
        "print(sorted(m for m in ('django', 'numpy') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
