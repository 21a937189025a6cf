"""Refanging with an offset map, and defanging for display.

Every defang style is one alternative of a single token pattern; a pass over the text replaces
each token by its fanged form and records where it did so, so that an indicator found in the
refanged text can be mapped back to the exact characters the author wrote. All quantifiers are
bounded and no alternative nests a repetition inside another, which keeps each pass linear.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from huntfeed._native import load as _load_native
from huntfeed.extract import rx as _rx
from huntfeed.kinds import IndicatorType

_OPEN = r"(?:[\[\(\{<]|\\[\[\(\{])"
_CLOSE = r"(?:[\]\)\}>]|\\[\]\)\}])"
_LBR = r"(?:[\[\(\{<\]\)\}]|\\[\[\(\{\]\)\}])"
_RBR = r"(?:[\]\)\}>\[\(\{]|\\[\]\)\}\[\(\{])"
_SP = r"[ \t]"
# Case-insensitive words spelled out: the IGNORECASE flag makes the engine's scan several times slower.
_DOTWORD = r"(?:[dD][oO][tT]|[pP][uU][nN][tT][oO]|[pP][uU][nN][kK][tT]|[dD]0[tT])"
_ATWORD = r"(?:[aA][tT]|[eE][tT]|[aA][rR][rR][oO][bB][aA])"

# Scheme words as seen defanged: hxxp, hXXps, hxtp, xxxx, xxxxs, xxxxx, fxp, sfXp, ftx...
# WebSocket schemes too (wss[://]host/socket): only with a bracketed or escaped separator, so
# that prose such as "news // notes" is never read as a scheme.
_SCHEME = r"(?:h[xt]{2}ps?|x{4}[xs]?|s?f[xt][xp]s?|https?|wss?|tcp|udp)"
_SCHEME_SEP = (
    r"(?:\[://\]|\(://\)|\{://\}"
    r"|:\\/\\/"
    r"|:\\\\{1,2}"
    r"|" + _SP + r"?(?:\[:\]|\(:\)|\{:\}|:)?" + _SP + r"?(?:/|\[/\]){2,3}" + _SP + r"?"
    r"|:?__)"
)

# After a spaced '@' or "AT": a host label and a dot in any style (plain, " DOT", bracketed,
# escaped, full-width): what makes "john @ corp[.]com" an address and "meet AT noon" prose.
_AT_NEXT = (
    r"(?=[a-z0-9][a-z0-9-]{0,62}(?:\.|" + _SP + r"DOT|" + _SP + r"{0,3}[\[\(\{<]" + _SP + r"{0,3}(?:\.|[dD][oO][tT])"
    r"|\\\.|[\uff0e\u3002\uff61]))"
)

# Python's regex engine scans quickly only for a pattern whose first character is a literal or a
# rare class, so every alternative below starts at the defang mark itself (a bracket, a
# backslash, the dot of "evil . com", the DOT of "fooDOTcom"); what comes before the mark is
# checked with a look-behind placed after it, and spaces before it are taken in afterwards.
_FAST: tuple[tuple[str, str], ...] = (
    (
        "brdot",
        _LBR + r"{1,3}" + _SP + r"{0,3}(?:\.|" + _DOTWORD + r"|,)" + _SP + r"{0,3}" + _RBR + r"{1,3}" + _SP + r"{0,3}",
    ),
    (
        "brat",
        _OPEN + r"{1,3}" + _SP + r"{0,3}(?:@|" + _ATWORD + r")" + _SP + r"{0,3}" + _CLOSE + r"{1,3}" + _SP + r"{0,3}",
    ),
    ("brother", r"[\[\(]-[\]\)]"),
    ("brwww", r"[\[\(][wW][wW][wW][\]\)](?=\.)"),
    ("brslash", r"[\[\(]/[\]\)]"),
    ("brcolon", r"[\[\(]:[\]\)](?=\d)"),
    ("halfdot", r"[\[\(\{](?<=[A-Za-z0-9][\[\(\{])(?:\.|" + _DOTWORD + r")(?=[A-Za-z0-9])"),
    ("halfdot-dot", r"\.[\]\}](?<=[A-Za-z0-9]\.[\]\}])(?=[A-Za-z0-9])"),
    ("closedot3", r"[\]\)\}](?<=[A-Za-z0-9][dD][oO][tT][\]\)\}])(?=[A-Za-z0-9])"),
    (
        "closedot5",
        r"[\]\)\}](?<=[A-Za-z0-9][pP][uU][nN][tT][oO][\]\)\}]|[A-Za-z0-9][pP][uU][nN][kK][tT][\]\)\}])(?=[A-Za-z0-9])",
    ),
    ("closeat2", r"[\]\)\}](?<=[A-Za-z0-9][aA][tT][\]\)\}]|[A-Za-z0-9][eE][tT][\]\)\}])(?=[A-Za-z0-9])"),
    ("closeat6", r"[\]\)\}](?<=[A-Za-z0-9][aA][rR][rR][oO][bB][aA][\]\)\}])(?=[A-Za-z0-9])"),
    ("bsdot", r"[\\^](?<=[\w\]][\\^])\.(?=[\w\[])"),
    # Markdown and shell escaping: "billing\@corp\.com".
    ("bsat", r"\\@(?<=[\w.+-]\\@)(?=[A-Za-z0-9])"),
    ("bsslash", r"\\/"),
    ("spdot", r"\.(?<=[a-z0-9] \.)" + _SP + r"{0,3}(?=[a-z]{2,24}\b)|\.(?<=\d \.) (?=\d)"),
    ("worddot", r"-dot-(?<=[a-z0-9]-dot-)(?=[a-z])"),
    ("worddot", r"DOT(?=" + _SP + r"{0,3}[a-z])"),
    ("spat", r"@" + _SP + r"{0,3}" + _AT_NEXT),
    ("spat", r"A[Tt]" + _SP + r"{1,3}" + _AT_NEXT),
    ("wordat", r"AT(?<=[a-z0-9]AT)(?=[a-z0-9][a-z0-9-]{0,62}\.[a-z])"),
    # Full-width and ideographic stops and at signs (U+FF0E, U+3002, U+FF61, U+FF20) between ASCII
    # letters or digits: an obfuscation that survives copy and paste, never CJK prose's own stop.
    # One literal-led pattern per character: a class-led one scans ten times slower.
    ("unidot", r"\uff0e(?<=[A-Za-z0-9]\uff0e)(?=[A-Za-z0-9])"),
    ("unidot", r"\u3002(?<=[A-Za-z0-9]\u3002)(?=[A-Za-z0-9])"),
    ("unidot", r"\uff61(?<=[A-Za-z0-9]\uff61)(?=[A-Za-z0-9])"),
    ("uniat", r"\uff20(?<=[A-Za-z0-9._+-]\uff20)(?=[A-Za-z0-9])"),
)
# Styles that start with a bracket, backslash or caret are tried, as one alternation, only where
# a quick scan found such a character; the others run as one regex per style (an alternation of
# them would scan far slower than each alone).
_NOT_BRACKET_LED = frozenset(("halfdot-dot", "spdot", "worddot", "spat", "wordat", "unidot", "uniat"))
_BR_KINDS = [n for n, _ in _FAST if n not in _NOT_BRACKET_LED]
_BR_PARTS = [f"(?P<k{i}>{p})" for i, (n, p) in enumerate((n, p) for n, p in _FAST if n not in _NOT_BRACKET_LED)]
_OTHER = [(n, p) for n, p in _FAST if n in _NOT_BRACKET_LED]
_BR_RE = _rx.compile("|".join(_BR_PARTS))
# Only where a style can start: a plain bracket followed by three more starts none (each needs a
# dot, word, letter or slash within its first three brackets), nor one before a line end; an
# opening bracket before a letter needs the first letter of DOT, PUNTO, AT, ET, ARROBA or WWW
# ("[Link]", "(See": prose, most of a report's brackets); a backslash needs a bracket, dot, '@'
# or slash after it and a caret a dot. Led by one class of the five marks, so the engine skips
# to them; the look-behind then says which mark it read.
_BR_ANCHOR_RE = _rx.compile(
    r"[\[\(\{<\]\)\}\\^](?:"
    r"(?<=[\[\(\{<])(?![\[\(\{<\]\)\}]{3}|[b-cf-oq-vx-zB-CF-OQ-VX-Z\n])"
    r"|(?<=[\]\)\}])(?![\[\(\{<\]\)\}]{3}|\n|\Z)"
    r"|(?<=\\)(?=[.@/\[\(\{\]\)\}])"
    r"|(?<=\^)(?=\.))"
)
# Literals one of which every match of a style holds, by the start of its pattern: a text without
# any of them skips that pass for a substring search (most reports hold no "DOT" or " ." at all).
_GATES_BY_LEAD = (
    (r"\.[\]\}]", (".]", ".}")),
    (r"\.(?<=[a-z0-9] \.)", (" .",)),
    (r"-dot-", ("-dot-",)),
    (r"DOT", ("DOT",)),
    (r"A[Tt]", ("AT", "At")),
    (r"AT(?<=", ("AT",)),
    ("\\uff0e", ("\uff0e",)),
    ("\\u3002", ("\u3002",)),
    ("\\uff61", ("\uff61",)),
    ("\\uff20", ("\uff20",)),
)


def _gates(pattern: str) -> tuple[str, ...]:
    return next((gates for lead, gates in _GATES_BY_LEAD if pattern.startswith(lead)), ())


_FAST_RES = tuple((n, _rx.compile(p), _gates(p)) for n, p in _OTHER)
_UNICODE_KINDS = frozenset(("unidot", "uniat"))

_SCHEME_RE = _rx.compile(
    r"(?i)(?<![A-Za-z0-9])(?:[\[\(](?P<bsch>" + _SCHEME + r")[\]\)]|(?P<sch>" + _SCHEME + r")\]?)"
    r"(?P<ssep>" + _SCHEME_SEP + r")"
)
# Where a scheme separator can be: "//", "__", "[:" "(:" "{:" "]:" (anchored one before the
# colon), ":\\", ":]". Three literal-led patterns: one alternation led by a class scans far slower.
_SCHEME_ANCHOR_RES = (
    (_rx.compile(r"//"), 0),
    (_rx.compile(r"__"), 0),
    (_rx.compile(r":(?<=[\[\(\{\]]:)"), 1),
    (_rx.compile(r":(?=[\\\]])"), 0),
)


def _scheme_anchors(text: str) -> list[int]:
    out = [m.start() - back for rx, back in _SCHEME_ANCHOR_RES for m in rx.finditer(text)]
    out.sort()
    return out


_COMMA_ANCHOR_RE = _rx.compile(r",\d{1,3},\d")
_COMMA_IP_RE = _rx.compile(
    r"(?<![\d,.])(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:,(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(?![\d,]|\.\d)"
)
_LOOSE = frozenset(("commaip", "spdot", "worddot", "spat", "wordat", "spelled"))
_BACK = {"closedot3": 3, "closedot5": 5, "closeat2": 2, "closeat6": 6}
_DOT_KINDS = frozenset(
    ("brdot", "halfdot", "halfdot-dot", "closedot3", "closedot5", "bsdot", "spdot", "worddot", "unidot")
)
_AT_KINDS = frozenset(("brat", "closeat2", "closeat6", "spat", "wordat", "bsat", "uniat"))

# Addresses spelled out in words, "john at corp dot com", "8 dot 8 dot 8 dot 8": read only where a
# spelled " dot " joins the labels (a bare " at " before a real dot is prose: "hosted at x.com").
# Found from each " dot " anchor (a literal the engine skips to), then matched around it.
_SPELLED_ANCHOR_RE = _rx.compile(r"[ \t](?:dot|DOT)[ \t]")
_SEP_DOT = r"(?:[ \t]{1,3}(?:dot|DOT)[ \t]{1,3}|[ \t]{0,3}[\[\(\{<](?:dot|DOT|\.)[\]\)\}>][ \t]{0,3}|\.)"
_SPELLED_MAIL_RE = _rx.compile(
    r"(?<=[A-Za-z0-9_%+-])(?:[ \t]{1,3}(?:at|AT)[ \t]{1,3}"
    r"|[ \t]{0,3}[\[\(\{<][ \t]{0,3}(?:at|AT|@)[ \t]{0,3}[\]\)\}>][ \t]{0,3}"
    r"|[ \t]{0,3}(?:@|\\@|\uff20)[ \t]{0,3})"
    r"[A-Za-z0-9-]{1,63}(?:" + _SEP_DOT + r"[A-Za-z0-9-]{1,63}){1,6}(?![A-Za-z0-9-])"
)
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_SPELLED_IP_RE = _rx.compile(r"(?<![\w.])" + _OCTET + r"(?:" + _SEP_DOT + _OCTET + r"){3}(?![\w]|\.\d)")
_SEP_DOT_RE = _rx.compile(_SEP_DOT)
_SEP_AT_RE = _rx.compile(r"^[^A-Za-z0-9-]*(?:at|AT)?[^A-Za-z0-9-]*")


# A replacement: (start, end, style, text to put there). A plain tuple: thousands per report.
_Tok = tuple[int, int, str, str]


def _spaces_before(text: str, pos: int, limit: int = 3) -> int:
    k = pos
    while k > 0 and pos - k < limit and text[k - 1] in " \t":
        k -= 1
    return k


def _fix_scheme(word: str) -> str:
    w = word.lower()
    if w.startswith("h"):
        return "https" if w.endswith("s") else "http"
    if w.startswith("xxxx"):
        return "http" if len(w) == 4 else "https"
    if w.startswith("sf"):
        return "sftp"
    if w.startswith(("ws", "tcp", "udp")):
        return w
    return "ftps" if w.endswith("s") and len(w) == 4 else "ftp"


def _br_info(kind: str) -> tuple[str, int, str]:
    """(kind, how far the token starts before its mark (-1: take the blanks before it), replacement)."""
    back = _BACK.get(kind, -1 if kind in ("brdot", "brat") else 0)
    if kind in _DOT_KINDS:
        return kind, back, "."
    if kind in _AT_KINDS:
        return kind, back, "@"
    reps = {"bsslash": "/", "brslash": "/", "brother": "-", "brwww": "www", "brcolon": ":"}
    return kind, back, reps[kind]


def _fast_token(text: str, kind: str, m: re.Match[str]) -> _Tok | None:
    s, e = m.span()
    if kind in _BACK:
        s -= _BACK[kind]
    elif kind in ("brdot", "brat"):
        s = _spaces_before(text, s)
    elif kind == "spdot":
        s -= 1
    elif kind == "worddot" and m.group(0) == "DOT":
        k = _spaces_before(text, s)
        if k == 0 or not (text[k - 1].islower() or text[k - 1].isdigit()):
            return None
        s = k
        while e < len(text) and e - m.end() < 3 and text[e] in " \t":
            e += 1
    elif kind == "spat":
        k = _spaces_before(text, s)
        if k == 0 or not (text[k - 1].isalnum() or text[k - 1] in "._+-"):
            return None
        if k == s and (e - s == 1 or text[s] == "A"):
            return None  # a plain '@' (nothing to refang), or "fooAT bar" glued on the left
        s = k
    if kind in _DOT_KINDS:
        rep = "."
    elif kind in _AT_KINDS:
        rep = "@"
    elif kind in ("bsslash", "brslash"):
        rep = "/"
    elif kind == "brother":
        rep = "-"
    elif kind == "brwww":
        rep = "www"
    elif kind == "brcolon":
        rep = ":"
    else:
        return None
    return (s, e, kind, rep)


_OPENER = {")": "(", "]": "[", "}": "{"}


def _closes(text: str, pos: int) -> bool:
    """True when the bracket at ``pos`` closes one opened earlier in the same token."""
    start = max(0, pos - 200)
    for k in range(pos - 1, start - 1, -1):
        if text[k].isspace():
            start = k + 1
            break
    seg = text[start:pos]
    return seg.count(_OPENER[text[pos]]) > seg.count(text[pos])


def _plain_scheme(text: str, pos: int) -> bool:
    """True for an ordinary "http://x" at ``pos`` (the '//'): the common case, settled without regex."""
    # Only "//" anchors ("http:__x" is the underscore style), and no third slash or _SP ([ \t])
    # after them: those the pattern takes into the separator.
    if (
        pos < 4
        or text[pos - 1] != ":"
        or not text.startswith("//", pos)
        or text[pos + 2 : pos + 3] in ("/", " ", "\t", "")
    ):
        return False
    colon = pos - 1
    for word in ("https", "http", "ftp"):
        start = colon - len(word)
        if start >= 0 and text.startswith(word, start) and (start == 0 or not text[start - 1].isalnum()):
            # Also after "(" or "[" (a Markdown link, half the anchors in real reports): the
            # bracketed-scheme form needs a closing bracket right after the word, and here a
            # colon follows it, so _SCHEME_RE's match is this "http://" as written.
            return True
    return False


_BR_INFO = tuple(_br_info(k) for k in _BR_KINDS)


# The C twin of _bracket_tokens_py (src/huntfeed/_native/extract_fang.c): the anchor and style
# patterns read in one loop, returning (start, end, style index); None where it is not built or
# HUNTFEED_PURE=1.
_NATIVE = _load_native("extract_fang")
_BR_KIND_REP = tuple((kind, rep) for kind, _, rep in _BR_INFO)


def _bracket_tokens(text: str) -> list[_Tok]:
    """The replacements of the styles led by a bracket, backslash or caret, in text order."""
    if _NATIVE is None:
        return _bracket_tokens_py(text)
    kind_rep = _BR_KIND_REP
    return [(s, e, *kind_rep[k]) for s, e, k in _NATIVE.bracket_tokens(text)]


def _bracket_tokens_py(text: str) -> list[_Tok]:
    """``_bracket_tokens`` by the patterns: the reference the C twin is tested against, and the fallback."""
    toks: list[_Tok] = []
    last = -1
    match, info, add = _BR_RE.match, _BR_INFO, toks.append
    for a in _BR_ANCHOR_RE.finditer(text):
        pos = a.start()
        if pos < last:
            continue
        m = match(text, pos)
        if m is None:
            continue
        # The common bracket styles, settled inline: one group per style, numbered in order.
        kind, back, rep = info[m.lastindex - 1]  # type: ignore[operator]  # a match sets one group
        last = m.end()
        if text[pos] in ")]}" and _closes(text, pos):
            pos += 1  # "index(6)[.]html": the ')' closes the path's own '(', only "[.]" is a defang
            if pos >= last - 1:
                continue
        if back > 0:
            pos -= back
        elif back < 0 and pos and text[pos - 1] in " \t":
            pos = _spaces_before(text, pos)
        add((pos, last, kind, rep))
    return toks


def _open_scheme_anchors_py(text: str) -> list[int]:
    """The scheme anchors _plain_scheme does not settle: the twin of extract_fang.scheme_anchors."""
    return [a for a in _scheme_anchors(text) if not _plain_scheme(text, a)]


# In C: one pass for the four anchor patterns, the sort and the 3,400 _plain_scheme calls per 63
# real reports (60 M instructions in Python).
_open_scheme_anchors: Callable[[str], list[int]] = (
    _open_scheme_anchors_py if _NATIVE is None else _NATIVE.scheme_anchors
)

_FAST_KIND_REP = tuple((kind, "." if kind in _DOT_KINDS else "@") for kind, _, _ in _FAST_RES)


def _fast_tokens(text: str) -> list[_Tok]:
    """The replacements of the other styles (spaced, spelled, escaped, full-width), style by style."""
    if _NATIVE is None:
        return _fast_tokens_py(text)
    kind_rep = _FAST_KIND_REP
    return [(s, e, *kind_rep[k]) for s, e, k in _NATIVE.fast_tokens(text)]


def _fast_tokens_py(text: str) -> list[_Tok]:
    """``_fast_tokens`` by the patterns: the reference the C twin is tested against, and the fallback."""
    toks: list[_Tok] = []
    ascii_only = text.isascii()  # O(1) in CPython: the full-width styles need not scan
    for kind, rx, gates in _FAST_RES:
        if ascii_only and kind in _UNICODE_KINDS or gates and not any(g in text for g in gates):
            continue
        for m in rx.finditer(text):
            tok = _fast_token(text, kind, m)
            if tok is not None:
                toks.append(tok)
    return toks


def _raw_tokens(text: str) -> list[_Tok]:
    """Every style's replacements, style by style (overlapping, unsorted)."""
    toks = _bracket_tokens(text)
    toks += _fast_tokens(text)
    last = -1
    for at in _open_scheme_anchors(text):
        if at < last:
            continue
        m = _SCHEME_RE.search(text, max(0, at - 8), min(len(text), at + 2 + 6))
        if m is None:
            continue
        word = m.group("sch") or m.group("bsch")
        if word[:1] in "wWtTuU" and not any(c in m.group("ssep") for c in "[({\\"):
            continue
        last = m.end()
        rep = _fix_scheme(word) + "://"
        if rep.lower() != m.group(0).lower():
            toks.append((m.start(), m.end(), "scheme", rep))
    last = -1
    for a in _COMMA_ANCHOR_RE.finditer(text):
        if a.start() < last:
            continue
        m = _COMMA_IP_RE.search(text, max(0, a.start() - 3), min(len(text), a.end() + 12))
        if m is not None:
            last = m.end()
            toks.append((m.start(), m.end(), "commaip", m.group(0).replace(",", ".")))
    if " dot " in text or " DOT " in text:  # two substring tests: most reports spell nothing
        toks.extend(_spelled(text))
    return toks


