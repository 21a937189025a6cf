"""Engines and the few statements whose SQL differs between SQLite and PostgreSQL."""

from __future__ import annotations

import functools
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from huntfeed.errors import StoreError

C = TypeVar("C", bound=type)

# Execution option asking SQLite for BEGIN IMMEDIATE: the write lock up front, so a
# read-then-write transaction never fails half-way on a lock upgrade.
IMMEDIATE = "huntfeed_immediate"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and explicit BEGINs."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            # pysqlite's own implicit transactions would defeat BEGIN IMMEDIATE; SQLAlchemy's
            # documented recipe hands transaction control back to us.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @sa.event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(IMMEDIATE) else "BEGIN")

        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def upsert(conn: Connection, table: sa.Table) -> Any:
    """``INSERT ... ON CONFLICT`` for this connection's dialect (both speak the same API)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def lock_keys(conn: Connection, keys: list[str]) -> None:
    """Serialise writers on each of ``keys`` until this transaction ends (one round trip).

    PostgreSQL: transaction-scoped advisory locks, which also cover rows that do not exist
    yet (a row lock could not), taken in ascending key order by every writer, so two batches
    that share keys wait for each other instead of deadlocking. SQLite: the transaction already
    holds the database's single write lock (BEGIN IMMEDIATE), so there is nothing more to take.
    """
    if conn.dialect.name == "postgresql" and keys:
        ordered = sorted({_key64(k) for k in keys})
        # Volatile functions in the select list run after ORDER BY (PostgreSQL >= 9.6): in key order.
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS t(k) "
                             "ORDER BY k"), {"keys": ordered})


def _key64(key: str) -> int:
    # Two CRC32s make a signed 64-bit key: collisions only cost an unneeded wait.
    data = key.encode("utf-8", "surrogatepass")
    value = (zlib.crc32(data) << 32) | zlib.crc32(data[::-1])
    return value - (1 << 64) if value >= 1 << 63 else value


@contextmanager
def write_tx(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write: on SQLite it takes the write lock at BEGIN (see IMMEDIATE)."""
    with engine.connect().execution_options(**{IMMEDIATE: True}) as conn, conn.begin():
        yield conn


def safe_url(url: str) -> str:
    """A database URL fit for an error message: the password hidden."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except (sa.exc.ArgumentError, ValueError):
        return "<unparsable database URL>"


def describe(exc: SQLAlchemyError) -> str:
    """The driver's own first line ("database is locked"), without the SQL and its parameters."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {text[0][:300] if text else 'no message'}"


def _guard(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(self, *args, **kwargs)
        except SQLAlchemyError as exc:
            raise StoreError(f"{name.replace('_', ' ')} failed: {describe(exc)}",
                             where=safe_url(getattr(self, "url", ""))) from exc
    return guarded


def store_errors(cls: C) -> C:
    """Make every public method of ``cls`` raise StoreError (never a raw SQLAlchemy error)."""
    for name, value in list(vars(cls).items()):
        if callable(value) and not name.startswith("_"):
            setattr(cls, name, _guard(name, value))
    return cls
