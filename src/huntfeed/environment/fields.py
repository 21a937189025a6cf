"""What a query reads and what it looks for: data sources and (field, value) pairs, per dialect.

Coverage compares like with like: a deployed Splunk search with the hunt's SPL, a Sentinel rule
with the hunt's KQL, a Sigma rule with the hunt's Sigma. Fields are reduced to their last name
(``Processes.process_name`` -> ``process_name``, ``CommandLine|contains`` -> ``commandline``) and
values lower-cased with wildcards and escaping stripped, so ``"*\\\\certutil.exe"`` in SPL and
``endswith "\\\\certutil.exe"`` in KQL both become ``\\certutil.exe``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from huntfeed.environment.spec import SigmaSource

Pairs = frozenset[tuple[str, str]]

_DATAMODEL = re.compile(r"\bdatamodel\s*[=:]\s*\"?([A-Za-z][\w]*(?:\.[A-Za-z][\w]*)?)", re.IGNORECASE)
_DATAMODEL_CMD = re.compile(r"\|\s*datamodel\s+([A-Za-z]\w*)\s+([A-Za-z]\w*)", re.IGNORECASE)
_TECHNIQUE = re.compile(r"\bT\d{4}(?:\.\d{3})?\b")
_SPL_STRING = r'"(?:[^"\\]|\\.)*"'
_SPL_EQ = re.compile(rf"(?<![\w.])([A-Za-z_][\w.]*)\s*!?=\s*({_SPL_STRING}|[^\s()|\]\[]+)")
_SPL_IN = re.compile(r"(?<![\w.])([A-Za-z_][\w.]*)\s+IN\s*\(([^)]*)\)", re.IGNORECASE)
_KQL_STRING = r'@?"(?:[^"\\]|\\.)*"|@?\'(?:[^\'\\]|\\.)*\''
_KQL_OPS = r"(?:==|=~|!=|!~|has_any|has_all|has_cs|has|contains_cs|contains|startswith_cs|startswith|endswith_cs|" \
           r"endswith|in~|!in~|!in|in|matches\s+regex)"
_KQL_CMP = re.compile(rf"\b([A-Za-z_]\w*)\s+{_KQL_OPS}\s*(\([^)]*\)|{_KQL_STRING})|\b([A-Za-z_]\w*)\s*(?:==|=~|!=)\s*"
                      rf"({_KQL_STRING})")
_KQL_QUOTED = re.compile(_KQL_STRING)
_KQL_SOURCE_LINE = re.compile(r"^\s*([A-Za-z_]\w*)\s*(?:$|\|)")
_KQL_SUBQUERY = re.compile(r"\(\s*([A-Za-z_]\w*)\s*\|")  # union (Table | where ...), (Other | ...)
_KQL_UNION = re.compile(r"^\s*union\b([^|\n]*)", re.IGNORECASE | re.MULTILINE)
# What is not code: comments and string literals (regular, verbatim @"", multi-line ```), longest first, so a
# regex such as @"(cmd|powershell)\.exe" is never read as a sub-query "(cmd | ...".
_KQL_NOT_CODE = re.compile(
    r"```.*?```|~~~.*?~~~|//[^\n]*|@\"(?:[^\"]|\"\")*\"|@'(?:[^']|'')*'|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'",
    re.DOTALL,
)
_KQL_KEYWORDS = {"let", "union", "datatable", "print", "range", "search", "find", "externaldata", "materialize",
                 "and", "or", "not", "where", "project", "extend", "summarize", "by"}


def norm_value(raw: str) -> str:
    """A value as compared across dialects: unquoted, unescaped, wildcards gone, lower case."""
    value = raw.strip()
    if value.startswith("@"):
        value = value[1:]
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    value = value.replace("\\\\", "\\").replace('\\"', '"')
    return value.strip("*% ").lower()


def norm_field(raw: str) -> str:
    """A field's last name, without Sigma modifiers, lower case."""
    return raw.split("|", 1)[0].rsplit(".", 1)[-1].lower()


def _pairs(items: Iterable[tuple[str, str]]) -> Pairs:
    return frozenset((norm_field(f), norm_value(v)) for f, v in items if norm_value(v))