def _tokens(text: str) -> list[_Tok]:
    """The replacements to make, in text order: of overlapping ones the first, the longest at one place."""
    return _kept(_raw_tokens(text))


def _kept(toks: list[_Tok]) -> list[_Tok]:
    if not toks:
        return toks
    toks.sort(key=lambda t: (t[0], -t[1]))
    out: list[_Tok] = []
    end = -1
    for t in toks:
        if t[0] >= end:
            out.append(t)
            end = t[1]
    return out


def _spelled(text: str) -> list[_Tok]:
    """Tokens for addresses spelled out in words (one token per address, replaced whole)."""
    out: list[_Tok] = []
    last = -1
    for a in _SPELLED_ANCHOR_RE.finditer(text):
        pos = a.start()
        if pos < last:
            continue
        lo, hi = max(0, pos - 160), min(len(text), pos + 160)
        for rx, mail in ((_SPELLED_MAIL_RE, True), (_SPELLED_IP_RE, False)):
            m = next((m for m in rx.finditer(text, lo, hi) if m.start() <= pos < m.end()), None)
            if m is None:
                continue
            raw = m.group(0)
            if mail:
                head = _SEP_AT_RE.match(raw)
                host = raw[head.end() if head else 0 :]
                rep = "@" + _SEP_DOT_RE.sub(".", host)
            else:
                rep = _SEP_DOT_RE.sub(".", raw)
            out.append((m.start(), m.end(), "spelled", rep))
            last = m.end()
            break
    return out


