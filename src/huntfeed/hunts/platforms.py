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
    # Cloud and SaaS platforms (services.yaml): a rule for one fires only where the report names it.
    services: dict[str, re.Pattern[str]] = field(default_factory=dict)

    def named(self, text: str) -> frozenset[str]:
        """The platforms whose cue words appear in the text."""
        return frozenset(name for name, rx in self.patterns.items() if rx.search(text))

    def allows(self, product: str, named: frozenset[str]) -> bool:
        """A use case for ``product`` fits an article naming ``named`` (no cue at all fits every one)."""
        return product not in self.patterns or not named or product in named

    def allows_rule(self, platform: str, text: str, named: frozenset[str]) -> bool:
        """An imported rule watching ``platform`` fits the text: host platforms as ``allows``; a cloud or
        SaaS platform, or any other named product, only where the text names it; no platform fits all."""
        if not platform or platform in self.patterns:
            return self.allows(platform, named)
        rx = self.services.get(platform) or _service_pattern([platform.replace("_", " ")])
        return rx.search(text) is not None


def cue_pattern(words: list[str]) -> re.Pattern[str]:
    # ".exe" is an extension: it follows a name, so only its end needs a boundary.
    alts = sorted(((re.escape(w) if w.startswith(".") else r"(?<![\w-])" + re.escape(w)) for w in words),
                  key=len, reverse=True)
    return re.compile("(?:" + "|".join(alts) + r")(?![\w-])", re.IGNORECASE)


def cue_file(path: Path) -> dict[str, tuple[str, ...]]:
    """A strict cue-word file: a mapping of name to a non-empty list of words (lower-cased)."""
    doc = load_yaml(path)
    if not isinstance(doc, LineDict) or not doc:
        raise DataFileError("expected a mapping of name to cue words", where=f"{path}:1")
    cue_words = {}
    for name, words in doc.items():
        if not isinstance(words, list) or not words or not all(isinstance(w, str) and w.strip() for w in words):
            raise DataFileError(f"{name!r} must be a list of words", where=f"{path}:{doc.line_of(name)}")
        cue_words[str(name).lower()] = tuple(w.strip().lower() for w in words)
    return cue_words


def load_platform_cues(path: Path | None = None, services: Path | None = None) -> PlatformCues:
    """Load the platform cue words (default: the bundled ``hunts/platforms.yaml``) and the cloud and SaaS
    ones (``hunts/services.yaml``); errors give file:line."""
    cue_words = cue_file(path or package_data("hunts", "platforms.yaml"))
    cloud = cue_file(services or package_data("hunts", "services.yaml"))
    return PlatformCues({n: cue_pattern(list(w)) for n, w in cue_words.items()}, cue_words,
                        {n: _service_pattern(list(w)) for n, w in cloud.items()})


def _service_pattern(words: list[str]) -> re.Pattern[str]:
    # A cloud named inside a file path ("~/.aws/credentials", a stealer's target list) is not the report
    # naming that cloud as where the attack happens.
    alts = sorted((re.escape(w) for w in words), key=len, reverse=True)
    return re.compile(r"(?<![\w./\\~-])(?:" + "|".join(alts) + r")(?![\w/\\-])", re.IGNORECASE)
