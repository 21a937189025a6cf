"""Analysts' lists for the fidelity rules (src/huntfeed/data/extract/*.txt), read once, strictly.

A bad line raises DataFileError naming ``file:line``; '#' starts a comment.
"""

from __future__ import annotations

from functools import cache

from huntfeed.errors import DataFileError
from huntfeed.paths import package_data


def _read_lines(name: str) -> list[tuple[int, str]]:
    path = package_data("extract", name)
    out: list[tuple[int, str]] = []
    with path.open(encoding="utf-8") as fh:
        for no, line in enumerate(fh, 1):
            text = line.split("#", 1)[0].strip()
            if text:
                out.append((no, text))
    return out


def _domain_list(name: str) -> frozenset[str]:
    out = set()
    for no, value in _read_lines(name):
        if " " in value or "." not in value:
            raise DataFileError(f"not a domain: {value!r}", where=f"{name}:{no}")
        out.add(value.lower())
    return frozenset(out)


@cache
def reference_domains() -> frozenset[str]:
    """Domains whose links are references (data/extract/reference_domains.txt)."""
    return _domain_list("reference_domains.txt")


@cache
def report_sites() -> frozenset[str]:
    """Sandboxes, scanners, knowledge bases: their links are references even in an IOC list
    (data/extract/report_sites.txt)."""
    return _domain_list("report_sites.txt")


@cache
def abused_hosts() -> dict[str, tuple[str, ...]]:
    """Host -> path globs under which a URL stays an indicator (data/extract/abused_hosts.txt)."""
    out: dict[str, list[str]] = {}
    for no, value in _read_lines("abused_hosts.txt"):
        parts = value.split()
        if len(parts) != 2 or not parts[1].startswith("/"):
            raise DataFileError("expected 'host /path-glob'", where=f"abused_hosts.txt:{no}")
        out.setdefault(parts[0].lower(), []).append(parts[1])
    return {k: tuple(v) for k, v in out.items()}


@cache
def code_identifiers() -> tuple[frozenset[str], tuple[str, ...]]:
    """Exact code names and name prefixes (data/extract/code_identifiers.txt)."""
    exact, prefixes = set(), []
    for no, value in _read_lines("code_identifiers.txt"):
        if " " in value:
            raise DataFileError(f"not a dotted name: {value!r}", where=f"code_identifiers.txt:{no}")
        if value.endswith("."):
            prefixes.append(value.lower())
        else:
            exact.add(value.lower())
    return frozenset(exact), tuple(prefixes)


@cache
def file_ext_tlds() -> frozenset[str]:
    """TLDs that double as file extensions (data/extract/file_ext_tlds.txt)."""
    out = set()
    for no, value in _read_lines("file_ext_tlds.txt"):
        if not value.isalnum():
            raise DataFileError(f"not a TLD: {value!r}", where=f"file_ext_tlds.txt:{no}")
        out.add(value.lower())
    return frozenset(out)
