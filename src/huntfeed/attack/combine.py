"""Turn per-technique signals into one calibrated confidence, and pick what to report.

The features are few and readable (explicit id seen, sentences with a phrase rule, the best
classifier sentence margins and how many sentences scored, the document's length), and a
logistic model over them is fitted on labelled reports by `huntfeed attack train`.  The
choice of what to report maximises the document's expected F1 given those probabilities,
with a floor so that nothing below ``floor`` is ever shown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from huntfeed.attack.infer import Signals
from huntfeed.attack.text import Sentence, sentence_index

FEATURES = (
    "explicit",
    "rule_sentences",
    "rule_phrases",
    "clf_1",
    "clf_2",
    "clf_3",
    "clf_weak",
    "clf_pos",
    "log_sentences",
)
CLF_KEEP = -1.0  # classifier margins at or below this are not kept (and stand in for "nothing")


def features_for(s: Signals, sentences: Sequence[Sentence], ends: Sequence[int]) -> list[float]:
    """Feature vector (in FEATURES order) for one technique in one document."""
    rule_sents = {sentence_index(sentences, start, ends) for start, _, _ in s.rule_spans}
    phrases = {p for _, _, p in s.rule_spans}
    top = [sc for sc, _ in s.clf[:3]] + [CLF_KEEP] * 3
    return [
        1.0 if s.explicit else 0.0,
        math.log1p(len(rule_sents)),
        math.log1p(len(phrases)),
        max(top[0], CLF_KEEP),
        max(top[1], CLF_KEEP),
        max(top[2], CLF_KEEP),
        math.log1p(s.clf_weak),
        math.log1p(s.clf_pos),
        math.log(max(len(sentences), 1)),
    ]


def empty_features(n_sentences: int) -> list[float]:
    """Features of a technique that no method mentioned in a document of n sentences."""
    return [0.0, 0.0, 0.0, CLF_KEEP, CLF_KEEP, CLF_KEEP, 0.0, 0.0, math.log(max(n_sentences, 1))]


@dataclass(frozen=True)
class Combiner:
    """Logistic model over FEATURES plus the reporting rule."""

    weights: tuple[float, ...]
    bias: float
    floor: float  # never report below this confidence
    clf_floor: float = 0.0  # a margin at or above this counts as the "classifier" method
    expected_f1: bool = True  # pick the set that maximises expected F1 (else: everything >= floor)
    tech_bias: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def default(cls) -> Combiner:
        """Hand-set weights for running without a trained model (explicit ids and phrase rules)."""
        w = [7.0, 2.2, 0.6] + [0.0] * (len(FEATURES) - 3)
        return cls(weights=tuple(w), bias=-2.0, floor=0.4, expected_f1=False)

    def confidence(self, tid: str, feats: Sequence[float]) -> float:
        """Probability that the technique is really described in the document."""
        z = self.bias + self.tech_bias.get(tid, 0.0)
        z += sum(w * f for w, f in zip(self.weights, feats, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def select(self, probs: Mapping[str, float]) -> set[str]:
        """Techniques to report: the expected-F1-optimal top k, never below the floor."""
        ranked = sorted(probs.items(), key=lambda kv: -kv[1])
        if not self.expected_f1:
            return {t for t, p in ranked if p >= self.floor}
        total = sum(probs.values())
        best_k, best, run = 0, 0.0, 0.0
        for k, (_, p) in enumerate(ranked, 1):
            run += p
            value = 2.0 * run / (k + total)
            if value > best:
                best, best_k = value, k
        return {t for t, p in ranked[:best_k] if p >= self.floor}

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form, stored inside the model file."""
        return {
            "features": list(FEATURES),
            "weights": list(self.weights),
            "bias": self.bias,
            "floor": self.floor,
            "clf_floor": self.clf_floor,
            "expected_f1": self.expected_f1,
            "tech_bias": dict(self.tech_bias),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, object]) -> Combiner:
        """Inverse of to_dict; refuses a model built for other features."""
        if list(d.get("features", [])) != list(FEATURES):  # type: ignore[call-overload]
            raise ValueError("model combiner was trained on different features")
        return cls(
            weights=tuple(float(w) for w in d["weights"]),  # type: ignore[attr-defined]
            bias=float(d["bias"]),  # type: ignore[arg-type]
            floor=float(d["floor"]),  # type: ignore[arg-type]
            clf_floor=float(d["clf_floor"]),  # type: ignore[arg-type]
            expected_f1=bool(d["expected_f1"]),
            tech_bias={str(k): float(v) for k, v in d.get("tech_bias", {}).items()},  # type: ignore[attr-defined]
        )
