"""The generated exposures of bench/scale.py: breach sizes with a long tail, keys of
the real shape (random bytes as a signed int8), and their COPY."""

import random
from array import array

KNOWN = 2000  # numbers with real keys, spread over the breaches
BATCH = 1_000_000


def breach_sizes(total: int, rng: random.Random) -> list[int]:
    """A long tail summing to `total`: at 10^8 four breaches of 10^7 or more, the
    rest between 10^4 and 10^6 (log-uniform); all scaled down for smaller totals."""
    scale = total / 10**8
    big = [int(s * scale) for s in (25_000_000, 15_000_000, 10_000_000, 10_000_000)]
    sizes, left = big, total - sum(big)
    while left > 0:
        size = min(int(10 ** rng.uniform(4, 6) * max(scale, 0.01)), left)
        sizes.append(max(size, 1))
        left -= size
    return sizes


def known_numbers() -> list[str]:
    return [f"+86138{i:08d}" for i in range(KNOWN)]


def copy_keys(cursor, table_sql: str, rows) -> None:
    """COPY (phone_key, key_version, breach_id) rows given as (keys, version, breach)."""
    with cursor.copy(f"COPY {table_sql} FROM STDIN") as copy:
        for keys, version, breach in rows:
            tail = f"\t{version}\t{breach}\n"
            for offset in range(0, len(keys), BATCH):
                part = keys[offset : offset + BATCH]
                copy.write(tail.join(map(str, part)) + tail)


def random_keys(rng: random.Random, count: int) -> array:
    return array("q", rng.randbytes(8 * count))


def generated(breaches: list, sizes: list[int], pool: array, rng: random.Random, version: int):
    """Each breach's keys: 90% fresh, 10% a slice of a shared pool (numbers in many leaks)."""
    for breach_id, size in zip(breaches, sizes, strict=True):
        shared = min(size // 10, len(pool))
        start = rng.randrange(len(pool) - shared + 1)
        keys = random_keys(rng, size - shared)
        keys.extend(pool[start : start + shared])
        yield keys, version, breach_id


def create_breaches(sizes: list[int], prefix: str) -> list[int]:
    from django.utils import timezone

    from leaks.models import Breach
    from leaks.public_set import public_set_changed

    now = timezone.now()
    made = Breach.objects.bulk_create(
        Breach(
            slug=f"{prefix}-{i}",
            title=f"Scale {prefix} {i}",
            pwn_count=size,
            published_at=now,
            is_verified=True,
        )
        for i, size in enumerate(sizes)
    )
    # bulk_create sends no post_save: tell the lookups' snapshot itself.
    public_set_changed()
    return [breach.pk for breach in made]
