"""Which platforms an article is about, so that use cases for one platform skip articles about another."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from huntfeed.errors import DataFileError
from huntfeed.hunts.yamlfile import LineDict, load_yaml
from huntfeed.paths import package_data


@dataclass(frozen=True, slots=True)
class PlatformCues:
    """One pattern per platform; a use case watching a platform is gated by it."""

    patterns: dict[str, re.Pattern[str]]
    words: dict[str, tuple[str, ...]] = field(default_factory=dict)  # the cue words, for hunts.compiled

    def named(self, text: str) -> frozenset[str]:
        """The platforms whose cue words appear in the text."""
        return frozenset(name for name, rx in self.patterns.items() if rx.search(text))

    def allows(self, product: str, named: frozenset[str]) -> bool:
        """A use case for ``product`` fits an article naming ``named`` (no cue at all fits every one)."""
        return product not in self.patterns or not named or product in named


def _pattern(words: list[str]) -> re.Pattern[str]:
    # ".exe" is an extension: it follows a name, so only its end needs a boundary.
    alts = sorted(((re.escape(w) if w.startswith(".") else r"(?<![\w-])" + re.escape(w)) for w in words),
                  key=len, reverse=True)
    return re.compile("(?:" + "|".join(alts) + r")(?![\w-])", re.IGNORECASE)


def load_platform_cues(path: Path | None = None) -> PlatformCues:
    """Load the platform cue words (default: the bundled ``hunts/platforms.yaml``); errors give file:line."""
    path = path or package_data("hunts", "platforms.yaml")
    doc = load_yaml(path)
    if not isinstance(doc, LineDict) or not doc:
        raise DataFileError("expected a mapping of platform to cue words", where=f"{path}:1")
    patterns, cue_words = {}, {}
    for name, words in doc.items():
        if not isinstance(words, list) or not words or not all(isinstance(w, str) and w.strip() for w in words):
            raise DataFileError(f"{name!r} must be a list of words", where=f"{path}:{doc.line_of(name)}")
        patterns[name.lower()] = _pattern([w.strip().lower() for w in words])
        cue_words[name.lower()] = tuple(w.strip().lower() for w in words)
    return PlatformCues(patterns, cue_words)
