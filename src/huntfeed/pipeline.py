"""The only place the analysis stages are composed: article in, profile out.

``analyse`` is pure given its inputs (the knowledge bundle is read-only), which is what lets
the same function run in the local runner, under ``analyze --jsonl`` and in Celery workers.
"""

from __future__ import annotations

import gc
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from huntfeed.attack import AttackEngine
from huntfeed.attack.killchain import phases_for
from huntfeed.environment.feedback import (
    FeedbackRule,
    apply_to_indicators,
    apply_to_inference,
    effective,
    feedback_hash,
    rules_for,
)
from huntfeed.environment.lifetime import expiry_note, split_expired
from huntfeed.environment.spec import Environment
from huntfeed.environment.stage import relevance
from huntfeed.extract import ExtractContext, extract
from huntfeed.hunts import HuntLibrary
from huntfeed.hunts.imported import severity_rubric
from huntfeed.hunts.kev import load_kev_products
from huntfeed.model import Article, Change, Fidelity, IndicatorType, Profile, as_utc
from huntfeed.score import Rubric, load_kev, load_rubric, score


@dataclass(frozen=True, slots=True)
class Knowledge:
    """Everything analysis reads: loaded once per process, shared by every article."""

    attack: AttackEngine
    hunts: HuntLibrary
    rubric: Rubric
    kev: frozenset[str]
    # The team's environment.toml (None: no relevance section, profiles as without one).
    environment: Environment | None = None
    kev_products: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    # Judge indicator expiry as of this moment instead of the analysis time: the demo corpus is a
    # snapshot of one day, and its sweeps must not change with the calendar.
    expiry_as_of: datetime | None = None

    @classmethod
    def load(cls, *, kev_path: Path | None = None, data_dir: Path | None = None,
             environment: Environment | None = None) -> Knowledge:
        """Load the ATT&CK engine, the use-case library, the rubric and the KEV list."""
        return cls(
            attack=AttackEngine.load(data_dir),
            hunts=HuntLibrary.load(),
            rubric=severity_rubric(load_rubric()),  # import-sigma --count-in-severity
            kev=load_kev(kev_path),
            environment=environment,
            kev_products=load_kev_products(kev_path) if environment is not None else {},
        )


# Young objects collected every this many container allocations (Python's default is 700).
GC_YOUNG = 10_000


def settle_heap() -> None:
    """For a process that analyses many articles with one loaded `Knowledge` (``analyze --jsonl``, a worker).

    The knowledge is hundreds of thousands of long-lived objects that every older-generation
    collection walked again: 3.3 ms per real report went to the collector (gc callbacks, the 21
    reports of bench/throughput.py). ``gc.freeze`` takes what is loaded out of its sight, and a young
    generation of 10,000 instead of 700 leaves it 0.1 ms; reference counting frees nearly all of an
    article's objects anyway, and a young generation of that size is a few MB at most.
    """
    gc.freeze()
    gc.set_threshold(GC_YOUNG, *gc.get_threshold()[1:])


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def analyse(
    article: Article, kb: Knowledge, *, previous: Profile | None = None, now: datetime | None = None,
    feedback: tuple[FeedbackRule, ...] = (),
) -> Profile:
    """Run every stage on one article; ``previous`` makes this the next version with its changes.

    ``feedback`` is the analysts' rules from the store; those that hold for this article demote
    the values they mark and drop the techniques marked "not in this report", before hunts and scoring.
    """
    rules = rules_for(feedback, article.profile_id, article.feed_url)
    context = ExtractContext(
        source_url=article.url,
        reference_domains=tuple(h for h in {_host(article.feed_url)} if h),
    )
    found = extract(article.text, all=True, context=context)
    inferred = kb.attack.infer(article.text)
    applied = effective(rules, found, inferred)
    indicators = apply_to_indicators(found, applied)
    inference = apply_to_inference(inferred, applied, lambda tactics: phases_for(tactics, kb.attack.phase_of))
    analysed_at = now or datetime.now(UTC)
    seen = _reported(article, analysed_at)
    live, stale = split_expired(tuple(i for i in indicators if i.fidelity is Fidelity.HIGH), seen,
                                kb.expiry_as_of or analysed_at)
    hunts = kb.hunts.hunts_for(article.text, indicators, inference, sweep_indicators=live)
    note = expiry_note(stale, seen)
    if note:  # an old report (a backfill): its infrastructure has moved on; say what the sweeps leave out
        hunts = tuple(replace(h, reasons=(*h.reasons, note)) if h.kind == "sweep" else h for h in hunts)
    env_view = None
    if kb.environment is not None:
        cves = tuple(i.value for i in indicators if i.type is IndicatorType.CVE)
        env_view = relevance(article.text, cves, hunts, kb.kev_products, kb.environment)
    verdict = score(
        text=article.text,
        indicators=indicators,
        inference=inference,
        hunts=hunts,
        source_reliability=article.source_reliability,
        rubric=kb.rubric,
        kev=kb.kev,
        relevance=env_view.matches if env_view is not None else (),
    )
    if note:
        verdict = replace(verdict, reasons=(*verdict.reasons, note))
    profile = Profile(
        id=article.profile_id,
        version=previous.version + 1 if previous else 1,
        title=article.title,
        source=article.source_name,
        published=article.published,
        url=article.url,
        summary=article.summary or article.text[:600],
        text_source=article.text_source,
        score=verdict,
        indicators=indicators,
        inference=inference,
        hunts=hunts,
        content_hash=feedback_hash(article.content_hash, applied),
        analysed_at=analysed_at,
        feed_url=article.feed_url,
        relevance=env_view,
    )
    if previous is None:
        return profile
    return replace(profile, changes=diff_profiles(previous, profile))


def _reported(article: Article, now: datetime) -> datetime:
    """When the article's values were known to be live: its publication date, else now."""
    published = article.published
    if published is None:
        return now
    return min(as_utc(published), now)


def diff_profiles(old: Profile, new: Profile) -> tuple[Change, ...]:
    """What a reader should know changed between two versions, most important first."""
    changes: list[Change] = []
    if old.severity != new.severity:
        changes.append(Change("severity", f"{old.severity.value} -> {new.severity.value}"))
    if old.text_source != new.text_source:
        changes.append(Change("text-source", f"{old.text_source.value} -> {new.text_source.value}"))

    def high(p: Profile) -> set[tuple[str, str]]:
        return {(i.type.value, i.value) for i in p.indicators if i.fidelity is Fidelity.HIGH}

    for kind, before, after in (
        ("indicator", high(old), high(new)),
        ("technique", {(t.id, t.name) for t in old.techniques}, {(t.id, t.name) for t in new.techniques}),
        ("hunt", {(h.use_case, h.title) for h in old.hunts}, {(h.use_case, h.title) for h in new.hunts}),
    ):
        for a, b in sorted(after - before):
            changes.append(Change(f"{kind}-added", f"{a} {b}"))
        for a, b in sorted(before - after):
            changes.append(Change(f"{kind}-removed", f"{a} {b}"))
    if old.title != new.title:
        changes.append(Change("title", f"{old.title!r} -> {new.title!r}"))
    if not changes:
        changes.append(Change("text", "article text changed; findings unchanged"))
    return tuple(changes)
