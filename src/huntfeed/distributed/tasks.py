"""Celery tasks: one per feed poll, one per feed item, one per batch of archived documents.

Every task is idempotent (acks are late, so a message may run twice): an item already done
with the same fingerprint is skipped, and the store keeps one version per content. Network
failures are retried with exponential backoff and jitter; the per-host limit defers a fetch
rather than hammering a host when many workers want it at once.
"""

from __future__ import annotations

import os
import random
import resource
import socket
import time
from pathlib import Path
from typing import Any

from celery import Task
from celery.signals import worker_process_init

from huntfeed.distributed import context as ctx
from huntfeed.distributed.app import app, broker_url
from huntfeed.distributed.documents import Doc, analyse_batch
from huntfeed.distributed.politeness import HostGate
from huntfeed.distributed.work import analyse_item, fetch_page, poll, record_poll_failure, transient
from huntfeed.errors import FetchError, HuntfeedError
from huntfeed.feeds.fetch import FetchResult
from huntfeed.model import Source

MAX_NET_RETRIES = 4
INLINE_WAIT = 2.0  # politeness waits up to this long are slept through; longer ones re-queue the task
_gate: HostGate | None = None


@worker_process_init.connect  # type: ignore[untyped-decorator]  # celery has no type hints
def _preload(**_: Any) -> None:
    # Prefork child start: drop the parent's sockets, then load the models before the first task.
    ctx.reset_after_fork()
    global _gate
    _gate = None
    ctx.knowledge()


def _retry_base() -> float:
    return float(os.environ.get("HUNTFEED_RETRY_BASE", "2.0"))


def backoff(attempt: int) -> float:
    """Seconds before retry ``attempt`` (0-based): base * 2^attempt, capped at 5 minutes, with jitter."""
    return float(min(_retry_base() * 2**attempt, 300.0) * random.uniform(0.8, 1.2))


def _polite(task: Task, url: str) -> None:
    """Wait for this host's slot; a long wait re-queues the task (politeness is not a failure)."""
    global _gate
    if _gate is None:
        _gate = HostGate(app.conf.broker_url or broker_url())
    while True:
        wait = _gate.wait_for(url)
        if wait <= 0:
            return
        if wait > INLINE_WAIT:
            raise task.retry(countdown=wait, kwargs=task.request.kwargs)
        time.sleep(wait)


def _options(options: dict[str, Any] | None) -> tuple[frozenset[str], Path | None]:
    options = options or {}
    out = options.get("out_dir")
    return frozenset(h.lower() for h in options.get("allow_hosts", ())), Path(out) if out else None


@app.task(bind=True, name="huntfeed.poll_feed", max_retries=None)  # type: ignore[untyped-decorator]  # celery has no type hints
def poll_feed(self: Task, *, db_url: str, feed_url: str, options: dict[str, Any] | None = None,
              attempt: int = 0) -> dict[str, Any]:
    """Poll one feed and queue one analysis task per new, changed or re-checkable item."""
    ctx.stats["tasks"] += 1
    store = ctx.store(db_url)
    feed = store.feed_state(feed_url)
    if feed is None:
        return {"feed": feed_url, "status": "not followed", "tasks": []}
    allow, _ = _options(options)
    _polite(self, feed_url)
    try:
        outcome = poll(store, ctx.fetcher(allow), feed)
    except HuntfeedError as exc:
        if transient(exc) and attempt < MAX_NET_RETRIES:
            raise self.retry(countdown=backoff(attempt),
                             kwargs={**self.request.kwargs, "attempt": attempt + 1}) from exc
        record_poll_failure(store, feed, exc)
        return {"feed": feed_url, "status": "failed", "error": str(exc), "tasks": []}
    ids = []
    for recheck, items in ((False, outcome.todo), (True, outcome.recheck)):
        for item in items:
            result = analyse_entry.apply_async(kwargs={
                "db_url": db_url, "feed_url": feed_url, "guid": item.entry.guid, "fingerprint": item.fingerprint,
                "recheck": recheck, "options": options or {},
            })
            ids.append(result.id)
    return {"feed": feed_url, "status": outcome.status, "items_seen": outcome.items_seen, "tasks": ids}


