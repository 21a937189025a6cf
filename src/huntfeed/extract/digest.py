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
    (r"@", 0),
    (r" @", 1),
    (r"@ ", 1),
    (r"\[", 1),
    (r"\{", 1),
    (r"<", 1),
    (r"\\", 1),
    (r"\^", 1),
    (r"\](?<=[A-Za-z]{2}\])(?=\w)", 1),
    (r"\}(?<=[A-Za-z]{2}\})(?=\w)", 1),
    (r"\((?:[ \t]{0,3}[.,@/:\-]|[ \t]{0,3}(?i:dot|at\b|et\b|arroba|punto|punkt|www|https?|hxxps?))", 1),
    (r"\)\w", 1),
    (r":[/\\\]\)_0-9a-fA-F:]", 0),
    (r" :/", 1),
    (r"//", 0),
    (r"// ", 1),
    (r"__", 0),
    (r"DOT", 1),
    (r"AT", 1),
    (r"At ", 1),
    (r"-dot-", 0),
    (r",\d{1,3},\d", 0),
    # Hashes and wallet addresses: one literal-led pattern per leading digit scans faster than \d.
    *((d + r"[0-9A-Za-z]{15}", 0) for d in "0123456789"),
    (r"CVE", 1),
    (r"cve", 1),
    (r"Cve", 1),
    (r"HK", 2),
    (r"Mozilla/", 2),
    (r"%\\", 2),
    (r"~/", 2),
    (r"T\d{4}", 0),
    (r"TA\d{4}", 0),
    (r"AS", 1),
    (r"asn", 1),
    (r"_[0-9a-f]{12}_", 0),
)
_COMPILED = tuple((re.compile(p), reach) for p, reach in _ANCHORS)
_WS = re.compile(r"\s")
_MAX_TOKEN = 2100
_MERGE_GAP = 4
# Below this size the whole text is scanned; above it, a hash made only of the letters a-f (a
# placeholder such as "aaaa...", never a real digest) has no anchor and is not seen.
SHORT_TEXT = 2048
_SHORT_LINE = 160


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


def _extend(text: str, s: int, e: int, reach: int) -> tuple[int, int]:
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
        e = max(e, _line_end(text, e))
    return s, e


def _window(masked: str, a: int, b: int, reach: int, spans: list[tuple[int, int]]) -> int:
    """Add the window of the anchor match ``masked[a:b]`` to ``spans``; return its token's end."""
    s = _token_start(masked, a)
    e = end = _token_end(masked, b) if b > a else b
    spans.append(_extend(masked, s, e, reach))
    return end


def _masked(text: str) -> tuple[str, list[tuple[int, int]]]:
    """``text`` with its short lines blanked (same length), and the spans of those lines."""
    lines = text.split("\n")
    short: list[tuple[int, int]] = []
    pos = 0
    for line in lines:
        n = len(line)
        if 0 < n <= _SHORT_LINE:
            short.append((pos, pos + n))
        pos += n + 1
    if not short:
        return text, short
    masked = "\n".join(" " * len(ln) if 0 < len(ln) <= _SHORT_LINE else ln for ln in lines)
    return masked, short


def windows(text: str) -> list[tuple[int, int]]:
    """Sorted, merged (start, end) spans of text that may hold an indicator."""
    # Short lines (IOC table rows, headings) are windows as a whole; they are blanked before the
    # anchor scan, so their many anchors cost nothing and only prose lines are cut into tokens.
    masked, short = _masked(text)
    spans: list[tuple[int, int]] = list(short)
    for rx, reach in _COMPILED:
        last = -1
        # Reach 1 and 2: a match that ends inside the token of the last window's anchor is "held"
        # instead of windowed. Along one blank-free stretch windows only grow with the anchor's
        # position, so the last held match's window covers every one skipped before it, and it
        # overlaps the last window: the merged spans are the same. Without this a line of 5 MB
        # of "[" cost one window (two 2,100-character searches, and Python calls) per character.
        run_end, held = -1, (-1, -1)
        for m in rx.finditer(masked):
            a, b = m.span()
            if a < last and reach == 0:
                continue
            if reach and b <= run_end:
                held = (a, b)
                continue
            if held[0] >= 0:
                run_end = _window(masked, held[0], held[1], reach, spans)
                held = (-1, -1)
                if b <= run_end:
                    held = (a, b)
                    continue
            last = run_end = _window(masked, a, b, reach, spans)
        if held[0] >= 0:
            _window(masked, held[0], held[1], reach, spans)
    if not spans:
        return []
    spans.sort()
    out = [spans[0]]
    for s, e in spans[1:]:
        ls, le = out[-1]
        if s <= le + _MERGE_GAP:
            if e > le:
                out[-1] = (ls, e)
        else:
            out.append((s, e))
    return out


def build(text: str) -> Digest:
    """The digest of ``text`` (a short text is its own digest: nothing to gain by cutting it)."""
    if len(text) <= SHORT_TEXT:
        return Digest(text, (0,), (0,))
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
