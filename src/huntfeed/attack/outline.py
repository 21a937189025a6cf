"""Outline lines: a technique that only a report's bullets, table rows or headings support is not observed.

A write-up's capability list ("- Browser cookies", "| 16 | Remove persistence and delete itself |")
and its headings ("### Sandbox detection") name topics and features; the narrative is where the
authors say what the adversary did, and their own ATT&CK tables follow the narrative.  On the dev
set of real reports a technique whose every supporting line was such a line was in the authors'
table 3 times in 33 (prose-supported: 41 in 147); TRAM2's plain-text reports have almost no such
lines (286 of 38k), so the rule does not move the cross-validation.  An id the author wrote in an
evidence sentence still counts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from huntfeed.attack.infer import Signals
from huntfeed.attack.specificity import support_of
from huntfeed.attack.text import Sentence, sentence_index

# A Markdown heading, a table row, a bullet ("-", "+", "•", a single "*" but not "**bold**"), a numbered item.
# A bullet or item that starts with a lower-case word continues the sentence before it ("The implant:" /
# "- adds the attacker's SSH key to authorized_keys;"): that is narrative, not a list of features.
_OUTLINE = re.compile(r"^\s*(?:#{1,6}\s|\||(?:[-+\u2022]|\*(?!\*)|\d{1,3}[.)])\s+(?![a-z]))")


def is_outline(text: str) -> bool:
    """True for a heading, a table row, a bullet or a numbered item."""
    return bool(_OUTLINE.match(text))


def outline_only(s: Signals, view: Sequence[Sentence], ends: Sequence[int], clf_floor: float) -> bool:
    """Every evidence line behind the technique is an outline line (and no id is written in one)."""
    for start, _ in s.explicit:
        i = sentence_index(view, start, ends)
        if i is not None and view[i].text:
            return False
    texts = [view[i].text for i in support_of(s, view, ends, clf_floor) if view[i].text]
    return bool(texts) and all(is_outline(t) for t in texts)
