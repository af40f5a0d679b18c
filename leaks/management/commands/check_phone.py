import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from leaks.lookups import found_breaches
from leaks.phones import InvalidPhone, normalize


class Command(BaseCommand):
    help = "Show which breaches contain a number (sensitive ones included for operators)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("number")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--region", help="default region for numbers without +")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            phone = normalize(opts["number"], opts["region"])
        except InvalidPhone as exc:
            raise CommandError(exc.message) from None
        breaches = [
            {
                "slug": breach.slug,
                "title": breach.title,
                "breach_date": breach.breach_date.isoformat() if breach.breach_date else None,
                "data_classes": breach.data_classes,
                "sensitive": breach.is_sensitive,
            }
            for breach in found_breaches(phone, include_sensitive=True)
        ]
        if opts["json"]:
            result = {"number": phone.masked, "breaches": breaches}
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        self.stdout.write(f"{phone.masked}: {len(breaches)} breach(es)")
        for item in breaches:
            self.stdout.write(f"  {item['slug']}  {item['breach_date']}  {item['title']}")
