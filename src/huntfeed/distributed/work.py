"""The units of work of the scale mode, free of Celery: one feed poll, one feed item.

They are ``huntfeed.steps``, the very steps the local Runner takes, with issues recorded in the
store (a worker has no run report); so both modes store the same profiles. Network calls are
kept apart from analysis so a task can retry a fetch without redoing anything else.
"""

from __future__ import annotations

from pathlib import Path

from huntfeed import steps
from huntfeed.errors import BlockedURLError, FetchError, HTTPStatusError, HuntfeedError, TooLargeError
from huntfeed.feeds.fetch import Fetcher, FetchResult
from huntfeed.model import Source
from huntfeed.pipeline import Knowledge
from huntfeed.steps import PollOutcome, fetch_page, rebase_profile
from huntfeed.store import EntryState, FeedState, Store

__all__ = ["PollOutcome", "analyse_item", "fetch_page", "poll", "rebase_profile", "record_poll_failure",
           "transient"]


def transient(exc: BaseException) -> bool:
    """True for failures worth retrying later: timeouts, resets, 5xx and 429; not refusals or 4xx."""
    if isinstance(exc, (BlockedURLError, TooLargeError)):
        return False
    if isinstance(exc, HTTPStatusError):
        return exc.status >= 500 or exc.status in (408, 425, 429)
    return isinstance(exc, FetchError)


def poll(store: Store, fetcher: Fetcher, feed: FeedState) -> PollOutcome:
    """Fetch and record one feed; raises FetchError/ParseError for the caller to retry or record."""
    return steps.poll_feed(store, fetcher, feed, store.record_issue)


def record_poll_failure(store: Store, feed: FeedState, exc: HuntfeedError) -> None:
    """A poll that failed for good: an issue, and the feed backs off as in a local run."""
    steps.record_poll_failure(store, feed, exc, store.record_issue)


def analyse_item(
    store: Store,
    kb: Knowledge,
    source: Source,
    item: EntryState,
    page: FetchResult | None,
    *,
    page_error: FetchError | None = None,
    out_dir: Path | None = None,
) -> str:
    """Build, analyse and store one feed item; returns new | updated | unchanged | failed."""
    outcome = steps.process_item(store, kb, source, item, page, issue=store.record_issue, page_error=page_error,
                                 out_dir=out_dir)
    return "unchanged" if outcome.kind == "not-modified" else outcome.kind
