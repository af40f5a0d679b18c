"""API keys: issue, check and revoke. Only a key's SHA-256 is stored.

A key carries 256 random bits, so a fast unkeyed hash is safe here (unlike
phone numbers, there is nothing to brute-force) and costs nothing per request.
"""

import hashlib
import secrets

from django.contrib.auth.models import User
from django.utils import timezone

from api.models import ApiKey

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


def apikey_for_token(token: str) -> ApiKey | None:
    """The active key with this token. Read on every request, so revocation is immediate."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    return ApiKey.objects.filter(key_hash=token_hash(token), revoked_at__isnull=True).first()
