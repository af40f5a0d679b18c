"""Sessions in the cache (Redis) created without a key probe.

Django's cache session store asks whether a new random key is taken (EXISTS)
and then stores the session only if the key is free (SET NX): two round trips
where the second alone already refuses a taken key (CreateError, and create()
draws another). Here a new key is simply tried. Everything else is Django's
cache store: expiry by the cache, nothing in the database.

Django's store reads a session it cannot load as empty; this one does too
(no proof, no result: less, never more), and remembers why, so that
breachcheck.middleware.SessionMiddleware answers the gate's 503 instead of
the page (the store is the Redis of the limits: docs/FAIL_SAFE.md).
"""

from typing import Any

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.cache import SessionStore as CacheSessionStore
from django.utils.crypto import get_random_string

from disclosure.counters import STORE_ERRORS


class SessionStore(CacheSessionStore):
    # The error that kept this session from loading, if any.
    store_failure: Exception | None = None

    def load(self) -> dict[str, Any]:
        try:
            # Django's cache store keeps its cache here; django-stubs does not declare it.
            data = self._cache.get(self.cache_key)  # type: ignore[attr-defined]
        except STORE_ERRORS as exc:
            self.store_failure = exc
            data = None
        except Exception:
            data = None  # a session that cannot be decoded is empty, as Django's (#17810)
        if data is not None:
            return data
        self._session_key = None
        return {}

    def _get_new_session_key(self) -> str:
        # A taken key fails the add in save(must_create=True) and create() draws again.
        return get_random_string(32, VALID_KEY_CHARS)
