from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from leaks.backup import BackupError, current_secrets, dump_database
from leaks.sealed_secrets import SecretsError, passphrase_from_env_or_prompt, seal, write_private


class Command(BaseCommand):
    help = (
        "Back up the database (NAME.dump, no secret in it) and, apart from it, the secrets "
        "that live outside the database (NAME.secrets, sealed with a passphrase from "
        "BACKUP_PASSPHRASE or the terminal). Keep the two files in different places."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--to", type=Path, required=True, help="folder for the two files")
        parser.add_argument("--name", help="file name stem (default: breachcheck-<UTC time>)")

    def handle(self, *args: Any, **opts: Any) -> None:
        created = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        stem = opts["name"] or f"breachcheck-{created}"
        folder: Path = opts["to"]
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        dump, sealed = folder / f"{stem}.dump", folder / f"{stem}.secrets"
        for path in (dump, sealed):
            if path.exists():
                raise CommandError(f"{path} exists: a backup never overwrites one.")
        try:
            # The passphrase first: a backup that cannot be completed writes nothing.
            secrets = seal(
                current_secrets(), passphrase_from_env_or_prompt(confirm=True), created=created
            )
            dump_database(dump)
        except (BackupError, SecretsError) as error:
            raise CommandError(str(error)) from None
        write_private(sealed, secrets.decode())
        self.stdout.write(f"database: {dump}\nsecrets:  {sealed}")
        self.stdout.write(
            "Keep the two apart: the dump alone reveals no number, the secrets alone hold "
            "no data; whoever has both (and the passphrase) can match numbers."
        )
