import pytest

from leaks.phones import InvalidPhone, mask, normalize

REAL_WORLD_FORMS = [
    ("13800138000", "+8613800138000"),
    ("138 0013 8000", "+8613800138000"),
    ("138-0013-8000", "+8613800138000"),
    ("+86 138 0013 8000", "+8613800138000"),
    ("8613800138000", "+8613800138000"),
    ("008613800138000", "+8613800138000"),
    ("(+86)13800138000", "+8613800138000"),
    ("（+86）13800138000", "+8613800138000"),
    ("１３８００１３８０００", "+8613800138000"),
    (" 13800138000 ", "+8613800138000"),
    ("13800138000.0", "+8613800138000"),
    ("010-65529988", "+861065529988"),
    ("(020)38681234", "+862038681234"),
    ("+1 650 253 0000", "+16502530000"),
    ("+44 20 7946 0958", "+442079460958"),
]


@pytest.mark.parametrize(("raw", "e164"), REAL_WORLD_FORMS)
def test_it_accepts_forms_people_type(raw, e164):
    assert normalize(raw).e164 == e164


INVALID = [
    ("", "empty"),
    ("   ", "empty"),
    ("abc", "not_a_number"),
    ("1380013", "too_short"),
    ("12345", "too_short"),
    ("138001380001234", "too_long"),
    ("1.38001E+10", "scientific_notation"),
    ("1" * 50, "too_long_input"),
    ("+999 1234567", "bad_country_code"),
    ("10000000000", "invalid"),
]


@pytest.mark.parametrize(("raw", "reason"), INVALID)
def test_it_rejects_invalid_input_with_a_reason(raw, reason):
    with pytest.raises(InvalidPhone) as caught:
        normalize(raw)
    assert caught.value.reason == reason
    assert caught.value.message


def test_it_reports_the_kind_of_number():
    assert normalize("13800138000").kind == "mobile"
    assert normalize("010-65529988").kind == "fixed_line"
    assert normalize("+16502530000").country == "US"


@pytest.mark.parametrize("prefix", ["170", "171", "162", "165", "167"])
def test_it_flags_virtual_operator_ranges(prefix):
    assert normalize(prefix + "12345678").virtual_operator is True


def test_ordinary_mobiles_are_not_virtual_operator():
    assert normalize("13800138000").virtual_operator is False
    assert normalize("19912345678").virtual_operator is False


def test_the_default_region_can_be_changed():
    assert normalize("650 253 0000", "US").e164 == "+16502530000"


def test_masking_keeps_only_head_and_tail():
    assert mask(normalize("13800138000")) == "138****8000"
    assert mask(normalize("010-65529988")) == "0106***9988"
    assert mask(normalize("+16502530000")) == "+1 650***0000"
