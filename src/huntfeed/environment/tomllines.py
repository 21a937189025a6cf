"""TOML with line numbers: tomllib parses, a small scanner remembers where each key was written.

tomllib (the standard library's parser) gives values but no positions; a strict loader wants to
say ``environment.toml:14``. The scanner reads the same text line by line and records, for every
table header and every ``key =`` line, the line it sits on, keyed by the path tomllib's value
has (``("products", 2, "vendor")``). Elements of a multi-line array written one per line get
their own lines too. Anything the scanner cannot place falls back to its table's header line,
so a message is never without a line, only sometimes less precise.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from huntfeed.errors import ConfigError

Key = tuple[str | int, ...]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_ASSIGN = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.-]+)\s*=\s*(.*)$""")
_TOML_POS = re.compile(r"\(at line (\d+), column \d+\)")


def _dotted(text: str) -> list[str]:
    return [part.strip().strip("\"'") for part in text.split(".")]


@dataclass(frozen=True, slots=True)
class LinedToml:
    """A parsed TOML document and the line of each key path."""

    path: str
    data: Mapping[str, Any]
    lines: Mapping[Key, int] = field(default_factory=dict)

    def line(self, key: Key) -> int:
        """The line of ``key``, else of its nearest enclosing table or key, else 1."""
        probe = tuple(key)
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            probe = probe[:-1]
        return 1

    def where(self, key: Key) -> str:
        """``file:line`` for error messages."""
        return f"{self.path}:{self.line(key)}"


def _scan(text: str) -> dict[Key, int]:
    lines: dict[Key, int] = {}
    table: Key = ()
    counts: dict[Key, int] = {}
    array: tuple[Key, int] | None = None  # an open multi-line array: its key and the next element index
    for n, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.split("#", 1)[0].strip() if '"' not in raw and "'" not in raw else raw.strip()
        if array is not None:
            akey, index = array
            if stripped.startswith("]"):
                array = None
            elif stripped and not stripped.startswith("#"):
                lines.setdefault((*akey, index), n)
                array = (akey, index + 1)
                if stripped.rstrip(",").endswith("]") and not stripped.startswith(("{", '"', "'")):
                    array = None
            continue
        header = _HEADER.match(raw)
        if header:
            parts: Key = tuple(_dotted(header.group(2)))
            if header.group(1) == "[[":
                index = counts.get(parts, 0)
                counts[parts] = index + 1
                parts = (*parts, index)
            table = parts
            lines.setdefault(table, n)
            continue
        assign = _ASSIGN.match(raw)
        if assign:
            key: Key = (*table, *_dotted(assign.group(1)))
            lines.setdefault(key, n)
            value = assign.group(2).split("#", 1)[0].strip()
            if value.startswith("[") and value.count("[") > value.count("]"):
                array = (key, 0)
    return lines


def load_toml(path: Path) -> LinedToml:
    """Parse a TOML file; a syntax error or unreadable file is a ConfigError naming ``file:line``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", where=str(path)) from exc
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", where=str(path)) from None
    return parse_toml(text, str(path))


def parse_toml(text: str, where: str) -> LinedToml:
    """Parse TOML text (``where`` names it in errors)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _TOML_POS.search(str(exc))
        line = m.group(1) if m else str(text.count("\n") + 1) if "end of document" in str(exc) else "1"
        message = _TOML_POS.sub("", str(exc)).replace("(at end of document)", "at the end of the file").strip()
        raise ConfigError(f"invalid TOML: {message}", where=f"{where}:{line}") from None
    return LinedToml(where, data, _scan(text))
