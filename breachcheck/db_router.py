"""Lookups may read from a read replica; everything else uses the primary.

``DATABASE_REPLICA_URL`` adds the "replica" database. Only code running inside
``leaks.lookup_reads.lookup_reads()`` reads from it, and only the tables a lookup needs
(exposures, legacy exposures, breaches): the check's and the API's lookup and
the private check's bucket answers (leaks/lookups.py). Every write, and every
read outside a lookup (the proof flow, sessions, admin, imports, alerts, the
public breach snapshot that says what may be named), goes to the primary, so
a lagging replica can delay a new exposure's answer but never show a breach
that was unpublished or skip a limit.

A replica that does not answer, or lags by more than
``DATABASE_REPLICA_MAX_LAG_SECONDS``, is left out: lookups read the primary until it
is back (breachcheck/replica.py).
"""

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Model

from breachcheck.replica import REPLICA, replica_configured, replica_state
from leaks.lookup_reads import in_lookup

LOOKUP_MODELS = frozenset({"leaks.exposure", "leaks.legacyexposure", "leaks.breach"})


def replica_alias() -> str | None:
    """The replica's alias when lookups should read from it now, else None."""
    if replica_configured() and replica_state().usable:
        return REPLICA
    return None


class LookupReplicaRouter:
    def db_for_read(self, model: type[Model], **hints: object) -> str:
        if in_lookup() and model._meta.label_lower in LOOKUP_MODELS:
            return replica_alias() or DEFAULT_DB_ALIAS
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: type[Model], **hints: object) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: object) -> bool:
        # The replica holds the primary's rows: an object is the same wherever read.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: object) -> bool:
        return db == DEFAULT_DB_ALIAS
