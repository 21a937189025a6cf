"""Options and helpers shared by the commands."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from huntfeed.cli.settings_ref import SettingsRef
from huntfeed.config import Settings
from huntfeed.errors import ConfigError
from huntfeed.paths import default_db_url

F = TypeVar("F", bound=Callable[..., Any])

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
# Controls and bidi overrides: a feed title must not drive the analyst's terminal or reorder what it shows.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def plain(value: object) -> str:
    """Text from strangers made safe for a terminal: control characters and bidi overrides removed."""
    return _UNPRINTABLE.sub("", str(value))


def safe(value: object, style: str = "") -> Text:
    """A rich Text that is never parsed as console markup (titles like ``[/bold]`` crash rich otherwise)."""
    return Text(plain(value), style=style)


def esc(value: object) -> str:
    """For f-strings printed with markup on: the value escaped and made terminal-safe."""
    return escape(plain(value))


def db_option(func: F) -> F:
    """``--db URL`` (also $HUNTFEED_DB), defaulting to SQLite in the data folder."""
    return click.option(
        "--db",
        "db_url",
        envvar="HUNTFEED_DB",
        default=None,
        metavar="URL",
        help="Store URL: sqlite:///path.db or postgresql+psycopg://... [env HUNTFEED_DB; default: data folder]",
    )(func)


def allow_host_option(func: F) -> F:
    """``--allow-host HOST`` (repeatable): let a private/loopback host past the SSRF guard."""
    return click.option(
        "--allow-host",
        "allow_hosts",
        multiple=True,
        metavar="HOST[:PORT]",
        help="Let this host through the private-address guard (repeatable).",
    )(func)


def settings() -> Settings:
    """The Settings the root command loaded (defaults when called outside the CLI)."""
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx else None
    if isinstance(obj, SettingsRef):
        return obj.get()
    return obj if isinstance(obj, Settings) else Settings(db_url=default_db_url())


def resolve_db(db_url: str | None) -> str:
    """The store URL to use: the flag, else $HUNTFEED_DB, else the config file, else the data folder."""
    return db_url or settings().db_url


def parse_duration(text: str) -> timedelta:
    """``30m``, ``12h``, ``7d`` to a timedelta."""
    m = _DURATION.match(text)
    if not m:
        raise ConfigError(f"not a duration: {text!r} (use e.g. 30m, 12h, 7d)")
    return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})


def parse_since(text: str | None) -> datetime | None:
    """``7d`` (relative) or ``2026-11-01`` (absolute, UTC) to a datetime."""
    if not text:
        return None
    if _DURATION.match(text):
        return datetime.now(UTC) - parse_duration(text)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"not a date or duration: {text!r} (use e.g. 7d or 2026-11-01)") from None
    from huntfeed.model import as_utc  # model is 15 ms of a start that may not need it

    return as_utc(when)


def err_console() -> Console:
    """A console on stderr: progress and notes never mix with the data on stdout."""
    # Logs and CI captures are not terminals; give tables room rather than Rich's 80 columns.
    return Console(stderr=True, highlight=False, soft_wrap=True, width=None if is_tty() else 140)


def emit_table(headers: list[str], rows: list[list[str]]) -> None:
    """A table on stdout: aligned columns on a terminal, tab-separated lines (header first) for pipes."""
    if sys.stdout.isatty():
        from rich.table import Table

        table = Table(*headers, box=None)
        for row in rows:
            table.add_row(*(safe(cell) for cell in row))
        Console(highlight=False, soft_wrap=True).print(table)
        return
    # Pipes get one record per line so cut/awk/sort work; tabs and newlines inside a value would split it.
    for row in [headers, *rows]:
        click.echo("\t".join(re.sub(r"[\t\r\n]+", " ", plain(cell)) for cell in row))


def is_tty() -> bool:
    """True when stderr is a terminal (progress bars), False for logs and pipes."""
    return sys.stderr.isatty()
