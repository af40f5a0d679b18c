"""Big counts the way readers say them: 12.3万 and 1.2亿 in Chinese, 1.2 million in English."""

from django.utils.translation import gettext as _

# (size of the unit, how to write it) from the largest down.
_CHINESE_UNITS = [(10**8, "{}亿"), (10**4, "{}万")]


def readable_count(n: int, language: str) -> str:
    """A count people read at a glance; below the first unit, the exact figure."""
    if language.startswith("zh"):
        return _chinese(n)
    return _english(n)


def _chinese(n: int) -> str:
    for unit, pattern in _CHINESE_UNITS:
        if n >= unit:
            shown = _one_decimal(n / unit)
            # 99,999,999 rounds to 10000.0万: say 1亿 instead.
            if unit == 10**4 and float(shown) >= 10**4:
                return "1亿"
            return pattern.format(shown)
    return str(n)


def _english(n: int) -> str:
    if n >= 10**9:
        return _("%(n)s billion") % {"n": _one_decimal(n / 10**9)}
    if n >= 10**6:
        shown = _one_decimal(n / 10**6)
        if float(shown) >= 1000:
            return _("%(n)s billion") % {"n": "1"}
        return _("%(n)s million") % {"n": shown}
    return f"{n:,}"


def _one_decimal(value: float) -> str:
    """12.34 -> "12.3", 10.0 -> "10"."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text
