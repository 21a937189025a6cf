"""Analysts' line files with section headers: one strict reader for every such knob file.

The format: blank lines and ``#`` comments are skipped; a line starting in column one is a
header (parsed by the caller's function, which names the section or raises); an indented line
belongs to the last header. Errors carry ``file:line``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

from huntfeed.errors import DataFileError


def sectioned_lines(path: Path, header: Callable[[str, str], str], orphan: str) -> Iterator[tuple[str, str, str]]:
    """(section, stripped line, "file:line") for every indented line of ``path``.

    ``header(line, where)`` returns the section a header line opens, or raises DataFileError;
    ``orphan`` is the error for an indented line before any header.
    """
    section = ""
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        where = f"{path}:{lineno}"
        body = raw.rstrip()
        if not body.strip() or body.lstrip().startswith("#"):
            continue
        if not body[0].isspace():
            section = header(body, where)
            continue
        if not section:
            raise DataFileError(orphan, where=where)
        yield section, body.strip(), where


def regex_or_error(pattern: str, where: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile``, with a bad pattern reported as a DataFileError at ``where``."""
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise DataFileError(f"bad regular expression: {exc}", where=where) from exc
