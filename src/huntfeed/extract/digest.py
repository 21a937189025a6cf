"""Cut a text down to the tokens that can hold an indicator, for speed.

Python's regex engine is fast only when a pattern starts with a literal it can search for; a
pattern that starts with a character class tries every position. So cheap literal-led anchors
(a dot before a non-space, '@', '://', a bracket, 'CVE', a digit starting a long alphanumeric
run...) mark the candidate tokens, and the full patterns run on those tokens only, joined by
newlines into a digest that is usually a tenth of the text. Offsets map back by segment.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from huntfeed._native import load as _load_native
from huntfeed.extract import rx as _rx

_MAX_TOKEN = 2100
_TOKEN_REST = f"[^ ]{{0,{_MAX_TOKEN}}}"  # the rest of a token, up to the next space

# (pattern, reach, gate) -- reach 0: the token around the anchor; 1: plus one token each side
# (spaced defang styles such as "example [.] com"); 2: to the end of the line (registry keys,
# paths and user agents contain spaces); 3: reach 0 or, when group 1 matched, reach 1.
# ``gate`` is a literal every match of the anchor holds: a text without it skips the pattern at
# the cost of a substring search, far below a regex pass (Python's own search is several times
# faster than the engine's scan for a literal: "DOT", "HK" or "Mozilla/" are absent from most texts).
_ANCHORS: tuple[tuple[str, int, str], ...] = (
    # Reach 3: a dot-led token (reach 0) or, where group 1 takes part, a spaced style (reach 1),
    # in one pass: " . " is led by its dot, as spaces are too common to scan for.
    (r"\.(?:(?<= \.)( )|[^\s.]" + _TOKEN_REST + ")", 3, ""),
    (r"@", 0, "@"),
    (r"@(?:(?<= @)| )", 1, "@"),
    (r"\[", 1, "["),
    (r"\{", 1, "{"),
    (r"<", 1, "<"),
    (r"\\", 1, "\\"),
    (r"\^", 1, "^"),
    (r"\](?<=[A-Za-z]{2}\])(?=\w)", 1, "]"),
    (r"\}(?<=[A-Za-z]{2}\})(?=\w)", 1, "}"),
    (r"\((?:[ \t]{0,3}[.,@/:\-]|[ \t]{0,3}(?i:dot|at\b|et\b|arroba|punto|punkt|www|https?|hxxps?))", 1, "("),
    (r"\)\w", 1, ")"),
    (r":(?:(?<= :)(/)|[/\\\]\)_0-9a-fA-F:]" + _TOKEN_REST + ")", 3, ":"),
    (r"//(?:( )|" + _TOKEN_REST + ")", 3, "/"),
    (r"DOT", 1, "DOT"),
    (r"A(?:T|t |S)", 1, ""),
    (r"-dot-", 0, "-dot-"),
    (r",\d{1,3},\d", 0, ","),
    (r"C(?:VE|ve)", 1, ""),
    (r"ve(?<=cve)", 1, "cve"),
    (r"HK", 2, "HK"),
    (r"Mozilla/", 2, "Mozilla/"),
    (r"%\\", 2, "%"),
    (r"~/", 2, "~"),
    (r"TA?\d{4}", 0, ""),
    (r"sn(?<=asn)", 1, "asn"),
    (r"_(?:_|[0-9a-f]{12}_)", 0, "_"),
)
# Hashes and wallet addresses: a digit and 15 more ASCII letters or digits. Found in a copy of
# the text as bytes with every digit written 1 and every letter a, so one literal-led pattern
# finds them (a pattern led by a class, or ten passes, one per digit, cost three times more).
_CLASSES = bytes(
    0x31 if 0x30 <= i <= 0x39 else 0x61 if 0x41 <= i <= 0x5A or 0x61 <= i <= 0x7A else 0x20 if i == 0x20 else 0x2E
    for i in range(256)
)
_DIGIT_RUN_RE = _rx.compile(b"1[1a]{15}" + _TOKEN_REST.encode())
# A reach-0 anchor takes the rest of its token in the same match, so the regex engine, not
# Python, steps over the other anchors inside that token.
_COMPILED = tuple((_rx.compile(p + _TOKEN_REST if reach == 0 else p), reach, gate) for p, reach, gate in _ANCHORS)
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


def _token_start(masked: str, pos: int) -> int:
    lo = pos - _MAX_TOKEN if pos > _MAX_TOKEN else 0
    k = masked.rfind(" ", lo, pos)
    return k + 1 if k >= 0 else lo


def _token_end(masked: str, pos: int) -> int:
    hi = pos + _MAX_TOKEN
    k = masked.find(" ", pos, hi)
    return k if k >= 0 else min(len(masked), hi)


def _line_end(text: str, pos: int) -> int:
    nl = text.find("\n", pos, pos + 600)
    return nl if nl >= 0 else min(len(text), pos + 600)


def _extend(text: str, masked: str, s: int, e: int) -> tuple[int, int]:
    """Widen a token by one token each side across at most 3 blanks, never across a line end."""
    k = s
    while k > 0 and s - k < 4 and masked[k - 1] == " " and text[k - 1] != "\n":
        k -= 1
    if k > 0:
        s = _token_start(masked, k)
    k = e
    n = len(masked)
    while k < n and k - e < 4 and masked[k] == " " and text[k] != "\n":
        k += 1
    if k < n:
        e = _token_end(masked, k)
    return s, e


def _window(text: str, masked: str, a: int, b: int, reach: int, add: Callable[[tuple[int, int]], None]) -> int:
    """Add the window of the reach-1/2 anchor match ``masked[a:b]``; return its token's end."""
    s = _token_start(masked, a)
    e = end = _token_end(masked, b) if b > a else b
    if reach == 1:
        s, e = _extend(text, masked, s, e)
    else:
        e = max(e, _line_end(text, e))
    add((s, e))
    return end


