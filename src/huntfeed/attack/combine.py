"""Turn per-technique signals into one calibrated confidence.

The features are few and readable (explicit id seen, sentences with a phrase rule, the best
classifier sentence scores, how common the technique is in ATT&CK procedure examples), and a
logistic model over them is fitted on labelled reports by `huntfeed attack train`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from huntfeed.attack.infer import Signals
from huntfeed.attack.text import Sentence, sentence_index

FEATURES = ("explicit", "rule_sentences", "rule_phrases", "clf_max", "clf_second", "clf_count", "prior")
CLF_FLOOR_SCORE = -1.0  # stands in for "no sentence scored" (raw margins below this are not kept)


def features_for(s: Signals, sentences: Sequence[Sentence], ends: Sequence[int]) -> list[float]:
    """Feature vector for one technique in one document, except the prior (added by the combiner)."""
    rule_sents = {sentence_index(sentences, start, ends) for start, _, _ in s.rule_spans}
    phrases = {p for _, _, p in s.rule_spans}
    top = [sc for sc, _ in s.clf[:2]] + [CLF_FLOOR_SCORE, CLF_FLOOR_SCORE]
    positive = sum(1 for sc, _ in s.clf if sc > 0)
    return [
        1.0 if s.explicit else 0.0,
        math.log1p(len(rule_sents)),
        math.log1p(len(phrases)),
        max(top[0], CLF_FLOOR_SCORE),
        max(top[1], CLF_FLOOR_SCORE),
        math.log1p(positive),
    ]


@dataclass(frozen=True)
class Combiner:
    """Logistic model over FEATURES with a decision threshold tuned for precision."""

    weights: tuple[float, ...]
    bias: float
    threshold: float
    clf_floor: float = 0.0  # a classifier score at or above this counts as the "classifier" method
    prior: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def default(cls) -> Combiner:
        """Hand-set weights for running without a trained model (explicit ids and phrase rules)."""
        return cls(weights=(7.0, 2.2, 0.6, 0.0, 0.0, 0.0, 0.0), bias=-2.0, threshold=0.4)

    def confidence(self, tid: str, feats: Sequence[float]) -> float:
        """Probability that the technique is really described in the document."""
        z = self.bias + self.weights[-1] * self.prior.get(tid, 0.0)
        z += sum(w * f for w, f in zip(self.weights[:-1], feats, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
