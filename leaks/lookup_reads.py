"""Which reads are a lookup's: they may go to a read replica (breachcheck/db_router.py).

Only the lookups in leaks/lookups.py open ``lookup_reads()``; the router sends the
lookup tables' reads inside it to the replica when one is configured and fit to
answer. ``read_for_lookup`` runs a lookup there and, should the replica fail under it,
on the primary: a replica going down costs a lookup time, never an answer.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, DatabaseError, router
from django.db.models import Model

from leaks.signals import replica_read_failed

_in_lookup: ContextVar[bool] = ContextVar("lookup_reads", default=False)
T = TypeVar("T")


@contextmanager
def lookup_reads() -> Iterator[None]:
    """Reads of lookup tables within this block may go to the replica."""
    token = _in_lookup.set(True)
    try:
        yield
    finally:
        _in_lookup.reset(token)


def in_lookup() -> bool:
    return _in_lookup.get()


def read_for_lookup(model: type[Model], read: Callable[[str], T]) -> T:
    """``read(alias)`` on the database a lookup of ``model`` reads from; if that is a
    replica and it fails (down, gone mid-query, a schema it has not replayed yet), on
    the primary, whose error, if it fails too, is the one raised."""
    with lookup_reads():
        using = router.db_for_read(model)
        if using == DEFAULT_DB_ALIAS:
            return read(using)
        try:
            return read(using)
        except DatabaseError:
            replica_read_failed.send(sender=Model, alias=using)
        return read(DEFAULT_DB_ALIAS)
