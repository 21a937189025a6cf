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


# A heading as text extracted from HTML has no "#" (issue 18, sixth session: "How the tunnel works",
# "Initial access", "Days 7-8: exfiltration with rclone" shown as evidence on the demo profiles): a line
# of its own, at most eight words, starting with a capital or a digit, with no sentence end and
# nothing of code.  A short lead-in that ends in a colon ("The command line was:") introduces what
# follows and describes nothing itself.  Such lines are only kept from being *shown* as evidence
# (engine._evidence); `outline_only` does not count them: reports extracted from PDF carry thousands
# of short lines (captions, technique names left by a cut table, wrapped fragments), and TRAM2 labels
# them, so counting them cost the vendor-table stand-in 0.035 micro F1 and the TRAM2 folds 0.007.
_PLAIN_HEADING = re.compile(r"^(?=[A-Z0-9])(?![^\n]*[\\/=<>{}|$%@`\"])[^.!?;\n]*[^.!?;:,\s]$")
_LEAD_IN = re.compile(r"^[^\n]*:$")
_HEADING_WORDS, _LEAD_IN_WORDS = 8, 5


def is_outline(text: str) -> bool:
    """True for a heading, a table row, a bullet or a numbered item."""
    return bool(_OUTLINE.match(text))


def is_heading(s: Sentence, text: str) -> bool:
    """True for a Markdown heading, a heading line without markup, or a short lead-in ending in a colon.

    A heading is a whole line of ``text``; a lead-in ends one (a sentence inside a paragraph is neither).
    """
    if not s.text or text[s.end : s.end + 1] not in ("", "\n", "\r"):
        return False
    if len(s.text.split()) <= _LEAD_IN_WORDS and _LEAD_IN.match(s.text):
        return True
    if s.start > 0 and text[s.start - 1] != "\n":
        return False
    if s.text.lstrip().startswith("#"):
        return bool(_OUTLINE.match(s.text))
    return len(s.text.split()) <= _HEADING_WORDS and bool(_PLAIN_HEADING.match(s.text))


def outline_only(s: Signals, view: Sequence[Sentence], ends: Sequence[int], clf_floor: float) -> bool:
    """Every evidence line behind the technique is an outline line (and no id is written in one)."""
    for start, _ in s.explicit:
        i = sentence_index(view, start, ends)
        if i is not None and view[i].text:
            return False
    texts = [view[i].text for i in support_of(s, view, ends, clf_floor) if view[i].text]
    return bool(texts) and all(is_outline(t) for t in texts)
