"""An API key's request is counted once, before anything is told.

The lookup leaves its key's layers (the key's rate, the global API budget) to
the gate call that also counts the number, so a lookup is one Redis round trip
instead of two, in the same order (key, global, number; a refused key never
spends the number's budget). A request that fails before that call (an invalid
body or number, a proof required) has its key counted when its error is
answered (api/errors.py), and is refused with 429 if the key is over: every
authenticated request counts, as when the key was counted at authentication.
"""

from weakref import WeakKeyDictionary

from django.http import HttpRequest

from api.models import ApiKey
from disclosure.policy import ALLOWED, Decision, authorize_api_key

_uncounted: WeakKeyDictionary[HttpRequest, ApiKey] = WeakKeyDictionary()


def defer(request: HttpRequest, api_key: ApiKey) -> None:
    """The key of this request is counted later: by take() or by settle()."""
    _uncounted[request] = api_key


def take(request: HttpRequest) -> ApiKey | None:
    """The key still to be counted (its caller counts it now), or None."""
    return _uncounted.pop(request, None)


def settle(request: HttpRequest) -> Decision:
    """Count the key now if nothing has counted it yet."""
    api_key = take(request)
    if api_key is None:
        return ALLOWED
    return authorize_api_key(request, key_hash=api_key.key_hash, key_rate=api_key.rate)
