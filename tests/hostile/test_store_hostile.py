"""The store with what strangers' text may still carry: NUL (PostgreSQL refuses it in text
columns) and lone surrogates (no driver encodes them); and database failures as StoreError."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from huntfeed.errors import StoreError
from huntfeed.model import Entry, Issue, Source
from huntfeed.store import Store
from tests.fixtures_profiles import apt_profile_v2
from tests.pg import pg_server, pg_url  # noqa: F401 - fixtures

pytestmark = [pytest.mark.hostile]

BAD = "a\x00b\ud800c"
CLEAN = "a\ufffdb\ufffdc"


def _exercise(store: Store) -> None:
    feed = f"http://x.example/{BAD}"
    assert store.add_feed(Source(url=feed, name=f"n{BAD}", tags=(BAD,)))
    assert not store.add_feed(Source(url=feed, name="again"))  # the same (cleaned) key both times
    state = store.feed_state(feed)
    assert state is not None and state.url == f"http://x.example/{CLEAN}"
    store.record_feed_error(feed, "500", f"boom {BAD}", None)
    assert store.list_feeds()[0].last_error == f"boom {CLEAN}"
    entry = Entry(feed_url=feed, guid=BAD, title=BAD, link=f"http://x.example/{BAD}", published=None,
                  summary=BAD, content=BAD)
    todo = store.record_feed_items(feed, status="200", etag=BAD, last_modified=None, body_hash="0" * 64,
                                   items=[(entry, "f" * 64)])
    assert [e.entry.guid for e in todo] == [BAD]  # the entry's JSON keeps its text exactly
    store.mark_entry(entry, "failed", error=BAD)  # keys bind cleaned, so the raw guid finds its row
    item = store.entry_state(feed, BAD)
    assert item is not None and item.state == "failed" and item.attempts == 1
    store.record_issue(Issue(f"http://x.example/{BAD}", "feed", f"m{BAD}"))
    assert store.list_issues()[0].message == f"m{CLEAN}"
    profile = replace(apt_profile_v2(), title=f"t{BAD}", summary=f"x{BAD}", url=f"https://x.example/{BAD}")
    assert store.save_profile(profile)
    assert not store.save_profile(profile)  # stored once: the same content is recognised
    stored = store.get_profile(profile.id)
    assert stored is not None and stored.version == 1 and stored.summary == "xa\x00b\ufffdc"
    assert stored.title == "ta\x00b\ufffdc"  # JSON escapes NUL; a lone surrogate is no text at all
    assert store.count_profiles(q=BAD) == 1 and store.count_profiles(q="\x00zz") == 0  # a search may carry NUL too
    store.mark_backfill(BAD, "f" * 64, "failed", error=BAD, origin=BAD)
    assert store.backfill_states([BAD])[BAD].error == CLEAN


def test_sqlite_store_cleans_nul_and_surrogates(tmp_path: Path) -> None:
    _exercise(Store(f"sqlite:///{tmp_path}/s.db"))


@pytest.mark.postgres
@pytest.mark.xdist_group("scale")
def test_postgres_store_cleans_nul_and_surrogates(pg_url: str) -> None:  # noqa: F811
    _exercise(Store(pg_url))


def test_database_errors_are_store_errors(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    store = Store(f"sqlite:///{db}")
    store.add_feed(Source(url="http://x.example/f", name="n"))
    with sqlite3.connect(db) as raw:
        raw.execute("DROP TABLE issues")
    with pytest.raises(StoreError, match=r"record issue failed: OperationalError: no such table: issues") as info:
        store.record_issue(Issue("w", "feed", "m"))
    assert info.value.where == f"sqlite:///{db}"
    assert "[SQL:" not in str(info.value)  # the statement and its parameters stay out of the message
    assert store.list_feeds()[0].url == "http://x.example/f"  # the rest of the store still works


def test_store_error_hides_the_password() -> None:
    with pytest.raises(StoreError) as info:
        Store("postgresql+psycopg://user:s3cret@127.0.0.1:1/db?connect_timeout=1")
    assert "s3cret" not in str(info.value) and "cannot open store" in str(info.value)
