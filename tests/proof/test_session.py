"""What a session holds about a number: sealed, masked and its times; no digest."""

import json

import pytest
from django.test import RequestFactory

from leaks.phones import normalize
from proof import session as proof_session
from proof.session import NumberEntry, NumberState, number_digest

PHONE = normalize("13800138000")
OTHER = normalize("13900139000")


@pytest.fixture
def request_with_session(db):
    from importlib import import_module

    from django.conf import settings

    request = RequestFactory().get("/")
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    return request


def test_the_session_holds_no_digest_of_the_number(request_with_session):
    request = request_with_session
    entry = proof_session.remember_checked(request, PHONE)
    stored = json.dumps(request.session["bc_numbers"])
    assert number_digest(PHONE.e164).hex() not in stored
    assert PHONE.e164 not in stored and "13800138000" not in stored
    (item,) = request.session["bc_numbers"]["entries"]
    assert sorted(item) == sorted(
        ["id", "sealed", "masked", "shown_until", "pending_until", "proven_until"]
    )
    assert item["masked"] == PHONE.masked
    assert request.session["bc_numbers"]["current"] == entry.id


def test_one_number_sealed_in_two_sessions_looks_different(request_with_session, db):
    first = proof_session.remember_checked(request_with_session, PHONE)
    second_request = RequestFactory().get("/")
    second_request.session = type(request_with_session.session)()
    second = proof_session.remember_checked(second_request, PHONE)
    assert first.sealed != second.sealed and first.id != second.id


def test_an_entry_is_found_again_by_its_number(request_with_session):
    request = request_with_session
    first = proof_session.remember_checked(request, PHONE)
    again = proof_session.remember_checked(request, PHONE)
    proof_session.remember_checked(request, OTHER)
    state = NumberState.load(request)
    assert again.id == first.id and len(state.entries) == 2
    assert state.current_entry is not None and state.current_entry.phone() == OTHER
    assert state.holding(PHONE) is not None and state.holding(PHONE).id == first.id


def test_a_proof_is_recognised_by_unsealing(request_with_session):
    request = request_with_session
    entry = proof_session.remember_pending(request, PHONE)
    assert not proof_session.is_proven(request, PHONE)
    proof_session.mark_proven(request, entry)
    assert proof_session.is_proven(request, PHONE)
    assert not proof_session.is_proven(request, OTHER)
    # The pending code is found by the number's digest, computed, not stored.
    assert NumberState.load(request).holding(PHONE).digest_bytes == number_digest(PHONE.e164)


def test_a_session_saved_before_entry_ids_still_reads():
    old = {
        "digest": "ab" * 16,
        "sealed": "x",
        "masked": "138****8000",
        "shown_until": 1,
        "pending_until": 0,
        "proven_until": 0,
    }
    entry = NumberEntry.from_stored(old)
    assert entry.id == "ab" * 16 and entry.phone() is None
