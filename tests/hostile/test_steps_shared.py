"""The Celery workers' unit of work is the Runner's: the same hostile page gets the same treatment.

distributed/work.py used to carry its own copy of the item processing, without the runner's
later fixes (a binary page was fed to the HTML extractor, over-long text went unreported, a
profile whose files were lost was not rewritten). Both now call huntfeed.steps; these tests drive
the worker's entry points without Celery.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from huntfeed.distributed.work import analyse_item, poll
from huntfeed.feeds.article import MAX_TEXT
from huntfeed.feeds.fetch import FetchResult
from huntfeed.model import Entry, Source
from huntfeed.steps import MAX_ITEMS_PER_FEED_RUN
from huntfeed.store import Store
from tests.hostile.conftest import knowledge  # noqa: F401 - the shared, warmed-up fixture
from tests.hostile.corpus import _items, rss

pytestmark = [pytest.mark.hostile]

FEED = "http://feed.example/rss"
LINK = "http://site.example/post"
SUMMARY = "The actor used evil-c2[.]com and 198.51.100.23 for command and control in this campaign."


def _item(store: Store) -> Any:
    store.add_feed(Source(url=FEED, name="shared"))
    entry = Entry(feed_url=FEED, guid="g1", title="A report", link=LINK, summary=SUMMARY)
    (item,) = store.record_feed_items(FEED, status="200", etag=None, last_modified=None, body_hash="0" * 64,
                                      items=[(entry, "f" * 64)])
    return item


def test_worker_refuses_a_pdf_page_and_uses_the_feed_text(tmp_path: Path, knowledge: Any) -> None:  # noqa: F811
    store = Store(f"sqlite:///{tmp_path / 'w.db'}")
    item = _item(store)
    page = FetchResult(url=LINK, status=200, content=b"%PDF-1.7\n" + b"\x00" * 64, content_type="application/pdf")
    out = tmp_path / "out"
    assert analyse_item(store, knowledge, Source(FEED), item, page, out_dir=out) == "new"
    (issue,) = store.list_issues()
    assert issue.where == LINK and "page is a PDF" in issue.message and "used the feed's text" in issue.message
    (profile,) = store.list_profiles()
    assert profile.text_source.value == "rss-summary"
    assert {i.value for i in profile.indicators} >= {"evil-c2.com", "198.51.100.23"}
    # Files lost after storing (a killed worker) come back when the item is seen again unchanged.
    for f in out.iterdir():
        f.unlink()
    store.mark_entry(item.entry, "pending")
    assert analyse_item(store, knowledge, Source(FEED), item, page, out_dir=out) == "unchanged"
    assert json.loads((out / f"{profile.id}.json").read_text("utf-8"))["version"] == 1


def test_worker_reports_over_long_page_text(tmp_path: Path, knowledge: Any) -> None:  # noqa: F811
    store = Store(f"sqlite:///{tmp_path / 'w.db'}")
    item = _item(store)
    body = ("<html><body><article><p>" + "word " * (MAX_TEXT // 4) + "</p></article></body></html>").encode()
    page = FetchResult(url=LINK, status=200, content=body, content_type="text/html; charset=utf-8")
    assert analyse_item(store, knowledge, Source(FEED), item, page) == "new"
    assert any(f"only the first {MAX_TEXT}" in i.message for i in store.list_issues())


class _OneFeed:
    """A fetcher that serves one feed body (the worker's poll takes any object with get())."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def get(self, url: str, **_: Any) -> FetchResult:
        return FetchResult(url=url, status=200, content=self.body, content_type="application/rss+xml")


def test_worker_poll_caps_a_huge_feed_and_says_so(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'w.db'}")
    store.add_feed(Source(url=FEED, name="huge"))
    feed = store.feed_state(FEED)
    assert feed is not None
    outcome = poll(store, _OneFeed(rss(_items(MAX_ITEMS_PER_FEED_RUN + 50))), feed)
    assert len(outcome.todo) == MAX_ITEMS_PER_FEED_RUN and outcome.items_seen == MAX_ITEMS_PER_FEED_RUN + 50
    assert any("50 more item(s)" in i.message for i in store.list_issues())
    assert len(store.entries(FEED)) == MAX_ITEMS_PER_FEED_RUN + 50  # the rest wait, pending, for the next poll
