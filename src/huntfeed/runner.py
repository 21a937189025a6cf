"""One polling run: feeds -> items -> articles -> profiles -> store and files.

This is the I/O edge around ``pipeline.analyse``. One bad feed or item becomes an Issue
record and the run goes on; every item's state is stored before and after its analysis so a
killed run resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from huntfeed.errors import FetchError, HuntfeedError, ParseError, StoreError
from huntfeed.feeds.article import MAX_TEXT, build_article, is_thin, page_text
from huntfeed.feeds.fetch import Fetcher
from huntfeed.feeds.parse import fingerprint, parse_feed
from huntfeed.model import Issue, Profile, Source
from huntfeed.pipeline import Knowledge, analyse
from huntfeed.render.files import write_profile_files
from huntfeed.store import EntryState, FeedState, Store, utcnow

log = logging.getLogger("huntfeed.run")

MAX_ATTEMPTS = 3
# A feed can list thousands of new items (or claim to); each costs a page fetch and an analysis.
# The rest stay pending in the store and are taken up by the next runs.
MAX_ITEMS_PER_FEED_RUN = 200
RECHECK_THIN_FOR = timedelta(days=14)
BACKOFF_BASE = timedelta(minutes=5)
BACKOFF_MAX = timedelta(hours=6)

Progress = Callable[[str, str], None]  # (event, detail)


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


def _backoff(errors: int) -> timedelta:
    delay: timedelta = BACKOFF_BASE * (2 ** min(errors, 10))
    return min(delay, BACKOFF_MAX)


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

    def run(self, feeds: Sequence[FeedState] | None = None, *, force: bool = False) -> RunReport:
        """Poll each feed once (those in back-off are skipped unless ``force``).

        A failure of the store itself (locked past its busy timeout, disk full, read-only)
        ends the run with a StoreError: items not yet recorded as done stay pending, and the
        next run resumes them.
        """
        report = RunReport()
        try:
            for feed in feeds if feeds is not None else self.store.list_feeds():
                self._run_feed(feed, report, force=force)
        except StoreError as exc:
            # Per-item and per-feed failures are caught below; the store's own failures end up here.
            raise StoreError(f"the store failed mid-run ({exc.message}); unfinished items stay pending for the "
                             "next run", where=exc.where) from exc
        return report

    def _run_feed(self, feed: FeedState, report: RunReport, *, force: bool) -> None:
        if not force and feed.retry_after and feed.retry_after > utcnow():
            report.feeds_skipped += 1
            self.progress("skip", f"{feed.url} (backing off until {feed.retry_after:%H:%M})")
            return
        report.feeds_polled += 1
        self.progress("feed", feed.name or feed.url)
        try:
            todo, recheck = self._poll(feed, report)
        except StoreError:
            raise  # the store's failure, not the feed's: it ends the run (see run)
        except HuntfeedError as exc:
            report.feeds_failed += 1
            self._issue(report, Issue(feed.url, "feed", str(exc)))
            status = str(getattr(exc, "status", "") or exc.__class__.__name__)
            self.store.record_feed_error(feed.url, status, str(exc), utcnow() + _backoff(feed.error_count))
            return
        if len(todo) + len(recheck) > MAX_ITEMS_PER_FEED_RUN:
            waiting = len(todo) + len(recheck) - MAX_ITEMS_PER_FEED_RUN
            self._issue(report, Issue(feed.url, "feed", f"{waiting} more item(s) than the {MAX_ITEMS_PER_FEED_RUN} "
                                                        "analysed per feed and run; they wait for the next run"))
            todo = todo[:MAX_ITEMS_PER_FEED_RUN]
            recheck = recheck[: MAX_ITEMS_PER_FEED_RUN - len(todo)]
        for item in todo:
            self._process(feed.source, item, report, recheck=False)
        for item in recheck:
            self._process(feed.source, item, report, recheck=True)

    def _poll(self, feed: FeedState, report: RunReport) -> tuple[list[EntryState], list[EntryState]]:
        result = self.fetcher.get(feed.url, etag=feed.etag, last_modified=feed.last_modified)
        # Items left pending or failed by an earlier (killed) run are always retried.
        leftovers = [
            e for e in self.store.entries(feed.url, states=("pending", "failed")) if e.attempts < MAX_ATTEMPTS
        ]
        if result.not_modified:
            report.feeds_unchanged += 1
            self.store.record_feed_unchanged(feed.url, "304")
            return leftovers, []
        body_hash = hashlib.sha256(result.content).hexdigest()
        if body_hash == feed.body_hash:
            report.feeds_unchanged += 1
            self.store.record_feed_unchanged(feed.url, f"{result.status} unchanged")
            return leftovers, []
        parsed = parse_feed(result.content, feed.url, feed.name)
        for note in parsed.notes:
            self._issue(report, Issue(feed.url, "feed", note))
        report.items_seen += len(parsed.entries)
        todo = self.store.record_feed_items(
            feed.url,
            status=str(result.status),
            etag=result.etag,
            last_modified=result.last_modified,
            body_hash=body_hash,
            items=[(e, fingerprint(e)) for e in parsed.entries],
        )
        todo = [e for e in todo if e.attempts < MAX_ATTEMPTS]
        pending = {e.entry.guid for e in todo}
        # A changed feed is the signal to look again at items that were only a summary or a stub.
        cutoff = utcnow() - RECHECK_THIN_FOR
        recheck = [
            e
            for e in self.store.entries(feed.url, states=("thin",))
            if e.entry.guid not in pending and (e.entry.published is None or e.entry.published >= cutoff)
        ]
        return todo, recheck

    def _process(self, source: Source, item: EntryState, report: RunReport, *, recheck: bool) -> None:
        entry = item.entry
        text: str | None = None
        etag = last_mod = None
        try:
            if entry.link:
                try:
                    page = self.fetcher.get(
                        entry.link,
                        etag=item.page_etag if recheck else None,
                        last_modified=item.page_last_modified if recheck else None,
                    )
                    report.pages_fetched += 1
                    if page.not_modified:
                        self.store.mark_entry(entry, "thin")
                        return
                    etag, last_mod = page.etag, page.last_modified
                    text = page_text(page)
                    if len(text) > MAX_TEXT:
                        self._issue(report, Issue(entry.link, "article", f"page text has {len(text)} characters; "
                                                                         f"only the first {MAX_TEXT} are analysed"))
                except (FetchError, ParseError) as exc:
                    # The feed's own text is still worth a profile; the failure is on record.
                    self._issue(report, Issue(entry.link, "article", f"{exc.message}; used the feed's text"))
            article = build_article(entry, source, text)
            previous = self.store.get_profile(article.profile_id)
            state = "thin" if is_thin(article) else "done"
            if previous is not None and previous.content_hash == article.content_hash:
                report.unchanged += 1
                if self.out_dir is not None:
                    # A run killed (or a disk that filled) between storing a profile and writing its
                    # files left them missing or stale: the store is the truth, rewrite them.
                    write_profile_files(self.out_dir, previous)
                self.store.mark_entry(entry, state, profile_id=article.profile_id,
                                      text_source=article.text_source.value, page_etag=etag,
                                      page_last_modified=last_mod)
                return
            self.progress("analyse", entry.title)
            profile = analyse(article, self.kb, previous=previous)
            if self.store.save_profile(profile):
                (report.updated if previous else report.new).append(profile)
                if self.out_dir is not None:
                    write_profile_files(self.out_dir, profile)
            self.store.mark_entry(entry, state, profile_id=profile.id, text_source=article.text_source.value,
                                  page_etag=etag, page_last_modified=last_mod)
        except Exception as exc:  # one bad item never stops the others
            log.debug("item failed", exc_info=True)
            message = str(exc) if isinstance(exc, HuntfeedError) else f"{exc.__class__.__name__}: {exc}"
            self._issue(report, Issue(entry.link or entry.guid, "analysis", message))
            self.store.mark_entry(entry, "failed", error=message)

    def _issue(self, report: RunReport, issue: Issue) -> None:
        report.issues.append(issue)
        self.store.record_issue(issue)
        self.progress("issue", f"{issue.where}: {issue.message}")

