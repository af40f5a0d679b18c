"""When an alert text may go: pure functions of the clock (pass ``now`` to test them).

Mainland providers count texts per number per Asia/Shanghai calendar day, and
people sleep: a number gets at most one alert text a day, never in the quiet
hours (SMS_QUIET_HOURS, e.g. "22-8", on the Shanghai clock).
"""

import re
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from disclosure.policy import SMS_DAY_ZONE, shanghai_day_end

QuietHours = tuple[time, time]

_QUIET = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*-\s*(\d{1,2})(?::(\d{2}))?\s*$")


def parse_quiet_hours(value: str) -> QuietHours | None:
    """``"22-8"`` or ``"22:30-07:45"`` as (start, end) on the Shanghai clock; None
    for an empty value. Anything else is a configuration error, said at startup."""
    if not value.strip():
        return None
    match = _QUIET.match(value)
    try:
        if match is None:
            raise ValueError
        start_h, start_m, end_h, end_m = (int(part or 0) for part in match.groups())
        start, end = time(start_h, start_m), time(end_h, end_m)
    except ValueError:
        raise ImproperlyConfigured(
            f"SMS_QUIET_HOURS={value!r} is not a range of hours on the Asia/Shanghai clock: "
            'write it as "22-8" or "22:30-07:30" (empty for none).'
        ) from None
    if start == end:
        raise ImproperlyConfigured(
            f"SMS_QUIET_HOURS={value!r} starts and ends at the same time; leave it empty for none."
        )
    return start, end


def quiet_hours() -> QuietHours | None:
    return parse_quiet_hours(settings.SMS_QUIET_HOURS)


def quiet_until(now: datetime, hours: QuietHours | None) -> datetime | None:
    """The end of the quiet hours ``now`` falls in, or None when it is not quiet."""
    if hours is None:
        return None
    start, end = hours
    local = now.astimezone(SMS_DAY_ZONE)
    clock = local.time().replace(tzinfo=None)
    # Across midnight, as "22-8", or within one day.
    quiet = (clock >= start or clock < end) if start > end else start <= clock < end
    if not quiet:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, SMS_DAY_ZONE).astimezone(UTC)


def next_day_start(now: datetime) -> datetime:
    """Midnight that starts the next Asia/Shanghai day."""
    return datetime.fromtimestamp(shanghai_day_end(now.timestamp()), UTC)


def text_time(now: datetime, *, not_before: datetime | None, hours: QuietHours | None) -> datetime:
    """The earliest moment from ``now`` a text may go: after the number's day's text
    (``not_before``) and outside the quiet hours."""
    at = max(now, not_before) if not_before else now
    return quiet_until(at, hours) or at
