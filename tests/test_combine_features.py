"""combine.features_for's classifier-only shortcut gives the general path's vector, value for value."""

from __future__ import annotations

import math

import pytest

from huntfeed.attack import combine
from huntfeed.attack.infer import Signals
from huntfeed.attack.text import Sentence

SENTENCES = [Sentence("Initial access came by e-mail.", 0, 30), Sentence("", 31, 40), Sentence("It ran powershell.", 41, 59)]
ENDS = [s.end for s in SENTENCES]


@pytest.mark.parametrize(
    ("clf", "weak", "pos"),
    [([], 0, 0), ([(0.5, 0)], 1, 1), ([(0.5, 0), (-0.25, 2)], 2, 1), ([(2.0, 2), (1.0, 0), (-0.5, 1), (-0.9, 1)], 4, 2),
     ([(-1.0, 0)], 1, 0)],
)
def test_classifier_only_signals_give_the_general_vector(clf: list[tuple[float, int]], weak: int, pos: int) -> None:
    s = Signals(clf=clf, clf_weak=weak, clf_pos=pos)
    top = [v for v, _ in clf[:3]] + [combine.CLF_KEEP] * (3 - min(3, len(clf)))
    want = [0.0, 0.0, 0.0, *[max(v, combine.CLF_KEEP) for v in top], math.log1p(weak), math.log1p(pos), math.log(3)]
    assert combine.features_for(s, SENTENCES, ENDS) == want
    # the general path (a phrase rule present) computes the classifier columns the same way
    ruled = combine.features_for(Signals(rule_spans=[(0, 5, "e-mail")], clf=clf, clf_weak=weak, clf_pos=pos), SENTENCES, ENDS)
    assert ruled[3:] == want[3:] and ruled[1:3] == [math.log1p(1), math.log1p(1)]


def test_confidence_refuses_a_vector_of_another_length() -> None:
    c = combine.Combiner.default()
    assert 0.0 < c.confidence("T1059", [0.0] * len(combine.FEATURES)) < 1.0
    with pytest.raises(ValueError, match="features"):
        c.confidence("T1059", [0.0] * (len(combine.FEATURES) - 1))
