"""The analyst's feedback rules in the store: one row per rule, shared by every process that opens it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from huntfeed.environment.feedback import FeedbackRule
from huntfeed.model import as_utc_or_none
from huntfeed.store.engine import store_errors, write_tx
from huntfeed.store.schema import feedback

_aware = as_utc_or_none


@store_errors
class FeedbackMixin:
    """Feedback rules: add (idempotent), list, remove."""

    engine: Engine

    def add_feedback(self, rule: FeedbackRule) -> bool:
        """Record a rule; False when the same rule (kind, value, type, scope, target) is there already."""
        key = {"kind": rule.kind, "value": rule.value, "type": rule.type, "scope": rule.scope, "target": rule.target}
        with write_tx(self.engine) as conn:
            exists = conn.execute(sa.select(feedback.c.n).where(
                *(getattr(feedback.c, k) == v for k, v in key.items()))).first()
            if exists:
                return False
            conn.execute(feedback.insert().values(**key, reason=rule.reason,
                                                  created_at=rule.created_at or datetime.now(UTC)))
        return True

    def list_feedback(self) -> list[FeedbackRule]:
        """Every rule, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(feedback).order_by(feedback.c.n)).mappings().all()
        return [_rule(r) for r in rows]

    def remove_feedback(self, n: int) -> bool:
        """Forget rule number ``n``; False if there is none."""
        with write_tx(self.engine) as conn:
            return bool(conn.execute(feedback.delete().where(feedback.c.n == n)).rowcount)


def _rule(r: Any) -> FeedbackRule:
    return FeedbackRule(kind=r["kind"], value=r["value"], type=r["type"], scope=r["scope"], target=r["target"],
                        reason=r["reason"], created_at=_aware(r["created_at"]), n=int(r["n"]))
