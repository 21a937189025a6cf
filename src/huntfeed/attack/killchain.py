"""Lockheed Martin kill-chain phases from ATT&CK tactics, mapped by an analyst-editable data file."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from huntfeed.errors import DataFileError
from huntfeed.paths import package_data

PHASES = (
    "reconnaissance",
    "weaponization",
    "delivery",
    "exploitation",
    "installation",
    "command-and-control",
    "actions-on-objectives",
)
DEFAULT_PHASE = "actions-on-objectives"


def load_mapping(path: Path | None = None) -> dict[str, str]:
    """Read ``tactic = phase`` lines; raise DataFileError with file:line on a bad line."""
    path = path or package_data("attack", "killchain.txt")
    mapping: dict[str, str] = {}
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        tactic, sep, phase = (p.strip() for p in line.partition("="))
        if not sep or not tactic or phase not in PHASES:
            raise DataFileError(f"expected 'tactic = phase' with phase in {PHASES}", where=f"{path}:{lineno}")
        if tactic in mapping:
            raise DataFileError(f"tactic {tactic!r} mapped twice", where=f"{path}:{lineno}")
        mapping[tactic] = phase
    return mapping


def resolve_mapping(tactic_order: Sequence[str], mapping: Mapping[str, str]) -> dict[str, str]:
    """Phase for every tactic of the bundle; unmapped tactics borrow from their matrix neighbour."""
    out: dict[str, str] = {}
    for i, tactic in enumerate(tactic_order):
        if tactic in mapping:
            out[tactic] = mapping[tactic]
            continue
        before = [mapping[t] for t in tactic_order[:i] if t in mapping]
        after = [mapping[t] for t in tactic_order[i + 1 :] if t in mapping]
        out[tactic] = before[-1] if before else (after[0] if after else DEFAULT_PHASE)
    return out


def phases_for(tactics: Iterable[str], phase_of: Mapping[str, str]) -> tuple[str, ...]:
    """Distinct kill-chain phases of the given tactics, in chain order."""
    found = {phase_of.get(t, DEFAULT_PHASE) for t in tactics}
    return tuple(p for p in PHASES if p in found)
