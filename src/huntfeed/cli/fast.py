"""`huntfeed extract FILE [options]` without click: the plain forms of the command line, parsed here.

Importing click and building the command tree is a fifth of `huntfeed extract`'s start on a small
file (click pulls in inspect, typing, gettext, uuid and platform). ``parse`` accepts only forms
whose meaning is beyond doubt, the ones click gives the same values for: the word ``extract``
first, then ``--all``, ``--jsonl``, ``--format FMT`` / ``--format=FMT`` (one of the choices),
``--source-url URL`` / ``--source-url=URL`` (a value not starting with '-'), each at most once,
and one path to an existing regular file, in any order. Anything else (help, stdin, a missing or
unreadable file, a global option, ``HUNTFEED_CONFIG`` set, shell completion, a typo) returns None and the root
command runs as before, so its help, errors and exit codes stay click's own.
"""

from __future__ import annotations

import errno
import os
import sys
from dataclasses import dataclass
from typing import TextIO, cast

_FORMATS = ("json", "csv", "text")
_FLAGS = {"--all": "all_", "--jsonl": "jsonl"}
_VALUED = {"--format": "fmt", "--source-url": "source_url"}


@dataclass(frozen=True, slots=True)
class ExtractArgs:
    """The parsed command line of `huntfeed extract`, with click's defaults."""

    path: str
    all_: bool = False
    jsonl: bool = False
    fmt: str = "json"
    source_url: str = ""


def _value_ok(name: str, value: str) -> bool:
    if name == "fmt":
        return value in _FORMATS
    return not value.startswith("-")  # click would read an option there, or complain


def _completing() -> bool:
    """A shell asking click for completions (``_HUNTFEED_COMPLETE`` and the like)."""
    return any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ)


def parse(argv: list[str]) -> ExtractArgs | None:
    """The arguments of a plain `extract` command line (``sys.argv[1:]``), else None."""
    if not argv or argv[0] != "extract" or "HUNTFEED_CONFIG" in os.environ or _completing():
        return None
    got: dict[str, object] = {}
    rest = iter(argv[1:])
    for arg in rest:
        value: str | bool
        if arg in _FLAGS:
            name, value = _FLAGS[arg], True
        elif arg in _VALUED:
            name, value = _VALUED[arg], next(rest, "-")
        elif arg.startswith("-"):
            head, eq, tail = arg.partition("=")
            if not eq or head not in _VALUED:
                return None  # "-", "--", -h, --help, an unknown option, --all=1: click decides
            name, value = _VALUED[head], tail
        else:
            name, value = "path", arg
        if name in got or (isinstance(value, str) and name != "path" and not _value_ok(name, value)):
            return None
        got[name] = value
    path = got.get("path")
    if not isinstance(path, str) or not os.path.isfile(path):
        return None  # stdin, a folder, a missing file: click's own handling and messages
    return ExtractArgs(**got)  # type: ignore[arg-type]


def run(args: ExtractArgs) -> bool:
    """Run `huntfeed extract` for ``args``, ending as the root command would; False when the file
    cannot be opened (the root command then runs, and reports it as click does)."""
    from huntfeed.cli.extract_run import run as run_extract
    from huntfeed.errors import HuntfeedError

    try:
        fh = open(args.path, encoding="utf-8", errors="replace")  # noqa: SIM115 - closed below
    except OSError:
        return False
    # The endings below are the root command's, each written with click (imported only then): an
    # interrupt is click's blank line and huntfeed's "aborted" (130), a huntfeed error its message
    # (2), a closed pipe click's quiet exit 1.
    try:
        with fh:
            run_extract(fh, args.path, args.all_, args.jsonl, args.fmt, args.source_url)
    except (EOFError, KeyboardInterrupt):
        import click

        click.echo(file=sys.stderr)
        click.echo("aborted", err=True)
        sys.exit(130)
    except HuntfeedError as exc:
        import click

        click.echo(f"huntfeed: error: {exc}", err=True)
        sys.exit(2)
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        from click.utils import _PacifyFlushWrapper

        sys.stdout = cast("TextIO", _PacifyFlushWrapper(sys.stdout))
        sys.stderr = cast("TextIO", _PacifyFlushWrapper(sys.stderr))
        sys.exit(1)
    return True
