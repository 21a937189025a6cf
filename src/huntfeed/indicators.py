"""What counts as an indicator of compromise when huntfeed counts, scores and exports.

CVE ids are vulnerabilities and ATT&CK ids are techniques: both are extracted, neither is an
indicator a SOC blocks or sweeps for. A bare file name is a weak indicator: it is listed, but it
never earns severity points on its own, and a name that every Windows host carries
(data/extract/common_file_names.txt) is never exported for blocking.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING

from huntfeed.errors import DataFileError
from huntfeed.kinds import Fidelity, IndicatorType
from huntfeed.paths import package_data

if TYPE_CHECKING:  # annotations only: the extractor reads common_file_names without model's dataclasses
    from huntfeed.model import Indicator

NOT_IOCS = frozenset((IndicatorType.CVE, IndicatorType.ATTACK_ID))
# Listed, but no severity points of their own: a file name or a GUID alone says little.
WEAK = frozenset((IndicatorType.FILENAME, IndicatorType.GUID))


def is_ioc(ind: Indicator) -> bool:
    """A high-fidelity value a hunter would block or sweep for (not a CVE or technique id)."""
    return ind.fidelity is Fidelity.HIGH and ind.type not in NOT_IOCS


def count_iocs(indicators: Iterable[Indicator]) -> int:
    """How many high-fidelity indicators of compromise (the figure summaries show)."""
    return sum(1 for i in indicators if is_ioc(i))


@cache
def common_file_names() -> frozenset[str]:
    """Lower-cased file names that thousands of hosts share (svchost.exe, setup.exe ...)."""
    out = set()
    path = package_data("extract", "common_file_names.txt")
    for no, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        name = raw.split("#", 1)[0].strip()
        if not name:
            continue
        if "." not in name or any(c in name for c in "\\/ "):
            raise DataFileError(f"not a bare file name: {name!r}", where=f"common_file_names.txt:{no}")
        out.add(name.lower())
    return frozenset(out)


def blockable(ind: Indicator) -> bool:
    """True when an export may mark ``ind`` for blocking (MISP to_ids, a STIX indicator)."""
    if not is_ioc(ind):
        return False
    return not (ind.type is IndicatorType.FILENAME and ind.value.lower() in common_file_names())
