"""Backups restore: the dump and the sealed secrets, on a machine with nothing, give the
same answers for the same numbers; the dump alone holds no secret and no number."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from leaks.lookups import found_breaches
from leaks.phones import normalize
from leaks.sealed_secrets import SecretsError, seal, unseal
from tests.factories import breach_with_numbers, subscribe
from tests.support import ROOT

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

PASSPHRASE = "correct horse battery staple"
NUMBERS = ["13800138000", "13900139000", "13700137000", "+14155550100"]
EMAIL = "owner@example.com"


@pytest.fixture
def site():
    breach_with_numbers("shop", ["13800138000", "13900139000"], title="Card shop")
    breach_with_numbers("forum", ["13800138000", "+14155550100"], title="Forum")
    breach_with_numbers("clinic", ["13900139000"], title="Clinic", is_sensitive=True)
    subscribe("13800138000", email=EMAIL)


@pytest.fixture
def fresh_database(tmp_path):
    """Where the restore goes: a new PostgreSQL database, or a new SQLite file."""
    if connection.vendor != "postgresql":
        yield {"SQLITE_PATH": str(tmp_path / "restored.sqlite3")}
        return
    params = connection.settings_dict
    name = f"{params['NAME']}_restored"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    host = params.get("HOST") or "127.0.0.1"
    yield {"DATABASE_URL": f"postgres://{params['USER']}{password}@{host}:{params['PORT']}/{name}"}
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def passphrase(monkeypatch):
    monkeypatch.setenv("BACKUP_PASSPHRASE", PASSPHRASE)
    return PASSPHRASE


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


def bare_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A machine with nothing of this site's: no secret, no data folder, no database."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "breachcheck.settings",
        "BREACHCHECK_DATA_DIR": str(tmp_path / "new-site"),
        **extra,
    }


def env_file(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


LOOKUP = (
    "import json, sys; from leaks.lookups import found_breaches; "
    "from leaks.phones import normalize; "
    "print(json.dumps({n: [b.slug for b in found_breaches(normalize(n), include_sensitive=True)] "
    "for n in sys.argv[1:]}))"
)


def answers(env: dict[str, str]) -> dict[str, list[str]]:
    """The site's lookup of each number, sensitive breaches included, as the restored
    site answers it."""
    result = run(env, "-c", f"import django; django.setup(); {LOOKUP}", *NUMBERS)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def backup(folder: Path) -> tuple[Path, Path]:
    call_command("backup", "--to", str(folder), "--name", "nightly")
    return folder / "nightly.dump", folder / "nightly.secrets"


def test_a_backup_restores_to_the_same_answers(site, fresh_database, passphrase, tmp_path):
    expected = {
        number: [b.slug for b in found_breaches(normalize(number), include_sensitive=True)]
        for number in NUMBERS
    }
    assert sorted(expected["13800138000"]) == ["forum", "shop"] and expected["13700137000"] == []
    dump, secrets = backup(tmp_path / "backups")

    # The secrets first (no Django settings needed), then the database into a new one.
    env = bare_env(tmp_path, **fresh_database, BACKUP_PASSPHRASE=passphrase)
    opened = run(
        env, "-m", "leaks.sealed_secrets", str(secrets), "--env-file", str(tmp_path / "env")
    )
    assert opened.returncode == 0, opened.stderr
    assert (tmp_path / "env").stat().st_mode & 0o077 == 0
    restored = {**env, **env_file(tmp_path / "env")}
    assert restored["BREACHCHECK_PEPPER"] == settings.BREACHCHECK_PEPPER
    result = run(restored, "manage.py", "restore_database", str(dump))
    assert result.returncode == 0, result.stderr

    assert answers(restored) == expected
    # The subscriber's contact opens with the restored contacts key.
    contact = run(
        restored,
        "manage.py",
        "shell",
        "-c",
        "from alerts.crypto import unseal; from alerts.models import Subscription; "
        "print(unseal(Subscription.objects.get().contact_sealed))",
    )
    assert EMAIL in contact.stdout, contact.stderr
    # The same dump under another pepper: every stored key is useless.
    other = {**restored, "BREACHCHECK_PEPPER": "another-pepper-" + "q" * 40}
    assert answers(other) == {number: [] for number in NUMBERS}


def test_a_wrong_passphrase_is_refused_clearly(site, passphrase, tmp_path):
    _, secrets = backup(tmp_path / "backups")
    env = bare_env(tmp_path, BACKUP_PASSPHRASE="not the passphrase at all")
    opened = run(
        env, "-m", "leaks.sealed_secrets", str(secrets), "--env-file", str(tmp_path / "env")
    )
    assert opened.returncode == 1
    assert "Wrong passphrase, or the secrets file was changed: nothing was restored." in (
        opened.stderr
    )
    assert not (tmp_path / "env").exists()


def test_a_changed_secrets_file_is_refused():
    sealed = seal({"BREACHCHECK_PEPPER": "p" * 40}, PASSPHRASE)
    assert unseal(sealed, PASSPHRASE) == {"BREACHCHECK_PEPPER": "p" * 40}
    for changed in (
        sealed.replace(b'"created": ""', b'"created": "x"'),  # the header is authenticated
        sealed.replace(b'"ciphertext": "', b'"ciphertext": "AAAA'),
    ):
        with pytest.raises(SecretsError, match="Wrong passphrase"):
            unseal(changed, PASSPHRASE)
    with pytest.raises(SecretsError, match="not a breachcheck secrets file"):
        unseal(b"{}", PASSPHRASE)
    # A header asking scrypt for gigabytes is refused before any key is derived.
    greedy = sealed.replace(b'"n": 131072', b'"n": 1073741824')
    assert greedy != sealed
    with pytest.raises(SecretsError, match="does not know"):
        unseal(greedy, PASSPHRASE)


def test_the_dump_holds_no_secret_and_no_number(site, passphrase, tmp_path):
    dump, secrets = backup(tmp_path / "backups")
    if connection.vendor == "postgresql":
        text = subprocess.run(
            ["pg_restore", "--file=-", str(dump)], capture_output=True, check=True
        ).stdout
        assert b"leaks_exposure" in text  # the dump read as SQL, or this proves nothing
    else:
        text = dump.read_bytes()
        assert b"leaks_exposure" in text
    assert dump.stat().st_mode & 0o077 == 0 and secrets.stat().st_mode & 0o077 == 0
    for secret in (
        settings.BREACHCHECK_PEPPER,
        settings.ALERTS_FERNET_KEY,
        settings.SECRET_KEY,
        PASSPHRASE,
    ):
        assert secret.encode() not in text
        assert secret.encode() not in secrets.read_bytes()
    for number in ("13800138000", "4155550100", EMAIL):
        assert number.encode() not in text


def test_a_backup_needs_a_passphrase(site, monkeypatch, tmp_path):
    monkeypatch.delenv("BACKUP_PASSPHRASE", raising=False)
    monkeypatch.delenv("BACKUP_PASSPHRASE_FILE", raising=False)
    with pytest.raises(CommandError, match="Set BACKUP_PASSPHRASE"):
        backup(tmp_path / "backups")
    monkeypatch.setenv("BACKUP_PASSPHRASE", "short")
    with pytest.raises(CommandError, match="at least 12 characters"):
        backup(tmp_path / "backups")
    assert list((tmp_path / "backups").iterdir()) == []


def test_a_restore_never_writes_over_a_database(site, passphrase, tmp_path):
    dump, _ = backup(tmp_path / "backups")
    with pytest.raises(CommandError, match="not empty|exists"):
        call_command("restore_database", str(dump))
    assert found_breaches(normalize("13800138000"))  # the site's data is still there
