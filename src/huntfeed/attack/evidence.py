"""Evidence filter: which sentences describe what the adversary did in this report.

A sentence that is negated ("there is no way to decrypt"), hypothetical or advisory ("could",
"organisations should"), about a third party ("sold to ransomware groups"), written for defenders
("this rule identifies ..."), the researchers' own analysis ("we can use the echo command to decode
..."), background (a definition of a tool) or a list of ids and names ("ATT&CK mapping: T1566, ...") is
not evidence.  Every method reads only evidence sentences (ids in the others count as listed), and
only evidence sentences are shown to the user.

The patterns are an analyst-editable data file (``data/attack/evidence.txt``); the one rule
written here is structural: two or more technique ids in one sentence make it a list.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from huntfeed.attack import prefilter
from huntfeed.attack.text import Sentence
from huntfeed.errors import DataFileError
from huntfeed.paths import package_data
from huntfeed.sectioned import regex_or_error, sectioned_lines

REASONS = ("negated", "hypothetical", "third-party", "defender", "analyst", "background", "list")
_SECTION = re.compile(r"^\[([a-z-]+)\]\s*$")
_ANY_ID = re.compile(r"(?<![\w.])T\d{4}(?:[./]\d{3})?(?!\w)")
_WORDS = re.compile(r"[A-Za-z]{2,}")
# Ids denser than one per eight words are a list ("Phishing (T1566), Valid Accounts (T1078)");
# sparser ones sit in prose that narrates ("took them to a domain [T1566.002], then ...").
_WORDS_PER_ID = 8


@dataclass(frozen=True)
class EvidenceRules:
    """Compiled patterns per reason, in REASONS order."""

    patterns: Mapping[str, tuple[re.Pattern[str], ...]]
    # every pattern in one alternation: most sentences are evidence and pay for one search only
    combined: re.Pattern[str] | None = None

    def reason(self, text: str) -> str | None:
        """Why the sentence is not evidence, or None when it is."""
        ids = len(_ANY_ID.findall(text))
        if ids >= 2 and len(_WORDS.findall(_ANY_ID.sub(" ", text))) < _WORDS_PER_ID * ids:
            return "list"
        if self.combined is not None:  # the same answer, searching only patterns that can match (prefilter.py)
            decided, reason = prefilter.first_match(self.combined, self.patterns, REASONS, text)
            if decided:
                return reason
        if self.combined is not None and not self.combined.search(text):
            return None
        for name in REASONS:
            for rx in self.patterns.get(name, ()):
                if rx.search(text):
                    return name
        return None

    def view(self, sentences: Sequence[Sentence]) -> list[Sentence]:
        """The sentences with every non-evidence one emptied (same indices and offsets)."""
        return [s if self.reason(s.text) is None else Sentence("", s.start, s.end) for s in sentences]


def _section_header(line: str, where: str) -> str:
    m = _SECTION.match(line)
    if not m or m.group(1) not in REASONS:
        raise DataFileError(f"expected a section header, one of {', '.join(REASONS)}", where=where)
    return m.group(1)


def load_evidence_rules(path: Path | None = None) -> EvidenceRules:
    """Parse the evidence file strictly; DataFileError carries file:line."""
    path = path or package_data("attack", "evidence.txt")
    found: dict[str, list[re.Pattern[str]]] = {}
    for section, pattern, where in sectioned_lines(path, _section_header, "pattern before any section header"):
        found.setdefault(section, []).append(regex_or_error(pattern, where, re.IGNORECASE))
    every = [p.pattern for v in found.values() for p in v]
    combined = re.compile("|".join(f"(?:{p})" for p in every), re.IGNORECASE) if every else None
    return EvidenceRules({k: tuple(v) for k, v in found.items()}, combined)


@lru_cache(maxsize=1)
def default_rules() -> EvidenceRules:
    """The shipped evidence file, parsed once per process."""
    return load_evidence_rules()
