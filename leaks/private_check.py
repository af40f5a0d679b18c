"""The private check's server side: evaluate a blinded element, hand out a bucket.

The browser sends its number's bucket (the leading PHONE_KEY_BUCKET_BITS of
SHA-256 of the E.164 form) and an OPRF-blinded element; it gets back the
element multiplied by the key and the bucket's entries: one per distinct stored
key in public, non-sensitive breaches, with its breach list, and the bucket's
padding, in the binary form of `leaks.private_encoding`. The browser unblinds
and compares; the server never sees the number.

The padding is derived, keyed, from the bucket, the key version and the entry's
index alone (SHAKE-256 and HMAC under a key derived from the pepper): its count, its
prefixes and its list lengths never change while the key version does not, so
two answers for one bucket under the same data are identical and comparing
answers cannot sort real entries from padding. A padding entry names its
breaches through a keyed ring of the public breaches (consistent hashing, each
breach weighted by its size rounded down to a power of two): what a padding
entry names moves only when a breach is published, retired or doubles in size,
and then only for the entries near that breach's points. docs/PRIVATE_CHECK.md
says what an observer of answers learns.

Encoded bodies (everything but the evaluated element) are kept per process in
a least-recently-used cache bounded in bytes (PRIVATE_CHECK_CACHE_MB), keyed by
the bucket, the key version and the public breaches' version token
(`leaks.public_set`), which every import and publication moves.
"""

import hashlib
import hmac
import threading
from collections import OrderedDict
from functools import cache, lru_cache
from itertools import islice
from operator import itemgetter

import numpy as np
from django.conf import settings

from leaks import oprf, private_encoder, private_encoding
from leaks.hashing import KEY_BITS, bucket_bits, current_version, peppers, server_key
from leaks.lookups import bucket_entries
from leaks.private_encoder import concatenated_ranges
from leaks.public_set import PublicSet, public_set

_PADDING_DOMAIN = b"breachcheck/private-padding/v1\x00"
# How many breaches a padding entry names: of 100 entries, 80 name one, 14 two,
# 4 three, 2 four (numbers in several leaks are the minority; docs/PRIVATE_CHECK.md).
_LENGTHS = np.array([1] * 80 + [2] * 14 + [3] * 4 + [4] * 2, np.int64)
# Sorts after every breach id: what a padding list's unused places hold until cut.
_NONE = np.iinfo(np.int64).max
_RING_POINTS = 1 << 14


class BadRequest(ValueError):
    """A bucket or element the protocol does not allow; the message says which."""


def parse_request(bucket: object, blinded: object) -> tuple[int, bytes]:
    buckets = 1 << bucket_bits()
    if not isinstance(bucket, int) or isinstance(bucket, bool) or not 0 <= bucket < buckets:
        raise BadRequest(f"bucket must be an integer from 0 to {buckets - 1}")
    try:
        element = bytes.fromhex(blinded) if isinstance(blinded, str) else b""
        return bucket, oprf.checked_element(element)
    except (ValueError, oprf.InvalidInput):
        raise BadRequest("blinded must be a ristretto255 element as 64 hex digits") from None


def private_answer(*, bucket: int, blinded: bytes, public: PublicSet | None = None) -> bytes:
    """The evaluated element and the bucket's entries, padded, encoded.

    ``public``: the public breaches' snapshot, when the caller already holds it."""
    version = current_version()
    evaluated = oprf.blind_evaluate(server_key(version), blinded)
    return private_encoding.encode(
        bucket_bits=bucket_bits(),
        version=version,
        evaluated=evaluated,
        body=bucket_body(bucket, version, public),
    )


def bucket_body(bucket: int, version: int, public: PublicSet | None = None) -> bytes:
    """The encoded entries of a bucket (from the cache when this process has them)."""
    public = public or public_set()
    key = (bucket_bits(), bucket, version, public.stamp)
    body = _cache.get(key)
    if body is None:
        body = private_encoder.encode_arrays(
            *bucket_answer_arrays(bucket, version, public), KEY_BITS - bucket_bits()
        )
        _cache.put(key, body)
    return body


def bucket_answer_entries(
    bucket: int, version: int, public: PublicSet | None = None
) -> list[tuple[int, tuple[int, ...]]]:
    """(prefix, breach ids) of the bucket's answer, sorted by prefix: one entry per
    distinct stored key in the public, non-sensitive breaches, and the bucket's padding."""
    prefixes, lengths, ids = bucket_answer_arrays(bucket, version, public)
    return list(zip(prefixes.tolist(), _lists(lengths, ids), strict=True))


