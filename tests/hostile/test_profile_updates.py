"""Re-processing and ownership: every revision is analysed; a second feed never takes over a profile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from huntfeed.feeds.fetch import Fetcher, FetchSettings
from huntfeed.model import Source
from huntfeed.runner import Runner
from huntfeed.store import Store
from tests.httpserver import LoopbackServer, Reply

pytestmark = [pytest.mark.hostile, pytest.mark.timeout(180)]

PARA = "<p>Step {i}: the operators ran vssadmin delete shadows /all /quiet and staged tools at 185.220.101.{n}.</p>"


def _page(rev: int) -> bytes:
    paras = "".join(PARA.format(i=i, n=rev) for i in range(30))
    return f"<html><body><article><h1>Wiper</h1>{paras}</article></body></html>".encode()


def _rss(title: str, link: str, rev: int = 0) -> bytes:
    return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>{title}</title><item><title>{title} item"
            f"</title><link>{link}</link><guid>g1</guid><description>Summary rev {rev}</description></item>"
            "</channel></rss>").encode()


def _runner(store: Store, server: LoopbackServer, kb: Any, tmp_path: Path) -> Runner:
    return Runner(store, Fetcher(FetchSettings(allow_hosts=frozenset({server.host}))), kb, tmp_path / "out")


def test_five_revisions_give_five_versions(http_server: LoopbackServer, knowledge: Any, tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'u.db'}")
    store.add_feed(Source(http_server.url("/feed.xml"), "Feed", "A"))
    for rev in range(1, 6):
        http_server.routes["/feed.xml"] = Reply(200, _rss("Feed", http_server.url("/post"), rev))
        http_server.routes["/post"] = Reply(200, _page(rev), {"Content-Type": "text/html"})
        _runner(store, http_server, knowledge, tmp_path).run(force=True)
    (pid,) = {p.id for p in store.list_profiles()}
    assert [p.version for p in store.versions(pid)] == [1, 2, 3, 4, 5]
    assert store.entries(states=("pending", "failed")) == []


def test_a_failing_item_still_stops_after_its_attempts(http_server: LoopbackServer, tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'f.db'}")
    store.add_feed(Source(http_server.url("/feed.xml"), "Feed"))
    http_server.routes["/feed.xml"] = Reply(200, _rss("Feed", http_server.url("/post")))
    for _ in range(5):  # a knowledge bundle that always fails: every analysis is a failure
        _runner(store, http_server, object(), tmp_path).run(force=True)
    (state,) = store.entries(states=("failed",))
    assert state.attempts == 3


def test_a_second_feed_never_takes_over_a_profile(http_server: LoopbackServer, knowledge: Any,
                                                  tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'o.db'}")
    article = http_server.url("/post")
    http_server.routes["/post"] = Reply(200, _page(1), {"Content-Type": "text/html"})
    http_server.routes["/trusted.xml"] = Reply(200, _rss("Trusted", article))
    http_server.routes["/junk.xml"] = Reply(200, _rss("Junk", article))
    store.add_feed(Source(http_server.url("/trusted.xml"), "Trusted Vendor", "A"))
    _runner(store, http_server, knowledge, tmp_path).run()
    store.add_feed(Source(http_server.url("/junk.xml"), "Junk Aggregator", "F"))
    _runner(store, http_server, knowledge, tmp_path).run(force=True)
    (head,) = store.list_profiles()
    assert (head.title, head.source, head.feed_url) == ("Trusted item", "Trusted Vendor",
                                                        http_server.url("/trusted.xml"))
    assert head.also_sources == ("Junk Aggregator",)
    assert [c.kind for c in head.changes] == ["source-added"]
    # The junk feed's page failing later (its summary only) neither replaces the owner's analysis nor lists it twice.
    http_server.routes["/junk.xml"] = Reply(200, _rss("Junk", article, rev=2))
    http_server.routes["/post"] = Reply(500, b"down")
    _runner(store, http_server, knowledge, tmp_path).run(force=True)
    latest = store.get_profile(head.id)
    assert latest is not None and latest.version == head.version and latest.text_source.value == "full-article"


def test_304_to_an_unconditional_get_uses_the_feeds_text(http_server: LoopbackServer, knowledge: Any,
                                                         tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'n.db'}")
    store.add_feed(Source(http_server.url("/feed.xml"), "Feed"))
    http_server.routes["/feed.xml"] = Reply(200, _rss("Feed", http_server.url("/post")))
    http_server.routes["/post"] = Reply(304)
    report = _runner(store, http_server, knowledge, tmp_path).run()
    assert len(report.new) == 1 and report.new[0].text_source.value == "rss-summary"
    assert any("304 Not Modified to an unconditional request" in i.message for i in report.issues)
