"""Which breaches hold a number: the read side of the site."""

from collections.abc import Mapping

from django.db.models import F, Q, QuerySet, Sum

from leaks.hashing import phone_hashes
from leaks.models import Breach, Exposure
from leaks.phones import Phone


def breaches_for_phone(phone: Phone, *, include_sensitive: bool = False) -> QuerySet[Breach]:
    """Breaches that contain the number, newest first; only public ones."""
    return breaches_for_hashes(phone_hashes(phone.e164), include_sensitive=include_sensitive)


def breaches_for_hashes(
    hashes: Mapping[int, bytes], *, include_sensitive: bool = False
) -> QuerySet[Breach]:
    """Breaches that contain the number given as its hash under each key version."""
    match = Q(pk__in=[])
    for version, digest in hashes.items():
        match |= Q(phone_hash=digest, key_version=version)
    breach_ids = Exposure.objects.filter(match).values("breach_id")
    breaches = Breach.objects.public().filter(pk__in=breach_ids)
    if not include_sensitive:
        breaches = breaches.filter(is_sensitive=False)
    # Newest first and undated last, the same on SQLite and PostgreSQL.
    return breaches.order_by(F("breach_date").desc(nulls_last=True), "title")


def totals() -> dict:
    listed = Breach.objects.public()
    return {
        "breaches": listed.count(),
        "numbers": listed.aggregate(n=Sum("pwn_count"))["n"] or 0,
    }