def _lists(lengths: np.ndarray, ids: np.ndarray) -> list[tuple[int, ...]]:
    """The lists of breach ids that ``ids`` holds one after another."""
    flat = iter(ids.tolist())
    return [tuple(islice(flat, length)) for length in lengths.tolist()]


def bucket_answer_arrays(
    bucket: int, version: int, public: PublicSet | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """bucket_answer_entries as arrays: the prefixes (sorted), each entry's list length,
    and the lists' breach ids one after another (each list sorted). Made by numpy, not
    per entry in Python: padding alone is hundreds of entries in every answer."""
    public = public or public_set()
    rows = bucket_entries(bucket, version, public)  # in key order, then breach id
    keys = np.fromiter(map(itemgetter(0), rows), np.int64, len(rows))
    ids = np.fromiter(map(itemgetter(1), rows), np.int64, len(rows))
    # A number in several breaches: its rows are next to each other.
    first = np.flatnonzero(np.diff(keys, prepend=-1))
    prefixes, lengths = keys[first], np.diff(first, append=len(keys))
    key = _padding_key(version)
    # Made once per snapshot of the public breaches, not per ask.
    ring = public.memo(("padding ring", key), lambda p: _ring(key, _weights(p)))
    if not ring.owners:
        return prefixes, lengths, ids
    padding_prefixes, padding_lengths, padding_ids = _padding_lists(bucket, version, ring)
    prefixes = np.concatenate([prefixes, padding_prefixes])
    lengths = np.concatenate([lengths, padding_lengths])
    ids = np.concatenate([ids, padding_ids])
    order = np.argsort(prefixes, kind="stable")
    sorted_prefixes, sorted_lengths = prefixes[order], lengths[order]
    if not np.diff(sorted_prefixes).all():
        return _merged(prefixes, lengths, ids)
    starts = np.cumsum(lengths) - lengths
    return sorted_prefixes, sorted_lengths, ids[concatenated_ranges(starts[order], sorted_lengths)]


def _merged(
    prefixes: np.ndarray, lengths: np.ndarray, ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The entries with a padding prefix equal to a real one's or another padding's
    (odds 1 in 2^42 or less) made one, naming the breaches of both."""
    entries: dict[int, tuple[int, ...]] = {}
    for prefix, named in zip(prefixes.tolist(), _lists(lengths, ids), strict=True):
        entries[prefix] = tuple(sorted({*named, *entries.get(prefix, ())}))
    merged = sorted(entries.items())
    return (
        np.array([prefix for prefix, _ in merged], np.int64),
        np.array([len(named) for _, named in merged], np.int64),
        np.array([breach for _, named in merged for breach in named], np.int64),
    )


def _padding_lists(
    bucket: int, version: int, ring: "_Ring"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The padding's prefixes, list lengths and breach ids (each list sorted, one
    after another), in stream order: every entry's ring positions looked up at once."""
    prefixes, lengths, positions = _padding_words(bucket, version)
    used = np.arange(positions.shape[1]) < lengths[:, None]
    wanted = positions[used]
    # Looked up in sorted order: twice as fast as in stream order, the ring being
    # larger than the processor's nearest caches.
    order = np.argsort(wanted)
    found = np.empty(len(wanted), np.intp)
    found[order] = np.searchsorted(ring.position_array, wanted[order], side="right")
    # Places past an entry's length hold the largest id, which sorts last; then
    # they and repeated breaches are cut.
    owners = np.full(positions.shape, _NONE)
    owners[used] = ring.owner_at[found]
    owners.sort(axis=1)
    # Cut in place: what is left of each row stays in order (owners[named] reads rows).
    owners[:, 1:][owners[:, 1:] == owners[:, :-1]] = _NONE
    named = owners != _NONE
    return prefixes, named.sum(axis=1), owners[named]


def padding(bucket: int, version: int) -> list[tuple[int, tuple[int, ...]]]:
    """The bucket's padding: (prefix, one 64-bit ring position per breach it names)
    of each entry, from the bucket, the key version and the entry's index only.

    Entry i is words 6i to 6i + 5 of one keyed SHAKE-256 stream of the bucket: its
    prefix, its list length and up to four ring positions."""
    prefixes, lengths, positions = _padding_words(bucket, version)
    return [
        (prefix, tuple(places[:length]))
        for prefix, length, places in zip(
            prefixes.tolist(), lengths.tolist(), positions.tolist(), strict=True
        )
    ]


def _padding_words(bucket: int, version: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The padding's prefixes, list lengths, and each entry's four ring positions
    (padding's docstring)."""
    bits = bucket_bits()
    key = _padding_key(version)
    base = max(settings.PRIVATE_CHECK_ENTRIES, 1)
    head = _PADDING_DOMAIN + bytes([bits]) + bucket.to_bytes(4, "big")
    count_seed = hmac.digest(key, head + b"count", "sha256")
    count = base + int.from_bytes(count_seed[:8], "big") % base
    # SHAKE-256 keyed by a secret prefix is a pseudorandom function (a sponge has
    # no length extension); one call makes every entry's words.
    stream = hashlib.shake_256(key + head + b"entries").digest(48 * count)
    words = np.frombuffer(stream, ">u8").astype(np.uint64).reshape(count, 6)
    lengths = _LENGTHS[words[:, 1] % np.uint64(len(_LENGTHS))]
    prefixes = (words[:, 0] >> np.uint64(bits)).astype(np.int64)
    return prefixes, lengths, words[:, 2:]


def _padding_key(version: int) -> bytes:
    return _padding_key_of(peppers()[version])


@cache
def _padding_key_of(pepper: bytes) -> bytes:
    return hmac.digest(pepper, _PADDING_DOMAIN, "sha256")


def _weights(public: PublicSet) -> tuple[tuple[int, int], ...]:
    """(breach id, weight) of the breaches the private check names: a breach's size
    rounded down to a power of two, so an import moves it only when the size doubles."""
    return tuple(
        (breach.pk, max(breach.pwn_count, 1).bit_length() - 1)
        for breach in sorted(public.by_id.values(), key=lambda b: b.pk)
        if not breach.is_sensitive
    )


class _Ring:
    """Consistent hashing of 64-bit positions onto breaches: a position belongs to the
    breach of the first point after it (_padding_lists looks them up)."""

    def __init__(self, points: list[tuple[int, int]]) -> None:
        points.sort()
        self.positions = [position for position, _ in points]
        self.owners = [breach for _, breach in points]
        self.position_array = np.array(self.positions, np.uint64)
        # The owner of the point searchsorted finds; past the last point, the first's.
        self.owner_at = np.array(self.owners + self.owners[:1], np.int64)


@lru_cache(maxsize=4)
def _ring(key: bytes, weights: tuple[tuple[int, int], ...]) -> _Ring:
    if not weights:
        return _Ring([])
    # Points per breach: 2^(log2 size - shift), at least one; shift keeps them few.
    top = max(weight for _, weight in weights)
    shift = 0
    while sum(max(1, 1 << max(weight - shift, 0)) for _, weight in weights) > _RING_POINTS and (
        shift <= top
    ):
        shift += 1
    points = []
    for breach, weight in weights:
        many = 1 << (weight - shift) if weight >= shift else 1
        for index in range(many):
            name = b"ring" + breach.to_bytes(8, "big") + index.to_bytes(4, "big")
            digest = hmac.digest(key, name, "sha256")
            points.append((int.from_bytes(digest[:8], "big"), breach))
    return _Ring(points)


class _BodyCache:
    """Least recently used encoded bodies, bounded in bytes, shared by a process's threads."""

    def __init__(self) -> None:
        self._items: OrderedDict[tuple, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> bytes | None:
        with self._lock:
            body = self._items.get(key)
            if body is not None:
                self._items.move_to_end(key)
            return body

    def put(self, key: tuple, body: bytes) -> None:
        limit = settings.PRIVATE_CHECK_CACHE_MB * 2**20
        if len(body) > limit:
            return
        with self._lock:
            old = self._items.pop(key, None)
            self._bytes += len(body) - (len(old) if old is not None else 0)
            self._items[key] = body
            while self._bytes > limit:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    @property
    def size(self) -> tuple[int, int]:
        """(bodies, bytes) held now."""
        return len(self._items), self._bytes


_cache = _BodyCache()


def clear_cache() -> None:
    _cache.clear()
