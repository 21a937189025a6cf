"""Public Suffix List look-ups: the TLD test from a prepared set, the PSL itself loaded only for
registrable domains (parsing it costs 0.06 s of every process that extracts)."""

from __future__ import annotations

import importlib.util
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from huntfeed.extract import prepared

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList


@cache
def _psl() -> PublicSuffixList:
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


def psl_file() -> Path:
    """The list file publicsuffixlist reads, located without importing it (for the tables' key)."""
    spec = importlib.util.find_spec("publicsuffixlist")
    origin = spec.origin if spec is not None and spec.origin else ""
    return Path(origin).parent / "public_suffix_list.dat"


def psl_accepts(label: str) -> bool:
    """The PSL's own answer: ``label`` (lower case) is a public suffix, or the parent of listed ones."""
    return _psl().publicsuffix(label, accept_unknown=False) is not None or label in _parent_tlds()


def accepted_tlds() -> frozenset[str]:
    """Every label without a dot that ``psl_accepts``: a label is a public suffix only through a
    rule naming it (``x``, ``*.x``), so the candidates are those rules' labels and the parents."""
    rules: frozenset[str] = getattr(_psl(), "_publicsuffix", frozenset())
    candidates = {r.removeprefix("*.") for r in rules if not r.startswith("!")}
    return frozenset(c for c in candidates | _parent_tlds() if c and "." not in c and psl_accepts(c))


@lru_cache(maxsize=4096)
def valid_tld(label: str) -> bool:
    """True when ``label`` is a top-level domain the Public Suffix List knows."""
    label = label.lower()
    if label.startswith("xn--"):
        try:
            label = label.encode("ascii").decode("idna")
        except UnicodeError:
            return False
    if not label or "." in label:
        return psl_accepts(label)  # not a single label: the list's own rules decide
    return label in prepared.tables().tlds


@cache
def _parent_tlds() -> frozenset[str]:
    """TLDs the list names only through their second-level rules: "co.za" is listed, "za" is not."""
    rules: frozenset[str] = getattr(_psl(), "_publicsuffix", frozenset())
    return frozenset(r.rsplit(".", 1)[-1] for r in rules if "." in r)


def tld_of(domain: str) -> str:
    """The last label of ``domain``."""
    return domain.rsplit(".", 1)[-1]


@lru_cache(maxsize=65536)
def registrable(domain: str) -> str:
    """Registrable domain (PSL private section included): evil.duckdns.org stays whole."""
    return _psl().privatesuffix(domain) or domain
