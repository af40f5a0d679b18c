"""The server's encoder of the private check's answer (the format:
`leaks.private_encoding`): numpy arrays of bits, one per run, packed once, so that no
loop runs per entry in Python."""

import struct
from itertools import chain
from operator import itemgetter

import numpy as np


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
