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
    return _psl().publicsuffix(label, accept_unknown=False) is not None


def tld_of(domain: str) -> str:
    """The last label of ``domain``."""
    return domain.rsplit(".", 1)[-1]


@lru_cache(maxsize=65536)
def registrable(domain: str) -> str:
    """Registrable domain (PSL private section included): evil.duckdns.org stays whole."""
    return _psl().privatesuffix(domain) or domain
