"""An API key's request is counted once, before anything is told.

The lookup leaves its key's layers (the key's rate, the global API budget) to
the gate call that also counts the number, so a lookup is one Redis round trip,
in the same order (key, global, number; a refused key never spends the number's
budget). A request that fails before that call (an invalid body or number, a
proof required) has its key counted when its error is answered (api/errors.py),
and is refused with 429 if the key is over: every authenticated request counts.

Both count with the key as this process remembers it, guarded by the keys'
version (api/keys.py): when the version has moved, nothing was counted, the key
is read again and counted as it is now, or found revoked (None: a 401).
"""

from weakref import WeakKeyDictionary

from django.http import HttpRequest

from api.keys import KnownKey, apikey_read
from disclosure.policy import ALLOWED, Decision, authorize_api_key, authorize_api_lookup

_uncounted: WeakKeyDictionary[HttpRequest, KnownKey] = WeakKeyDictionary()


def defer(request: HttpRequest, known: KnownKey) -> None:
    """The key of this request is counted later, by count()."""
    _uncounted[request] = known


def count(request: HttpRequest, e164: str | None = None) -> Decision | None:
    """Count this request's key (and the number, given ``e164``) if nothing has yet:
    the gate's decision, or None when the key has been revoked since it was read."""
    known = _uncounted.pop(request, None)
    if known is None:
        return ALLOWED
    decision = _authorize(request, known, e164, guarded=True)
    if not decision.stale:
        return decision
    fresh = apikey_read(known.api_key.key_hash)
    if fresh is None:
        return None
    # Just read: as current as an unguarded count can be.
    return _authorize(request, fresh, e164, guarded=False)


def _authorize(
    request: HttpRequest, known: KnownKey, e164: str | None, *, guarded: bool
) -> Decision:
    api_key = known.api_key
    guard = known.guard() if guarded else None
    if e164 is None:
        return authorize_api_key(
            request, key_hash=api_key.key_hash, key_rate=api_key.rate, guard=guard
        )
    return authorize_api_lookup(
        request, e164, key_hash=api_key.key_hash, key_rate=api_key.rate, guard=guard
    )
