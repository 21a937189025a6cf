"""A throw-away PostgreSQL server on a free loopback port, for tests and the benchmark.

Uses Debian's binaries (initdb, pg_ctl). initdb refuses to run as root, so under root the
cluster is created and run as the ``postgres`` system user in a folder handed to it.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_DB_COUNTER = itertools.count(1)


def find_pg_bin() -> Path | None:
    """The folder holding initdb and pg_ctl, or None when PostgreSQL is not installed."""
    candidates = []
    for name in ("initdb", "pg_ctl"):
        found = shutil.which(name)
        if found:
            candidates.append(Path(found).resolve().parent)
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists() and (folder / "postgres").exists():
            return folder
    return None


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """initdb + pg_ctl start in a temporary folder; ``stop()`` removes everything."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = free_port()
        self._as_root = os.geteuid() == 0
        # The postgres user must reach the folder: under root, $TMPDIR may sit in a private home.
        parent = "/tmp" if self._as_root and os.path.isdir("/tmp") else None
        self.root = Path(tempfile.mkdtemp(prefix="huntfeed-pg-", dir=parent))
        self.datadir = self.root / "data"
        self.started = False

    def _cmd(self, *args: str) -> list[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        return ["runuser", "-u", "postgres", "--", *cmd] if self._as_root else cmd

    def start(self) -> PostgresServer:
        if self._as_root:
            shutil.chown(self.root, "postgres", "postgres")
        run = dict(check=True, capture_output=True, text=True, timeout=120)
        try:
            subprocess.run(self._cmd("initdb", "-D", str(self.datadir), "-U", "huntfeed", "--auth=trust",
                                     "--encoding=UTF8", "--locale=C", "--no-sync"), **run)  # type: ignore[call-overload]
            # Durability is worthless for a throw-away server; speed is not.
            opts = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                    "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
            subprocess.run(self._cmd("pg_ctl", "-D", str(self.datadir), "-o", opts, "-l",
                                     str(self.root / "server.log"), "-w", "-t", "60", "start"), **run)  # type: ignore[call-overload]
        except subprocess.CalledProcessError as exc:
            log = self.root / "server.log"
            detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            self.stop()
            raise RuntimeError(f"PostgreSQL did not start: {exc.stderr or exc.stdout}\n{detail}") from exc
        self.started = True
        return self

    def admin_url(self) -> str:
        return f"postgresql+psycopg://huntfeed@127.0.0.1:{self.port}/postgres"

    def create_database(self, name: str | None = None) -> str:
        """A fresh, empty database; returns its SQLAlchemy URL."""
        import psycopg

        name = name or f"hf_{os.getpid()}_{next(_DB_COUNTER)}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=huntfeed dbname=postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://huntfeed@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        if self.started:
            subprocess.run(self._cmd("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop"),
                           capture_output=True, timeout=60)
            self.started = False
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_postgres() -> PostgresServer | str:
    """A started server, or why one cannot be started here (for a skip message)."""
    bindir = find_pg_bin()
    if bindir is None:
        return "PostgreSQL binaries (initdb, pg_ctl) not found: apt-get install postgresql"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg not installed: pip install 'huntfeed[scale]'"
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a 'postgres' user to run initdb as"
        if shutil.which("runuser") is None:
            return "running as root without runuser to drop to the 'postgres' user"
    return PostgresServer(bindir).start()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the test session (xdist: per worker; group its tests)."""
    got = start_postgres()
    if isinstance(got, str):
        pytest.skip(got)
    yield got
    got.stop()


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> str:
    """A fresh database on the session's server."""
    return pg_server.create_database()
