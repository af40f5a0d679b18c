"""Sessions in the cache (Redis) created without a key probe.

Django's cache session store asks whether a new random key is taken (EXISTS)
and then stores the session only if the key is free (SET NX): two round trips
where the second alone already refuses a taken key (CreateError, and create()
draws another). Here a new key is simply tried. Everything else is Django's
cache store: expiry by the cache, nothing in the database.
"""

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.cache import SessionStore as CacheSessionStore
from django.utils.crypto import get_random_string


class SessionStore(CacheSessionStore):
    def _get_new_session_key(self) -> str:
        # A taken key fails the add in save(must_create=True) and create() draws again.
        return get_random_string(32, VALID_KEY_CHARS)
