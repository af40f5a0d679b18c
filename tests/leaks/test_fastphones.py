"""The CN mobile fast path gives exactly what phonenumbers (through normalize) gives."""

import random

import phonenumbers
import pytest

from leaks import fastphones, hashing
from leaks.fastphones import (
    ASSUMED_MOBILE_PATTERN,
    ASSUMED_PREFIX_FOR_PARSING,
    fast_normalize,
    normalize_input,
)
from leaks.phones import InvalidPhone, normalize


def outcome(function, value):
    try:
        return function(value)
    except InvalidPhone as exc:
        return exc.reason


def test_the_metadata_is_the_one_the_fast_path_was_proven_for():
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    assert metadata.mobile.national_number_pattern == ASSUMED_MOBILE_PATTERN
    assert metadata.national_prefix_for_parsing == ASSUMED_PREFIX_FOR_PARSING


@pytest.mark.slow
def test_it_agrees_with_phonenumbers_on_every_five_digit_prefix():
    rng = random.Random(7)
    for prefix in range(13000, 20000):
        for suffix in ("000000", "999999", f"{rng.randrange(10**6):06d}"):
            value = f"{prefix}{suffix}"
            fast = outcome(fast_normalize, value)
            if str(prefix).startswith("179"):
                assert fast is None  # carrier-selection codes go the slow way
            else:
                assert fast == outcome(normalize, value), value


@pytest.mark.slow
def test_it_agrees_on_country_code_forms_and_random_inputs():
    rng = random.Random(11)
    for _ in range(20000):
        national = "1" + "".join(rng.choice("0123456789") for _ in range(10))
        for value in (national, "+86" + national, "86" + national):
            fast = outcome(fast_normalize, value)
            if fast is not None:
                assert fast == outcome(normalize, value), value


def test_it_leaves_other_forms_to_the_slow_path():
    for value in (
        "138 0013 8000",
        "138-0013-8000",
        "１３８００１３８０００",
        "13800138000.0",
        "12345",
    ):
        assert fast_normalize(value) is None
    assert fast_normalize("12012345678") is None


def test_the_fast_hasher_equals_phone_hash():
    hash_one = hashing.hasher()
    hash_cn = hashing.hasher(prefix="+86")
    for e164 in ("+8613800138000", "+14155550100", "+447700900123"):
        assert hash_one(e164) == hashing.phone_key(e164)
        assert hashing.key_bytes(hash_one(e164)) == hashing.phone_hash(e164)
    assert hash_cn("13800138000") == hashing.phone_key("+8613800138000")


@pytest.mark.parametrize(
    "value, region",
    [
        ("13800138000", None),
        ("+8613800138000", "CN"),
        ("8613800138000", None),
        ("17012345678", None),
        ("12345678901", None),
        ("13800138000", "US"),
        ("8613800138000", "GB"),
        ("138 0013 8000", None),
    ],
)
def test_what_visitors_type_is_normalized_as_normalize_does(value, region, settings):
    settings.PHONE_DEFAULT_REGION = "CN"
    assert outcome(lambda v: normalize_input(v, region), value) == outcome(
        lambda v: normalize(v, region), value
    )


def test_the_fast_path_is_taken_only_for_the_cn_region(settings, monkeypatch):
    settings.PHONE_DEFAULT_REGION = "CN"
    taken = []
    monkeypatch.setattr(fastphones, "fast_normalize", lambda v: taken.append(v))
    outcome(lambda v: normalize_input(v, "US"), "13800138000")
    normalize_input("13800138000")
    assert taken == ["13800138000"]
