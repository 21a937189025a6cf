"""ATT&CK output pinned on the development reports, so that speed work on the numeric kernel
(hashing, margins, prefilter, classifier) changes nothing by accident.

Two digests per run over ``../shared/eval/reports_dev.jsonl`` (its data stays there): every field of
``AttackEngine.infer`` (techniques, confidences, methods, evidence sentences and notes, actors,
phases), and the classifier's per-label sentence margins before any rounding, float for float
(``repr`` of each), which is stricter than the profiles: a change in the last digit of one margin
shows here even when no profile moves. Both were first written by the code before the kernel's
third speed pass (d5acef1). A deliberate change (a retrained model, new rules) regenerates them
with ``UPDATE_GOLDEN=1``; the demo's whole profiles are pinned by ``test_speed_identity.py``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json

import pytest

from huntfeed.attack.engine import AttackEngine
from huntfeed.attack.text import split_sentences
from tests.conftest import shared_path
from tests.golden_check import check_golden


@pytest.fixture(scope="module")
def engine() -> AttackEngine:
    return AttackEngine.load()


def _dev_texts() -> list[tuple[str, str]]:
    path = shared_path("eval", "reports_dev.jsonl")  # skips with a message where ../shared is absent
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(str(r["id"]), str(r.get("full_text") or "")) for r in rows]


def _digest(lines: list[str]) -> str:
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode("utf-8") + b"\n")
    return f"{len(lines)} {h.hexdigest()}\n"


def test_inference_on_the_development_reports_is_pinned(engine: AttackEngine) -> None:
    lines = [
        json.dumps([doc_id, dataclasses.asdict(engine.infer(text))], ensure_ascii=False, sort_keys=True)
        for doc_id, text in _dev_texts()
    ]
    check_golden("attack_reports_dev.sha256", _digest(lines))


def test_classifier_margins_on_the_development_reports_are_pinned(engine: AttackEngine) -> None:
    model = engine.model
    assert model is not None
    lines = []
    for doc_id, text in _dev_texts():
        scores = model.sentence_scores(engine.evidence.view(split_sentences(text)), engine.catalog)
        for tid, (top, weak, positive) in scores.items():  # in the order the scores give them
            lines.append(json.dumps([doc_id, tid, [[repr(m), i] for m, i in top], weak, positive]))
    assert len(lines) > 1000  # thousands of (report, technique) entries: the digest covers real work
    check_golden("attack_margins_reports_dev.sha256", _digest(lines))
