"""Which platforms an article is about, so that a hunt for one platform skips articles about another.

One table (``data/hunts/platforms.yaml``) and one gate (``PlatformCues.fits``) for the library's use cases
and imported Sigma rules alike: host platforms (windows, linux, macos, mobile) fit a report that names
them or names no host platform; cloud and SaaS platforms (aws, azure, m365, okta, ...) fit only a report
that names them (or a platform their ``with`` lists).
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from huntfeed.errors import DataFileError
from huntfeed.hunts.yamlfile import LineDict, load_yaml
from huntfeed.paths import package_data

KINDS = ("host", "cloud")
_asked = threading.local()  # `PlatformCues.cloud_named`'s answers for the last text
_KEYS = {"kind", "words", "services", "with"}


@dataclass(frozen=True, slots=True)
class PlatformCues:
    """Cue patterns per platform, the services that belong to each, and the gate built on them."""

    patterns: dict[str, re.Pattern[str]]  # host platforms
    words: dict[str, tuple[str, ...]] = field(default_factory=dict)  # the host cue words, for hunts.compiled
    clouds: dict[str, re.Pattern[str]] = field(default_factory=dict)  # cloud and SaaS platforms
    service_platform: dict[str, str] = field(default_factory=dict)  # logsource service -> platform
    fits_with: dict[str, tuple[str, ...]] = field(default_factory=dict)  # platform -> others that fit it

    def named(self, text: str) -> frozenset[str]:
        """The host platforms whose cue words appear in the text."""
        return frozenset(name for name, rx in self.patterns.items() if rx.search(text))

    def allows(self, product: str, named: frozenset[str]) -> bool:
        """A hunt for host ``product`` fits an article naming host platforms ``named`` (none fits all)."""
        return product not in self.patterns or not named or product in named

    def fits(self, platform: str, text: str, named: frozenset[str]) -> bool:
        """A hunt watching ``platform`` fits the text: a host platform as ``allows``; a cloud or SaaS
        platform, or any other named product, only where the text names it (or one of its ``with``);
        no platform fits every text."""
        if not platform or platform in self.patterns:
            return self.allows(platform, named)
        return any(self.cloud_named(p, text) for p in (platform, *self.fits_with.get(platform, ())))

    def cloud_named(self, platform: str, text: str) -> bool:
        """The text names this cloud platform (a product not in the table: its own name, as words)."""
        from huntfeed.attack import prefilter  # (the analysis has it loaded; hunts commands need not)

        # The use cases and the imported rules ask about the same few platforms 200 times per real
        # report (40 distinct): the answers are kept for the last (cues, text) asked about, per
        # thread (holding the text keeps its id from being reused).
        if getattr(_asked, "text", None) is not text or getattr(_asked, "cues", None) is not self:
            _asked.text, _asked.cues, _asked.memo = text, self, {}
        memo: dict[str, bool] = _asked.memo
        found = memo.get(platform)
        if found is None:
            rx = self.clouds.get(platform) or _product_pattern(platform)
            found = memo[platform] = prefilter.search(rx, text) is not None  # rx.search, where its words occur
        return found

    def platform_of(self, product: str, service: str) -> str:
        """The platform a logsource watches: its product, else the platform its service belongs to,
        else the service itself (a product the table does not know, gated by its own name)."""
        return product or self.service_platform.get(service, service)


def cue_pattern(words: list[str]) -> re.Pattern[str]:
    # ".exe" is an extension: it follows a name, so only its end needs a boundary.
    alts = sorted(((re.escape(w) if w.startswith(".") else r"(?<![\w-])" + re.escape(w)) for w in words),
                  key=len, reverse=True)
    return re.compile("(?:" + "|".join(alts) + r")(?![\w-])", re.IGNORECASE)


def _words(raw: Any, what: str, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(w, str) and w.strip() for w in raw):
        raise DataFileError(f"{what} must be a list of words", where=where)
    return tuple(w.strip().lower() for w in raw)


def cue_file(path: Path) -> dict[str, tuple[str, ...]]:
    """A strict cue-word file: a mapping of name to a non-empty list of words (lower-cased)."""
    doc = load_yaml(path)
    if not isinstance(doc, LineDict) or not doc:
        raise DataFileError("expected a mapping of name to cue words", where=f"{path}:1")
    return {str(name).lower(): _words(words, repr(name), f"{path}:{doc.line_of(name)}") for name, words in doc.items()}


@dataclass(frozen=True, slots=True)
class _Entry:
    kind: str
    words: tuple[str, ...]
    services: tuple[str, ...]
    fits_with: tuple[str, ...]


def _entry(name: str, raw: Any, where: str) -> _Entry:
    if not isinstance(raw, LineDict):
        raise DataFileError(f"platform {name!r} must be a mapping with kind and words", where=where)
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise DataFileError(f"platform {name!r}: unknown key(s) {', '.join(unknown)}", where=where)
    kind = raw.get("kind")
    if kind not in KINDS:
        raise DataFileError(f"platform {name!r}: kind must be one of {', '.join(KINDS)}", where=where)
    optional = {k: _words(raw[k], f"platform {name!r} {k}", where) if k in raw else () for k in ("services", "with")}
    return _Entry(str(kind), _words(raw.get("words"), f"platform {name!r} words", where),
                  optional["services"], optional["with"])


def platform_table(path: Path) -> dict[str, _Entry]:
    """The strict platform table: each entry's kind, words, services and ``with``; a service claimed by two
    platforms or a ``with`` naming no platform of the table is an error (file:line)."""
    doc = load_yaml(path)
    if not isinstance(doc, LineDict) or not doc:
        raise DataFileError("expected a mapping of platform name to its entry", where=f"{path}:1")
    table = {str(n).lower(): _entry(str(n), raw, f"{path}:{doc.line_of(n)}") for n, raw in doc.items()}
    owner: dict[str, str] = {}
    for name, entry in table.items():
        where = f"{path}:{doc.line_of(name)}"
        for service in entry.services:
            if service in owner:
                raise DataFileError(f"service {service!r} belongs to {owner[service]} and {name}", where=where)
            owner[service] = name
        for other in entry.fits_with:
            if other not in table or other == name:
                raise DataFileError(f"platform {name!r}: 'with' names {other!r}, not another platform", where=where)
    return table


def load_platform_cues(path: Path | None = None) -> PlatformCues:
    """Load the platform table (default: the bundled ``hunts/platforms.yaml``); errors give file:line."""
    table = platform_table(path or package_data("hunts", "platforms.yaml"))
    host = {n: e.words for n, e in table.items() if e.kind == "host"}
    return PlatformCues(
        patterns={n: cue_pattern(list(w)) for n, w in host.items()},
        words=host,
        clouds={n: _service_pattern(list(e.words)) for n, e in table.items() if e.kind == "cloud"},
        service_platform={s: n for n, e in table.items() for s in e.services},
        fits_with={n: e.fits_with for n, e in table.items() if e.fits_with},
    )


@functools.lru_cache(maxsize=512)
def _product_pattern(product: str) -> re.Pattern[str]:
    # A product the table does not know is gated by its own name: built once per name, not once per
    # rule and article.
    return _service_pattern([product.replace("_", " ")])


def _service_pattern(words: list[str]) -> re.Pattern[str]:
    # A cloud named inside a file path ("~/.aws/credentials", a stealer's target list) is not the report
    # naming that cloud as where the attack happens.
    alts = sorted((re.escape(w) for w in words), key=len, reverse=True)
    return re.compile(r"(?<![\w./\\~-])(?:" + "|".join(alts) + r")(?![\w/\\-])", re.IGNORECASE)
