"""When the gate is closed: what a failing shared store does to the logs.

Every refusal because the counters cannot be reached is noted here, and the
log says so at most once a minute per process (with how many requests were
refused since), not once per request; the first counting that works again
says the gate is open again. The notes name the error's class, never its text
(a connection string may be in it) and never a request's data.
"""

import logging
import threading
import time

log = logging.getLogger("disclosure.gate")

NOTE_EVERY_SECONDS = 60.0

_lock = threading.Lock()
# Since when the gate is closed in this process (monotonic seconds; 0: open),
# when it last said so, and how many requests it refused since then.
_state = {"closed_since": 0.0, "noted_at": 0.0, "refused": 0}


def note_refused(exc: BaseException) -> None:
    """One request was refused because the shared store failed."""
    now = time.monotonic()
    with _lock:
        if not _state["closed_since"]:
            _state["closed_since"] = now
        _state["refused"] += 1
        if _state["noted_at"] and now - _state["noted_at"] < NOTE_EVERY_SECONDS:
            return
        refused = _state["refused"]
        _state["noted_at"], _state["refused"] = now, 0
    cause = exc.__cause__ or exc
    log.error(
        "The disclosure gate is closed: the shared store of the limits cannot be reached (%s). "
        "Checks, lookups, texts, mails and admin logins are refused with 503 until it answers; "
        "%d refused since the last note.",
        type(cause).__name__,
        refused,
    )


def note_working() -> None:
    """The counters were reached: if the gate was closed, it is open again."""
    if not _state["closed_since"]:
        return
    with _lock:
        closed_since = _state["closed_since"]
        if not closed_since:
            return
        refused = _state["refused"]
        _state.update(closed_since=0.0, noted_at=0.0, refused=0)
    log.warning(
        "The disclosure gate is open again after %.0f s closed (%d refused since the last note).",
        time.monotonic() - closed_since,
        refused,
    )
