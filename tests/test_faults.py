"""Faults around a run: failing feeds, dropped connections, a locked, read-only or full store/disk.

Each test drives the real Runner against loopback servers and a real SQLite file, then checks
that the failure is recorded clearly, that other feeds are unaffected, and that the next run
recovers without losing or duplicating anything.
"""

from __future__ import annotations

import errno
import json
import socket
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from huntfeed.errors import StoreError
from huntfeed.feeds.fetch import Fetcher, FetchSettings
from huntfeed.model import Source
from huntfeed.runner import Runner
from huntfeed.store import Store, utcnow
from tests.hostile.conftest import knowledge  # noqa: F401 - the shared, warmed-up fixture
from tests.hostile.corpus import feed_reply, good_page, item, page_reply, rss
from tests.hostile.rawserver import RawServer
from tests.httpserver import LoopbackServer, Reply

pytestmark = [pytest.mark.hostile, pytest.mark.integration, pytest.mark.timeout(180)]


def _site(http: LoopbackServer, name: str, n: int) -> str:
    items = ""
    for i in range(n):
        path = f"/{name}/p{i}"
        http.routes[path] = page_reply(good_page(f"{name} report {i}"))
        items += item(f"{name}-{i}", title=f"{name} {i}", link=http.url(path))
    http.routes[f"/{name}.xml"] = feed_reply(rss(items, title=name))
    return http.url(f"/{name}.xml")


def _fetcher(*servers: Any) -> Fetcher:
    return Fetcher(FetchSettings(timeout=2, deadline=5, allow_hosts=frozenset(s.host for s in servers)))


def _versions(store: Store) -> dict[str, list[int]]:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, version FROM profile_versions ORDER BY id, version")).all()
    out: dict[str, list[int]] = {}
    for pid, version in rows:
        out.setdefault(pid, []).append(version)
    return out


def test_a_failing_feed_backs_off_and_others_are_unaffected(tmp_path: Path, knowledge: Any) -> None:  # noqa: F811
    with LoopbackServer() as http:
        good = _site(http, "good", 3)
        http.routes["/down.xml"] = Reply(500, b"internal error")
        store = Store(f"sqlite:///{tmp_path / 'h.db'}")
        store.add_feed(Source(url=http.url("/down.xml"), name="down"))
        store.add_feed(Source(url=good, name="good"))
        with _fetcher(http) as fetcher:
            first = Runner(store, fetcher, knowledge, tmp_path / "out").run()
            assert first.feeds_failed == 1 and len(first.new) == 3 and not first.nothing_processed
            down = store.feed_state(http.url("/down.xml"))
            assert down and down.error_count == 1 and down.last_status == "500" and down.retry_after > utcnow()
            retry_1 = down.retry_after - down.last_polled

            second = Runner(store, fetcher, knowledge, tmp_path / "out").run()  # inside the back-off window
            assert second.feeds_skipped == 1 and second.feeds_polled == 1
            assert sum(1 for p, _ in http.hits if p == "/down.xml") == 1

            Runner(store, fetcher, knowledge, tmp_path / "out").run(force=True)
            down = store.feed_state(http.url("/down.xml"))
            assert down and down.error_count == 2 and (down.retry_after - down.last_polled) > retry_1  # grows

            http.routes["/down.xml"] = feed_reply(rss(item("back", title="back again")))
            Runner(store, fetcher, knowledge, tmp_path / "out").run(force=True)
            down = store.feed_state(http.url("/down.xml"))
            assert down and down.error_count == 0 and down.last_error is None and down.retry_after is None

    from huntfeed.cli import cli

    listed = CliRunner().invoke(cli, ["feeds", "list", "--db", f"sqlite:///{tmp_path / 'h.db'}", "--json"])
    assert listed.exit_code == 0
    assert all(r["error_count"] == 0 for r in map(json.loads, listed.output.splitlines()))


def test_feeds_list_shows_a_failing_feed(tmp_path: Path, knowledge: Any) -> None:  # noqa: F811
    with LoopbackServer() as http:
        http.routes["/down.xml"] = Reply(503, b"maintenance")
        db = f"sqlite:///{tmp_path / 'h.db'}"
        store = Store(db)
        store.add_feed(Source(url=http.url("/down.xml"), name="down"))
        with _fetcher(http) as fetcher:
            report = Runner(store, fetcher, knowledge, None).run()
    assert report.nothing_processed  # the one case `huntfeed run` exits 1
    from huntfeed.cli import cli

    table = CliRunner().invoke(cli, ["feeds", "list", "--db", db])
    assert table.exit_code == 0 and "503" in table.output and "HTTP 503" in table.output

    from fastapi.testclient import TestClient

    from huntfeed.web.app import create_app

    with TestClient(create_app(Store(db), tactic_order=lambda: ["execution"]), base_url="http://127.0.0.1") as client:
        page = client.get("/feeds")
        api = client.get("/api/feeds").json()
    assert page.status_code == 200 and "HTTP 503" in page.text
    rows = api if isinstance(api, list) else api.get("feeds", api.get("items", []))
    assert any("HTTP 503" in (r.get("last_error") or "") for r in rows), api


