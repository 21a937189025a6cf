"""The whole training run behind `huntfeed attack train`, and the cross-validation the benchmark reports."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import scipy.sparse as sp

from huntfeed.attack.catalog import Catalog
from huntfeed.attack.combine import Combiner
from huntfeed.attack.engine import AttackEngine
from huntfeed.attack.evaluate import Scores, oof_probabilities, score, tune_floor
from huntfeed.attack.labelled import Labelled
from huntfeed.attack.train import (
    FALLBACK,
    Corpus,
    DocSignals,
    Hints,
    Log,
    TrainConfig,
    combiner_rows,
    fit_combiner_weights,
    fit_with_hints,
    out_of_fold_signals,
    training_corpus,
)


@dataclass
class TrainReport:
    """What a training run measured on its own out-of-fold predictions."""

    seconds: float
    classes: int
    texts: int
    combiner: Combiner
    oof: Scores | None


def base_engine(catalog: Catalog) -> AttackEngine:
    """An engine around a catalog with rules and actors but no model (models are swapped in)."""
    engine = AttackEngine.load(with_model=False, catalog=catalog)
    return engine


def collect_oof(
    catalog: Catalog,
    labelled: Labelled,
    cfg: TrainConfig,
    log: Log | None = None,
    model_cache: Path | None = None,
    rows: tuple[Corpus, sp.csr_matrix] | None = None,
    hints: Hints | None = None,
) -> list[DocSignals]:
    """Out-of-fold signals for every labelled document (``rows``: `training_corpus`, if already built)."""
    full, raw = rows or training_corpus(catalog, labelled, cfg)
    engine = base_engine(catalog)
    return out_of_fold_signals(
        catalog,
        full,
        raw,
        labelled,
        cfg,
        lambda m: dataclasses.replace(engine, model=m),
        log=log,
        model_cache=model_cache,
        hints=hints,
    )


def label_space(labelled: Labelled, catalog: Catalog) -> set[str]:
    """Current ids of every label in the labelled documents."""
    return {cur for d in labelled.docs for t in d.labels if (cur := catalog.resolve(t))}


def golds(signals: list[DocSignals], catalog: Catalog) -> list[set[str]]:
    """Gold labels per document, as current ids."""
    return [{cur for t in s.doc.labels if (cur := catalog.resolve(t))} for s in signals]


def fit_combiner(signals: list[DocSignals], catalog: Catalog, cfg: TrainConfig) -> tuple[Combiner, Scores]:
    """Combiner weights on all out-of-fold rows; floor tuned on cross-validated combiner outputs."""
    space = label_space(Labelled(docs=[s.doc for s in signals]), catalog)
    probs = oof_probabilities(signals, catalog, cfg.folds)
    floor, ef1, oof = tune_floor(probs, golds(signals, catalog), space, cfg.max_precision_floor)
    x, y, _ = combiner_rows(signals, catalog)
    w, b = fit_combiner_weights(x, y)
    return Combiner(weights=w, bias=b, floor=floor, expected_f1=ef1), oof


def train(
    catalog: Catalog,
    labelled: Labelled | None,
    cfg: TrainConfig,
    out: Path,
    log: Log | None = None,
    model_cache: Path | None = None,
) -> TrainReport:
    """Fit, calibrate and save a model for this catalog (plus optional labelled reports)."""
    t0 = time.time()
    labelled = labelled or Labelled()
    combiner, oof = FALLBACK, None
    corpus, raw = training_corpus(catalog, labelled, cfg)
    # The final model first: its near-margin rows start the fold models' working sets.
    model, hints = fit_with_hints(corpus, cfg, log=log, full_rows=label_space(labelled, catalog), raw=raw)
    if labelled.docs:
        signals = collect_oof(catalog, labelled, cfg, log, model_cache=model_cache, rows=(corpus, raw), hints=hints)
        combiner, oof = fit_combiner(signals, catalog, cfg)
        if log:
            log(
                f"combiner: floor {combiner.floor}, expected-F1 {combiner.expected_f1}; out-of-fold "
                f"per-doc F1 {oof.per_doc_f1:.3f}, precision {oof.precision:.3f}"
            )
    model = dataclasses.replace(
        model,
        combiner=combiner,
        meta={
            **model.meta,
            "attack_version": catalog.version,
            "labelled_docs": len(labelled.docs),
            "labelled_sentences": len(labelled.sentences),
            "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
    )
    model.save(out)
    return TrainReport(time.time() - t0, len(model.labels), len(corpus.texts), combiner, oof)


def evaluate_methods(
    signals: list[DocSignals], catalog: Catalog, cfg: TrainConfig, space: set[str] | None
) -> dict[str, tuple[Scores, str]]:
    """Scores of each method alone and combined, all with document-level cross-validation."""
    from huntfeed.attack.evaluate import explicit_only, masked, roll_up, rules_only

    gold = golds(signals, catalog)
    if space is not None:
        gold = [roll_up(g, space) for g in gold]
    out: dict[str, tuple[Scores, str]] = {}
    out["explicit ids"] = (score(gold, [roll_up(explicit_only(s, None), space) for s in signals]), "any id")
    out["phrase rules"] = (score(gold, [roll_up(rules_only(s, None), space) for s in signals]), "any hit")
    clf_feats = ["clf_1", "clf_2", "clf_3", "clf_weak", "clf_pos", "log_sentences", "family"]
    for name, mask in (("classifier", masked(clf_feats)), ("combined", None)):
        probs = oof_probabilities(signals, catalog, cfg.folds, mask=mask)
        floor, ef1, sc = tune_floor(probs, gold, space, cfg.max_precision_floor)
        out[name] = (sc, f"floor {floor}{', expected-F1' if ef1 else ''}")
    return out
