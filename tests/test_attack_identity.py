"""ATT&CK output pinned on the development reports, so that speed work on the numeric kernel
(hashing, margins, prefilter, classifier) changes nothing by accident.

Two digests per run over ``../shared/eval/reports_dev.jsonl`` (its data stays there): every field of
``AttackEngine.infer`` (techniques, confidences, methods, evidence sentences and notes, actors,
phases), exact; and the classifier's per-label sentence margins before any rounding, float for float
(``repr`` of each), as SciPy's operators and a loop over every margin compute them
(``test_attack_margins._reference_scores``). Both were first written by the code before the kernel's
third speed pass (d5acef1). A deliberate change (a retrained model, new rules) regenerates them
with ``UPDATE_GOLDEN=1``; the demo's whole profiles are pinned by ``test_speed_identity.py``.

The kernel's own margins are compared with that reference within ``MARGIN_TOL`` rather than bit for
bit (issue 15, fifth pass): its product adds each margin's float32 terms in another order than
SciPy's (the common n-grams' dense weight rows feature by feature, the rare ones weight by weight),
which moves a margin by a few 1e-7 and made the product 12-13 -> 8-9 ms per real report. Labels,
their order, sentences and counts must be the same, and every rendered output (the first digest,
the demo's profiles) stays exact.
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
from tests.test_attack_margins import _reference_scores

# Absolute, on float32 margins of magnitude up to ~10: re-ordered float32 sums of a few hundred terms
# differ by a few 1e-7 here (the largest seen on the development reports is printed on failure).
MARGIN_TOL = 1e-5


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


def _margin_lines(doc_id: str, scores: dict[str, object]) -> list[str]:
    return [
        json.dumps([doc_id, tid, [[repr(m), i] for m, i in top], weak, positive])
        for tid, (top, weak, positive) in scores.items()  # type: ignore[misc]  # in the order the scores give them
    ]


def test_classifier_margins_on_the_development_reports_are_pinned(engine: AttackEngine) -> None:
    model = engine.model
    assert model is not None
    lines, worst = [], 0.0
    for doc_id, text in _dev_texts():
        view = engine.evidence.view(split_sentences(text))
        want = _reference_scores(engine, view)
        got = model.sentence_scores(view, engine.catalog)
        lines += _margin_lines(doc_id, want)
        assert list(got) == list(want), doc_id  # the same labels in the same order
        for tid, (top, weak, positive) in got.items():
            ref_top, ref_weak, ref_positive = want[tid]  # type: ignore[misc]
            assert (weak, positive, [i for _, i in top]) == (ref_weak, ref_positive, [i for _, i in ref_top]), tid
            worst = max([worst, *(abs(m - r) for (m, _), (r, _) in zip(top, ref_top, strict=True))])
    assert len(lines) > 1000  # thousands of (report, technique) entries: the digest covers real work
    assert worst <= MARGIN_TOL, f"largest margin difference {worst:.3g}"
    check_golden("attack_margins_reports_dev.sha256", _digest(lines))
