"""The CN mobile fast path gives exactly what phonenumbers (through normalize) gives."""

import random

import phonenumbers
import pytest

from leaks import hashing
from leaks.fastphones import (
    ASSUMED_MOBILE_PATTERN,
    ASSUMED_PREFIX_FOR_PARSING,
    fast_normalize,
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
