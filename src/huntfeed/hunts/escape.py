"""Per-dialect string quoting: the only way an outside value may enter a generated query."""

from __future__ import annotations

from huntfeed.errors import QueryError

_KQL_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def kql_quote(value: str) -> str:
    """A KQL double-quoted string literal holding exactly ``value``."""
    out = []
    for ch in value:
        if ch in _KQL_ESCAPES:
            out.append(_KQL_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F or 0xD800 <= ord(ch) <= 0xDFFF:
            # Control characters and lone surrogates never belong in an indicator; \u keeps them inert.
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def spl_quote(value: str, *, wildcard: bool = False) -> str:
    """An SPL double-quoted string holding ``value``; ``wildcard`` keeps ``*`` as a wildcard."""
    if "`" in value:
        # Splunk expands `macros` before it parses quotes, so no escaping can make a backtick inert.
        raise QueryError(f"value contains a backtick and cannot be placed in SPL: {value[:60]!r}")
    if not wildcard and "*" in value:
        raise QueryError(f"value contains '*', which SPL would read as a wildcard: {value[:60]!r}")
    out = []
    for ch in value:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch in "\r\n\t" or ord(ch) < 0x20 or ord(ch) == 0x7F:
            # SPL has no escape for control characters; a space keeps the search a single line.
            out.append(" ")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def kql_list(values: list[str]) -> str:
    """A parenthesised KQL list of quoted values, for ``in``/``has_any``."""
    return "(" + ", ".join(kql_quote(v) for v in values) + ")"


def spl_list(values: list[str], *, wildcard: bool = False) -> str:
    """A parenthesised SPL list of quoted values, for ``IN``."""
    return "(" + ", ".join(spl_quote(v, wildcard=wildcard) for v in values) + ")"
