"""The public breach catalogue: what the site knows, shared by the pages and the API.

Nothing here touches a phone number. The quality figures come from the import
reports, which hold only counts; they are read defensively because the report
grows over time and old jobs carry older shapes.
"""

import datetime
import hashlib
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Max, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from leaks import advice, data_classes, provinces
from leaks.models import Breach, ImportJob
from leaks.phones import KIND_LABELS, REASONS

SORTS = {
    "added": ("-added_date", "title"),
    "size": ("-pwn_count", "title"),
}
DEFAULT_SORT = "added"
# A province named for a handful of numbers says too much about those few
# people; small regions are folded into "other".
MIN_REGION_COUNT = 10


def breach_page(breach: Breach) -> dict:
    """The context of a breach's public page (web) and of its preview (staff)."""
    quality = breach_quality(breach)
    return {
        "breach": breach,
        "classes": [data_classes.label(key) for key in breach.data_classes],
        "meanings": advice.meanings(breach.data_classes),
        # Only where the numbers are registered: the dump's quality figures
        # (invalid rows, duplicates, virtual operators) are for the admin.
        "region_bars": quality.region_bars() if quality else [],
    }


def breaches_listed(
    *, sort: str = DEFAULT_SORT, domain: str = "", include_unverified: bool = True
) -> QuerySet[Breach]:
    """Every breach the catalogue shows: the public ones (sensitive ones too, by name)."""
    breaches = Breach.objects.public()
    if domain:
        breaches = breaches.filter(domain__iexact=domain.strip())
    if not include_unverified:
        breaches = breaches.filter(is_verified=True)
    return breaches.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))


def breach_listed(slug: str) -> Breach | None:
    return Breach.objects.public().filter(slug=slug).first()


def breach_latest() -> Breach | None:
    return Breach.objects.public().order_by("-added_date", "-pk").first()


@dataclass(frozen=True)
class CatalogueVersion:
    """Changes whenever anything a catalogue reader sees changes."""

    tag: str
    last_modified: datetime.datetime | None


def catalogue_version() -> CatalogueVersion:
    # An import updates pwn_count with update_fields, which leaves
    # modified_date alone, so finished imports count as changes too.
    breaches = Breach.objects.public().aggregate(
        n=Count("pk"), changed=Max("modified_date"), size=Sum("pwn_count")
    )
    imported = ImportJob.objects.filter(status=ImportJob.Status.DONE).aggregate(
        n=Count("pk"), at=Max("finished_at")
    )
    seed = (
        f"{breaches['n']}|{breaches['changed']}|{breaches['size']}|{imported['n']}|{imported['at']}"
    )
    stamps = [stamp for stamp in (breaches["changed"], imported["at"]) if stamp]
    return CatalogueVersion(
        tag=hashlib.sha256(seed.encode()).hexdigest()[:32],
        last_modified=max(stamps) if stamps else None,
    )


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    percent: float


def bars(counts: dict[str, int], labels: dict | None = None) -> list[Bar]:
    total = sum(counts.values())
    if not total:
        return []
    return [
        Bar(label=str((labels or {}).get(key, key)), count=count, percent=100 * count / total)
        for key, count in sorted(counts.items(), key=lambda item: -item[1])
    ]


@dataclass
class Quality:
    """Figures about a breach's dumps that are safe to publish: counts and shares only."""

    imports: int = 0
    rows: int = 0
    valid: int = 0
    invalid: int = 0
    duplicates: int = 0
    virtual_operator: int = 0
    kinds: Counter = field(default_factory=Counter)
    regions: Counter = field(default_factory=Counter)
    invalid_reasons: Counter = field(default_factory=Counter)

    @property
    def invalid_percent(self) -> float:
        checked = self.valid + self.invalid
        return 100 * self.invalid / checked if checked else 0.0

    @property
    def virtual_percent(self) -> float:
        return 100 * self.virtual_operator / self.valid if self.valid else 0.0

    def kind_bars(self) -> list[Bar]:
        return bars(dict(self.kinds), KIND_LABELS)

    def region_bars(self) -> list[Bar]:
        """Provinces (or countries) named in the reader's language; small ones folded."""
        merged: Counter[str] = Counter()
        for key, n in self.regions.items():
            merged[provinces.canonical(key)] += n
        shown = {key: n for key, n in merged.items() if n >= MIN_REGION_COUNT}
        other = sum(merged.values()) - sum(shown.values())
        labels = {key: provinces.label(key) for key in shown}
        return bars(shown | ({str(_("Other")): other} if other else {}), labels)

    def reason_bars(self) -> list[Bar]:
        return bars(dict(self.invalid_reasons), REASONS)


def breach_quality(breach: Breach) -> Quality | None:
    """Add up the reports of the breach's finished imports; None when there are none."""
    jobs = ImportJob.objects.filter(breach=breach, status=ImportJob.Status.DONE)
    quality = Quality()
    for job in jobs.only("rows", "valid", "invalid", "duplicates", "report"):
        report = job.report if isinstance(job.report, dict) else {}
        quality.imports += 1
        quality.rows += job.rows
        quality.valid += job.valid
        quality.invalid += job.invalid
        quality.duplicates += job.duplicates
        quality.virtual_operator += _count(report.get("virtual_operator"))
        quality.kinds.update(_counts(report.get("kinds")))
        quality.regions.update(_counts(report.get("top_regions")))
        quality.invalid_reasons.update(_counts(report.get("invalid_reasons")))
    return quality if quality.imports else None


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _counts(value: object) -> dict[str, int]:
    if not isinstance(value, dict):
        return {}
    return {str(key): _count(n) for key, n in value.items() if _count(n)}