@app.task(bind=True, name="huntfeed.analyse_entry", max_retries=None)  # type: ignore[untyped-decorator]  # celery has no type hints
def analyse_entry(self: Task, *, db_url: str, feed_url: str, guid: str, fingerprint: str, recheck: bool = False,
                  options: dict[str, Any] | None = None, attempt: int = 0) -> dict[str, Any]:
    """Fetch one item's page (politely, retrying network failures), analyse it, store the profile."""
    ctx.stats["tasks"] += 1
    store = ctx.store(db_url)
    item = store.entry_state(feed_url, guid)
    expected = ("thin",) if recheck else ("pending", "failed")
    if item is None or item.fingerprint != fingerprint or item.state not in expected:
        # Done already (a redelivered message), or a newer poll queued its own task for it.
        return {"guid": guid, "outcome": "skipped"}
    allow, out_dir = _options(options)
    feed = store.feed_state(feed_url)
    source = feed.source if feed is not None else Source(feed_url)
    page: FetchResult | None = None
    page_error: FetchError | None = None
    if item.entry.link:
        _polite(self, item.entry.link)
        try:
            page = fetch_page(ctx.fetcher(allow), item, recheck=recheck)
        except FetchError as exc:
            if transient(exc) and attempt < MAX_NET_RETRIES:
                raise self.retry(countdown=backoff(attempt),
                                 kwargs={**self.request.kwargs, "attempt": attempt + 1}) from exc
            page_error = exc
    outcome = analyse_item(store, ctx.knowledge(), source, item, page, page_error=page_error, out_dir=out_dir)
    return {"feed": feed_url, "guid": guid, "outcome": outcome, "fetched": page is not None,
            "worker": f"{socket.gethostname()}:{os.getpid()}"}


@app.task(bind=True, name="huntfeed.analyse_docs", max_retries=None)  # type: ignore[untyped-decorator]  # celery has no type hints
def analyse_docs(self: Task, *, db_url: str, docs: list[dict[str, Any]], options: dict[str, Any] | None = None,
                 attempt: int = 0) -> dict[str, int]:
    """Analyse a batch of archived documents (backfill); done ones are skipped, so a retry is cheap."""
    ctx.stats["tasks"] += 1
    store = ctx.store(db_url)
    batch = [Doc.from_json(d) for d in docs]
    known = store.backfill_states(d.doc_id for d in batch)
    todo = [d for d in batch
            if not ((state := known.get(d.doc_id)) and state.state == "done" and state.fingerprint == d.fingerprint)]
    allow, _ = _options(options)

    def fetch(url: str) -> str:
        # An archive may come from anyone: its URLs pass the SSRF guard like a feed's do.
        _polite(self, url)
        return ctx.fetcher(allow).get(url).text

    try:
        # The batch's profiles and outcomes go to the store in one transaction.
        counts = analyse_batch(store, ctx.knowledge(), todo, fetch,
                               retry=lambda exc: transient(exc) and attempt < MAX_NET_RETRIES)
    except FetchError as exc:  # what came before it is stored: a retry skips those documents
        raise self.retry(countdown=backoff(attempt), kwargs={**self.request.kwargs, "attempt": attempt + 1}) from exc
    return {"done": counts["done"], "skipped": len(batch) - len(todo), "failed": counts["failed"]}


@app.task(name="huntfeed.worker_info")  # type: ignore[untyped-decorator]  # celery has no type hints
def worker_info(load: bool = False) -> dict[str, Any]:
    """This worker process: pid, knowledge loads, tasks run and peak memory (for tests and benchmarks)."""
    if load:
        ctx.knowledge()
    return {"pid": os.getpid(), "knowledge_loads": ctx.stats["knowledge_loads"], "tasks": ctx.stats["tasks"],
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
