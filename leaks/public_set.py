"""The public breaches, kept in each process between imports and publications.

Every check needs the public breaches (to name them) and the totals (breaches,
numbers) the pages show; both change only when a breach is saved: an import's
merge saves its new pwn_count, (un)publishing saves published_at, the admin
saves edits. So each process keeps one snapshot, and a version token in the
shared cache says whether it is still good: any Breach save or delete puts a
new token there (at once and again on commit, so no process keeps a snapshot
read before the commit). Reading the token is one cache round trip; the
snapshot is rebuilt with one query when it changes. It also says whether any
legacy rows are left (rows of the HMAC era, leaks.hashing: they only ever go,
and a saved one moves the token), so a lookup need not read an empty table.

Invariant: a snapshot older than MAX_AGE_SECONDS is never used, so a process
whose cache cannot see the token (the per-process local cache of the embedded
default, where the worker saves and the web server reads) is stale that long
at most.
"""

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from leaks.models import Breach, LegacyExposure

VERSION_KEY = "public-breaches:version"
MAX_AGE_SECONDS = 30
T = TypeVar("T")


@dataclass(frozen=True)
class PublicSet:
    """The public breaches (Breach.objects.public()) by id, and what the pages count."""

    version: str
    by_id: dict[int, Breach] = field(default_factory=dict)
    built_at: float = 0.0
    has_legacy: bool = True
    # What lookups derive from the breaches alone, made once per snapshot (memo).
    derived: dict[object, Any] = field(default_factory=dict, compare=False, repr=False)

    def memo(self, name: object, make: Callable[["PublicSet"], T]) -> T:
        """``make(self)``, computed once for this snapshot: it goes when the snapshot does."""
        if name not in self.derived:
            self.derived[name] = make(self)
        return self.derived[name]

    @property
    def private_ids(self) -> set[int]:
        """The breaches the private check may name: public and not sensitive."""
        return self.memo(
            "private ids", lambda p: {pk for pk, b in p.by_id.items() if not b.is_sensitive}
        )

    @property
    def totals(self) -> dict:
        return {
            "breaches": len(self.by_id),
            "numbers": sum(breach.pwn_count for breach in self.by_id.values()),
        }

    @property
    def stamp(self) -> str:
        """What the caches of things made from this snapshot (private answers, result
        frames) are keyed by: its version token and, where that token lives in this
        process only (a local-memory cache: the embedded default, whose worker's
        imports never move it here), its build too, so they last no longer than the
        snapshot does (MAX_AGE_SECONDS)."""
        if isinstance(caches["default"], LocMemCache):
            return f"{self.version}@{self.built_at}"
        return self.version

    def newest_added(self, count: int) -> list[Breach]:
        """The catalogue's default order (added, newest first), first ``count``."""
        ordered = sorted(self.by_id.values(), key=lambda b: b.title)
        ordered.sort(key=lambda b: b.added_date, reverse=True)
        return ordered[:count]

    def named(self, breach_ids: set[int], *, include_sensitive: bool) -> list[Breach]:
        """The public breaches among ``breach_ids``, newest breach date first, undated
        last, then by title (the same on SQLite and PostgreSQL)."""
        found = [
            breach
            for breach_id in breach_ids
            if (breach := self.by_id.get(breach_id)) is not None
            and (include_sensitive or not breach.is_sensitive)
        ]
        found.sort(key=lambda b: b.title)
        found.sort(key=lambda b: (b.breach_date is not None, b.breach_date), reverse=True)
        return found


_lock = threading.Lock()
_current = PublicSet(version="")


def public_set(version: str | None = None) -> PublicSet:
    """The snapshot for the current version token (rebuilt when it has moved).

    ``version``: the token (VERSION_KEY) as the caller has just read it along with
    something else, to save the round trip; None reads it here."""
    global _current
    if version is None:
        version = cache.get(VERSION_KEY)
    if version is None:
        # A fresh cache (or a flushed one): agree on one token across processes.
        cache.add(VERSION_KEY, secrets.token_hex(8), timeout=None)
        version = cache.get(VERSION_KEY) or ""
    current = _current
    if current.version == version and time.monotonic() - current.built_at < MAX_AGE_SECONDS:
        return current
    with _lock:
        breaches = {breach.pk: breach for breach in Breach.objects.public()}
        _current = PublicSet(
            version=version,
            by_id=breaches,
            built_at=time.monotonic(),
            has_legacy=LegacyExposure.objects.exists(),
        )
        return _current


def public_set_changed() -> None:
    """Make every process rebuild its snapshot: now, and once more when the
    transaction that changed a breach commits."""
    _new_version()
    transaction.on_commit(_new_version)


def _new_version() -> None:
    cache.set(VERSION_KEY, secrets.token_hex(8), timeout=None)


@receiver(post_save, sender=Breach, dispatch_uid="public-set-saved")
@receiver(post_delete, sender=Breach, dispatch_uid="public-set-deleted")
@receiver(post_save, sender=LegacyExposure, dispatch_uid="public-set-legacy-saved")
def _breach_changed(sender: type[Breach | LegacyExposure], **kwargs: object) -> None:
    public_set_changed()
