"""Near-duplicates analysed at once by two workers wait for each other (PostgreSQL advisory locks)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from huntfeed.store import Store
from tests.pg import pg_server, pg_url  # noqa: F401 - fixtures

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("scale")]

SHARED = ((0, "a1"), (1, "b2"))  # two articles' band keys sharing (1, "b2")
OTHER = ((0, "a1x"), (1, "b2x"))


def _second_waits(store: Store, first: tuple[tuple[int, str], ...], second: tuple[tuple[int, str], ...]) -> bool:
    """Does a second holder of ``second`` have to wait while ``first`` is held?"""
    got = threading.Event()

    def other() -> None:
        with store.story_lock(second):
            got.set()

    with store.story_lock(first):
        worker = threading.Thread(target=other)
        worker.start()
        waited = not got.wait(0.5)  # an event, not a timing: the lock either lets it in or not
    worker.join(10)
    assert got.is_set()  # and it gets in as soon as the first lets go
    return waited


def test_a_shared_band_key_makes_the_second_wait(pg_url: str) -> None:  # noqa: F811
    store = Store(pg_url)
    assert _second_waits(store, SHARED, ((1, "b2"), (5, "zz")))


def test_unrelated_articles_never_wait(pg_url: str) -> None:  # noqa: F811
    store = Store(pg_url)
    assert not _second_waits(store, SHARED, OTHER)


def test_sqlite_holds_nothing(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    with store.story_lock(SHARED), store.story_lock(SHARED):  # a local run: one writer, nothing to hold
        assert store.engine.pool.checkedout() == 0
