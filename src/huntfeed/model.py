"""Domain objects shared by every stage.

All of them are frozen, slotted dataclasses: stages build new values rather than mutating
old ones, which keeps the pipeline a chain of pure functions (see DESIGN.md section 1).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum

# Defined there, so that the extractor imports only them; re-exported here for every other module.
from huntfeed.kinds import Fidelity as Fidelity
from huntfeed.kinds import IndicatorType as IndicatorType


def as_utc(when: datetime) -> datetime:
    """A feed's or a store's naive date read as UTC (everything huntfeed writes is UTC)."""
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def as_utc_or_none(when: datetime | None) -> datetime | None:
    """:func:`as_utc` for a nullable column (SQLite hands back naive datetimes)."""
    return None if when is None else as_utc(when)


class Severity(str, Enum):
    """Profile severity, ordered LOW < MED < HIGH < CRITICAL."""

    LOW = "LOW"
    MED = "MED"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)

    def __str__(self) -> str:
        return self.value


_SEVERITY_ORDER = (Severity.LOW, Severity.MED, Severity.HIGH, Severity.CRITICAL)


class TextSource(str, Enum):
    """Where the analysed text came from; a profile built from a summary says so."""

    RSS_SUMMARY = "rss-summary"
    FEED_CONTENT = "feed-content"
    FULL_ARTICLE = "full-article"
    DOCUMENT = "document"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Source:
    """A feed the user follows."""

    url: str
    name: str = ""
    reliability: str = "B"  # Admiralty-style A..F, read from the feed list
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Entry:
    """One item of a parsed feed, before its page is fetched."""

    feed_url: str
    guid: str
    title: str
    link: str
    published: datetime | None = None
    summary: str = ""
    content: str = ""
    source_name: str = ""


@dataclass(frozen=True, slots=True)
class Article:
    """The text huntfeed analyses for one entry (or one standalone document)."""

    url: str
    title: str
    text: str
    text_source: TextSource
    source_name: str = ""
    published: datetime | None = None
    summary: str = ""
    feed_url: str = ""
    guid: str = ""
    source_reliability: str = "B"

    @property
    def content_hash(self) -> str:
        """Hash of what the analysis depends on: a changed write-up yields a new hash."""
        h = hashlib.sha256()
        for part in (self.title, self.text, self.text_source.value):
            h.update(part.encode("utf-8", "surrogatepass"))
            h.update(b"\x00")
        return h.hexdigest()

    @property
    def profile_id(self) -> str:
        """Stable id of the profile across versions: derived from the article's identity."""
        key = self.url or self.guid or self.title
        return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Indicator:
    """One indicator occurrence: value refanged and normalised, raw as written, offsets into the input."""

    type: IndicatorType
    value: str
    raw: str
    start: int
    end: int
    defanged: bool = False
    fidelity: Fidelity = Fidelity.HIGH
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Evidence:
    """A sentence (or phrase) of the text that supports a conclusion, with its offsets."""

    text: str
    start: int
    end: int
    note: str = ""


@dataclass(frozen=True, slots=True)
class TechniqueHit:
    """An ATT&CK technique inferred for a document, with how and why."""

    id: str
    name: str
    tactics: tuple[str, ...] = ()
    confidence: float = 0.0
    methods: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class ActorHit:
    """A named group, malware, tool or campaign recognised in the text."""

    stix_id: str
    name: str
    kind: str  # intrusion-set | malware | tool | campaign
    matched: str
    attack_id: str = ""
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class Inference:
    """Everything the ATT&CK stage concludes about one text."""

    observed: tuple[TechniqueHit, ...] = ()
    associated: tuple[TechniqueHit, ...] = ()
    actors: tuple[ActorHit, ...] = ()
    # Ids the article itself lists (an ATT&CK mapping list or table) that the narrative did not confirm.
    source_mapped: tuple[TechniqueHit, ...] = ()
    kill_chain_phases: tuple[str, ...] = ()
    attack_version: str = ""


@dataclass(frozen=True, slots=True)
class Hunt:
    """A ready query set: a fired use case or an IOC sweep."""

    use_case: str
    title: str
    phase: str
    confidence: str  # High | Medium | Low
    queries: Mapping[str, str] = field(default_factory=dict)  # spl, kql, sigma, spl_raw, sentinel...
    kind: str = "usecase"  # usecase | audit (an every-occurrence listing) | sweep | sigma-import
    techniques: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    description: str = ""
    false_positives: str = ""
    group: str = ""  # use cases of one behaviour in different log sources share a group: severity counts it once


@dataclass(frozen=True, slots=True)
class Score:
    """Severity with every reason that led to it."""

    severity: Severity
    reasons: tuple[str, ...]
    points: float = 0.0


@dataclass(frozen=True, slots=True)
class RelevanceMatch:
    """Why a profile matters to the team: a product it runs, its sector or region, and the sentence."""

    kind: str  # product | sector | region
    name: str  # as the team wrote it in environment.toml
    reason: str  # "names FortiOS 7.2, which you run"
    evidence: str = ""


@dataclass(frozen=True, slots=True)
class HuntLabel:
    """Whether the team can run a hunt: runnable | blind spot | covered, and what says so."""

    use_case: str
    label: str
    detail: str
    sources: tuple[str, ...] = ()  # runnable: sources it runs on; blind spot: sources that would close it
    rule: str = ""  # covered: the deployed rule


@dataclass(frozen=True, slots=True)
class Relevance:
    """A profile seen through the team's environment file."""

    environment: str
    matches: tuple[RelevanceMatch, ...] = ()
    hunts: tuple[HuntLabel, ...] = ()

    @property
    def affects_us(self) -> bool:
        return bool(self.matches)

    def label_of(self, use_case: str) -> HuntLabel | None:
        """The label of one hunt, by its use-case id."""
        return next((h for h in self.hunts if h.use_case == use_case), None)


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between two versions of a profile."""

    kind: str  # e.g. indicator-added, technique-added, hunt-added, severity, text-source
    detail: str


@dataclass(frozen=True, slots=True)
class StorySource:
    """One publication of a story: a syndicated copy or a rewrite merged into the profile."""

    url: str
    source: str
    title: str = ""
    published: datetime | None = None
    text_chars: int = 0
    similarity: float = 1.0  # estimated Jaccard similarity of its text to the story's, 1.0 for the first


@dataclass(frozen=True, slots=True)
class Profile:
    """The published result for one article: what every renderer reads."""

    id: str
    version: int
    title: str
    source: str
    published: datetime | None
    url: str
    summary: str
    text_source: TextSource
    score: Score
    indicators: tuple[Indicator, ...]
    inference: Inference
    hunts: tuple[Hunt, ...]
    content_hash: str
    analysed_at: datetime
    changes: tuple[Change, ...] = ()
    feed_url: str = ""
    relevance: Relevance | None = None  # only with an environment file
    # Every publication of this story (near-duplicates merged); empty for a single-source profile.
    sources: tuple[StorySource, ...] = ()
    # Limits applied to the input ("text cut at 300,000 characters"), for the reader to see.
    notes: tuple[str, ...] = ()
    # Every other feed that published this article; the owner (first publisher) is ``source``.
    also_sources: tuple[str, ...] = ()

    @property
    def severity(self) -> Severity:
        return self.score.severity

    @property
    def techniques(self) -> tuple[TechniqueHit, ...]:
        return self.inference.observed


@dataclass(frozen=True, slots=True)
class Issue:
    """A recorded problem with one item; the run goes on without it."""

    where: str  # feed URL, article URL or input id
    stage: str
    message: str
    extra: Mapping[str, str] = field(default_factory=dict)
