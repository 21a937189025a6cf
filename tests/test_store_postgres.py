"""The storage suite on a real PostgreSQL server, and concurrent writers on both databases.

The server is Debian's PostgreSQL, started by the test session in a temporary folder on a free
loopback port (tests/pg.py); these tests skip only where its binaries are not installed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from huntfeed.model import Change, Entry, Profile, Source
from huntfeed.store import Store
from huntfeed.store.schema import entries, profile_heads, profile_versions
from tests.pg import pg_server, pg_url  # noqa: F401 - fixtures
from tests.test_store import (  # noqa: F401 - the shared suite, collected again here with a PostgreSQL store
    make_profile,
    test_feed_errors_and_issues,
    test_feed_items_resume_after_crash,
    test_list_filters,
    test_profile_versions_round_trip,
)

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("scale")]


@pytest.fixture
def store(pg_url: str) -> Iterator[Store]:  # noqa: F811 - overrides test_store's SQLite store
    s = Store(pg_url)
    assert s.engine.dialect.name == "postgresql"
    yield s
    s.close()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db.sqlite'}"
    return str(request.getfixturevalue("pg_url"))


def _together(n: int, db_url: str, work: Callable[[Store, int], Any]) -> list[Any]:
    """Run ``work`` in n threads, each with its own Store (own connections), released at once."""
    Store(db_url).close()  # the schema exists before the race on data starts
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n
    errors: list[BaseException] = []

    def run(i: int) -> None:
        store = None
        try:
            store = Store(db_url)  # opened concurrently too: migrations must not race
            barrier.wait(30)
            results[i] = work(store, i)
        except BaseException as exc:  # surfaced below, in the test's thread
            errors.append(exc)
        finally:
            if store is not None:
                store.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    if errors:
        raise errors[0]
    return results


def test_same_article_twice_makes_one_version(db_url: str) -> None:
    profile = make_profile()
    results = _together(8, db_url, lambda s, i: s.save_profile(profile))
    assert results.count(True) == 1
    store = Store(db_url)
    assert [v.version for v in store.versions(profile.id)] == [1]
    assert store.count_profiles() == 1


def test_concurrent_new_versions_never_collide(db_url: str) -> None:
    store = Store(db_url)
    assert store.save_profile(make_profile(content="base"))
    rebased: list[int] = []

    def rebase(latest: Profile, p: Profile) -> Profile:
        rebased.append(latest.version)
        return replace(p, version=latest.version + 1, changes=(Change("text", f"after v{latest.version}"),))

    # Every writer read version 1 and built "version 2" from it: all must land, numbered in turn.
    results = _together(
        8, db_url, lambda s, i: s.save_profile(make_profile(version=2, content=f"c{i}"), rebase=rebase)
    )
    assert results == [True] * 8
    versions = store.versions(make_profile().id)
    assert [v.version for v in versions] == list(range(1, 10))
    assert len({v.content_hash for v in versions}) == 9
    assert len(rebased) == 7, "all writers but the first found a newer version than the one they built on"
    assert all(v.changes == (Change("text", f"after v{v.version - 1}"),) for v in versions[2:])
    with store.engine.connect() as conn:
        head = conn.execute(sa.select(profile_heads.c.version)).scalar_one()
        docs = conn.execute(sa.select(sa.func.count()).select_from(profile_versions)).scalar_one()
    assert head == 9 and docs == 9
    assert store.get_profile(make_profile().id) == versions[-1]


def test_stale_version_without_rebase_is_renumbered(db_url: str) -> None:
    store = Store(db_url)
    assert store.save_profile(make_profile(content="v1"))
    assert store.save_profile(make_profile(version=2, content="v2"))
    assert store.save_profile(make_profile(version=2, content="v3"))  # built on v1, stored after v2
    assert [(v.version, v.content_hash) for v in store.versions("a" * 16)] == [(1, "v1"), (2, "v2"), (3, "v3")]


def test_batch_save_renumbers_within_the_batch_and_skips_stored_content(db_url: str) -> None:
    store = Store(db_url)
    assert store.save_profile(make_profile(content="v1"))
    seen: list[tuple[int, str]] = []

    def rebase(latest: Profile, p: Profile) -> Profile:
        seen.append((latest.version, latest.content_hash))
        return replace(p, version=latest.version + 1, changes=(Change("text", f"after {latest.content_hash}"),))

    # Two new contents both built on v1, the stored v1 again, the second content again, another profile.
    batch = [make_profile(version=2, content="v2"), make_profile(version=2, content="v3"), make_profile(content="v1"),
             make_profile(version=2, content="v3"), make_profile("b" * 16, content="b1")]
    out = store.save_profiles(batch, rebase=rebase)
    assert [(p.id[0], p.version) if p else None for p in out] == [("a", 2), ("a", 3), None, None, ("b", 1)]
    assert seen == [(2, "v2")], "only the second content was stale, against the batch's own v2"
    assert [(v.version, v.content_hash) for v in store.versions("a" * 16)] == [(1, "v1"), (2, "v2"), (3, "v3")]
    assert store.versions("a" * 16)[2].changes == (Change("text", "after v2"),)
    assert {p.id: p.version for p in store.list_profiles()} == {"a" * 16: 3, "b" * 16: 1}
    assert set(store.latest_profiles(["a" * 16, "b" * 16, "c" * 16])) == {"a" * 16, "b" * 16}


def test_concurrent_batches_sharing_profiles_do_not_deadlock(db_url: str) -> None:
    ids = [c * 16 for c in "abcdef"]

    def save(s: Store, i: int) -> list[Profile | None]:
        # Each writer lists the shared profiles in its own order: the locks must still be taken in one order.
        order = ids[i % len(ids):] + ids[: i % len(ids)]
        return s.save_profiles([make_profile(pid, content=f"{pid}-{i}") for pid in order])

    results = _together(6, db_url, save)
    assert all(p is not None for batch in results for p in batch)
    store = Store(db_url)
    for pid in ids:
        assert [v.version for v in store.versions(pid)] == list(range(1, 7))


def test_concurrent_polls_of_one_feed_are_idempotent(db_url: str) -> None:
    url = "http://127.0.0.1:1/feed.xml"
    Store(db_url).add_feed(Source(url, "Feed"))
    items = [(Entry(url, f"g{i}", f"item {i}", f"http://127.0.0.1:1/{i}"), f"f{i}") for i in range(20)]

    def poll(s: Store, i: int) -> int:
        s.add_feed(Source(url, "Feed"))
        return len(s.record_feed_items(url, status="200", etag=None, last_modified=None, body_hash="b", items=items))

    assert _together(6, db_url, poll) == [20] * 6
    store = Store(db_url)
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(entries)).scalar_one() == 20
    store.mark_entry(items[0][0], "done", profile_id="p")
    # the same poll again leaves the done item alone; a changed fingerprint brings it back
    todo = store.record_feed_items(url, status="200", etag=None, last_modified=None, body_hash="c", items=items)
    assert len(todo) == 19
    changed = [(items[0][0], "f0-new")]
    todo = store.record_feed_items(url, status="200", etag=None, last_modified=None, body_hash="d", items=changed)
    assert len(todo) == 20
    state = store.entry_state(url, "g0")
    assert state is not None and state.fingerprint == "f0-new" and state.state == "pending"
    assert store.entry_state(url, "missing") is None


def test_backfill_bookkeeping(db_url: str) -> None:
    store = Store(db_url)
    assert store.backfill_states(["a", "b"]) == {}
    store.mark_backfill("a", "fa", "failed", error="boom", origin="x.jsonl")
    store.mark_backfill("a", "fa", "done", profile_id="p" * 16)
    store.mark_backfill("b", "fb", "failed", error="boom")
    states = store.backfill_states(["a", "b", "c"] + [f"n{i}" for i in range(1200)])
    assert set(states) == {"a", "b"}
    assert states["a"].state == "done" and states["a"].profile_id == "p" * 16 and states["a"].error is None
    assert store.backfill_counts() == {"done": 1, "failed": 1}


def test_concurrent_first_open_migrates_once(pg_url: str) -> None:  # noqa: F811
    # Workers starting together on an empty database: one migrates, the others wait and see the schema.
    errors: list[BaseException] = []

    def open_store() -> None:
        try:
            s = Store(pg_url)
            s.count_profiles()
            s.close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    store = Store(pg_url)
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == _head()
        # Profile documents are LZ4-compressed where the server can (Debian's PostgreSQL >= 14 can).
        method = conn.execute(sa.text("SELECT attcompression FROM pg_attribute WHERE attname = 'doc' "
                                      "AND attrelid = 'profile_versions'::regclass")).scalar_one()
        version = int(conn.execute(sa.text("SHOW server_version_num")).scalar_one())
    assert method == "l" or version < 140000


def test_nul_characters_are_replaced_on_write(db_url: str) -> None:
    # PostgreSQL refuses NUL in text; strangers' titles, names and messages may carry one. Both
    # databases store U+FFFD instead, and look-ups with the raw text find the row.
    from huntfeed.model import Issue

    store = Store(db_url)
    assert store.add_feed(Source("http://x.example/f\x00", "na\x00me"))
    assert [(f.url, f.name) for f in store.list_feeds()] == [("http://x.example/f\ufffd", "na\ufffdme")]
    assert store.remove_feed("http://x.example/f\x00")
    store.record_issue(Issue("http://x.example/\x00", "feed", "m\x00sg"))
    assert store.list_issues()[0].message == "m\ufffdsg"
    assert store.save_profile(replace(make_profile(), title="a\x00b", summary="x\x00y"))
    assert store.list_profiles(q="a\x00b")[0].title == "a\x00b", "the stored document keeps the text as analysed"
    store.mark_backfill("doc\x00", "f", "failed", error="bad\x00")
    assert store.backfill_states(["doc\x00"])["doc\x00"].error == "bad\ufffd"


def _head() -> str:
    """The newest migration, read from the migrations folder (so a new one needs no edit here)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    import huntfeed.store

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(huntfeed.store.__file__).with_name("migrations")))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head
