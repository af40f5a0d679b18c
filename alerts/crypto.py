"""Subscribers' contacts: encrypted at rest, and matched by keyed hash.

The contact (an email address or the number texts go to) is needed in clear
only at the moment a message is sent, so it is stored as a Fernet token under
a key from the environment. Lookups ("which subscriptions has this address?")
use a keyed hash under the pepper, never the address itself.
"""

import hashlib
import hmac
import json
from functools import cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from leaks.hashing import HASH_BYTES, current_version, peppers

# Domain separation from phone hashes made with the same pepper.
_DOMAIN = b"breachcheck/contact/v1\x00"


def contact_hash(channel: str, value: str, version: int | None = None) -> bytes:
    key = peppers()[version if version is not None else current_version()]
    message = _DOMAIN + channel.encode() + b":" + value.encode()
    return hmac.new(key, message, hashlib.sha256).digest()[:HASH_BYTES]


def contact_hashes(channel: str, value: str) -> dict[int, bytes]:
    return {version: contact_hash(channel, value, version) for version in peppers()}


def seal(payload: dict) -> bytes:
    """Encrypt a small JSON payload (the contact and its masked form)."""
    return _fernet().encrypt(json.dumps(payload, ensure_ascii=False).encode())


def unseal(token: bytes | memoryview) -> dict:
    try:
        return json.loads(_fernet().decrypt(bytes(token)))
    except InvalidToken:
        raise ImproperlyConfigured(
            "A contact cannot be decrypted: ALERTS_FERNET_KEY lost or rotated without the old key."
        ) from None


def _fernet() -> MultiFernet:
    return _load_keys(settings.ALERTS_FERNET_KEY, str(settings.ALERTS_FERNET_KEY_DEFAULT_FILE))


@cache
def _load_keys(keys: str, default_file: str) -> MultiFernet:
    if not keys and Path(default_file).exists():
        keys = Path(default_file).read_text().strip()
    if not keys:
        raise ImproperlyConfigured(
            "No key for subscribers' contacts: set ALERTS_FERNET_KEY or ALERTS_FERNET_KEY_FILE "
            "(make run creates one for the embedded default)."
        )
    # The first key encrypts; all of them decrypt, so keys can rotate.
    return MultiFernet([Fernet(key.strip()) for key in keys.split(",") if key.strip()])


def mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"
