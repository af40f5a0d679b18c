"""Which breaches hold a number: the read side of the site."""

from collections.abc import Mapping

from django.db.models import F, Q, QuerySet, Sum

from leaks.hashing import KEY_BYTES, bucket_range, key_bytes, phone_hashes, stored_key
from leaks.models import Breach, Exposure, LegacyExposure
from leaks.phones import Phone


def breaches_for_phone(phone: Phone, *, include_sensitive: bool = False) -> QuerySet[Breach]:
    """Breaches that contain the number, newest first; only public ones."""
    return breaches_for_hashes(phone_hashes(phone.e164), include_sensitive=include_sensitive)


def breaches_for_hashes(
    hashes: Mapping[int, bytes], *, include_sensitive: bool = False
) -> QuerySet[Breach]:
    """Breaches that contain the number given as `leaks.hashing.phone_hashes` gives it:
    its stored key under each key version, and legacy digests under negative versions."""
    match, legacy = Q(phone_key__in=[]), Q(pk__in=[])
    for version, digest in hashes.items():
        if version > 0 and len(digest) == KEY_BYTES:
            match |= Q(phone_key=stored_key(digest), key_version=version)
        elif version < 0:
            legacy |= Q(phone_hash=digest, key_version=-version)
    found = Q(pk__in=Exposure.objects.filter(match).values("breach_id"))
    if any(version < 0 for version in hashes):
        found |= Q(pk__in=LegacyExposure.objects.filter(legacy).values("breach_id"))
    breaches = Breach.objects.public().filter(found)
    if not include_sensitive:
        breaches = breaches.filter(is_sensitive=False)
    # Newest first and undated last, the same on SQLite and PostgreSQL.
    return breaches.order_by(F("breach_date").desc(nulls_last=True), "title")


def private_breaches() -> QuerySet[Breach]:
    """The breaches the private check may name: public ones, never sensitive."""
    return Breach.objects.public().filter(is_sensitive=False)


def bucket_entries(bucket: int, version: int) -> list[tuple[bytes, int]]:
    """The private check's answer: (6-byte output prefix, breach id) of every exposure
    in the bucket under one key version, in public breaches only; one index range scan."""
    first, last = bucket_range(bucket)
    rows = Exposure.objects.filter(
        phone_key__gte=first,
        phone_key__lte=last,
        key_version=version,
        breach__in=private_breaches(),
    ).values_list("phone_key", "breach_id")
    return [(key_bytes(key)[2:], breach_id) for key, breach_id in rows]


def totals() -> dict:
    listed = Breach.objects.public()
    return {
        "breaches": listed.count(),
        "numbers": listed.aggregate(n=Sum("pwn_count"))["n"] or 0,
    }
