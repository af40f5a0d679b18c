"""Backups that restore: the database dump, and apart from it the sealed secrets.

``manage.py backup`` writes two files: ``<name>.dump`` (``pg_dump -Fc`` on PostgreSQL,
a consistent copy through SQLite's backup API on SQLite), which holds no secret, and
``<name>.secrets`` (leaks/sealed_secrets.py), which holds the secrets that live
outside the database and nothing else. ``python -m leaks.sealed_secrets`` and
``manage.py restore_database`` put them back (docs/OPERATIONS.md).
"""

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from leaks.sealed_secrets import SecretsError, write_private


class BackupError(Exception):
    """A backup or a restore that cannot go on; the message says why."""


def current_secrets() -> dict[str, str]:
    """The secrets this site runs with that live outside its database: the pepper(s)
    the stored keys are made with, the key of subscribers' contacts, and SECRET_KEY
    (sealed sessions, ownership codes, signed links, counters) and POW_HMAC_KEY."""
    secrets = {
        "BREACHCHECK_PEPPER": settings.BREACHCHECK_PEPPER
        or _read(settings.BREACHCHECK_PEPPER_DEFAULT_FILE),
        "BREACHCHECK_PEPPER_VERSION": str(settings.BREACHCHECK_PEPPER_VERSION),
        "BREACHCHECK_OLD_PEPPERS": settings.BREACHCHECK_OLD_PEPPERS,
        "ALERTS_FERNET_KEY": settings.ALERTS_FERNET_KEY
        or _read(settings.ALERTS_FERNET_KEY_DEFAULT_FILE),
        "SECRET_KEY": settings.SECRET_KEY,
        "POW_HMAC_KEY": settings.POW_HMAC_KEY,
    }
    if not secrets["BREACHCHECK_PEPPER"]:
        raise SecretsError("This site has no pepper: there is nothing to back up it could use.")
    return {name: value for name, value in secrets.items() if value}


def dump_database(path: Path, alias: str = DEFAULT_DB_ALIAS) -> None:
    """A consistent copy of the database in ``path`` (a new file, owner-only)."""
    connection = connections[alias]
    partial = path.with_name(path.name + ".partial")
    write_private(partial, "")
    try:
        if connection.vendor == "postgresql":
            _run(
                ["pg_dump", "--format=custom", f"--file={partial}", *_pg_args(connection)],
                connection,
            )
        elif connection.vendor == "sqlite":
            with _sqlite(connection.settings_dict["NAME"]) as source, _sqlite(partial) as copy:
                source.backup(copy)
        else:
            raise BackupError(f"No backup for a {connection.vendor} database.")
        partial.rename(path)
    finally:
        partial.unlink(missing_ok=True)


def restore_database(path: Path, alias: str = DEFAULT_DB_ALIAS) -> None:
    """The dump in ``path`` into the database ``alias`` names, which must be empty:
    a restore never mixes with, or overwrites, data that is there."""
    connection = connections[alias]
    if not path.is_file():
        raise BackupError(f"No such dump: {path}")
    if connection.vendor == "postgresql":
        if connection.introspection.table_names():
            raise BackupError(
                f"The database {connection.settings_dict['NAME']} is not empty: restore "
                "into a new one (createdb), never over a site's data."
            )
        connection.close()
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                *_pg_args(connection, flag="--dbname"),
                str(path),
            ],
            connection,
        )
    elif connection.vendor == "sqlite":
        target = Path(connection.settings_dict["NAME"])
        connection.close()
        if target.exists() and target.stat().st_size:
            raise BackupError(f"{target} exists: restore into a new file (SQLITE_PATH).")
        with _sqlite(path) as dump:
            if dump.execute("PRAGMA quick_check").fetchone() != ("ok",):
                raise BackupError(f"{path} is not a sound SQLite database.")
            # Readable by its owner only before the first row is copied in.
            target.touch(mode=0o600)
            os.chmod(target, 0o600)
            with _sqlite(target) as copy:
                dump.backup(copy)
    else:
        raise BackupError(f"No restore for a {connection.vendor} database.")


def _pg_args(connection: Any, flag: str = "") -> list[str]:
    """pg_dump's and pg_restore's connection arguments (the password goes through
    the environment, never the command line)."""
    params = connection.settings_dict
    args = []
    if params.get("HOST"):
        args.append(f"--host={params['HOST']}")
    if params.get("PORT"):
        args.append(f"--port={params['PORT']}")
    if params.get("USER"):
        args.append(f"--username={params['USER']}")
    args.append("--no-password")
    args.append(f"{flag}={params['NAME']}" if flag else params["NAME"])
    return args


def _run(command: list[str], connection: Any) -> None:
    if not shutil.which(command[0]):
        raise BackupError(f"{command[0]} is not on PATH (PostgreSQL's client programs).")
    env = dict(os.environ)
    password = connection.settings_dict.get("PASSWORD")
    if password:
        env["PGPASSWORD"] = password
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()}")


def _sqlite(path: str | Path) -> closing[sqlite3.Connection]:
    return closing(sqlite3.connect(path, timeout=30))


def _read(path: Path) -> str:
    return path.read_text().strip() if path.exists() else ""
