"""Per-dialect string quoting: the only way an outside value may enter a generated query."""

from __future__ import annotations

import re

from huntfeed.errors import QueryError

_KQL_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def kql_quote(value: str) -> str:
    """A KQL double-quoted string literal holding exactly ``value``."""
    return '"' + _KQL_UNSAFE.sub(_kql_escape, value) + '"'


# Control characters and lone surrogates never belong in an indicator; \u keeps them inert.
# (One regex pass: most values need no escape, and sweeps quote thousands per report.)
_KQL_UNSAFE = re.compile(r'[\\"\x00-\x1f\x7f\ud800-\udfff]')


def _kql_escape(m: re.Match[str]) -> str:
    ch = m.group()
    return _KQL_ESCAPES.get(ch) or f"\\u{ord(ch):04x}"


def spl_quote(value: str, *, wildcard: bool = False) -> str:
    """An SPL double-quoted string holding ``value``; ``wildcard`` keeps ``*`` as a wildcard."""
    if "`" in value:
        # Splunk expands `macros` before it parses quotes, so no escaping can make a backtick inert.
        raise QueryError(f"value contains a backtick and cannot be placed in SPL: {value[:60]!r}")
    if not wildcard and "*" in value:
        raise QueryError(f"value contains '*', which SPL would read as a wildcard: {value[:60]!r}")
    return '"' + _SPL_UNSAFE.sub(_spl_escape, value) + '"'


_SPL_UNSAFE = re.compile(r'["\\\x00-\x1f\x7f]')


def _spl_escape(m: re.Match[str]) -> str:
    ch = m.group()
    # SPL has no escape for control characters; a space keeps the search a single line.
    return "\\" + ch if ch in ('"', "\\") else " "


def kql_list(values: list[str]) -> str:
    """A parenthesised KQL list of quoted values, for ``in``/``has_any``."""
    return "(" + ", ".join(kql_quote(v) for v in values) + ")"


def spl_list(values: list[str], *, wildcard: bool = False) -> str:
    """A parenthesised SPL list of quoted values, for ``IN``."""
    return "(" + ", ".join(spl_quote(v, wildcard=wildcard) for v in values) + ")"
