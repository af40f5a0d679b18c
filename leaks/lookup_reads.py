"""Which reads are a lookup's: they may go to a read replica (breachcheck/db_router.py).

Only the lookups in leaks/lookups.py open ``lookup_reads()``; the router sends the
lookup tables' reads inside it to the replica when one is configured.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_in_lookup: ContextVar[bool] = ContextVar("lookup_reads", default=False)


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
