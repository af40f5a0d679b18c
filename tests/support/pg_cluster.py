"""PostgreSQL clusters of a test's own: a primary and a hot standby streaming from it.

Each cluster lives in a temporary folder, listens on a free port of 127.0.0.1 only
(and on a socket in its folder, never in /var/run/postgresql), and trusts local
connections. As root the programs run as the ``postgres`` OS user (initdb refuses
root). ``primary_and_standby()`` stops both and removes the folder when the block
ends, also when it fails.
"""

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.redis_server import free_port
from tests.support.services import need

PG_ROOT = Path("/usr/lib/postgresql")
OS_USER = "postgres"


def bin_dir() -> Path | None:
    """The newest installed server's programs (Debian keeps them out of PATH)."""
    found = sorted(
        (path for path in PG_ROOT.glob("*/bin") if (path / "initdb").exists()),
        key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0,
    )
    return found[-1] if found else None


class Cluster:
    def __init__(self, bindir: Path, root: Path, name: str) -> None:
        self.bindir = bindir
        self.root = root
        self.data = root / name
        self.log = root / f"{name}.log"
        self.port = free_port()

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def run(self, program: str, *args: str, check: bool = True) -> str:
        """One of the server's programs, as the postgres OS user when we are root."""
        command = [str(self.bindir / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", OS_USER, "--", *command]
        result = subprocess.run(
            command, cwd=self.root, capture_output=True, text=True, timeout=120, check=False
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"{program} failed: {result.stderr or result.stdout}")
        return result.stdout

    def sql(self, statement: str, database: str = "postgres") -> str:
        """One statement through psql; its single value (or rows) as text."""
        return self.run(
            "psql",
            *("-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database),
            *("-XAtq", "-v", "ON_ERROR_STOP=1", "-c", statement),
        ).strip()

    def configure(self) -> None:
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"\nport = {self.port}\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.root}'\n"
                # A throw-away cluster: speed over durability.
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "shared_buffers = 32MB\nmax_connections = 40\n"
                "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n"
            )

    def start(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = subprocess.run(
                [str(self.bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"],
                check=False,
            )
            if result.returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError(f"the cluster on port {self.port} did not start; see {self.log}")


class Standby(Cluster):
    def caught_up_with(self, primary: Cluster, timeout: float = 30) -> None:
        """Wait until the standby has replayed everything the primary wrote so far."""
        target = primary.sql("SELECT pg_current_wal_insert_lsn()")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.sql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn") == "t":
                return
            time.sleep(0.1)
        raise RuntimeError(f"the standby did not replay up to {target} in {timeout:.0f} s")


@contextmanager
def primary_and_standby() -> Iterator[tuple[Cluster, Standby]]:
    """A primary and a hot standby made with ``pg_basebackup -R``, both running."""
    bindir = bin_dir()
    need(bindir is not None, f"PostgreSQL server programs under {PG_ROOT}")
    assert bindir is not None
    need(os.geteuid() != 0 or _has_user(OS_USER), f"the {OS_USER} OS user")
    root = Path(tempfile.mkdtemp(prefix="bc-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, OS_USER, OS_USER)
    primary = Cluster(bindir, root, "primary")
    standby = Standby(bindir, root, "standby")
    try:
        primary.run(
            "initdb", "-D", str(primary.data), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        primary.configure()
        primary.start()
        primary.run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
            "-D", str(standby.data), "-R", "-X", "stream", "-c", "fast", "--no-sync",
        )  # fmt: skip
        standby.configure()
        standby.start()
        standby.wait_ready()
        assert standby.sql("SELECT pg_is_in_recovery()") == "t"
        yield primary, standby
    finally:
        standby.stop()
        primary.stop()
        shutil.rmtree(root, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
