"""The disclosure gate, tried as an attacker would: every side door that could
tell a stranger whether a number is in a breach, closed or costed."""

import json
import os
import re
import shutil
import stat
import subprocess
import sys

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from alerts.models import Subscription
from api.keys import apikey_create
from api.models import ApiKey
from audit.models import AuditEvent
from leaks.hashing import phone_hash
from leaks.phones import normalize
from tests.factories import breach_with
from tests.support import ROOT
from tests.support.checks import check
from tests.support.services import need

pytestmark = pytest.mark.django_db

WATCHED = "13800138000"
UNWATCHED = "13900139000"


def lookup(client, key: str, number: str = WATCHED):
    return client.post(
        "/api/v1/lookup", {"number": number}, content_type="application/json", HTTP_X_API_KEY=key
    )


# The keyed API.


@pytest.mark.slow
def test_forty_keyed_lookups_of_one_number_get_at_most_its_budget(client, settings):
    settings.RATELIMIT_CHECK_PER_NUMBER = "12/h"
    breach_with("shop", [WATCHED])
    _, token = apikey_create(name="harvester", rate="600/m")
    statuses = [lookup(client, token).status_code for _ in range(40)]
    assert statuses.count(200) == 12 and statuses.count(429) == 28
    refused = lookup(client, token)
    assert refused.json()["error"] == "rate_limited" and int(refused["Retry-After"]) > 0
    # Another number still answers: the budget is the number's, not the key's.
    assert lookup(client, token, UNWATCHED).status_code == 200


@pytest.mark.slow
def test_the_web_and_the_api_share_one_budget_per_number(client, settings):
    settings.RATELIMIT_CHECK_PER_NUMBER = "5/h"
    _, token = apikey_create(name="partner")
    for n in range(3):
        assert check(Client(REMOTE_ADDR=f"198.51.{n}.1"), WATCHED).status_code == 200
    assert [lookup(client, token).status_code for _ in range(3)] == [200, 200, 429]
    assert check(Client(REMOTE_ADDR="192.0.2.9"), WATCHED).status_code == 429


@override_settings(RESULTS_REQUIRE_PROOF=True)
def test_with_proof_required_the_api_answers_listed_and_unlisted_numbers_alike(client):
    breach_with("shop", [WATCHED])
    _, token = apikey_create(name="anyone")
    listed, unlisted = lookup(client, token, WATCHED), lookup(client, token, UNWATCHED)
    assert listed.status_code == unlisted.status_code == 403
    assert listed.content == unlisted.content
    assert listed.json()["error"] == "proof_required"


@override_settings(RESULTS_REQUIRE_PROOF=True)
def test_a_trusted_partner_key_answers_and_every_lookup_is_audited(client):
    breach_with("shop", [WATCHED], title="Card shop")
    api_key, token = apikey_create(name="bank")
    ApiKey.objects.filter(pk=api_key.pk).update(trusted_partner=True)
    response = lookup(client, token)
    assert response.status_code == 200
    assert [b["name"] for b in response.json()["breaches"]] == ["shop"]
    lookup(client, token, UNWATCHED)
    events = AuditEvent.objects.filter(action=AuditEvent.Action.LOOKUP, object_id=str(api_key.pk))
    assert events.count() == 2
    assert all(WATCHED not in json.dumps(e.changes) for e in events)


def test_a_keys_rate_has_a_ceiling(client, settings):
    from django.core.exceptions import ValidationError

    settings.API_KEY_MAX_RATE = "5/m"
    with pytest.raises(ValidationError):
        apikey_create(name="greedy", rate="999999/s")
    api_key, token = apikey_create(name="old key", rate="5/m")
    # A key saved before the ceiling was lowered is held to it all the same.
    ApiKey.objects.filter(pk=api_key.pk).update(rate="999999/s")
    statuses = [lookup(client, token, f"1390013900{n}").status_code for n in range(7)]
    assert statuses == [200] * 5 + [429] * 2


def test_the_api_has_a_global_budget(client, settings):
    settings.RATELIMIT_API_GLOBAL = "4/h"
    tokens = [apikey_create(name=f"k{n}")[1] for n in range(3)]
    statuses = [lookup(client, t, f"1390013900{n}").status_code for n in range(2) for t in tokens]
    assert statuses.count(200) == 4 and statuses.count(429) == 2


# Subscribing and the proof flow.