def test_network_drop_mid_response_is_recorded_then_recovered(tmp_path: Path, knowledge: Any) -> None:  # noqa: F811
    body = rss(item("a", title="alpha") + item("b", title="beta"))
    state = {"drop": True}

    def flaky(conn: socket.socket) -> None:
        if state["drop"]:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body[: len(body) // 2])
        else:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: %d\r\n"
                         b"Connection: close\r\n\r\n" % len(body) + body)

    with RawServer() as raw, LoopbackServer() as http:
        raw.routes["/feed.xml"] = flaky
        good = _site(http, "steady", 2)
        store = Store(f"sqlite:///{tmp_path / 'h.db'}")
        store.add_feed(Source(url=raw.url("/feed.xml"), name="flaky"))
        store.add_feed(Source(url=good, name="steady"))
        with _fetcher(raw, http) as fetcher:
            first = Runner(store, fetcher, knowledge, None).run()
            assert any("peer closed" in i.message or "incomplete" in i.message.lower() for i in first.issues), \
                first.issues
            assert len(first.new) == 2  # the other feed is untouched
            state["drop"] = False
            second = Runner(store, fetcher, knowledge, None).run(force=True)
    assert {p.title for p in second.new} == {"alpha", "beta"}
    assert store.feed_state(raw.url("/feed.xml")).error_count == 0  # type: ignore[union-attr]


def _short_busy_timeout(store: Store, ms: int) -> None:
    # The store waits 30 s for a lock; a test cannot. Later connect hooks run after the store's own.
    @sa.event.listens_for(store.engine, "connect")
    def _busy(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute(f"PRAGMA busy_timeout={ms}")

    store.engine.dispose()


def test_a_locked_database_stops_the_run_clearly_and_the_next_run_resumes(tmp_path: Path,
                                                                           knowledge: Any) -> None:  # noqa: F811
    path = tmp_path / "h.db"
    with LoopbackServer() as http:
        feed = _site(http, "locked", 4)
        store = Store(f"sqlite:///{path}")
        store.add_feed(Source(url=feed, name="locked"))
        _short_busy_timeout(store, 300)
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # another process holding the write lock
        try:
            with _fetcher(http) as fetcher, pytest.raises(StoreError, match="database is locked") as info:
                Runner(store, fetcher, knowledge, tmp_path / "out").run()
            assert "stay pending for the next run" in str(info.value)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        with _fetcher(http) as fetcher:
            report = Runner(store, fetcher, knowledge, tmp_path / "out").run()
    assert len(report.new) == 4 and not report.issues
    assert all(v == [1] for v in _versions(store).values()) and len(_versions(store)) == 4


def test_a_briefly_held_lock_is_waited_out(tmp_path: Path, knowledge: Any) -> None:  # noqa: F811
    path = tmp_path / "h.db"
    with LoopbackServer() as http:
        feed = _site(http, "brief", 2)
        store = Store(f"sqlite:///{path}")
        store.add_feed(Source(url=feed, name="brief"))
        holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN EXCLUSIVE")
        release = threading.Timer(1.0, lambda: (holder.execute("ROLLBACK"), holder.close()))
        release.start()
        with _fetcher(http) as fetcher:
            report = Runner(store, fetcher, knowledge, None).run()  # busy_timeout retries until the lock goes
        release.join()
    assert len(report.new) == 2 and not report.issues


def test_a_read_only_store_is_a_store_error(tmp_path: Path, knowledge: Any) -> None:  # noqa: F811
    path = tmp_path / "h.db"
    with LoopbackServer() as http:
        feed = _site(http, "ro", 1)
        Store(f"sqlite:///{path}").add_feed(Source(url=feed, name="ro"))
        store = Store(f"sqlite:///file:{path}?mode=ro&uri=true")
        with _fetcher(http) as fetcher, pytest.raises(StoreError, match="readonly database"):
            Runner(store, fetcher, knowledge, None).run()


def test_a_full_disk_loses_no_output(tmp_path: Path, knowledge: Any, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    import huntfeed.render.files as files

    real_replace = files.os.replace
    full = {"on": True}

    def replace(src: Any, dst: Any) -> None:
        if full["on"]:
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", replace)
    out = tmp_path / "out"
    with LoopbackServer() as http:
        feed = _site(http, "disk", 3)
        store = Store(f"sqlite:///{tmp_path / 'h.db'}")
        store.add_feed(Source(url=feed, name="disk"))
        with _fetcher(http) as fetcher:
            first = Runner(store, fetcher, knowledge, out).run()
            assert [i for i in first.issues if "No space left on device" in i.message and i.stage == "analysis"]
            assert not [p for p in out.rglob("*") if p.is_file()]  # no temp file left behind either
            full["on"] = False
            Runner(store, fetcher, knowledge, out).run(force=True)
    versions = _versions(store)
    assert len(versions) == 3 and all(v == [1] for v in versions.values())  # retried, not duplicated
    assert {p.name for p in out.iterdir()} == {f"{pid}.{ext}" for pid in versions for ext in ("md", "json")}
    assert not store.entries(states=("pending", "failed"))


def test_profile_files_lost_after_storing_are_rewritten(tmp_path: Path, knowledge: Any) -> None:  # noqa: F811
    # What a SIGKILL between "profile stored" and "files written" leaves: the next run repairs it.
    out = tmp_path / "out"
    with LoopbackServer() as http:
        feed = _site(http, "lost", 2)
        store = Store(f"sqlite:///{tmp_path / 'h.db'}")
        store.add_feed(Source(url=feed, name="lost"))
        with _fetcher(http) as fetcher:
            Runner(store, fetcher, knowledge, out).run()
            for f in out.iterdir():
                f.unlink()
            with store.engine.begin() as conn:
                conn.execute(sa.text("UPDATE entries SET state = 'pending', attempts = 0"))
            time.sleep(0)  # nothing else changes: same feed, same pages
            report = Runner(store, fetcher, knowledge, out).run(force=True)
    assert report.unchanged == 2 and not report.new and not report.updated
    assert len(list(out.glob("*.md"))) == 2 and len(list(out.glob("*.json"))) == 2
