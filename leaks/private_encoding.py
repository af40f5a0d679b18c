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
runs are apart so that each is made by one loop in C (str.join over map).
"""

import operator
import struct
from collections import Counter
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter

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
    prefixes = [prefix for prefix, _ in entries]
    lists = [ids for _, ids in entries]
    named = Counter(breach for ids in lists for breach in ids)
    table = sorted(named, key=lambda breach: (-named[breach], breach))
    index = {breach: i for i, breach in enumerate(table)}
    k = rice_parameter(len(entries), prefix_bits)
    j = _index_parameter([named[breach] for breach in table])
    deltas = list(map(operator.sub, prefixes, [0, *prefixes[:-1]]))
    if entries and (
        min(deltas[1:], default=1) < 1 or prefixes[0] < 0 or prefixes[-1] >> prefix_bits
    ):
        raise ValueError("entries need distinct prefixes of prefix_bits bits")
    if not all(lists):
        raise ValueError("every entry names a breach")
    low = (1 << k) - 1
    runs = [
        _unaries([d >> k for d in deltas]),
        "".join(map(format, [d & low for d in deltas], repeat(f"0{k}b"))) if k else "",
        _unaries([len(ids) - 1 for ids in lists]),
        _rice([index[b] for ids in lists for b in ids], j, len(table)),
    ]
    bits = "".join(runs)
    bits += "0" * (-len(bits) % 8)
    stream = int(bits, 2).to_bytes(len(bits) // 8, "big") if bits else b""
    return b"".join(
        [
            _table(table),
            struct.pack(">IBB", len(entries), k, j),
            stream,
        ]
    )


def _table(table: list[int]) -> bytes:
    size = 2 if max(table, default=0) < 1 << 16 else 4
    return struct.pack(f">IB{len(table)}{'H' if size == 2 else 'I'}", len(table), size, *table)


def _index_parameter(counts: list[int]) -> int:
    """The Rice parameter that codes indexes 0, 1, ... named counts[i] times each in
    the fewest bits."""
    best, best_bits = 0, None
    for j in range(max(len(counts) - 1, 0).bit_length() + 1):
        bits = sum(count * ((i >> j) + 1 + j) for i, count in enumerate(counts))
        if best_bits is None or bits < best_bits:
            best, best_bits = j, bits
    return best


def _rice(values: list[int], j: int, size: int) -> str:
    """Values below ``size``, Golomb-Rice coded with j (each code made once)."""
    low = (1 << j) - 1
    codes = ["1" * (v >> j) + "0" + (format(v & low, f"0{j}b") if j else "") for v in range(size)]
    return "".join(map(codes.__getitem__, values))


_UNARY = ["1" * n + "0" for n in range(64)]


def _unaries(values: list[int]) -> str:
    """The values in unary, one after another (ones, then a zero)."""
    if not values or max(values) < len(_UNARY):
        return "".join(map(_UNARY.__getitem__, values))
    return "".join(["1" * n + "0" for n in values])


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
