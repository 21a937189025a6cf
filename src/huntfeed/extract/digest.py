"""Cut a text down to the tokens that can hold an indicator, for speed.

Python's regex engine is fast only when a pattern starts with a literal it can search for; a
pattern that starts with a character class tries every position. So cheap literal-led anchors
(a dot before a non-space, '@', '://', a bracket, 'CVE', a digit starting a long alphanumeric
run...) mark the candidate tokens, and the full patterns run on those tokens only, joined by
newlines into a digest that is usually a tenth of the text. Offsets map back by segment.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

# (pattern, reach) -- reach 0: the token around the anchor; 1: plus one token each side (spaced
# defang styles such as "example [.] com"); 2: to the end of the line (registry keys, paths and
# user agents contain spaces).
_ANCHORS: tuple[tuple[str, int], ...] = (
    (r"\.[^\s.]", 0),
    (r" \. ", 1),
    (r"@", 1),
    (r"[\[\]\{\}<\\^]", 1),
    (r"\((?:[ \t]{0,3}[.,@/:\-]|[ \t]{0,3}(?i:dot|at\b|et\b|arroba|punto|punkt|www|https?|hxxps?))", 1),
    (r"\)\w", 1),
    (r":[/\\\]\)_0-9a-fA-F:]", 1),
    (r"//", 1),
    (r"__", 0),
    (r"DOT", 1),
    (r"AT", 1),
    (r"At ", 1),
    (r"-dot-", 0),
    (r",\d{1,3},\d", 0),
    (r"\d[0-9A-Za-z]{15}", 0),
    (r"[a-fA-F]{32}", 0),
    (r"CVE", 1),
    (r"cve", 1),
    (r"Cve", 1),
    (r"HK", 2),
    (r"Mozilla/", 2),
    (r"%\\", 2),
    (r"~/", 2),
    (r"T\d{4}", 0),
    (r"TA\d{4}", 0),
    (r"t\d{4}", 0),
    (r"AS", 1),
    (r"as\d", 0),
    (r"asn", 1),
    (r"_[0-9a-f]{12}_", 0),
)
_COMPILED = tuple((re.compile(p), reach) for p, reach in _ANCHORS)
_WS = re.compile(r"\s")
_MAX_TOKEN = 2100
_MERGE_GAP = 4


@dataclass(frozen=True, slots=True)
class Digest:
    """The candidate segments joined by newlines, with where each segment came from."""

    text: str
    dstarts: tuple[int, ...]
    ostarts: tuple[int, ...]

    def to_original(self, pos: int) -> int:
        """Original offset of a digest offset."""
        i = bisect_right(self.dstarts, pos) - 1
        return self.ostarts[i] + (pos - self.dstarts[i]) if i >= 0 else pos


def _token_start(text: str, pos: int) -> int:
    lo = max(0, pos - _MAX_TOKEN)
    return max(text.rfind(" ", lo, pos), text.rfind("\n", lo, pos), text.rfind("\t", lo, pos), lo - 1) + 1


def _token_end(text: str, pos: int) -> int:
    hi = min(len(text), pos + _MAX_TOKEN)
    sp = text.find(" ", pos, hi)
    nl = text.find("\n", pos, sp if sp >= 0 else hi)
    end = nl if nl >= 0 else (sp if sp >= 0 else hi)
    tab = text.find("\t", pos, end)
    return tab if tab >= 0 else end


def _line_end(text: str, pos: int) -> int:
    nl = text.find("\n", pos, pos + 600)
    return nl if nl >= 0 else min(len(text), pos + 600)


def windows(text: str) -> list[tuple[int, int]]:
    """Sorted, merged (start, end) spans of text that may hold an indicator."""
    spans: list[tuple[int, int]] = []
    for rx, reach in _COMPILED:
        last_end = -1
        for m in rx.finditer(text):
            a, b = m.span()
            if a < last_end:
                continue  # inside the token found for the previous anchor
            s = _token_start(text, a)
            e = _token_end(text, b) if b > a else b
            if reach == 1:
                k = s
                while k > 0 and s - k < 4 and text[k - 1] in " \t":
                    k -= 1
                if k > 0:
                    s = _token_start(text, k)
                k = e
                while k < len(text) and k - e < 4 and text[k] in " \t":
                    k += 1
                if k < len(text):
                    e = _token_end(text, k)
            elif reach == 2:
                e = _line_end(text, b)
            spans.append((s, e))
            last_end = e
    if not spans:
        return []
    spans.sort()
    merged = [spans[0]]
    for s, e in spans[1:]:
        ls, le = merged[-1]
        if s <= le + _MERGE_GAP:
            if e > le:
                merged[-1] = (ls, e)
        else:
            merged.append((s, e))
    return merged


def build(text: str) -> Digest:
    """The digest of ``text``."""
    parts: list[str] = []
    dstarts: list[int] = []
    ostarts: list[int] = []
    pos = 0
    for s, e in windows(text):
        dstarts.append(pos)
        ostarts.append(s)
        parts.append(text[s:e])
        pos += e - s + 1
    return Digest("\n".join(parts), tuple(dstarts), tuple(ostarts))