@dataclass(frozen=True, slots=True)
class Fanged:
    """Refanged text plus the replacements made: (new_start, new_end, old_start, old_end, loose)."""

    text: str
    new_starts: tuple[int, ...]
    new_ends: tuple[int, ...]
    old_starts: tuple[int, ...]
    old_ends: tuple[int, ...]
    loose: tuple[bool, ...]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the refanged text back to the span the author wrote."""
        if not self.new_starts:
            return start, end
        i = bisect_right(self.new_starts, start) - 1
        if i < 0:
            ostart = start
        elif start < self.new_ends[i]:
            ostart = self.old_starts[i]
        else:
            ostart = self.old_ends[i] + (start - self.new_ends[i])
        j = bisect_left(self.new_starts, end) - 1
        if j < 0:
            oend = end
        elif end <= self.new_ends[j]:
            oend = self.old_ends[j]
        else:
            oend = self.old_ends[j] + (end - self.new_ends[j])
        return ostart, oend

    def locate(self, start: int, end: int) -> tuple[int, int, bool, bool]:
        """to_original() and touched() in one go: (start, end, refanged, loosely refanged)."""
        nstarts = self.new_starts
        if not nstarts:
            return start, end, False, False
        nends, ostarts, oends = self.new_ends, self.old_starts, self.old_ends
        i = bisect_right(nstarts, start) - 1
        if i < 0:
            ostart = start
        elif start < nends[i]:
            ostart = ostarts[i]
        else:
            ostart = oends[i] + (start - nends[i])
        j = bisect_left(nstarts, end) - 1
        if j < 0:
            oend = end
        elif end <= nends[j]:
            oend = oends[j]
        else:
            oend = oends[j] + (end - nends[j])
        # Replacements that overlap the span: from the first ending after its start to j.
        lo = i if i >= 0 and nends[i] > start else i + 1
        if j < lo:
            return ostart, oend, False, False
        return ostart, oend, True, any(self.loose[lo : j + 1])

    def touched(self, start: int, end: int) -> tuple[bool, bool]:
        """(any replacement inside the span, any loose one) for a span of the refanged text."""
        if not self.new_starts:
            return False, False
        lo = bisect_right(self.new_ends, start)
        hi = bisect_left(self.new_starts, end)
        if hi <= lo:
            return False, False
        return True, any(self.loose[lo:hi])


def fang_map(text: str) -> Fanged:
    """Refang ``text`` once, remembering each replacement's place in both texts."""
    toks = _raw_tokens(text)
    if not toks:
        return Fanged(text, (), (), (), (), ())
    if _NATIVE is None:
        return _assemble_py(text, toks)
    # In C: the sort, the overlap pass and the assembly of ~5,000 replacements per 63 real reports.
    return Fanged(*_NATIVE.assemble(text, toks, _LOOSE))


