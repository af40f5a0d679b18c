"""API keys: issue, check and revoke. Only a key's SHA-256 is stored.

A key carries 256 random bits, so a fast unkeyed hash is safe here (unlike
phone numbers, there is nothing to brute-force) and costs nothing per request.

An active key is kept in the shared cache (by its hash) so a lookup does not
query the database for it, and in each process's memory so a lookup does not
read the cache for it either: the process knows which version of the keys
(KEYS_VERSION_KEY) it read the key under, and the gate counts a lookup only
while that version still holds, in the same round trip (KnownKey.guard). Every
save, delete or revocation of a key drops the cached entry and moves the
version, at once and again on commit, so revocation still takes effect on the
next request in every process. Unknown tokens are never cached.
"""

import hashlib
import secrets
import time
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from api.models import ApiKey
from disclosure.counters import Guard
from leaks.public_set import VERSION_KEY

KEYS_VERSION_KEY = "api-keys:version"

TOKEN_PREFIX = "bck_"  # noqa: S105 - a public marker, not a secret
SHOWN_PREFIX = len(TOKEN_PREFIX) + 6


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def apikey_set_token(*, api_key: ApiKey) -> str:
    """Give an unsaved key a fresh token; return the token, which is never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    api_key.prefix = token[:SHOWN_PREFIX]
    api_key.key_hash = token_hash(token)
    return token


def apikey_create(*, name: str, rate: str = "", user: User | None = None) -> tuple[ApiKey, str]:
    api_key = ApiKey(name=name, created_by=user)
    if rate:
        api_key.rate = rate
    token = apikey_set_token(api_key=api_key)
    api_key.full_clean()
    api_key.save()
    return api_key, token


def apikey_revoke(*, api_key: ApiKey) -> None:
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    _forget(api_key.key_hash)


@dataclass(frozen=True)
class KnownKey:
    """An active key as this process read it, under version ``version`` of the keys."""

    api_key: ApiKey
    version: int
    read_at: float

    def guard(self) -> Guard:
        """Count only while the keys are at this version; read the public
        snapshot's version along (leaks.public_set)."""
        return Guard(KEYS_VERSION_KEY, self.version, also_read=(VERSION_KEY,))


# By key hash; keys are few (admins issue them) and unknown tokens are not kept.
_known: dict[str, KnownKey] = {}
_KNOWN_AT_MOST = 10_000


def apikey_known(token: str) -> KnownKey | None:
    """The active key with this token as this process knows it, or read now.

    What this process knows may be out of date: count with its guard(), and read
    the key again (apikey_read) when the gate says the guard's version moved."""
    if not _well_formed(token):
        return None
    key_hash = token_hash(token)
    known = _known.get(key_hash)
    if known is not None and time.monotonic() - known.read_at < CACHE_SECONDS:
        return known
    return apikey_read(key_hash)


def apikey_read(key_hash: str) -> KnownKey | None:
    """The active key with this hash, read from the shared cache or the database."""
    _known.pop(key_hash, None)
    # The version is read with the key (or before the database is), so a change
    # made after the read moves the version past what is remembered with it.
    found = cache.get_many([_cache_key(key_hash), KEYS_VERSION_KEY])
    version = found.get(KEYS_VERSION_KEY)
    if version is None:
        _start_version()
        version = cache.get(KEYS_VERSION_KEY, 0)
    api_key = found.get(_cache_key(key_hash))
    if api_key is None:
        api_key = ApiKey.objects.filter(key_hash=key_hash, revoked_at__isnull=True).first()
        if api_key is None:
            return None
        cache.set(_cache_key(key_hash), api_key, timeout=CACHE_SECONDS)
    if len(_known) >= _KNOWN_AT_MOST:
        _known.clear()
    known = _known[key_hash] = KnownKey(api_key, version, time.monotonic())
    return known


def _well_formed(token: str) -> bool:
    return token.startswith(TOKEN_PREFIX) and len(token) <= 100


# A bound on staleness should a key change outside Django (a hand-written UPDATE).
CACHE_SECONDS = 60


def _cache_key(key_hash: str) -> str:
    return f"api-key:{key_hash}"


def _forget(key_hash: str) -> None:
    _drop(key_hash)
    transaction.on_commit(lambda: _drop(key_hash))


def _drop(key_hash: str) -> None:
    cache.delete(_cache_key(key_hash))
    _known.pop(key_hash, None)
    # Every process's memory of every key is checked against this version.
    try:
        cache.incr(KEYS_VERSION_KEY)
    except ValueError:
        _start_version()


def _start_version() -> None:
    # A random start: after a flushed cache, no process's remembered version
    # comes back by chance.
    cache.add(KEYS_VERSION_KEY, secrets.randbits(62), timeout=None)


@receiver(post_save, sender=ApiKey, dispatch_uid="api-key-saved")
@receiver(post_delete, sender=ApiKey, dispatch_uid="api-key-deleted")
def _key_changed(sender: type[ApiKey], instance: ApiKey, **kwargs: object) -> None:
    _forget(instance.key_hash)
