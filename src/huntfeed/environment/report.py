"""Across profiles: which affect the team, and its blind spots per technique (digest, web, demo)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from huntfeed.environment.coverage import BLIND
from huntfeed.model import Profile

SWEEPS = "IOC sweeps"  # sweeps carry no technique: their blind spots are listed under this heading
_BATCH = re.compile(r"_\d+$")  # SWEEP_IP_2: the second batch of the IP sweep


@dataclass(frozen=True, slots=True)
class BlindSpot:
    """A technique seen in the period whose hunts the team cannot run, and what would close that."""

    technique: str
    name: str
    closes: tuple[str, ...]  # data sources, each of which would make a hunt runnable
    hunts: tuple[str, ...]
    profiles: int


def affecting(profiles: Sequence[Profile]) -> list[Profile]:
    """Profiles that touch the team (a product, sector or region match), most severe first."""
    hits = [p for p in profiles if p.relevance is not None and p.relevance.affects_us]
    return sorted(hits, key=lambda p: (-p.severity.rank, p.title.lower()))


def blind_spots(profiles: Sequence[Profile]) -> list[BlindSpot]:
    """Blind spots per technique, the most widespread first."""
    closes: dict[str, dict[str, None]] = {}
    hunts: dict[str, dict[str, None]] = {}
    seen_in: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    for p in profiles:
        if p.relevance is None:
            continue
        names.update({t.id: t.name for t in (*p.inference.observed, *p.inference.source_mapped)})
        for h in p.hunts:
            label = p.relevance.label_of(h.use_case)
            if label is None or label.label != BLIND:
                continue
            # Sweeps carry no technique: each kind of sweep (SWEEP_HASH, SWEEP_DOMAIN...) is its own row.
            kind = _BATCH.sub("", h.use_case)
            for tech in h.techniques or (f"{SWEEPS}: {kind}",):
                closes.setdefault(tech, {}).update(dict.fromkeys(label.sources))
                hunts.setdefault(tech, {})[kind] = None
                seen_in.setdefault(tech, set()).add(p.id)
    out = [BlindSpot(t, names.get(t, ""), tuple(closes[t]), tuple(hunts[t]), len(seen_in[t])) for t in closes]
    return sorted(out, key=lambda b: (b.technique.startswith(SWEEPS), -b.profiles, b.technique))
