"""Near-duplicate publications kept as one story: where an article goes, and the profile it gives.

An article whose text is a near-duplicate of a recorded publication (``fingerprint.same_story``)
joins that publication's story instead of getting a profile of its own: when it is fuller than
every text of the story so far, the story's profile is rebuilt from it (same profile id, next
version); otherwise the profile gets a new version that only adds the source. Either way the
profile lists every publication (``Profile.sources``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from huntfeed.campaigns.fingerprint import DedupSettings, Fingerprint, band_keys, fingerprint, load_settings, same_story
from huntfeed.model import Article, Change, Profile, StorySource, as_utc
from huntfeed.store.stories import StoryMember

Analyse = Callable[..., Profile]


@lru_cache(maxsize=1)
def settings() -> DedupSettings:
    """The shipped dedup settings, loaded once."""
    return load_settings()


@dataclass(frozen=True, slots=True)
class Placement:
    """Where an article's analysis goes."""

    profile_id: str  # the profile to (re)build: its own, or the story's
    fp: Fingerprint
    bands: tuple[tuple[int, str], ...]
    story: StoryMember | None = None  # the matched publication, when the article is a copy
    similarity: float = 1.0
    fullest_chars: int = 0  # the longest text of the story so far
    unchanged: bool = False  # this very text is already recorded under the story

    @property
    def is_copy(self) -> bool:
        return self.story is not None and self.story.story_id != self.profile_id_own

    profile_id_own: str = ""


def _text_hash(article: Article) -> str:
    return article.content_hash


def place(store: Any, article: Article, cfg: DedupSettings | None = None) -> Placement:
    """Find the story the article belongs to (indexed look-up), else its own profile."""
    cfg = cfg or settings()
    fp = fingerprint(article.text, cfg)
    return _place(store, article, fp, tuple(band_keys(fp, cfg)), cfg)


@contextmanager
def placing(store: Any, article: Article, cfg: DedupSettings | None = None) -> Iterator[Placement]:
    """``place``, with the article's band keys held until the block ends.

    Wrap the whole place-analyse-record step: two near-duplicates share a band key, so workers
    analysing them at once wait for each other and the second joins the first's story.
    """
    cfg = cfg or settings()
    fp = fingerprint(article.text, cfg)
    bands = tuple(band_keys(fp, cfg))
    with store.story_lock(bands):
        yield _place(store, article, fp, bands, cfg)


def _place(store: Any, article: Article, fp: Fingerprint, bands: tuple[tuple[int, str], ...],
           cfg: DedupSettings) -> Placement:
    own = article.profile_id
    mine = store.story_member(own)
    if mine is not None and mine.text_hash == _text_hash(article) and mine.story_id != own:
        return Placement(mine.story_id, fp, bands, mine, mine.similarity, unchanged=True, profile_id_own=own)
    best: tuple[float, StoryMember] | None = None
    for cand in store.story_candidates(bands, exclude=own):
        dup, sim = same_story(fp, Fingerprint.decode(cand.signature, cand.n_shingles), cfg)
        if dup and (best is None or sim > best[0]):
            best = (sim, cand)
    if best is None:
        # A former copy whose text changed into its own story keeps its story only if still similar.
        return Placement(own, fp, bands, profile_id_own=own)
    sim, cand = best
    fullest = max((m.text_chars for m in store.story_sources(cand.story_id)), default=cand.text_chars)
    return Placement(cand.story_id, fp, bands, cand, sim, fullest, profile_id_own=own)


def _source(article: Article, similarity: float) -> StorySource:
    return StorySource(url=article.url, source=article.source_name, title=article.title,
                       published=article.published, text_chars=len(article.text), similarity=similarity)


def _sources_with(previous: Profile | None, prev_chars: int, new: StorySource) -> tuple[StorySource, ...]:
    have = list(previous.sources) if previous is not None else []
    if previous is not None and not have:
        have = [StorySource(previous.url, previous.source, previous.title, previous.published, prev_chars)]
    return (*[s for s in have if s.url != new.url], new)


def _rebuild_reason(article: Article, previous: Profile, fullest_chars: int, margin: float) -> str:
    """Why a joining copy rebuilds the story's profile ("" when it only adds its source).

    The fullest text makes the profile: a news item may carry the indicators a stub lacked. Between
    texts about as full, the earliest publication does (the original, not a republication): the
    report date decides which indicators are past their lifetime, and the story must say the same
    whichever publication the workers reached first.
    """
    chars = len(article.text)
    if chars > fullest_chars * (1 + margin):
        return "its fuller text"
    comparable = chars * (1 + margin) >= fullest_chars
    if comparable and article.published is not None and previous.published is not None \
            and as_utc(article.published) < as_utc(previous.published):
        return "this earlier publication"
    return ""


def build(article: Article, kb: Any, previous: Profile | None, placed: Placement, analyse: Analyse,
          now: datetime | None = None, cfg: DedupSettings | None = None) -> Profile:
    """The profile to store for ``article`` given where it was placed."""
    if not placed.is_copy:
        profile = analyse(article, kb, previous=previous, now=now)
        if previous is not None and previous.sources:
            profile = replace(profile, sources=_sources_with(previous, 0, _source(article, 1.0)))
        return profile
    assert placed.story is not None and previous is not None
    new = _source(article, placed.similarity)
    sources = _sources_with(previous, placed.fullest_chars, new)
    label = f"{article.source_name or article.url} ({article.url}), {placed.similarity:.2f} similar"
    why = _rebuild_reason(article, previous, placed.fullest_chars, (cfg or settings()).fuller_margin)
    if why:
        rebuilt = analyse(article, kb, previous=previous, now=now)
        return replace(rebuilt, id=previous.id, sources=sources,
                       changes=(Change("source-added", f"{label}; the profile is now built from {why}"),
                                *rebuilt.changes))
    digest = hashlib.sha256(f"{previous.content_hash}|{article.content_hash}".encode()).hexdigest()
    return replace(previous, version=previous.version + 1, sources=sources, content_hash=digest,
                   analysed_at=now or datetime.now(UTC), changes=(Change("source-added", label),))


def record(store: Any, article: Article, profile: Profile, placed: Placement) -> None:
    """Remember the publication under its story, with its band keys."""
    store.record_story_member(StoryMember(
        member_id=article.profile_id, story_id=profile.id, url=article.url, source=article.source_name,
        title=article.title, published=article.published, text_chars=len(article.text),
        text_hash=_text_hash(article), signature=placed.fp.encode(), n_shingles=placed.fp.n_shingles,
        similarity=placed.similarity), placed.bands)
