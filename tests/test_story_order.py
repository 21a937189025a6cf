"""A story's profile must not depend on which of its publications was analysed first.

The rule (``stories._rebuild_reason``), table-driven with a recording fake analysis, then the case
that made the distributed test flaky, through the real pipeline: the demo's npm write-up and its
republication two days later, analysed on a day when the original's IP address is past its lifetime
and the copy's is not. Either order must give the original's analysis.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from huntfeed.campaigns import stories
from huntfeed.campaigns.fingerprint import load_settings
from huntfeed.model import Article, Profile, TextSource
from huntfeed.pipeline import Knowledge, analyse
from huntfeed.store import Store
from tests.test_stories import body

CFG = load_settings()  # fuller_margin 0.15
DAY = datetime(2026, 11, 4, 14, 5, tzinfo=UTC)


def _article(name: str, chars: int, published: datetime | None) -> Article:
    return Article(url=f"https://{name}.example/post", title=name, text="x" * chars,
                   text_source=TextSource.FULL_ARTICLE, published=published)


# (case, joining copy's chars, its date offset in days from the profile's, reason expected)
RULES = [
    ("fuller by more than the margin", 1200, +3, "its fuller text"),
    ("fuller by more than the margin, with no date", 1200, None, "its fuller text"),
    ("about as full, published later", 1000, +2, ""),
    ("about as full, published earlier", 1000, -2, "this earlier publication"),
    ("a little shorter, published earlier", 900, -2, "this earlier publication"),
    ("shorter by more than the margin, published earlier", 800, -2, ""),
    ("about as full, no date", 1000, None, ""),
    ("about as full, the same instant", 1000, 0, ""),
]


@pytest.mark.parametrize(("case", "chars", "offset", "reason"), RULES, ids=[r[0] for r in RULES])
def test_rebuild_reason(case: str, chars: int, offset: int | None, reason: str) -> None:
    previous = _profile_stub(DAY)
    when = None if offset is None else DAY + timedelta(days=offset)
    assert stories._rebuild_reason(_article("copy", chars, when), previous, 1000, CFG.fuller_margin) == reason


def test_a_naive_publication_date_counts_as_utc() -> None:
    earlier_naive = (DAY - timedelta(hours=1)).replace(tzinfo=None)
    assert stories._rebuild_reason(_article("copy", 1000, earlier_naive), _profile_stub(DAY), 1000,
                                   CFG.fuller_margin) == "this earlier publication"


def _profile_stub(published: datetime) -> Any:
    return SimpleNamespace(published=published)  # the rule reads only the profile's publication date


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return Knowledge.load()


def _publications() -> tuple[Article, Article]:
    original = Article(url="https://ironveil.example/npm-tinycolor-term-hijack", title="tinycolor-term hijack",
                       text=body("npm-tinycolor-term-hijack"), text_source=TextSource.FULL_ARTICLE,
                       source_name="Ironveil Labs", published=DAY)
    copy = replace(original, url="https://wire.example/npm-tinycolor-term-republished",
                   text=body("npm-tinycolor-term-republished"), source_name="Packet Wire",
                   published=DAY + timedelta(days=2))
    return original, copy


def _story(store: Store, kb: Knowledge, order: tuple[Article, ...], now: datetime) -> Profile:
    profile: Profile | None = None
    for article in order:
        placed = stories.place(store, article)
        previous = store.get_profile(placed.profile_id)
        profile = stories.build(article, kb, previous, placed, analyse, now=now)
        store.save_profile(profile)
        stories.record(store, article, profile, placed)
    assert profile is not None and len(profile.sources) == 2, "the two publications are one story"
    return profile


def _says(p: Profile) -> tuple[Any, ...]:
    return (p.severity, sorted((i.type.value, i.value, i.fidelity.value) for i in p.indicators),
            sorted(t.id for t in p.techniques), sorted((h.use_case, h.title) for h in p.hunts), p.published)


def test_a_story_says_the_same_whichever_publication_came_first(kb: Knowledge, tmp_path: Path) -> None:
    original, copy = _publications()
    # 31 days after the original, 29 after the copy: an IP address (30-day lifetime) is live only by the copy.
    now = DAY + timedelta(days=31)
    first = _story(Store(f"sqlite:///{tmp_path / 'a.db'}"), kb, (original, copy), now)
    second = _story(Store(f"sqlite:///{tmp_path / 'b.db'}"), kb, (copy, original), now)
    assert _says(first) == _says(second)
    assert first.published == DAY, "the original's analysis, with its report date"
    assert not any(h.use_case.startswith("SWEEP_IP") for h in first.hunts), "its IP address is past its lifetime"
    # The copy alone would still sweep it: the order really did matter before the rule.
    alone = analyse(copy, kb, now=now)
    assert any(h.use_case.startswith("SWEEP_IP") for h in alone.hunts)
    assert "this earlier publication" in second.changes[0].detail
