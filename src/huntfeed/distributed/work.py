"""The units of work of the scale mode, free of Celery: one feed poll, one feed item, one document.

Tasks (huntfeed.distributed.tasks) and the local backfill call these; each mirrors what the
local Runner does for the same input, so both modes store the same profiles. Network calls are
kept apart from analysis so a task can retry a fetch without redoing anything else.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from huntfeed.errors import BlockedURLError, FetchError, HTTPStatusError, HuntfeedError, TooLargeError
from huntfeed.feeds.article import build_article, html_to_text, is_thin
from huntfeed.feeds.fetch import Fetcher, FetchResult
from huntfeed.feeds.parse import fingerprint, parse_feed
from huntfeed.model import Issue, Profile, Source
from huntfeed.pipeline import Knowledge, analyse, diff_profiles
from huntfeed.render.files import write_profile_files
from huntfeed.runner import MAX_ATTEMPTS, RECHECK_THIN_FOR
from huntfeed.store import EntryState, FeedState, Store, utcnow

log = logging.getLogger("huntfeed.distributed")

FEED_BACKOFF_BASE = timedelta(minutes=5)
FEED_BACKOFF_MAX = timedelta(hours=6)


def transient(exc: BaseException) -> bool:
    """True for failures worth retrying later: timeouts, resets, 5xx and 429; not refusals or 4xx."""
    if isinstance(exc, (BlockedURLError, TooLargeError)):
        return False
    if isinstance(exc, HTTPStatusError):
        return exc.status >= 500 or exc.status in (408, 425, 429)
    return isinstance(exc, FetchError)


def rebase_profile(latest: Profile, profile: Profile) -> Profile:
    """Renumber a profile after the version another worker stored first, with changes against it."""
    return replace(profile, version=latest.version + 1, changes=diff_profiles(latest, profile))


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """What one poll found: items to analyse, thin items to look at again, and the feed's status."""

    status: str  # changed | unchanged
    todo: tuple[EntryState, ...]
    recheck: tuple[EntryState, ...]
    items_seen: int = 0


def poll(store: Store, fetcher: Fetcher, feed: FeedState) -> PollOutcome:
    """Fetch and record one feed (as Runner does); raises FetchError/ParseError for the caller to handle."""
    result = fetcher.get(feed.url, etag=feed.etag, last_modified=feed.last_modified)
    # Items left pending or failed by an earlier (killed) run are always retried.
    leftovers = tuple(e for e in store.entries(feed.url, states=("pending", "failed")) if e.attempts < MAX_ATTEMPTS)
    if result.not_modified:
        store.record_feed_unchanged(feed.url, "304")
        return PollOutcome("unchanged", leftovers, ())
    body_hash = hashlib.sha256(result.content).hexdigest()
    if body_hash == feed.body_hash:
        store.record_feed_unchanged(feed.url, f"{result.status} unchanged")
        return PollOutcome("unchanged", leftovers, ())
    parsed = parse_feed(result.content, feed.url, feed.name)
    todo = store.record_feed_items(
        feed.url,
        status=str(result.status),
        etag=result.etag,
        last_modified=result.last_modified,
        body_hash=body_hash,
        items=[(e, fingerprint(e)) for e in parsed.entries],
    )
    todo = [e for e in todo if e.attempts < MAX_ATTEMPTS]
    pending = {e.entry.guid for e in todo}
    cutoff = utcnow() - RECHECK_THIN_FOR
    recheck = tuple(
        e
        for e in store.entries(feed.url, states=("thin",))
        if e.entry.guid not in pending and (e.entry.published is None or e.entry.published >= cutoff)
    )
    return PollOutcome("changed", tuple(todo), recheck, len(parsed.entries))


def record_poll_failure(store: Store, feed: FeedState, exc: HuntfeedError) -> None:
    """A poll that failed for good: an issue, and the feed backs off as in a local run."""
    store.record_issue(Issue(feed.url, "feed", str(exc)))
    status = str(getattr(exc, "status", "") or exc.__class__.__name__)
    wait = min(FEED_BACKOFF_BASE * (2 ** min(feed.error_count, 10)), FEED_BACKOFF_MAX)
    store.record_feed_error(feed.url, status, str(exc), utcnow() + wait)


def fetch_page(fetcher: Fetcher, item: EntryState, *, recheck: bool) -> FetchResult:
    """The item's page (conditional when re-checking a thin item); raises FetchError."""
    return fetcher.get(
        item.entry.link,
        etag=item.page_etag if recheck else None,
        last_modified=item.page_last_modified if recheck else None,
    )


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
    entry = item.entry
    try:
        if page_error is not None:
            # The feed's own text is still worth a profile; the failure is on record.
            store.record_issue(Issue(entry.link, "article", f"{page_error.message}; used the feed's text"))
        if page is not None and page.not_modified:
            store.mark_entry(entry, "thin")
            return "unchanged"
        page_text = html_to_text(page.text, page.url) if page is not None else None
        etag, last_mod = (page.etag, page.last_modified) if page is not None else (None, None)
        article = build_article(entry, source, page_text)
        previous = store.get_profile(article.profile_id)
        state = "thin" if is_thin(article) else "done"
        marks = {"text_source": article.text_source.value, "page_etag": etag, "page_last_modified": last_mod}
        if previous is not None and previous.content_hash == article.content_hash:
            store.mark_entry(entry, state, profile_id=article.profile_id, **marks)
            return "unchanged"
        profile = analyse(article, kb, previous=previous)
        stored = store.save_profile(profile, rebase=rebase_profile)
        if stored and out_dir is not None:
            write_profile_files(out_dir, store.get_profile(profile.id) or profile)
        store.mark_entry(entry, state, profile_id=profile.id, **marks)
        if not stored:
            return "unchanged"
        return "updated" if previous is not None else "new"
    except Exception as exc:  # one bad item never stops the others
        log.debug("item failed", exc_info=True)
        message = str(exc) if isinstance(exc, HuntfeedError) else f"{exc.__class__.__name__}: {exc}"
        store.record_issue(Issue(entry.link or entry.guid, "analysis", message))
        store.mark_entry(entry, "failed", error=message)
        return "failed"
