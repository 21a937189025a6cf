"""Store round trips on SQLite (PostgreSQL runs the same suite in tests/test_store_postgres.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from huntfeed.model import (
    Change,
    Entry,
    Fidelity,
    Indicator,
    IndicatorType,
    Inference,
    Issue,
    Profile,
    Score,
    Severity,
    Source,
    TechniqueHit,
    TextSource,
)
from huntfeed.store import Store


def make_profile(pid: str = "a" * 16, version: int = 1, content: str = "h1", sev: Severity = Severity.MED) -> Profile:
    return Profile(
        id=pid,
        version=version,
        title=f"Title {pid}",
        source="Example Research",
        published=datetime(2026, 11, 1, tzinfo=UTC),
        url=f"https://example.org/{pid}",
        summary="A summary mentioning QakBot.",
        text_source=TextSource.FULL_ARTICLE,
        score=Score(sev, ("because",), 3.0),
        indicators=(Indicator(IndicatorType.DOMAIN, "evil.example", "evil[.]example", 0, 15, True, Fidelity.HIGH, "defanged"),),
        inference=Inference(observed=(TechniqueHit("T1059.001", "PowerShell", ("execution",), 0.9, ("explicit-id",)),)),
        hunts=(),
        content_hash=content,
        analysed_at=datetime.now(UTC),
        changes=(Change("indicator-added", "domain evil.example"),) if version > 1 else (),
    )


@pytest.fixture
def store(tmp_path) -> Store:  # type: ignore[no-untyped-def]
    return Store(f"sqlite:///{tmp_path / 'db.sqlite'}")


def test_profile_versions_round_trip(store: Store) -> None:
    assert store.save_profile(make_profile())
    assert not store.save_profile(make_profile()), "same content must not make a second version"
    assert store.save_profile(make_profile(version=2, content="h2", sev=Severity.HIGH))
    versions = store.versions("a" * 16)
    assert [v.version for v in versions] == [1, 2]
    assert versions[1].changes == (Change("indicator-added", "domain evil.example"),)
    assert store.get_profile("a" * 16) == versions[1]
    assert store.get_profile("a" * 16, version=1) == versions[0]
    assert store.get_profile("missing") is None


def test_list_filters(store: Store) -> None:
    store.save_profile(make_profile("a" * 16, sev=Severity.LOW))
    store.save_profile(make_profile("b" * 16, sev=Severity.HIGH))
    assert {p.id for p in store.list_profiles()} == {"a" * 16, "b" * 16}
    assert [p.id for p in store.list_profiles(severity=Severity.HIGH)] == ["b" * 16]
    assert store.count_profiles(q="evil.example") == 2
    assert store.count_profiles(q="nothing-like-this") == 0
    assert store.count_profiles(technique="T1059") == 2
    assert store.count_profiles(since=datetime.now(UTC) + timedelta(days=1)) == 0
    assert store.count_profiles(q="100%_") == 0  # LIKE wildcards are literal


def test_feed_items_resume_after_crash(store: Store) -> None:
    url = "http://127.0.0.1:1/feed.xml"
    assert store.add_feed(Source(url, "Feed", "A"))
    assert not store.add_feed(Source(url, "Feed renamed", "B"))
    e1 = Entry(url, "g1", "one", "http://127.0.0.1:1/1")
    e2 = Entry(url, "g2", "two", "http://127.0.0.1:1/2")
    todo = store.record_feed_items(url, status="200", etag='"x"', last_modified=None, body_hash="b", items=[(e1, "f1"), (e2, "f2")])
    assert [t.entry.guid for t in todo] == ["g1", "g2"]
    store.mark_entry(e1, "done", profile_id="p1", text_source="full-article")
    # a "crash" here: g2 stays pending and is offered again, g1 is not
    assert [t.entry.guid for t in store.entries(url)] == ["g2"]
    todo = store.record_feed_items(url, status="200", etag='"y"', last_modified=None, body_hash="c", items=[(e1, "f1"), (e2, "f2")])
    assert [t.entry.guid for t in todo] == ["g2"]
    # a changed fingerprint re-queues a done item
    todo = store.record_feed_items(url, status="200", etag='"z"', last_modified=None, body_hash="d", items=[(e1, "f1-new")])
    assert {t.entry.guid for t in todo} == {"g1", "g2"}
    state = store.feed_state(url)
    assert state is not None and state.etag == '"z"' and state.name == "Feed renamed"


def test_feed_errors_and_issues(store: Store) -> None:
    url = "http://127.0.0.1:1/feed.xml"
    store.add_feed(Source(url))
    store.record_feed_error(url, "500", "server error", None)
    store.record_feed_error(url, "500", "server error", None)
    state = store.feed_state(url)
    assert state is not None and state.error_count == 2 and state.last_error == "server error"
    store.record_feed_unchanged(url, "304")
    state = store.feed_state(url)
    assert state is not None and state.error_count == 0 and state.last_error is None
    store.record_issue(Issue("http://x", "fetch", "boom"))
    assert store.list_issues()[0].message == "boom"
    assert store.remove_feed(url) and not store.remove_feed(url)
