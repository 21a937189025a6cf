"""Sub-technique specificity: name a sub-technique only when its distinguishing cue is written.

For the families in ``data/attack/subtechnique_cues.txt`` (T1059.x by language, T1071.x by protocol,
T1566.x by channel) a selected sub-technique whose cue appears neither in the sentences that support
it nor within two sentences of them is reported as its parent.  A technique that is not a
sub-technique may be listed too: without its cue it is not reported (T1203 needs a client
application: a server-side exploit is not client execution).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from huntfeed.attack.infer import Signals
from huntfeed.attack.text import Sentence, sentence_ends, sentence_index
from huntfeed.errors import DataFileError
from huntfeed.paths import package_data
from huntfeed.sectioned import regex_or_error, sectioned_lines

_HEADER = re.compile(r"^(T\d{4}(?:\.\d{3})?)\b")
_NEAR = 2  # sentences either side of a supporting sentence where the cue may stand


@dataclass(frozen=True)
class Cues:
    """Cue pattern per sub-technique; families are the parents of the listed ids."""

    patterns: Mapping[str, re.Pattern[str]]

    def covers(self, tid: str) -> bool:
        """True for a sub-technique of a family these cues decide, or a technique listed itself."""
        parent, _, sub = tid.partition(".")
        return tid in self.patterns or (bool(sub) and any(k.startswith(parent + ".") for k in self.patterns))

    def supported(self, tid: str, support: Sequence[int], texts: Sequence[str]) -> bool:
        """Whether the sub-technique keeps its name, given the indices of its supporting sentences."""
        rx = self.patterns.get(tid)
        if rx is None or not self.covers(tid):
            return True
        near = {j for i in support for j in range(i - _NEAR, i + _NEAR + 1) if 0 <= j < len(texts)}
        return any(rx.search(texts[j]) for j in near)


def _subtechnique_header(line: str, where: str) -> str:
    m = _HEADER.match(line)
    if not m:
        raise DataFileError("expected a sub-technique header such as 'T1059.001 PowerShell'", where=where)
    return m.group(1)


def load_cues(path: Path | None = None) -> Cues:
    """Parse the cue file strictly; DataFileError carries file:line."""
    path = path or package_data("attack", "subtechnique_cues.txt")
    found: dict[str, list[str]] = {}
    for current, cue, where in sectioned_lines(path, _subtechnique_header, "cue before any sub-technique header"):
        regex_or_error(cue, where)
        found.setdefault(current, []).append(cue)
    return Cues({k: re.compile("|".join(f"(?:{p})" for p in v), re.IGNORECASE) for k, v in found.items()})


@lru_cache(maxsize=1)
def default_cues() -> Cues:
    """The shipped cue file, parsed once per process."""
    return load_cues()


def support_of(s: Signals, view: Sequence[Sentence], ends: Sequence[int], clf_floor: float) -> list[int]:
    """Indices of the evidence sentences behind a technique: rule hits and confident classifier sentences."""
    out = [i for start, _, _ in s.rule_spans if (i := sentence_index(view, start, ends)) is not None]
    out += [i for score, i in s.clf if score >= clf_floor] or [i for _, i in s.clf[:1]]
    return out


def generalise(
    selected: Mapping[str, float],
    sig: Mapping[str, Signals],
    view: Sequence[Sentence],
    known: Callable[[str], bool],
    clf_floor: float,
    cues: Cues | None = None,
) -> dict[str, str]:
    """Reported id -> the selected technique it stands for (a sub-technique without its cue -> parent).

    Where both a sub-technique and its parent would be reported the parent's own signals win; an id
    written in prose by the author keeps its name.
    """
    cues = cues or default_cues()
    ends = sentence_ends(view)
    texts = [s.text for s in view]
    out: dict[str, str] = {}
    for tid in sorted(selected, key=lambda t: -selected[t]):
        parent = tid.split(".", 1)[0]
        at = [sentence_index(view, start, ends) for start, _ in sig[tid].explicit]
        named = any(i is not None and view[i].text for i in at)
        keep = named or cues.supported(tid, support_of(sig[tid], view, ends, clf_floor), texts)
        if keep:
            out.setdefault(tid, tid)
        elif "." in tid and known(parent):
            out.setdefault(parent, tid)
        # a technique (not a sub-technique) without its required cue is not reported
    return out
