"""How long an indicator stays worth hunting on, by type, as data (data/environment/lifetimes.yaml).

An indicator is taken to be valid from the day its report was published (else analysed); after
its type's lifetime it is expired: STIX carries ``valid_until``, MISP the ``retention`` taxonomy
tag its expiration and decaying features read, and sweeps leave expired values out, saying so.
Types without a lifetime (hashes: a file's hash never names another file) never expire.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from huntfeed.errors import DataFileError
from huntfeed.hunts.yamlfile import LineDict, load_yaml
from huntfeed.model import Indicator, IndicatorType
from huntfeed.paths import package_data

Lifetimes = Mapping[IndicatorType, int | None]
# MISP's "retention" taxonomy values, shortest first: the tag for a lifetime is the first that covers it.
_RETENTION = ((1, "1d"), (2, "2d"), (7, "1w"), (14, "2w"), (30, "1m"), (60, "2m"), (90, "3m"), (180, "6m"),
              (365, "1y"), (3650, "10y"))


def load_lifetimes(path: Path | None = None) -> Lifetimes:
    """Days per indicator type (None: no limit); an unknown type or a bad number is an error at file:line."""
    path = path or package_data("environment", "lifetimes.yaml")
    doc = load_yaml(path)
    if not isinstance(doc, LineDict):
        raise DataFileError("lifetimes must be a mapping of indicator type to days", where=f"{path}:1")
    out: dict[IndicatorType, int | None] = {}
    for key, days in doc.items():
        where = f"{path}:{doc.line_of(key)}"
        try:
            itype = IndicatorType(key)
        except ValueError:
            raise DataFileError(f"unknown indicator type {key!r}", where=where) from None
        if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 1):
            raise DataFileError(f"{key}: days must be a whole number >= 1, or null for no limit", where=where)
        out[itype] = days
    return out


@lru_cache(maxsize=1)
def default_lifetimes() -> Lifetimes:
    """The bundled lifetimes, loaded once."""
    return load_lifetimes()


def valid_until(itype: IndicatorType, seen: datetime, lifetimes: Lifetimes | None = None) -> datetime | None:
    """When a value of this type reported at ``seen`` stops being worth hunting on (None: never)."""
    days = (lifetimes if lifetimes is not None else default_lifetimes()).get(itype)
    return seen + timedelta(days=days) if days else None


def expired(ind: Indicator, seen: datetime, now: datetime, lifetimes: Lifetimes | None = None) -> bool:
    """True when the value's lifetime ended before ``now``."""
    end = valid_until(ind.type, seen, lifetimes)
    return end is not None and end < now


def retention_tag(itype: IndicatorType, lifetimes: Lifetimes | None = None) -> str | None:
    """The MISP ``retention:`` tag for the type's lifetime (None for types that never expire)."""
    days = (lifetimes if lifetimes is not None else default_lifetimes()).get(itype)
    if not days:
        return None
    return "retention:" + next((name for limit, name in _RETENTION if days <= limit), "10y")


def split_expired(indicators: tuple[Indicator, ...], seen: datetime, now: datetime,
                  lifetimes: Lifetimes | None = None) -> tuple[tuple[Indicator, ...], tuple[Indicator, ...]]:
    """(still live, expired) among the indicators."""
    live = tuple(i for i in indicators if not expired(i, seen, now, lifetimes))
    return live, tuple(i for i in indicators if expired(i, seen, now, lifetimes))


def expiry_note(stale: tuple[Indicator, ...], seen: datetime, lifetimes: Lifetimes | None = None) -> str:
    """One sentence on the values left out of the sweeps, by type ("" when none)."""
    if not stale:
        return ""
    table = lifetimes if lifetimes is not None else default_lifetimes()
    counts: dict[IndicatorType, int] = {}
    for i in stale:
        counts[i.type] = counts.get(i.type, 0) + 1
    parts = ", ".join(f"{n} {t.value} (lifetime {table.get(t)} days)" for t, n in sorted(counts.items()))
    return f"Left out of the IOC sweeps as expired (reported {seen.date().isoformat()}): {parts}."
