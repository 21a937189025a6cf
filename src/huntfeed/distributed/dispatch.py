"""The dispatcher side of the scale mode: queue work for the workers and, if asked, wait for it.

``dispatch_run`` is what `huntfeed dispatch` (and `huntfeed run --distributed`) calls: one
poll task per feed, whose analysis tasks the workers queue themselves. ``dispatch_backfill``
queues an archive in batches of documents.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from celery.exceptions import TimeoutError as CeleryTimeout
from celery.result import AsyncResult
from kombu.utils.url import maybe_sanitize_url

from huntfeed.distributed.app import app
from huntfeed.distributed.backfill import BackfillReport, pending_batches
from huntfeed.distributed.documents import read_input
from huntfeed.distributed.tasks import analyse_docs, poll_feed
from huntfeed.errors import HuntfeedError
from huntfeed.render.files import clean_stale_temp_files
from huntfeed.store import FeedState, Store, utcnow

Progress = Callable[[str], None]


class DispatchError(HuntfeedError):
    """Queued work did not finish in time or the broker is unreachable."""


@dataclass(slots=True)
class DispatchReport:
    """What the workers did for one dispatched run (counts stay zero when not waiting)."""

    feeds_queued: int = 0
    feeds_skipped: int = 0
    feeds: Counter[str] = field(default_factory=Counter)  # changed | unchanged | failed
    items: Counter[str] = field(default_factory=Counter)  # new | updated | unchanged | failed | skipped
    workers: Counter[str] = field(default_factory=Counter)  # host:pid -> items it analysed
    errors: list[str] = field(default_factory=list)
    items_seen: int = 0
    pages_fetched: int = 0
    profiles: dict[str, list[str]] = field(default_factory=dict)  # new | updated -> profile ids
    started_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {"feeds_queued": self.feeds_queued, "feeds_skipped": self.feeds_skipped, "feeds": dict(self.feeds),
                "items": dict(self.items), "items_seen": self.items_seen, "pages_fetched": self.pages_fetched,
                "profiles": self.profiles, "workers": dict(self.workers), "errors": self.errors}


def _wait(ids: Sequence[str], deadline: float, errors: list[str]) -> list[Any]:
    """Results of these tasks, in order; a task that crashed adds to ``errors`` instead."""
    out = []
    for task_id in ids:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DispatchError(f"workers did not finish {len(ids)} task(s) in time")
        result = AsyncResult(task_id, app=app)
        try:
            value = result.get(timeout=remaining, propagate=False)
        except CeleryTimeout as exc:
            raise DispatchError(f"workers did not finish {len(ids)} task(s) in time") from exc
        if result.failed():
            errors.append(f"task {task_id} failed: {value!r}")
        else:
            out.append(value)
    return out


def check_broker(timeout: float = 5.0) -> None:
    """Raise DispatchError unless the broker answers."""
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
    except Exception as exc:
        raise DispatchError(f"cannot reach the broker at {maybe_sanitize_url(app.conf.broker_url)}: {exc}") from exc


def dispatch_run(db_url: str, *, allow_hosts: Sequence[str] = (), out_dir: Path | None = None, force: bool = False,
                 feeds: Sequence[FeedState] | None = None, wait: bool = True, timeout: float = 3600.0,
                 progress: Progress | None = None) -> DispatchReport:
    """Queue one poll per followed feed (back-off respected unless ``force``); wait for all work if asked."""
    check_broker()
    store = Store(db_url)
    if out_dir is not None:
        clean_stale_temp_files(out_dir)  # what killed workers left mid-write (live writers' files stay)
    options = {"allow_hosts": sorted(h.lower() for h in allow_hosts), "out_dir": str(out_dir) if out_dir else None}
    report = DispatchReport(started_at=utcnow())
    polls = []
    for feed in feeds if feeds is not None else store.list_feeds():
        if not force and feed.retry_after and feed.retry_after > utcnow():
            report.feeds_skipped += 1
            continue
        polls.append(poll_feed.apply_async(kwargs={"db_url": db_url, "feed_url": feed.url, "options": options}).id)
        report.feeds_queued += 1
    if progress:
        progress(f"queued {len(polls)} feed poll(s)")
    if not wait:
        return report
    deadline = time.monotonic() + timeout
    item_ids: list[str] = []
    for result in _wait(polls, deadline, report.errors):
        report.feeds[result["status"]] += 1
        report.items_seen += result.get("items_seen", 0)
        if result.get("error"):
            report.errors.append(f"{result['feed']}: {result['error']}")
        item_ids += result["tasks"]
    if progress:
        progress(f"polled; waiting for {len(item_ids)} item analysis task(s)")
    for result in _wait(item_ids, deadline, report.errors):
        report.items[result["outcome"]] += 1
        report.pages_fetched += bool(result.get("fetched"))
        if "worker" in result:
            report.workers[result["worker"]] += 1
        if result["outcome"] in ("new", "updated") and "feed" in result:
            # The item's row names the profile its analysis stored (one lookup per written profile).
            item = store.entry_state(result["feed"], result["guid"])
            if item is not None and item.profile_id:
                report.profiles.setdefault(result["outcome"], []).append(item.profile_id)
    return report


def dispatch_backfill(db_url: str, path: Path, *, batch: int = 25, allow_hosts: Sequence[str] = (),
                      wait: bool = True, timeout: float = 24 * 3600.0,
                      progress: Callable[[BackfillReport], None] | None = None) -> BackfillReport:
    """Queue the not-yet-done documents of ``path`` in batches; wait for the workers if asked."""
    check_broker()
    store = Store(db_url)
    report = BackfillReport()
    options = {"allow_hosts": sorted(h.lower() for h in allow_hosts)}
    ids: list[str] = []
    for docs in pending_batches(store, read_input(path), report):
        for i in range(0, len(docs), batch):
            chunk = [d.to_json() for d in docs[i : i + batch]]
            ids.append(analyse_docs.apply_async(kwargs={"db_url": db_url, "docs": chunk, "options": options}).id)
            report.queued += len(chunk)
        if progress:
            progress(report)
    if wait:
        deadline = time.monotonic() + timeout
        errors: list[str] = []
        for counts in _wait(ids, deadline, errors):
            report.done += counts["done"]
            report.failed += counts["failed"]
            report.skipped += counts["skipped"]
            if progress:
                progress(report)
        if errors:
            raise DispatchError(f"{len(errors)} backfill task(s) crashed; run again to resume: {errors[0]}")
    return report
