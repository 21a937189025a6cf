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
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from huntfeed.errors import FetchError, HuntfeedError, StoreError
from huntfeed.feeds.fetch import Fetcher, FetchResult
from huntfeed.model import Issue, Profile
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
PAGE_WINDOW = 8  # article pages fetched ahead of the one being analysed


@dataclass(frozen=True, slots=True)
class _Job:
    feed: FeedState
    recheck: bool
    item: EntryState


@dataclass(frozen=True, slots=True)
class _Page:
    page: FetchResult | None
    error: FetchError | None
    crash: Exception | None


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
            # Feeds and pages are fetched side by side, so one slow site never holds the others (the
            # fetcher bounds the requests in flight per host); items are analysed and stored one at a
            # time in feed order, so a run's result never depends on which site answered first (the
            # story a near-duplicate joins, the owner of a profile two feeds share).
            with ThreadPoolExecutor(max_workers=max(1, min(FEED_WORKERS, len(todo)))) as pool:
                polls = [pool.submit(self._poll, feed, report, force=force) for feed in todo]
                jobs = [job for done in polls for job in done.result()]
                self._process_all(pool, jobs, report)
        except StoreError as exc:
            # Per-item and per-feed failures are caught below; the store's own failures end up here.
            raise StoreError(f"the store failed mid-run ({exc.message}); unfinished items stay pending for the "
                             "next run", where=exc.where) from exc
        return report

    def _poll(self, feed: FeedState, report: RunReport, *, force: bool) -> list[_Job]:
        """The feed's items to process in this run (none if it is backing off or failed)."""
        if not force and feed.retry_after and feed.retry_after > utcnow():
            with self._lock:  # feeds are polled in threads
                report.feeds_skipped += 1
            self.progress("skip", f"{feed.url} (backing off until {feed.retry_after:%H:%M})")
            return []
        with self._lock:
            report.feeds_polled += 1
        self.progress("feed", feed.name or feed.url)
        try:
            outcome = poll_feed(self.store, self.fetcher, feed, lambda i: self._issue(report, i))
        except StoreError:
            raise  # the store's failure, not the feed's: it ends the run (see run)
        except HuntfeedError as exc:
            with self._lock:
                report.feeds_failed += 1
            record_poll_failure(self.store, feed, exc, lambda i: self._issue(report, i))
            return []
        with self._lock:
            report.feeds_unchanged += int(outcome.status == "unchanged")
            report.items_seen += outcome.items_seen
        items = [(False, item) for item in outcome.todo] + [(True, item) for item in outcome.recheck]
        return [_Job(feed, recheck, item) for recheck, item in items]

    def _process_all(self, pool: ThreadPoolExecutor, jobs: list[_Job], report: RunReport) -> None:
        # Pages are fetched up to PAGE_WINDOW ahead of the item being analysed (memory stays bounded).
        pages: dict[int, Future[_Page]] = {}
        started: dict[str, float] = {}
        spent: set[str] = set()  # feeds that used their time in this run: their other items wait
        for n, job in enumerate(jobs):
            for ahead in range(n, min(n + PAGE_WINDOW, len(jobs))):
                if ahead not in pages and jobs[ahead].feed.url not in spent:
                    pages[ahead] = pool.submit(self._fetch, jobs[ahead])
            page, url = pages.pop(n, None), job.feed.url
            if url not in spent and time.monotonic() - started.setdefault(url, time.monotonic()) > FEED_BUDGET_S:
                # Trickling pages cost up to a deadline each; the rest stay pending for the next run.
                spent.add(url)
                left = sum(1 for j in jobs[n:] if j.feed.url == url)
                self._issue(report, Issue(url, "feed", f"{left} item(s) left for the next run: the feed used its "
                                                       f"{FEED_BUDGET_S:.0f}s of this run"))
            if url in spent or page is None:
                if page is not None:
                    page.cancel()
                continue
            self._process(job, page.result(), report)

    def _fetch(self, job: _Job) -> _Page:
        if not job.item.entry.link:
            return _Page(None, None, None)
        try:
            return _Page(fetch_page(self.fetcher, job.item, recheck=job.recheck), None, None)
        except FetchError as exc:
            return _Page(None, exc, None)
        except Exception as exc:  # a fetcher bug is this item's failure, not the run's
            return _Page(None, None, exc)

    def _process(self, job: _Job, fetched: _Page, report: RunReport) -> None:
        def issue(item: Issue) -> None:
            self._issue(report, item)

        if fetched.crash is not None:
            record_item_failure(self.store, job.item.entry, fetched.crash, issue)
            return
        if fetched.page is not None:
            report.pages_fetched += 1
        outcome = process_item(self.store, self.kb, job.feed.source, job.item, fetched.page, issue=issue,
                               page_error=fetched.error, out_dir=self.out_dir,
                               on_analyse=lambda title: self.progress("analyse", title))
        if outcome.kind == "unchanged":
            report.unchanged += 1
        elif outcome.profile is not None:
            (report.new if outcome.kind == "new" else report.updated).append(outcome.profile)

    def _issue(self, report: RunReport, issue: Issue) -> None:
        with self._lock:  # feeds run in threads
            report.issues.append(issue)
        self.store.record_issue(issue)
        self.progress("issue", f"{issue.where}: {issue.message}")
