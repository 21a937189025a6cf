"""Near-duplicates analysed at once by two workers wait for each other (PostgreSQL advisory locks)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from huntfeed.store import Store
from tests.pg import pg_server, pg_url  # noqa: F401 - fixtures

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("scale")]

SHARED = ((0, "a1"), (1, "b2"))  # two articles' band keys sharing (1, "b2")
OTHER = ((0, "a1x"), (1, "b2x"))


def _waiting_advisory_locks(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")).scalar_one())


def test_a_shared_band_key_makes_the_second_wait(pg_url: str) -> None:  # noqa: F811
    store = Store(pg_url)
    got = threading.Event()

    def second() -> None:
        with store.story_lock(((1, "b2"), (5, "zz"))):
            got.set()

    with store.story_lock(SHARED):
        worker = threading.Thread(target=second)
        worker.start()
        # PostgreSQL itself says the second holder is queued behind the first (no sleep-and-hope).
        for _ in range(200):
            if _waiting_advisory_locks(store):
                break
            got.wait(0.05)
        assert _waiting_advisory_locks(store) == 1 and not got.is_set()
    worker.join(10)
    assert got.is_set()  # and it gets in as soon as the first lets go


def test_unrelated_articles_never_wait(pg_url: str) -> None:  # noqa: F811
    store = Store(pg_url)
    got = threading.Event()

    def second() -> None:
        with store.story_lock(OTHER):
            got.set()

    with store.story_lock(SHARED):
        worker = threading.Thread(target=second)
        worker.start()
        assert got.wait(30)  # it got in while the first was still held
    worker.join(10)


def test_sqlite_holds_nothing(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    with store.story_lock(SHARED), store.story_lock(SHARED):  # a local run: one writer, nothing to hold
        assert store.engine.pool.checkedout() == 0
