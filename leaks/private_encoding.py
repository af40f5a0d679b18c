"""The private check's answer on the wire: a compact binary body, and its decoder.

Pure functions, no Django: `leaks.private_client` decodes with them, and
static/js/private-check.js implements the same decoder (a node test compares both).

    offset  size  field (integers big-endian)
    0       4     magic "BCPA"
    4       1     format (1)
    5       1     bucket bits B (16 by default): an entry's prefix has 64 - B bits
    6       4     key version
    10      32    the evaluated element (RFC 9497 BlindEvaluate)
    42      4     T, the breach table's length
    46      1     s, the bytes of a breach id in the table: 2 when all ids are below
                  65,536, else 4
    47      sT    the breach ids the entries name, the most often named first (ties:
                  lower id first)
    ..      4     N, the number of entries
    ..      1     k, the Rice parameter of the prefixes' differences
    ..      1     j, the Rice parameter of the breach indexes
    ..            the N entries, sorted by prefix, as one bit stream (most significant
                  bit first) in four runs, the last byte padded with zero bits:
                    1. each prefix's difference to the one before (the first: the
                       prefix) shifted right by k, in unary (that many ones, a zero)
                    2. the low k bits of each difference (Golomb-Rice: 1 and 2)
                    3. the length of each breach list minus one, in unary
                    4. each list's breaches as indexes into the table, Golomb-Rice
                       coded with j (the index >> j in unary, its low j bits)

Sorted 64 - B bit values spread evenly cost about 64 - B - log2(N) + 1.5 bits each
to code this way, so a bucket of 15,000 entries at 16-bit buckets takes about
36 bits a prefix, plus one bit for each entry's list length and a few bits per
breach named (few when most entries name the largest breaches). The
runs are apart so that each is made by loops in C (str.join over map for the
unary runs; the low bits put together as numbers, pairwise, for run 2).
"""

import struct
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter

import numpy as np

MAGIC = b"BCPA"
FORMAT = 1
ELEMENT_BYTES = 32
KEY_BITS = 64
_HEAD = struct.Struct(">4sBBI32s")


class MalformedAnswer(ValueError):
    """The bytes are not an answer of this format."""


@dataclass(frozen=True)
class Answer:
    bucket_bits: int
    version: int
    evaluated: bytes
    # (prefix, breach ids) of every entry, sorted by prefix.
    entries: list[tuple[int, tuple[int, ...]]]

    @property
    def prefix_bits(self) -> int:
        return KEY_BITS - self.bucket_bits

    def breaches_of(self, prefix: int) -> set[int]:
        """The breach ids of the entries whose prefix is ``prefix`` (at most one, but
        a padding entry could share it by a chance of one in 2^42 or less)."""
        return {b for entry, ids in self.entries if entry == prefix for b in ids}


