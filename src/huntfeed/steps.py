"""One feed poll and one feed item: the steps the local Runner and the Celery tasks share.

Both modes call these, so they store the same profiles and record the same issues; only what
surrounds them differs (a report and progress lines locally, retries and politeness in a worker).
Fetching an item's page is kept apart from processing it, so a worker can retry a fetch alone.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial
from pathlib import Path

from huntfeed.campaigns import linking, stories
from huntfeed.environment.feedback import FeedbackRule, changes_profile, rules_for
from huntfeed.errors import HuntfeedError, ParseError
from huntfeed.feeds.article import MAX_TEXT, build_article, is_thin, page_text
from huntfeed.feeds.fetch import Fetcher, FetchResult
from huntfeed.feeds.parse import fingerprint, parse_feed
from huntfeed.model import Article, Change, Entry, Issue, Profile, Source, TextSource
from huntfeed.pipeline import Knowledge, analyse, diff_profiles
from huntfeed.render.files import write_profile_files
from huntfeed.store import EntryState, FeedState, Store, utcnow

log = logging.getLogger("huntfeed.run")

MAX_ATTEMPTS = 3
# A feed can list thousands of new items (or claim to); each costs a page fetch and an analysis.
# The rest stay pending in the store and are taken up by the next polls.
MAX_ITEMS_PER_FEED_RUN = 200
RECHECK_THIN_FOR = timedelta(days=14)
BACKOFF_BASE = timedelta(minutes=5)
BACKOFF_MAX = timedelta(hours=6)

IssueSink = Callable[[Issue], None]


def backoff(errors: int) -> timedelta:
    """How long a feed that failed ``errors`` times before waits before the next poll."""
    delay: timedelta = BACKOFF_BASE * (2 ** min(errors, 10))
    return min(delay, BACKOFF_MAX)


def rebase_profile(latest: Profile, profile: Profile) -> Profile:
    """Renumber a profile after the version another writer stored first, with changes against it."""
    return replace(profile, version=latest.version + 1, changes=diff_profiles(latest, profile))


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """What one poll found: items to analyse, thin items to look at again, and the feed's status."""

    status: str  # changed | unchanged
    todo: tuple[EntryState, ...]
    recheck: tuple[EntryState, ...]
    items_seen: int = 0


def poll_feed(store: Store, fetcher: Fetcher, feed: FeedState, issue: IssueSink) -> PollOutcome:
    """Fetch and record one feed; raises FetchError/ParseError (the feed's failure) or StoreError."""
    result = fetcher.get(feed.url, etag=feed.etag, last_modified=feed.last_modified)
    # Items left pending or failed by an earlier (killed) run are always retried.
    leftovers = tuple(e for e in store.entries(feed.url, states=("pending", "failed")) if e.attempts < MAX_ATTEMPTS)
    if result.not_modified:
        store.record_feed_unchanged(feed.url, "304")
        return _capped(feed, PollOutcome("unchanged", leftovers, ()), issue)
    body_hash = hashlib.sha256(result.content).hexdigest()
    if body_hash == feed.body_hash:
        store.record_feed_unchanged(feed.url, f"{result.status} unchanged")
        return _capped(feed, PollOutcome("unchanged", leftovers, ()), issue)
    parsed = parse_feed(result.content, feed.url, feed.name)
    for note in parsed.notes:
        issue(Issue(feed.url, "feed", note))
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
    # A changed feed is the signal to look again at items that were only a summary or a stub.
    cutoff = utcnow() - RECHECK_THIN_FOR
    recheck = tuple(
        e
        for e in store.entries(feed.url, states=("thin",))
        if e.entry.guid not in pending and (e.entry.published is None or e.entry.published >= cutoff)
    )
    return _capped(feed, PollOutcome("changed", tuple(todo), recheck, len(parsed.entries)), issue)


def _capped(feed: FeedState, outcome: PollOutcome, issue: IssueSink) -> PollOutcome:
    waiting = len(outcome.todo) + len(outcome.recheck) - MAX_ITEMS_PER_FEED_RUN
    if waiting <= 0:
        return outcome
    issue(Issue(feed.url, "feed", f"{waiting} more item(s) than the {MAX_ITEMS_PER_FEED_RUN} analysed per feed "
                                  "and run; they wait for the next run"))
    todo = outcome.todo[:MAX_ITEMS_PER_FEED_RUN]
    return replace(outcome, todo=todo, recheck=outcome.recheck[: MAX_ITEMS_PER_FEED_RUN - len(todo)])


