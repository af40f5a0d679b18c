"""The lookup's answer is rendered from parts kept per public snapshot: the bytes
are ninja's for LookupOut, and an edited breach is answered as it is now."""

import json

import pytest
from ninja.responses import NinjaJSONEncoder

from api.keys import apikey_create
from api.schemas import BreachName, BreachOut, LookupOut
from leaks.models import Breach
from tests.factories import breach_with_numbers

pytestmark = pytest.mark.django_db

NUMBER = "13800138000"


def lookup(client, token: str, **fields):
    return client.post(
        "/api/v1/lookup",
        {"number": NUMBER, **fields},
        content_type="application/json",
        HTTP_X_API_KEY=token,
    )


def ninja_bytes(out: LookupOut) -> bytes:
    return json.dumps(out.model_dump(), cls=NinjaJSONEncoder).encode()


def test_the_answer_is_what_ninja_would_send(client):
    breach_with_numbers("shop", [NUMBER], data_classes=["phone", "name"])
    breach_with_numbers("courier", [NUMBER], is_verified=True)
    breaches = list(Breach.objects.filter(slug__in=["shop", "courier"]))
    breaches.sort(key=lambda b: b.title)
    _, token = apikey_create(name="researcher")

    full = lookup(client, token, truncate_response=False)
    names = lookup(client, token)

    assert full["Content-Type"].startswith("application/json")
    assert full.content == ninja_bytes(
        LookupOut(breaches=[BreachOut.from_orm(b) for b in breaches])
    )
    assert names.content == ninja_bytes(
        LookupOut(breaches=[BreachName(name=b.slug) for b in breaches])
    )
    assert LookupOut.model_validate_json(full.content).breaches[0].pwn_count == 1


def test_an_edited_breach_is_answered_as_it_is_now(client):
    breach = breach_with_numbers("shop", [NUMBER])
    _, token = apikey_create(name="researcher")
    assert lookup(client, token, truncate_response=False).json()["breaches"][0]["title"] == "Shop"

    breach.title = "A shop's members"
    breach.save()

    answer = lookup(client, token, truncate_response=False).json()
    assert answer["breaches"][0]["title"] == "A shop's members"


def test_a_number_only_in_a_sensitive_breach_is_answered_as_one_in_none(client):
    # The attack: a key holder compares the answer for a number against a miss's.
    breach_with_numbers("clinic", ["13900139000"], is_sensitive=True)
    breach_with_numbers("shop", [NUMBER])
    _, token = apikey_create(name="researcher")

    def answer(number: str):
        response = client.post(
            "/api/v1/lookup",
            {"number": number, "truncate_response": False},
            content_type="application/json",
            HTTP_X_API_KEY=token,
        )
        return response.status_code, response.content, sorted(response.headers.items())

    sensitive_only, nowhere = answer("13900139000"), answer("13700137000")
    assert sensitive_only == nowhere
    assert sensitive_only[1] == b'{"breaches": []}'
    assert answer(NUMBER)[1] != nowhere[1]
