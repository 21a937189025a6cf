"""One polling run: feeds -> items -> articles -> profiles -> store and files.

This is the I/O edge around ``pipeline.analyse``; the steps for one feed and one item are
``huntfeed.steps``, shared with the Celery workers. One bad feed or item becomes an Issue
record and the run goes on; every item's state is stored before and after its analysis so a
killed run resumes where it stopped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from huntfeed.errors import FetchError, HuntfeedError, StoreError
from huntfeed.feeds.fetch import Fetcher, FetchResult
from huntfeed.model import Issue, Profile, Source
from huntfeed.pipeline import Knowledge
from huntfeed.render.files import clean_stale_temp_files
from huntfeed.steps import (  # noqa: F401 - the limits are re-exported for callers of the runner
    MAX_ATTEMPTS,
    MAX_ITEMS_PER_FEED_RUN,
    RECHECK_THIN_FOR,
    fetch_page,
    poll_feed,
    process_item,
    record_item_failure,
    record_poll_failure,
)
from huntfeed.store import EntryState, FeedState, Store, utcnow

Progress = Callable[[str, str], None]  # (event, detail)
FEED_WORKERS = 4  # feeds polled at once (requests per host are bounded by the fetcher)
FEED_BUDGET_S = 300.0  # time one feed may take in a run before its remaining items wait


@dataclass(slots=True)
class RunReport:
    """What a run did, for the summary and the exit code."""

    feeds_polled: int = 0
    feeds_unchanged: int = 0
    feeds_failed: int = 0
    feeds_skipped: int = 0
    pages_fetched: int = 0
    items_seen: int = 0
    new: list[Profile] = field(default_factory=list)
    updated: list[Profile] = field(default_factory=list)
    unchanged: int = 0
    issues: list[Issue] = field(default_factory=list)

    @property
    def written(self) -> list[Profile]:
        return self.new + self.updated

    @property
    def nothing_processed(self) -> bool:
        """True when every feed failed: the one case a run exits non-zero."""
        return self.feeds_polled > 0 and self.feeds_failed == self.feeds_polled


class Runner:
    """Polls feeds and analyses what is new or changed."""

    def __init__(
        self,
        store: Store,
        fetcher: Fetcher,
        knowledge: Knowledge,
        out_dir: Path | None,
        progress: Progress | None = None,
    ) -> None:
        self.store = store
        self.fetcher = fetcher
        self.kb = knowledge
        self.out_dir = out_dir
        self.progress = progress or (lambda event, detail: None)
        self._lock = threading.Lock()

    def run(self, feeds: Sequence[FeedState] | None = None, *, force: bool = False) -> RunReport:
        """Poll each feed once (those in back-off are skipped unless ``force``).

        A failure of the store itself (locked past its busy timeout, disk full, read-only)
        ends the run with a StoreError: items not yet recorded as done stay pending, and the
        next run resumes them.
        """
        report = RunReport()
        if self.out_dir is not None:
            # A run killed mid-write leaves its hidden temporary file; the next run removes it.
            for path in clean_stale_temp_files(self.out_dir):
                self.progress("clean", f"removed {path.name}, left by an interrupted write")
        todo = list(feeds if feeds is not None else self.store.list_feeds())
        try:
            # Feeds are polled side by side, so one slow site never holds the others; the fetcher
            # bounds the requests in flight per host, so a site with many feeds is not flooded.
            with ThreadPoolExecutor(max_workers=max(1, min(FEED_WORKERS, len(todo)))) as pool:
                for done in [pool.submit(self._run_feed, feed, report, force=force) for feed in todo]:
                    done.result()
        except StoreError as exc:
            # Per-item and per-feed failures are caught below; the store's own failures end up here.
            raise StoreError(f"the store failed mid-run ({exc.message}); unfinished items stay pending for the "
                             "next run", where=exc.where) from exc
        return report

    def _run_feed(self, feed: FeedState, report: RunReport, *, force: bool) -> None:
        if not force and feed.retry_after and feed.retry_after > utcnow():
            with self._lock:  # feeds run in threads
                report.feeds_skipped += 1
            self.progress("skip", f"{feed.url} (backing off until {feed.retry_after:%H:%M})")
            return
        with self._lock:  # feeds run in threads
            report.feeds_polled += 1
        self.progress("feed", feed.name or feed.url)

        def issue(item: Issue) -> None:
            self._issue(report, item)

        try:
            outcome = poll_feed(self.store, self.fetcher, feed, issue)
        except StoreError:
            raise  # the store's failure, not the feed's: it ends the run (see run)
        except HuntfeedError as exc:
            with self._lock:  # feeds run in threads
                report.feeds_failed += 1
            record_poll_failure(self.store, feed, exc, issue)
            return
        if outcome.status == "unchanged":
            with self._lock:  # feeds run in threads
                report.feeds_unchanged += 1
        with self._lock:  # feeds run in threads
            report.items_seen += outcome.items_seen
        started = time.monotonic()
        queue = [(False, item) for item in outcome.todo] + [(True, item) for item in outcome.recheck]
        for n, (recheck, item) in enumerate(queue):
            if time.monotonic() - started > FEED_BUDGET_S:
                # Trickling pages cost up to a deadline each; the rest stay pending for the next run.
                issue(Issue(feed.url, "feed", f"{len(queue) - n} item(s) left for the next run: the feed used its "
                                              f"{FEED_BUDGET_S:.0f}s of this run"))
                return
            self._process(feed.source, item, report, issue, recheck=recheck)

    def _process(self, source: Source, item: EntryState, report: RunReport, issue: Callable[[Issue], None], *,
                 recheck: bool) -> None:
        page: FetchResult | None = None
        page_error: FetchError | None = None
        if item.entry.link:
            try:
                page = fetch_page(self.fetcher, item, recheck=recheck)
                with self._lock:  # feeds run in threads
                    report.pages_fetched += 1
            except FetchError as exc:
                page_error = exc
            except Exception as exc:  # a fetcher bug is this item's failure, not the run's
                record_item_failure(self.store, item.entry, exc, issue)
                return
        outcome = process_item(self.store, self.kb, source, item, page, issue=issue, page_error=page_error,
                               out_dir=self.out_dir, on_analyse=lambda title: self.progress("analyse", title))
        if outcome.kind == "unchanged":
            with self._lock:  # feeds run in threads
                report.unchanged += 1
        elif outcome.profile is not None:
            with self._lock:  # feeds run in threads
                (report.new if outcome.kind == "new" else report.updated).append(outcome.profile)

    def _issue(self, report: RunReport, issue: Issue) -> None:
        with self._lock:  # feeds run in threads
            report.issues.append(issue)
        self.store.record_issue(issue)
        self.progress("issue", f"{issue.where}: {issue.message}")
