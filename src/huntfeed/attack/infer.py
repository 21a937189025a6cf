"""Technique inference for one text: explicit ids, phrase rules and the classifier, combined.

Each method contributes *signals* per technique; `combine` turns them into one calibrated
confidence (a small logistic model trained with the classifier, or fixed weights without one).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from huntfeed.attack.catalog import Catalog
from huntfeed.attack.explicit import find_ids
from huntfeed.attack.rules import RuleMatcher
from huntfeed.attack.text import Sentence, sentence_ends, sentence_index

EXPLICIT, RULE, CLASSIFIER = "explicit-id", "phrase-rule", "classifier"


@dataclass
class Signals:
    """What the methods found for one technique in one document."""

    explicit: list[tuple[int, int]] = field(default_factory=list)
    rule_spans: list[tuple[int, int, str]] = field(default_factory=list)  # start, end, phrase
    strong: bool = False  # a strong phrase (marked "!" in the rules file) matched
    clf: list[tuple[float, int]] = field(default_factory=list)  # best sentence margins with their index
    clf_weak: int = 0  # sentences whose margin passed the keep floor
    clf_pos: int = 0  # sentences with a positive margin

    def methods(self, clf_floor: float) -> tuple[str, ...]:
        """Methods that support the technique; the classifier counts when it is confident or alone."""
        out = []
        if self.explicit:
            out.append(EXPLICIT)
        if self.rule_spans:
            out.append(RULE)
        if self.clf and (self.clf[0][0] >= clf_floor or not out):
            out.append(CLASSIFIER)
        return tuple(out)


def collect_signals(
    text: str,
    sentences: Sequence[Sentence],
    catalog: Catalog,
    matcher: RuleMatcher | None,
    sentence_scores: Mapping[str, tuple[list[tuple[float, int]], int, int]] | None,
) -> dict[str, Signals]:
    """Run every method; map technique id to its signals."""
    sig: dict[str, Signals] = {}
    for tid, start, end in find_ids(text, catalog):
        sig.setdefault(tid, Signals()).explicit.append((start, end))
    if matcher is not None:
        ends = sentence_ends(sentences)
        for hit in matcher.find(text):
            cur = catalog.resolve(hit.rule.technique)
            i = sentence_index(sentences, hit.start, ends)
            if cur is not None and i is not None and sentences[i].text:  # emptied: not evidence
                entry = sig.setdefault(cur, Signals())
                entry.rule_spans.append((hit.start, hit.end, hit.rule.phrase))
                entry.strong = entry.strong or hit.rule.strong
    if sentence_scores:
        for tid, (top, weak, pos) in sentence_scores.items():
            entry = sig.setdefault(tid, Signals())
            entry.clf, entry.clf_weak, entry.clf_pos = sorted(top, reverse=True), weak, pos
    return sig
