"""Turn per-technique signals into one calibrated confidence, and pick what to report.

The features are few and readable (explicit id seen: 1.0 in prose, 0.5 in a table or list;
sentences with a phrase rule; the best classifier sentence margins and how many sentences
scored; the document's length; the best margin of the technique's relatives), and a
logistic model over them is fitted on labelled reports by `huntfeed attack train`.  The
choice of what to report maximises the document's expected F1 given those probabilities,
with a floor so that nothing below ``floor`` is ever shown.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from huntfeed.attack.explicit import in_prose
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
    "family",
)
EXPLICIT_MIN = 0.85  # an id written in prose is the author's own mapping: always reported
# The "explicit" feature also marks a strong phrase ("!" in the rules file): 1.0 id in prose,
# 0.75 strong phrase, 0.5 id only in a table or list.
STRONG, STRONG_MIN = 0.75, 0.6
CLF_KEEP = -1.0  # classifier margins at or below this are not kept (and stand in for "nothing")


def features_for(s: Signals, sentences: Sequence[Sentence], ends: Sequence[int]) -> list[float]:
    """Feature vector (in FEATURES order) for one technique in one document."""
    if not s.rule_spans and not s.explicit and not s.strong:  # the classifier alone: 19 techniques in 20
        return _classifier_only(s, len(sentences))
    rule_sents = {sentence_index(sentences, start, ends) for start, _, _ in s.rule_spans}
    explicit = 0.0
    for start, _ in s.explicit:
        i = sentence_index(sentences, start, ends)
        explicit = max(explicit, 1.0 if i is not None and in_prose(sentences[i].text) else 0.5)
    if s.strong:
        explicit = max(explicit, STRONG)
    phrases = {p for _, _, p in s.rule_spans}
    top = [sc for sc, _ in s.clf[:3]] + [CLF_KEEP] * 3
    return [
        explicit,
        math.log1p(len(rule_sents)),
        math.log1p(len(phrases)),
        max(top[0], CLF_KEEP),
        max(top[1], CLF_KEEP),
        max(top[2], CLF_KEEP),
        math.log1p(s.clf_weak),
        math.log1p(s.clf_pos),
        math.log(max(len(sentences), 1)),
    ]


def _classifier_only(s: Signals, n_sentences: int) -> list[float]:
    """`features_for` of a technique with neither ids nor phrase rules, the same values without the sets."""
    clf, k = s.clf, len(s.clf)
    return [
        0.0,
        0.0,
        0.0,
        max(clf[0][0], CLF_KEEP) if k > 0 else CLF_KEEP,
        max(clf[1][0], CLF_KEEP) if k > 1 else CLF_KEEP,
        max(clf[2][0], CLF_KEEP) if k > 2 else CLF_KEEP,
        math.log1p(s.clf_weak),
        math.log1p(s.clf_pos),
        math.log(max(n_sentences, 1)),
    ]


def empty_features(n_sentences: int) -> list[float]:
    """Features of a technique that no method mentioned in a document of n sentences."""
    return [0.0, 0.0, 0.0, CLF_KEEP, CLF_KEEP, CLF_KEEP, 0.0, 0.0, math.log(max(n_sentences, 1)), CLF_KEEP]


def feature_table(
    sig: Mapping[str, Signals], sentences: Sequence[Sentence], ends: Sequence[int]
) -> dict[str, list[float]]:
    """Features of every candidate technique of a document.

    The last feature is the best classifier margin of the technique's relatives (its parent or
    sub-techniques): reports that describe packing usually describe obfuscation too.
    """
    table = {tid: features_for(s, sentences, ends) for tid, s in sig.items()}
    best: dict[str, list[tuple[float, str]]] = {}
    for tid, f in table.items():
        best.setdefault(tid.split(".", 1)[0], []).append((f[3], tid))
    for tid, f in table.items():
        others = [v for v, t in best[tid.split(".", 1)[0]] if t != tid]
        f.append(max(others, default=CLF_KEEP))
    return table


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
        if len(feats) != len(self.weights):
            raise ValueError(f"{len(feats)} features for {len(self.weights)} weights")
        z += sum(map(operator.mul, self.weights, feats))  # the same products added in the same order
        p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
        if feats[0] >= 1.0:
            return max(p, EXPLICIT_MIN)
        return max(p, STRONG_MIN) if feats[0] >= STRONG else p

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