def rice_parameter(count: int, prefix_bits: int) -> int:
    """The Rice parameter for ``count`` sorted values spread over ``prefix_bits`` bits:
    about log2 of the mean difference times ln 2."""
    mean = (1 << prefix_bits) // max(count, 1)
    return max(0, (mean * 69 // 100).bit_length() - 1)


def encode_entries(entries: list[tuple[int, tuple[int, ...]]], prefix_bits: int) -> bytes:
    """The part of an answer after the evaluated element: the breach table and the
    entries (sorted by prefix here; breach ids of a list in any order)."""
    entries = sorted(entries, key=itemgetter(0))
    return encode_arrays(
        np.fromiter(map(itemgetter(0), entries), np.int64, len(entries)),
        np.fromiter(map(len, map(itemgetter(1), entries)), np.int64, len(entries)),
        np.fromiter(chain.from_iterable(map(itemgetter(1), entries)), np.int64),
        prefix_bits,
    )


def encode_arrays(
    prefixes: np.ndarray, lengths: np.ndarray, ids: np.ndarray, prefix_bits: int
) -> bytes:
    """encode_entries on arrays: the entries' prefixes (sorted), each one's list length,
    and every list's breach ids one after another. Each run of bits is made by numpy
    as an array of 0s and 1s, and packed once."""
    count = len(prefixes)
    deltas = np.diff(prefixes, prepend=0)
    if count and (deltas[1:].min(initial=1) < 1 or prefixes[0] < 0 or prefixes[-1] >> prefix_bits):
        raise ValueError("entries need distinct prefixes of prefix_bits bits")
    if count and lengths.min() < 1:
        raise ValueError("every entry names a breach")
    named, counts = np.unique(ids, return_counts=True)
    # The most often named first, ties by id; each id's index in that table.
    order = np.lexsort((named, -counts))
    rank = np.empty(len(named), np.int64)
    rank[order] = np.arange(len(named))
    indexes = rank[np.searchsorted(named, ids)]
    k = rice_parameter(count, prefix_bits)
    j = _index_parameter(counts[order])
    bits = np.concatenate(
        [
            _unary_bits(deltas >> k),
            _low_bits(deltas, k),
            _unary_bits(lengths - 1),
            _rice_bits(indexes, j),
        ]
    )
    return b"".join(
        [
            _table(named[order].tolist()),
            struct.pack(">IBB", count, k, j),
            np.packbits(bits).tobytes(),
        ]
    )


def _unary_bits(values: np.ndarray) -> np.ndarray:
    """The values in unary, one after another (ones, then a zero), as 0/1 bytes."""
    bits = np.ones(int(values.sum()) + len(values), np.uint8)
    bits[np.cumsum(values + 1) - 1] = 0
    return bits


def _low_bits(values: np.ndarray, k: int) -> np.ndarray:
    """The low k bits of each value, most significant first, one value after another."""
    if not k or not len(values):
        return np.zeros(0, np.uint8)
    # Each value's k bits moved to the top of 64, read as big-endian bytes.
    top = (values.astype(np.uint64) & np.uint64((1 << k) - 1)) << np.uint64(64 - k)
    return np.unpackbits(top.astype(">u8").view(np.uint8)).reshape(-1, 64)[:, :k].ravel()


def _rice_bits(values: np.ndarray, j: int) -> np.ndarray:
    """The Golomb-Rice codes with parameter j of the values, one after another."""
    if not j:
        return _unary_bits(values)
    quotients = values >> j
    sizes = quotients + 1 + j
    starts = np.cumsum(sizes) - sizes
    bits = np.zeros(int(sizes.sum()), np.uint8)
    bits[concatenated_ranges(starts, quotients)] = 1
    low = _low_bits(values, j).reshape(-1, j)
    bits[(starts + quotients + 1)[:, None] + np.arange(j)] = low
    return bits


def concatenated_ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """start, start + 1, ..., start + length - 1 of each (start, length), one after another."""
    ends = np.cumsum(lengths)
    return np.arange(int(ends[-1]) if len(ends) else 0) + np.repeat(
        starts - ends + lengths, lengths
    )


def _table(table: list[int]) -> bytes:
    size = 2 if max(table, default=0) < 1 << 16 else 4
    return struct.pack(f">IB{len(table)}{'H' if size == 2 else 'I'}", len(table), size, *table)


def _index_parameter(counts: np.ndarray) -> int:
    """The Rice parameter that codes indexes 0, 1, ... named counts[i] times each in
    the fewest bits."""
    indexes = np.arange(len(counts))
    choices = range(max(len(counts) - 1, 0).bit_length() + 1)
    costs = [int((counts * ((indexes >> j) + 1 + j)).sum()) for j in choices]
    return costs.index(min(costs))


def encode(*, bucket_bits: int, version: int, evaluated: bytes, body: bytes) -> bytes:
    """A whole answer: the head, then ``body`` from `encode_entries`."""
    return _HEAD.pack(MAGIC, FORMAT, bucket_bits, version, evaluated) + body


def decode(data: bytes) -> Answer:
    try:
        magic, form, bucket_bits, version, evaluated = _HEAD.unpack_from(data)
        if magic != MAGIC or form != FORMAT or not 0 < bucket_bits < KEY_BITS:
            raise MalformedAnswer("not a private-check answer of format 1")
        offset = _HEAD.size
        count, size = struct.unpack_from(">IB", data, offset)
        if size not in (2, 4):
            raise MalformedAnswer("a breach id has 2 or 4 bytes")
        table = struct.unpack_from(f">{count}{'H' if size == 2 else 'I'}", data, offset + 5)
        offset += 5 + size * count
        entries_count, k, j = struct.unpack_from(">IBB", data, offset)
        offset += 6
    except struct.error:
        raise MalformedAnswer("the answer is cut short") from None
    tail = data[offset:]
    bits = format(int.from_bytes(tail, "big"), f"0{8 * len(tail)}b") if tail else ""
    try:
        position = 0
        quotients = []
        for _ in range(entries_count):
            end = bits.index("0", position)
            quotients.append(end - position)
            position = end + 1
        prefixes, prefix = [], 0
        for quotient in quotients:
            prefix += quotient << k | (int(bits[position : position + k], 2) if k else 0)
            prefixes.append(prefix)
            position += k
        lengths = []
        for _ in range(entries_count):
            end = bits.index("0", position)
            lengths.append(end - position + 1)
            position = end + 1
        entries: list[tuple[int, tuple[int, ...]]] = []
        for prefix, length in zip(prefixes, lengths, strict=True):
            ids = []
            for _ in range(length):
                end = bits.index("0", position)
                value = (end - position) << j | (int(bits[end + 1 : end + 1 + j], 2) if j else 0)
                ids.append(table[value])
                position = end + 1 + j
            entries.append((prefix, tuple(ids)))
    except (ValueError, IndexError):
        raise MalformedAnswer("the entries are cut short") from None
    if position > len(bits):
        raise MalformedAnswer("the entries are cut short")
    return Answer(bucket_bits, version, evaluated, entries)
