"""The secrets that live outside the database, sealed in a file of their own.

A backup is two files kept apart (docs/OPERATIONS.md): the database dump, and this
one, encrypted under a passphrase the operator gives (scrypt, then AES-256-GCM;
the file's header is authenticated too). Without the pepper every key in the dump
is useless: no number can ever be matched again, and no subscription either.

This module needs no Django settings, so a machine that has nothing yet (no
SECRET_KEY, no pepper) can open the file before ``manage.py`` can start:

    python -m leaks.sealed_secrets BACKUP.secrets --env-file /etc/breachcheck/secrets.env
    python -m leaks.sealed_secrets BACKUP.secrets --data-dir .data   # the embedded default

The passphrase comes from ``BACKUP_PASSPHRASE`` (or the file ``BACKUP_PASSPHRASE_FILE``
names), else it is asked for on the terminal.
"""

import argparse
import base64
import getpass
import json
import os
import sys
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

FORMAT = "breachcheck-secrets"
VERSION = 1
# scrypt's cost (about 0.3 s and 128 MiB here): a guess at a passphrase costs as much.
SCRYPT = {"n": 2**17, "r": 8, "p": 1}
MIN_PASSPHRASE = 12
# What a restore must put back, in the order an env file lists them.
NAMES = (
    "BREACHCHECK_PEPPER",
    "BREACHCHECK_PEPPER_VERSION",
    "BREACHCHECK_OLD_PEPPERS",
    "ALERTS_FERNET_KEY",
    "SECRET_KEY",
    "POW_HMAC_KEY",
)
# The embedded default's files (Makefile, breachcheck/settings.py) for the secrets it
# reads from DATA_DIR.
DATA_FILES = {
    "BREACHCHECK_PEPPER": "pepper",
    "ALERTS_FERNET_KEY": "alerts-key",
    "SECRET_KEY": "secret-key",
}


class SecretsError(Exception):
    """A sealed file that cannot be opened, or a passphrase that will not do."""


def seal(secrets: dict[str, str], passphrase: str, *, created: str = "") -> bytes:
    """The file's bytes: a JSON header (format, KDF parameters, nonce) and the
    secrets encrypted under a key derived from the passphrase."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise SecretsError(f"The passphrase must be at least {MIN_PASSPHRASE} characters.")
    salt, nonce = os.urandom(16), os.urandom(12)
    header = {
        "format": FORMAT,
        "version": VERSION,
        "created": created,
        "kdf": {"name": "scrypt", "salt": _b64(salt), **SCRYPT},
        "cipher": "AES-256-GCM",
        "nonce": _b64(nonce),
    }
    plain = json.dumps({"secrets": secrets}).encode()
    sealed = AESGCM(_key(passphrase, header)).encrypt(nonce, plain, _aad(header))
    return (json.dumps({**header, "ciphertext": _b64(sealed)}, indent=1) + "\n").encode()


def unseal(data: bytes, passphrase: str) -> dict[str, str]:
    """The secrets in a sealed file; SecretsError if the passphrase is wrong or the
    file was changed."""
    try:
        document = json.loads(data)
        header = {key: value for key, value in document.items() if key != "ciphertext"}
        if header.get("format") != FORMAT or header.get("version") != VERSION:
            raise ValueError
        sealed = base64.b64decode(document["ciphertext"])
        nonce = base64.b64decode(header["nonce"])
    except (ValueError, KeyError, TypeError):
        raise SecretsError("This is not a breachcheck secrets file.") from None
    try:
        plain = AESGCM(_key(passphrase, header)).decrypt(nonce, sealed, _aad(header))
    except InvalidTag:
        raise SecretsError(
            "Wrong passphrase, or the secrets file was changed: nothing was restored."
        ) from None
    return dict(json.loads(plain)["secrets"])


def env_text(secrets: dict[str, str]) -> str:
    """The secrets as an environment file (systemd EnvironmentFile, docker --env-file)."""
    lines = ["# breachcheck secrets, restored from a backup. Keep this file private."]
    for name in NAMES:
        value = secrets.get(name, "")
        if value:
            if any(c in value for c in "\n\r\"'\\ $#"):
                raise SecretsError(f"{name} holds characters an environment file cannot keep.")
            lines.append(f"{name}={value}")
    return "\n".join(lines) + "\n"


def write_private(path: Path, text: str) -> None:
    """A new file readable by its owner only from the first byte; never overwrites."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)


def write_data_dir(secrets: dict[str, str], data_dir: Path) -> list[Path]:
    """The embedded default's secret files in ``data_dir`` (which reads the current
    pepper only: older peppers need the environment file)."""
    if (
        secrets.get("BREACHCHECK_OLD_PEPPERS")
        or secrets.get("BREACHCHECK_PEPPER_VERSION", "1") != "1"
    ):
        raise SecretsError(
            "These secrets hold old peppers or a pepper version other than 1, which the "
            "data folder cannot keep: restore them with --env-file instead."
        )
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    written = []
    for name, filename in DATA_FILES.items():
        if secrets.get(name):
            write_private(data_dir / filename, secrets[name] + "\n")
            written.append(data_dir / filename)
    return written


def passphrase_from_env_or_prompt(*, confirm: bool) -> str:
    """BACKUP_PASSPHRASE, the file BACKUP_PASSPHRASE_FILE names, or the terminal."""
    if os.getenv("BACKUP_PASSPHRASE"):
        return os.environ["BACKUP_PASSPHRASE"]
    if os.getenv("BACKUP_PASSPHRASE_FILE"):
        return Path(os.environ["BACKUP_PASSPHRASE_FILE"]).read_text().strip()
    if not sys.stdin.isatty():
        raise SecretsError(
            "Set BACKUP_PASSPHRASE (or BACKUP_PASSPHRASE_FILE), or run on a terminal."
        )
    passphrase = getpass.getpass("Backup passphrase: ")
    if confirm and getpass.getpass("The same passphrase again: ") != passphrase:
        raise SecretsError("The two passphrases differ.")
    return passphrase


def _key(passphrase: str, header: dict) -> bytes:
    kdf = header["kdf"]
    # The header is read before its tag is checked: take only the parameters this
    # version writes, so a changed file cannot ask for gigabytes of memory.
    if kdf.get("name") != "scrypt" or {k: kdf.get(k) for k in SCRYPT} != SCRYPT:
        raise SecretsError("This secrets file uses a key derivation this version does not know.")
    return Scrypt(
        salt=base64.b64decode(kdf["salt"]), length=32, n=kdf["n"], r=kdf["r"], p=kdf["p"]
    ).derive(passphrase.encode())


def _aad(header: dict) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m leaks.sealed_secrets",
        description="Open a backup's secrets file and write the secrets where the site reads them.",
    )
    parser.add_argument("file", type=Path, help="the backup's .secrets file")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--env-file", type=Path, help="write an environment file (new file)")
    where.add_argument("--data-dir", type=Path, help="write the embedded default's files")
    args = parser.parse_args(argv)
    try:
        secrets = unseal(args.file.read_bytes(), passphrase_from_env_or_prompt(confirm=False))
        if args.env_file:
            write_private(args.env_file, env_text(secrets))
            written = [args.env_file]
        else:
            written = write_data_dir(secrets, args.data_dir)
    except FileExistsError as error:
        print(f"error: {error.filename} exists: a restore never overwrites it.", file=sys.stderr)
        return 1
    except (SecretsError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
