"""`huntfeed backfill` in this process: stream an archive through the analysis, resumably.

Documents are read in batches; each batch asks the store which of its ids are already done
(with the same fingerprint) and analyses only the rest, recording each one as it finishes, so
an interrupted backfill picks up where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from huntfeed.distributed.documents import BadLine, Doc, Fetch, analyse_batch, read_input
from huntfeed.pipeline import Knowledge
from huntfeed.store import Store

BATCH = 200
COMMIT_EVERY = 25

Progress = Callable[["BackfillReport"], None]


@dataclass(slots=True)
class BackfillReport:
    """What a backfill did."""

    seen: int = 0
    skipped: int = 0
    done: int = 0
    failed: int = 0
    queued: int = 0
    bad_lines: list[BadLine] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready summary."""
        return {"seen": self.seen, "skipped": self.skipped, "done": self.done, "failed": self.failed,
                "queued": self.queued,
                "bad_lines": [{"where": b.where, "id": b.doc_id, "error": b.message} for b in self.bad_lines]}


def pending_batches(store: Store, items: Iterable[Doc | BadLine], report: BackfillReport,
                    size: int = BATCH) -> Iterator[list[Doc]]:
    """Batches of documents not yet done (bad lines are counted and recorded on the way)."""
    batch: list[Doc] = []

    def flush() -> list[Doc]:
        known = store.backfill_states(d.doc_id for d in batch)
        todo = []
        seen: set[str] = set()
        for d in batch:
            state = known.get(d.doc_id)
            if (state is not None and state.state == "done" and state.fingerprint == d.fingerprint) or d.doc_id in seen:
                report.skipped += 1
            else:
                seen.add(d.doc_id)
                todo.append(d)
        return todo

    for item in items:
        if isinstance(item, BadLine):
            report.bad_lines.append(item)
            if item.doc_id is not None:
                store.mark_backfill(item.doc_id, "", "failed", error=item.message, origin=item.where)
            continue
        report.seen += 1
        batch.append(item)
        if len(batch) >= size:
            todo = flush()
            batch = []
            if todo:
                yield todo
    if batch:
        todo = flush()
        if todo:
            yield todo


def backfill_local(store: Store, kb: Knowledge, path: Path, *, fetch: Fetch | None = None,
                   progress: Progress | None = None, batch_size: int = BATCH) -> BackfillReport:
    """Analyse every not-yet-done document of ``path`` in this process."""
    report = BackfillReport()
    for batch in pending_batches(store, read_input(path), report, batch_size):
        # Stored in steps of COMMIT_EVERY documents: few transactions, little lost to an interruption.
        for i in range(0, len(batch), COMMIT_EVERY):
            counts = analyse_batch(store, kb, batch[i : i + COMMIT_EVERY], fetch)
            report.done += counts["done"]
            report.failed += counts["failed"]
            if progress is not None:
                progress(report)
    return report
