"""The private check's answer on the wire: a compact binary body, and its decoder.

Pure functions, no Django and no numpy: `leaks.private_client` decodes with them, and
static/js/private-check.js implements the same decoder (a node test compares both).
The server's encoder is `leaks.private_encoder`.

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
breach named (few when most entries name the largest breaches).
"""

import struct
from dataclasses import dataclass

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


def encode(*, bucket_bits: int, version: int, evaluated: bytes, body: bytes) -> bytes:
    """A whole answer: the head, then ``body`` from `private_encoder.encode_arrays`."""
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
