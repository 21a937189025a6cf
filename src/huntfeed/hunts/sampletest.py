"""``huntfeed usecases test``: each use case's Sigma rule evaluated on its own sample events.

The evaluator is pySigma's SQLite backend: the samples go into an in-memory table ``logs`` (one
``TEXT COLLATE NOCASE`` column per field, so Sigma's case-insensitive equality holds), the rule is
converted without a processing pipeline (the samples are already in the rule's field names, so the
log source adds no condition) and the query's rows say which events matched.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

from sigma.backends.sqlite.sqlite import sqliteBackend
from sigma.exceptions import SigmaError
from sigma.rule import SigmaDetection, SigmaDetectionItem

from huntfeed.errors import QueryError
from huntfeed.hunts.convert import parse_rule
from huntfeed.hunts.usecase import Event, UseCase

_ID = "huntfeed_sample_id"


@dataclass(frozen=True, slots=True)
class SampleResult:
    """What the rule did with one use case's samples; ``problems`` is empty when it behaved."""

    usecase: str
    matched: int
    nomatch_passed: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when every positive event matched and no look-alike did."""
        return not self.problems


def _fields(detection: SigmaDetection | SigmaDetectionItem) -> Iterator[str]:
    if isinstance(detection, SigmaDetectionItem):
        if detection.field:
            yield detection.field
        return
    for item in detection.detection_items:
        yield from _fields(item)


def _regexp(pattern: str, value: str | None) -> bool:
    return value is not None and re.search(pattern, value) is not None


def _table(events: list[Event], extra: set[str]) -> sqlite3.Connection:
    columns: dict[str, str] = {}
    for name in [k for e in events for k in e] + sorted(extra):
        columns.setdefault(name.lower(), name)
    conn = sqlite3.connect(":memory:")
    conn.create_function("regexp", 2, _regexp, deterministic=True)
    cols = [_ID, *columns.values()]
    conn.execute("CREATE TABLE logs (" + ", ".join(f'"{c}" TEXT COLLATE NOCASE' for c in cols) + ")")
    index = {c.lower(): i for i, c in enumerate(cols)}
    for n, event in enumerate(events):
        row: list[str | None] = [None] * len(cols)
        row[0] = str(n)
        for key, value in event.items():
            row[index[key.lower()]] = str(value)
        conn.execute(f"INSERT INTO logs VALUES ({', '.join('?' * len(cols))})", row)
    return conn


def matching(sigma_yaml: str, events: list[Event]) -> set[int]:
    """Indexes of the events the Sigma rule matches (QueryError when it does not convert)."""
    rule = parse_rule(sigma_yaml)
    fields = {f for d in rule.detection.detections.values() for f in _fields(d)}
    try:
        queries = sqliteBackend().convert_rule(rule)  # type: ignore[no-untyped-call]
    except SigmaError as exc:
        raise QueryError(f"SQLite backend: {exc}") from exc
    conn = _table(events, fields)
    try:
        hits: set[int] = set()
        for query in queries:
            hits |= {int(r[0]) for r in conn.execute(f"SELECT {_ID} FROM ({query})")}
        return hits
    except sqlite3.Error as exc:
        raise QueryError(f"SQLite evaluation failed: {exc}") from exc
    finally:
        conn.close()


def run_samples(uc: UseCase) -> SampleResult:
    """Run one use case's rule on its samples."""
    match, nomatch = list(uc.samples.match), list(uc.samples.nomatch)
    problems: list[str] = []
    if not match or not nomatch:
        problems.append("needs at least one 'match' and one 'nomatch' sample event")
    try:
        hits = matching(uc.sigma, match + nomatch)
    except QueryError as exc:
        return SampleResult(uc.id, 0, 0, (*problems, exc.message))
    problems += [f"match sample {i + 1} did not fire: {match[i]}" for i in range(len(match)) if i not in hits]
    problems += [f"nomatch sample {i + 1} fired: {nomatch[i]}" for i in range(len(nomatch)) if i + len(match) in hits]
    matched = sum(1 for i in range(len(match)) if i in hits)
    passed = sum(1 for i in range(len(nomatch)) if i + len(match) not in hits)
    return SampleResult(uc.id, matched, passed, tuple(problems))
