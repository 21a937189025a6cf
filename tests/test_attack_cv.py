"""Scores over the shared TRAM2 data (skipped where ../shared is absent).

The full classifier cross-validation takes minutes and lives in bench/attack_eval.py; here the
explicit-id and phrase-rule signals go through the same combiner cross-validation (fast), and the
shipped model is checked on part of the data it learned from (a sanity floor, not a benchmark).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from attack_fixtures import SHARED, SHARED_BUNDLE

from huntfeed.attack.build import golds, label_space
from huntfeed.attack.catalog import load_bundle
from huntfeed.attack.engine import AttackEngine
from huntfeed.attack.evaluate import oof_probabilities, roll_up, score, tune_floor
from huntfeed.attack.labelled import load_labelled
from huntfeed.attack.train import DocSignals, doc_features

TRAM = SHARED / "eval" / "ttp_train.jsonl"
pytestmark = pytest.mark.skipif(
    not (TRAM.exists() and SHARED_BUNDLE.exists()), reason="../shared/eval TRAM2 data not present"
)


@pytest.fixture(scope="module")
def data() -> tuple[object, object]:
    return load_bundle(SHARED_BUNDLE), load_labelled(TRAM)


@pytest.mark.slow
def test_rules_and_ids_cross_validated_through_the_combiner(data: tuple[object, object]) -> None:
    cat, labelled = data
    engine = AttackEngine.load(Path("/nonexistent-home"), with_model=False, catalog=cat)  # type: ignore[arg-type]
    signals = [DocSignals(d, *doc_features(engine, d.text)) for d in labelled.docs]  # type: ignore[attr-defined]
    space = label_space(labelled, cat)  # type: ignore[arg-type]
    probs = oof_probabilities(signals, cat, folds=3)
    _floor, _ef1, sc = tune_floor(probs, golds(signals, cat), space, min_precision=0.7)  # type: ignore[arg-type]
    assert sc.docs == 120
    assert sc.precision >= 0.7
    assert sc.per_doc_f1 >= 0.5


@pytest.mark.slow
def test_shipped_model_sanity_on_training_reports(data: tuple[object, object]) -> None:
    cat, labelled = data
    engine = AttackEngine.load(Path("/nonexistent-home"), catalog=cat)  # type: ignore[arg-type]
    if engine.model is None:
        pytest.skip("no shipped model")
    docs = labelled.docs[::4]  # type: ignore[attr-defined]
    space = label_space(labelled, cat)  # type: ignore[arg-type]
    preds = [roll_up({h.id for h in engine.infer(d.text).observed}, space) for d in docs]
    sc = score([d.labels for d in docs], preds)
    assert sc.precision >= 0.75 and sc.per_doc_f1 >= 0.7