@pytest.mark.slow
def test_subscribe_pages_for_a_watched_and_an_unwatched_number_are_identical(sms_outbox):
    from tests.factories import subscribe

    breach_with("shop", [WATCHED])
    subscribe(WATCHED)  # the holder already gets text-message alerts

    def stranger_tries(number: str) -> tuple[str, str]:
        stranger = Client()
        pages = stranger.get(reverse("bc-alerts-subscribe")).content.decode()
        sent = stranger.post(reverse("bc-proof-send"), {"phone": number})
        assert sent.status_code == 302
        pages += stranger.get(sent["Location"]).content.decode()
        pages += stranger.post(
            reverse("bc-alerts-subscribe"), {"email": "x@example.com"}
        ).content.decode()
        pages = pages.replace(normalize(number).masked, "MASKED")
        pages = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", pages)
        text = json.loads(sms_outbox.read_text(encoding="utf-8").splitlines()[-1])["body"]
        return pages, re.sub(r"\d{6}", "CODE", text)

    watched, unwatched = stranger_tries(WATCHED), stranger_tries(UNWATCHED)
    assert watched == unwatched
    # One code per number per window, whoever asks: nothing extra for either.
    assert len(sms_outbox.read_text(encoding="utf-8").splitlines()) == 2
    # Asked again in the window, both lead to the code already sent, and no text goes out.
    again = [Client().post(reverse("bc-proof-send"), {"phone": n}) for n in (WATCHED, UNWATCHED)]
    assert [r["Location"] for r in again] == [reverse("bc-proof-code")] * 2
    assert len(sms_outbox.read_text(encoding="utf-8").splitlines()) == 2
    assert Subscription.objects.count() == 1


def test_a_session_keeps_no_lookup_key_and_expires_with_its_result(client, settings):
    breach_with("shop", [WATCHED])
    check(client, WATCHED)
    # What the store (the database or Redis) holds for this session, read back from it.
    data = json.dumps(client.session.load())
    # Not the key exposures are looked up by (the session held those once), nor the number.
    assert phone_hash(normalize(WATCHED).e164).hex() not in data
    assert WATCHED not in data and "bc_numbers" in data
    assert 0 < client.session.get_expiry_age() <= settings.SESSION_RESULT_TTL_SECONDS


@pytest.mark.slow
def test_a_proof_past_the_numbers_budget_shows_no_result(client, sms_outbox, settings):
    settings.RATELIMIT_CHECK_PER_NUMBER = "1/h"
    breach_with("clinic", [WATCHED], title="Clinic patients", is_sensitive=True)
    assert check(Client(REMOTE_ADDR="198.51.100.9"), WATCHED).status_code == 200
    client.post(reverse("bc-proof-send"), {"phone": WATCHED})
    code = re.search(r"\b(\d{6})\b", sms_outbox.read_text(encoding="utf-8")).group(1)
    assert client.post(reverse("bc-proof-code"), {"code": code}).status_code == 429
    # Proven, but the budget is spent: the result page shows nothing until it renews.
    assert client.get(reverse("bc-result"))["Location"] == reverse("bc-check")


# Networks.


@pytest.mark.slow
@override_settings(
    TRUSTED_PROXIES=["127.0.0.1"],
    RATELIMIT_CHECK_PER_NETWORK="60/h",
    POW_CALM_CHECKS_PER_MINUTE=10_000,
)
def test_150_slash64s_of_one_slash48_get_at_most_a_networks_budget(client):
    statuses = []
    for n in range(150):
        # A fresh /64 in a fresh /56 each time, all in 2001:db8:1::/48.
        ip = f"2001:db8:1:{n:02x}00::1"
        response = client.post(
            "/", {"phone": f"139{n:08d}"}, HTTP_X_FORWARDED_FOR=ip, REMOTE_ADDR="127.0.0.1"
        )
        statuses.append(response.status_code)
    assert statuses.count(302) == 60
    assert set(statuses[60:]) == {429}
    # A visitor elsewhere is unaffected.
    elsewhere = client.post(
        "/", {"phone": WATCHED}, HTTP_X_FORWARDED_FOR="2001:db8:2::1", REMOTE_ADDR="127.0.0.1"
    )
    assert elsewhere.status_code == 302


@pytest.mark.slow
@override_settings(RATELIMIT_ADMIN_LOGIN_PER_IP="10/15m")
def test_bad_logins_from_one_network_do_not_lock_the_admin_out(django_user_model):
    django_user_model.objects.create_user(
        "boss", password="right-horse-battery-staple", is_staff=True
    )
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    form = {"username": "boss", "password": "wrong", "next": "/admin/"}
    statuses = [attacker.post("/admin/login/", form).status_code for _ in range(12)]
    assert statuses.count(429) >= 2
    admin = Client(REMOTE_ADDR="198.51.100.20")
    right = {**form, "password": "right-horse-battery-staple"}
    assert admin.post("/admin/login/", right).status_code == 302


