"""A fast path for the most common dump value: a plain Chinese mobile number.

For an 11-digit number 1[3-9]XXXXXXXXX, phonenumbers' verdict (valid or not,
and the number type) depends only on its first five digits: the CN mobile
pattern below decides within them, no other CN pattern matches 11 digits
starting with 1[3-9], and 179 (a carrier-selection code) is left out. So the
verdict is computed once per 5-digit prefix by `leaks.phones.normalize` itself
and reused. tests/leaks/test_fastphones.py proves
agreement over every prefix and fails if phonenumbers' metadata changes.
"""

from django.conf import settings

from leaks.phones import VIRTUAL_OPERATOR_PREFIXES, InvalidPhone, Phone, normalize

# The CN mobile pattern the five-digit argument above was made for.
ASSUMED_MOBILE_PATTERN = (
    r"1(?:610\d|740[0-5])\d{6}|1(?:[38]\d|4[57]|[59][0-35-9]|6[25-7]|7[0-35-8])\d{8}"
)
# phonenumbers strips a leading carrier-selection code 1[12]xx or 179xx when
# what follows is viable, which depends on later digits: those stay slow.
ASSUMED_PREFIX_FOR_PARSING = r"(1(?:[12]\d|79)\d\d)|0"
PREFIX_DIGITS = 5
_SECOND_DIGITS = frozenset("3456789")
_verdicts: dict[str, str | InvalidPhone] = {}


def plain_mobile(value: str) -> str | None:
    """The 11 national digits when `value` is a plain CN mobile form, else None."""
    size = len(value)
    if size == 11:
        digits = value
    elif size == 14 and value.startswith("+86"):
        digits = value[3:]
    elif size == 13 and value.startswith("86"):
        digits = value[2:]
    else:
        return None
    if (
        digits.isdigit()
        and digits.isascii()
        and digits[0] == "1"
        and digits[1] in _SECOND_DIGITS
        and not digits.startswith("179")
    ):
        return digits
    return None


def known_verdicts() -> dict[str, str | InvalidPhone]:
    """The verdict cache itself, for a caller's inlined lookup before verdict()."""
    return _verdicts


def verdict(digits: str) -> str | InvalidPhone:
    """The number type of a plain mobile, or the InvalidPhone its prefix earns."""
    prefix = digits[:PREFIX_DIGITS]
    found = _verdicts.get(prefix)
    if found is None:
        try:
            found = normalize(prefix + "0" * (11 - PREFIX_DIGITS), "CN").kind
        except InvalidPhone as exc:
            found = exc
        _verdicts[prefix] = found
    return found


def fast_normalize(value: str) -> Phone | None:
    """The same Phone (or InvalidPhone) as normalize(value, "CN"), or None: not a fast case."""
    digits = plain_mobile(value)
    if digits is None:
        return None
    kind = verdict(digits)
    if isinstance(kind, InvalidPhone):
        raise InvalidPhone(kind.reason)
    return Phone(
        e164="+86" + digits,
        country="CN",
        national=digits,
        kind=kind,
        virtual_operator=kind == "mobile" and digits.startswith(VIRTUAL_OPERATOR_PREFIXES),
    )


def normalize_input(raw: str, region: str | None = None) -> Phone:
    """normalize(raw, region), through the fast path when it applies: what a
    visitor types is most often a plain mobile number."""
    if (region or settings.PHONE_DEFAULT_REGION) == "CN":
        fast = fast_normalize(raw)
        if fast is not None:
            return fast
    return normalize(raw, region)
