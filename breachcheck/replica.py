"""Whether the read replica may answer lookups: it answers, and it is not behind.

A replica lookups may not read from is never an error: lookups read the primary
instead (breachcheck/db_router.py), and /healthz/ready names the replica's state
while the site stays ready. The state is probed at most once every
``DATABASE_REPLICA_CHECK_SECONDS`` per process (one small query), and at once when a
lookup on the replica fails (``leaks.signals.replica_read_failed``).

Lag on PostgreSQL is the age of the last transaction the replica replayed, unless
the replica has replayed everything it received and is still receiving: a caught-up
replica of a primary nobody writes to replays nothing, and its replay age grows
without it being behind. A replica whose WAL receiver is gone (the primary is
unreachable from it) is judged by its replay age, so it ages out.
"""

import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections

from leaks.signals import replica_read_failed

REPLICA = "replica"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReplicaState:
    usable: bool
    label: str  # what /healthz/ready says: "ok", "lagging 45 s", "down"


OK = ReplicaState(True, "ok")
DOWN = ReplicaState(False, "down")

# (monotonic time of the probe, its answer), per process.
_last: tuple[float, ReplicaState] | None = None

# One row: in recovery?, replayed all it received while still receiving?, replay age.
LAG_SQL = (
    "SELECT pg_is_in_recovery(),"
    " pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()"
    " AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver),"
    " EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())"
)


def replica_configured() -> bool:
    return bool(getattr(settings, "DATABASE_REPLICA_READS", False)) and (
        REPLICA in settings.DATABASES
    )


def replica_state(*, fresh: bool = False) -> ReplicaState:
    """The replica's state, probed again when the last probe is older than
    DATABASE_REPLICA_CHECK_SECONDS (or ``fresh``)."""
    global _last
    last = _last
    if not fresh and last and time.monotonic() - last[0] < settings.DATABASE_REPLICA_CHECK_SECONDS:
        return last[1]
    state = _probe()
    if last and _kind(last[1]) != _kind(state):
        log.warning("Read replica: %s (was %s)", state.label, last[1].label)
    _last = (time.monotonic(), state)
    return state


def replica_state_forget() -> None:
    """Probe again at the next lookup (tests, and after a failed read)."""
    global _last
    _last = None


def _probe() -> ReplicaState:
    connection = connections[REPLICA]
    try:
        with connection.cursor() as cursor:
            if connection.vendor != "postgresql":
                cursor.execute("SELECT 1")
                return OK
            cursor.execute(LAG_SQL)
            in_recovery, caught_up, replay_age = cursor.fetchone()
    except DatabaseError:
        _close(connection)
        return DOWN
    if not in_recovery or caught_up:
        return OK
    if replay_age is None:
        return ReplicaState(False, "lagging (nothing replayed yet)")
    lag = float(replay_age)
    if lag > settings.DATABASE_REPLICA_MAX_LAG_SECONDS:
        return ReplicaState(False, f"lagging {lag:.0f} s")
    return OK


def _kind(state: ReplicaState) -> str:
    """ok, lagging or down: a change of kind is logged, a lag of 46 s after 45 is not."""
    return state.label.split()[0]


def _close(connection: Any) -> None:
    with contextlib.suppress(DatabaseError):
        connection.close()


def _read_failed(sender: object, alias: str, **kwargs: object) -> None:
    global _last
    if alias == REPLICA:
        _close(connections[REPLICA])
        if not _last or _last[1].usable:
            log.warning("Read replica: down (a lookup failed on it; reading the primary)")
        _last = (time.monotonic(), DOWN)


replica_read_failed.connect(_read_failed, dispatch_uid="breachcheck.replica")