def record_poll_failure(store: Store, feed: FeedState, exc: HuntfeedError, issue: IssueSink) -> None:
    """A poll that failed for good: an issue, and the feed backs off."""
    issue(Issue(feed.url, "feed", str(exc)))
    status = str(getattr(exc, "status", "") or exc.__class__.__name__)
    store.record_feed_error(feed.url, status, str(exc), utcnow() + backoff(feed.error_count))


def fetch_page(fetcher: Fetcher, item: EntryState, *, recheck: bool) -> FetchResult:
    """The item's page (conditional when re-checking a thin item); raises FetchError."""
    return fetcher.get(
        item.entry.link,
        etag=item.page_etag if recheck else None,
        last_modified=item.page_last_modified if recheck else None,
    )


@dataclass(frozen=True, slots=True)
class ItemOutcome:
    """What processing one item did; ``profile`` is the version stored (new and updated only)."""

    kind: str  # new | updated | unchanged | not-modified | failed
    profile: Profile | None = None


def process_item(
    store: Store,
    kb: Knowledge,
    source: Source,
    item: EntryState,
    page: FetchResult | None,
    *,
    issue: IssueSink,
    page_error: HuntfeedError | None = None,
    out_dir: Path | None = None,
    on_analyse: Callable[[str], None] | None = None,
) -> ItemOutcome:
    """Build, analyse and store one feed item from its fetched page (or the feed's text).

    Never raises for the item's own trouble (it is recorded as an issue and the item as failed);
    only a store that fails while recording that escapes.
    """
    entry = item.entry
    try:
        if page is not None and page.not_modified:
            if page.conditional:
                store.mark_entry(entry, "thin")
                return ItemOutcome("not-modified")
            # A 304 to a request that named no version says nothing about the page: use the feed's text.
            page, page_error = None, ParseError("page answered 304 Not Modified to an unconditional request",
                                                where=entry.link)
        text: str | None = None
        etag, last_mod = (page.etag, page.last_modified) if page is not None else (None, None)
        if page is not None:
            try:
                text = page_text(page)
            except ParseError as exc:  # binary, PDF, nothing readable: the feed's text stands in
                page_error = exc
        if page_error is not None:
            # The feed's own text is still worth a profile; the failure is on record.
            issue(Issue(entry.link, "article", f"{page_error.message}; used the feed's text"))
        elif text is not None and len(text) > MAX_TEXT:
            issue(Issue(entry.link, "article", f"page text has {len(text)} characters; only the first {MAX_TEXT} "
                                               "are analysed"))
        article = build_article(entry, source, text)
        marks = {"text_source": article.text_source.value, "page_etag": etag, "page_last_modified": last_mod}
        # A near-duplicate joins its story's profile; its band keys are held until it is recorded.
        with stories.placing(store, article) as placed:
            return _store_article(store, kb, entry, article, placed, marks, out_dir, on_analyse)
    except Exception as exc:  # one bad item never stops the others
        record_item_failure(store, entry, exc, issue)
        return ItemOutcome("failed")


def _store_article(store: Store, kb: Knowledge, entry: Entry, article: Article, placed: stories.Placement,
                   marks: dict[str, str | None], out_dir: Path | None,
                   on_analyse: Callable[[str], None] | None) -> ItemOutcome:
    """Analyse (unless nothing changed) and store one placed article, its story and its links."""
    previous = store.get_profile(placed.profile_id)
    feedback = tuple(store.list_feedback())  # the analysts' judgement as of now, in either mode
    state = "thin" if is_thin(article) else "done"
    if placed.is_copy:  # a near-duplicate under another URL: its story lists the sources
        owned: Ownership | None = None
    elif previous is not None and previous.feed_url not in ("", article.feed_url):
        article, owned = owned_article(previous, article, _reliability(store, previous.feed_url))
    else:
        article, owned = owned_article(previous, article)
    content_hash = article.content_hash if owned is None else owned.content_hash
    unchanged = previous is not None and (placed.unchanged or previous.content_hash == content_hash)
    if previous is not None and unchanged and not changes_profile(
            previous, rules_for(feedback, previous.id, previous.feed_url)):
        if out_dir is not None:
            # A run killed (or a disk that filled) between storing a profile and writing its
            # files left them missing or stale: the store is the truth, rewrite them.
            write_profile_files(out_dir, previous)
        store.mark_entry(entry, state, profile_id=placed.profile_id, **marks)
        return ItemOutcome("unchanged")
    if on_analyse is not None:
        on_analyse(entry.title)
    profile = _profile_for(article, kb, previous, placed, owned, feedback)
    stored = store.save_profile(profile, rebase=rebase_profile)
    stories.record(store, article, profile, placed)
    if stored:
        profile = store.get_profile(profile.id) or profile  # renumbered if another writer went first
        linking.link_profile(store, profile)
        if out_dir is not None:
            write_profile_files(out_dir, profile)
    store.mark_entry(entry, state, profile_id=profile.id, **marks)
    if not stored:
        return ItemOutcome("unchanged")
    return ItemOutcome("updated" if previous is not None else "new", profile)


