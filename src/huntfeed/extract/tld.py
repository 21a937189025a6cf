"""Public Suffix List look-ups, loaded once and cached per label."""

from __future__ import annotations

from functools import cache, lru_cache

from publicsuffixlist import PublicSuffixList


@cache
def _psl() -> PublicSuffixList:
    return PublicSuffixList()


@lru_cache(maxsize=4096)
def valid_tld(label: str) -> bool:
    """True when ``label`` is a top-level domain the Public Suffix List knows."""
    label = label.lower()
    if label.startswith("xn--"):
        try:
            label = label.encode("ascii").decode("idna")
        except UnicodeError:
            return False
    return _psl().publicsuffix(label, accept_unknown=False) is not None or label in _parent_tlds()


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
