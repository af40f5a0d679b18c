from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from imports.demo import DEMO_NUMBER, DEMO_SLUG, load_demo


def boxed(lines: list[str]) -> str:
    """Lines framed in ASCII so they stand out among a server's log lines."""
    width = max(len(line) for line in lines)
    rule = "+" + "-" * (width + 4) + "+"
    return "\n".join([rule, *(f"|  {line.ljust(width)}  |" for line in lines), rule])


class Command(BaseCommand):
    help = "Load a small made-up breach and print a number that is in it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--print-only",
            action="store_true",
            help="only print the demo number again (make run does, after the server starts)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["print_only"]:
            summary = f"The demo breach '{DEMO_SLUG}' holds this number."
        else:
            breach = load_demo()
            summary = f"Demo breach '{breach.slug}' holds {breach.pwn_count} numbers."
        site = settings.SITE_URL + "/"
        box = boxed(
            [
                summary,
                f"Open {site} and check: {DEMO_NUMBER}",
                "Texted codes and emails are printed in this terminal.",
            ]
        )
        self.stdout.write("\n" + box + "\n")