# Configuration.


def _settings_value(expression: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    return subprocess.run(
        [sys.executable, "-c", f"import breachcheck.settings as s; print({expression})"],
        cwd=ROOT,
        env={**clean, "BREACHCHECK_DATA_DIR": env.pop("data_dir", "/nonexistent"), **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.slow
def test_debug_is_off_unless_set_and_there_is_no_public_secret_key():
    assert _settings_value("s.DEBUG", SECRET_KEY="k" * 50).stdout.strip() == "False"
    assert _settings_value("s.DEBUG", SECRET_KEY="k" * 50, DEBUG="1").stdout.strip() == "True"
    missing = _settings_value("s.SECRET_KEY", DEBUG="1")
    assert missing.returncode != 0 and "SECRET_KEY" in missing.stderr


@pytest.mark.slow
def test_make_writes_secrets_readable_by_their_owner_only(tmp_path):
    need(shutil.which("make") is not None, "make")
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    for name in ("requirements.txt", "requirements-dev.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    subprocess.run(
        ["make", "-s", ".data/pepper", ".data/secret-key", ".data/alerts-key"],
        cwd=tmp_path,
        check=True,
        env={**os.environ, "PYTHON": sys.executable},
    )
    data = tmp_path / ".data"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for name in ("pepper", "secret-key", "alerts-key"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600
        assert len((data / name).read_text().strip()) >= 40
    key = (data / "secret-key").read_text().strip()
    assert _settings_value("s.SECRET_KEY", data_dir=str(data)).stdout.strip() == key


# Proof-of-work instead of a global kill switch.


@pytest.fixture
def cheap_puzzles(settings):
    settings.POW_COST = 10
    settings.POW_MIN_DIFFICULTY = 20
    settings.POW_MAX_DIFFICULTY = 5000


def _solved(client: Client) -> str:
    from bench.pow_solver import solve

    challenge = client.get(reverse("bc-pow-challenge")).json()
    return solve(challenge)[0]


def _post(client: Client, number: str, payload: str = ""):
    form = {"phone": number, **({"altcha": payload} if payload else {})}
    return client.post("/", form)


@override_settings(RATELIMIT_CHECK_PER_IP="1/h", RATELIMIT_CHECK_PER_NETWORK="")
def test_past_its_limit_a_client_passes_with_a_puzzle_it_solved_once(client, cheap_puzzles):
    assert _post(client, WATCHED).status_code == 302
    assert _post(client, UNWATCHED).status_code == 429
    payload = _solved(client)
    assert _post(client, UNWATCHED, payload).status_code == 302
    # A solution buys one answer: replayed, it is refused.
    assert _post(client, UNWATCHED, payload).status_code == 429


@pytest.mark.slow
@override_settings(RATELIMIT_CHECK_PER_IP="1/h", RATELIMIT_CHECK_PER_NETWORK="")
def test_a_puzzle_is_harder_the_further_past_the_limit_and_an_easier_one_is_refused(
    client, cheap_puzzles
):
    for n in range(8):
        _post(client, f"1390013900{n}")
    # A clean address fetches the easiest puzzle for the harvester...
    easy = _solved(Client(REMOTE_ADDR="198.51.100.200"))
    assert _post(client, WATCHED, easy).status_code == 429
    # ...while its own challenge is harder, and does pass.
    challenge = client.get(reverse("bc-pow-challenge")).json()
    assert challenge["parameters"]["data"]["difficulty"] > 20
    assert _post(client, WATCHED, _solved(client)).status_code == 302


@pytest.mark.slow
@override_settings(POW_CALM_CHECKS_PER_MINUTE=5)
def test_under_pressure_a_fresh_visitor_solves_a_puzzle_instead_of_being_locked_out(
    cheap_puzzles,
):
    for n in range(8):
        _post(Client(REMOTE_ADDR=f"100.64.{n}.1"), f"1390013900{n}")
    visitor = Client(REMOTE_ADDR="203.0.113.20")
    page = visitor.get("/").content.decode()
    assert "<altcha-widget" in page
    assert _post(visitor, WATCHED).status_code == 429
    assert _post(visitor, WATCHED, _solved(visitor)).status_code == 302
    result = visitor.get("/result/", HTTP_ACCEPT_LANGUAGE="en")
    assert result.status_code == 200 and "Not found in any breach" in result.content.decode()
