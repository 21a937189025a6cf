"""Slow pages never hold the run: feeds are polled side by side, with a bound per host."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from huntfeed.feeds.fetch import Fetcher, FetchSettings
from huntfeed.model import Source
from huntfeed.runner import Runner
from huntfeed.store import Store
from tests.hostile.rawserver import RawServer
from tests.httpserver import LoopbackServer, Reply

pytestmark = [pytest.mark.hostile, pytest.mark.timeout(180)]


def _rss(links: list[str], name: str = "Item") -> bytes:
    items = "".join(f"<item><title>{name} {i}</title><link>{u}</link><guid>g{i}</guid>"
                    f"<description>Summary {i} of vssadmin delete shadows</description></item>"
                    for i, u in enumerate(links))
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>F</title>{items}</channel></rss>".encode()


def test_a_feed_of_trickling_pages_does_not_hold_the_next_feed(knowledge: Any, tmp_path: Path) -> None:
    events: list[str] = []
    with LoopbackServer() as site, RawServer() as slow:
        for i in range(3):
            slow.routes[f"/p{i}"] = slow.trickle(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html>", b"x", 0.3)
        site.routes["/slow.xml"] = Reply(200, _rss([slow.url(f"/p{i}") for i in range(3)], "Slow"))
        site.routes["/fast.xml"] = Reply(200, _rss([site.url("/fast")], "Fast"))

        def fast_page(_handler: Any) -> Reply:
            events.append("request:fast")
            return Reply(200, b"<html><body><p>fast page</p></body></html>", {"Content-Type": "text/html"})

        site.routes["/fast"] = fast_page
        store = Store(f"sqlite:///{tmp_path / 's.db'}")
        store.add_feed(Source(site.url("/slow.xml"), "Slow"))
        store.add_feed(Source(site.url("/fast.xml"), "Fast"))
        settings = FetchSettings(timeout=5, deadline=2, allow_hosts=frozenset({site.host, slow.host}))
        runner = Runner(store, Fetcher(settings), knowledge, None,
                        progress=lambda event, detail: events.append(f"{event}:{detail}"))
        ordered = sorted(store.list_feeds(), key=lambda f: f.name != "Slow")  # the slow feed first
        report = runner.run(ordered)
    assert report.feeds_polled == 2 and len(report.new) == 4
    # Run one after the other, the fast feed's page waited for three page deadlines; fetched side by
    # side it is asked for before the last slow page has used its deadline (both sites are on
    # 127.0.0.1 here, so the per-host bound of two requests holds it back until the first gives up).
    fast = events.index("request:fast")
    timeouts = [i for i, e in enumerate(events) if e.startswith("issue:") and "longer than" in e]
    assert len(timeouts) == 3 and fast < timeouts[-1], events


def test_requests_to_one_host_are_bounded(knowledge: Any, tmp_path: Path) -> None:
    in_flight = 0
    peak = 0
    lock = threading.Lock()

    with LoopbackServer() as site:
        def page(_handler: Any) -> Reply:
            nonlocal in_flight, peak
            with lock:
                in_flight += 1
                peak = max(peak, in_flight)
            time.sleep(0.3)
            with lock:
                in_flight -= 1
            return Reply(200, b"<html><body><p>short</p></body></html>", {"Content-Type": "text/html"})

        store = Store(f"sqlite:///{tmp_path / 'b.db'}")
        for n in range(6):
            site.routes[f"/f{n}.xml"] = Reply(200, _rss([site.url(f"/page/{n}/{i}") for i in range(2)]))
            for i in range(2):
                site.routes[f"/page/{n}/{i}"] = page
            store.add_feed(Source(site.url(f"/f{n}.xml"), f"Feed {n}"))
        fetcher = Fetcher(FetchSettings(per_host=2, allow_hosts=frozenset({site.host})))
        report = Runner(store, fetcher, knowledge, None).run()
    assert report.feeds_polled == 6 and report.pages_fetched == 12
    assert 1 < peak <= 2


def test_a_feed_over_its_time_leaves_the_rest_pending_for_the_next_run(
        knowledge: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import huntfeed.runner as runner_module

    with LoopbackServer() as site:
        site.routes["/f.xml"] = Reply(200, _rss([site.url(f"/page/{i}") for i in range(3)]))
        for i in range(3):
            site.routes[f"/page/{i}"] = Reply(200, f"<html><body><p>page {i}</p></body></html>".encode(),
                                              {"Content-Type": "text/html"})
        store = Store(f"sqlite:///{tmp_path / 'budget.db'}")
        store.add_feed(Source(site.url("/f.xml"), "Feed"))
        fetcher = Fetcher(FetchSettings(allow_hosts=frozenset({site.host})))
        monkeypatch.setattr(runner_module, "FEED_BUDGET_S", -1.0)  # spent before its first item
        first = Runner(store, fetcher, knowledge, None).run()
        assert not first.new and first.pages_fetched == 0
        assert [i.message for i in first.issues] == ["3 item(s) left for the next run: the feed used its -1s of this run"]
        monkeypatch.setattr(runner_module, "FEED_BUDGET_S", 300.0)
        second = Runner(store, fetcher, knowledge, None).run(force=True)
    assert len(second.new) == 3 and not second.issues  # nothing was lost: the next run resumes them
