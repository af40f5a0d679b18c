"""The number a visitor typed when a check was held back for a puzzle.

Past the per-connection limits a check needs a proof-of-work; a browser without
JavaScript cannot solve one and must wait. The number is kept meanwhile, sealed
in the session as a result's number is (proof.session), so nobody types it
twice and the page never echoes it: the visitor presses "Check again".
"""

import time

from django.http import HttpRequest

from leaks.phones import Phone
from proof.session import NumberEntry, NumberState

_KEY = "bc_waiting"


def remember_waiting(request: HttpRequest, phone: Phone, seconds: int) -> None:
    # entry_for seals the number; the state itself is not saved (no result is shown).
    entry = NumberState().entry_for(phone)
    until = int(time.time()) + max(seconds, 60) + 600
    request.session[_KEY] = {"sealed": entry.sealed, "masked": entry.masked, "until": until}
    if request.session.get_expiry_age() < until - time.time():
        request.session.set_expiry(int(until - time.time()))


def waiting_phone(request: HttpRequest) -> Phone | None:
    kept = request.session.get(_KEY)
    if not kept or kept.get("until", 0) < time.time():
        return None
    return NumberEntry(id="", sealed=kept["sealed"], masked=kept["masked"]).phone()


def forget_waiting(request: HttpRequest) -> None:
    request.session.pop(_KEY, None)
