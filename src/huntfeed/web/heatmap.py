"""The ATT&CK heatmap: tactics as columns in matrix order, techniques scored by citing profiles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from huntfeed.model import Profile
from huntfeed.render.navigator import technique_counts

LEVELS = 5


@dataclass(frozen=True, slots=True)
class Cell:
    """One technique in one tactic column."""

    id: str
    name: str
    count: int
    level: int  # 1..LEVELS, for the colour class


@dataclass(frozen=True, slots=True)
class Column:
    """A tactic and its cited techniques, most cited first."""

    tactic: str
    cells: tuple[Cell, ...]


def build(profiles: Sequence[Profile], tactic_order: Sequence[str]) -> tuple[Column, ...]:
    """Heatmap columns; tactics not in ``tactic_order`` follow in the order they were first seen."""
    cited = technique_counts(profiles)
    hits = {h.id: h for p in profiles for h in p.techniques}
    top = max((len(v) for v in cited.values()), default=1)
    columns: dict[str, list[Cell]] = {t: [] for t in tactic_order}
    for tid, ps in cited.items():
        hit = hits[tid]
        level = max(1, -(-len(ps) * LEVELS // top))
        for tactic in hit.tactics or ("unknown",):
            columns.setdefault(tactic, []).append(Cell(tid, hit.name, len(ps), level))
    return tuple(
        Column(tactic, tuple(sorted(cells, key=lambda c: (-c.count, c.id))))
        for tactic, cells in columns.items()
    )