def _assemble_py(text: str, toks: list[_Tok]) -> Fanged:
    """The refanged text and map from the unsorted replacements: the twin of extract_fang.assemble."""
    parts: list[str] = []
    ns: list[int] = []
    ne: list[int] = []
    os_: list[int] = []
    oe: list[int] = []
    loose: list[bool] = []
    pos = 0
    out_len = 0
    for s, e, kind, rep in _kept(toks):
        if rep == text[s:e] or s < pos:
            continue
        parts.append(text[pos:s])
        out_len += s - pos
        ns.append(out_len)
        parts.append(rep)
        out_len += len(rep)
        ne.append(out_len)
        os_.append(s)
        oe.append(e)
        loose.append(kind in _LOOSE)
        pos = e
    if not ns:
        return Fanged(text, (), (), (), (), ())
    parts.append(text[pos:])
    return Fanged("".join(parts), tuple(ns), tuple(ne), tuple(os_), tuple(oe), tuple(loose))


def refang(text: str) -> str:
    """Undo every defang style huntfeed knows; refang(refang(x)) == refang(x)."""
    for _ in range(16):
        new = fang_map(text).text
        if new == text:
            return new
        text = new
    return text


_DEFANG_DOT = _rx.compile(r"\.")
_DEFANG: dict[IndicatorType, Callable[[str], str]] = {}


def _defang_host(host: str) -> str:
    return _DEFANG_DOT.sub("[.]", host)


def _defang_url(value: str) -> str:
    m = re.match(r"(?i)([a-z][a-z0-9+.-]*)://([^/?#]*)(.*)", value, re.DOTALL)
    if not m:
        head, sep, tail = value.partition("/")
        return _defang_host(head) + sep + tail
    scheme = m.group(1).lower().replace("http", "hxxp").replace("ftp", "fxp")
    return f"{scheme}[://]{_defang_host(m.group(2))}{m.group(3)}"


def defang(value: str, type: IndicatorType) -> str:  # noqa: A002 - the public name is fixed
    """Make ``value`` safe to show (no live link, no auto-linking): hxxp, [.], [@]."""
    if type is IndicatorType.URL:
        return _defang_url(value)
    if type in (IndicatorType.DOMAIN, IndicatorType.IPV4):
        return _defang_host(value)
    if type is IndicatorType.EMAIL:
        local, _, host = value.rpartition("@")
        return f"{local}[@]{_defang_host(host)}"
    if type is IndicatorType.IPV6:
        return value.replace(":", "[:]", 1) if "[:]" not in value else value
    return value