# A run of short lines: non-empty lines of at most _SHORT_LINE characters, one after another
# (possessive, so a long line is given up after its first _SHORT_LINE characters, never retried).
_SHORT_RUN_RE = _rx.compile(rf"(?m)^[^\n]{{1,{_SHORT_LINE}}}+$(?:\n[^\n]{{1,{_SHORT_LINE}}}+$)*+")


def _masked(text: str) -> tuple[str, list[tuple[int, int]]]:
    """``text`` with short lines blanked and every tab and line end a space (same length), and
    the spans of those short lines: a token then ends at the next space, found by one search."""
    # The runs by one pattern, not a Python step per line: IOC appendices are thousands of lines.
    short = [m.span() for m in _SHORT_RUN_RE.finditer(text)]  # a table: one window, not one per row
    if short:
        parts: list[str] = []
        prev = 0
        for s, e in short:
            parts.append(text[prev:s])
            parts.append(" " * (e - s))
            prev = e
        parts.append(text[prev:])
        text = "".join(parts)
    return text.replace("\n", " ").replace("\t", " "), short


def masked_reference(text: str) -> tuple[str, list[tuple[int, int]]]:
    """``_masked`` line by line, as it was written first (the tests compare the two)."""
    lines = text.split("\n")
    short: list[tuple[int, int]] = []
    pos = 0
    for line in lines:
        n = len(line)
        if 0 < n <= _SHORT_LINE:
            if short and short[-1][1] + 1 == pos:
                short[-1] = (short[-1][0], pos + n)
            else:
                short.append((pos, pos + n))
        pos += n + 1
    masked = " ".join(" " * len(ln) if 0 < len(ln) <= _SHORT_LINE else ln for ln in lines) if short else text
    return masked.replace("\n", " ").replace("\t", " "), short


# The C twin of windows_py (src/huntfeed/_native/extract_digest.c): the same spans from one pass
# over the text instead of 28 pattern passes; None where it is not built or HUNTFEED_PURE=1.
_NATIVE = _load_native("extract_digest")


def windows(text: str) -> list[tuple[int, int]]:
    """Sorted, merged (start, end) spans of text that may hold an indicator."""
    if _NATIVE is not None:
        return _NATIVE.windows(text)  # type: ignore[no-any-return]
    return windows_py(text)


def windows_py(text: str) -> list[tuple[int, int]]:
    """``windows`` in Python: the reference the C twin is tested against, and the fallback."""
    # Short lines (IOC table rows, headings) are windows as a whole; they are blanked before the
    # anchor scan, so their many anchors cost nothing and only prose lines are cut into tokens.
    masked, short = _masked(text)
    spans: list[tuple[int, int]] = list(short)
    add = spans.append
    for rx, reach, gate in _COMPILED:
        if gate and gate not in masked:
            continue
        if reach == 0 or reach == 3:
            for m in rx.finditer(masked):
                a, e = m.span()
                if reach == 3 and m.lastindex:
                    s, e = _extend(text, masked, _token_start(masked, a), _token_end(masked, e))
                    add((s, e))
                    continue
                k = masked.rfind(" ", a - _MAX_TOKEN if a > _MAX_TOKEN else 0, a)
                add((k + 1 if k >= 0 else max(0, a - _MAX_TOKEN), e))
            continue
        # Reach 1 and 2: a match that ends inside the token of the last window's anchor is "held"
        # instead of windowed. Along one blank-free stretch windows only grow with the anchor's
        # position, so the last held match's window covers every one skipped before it, and it
        # overlaps the last window: the merged spans are the same. Without this a line of 5 MB
        # of "[" cost one window (two 2,100-character searches, and Python calls) per character.
        run_end, held_a, held_b = -1, -1, -1
        for m in rx.finditer(masked):
            a, b = m.span()
            if b <= run_end:
                held_a, held_b = a, b
                continue
            if held_a >= 0:
                run_end = _window(text, masked, held_a, held_b, reach, add)
                held_a = -1
                if b <= run_end:
                    held_a, held_b = a, b
                    continue
            run_end = _window(text, masked, a, b, reach, add)
        if held_a >= 0:
            _window(text, masked, held_a, held_b, reach, add)
    # Bytes of the same length: a character beyond Latin-1 becomes one '?', so offsets still match.
    for mb in _DIGIT_RUN_RE.finditer(masked.encode("latin-1", "replace").translate(_CLASSES)):
        a, e = mb.span()
        k = masked.rfind(" ", a - _MAX_TOKEN if a > _MAX_TOKEN else 0, a)
        add((k + 1 if k >= 0 else max(0, a - _MAX_TOKEN), e))
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
