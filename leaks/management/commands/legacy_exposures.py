"""HMAC rows from before the OPRF: list them; drop a breach's once its dump is imported again."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Count

from leaks.models import Breach, Exposure, LegacyExposure


class Command(BaseCommand):
    help = (
        "List breaches that still have HMAC rows from before the OPRF (they answer "
        "server-side checks only); --drop SLUG deletes a breach's once its dump is imported again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--drop", metavar="SLUG", help="delete this breach's legacy rows")

    def handle(self, *args: Any, drop: str | None = None, **options: Any) -> None:
        if drop:
            self._drop(drop)
        counts = LegacyExposure.objects.values("breach__slug").annotate(rows=Count("pk"))
        if not counts:
            self.stdout.write("No legacy rows left.")
        for row in counts.order_by("breach__slug"):
            self.stdout.write(f"{row['breach__slug']}: {row['rows']} legacy rows")

    @transaction.atomic
    def _drop(self, slug: str) -> None:
        breach = Breach.objects.select_for_update().filter(slug=slug).first()
        if breach is None:
            raise CommandError(f"No breach named {slug!r}.")
        deleted, _ = LegacyExposure.objects.filter(breach=breach).delete()
        # The count scans the table (no index by breach): a rare, deliberate step.
        breach.pwn_count = Exposure.objects.filter(breach=breach).count()
        breach.save(update_fields=["pwn_count"])
        kept = breach.pwn_count
        self.stdout.write(f"{slug}: {deleted} legacy rows deleted, {kept} numbers kept.")
