from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from leaks.backup import BackupError, restore_database


class Command(BaseCommand):
    help = (
        "Restore a dump made by `manage.py backup` into the configured database, which must "
        "be new and empty (DATABASE_URL, or SQLITE_PATH naming a new file). Restore the "
        "secrets first (python -m leaks.sealed_secrets): without the pepper the dump's keys "
        "match no number."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dump", type=Path)

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            restore_database(opts["dump"])
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"restored {opts['dump']}")
