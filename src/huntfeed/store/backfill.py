"""Backfill bookkeeping: which archived documents are done, so an interrupted backfill resumes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from huntfeed.store.engine import store_errors, upsert, write_tx
from huntfeed.store.schema import backfill_items, clean_text

_CHUNK = 500  # ids per IN (...) query: well under every driver's parameter limit


@dataclass(frozen=True, slots=True)
class BackfillState:
    """Where one archived document stands."""

    doc_id: str
    fingerprint: str
    state: str  # done | failed
    profile_id: str | None
    error: str | None


@dataclass(frozen=True, slots=True)
class BackfillMark:
    """A document's outcome, to record together with its profile (``Store.save_profiles``)."""

    doc_id: str
    fingerprint: str
    state: str  # done | failed
    profile_id: str | None = None
    error: str | None = None
    origin: str = ""

    def row(self) -> dict[str, Any]:
        return {"doc_id": self.doc_id, "fingerprint": self.fingerprint, "state": self.state,
                "profile_id": self.profile_id, "error": self.error[:2000] if self.error else None,
                "origin": self.origin[:500], "updated_at": datetime.now(UTC)}


@store_errors
class BackfillMixin:
    """Store methods for `huntfeed backfill`."""

    engine: Engine

    def backfill_states(self, doc_ids: Iterable[str]) -> dict[str, BackfillState]:
        """The recorded state of each of these documents that has one."""
        ids = list(dict.fromkeys(doc_ids))
        asked = {clean_text(i): i for i in ids}  # rows hold cleaned ids; answer under the id asked for
        found: dict[str, BackfillState] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(ids), _CHUNK):
                q = sa.select(backfill_items).where(backfill_items.c.doc_id.in_(ids[i : i + _CHUNK]))
                for r in conn.execute(q).mappings():
                    doc_id = asked.get(r["doc_id"], r["doc_id"])
                    found[doc_id] = BackfillState(doc_id, r["fingerprint"], r["state"], r["profile_id"],
                                                       r["error"])
        return found

    def mark_backfill(self, doc_id: str, fingerprint: str, state: str, *, profile_id: str | None = None,
                      error: str | None = None, origin: str = "") -> None:
        """Record a document's outcome (idempotent: the last writer's outcome stands)."""
        with write_tx(self.engine) as conn:
            self._mark_backfill_many(conn, [BackfillMark(doc_id, fingerprint, state, profile_id, error, origin)])

    @staticmethod
    def _mark_backfill_many(conn: Connection, marks: Sequence[BackfillMark]) -> None:
        if not marks:
            return
        rows = list({m.doc_id: m.row() for m in marks}.values())  # one row per document: the last outcome
        stmt = upsert(conn, backfill_items)
        values = {k: stmt.excluded[k] for k in rows[0] if k != "doc_id"}
        conn.execute(stmt.on_conflict_do_update(index_elements=[backfill_items.c.doc_id], set_=values), rows)

    def backfill_counts(self) -> dict[str, int]:
        """How many documents are in each state."""
        q = sa.select(backfill_items.c.state, sa.func.count()).group_by(backfill_items.c.state)
        with self.engine.connect() as conn:
            return {state: int(n) for state, n in conn.execute(q)}
