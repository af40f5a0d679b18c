"""API keys: issue, check and revoke. Only a key's SHA-256 is stored.

A key carries 256 random bits, so a fast unkeyed hash is safe here (unlike
phone numbers, there is nothing to brute-force) and costs nothing per request.

An active key is also kept in the shared cache (by its hash) so a lookup does not
query the database for it; every save, delete or revocation of a key drops that
entry at once and again on commit, so revocation still takes effect on the next
request. Unknown tokens are never cached.
"""

import hashlib
import secrets

from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from api.models import ApiKey
from leaks.public_set import VERSION_KEY

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


def apikey_for_token(token: str) -> ApiKey | None:
    """The active key with this token. Read on every request, so revocation is immediate."""
    return apikey_and_public_version(token)[0]


def apikey_and_public_version(token: str) -> tuple[ApiKey | None, str | None]:
    """apikey_for_token, and the public breach snapshot's version token read in the
    same cache round trip (None when the token is not in the cache or not read)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None, None
    key_hash = token_hash(token)
    found = cache.get_many([_cache_key(key_hash), VERSION_KEY])
    version = found.get(VERSION_KEY)
    cached = found.get(_cache_key(key_hash))
    if cached is not None:
        return cached, version
    api_key = ApiKey.objects.filter(key_hash=key_hash, revoked_at__isnull=True).first()
    if api_key is not None:
        cache.set(_cache_key(key_hash), api_key, timeout=CACHE_SECONDS)
    return api_key, version


# A bound on staleness should a key change outside Django (a hand-written UPDATE).
CACHE_SECONDS = 60


def _cache_key(key_hash: str) -> str:
    return f"api-key:{key_hash}"


def _forget(key_hash: str) -> None:
    cache.delete(_cache_key(key_hash))
    transaction.on_commit(lambda: cache.delete(_cache_key(key_hash)))


@receiver(post_save, sender=ApiKey, dispatch_uid="api-key-saved")
@receiver(post_delete, sender=ApiKey, dispatch_uid="api-key-deleted")
def _key_changed(sender: type[ApiKey], instance: ApiKey, **kwargs: object) -> None:
    _forget(instance.key_hash)