def spl_models(spl: str) -> frozenset[str]:
    """CIM data models (``Endpoint.Processes``) a search reads."""
    found = {m.group(1) for m in _DATAMODEL.finditer(spl)}
    found |= {f"{m.group(1)}.{m.group(2)}" for m in _DATAMODEL_CMD.finditer(spl)}
    return frozenset(found)


def spl_pairs(spl: str) -> Pairs:
    """(field, value) pairs of a search's comparisons and IN lists."""
    items = [(m.group(1), m.group(2)) for m in _SPL_EQ.finditer(spl)
             if m.group(1).lower() not in ("datamodel", "index", "sourcetype", "summariesonly", "allow_old_summaries",
                                           "fillnull_value", "earliest", "latest")]
    for m in _SPL_IN.finditer(spl):
        items += [(m.group(1), v) for v in re.findall(_SPL_STRING, m.group(2))]
    return _pairs(items)


def kql_tables(kql: str) -> frozenset[str]:
    """Tables (or ASIM parsers) a query reads: lines that start with a bare table name, and union lists.

    Read from the query's code alone: string literals and comments are blanked first (a literal keeps
    its quotes, so ``where x == "a"`` stays one line of code).
    """
    kql = _KQL_NOT_CODE.sub(lambda m: "" if m.group().startswith("//") else '""', kql)
    found: set[str] = set()
    for line in kql.splitlines():
        m = _KQL_SOURCE_LINE.match(line)
        if m and m.group(1).lower() not in _KQL_KEYWORDS:
            found.add(m.group(1))
    found |= {m.group(1) for m in _KQL_SUBQUERY.finditer(kql) if m.group(1).lower() not in _KQL_KEYWORDS}
    for m in _KQL_UNION.finditer(kql):
        for part in m.group(1).split(","):
            name = part.strip().split()[-1] if part.strip() else ""
            if "=" not in name and re.fullmatch(r"[A-Za-z_]\w*", name) and name.lower() not in _KQL_KEYWORDS:
                found.add(name)
    return frozenset(found)


def kql_pairs(kql: str) -> Pairs:
    """(field, value) pairs of a query's string comparisons."""
    items: list[tuple[str, str]] = []
    for m in _KQL_CMP.finditer(kql):
        field, rhs = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        items += [(field, v) for v in _KQL_QUOTED.findall(rhs)]
    return _pairs(items)


def techniques_in(text: str) -> frozenset[str]:
    """ATT&CK technique ids named in a text (upper case)."""
    return frozenset(t.upper() for t in _TECHNIQUE.findall(text))


def sigma_logsource(rule: Any) -> SigmaSource | None:
    """The log source of a parsed Sigma rule, or None."""
    ls = rule.get("logsource") if isinstance(rule, dict) else None
    if not isinstance(ls, dict):
        return None
    return SigmaSource(*(str(ls.get(k) or "").lower() for k in ("product", "category", "service")))


def sigma_techniques(rule: Any) -> frozenset[str]:
    """``attack.t1003.001`` tags as technique ids."""
    tags = rule.get("tags") if isinstance(rule, dict) else None
    if not isinstance(tags, list):
        return frozenset()
    return frozenset(t.split(".", 1)[1].upper() for t in tags
                     if isinstance(t, str) and re.fullmatch(r"attack\.t\d{4}(\.\d{3})?", t, re.IGNORECASE))


def sigma_pairs(rule: Any) -> Pairs:
    """(field, value) pairs of a parsed Sigma rule's detection."""
    detection = rule.get("detection") if isinstance(rule, dict) else None
    if not isinstance(detection, dict):
        return frozenset()
    items: list[tuple[str, str]] = []
    for name, selection in detection.items():
        if name == "condition":
            continue
        for mapping in selection if isinstance(selection, list) else [selection]:
            if not isinstance(mapping, dict):
                continue
            for field, value in mapping.items():
                values = value if isinstance(value, list) else [value]
                items += [(str(field), str(v)) for v in values if v is not None]
    return _pairs(items)
