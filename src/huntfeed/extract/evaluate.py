"""Score an extractor on labelled cases (the shape of ../shared/eval/ioc_cases.jsonl).

Rules (from that folder's README): for each case and core type, expected values minus the
``doubtful`` ones are the truth; a type listed in ``exhaustive`` counts every other predicted
value as a false positive, any other type is scored on recall only; a predicted value equal to
one of ``must_not`` is a false positive whatever its type. ``counts`` are not scored.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CORE_TYPES = ("ipv4", "ipv6", "domain", "url", "email", "md5", "sha1", "sha256", "sha512", "cve")
Predictor = Callable[[str], Mapping[str, set[str]]]


@dataclass(slots=True)
class Counts:
    """True positives, false positives and false negatives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(slots=True)
class Score:
    """Per-type counts, their micro total, and the mistakes for inspection."""

    per_type: dict[str, Counts] = field(default_factory=lambda: {t: Counts() for t in CORE_TYPES})
    errors: list[tuple[str, str, str, str]] = field(default_factory=list)  # (case, kind, type, value)

    @property
    def micro(self) -> Counts:
        total = Counts()
        for c in self.per_type.values():
            total.tp += c.tp
            total.fp += c.fp
            total.fn += c.fn
        return total


def load_cases(path: Path) -> list[dict[str, Any]]:
    """Rows of a JSONL file."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def score(cases: Iterable[Mapping[str, Any]], predict: Predictor) -> Score:
    """Run ``predict`` on every case's text and score it."""
    result = Score()
    for case in cases:
        got = predict(case["text"])
        expected: Mapping[str, list[str]] = case.get("expected", {})
        doubtful: Mapping[str, list[str]] = case.get("doubtful", {}) or {}
        exhaustive = set(case.get("exhaustive", []))
        must_not = set(case.get("must_not", []))
        cid = case.get("id", "?")
        for t in CORE_TYPES:
            pred = set(got.get(t, set()))
            skip = set(doubtful.get(t, []))
            truth = set(expected.get(t, [])) - skip
            counts = result.per_type[t]
            hit = pred & truth
            counts.tp += len(hit)
            for v in sorted(truth - pred):
                counts.fn += 1
                result.errors.append((cid, "fn", t, v))
            extra = pred - truth - skip
            for v in sorted(extra):
                if t in exhaustive or v in must_not:
                    counts.fp += 1
                    result.errors.append((cid, "fp", t, v))
    return result