def _profile_for(article: Article, kb: Knowledge, previous: Profile | None, placed: stories.Placement,
                 owned: Ownership | None, feedback: tuple[FeedbackRule, ...]) -> Profile:
    """The profile to store: the story's (near-duplicates), the owner's (another feed), or a new analysis."""
    run = partial(analyse, feedback=feedback)
    if owned is None:
        return stories.build(article, kb, previous, placed, run)
    if previous is not None and owned.keep_previous:
        return owned.apply(replace(previous, version=previous.version + 1, changes=(), analysed_at=utcnow()), previous)
    return owned.apply(stories.build(article, kb, previous, placed, run), previous)


@dataclass(frozen=True, slots=True)
class Ownership:
    """Who publishes a profile: its owner's metadata stays, every other feed is listed in ``also_sources``."""

    also_sources: tuple[str, ...]
    content_hash: str
    added: str = ""  # the source this item adds, if any
    keep_previous: bool = False  # the owner's analysis stands; only the sources change

    def apply(self, profile: Profile, previous: Profile | None) -> Profile:
        changes = profile.changes
        if self.added:
            changes = (*[c for c in changes if c.kind != "text"], Change("source-added", self.added))
        return replace(profile, also_sources=self.also_sources, content_hash=self.content_hash, changes=changes)


def _reliability(store: Store, feed_url: str) -> str:
    return next((f.reliability for f in store.list_feeds() if f.url == feed_url), "")


def _with_sources(content_hash: str, sources: tuple[str, ...]) -> str:
    if not sources:
        return content_hash
    return hashlib.sha256("\x00".join((content_hash, *sources)).encode("utf-8", "surrogatepass")).hexdigest()


def owned_article(previous: Profile | None, article: Article, owner_reliability: str = "") -> tuple[Article, Ownership]:
    """The article as its profile's owner publishes it, and the profile's sources.

    The profile id comes from the article URL alone, so any feed can link to an article a
    trusted feed published first. The first publisher owns the profile: a later feed never
    replaces its title, source, summary, date or reliability, and is listed as another source.
    A later feed with less text than the owner's (a summary where the owner had the page) only
    adds itself to the sources.
    """
    if previous is None or not previous.feed_url or previous.feed_url == article.feed_url or not article.feed_url:
        sources = previous.also_sources if previous is not None else ()
        return article, Ownership(sources, _with_sources(article.content_hash, sources))
    name = article.source_name or article.feed_url
    sources = previous.also_sources if name in previous.also_sources else (*previous.also_sources, name)
    added = "" if name in previous.also_sources else name
    owned = replace(article, title=previous.title, source_name=previous.source, feed_url=previous.feed_url,
                    published=previous.published or article.published, summary=previous.summary[:1200],
                    source_reliability=owner_reliability or article.source_reliability)
    if article.text_source is not TextSource.FULL_ARTICLE and previous.text_source is TextSource.FULL_ARTICLE:
        # Keep the owner's analysis; only the list of sources changes (hash of the stored text kept).
        return owned, Ownership(sources, _with_sources(previous.content_hash, sources) if added else
                                previous.content_hash, added, keep_previous=True)
    return owned, Ownership(sources, _with_sources(owned.content_hash, sources), added)


def record_item_failure(store: Store, entry: Entry, exc: Exception, issue: IssueSink) -> None:
    """An item that failed: an issue naming what went wrong, and the item marked for a retry."""
    log.debug("item failed", exc_info=exc)
    message = str(exc) if isinstance(exc, HuntfeedError) else f"{exc.__class__.__name__}: {exc}"
    issue(Issue(entry.link or entry.guid, "analysis", message))
    store.mark_entry(entry, "failed", error=message)
