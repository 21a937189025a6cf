"""Scoring technique predictions the way the TRAM2 papers do, and the document-level cross-validation.

Scores are computed inside the gold label space: a predicted id outside it counts as its parent
where the parent is in the space, and is ignored otherwise (TRAM2 labels only 50 techniques and
some sub-techniques; text about anything else is not a negative).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from huntfeed.attack.combine import FEATURES, Combiner
from huntfeed.attack.train import DocSignals, combiner_rows, fit_combiner_weights, fold_of

_EXPLICIT, _RULE_SENTS = FEATURES.index("explicit"), FEATURES.index("rule_sentences")
F1_TIE = 0.001  # per-document F1 differences below this do not decide the reporting floor


@dataclass(frozen=True)
class Scores:
    """Per-document F1 (mean) and micro precision/recall/F1."""

    per_doc_f1: float
    precision: float
    recall: float
    micro_f1: float
    docs: int
    predicted: int

    def row(self, name: str) -> str:
        """A Markdown table row."""
        return (
            f"| {name} | {self.per_doc_f1:.3f} | {self.precision:.3f} | {self.recall:.3f} | "
            f"{self.micro_f1:.3f} | {self.predicted / max(self.docs, 1):.1f} |"
        )


def roll_up(pred: Iterable[str], space: set[str] | None) -> set[str]:
    """Map predictions into the label space (sub-technique to parent where only the parent is labelled)."""
    if space is None:
        return set(pred)
    out = set()
    for t in pred:
        if t in space:
            out.add(t)
        elif t.split(".", 1)[0] in space:
            out.add(t.split(".", 1)[0])
    return out


def score(golds: Sequence[set[str]], preds: Sequence[set[str]]) -> Scores:
    """Mean per-document F1 plus micro P/R/F1 (a document with no gold and no prediction scores 1)."""
    f1s, tp, fp, fn = [], 0, 0, 0
    for g, p in zip(golds, preds, strict=True):
        hit = len(g & p)
        tp, fp, fn = tp + hit, fp + len(p - g), fn + len(g - p)
        f1s.append(2 * hit / (len(g) + len(p)) if (g or p) else 1.0)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    micro = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    return Scores(float(np.mean(f1s)) if f1s else 0.0, prec, rec, micro, len(golds), tp + fp)


Selector = Callable[[DocSignals, Combiner | None], set[str]]


def combined(sig: DocSignals, comb: Combiner | None) -> set[str]:
    """What the engine reports: combiner confidences, expected-F1 selection."""
    assert comb is not None
    probs = {t: comb.confidence(t, f) for t, f in sig.feats.items()}
    return comb.select(probs)


def explicit_only(sig: DocSignals, _: Combiner | None) -> set[str]:
    """Techniques whose id is written in the text (1.0: in prose, 0.5: in a table; 0.75 is a strong phrase)."""
    return {t for t, f in sig.feats.items() if f[_EXPLICIT] in (0.5, 1.0)}


def rules_only(sig: DocSignals, _: Combiner | None) -> set[str]:
    """Techniques with at least one phrase-rule hit."""
    return {t for t, f in sig.feats.items() if f[_RULE_SENTS] > 0}


def masked(keep: Sequence[str]) -> Callable[[np.ndarray], np.ndarray]:
    """Zero every feature not named in keep (to score one method through the combiner)."""
    idx = [FEATURES.index(k) for k in keep]

    def apply(x: np.ndarray) -> np.ndarray:
        out = np.zeros_like(x)
        out[..., idx] = x[..., idx]
        return out

    return apply


def oof_probabilities(
    signals: Sequence[DocSignals],
    catalog: object,
    folds: int,
    *,
    mask: Callable[[np.ndarray], np.ndarray] | None = None,
) -> list[dict[str, float]]:
    """Confidences per document from combiners fitted on the other folds' out-of-fold signals."""
    probs: list[dict[str, float]] = [{} for _ in signals]
    for k in range(folds):
        train = [s for s in signals if fold_of(s.doc.id, folds) != k]
        if not train or len(train) == len(signals):
            continue
        x, y, _ = combiner_rows(train, catalog)  # type: ignore[arg-type]
        w, b = fit_combiner_weights(mask(x) if mask else x, y)
        comb = Combiner(weights=w, bias=b, floor=0.0)
        for i, s in enumerate(signals):
            if fold_of(s.doc.id, folds) == k:
                probs[i] = {t: comb.confidence(t, list(mask(np.array(f))) if mask else f) for t, f in s.feats.items()}
    return probs


def select_all(
    probs: Sequence[dict[str, float]], floor: float, expected_f1: bool, space: set[str] | None
) -> list[set[str]]:
    """Apply the reporting rule to every document and map into the label space."""
    comb = Combiner(weights=(), bias=0.0, floor=floor, expected_f1=expected_f1)
    return [roll_up(comb.select(p), space) for p in probs]


def tune_floor(
    probs: Sequence[dict[str, float]], golds: Sequence[set[str]], space: set[str] | None, min_precision: float
) -> tuple[float, bool, Scores]:
    """Best (floor, expected-F1 on/off) by per-document F1 among settings with enough precision.

    Settings within `F1_TIE` of the best per-document F1 count as tied, and the tie goes to the
    most precise one: a hunter would rather see fewer, surer techniques.
    """
    eligible: list[tuple[float, bool, Scores]] = []
    fallback: tuple[float, bool, Scores] | None = None
    for ef1 in (True, False):
        for floor in np.arange(0.20, 0.91, 0.025):
            sc = score(golds, select_all(probs, float(floor), ef1, space))
            cand = (round(float(floor), 3), ef1, sc)
            if sc.precision >= min_precision:
                eligible.append(cand)
            if fallback is None or sc.precision > fallback[2].precision:
                fallback = cand
    if not eligible:
        assert fallback is not None
        return fallback
    best = max(c[2].per_doc_f1 for c in eligible)
    return max((c for c in eligible if c[2].per_doc_f1 >= best - F1_TIE), key=lambda c: (c[2].precision, c[0]))
