import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from leaks.hashing import phone_hashes
from leaks.lookups import breach_ids_for_hashes
from leaks.models import Breach
from leaks.phones import InvalidPhone, normalize


class Command(BaseCommand):
    help = (
        "Show every breach holding a number, for operators: unpublished, retired and "
        "sensitive ones included, and marked."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("number")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--region", help="default region for numbers without +")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            phone = normalize(opts["number"], opts["region"])
        except InvalidPhone as exc:
            raise CommandError(exc.message) from None
        # Not found_breaches (the public lookup): an operator checks an import
        # before publishing it, so every breach holding the number is listed.
        ids = breach_ids_for_hashes(phone_hashes(phone.e164))
        public_ids = set(Breach.objects.public().filter(pk__in=ids).values_list("pk", flat=True))
        breaches = [
            {
                "slug": breach.slug,
                "title": breach.title,
                "breach_date": breach.breach_date.isoformat() if breach.breach_date else None,
                "data_classes": breach.data_classes,
                "published": breach.published_at is not None,
                "sensitive": breach.is_sensitive,
                "retired": breach.is_retired,
                "public": breach.pk in public_ids,
            }
            for breach in Breach.objects.filter(pk__in=ids).order_by("-breach_date", "title")
        ]
        if opts["json"]:
            result = {"number": phone.masked, "breaches": breaches}
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        self.stdout.write(f"{phone.masked}: {len(breaches)} breach(es)")
        for item in breaches:
            marks = [
                mark
                for mark, on in (
                    ("unpublished", not item["published"]),
                    ("sensitive", item["sensitive"]),
                    ("retired", item["retired"]),
                )
                if on
            ]
            flags = f"  [{', '.join(marks)}]" if marks else ""
            self.stdout.write(f"  {item['slug']}  {item['breach_date']}  {item['title']}{flags}")
