"""Turn what people and dumps write into E.164, and say what kind of number it is.

``phonenumbers`` is the reference for validity and formatting; this module only
cleans up the damage that spreadsheets and typing do before handing it over.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from phonenumbers import NumberParseException, PhoneNumberType, geocoder

MAX_INPUT_LENGTH = 40

# China's mobile virtual network operators (MVNO) live in these ranges.
VIRTUAL_OPERATOR_PREFIXES = ("170", "171", "162", "165", "167")

_SPREADSHEET_FLOAT = re.compile(r"^\+?\d+\.0+$")
_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d+)?[eE][+-]?\d+$")
_DIGITS = re.compile(r"\d")
# "ext", "ext. 12", "x12", "#12", "转 123", "分机 12" after a number: phonenumbers
# would drop the extension silently or call the number too long.
_EXTENSION = re.compile(r"\d[\s.\-]*(?:ext(?:ension)?\.?|x|#|转|分机)\s*\d*\s*$", re.IGNORECASE)

REASONS = {
    "empty": _("No number was given."),
    "too_long_input": _("That is too long to be a phone number."),
    "scientific_notation": _(
        "The number is in scientific notation (like 1.38E+10): a spreadsheet "
        "has destroyed its last digits."
    ),
    "not_a_number": _("That does not look like a phone number."),
    "bad_country_code": _("The country calling code is not valid."),
    "too_short": _("The number has too few digits."),
    "too_long": _("The number has too many digits."),
    "invalid": _("No phone number exists in that range."),
    "extension": _(
        "An extension (ext., 转, 分机) is not accepted: type the phone number without it."
    ),
}

KIND_NAMES = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.VOIP: "voip",
}


class InvalidPhone(ValueError):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    @property
    def message(self) -> str:
        return str(REASONS[self.reason])


@dataclass(frozen=True)
class Phone:
    e164: str
    country: str
    national: str
    kind: str
    virtual_operator: bool

    @property
    def masked(self) -> str:
        return mask(self)


def clean(raw: str) -> str:
    """Undo full-width digits, stray spaces and the `.0` a spreadsheet adds."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if _SPREADSHEET_FLOAT.match(text):
        text = text.split(".", 1)[0]
    return text


def normalize(raw: str, region: str | None = None) -> Phone:
    """Return the number as a Phone or raise InvalidPhone with a reason code."""
    text = clean(raw or "")
    if not text:
        raise InvalidPhone("empty")
    if len(text) > MAX_INPUT_LENGTH:
        raise InvalidPhone("too_long_input")
    if _SCIENTIFIC.match(text):
        raise InvalidPhone("scientific_notation")
    if not _DIGITS.search(text):
        raise InvalidPhone("not_a_number")
    if _EXTENSION.search(text):
        raise InvalidPhone("extension")
    try:
        number = phonenumbers.parse(text, region or settings.PHONE_DEFAULT_REGION)
    except NumberParseException as exc:
        raise InvalidPhone(_PARSE_ERRORS.get(exc.error_type, "not_a_number")) from None
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible == phonenumbers.ValidationResult.TOO_SHORT:
        raise InvalidPhone("too_short")
    if possible == phonenumbers.ValidationResult.TOO_LONG:
        raise InvalidPhone("too_long")
    if possible == phonenumbers.ValidationResult.INVALID_COUNTRY_CODE:
        raise InvalidPhone("bad_country_code")
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(_china_mobile_length_reason(number) or "invalid")
    return _describe(number)


_PARSE_ERRORS = {
    NumberParseException.INVALID_COUNTRY_CODE: "bad_country_code",
    NumberParseException.NOT_A_NUMBER: "not_a_number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too_short",
    NumberParseException.TOO_SHORT_NSN: "too_short",
    NumberParseException.TOO_LONG: "too_long",
}


def _china_mobile_length_reason(number: phonenumbers.PhoneNumber) -> str | None:
    # A Chinese number starting with 1 is a mobile with digits missing or added,
    # which says more to the person than "no such range".
    national = phonenumbers.national_significant_number(number)
    if number.country_code != 86 or not national.startswith("1"):
        return None
    if len(national) < 11:
        return "too_short"
    return "too_long" if len(national) > 11 else None


def _describe(number: phonenumbers.PhoneNumber) -> Phone:
    country = phonenumbers.region_code_for_number(number) or "ZZ"
    national = phonenumbers.national_significant_number(number)
    kind = KIND_NAMES.get(phonenumbers.number_type(number), "other")
    return Phone(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        country=country,
        national=national,
        kind=kind,
        virtual_operator=country == "CN"
        and kind == "mobile"
        and national.startswith(VIRTUAL_OPERATOR_PREFIXES),
    )


def mask(phone: Phone) -> str:
    """Show enough for a person to recognise their own number, no more."""
    digits = phone.national
    keep_head, keep_tail = (3, 4) if len(digits) >= 10 else (2, 2)
    middle = "*" * max(len(digits) - keep_head - keep_tail, 1)
    shown = digits[:keep_head] + middle + digits[-keep_tail:]
    if phone.country == "CN":
        return shown if phone.kind == "mobile" else "0" + shown
    code = phonenumbers.country_code_for_region(phone.country)
    return f"+{code} {shown}"


@lru_cache(maxsize=65536)
def region_name(e164: str, lang: str = "zh") -> str:
    """Where a number is registered (province and city for Chinese numbers)."""
    number = phonenumbers.parse(e164)
    return geocoder.description_for_number(number, lang) or ""


# Kinds of number in the reader's language (import reports, breach pages).
KIND_LABELS = {
    "mobile": _("Mobile"),
    "fixed_line": _("Landline"),
    "fixed_line_or_mobile": _("Landline or mobile"),
    "toll_free": _("Toll-free"),
    "premium_rate": _("Premium rate"),
    "voip": _("VoIP"),
    "foreign": _("Foreign"),
    "other": _("Other"),
}
