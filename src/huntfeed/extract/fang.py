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

from huntfeed.model import IndicatorType

_OPEN = r"(?:\\?[\[\(\{<])"
_CLOSE = r"(?:\\?[\]\)\}>])"
_LBR = r"(?:\\?[\[\(\{<\]\)\}])"
_RBR = r"(?:\\?[\]\)\}>\[\(\{])"
_SP = r"[ \t]"
_DOTWORD = r"(?:dot|punto|punkt|d0t)"
_ATWORD = r"(?:at|et|arroba)"

# Scheme words as seen defanged: hxxp, hXXps, hxtp, xxxx, xxxxs, xxxxx, fxp, sfXp, ftx...
_SCHEME = r"(?:h[xt]{2}ps?|x{4}[xs]?|s?f[xt][xp]s?|https?)"
_SCHEME_SEP = (
    r"(?:\[://\]|\(://\)|\{://\}"
    r"|:\\/\\/"
    r"|:\\\\{1,2}"
    r"|" + _SP + r"?(?:\[:\]|\(:\)|\{:\}|:)?" + _SP + r"?(?:/|\[/\]){2,3}" + _SP + r"?"
    r"|:?__)"
)

# (group name, pattern, loose?) in priority order. Loose styles are guesses that prose can also
# produce ("LOOK AT this", "1,2,3,4"): indicators that depend on them are marked low fidelity.
_TOKENS: tuple[tuple[str, str, bool], ...] = (
    (
        "scheme",
        r"(?<![A-Za-z0-9])(?:[\[\(](?P<bsch>" + _SCHEME + r")[\]\)]|(?P<sch>" + _SCHEME + r")\]?)"
        r"(?P<ssep>" + _SCHEME_SEP + r")",
        False,
    ),
    (
        "brdot",
        _SP
        + r"{0,3}"
        + _LBR
        + r"{1,3}"
        + _SP
        + r"{0,3}(?:\.|"
        + _DOTWORD
        + r"|,)"
        + _SP
        + r"{0,3}"
        + _LBR
        + r"{1,3}"
        + _SP
        + r"{0,3}",
        False,
    ),
    (
        "brat",
        _SP
        + r"{0,3}"
        + _OPEN
        + r"{1,3}"
        + _SP
        + r"{0,3}(?:@|"
        + _ATWORD
        + r")"
        + _SP
        + r"{0,3}"
        + _CLOSE
        + r"{1,3}"
        + _SP
        + r"{0,3}",
        False,
    ),
    (
        "halfdot",
        r"(?<=[A-Za-z0-9])(?:\[\.|\.\]|\(\.|\{\.|\.\}|\["
        + _DOTWORD
        + r"|"
        + _DOTWORD
        + r"[\]\)\}])(?=[A-Za-z0-9])",
        False,
    ),
    ("halfat", r"(?<=[A-Za-z0-9])" + _ATWORD + r"[\]\)\}](?=[A-Za-z0-9])", False),
    ("bsdot", r"(?<=[\w\]])(?:\\|\^)\.(?=[\w\[])", False),
    ("bsslash", r"\\/", False),
    ("brother", r"(?:\[-\]|\(-\))", False),
    ("brwww", r"[\[\(]www[\]\)](?=\.)", False),
    ("brslash", r"(?:\[/\]|\(/\))", False),
    ("brcolon", r"(?:\[:\]|\(:\))(?=\d)", False),
    (
        "commaip",
        r"(?<![\d,.])(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:,(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}"
        r"(?![\d,]|\.\d)",
        True,
    ),
    (
        "spdot",
        r"(?<=[a-z0-9])" + _SP + r"{1,3}\." + _SP + r"{0,3}(?=[a-z]{2,24}\b)"
        r"|(?<=\d)" + _SP + r"{1,3}\." + _SP + r"{1,3}(?=\d)",
        True,
    ),
    ("worddot", r"(?<=[a-z0-9])(?:" + _SP + r"{1,3}DOT" + _SP + r"{1,3}|-dot-|DOT)(?=[a-z])", True),
    (
        "spat",
        r"(?<=[\w.+-])(?:"
        + _SP
        + r"{1,3}@"
        + _SP
        + r"{0,3}|@"
        + _SP
        + r"{1,3}|"
        + _SP
        + r"{1,3}(?:AT|At)"
        + _SP
        + r"{1,3})(?=[a-z0-9][a-z0-9-]{0,62}(?:\.|"
        + _SP
        + r"DOT|\[|\())",
        True,
    ),
    ("wordat", r"(?<=[a-z0-9])AT(?=[a-z0-9][a-z0-9-]{0,62}\.[a-z])", True),
)

_TOKEN_RE = re.compile("|".join(f"(?P<{name}>{pat})" for name, pat, _ in _TOKENS), re.IGNORECASE)
# Lower-case-only tokens must not match upper case: the flag above is global, so the loose word
# styles are compiled apart and merged by position below.
_CASED = {"worddot", "spat", "wordat", "spdot"}
_TOKEN_STRICT_RE = re.compile(
    "|".join(f"(?P<{n}>{p})" for n, p, _ in _TOKENS if n not in _CASED), re.IGNORECASE
)
_TOKEN_CASED_RE = re.compile("|".join(f"(?P<{n}>{p})" for n, p, _ in _TOKENS if n in _CASED))
_LOOSE = {name for name, _, loose in _TOKENS if loose}
# Cheap gate: a text without any of these characters or words has nothing to refang.
_GATE_RE = re.compile(r"[\[\]\(\)\{\}<\\^]|(?i:xx|h[xt][xt]p|f[xt][xp]|dot)|AT|At|[ \t][.@]|@[ \t]|\d,\d")


def _fix_scheme(word: str) -> str:
    w = word.lower()
    if w.startswith("h"):
        return "https" if w.endswith("s") else "http"
    if w.startswith("xxxx"):
        return "http" if len(w) == 4 else "https"
    if w.startswith("sf"):
        return "sftp"
    return "ftps" if w.endswith("s") and len(w) == 4 else "ftp"


def _replacement(m: re.Match[str]) -> str:
    rep = _replacement_of(m)
    raw = m.group(0)
    # A change of case alone ("HTTPS://") is not a defang.
    return raw if rep.lower() == raw.lower() else rep


def _replacement_of(m: re.Match[str]) -> str:
    kind = m.lastgroup
    if kind == "scheme":
        return _fix_scheme(m.group("sch") or m.group("bsch")) + "://"
    if kind in ("brdot", "halfdot", "bsdot", "spdot", "worddot"):
        return "."
    if kind in ("brat", "halfat", "spat", "wordat"):
        return "@"
    if kind in ("bsslash", "brslash"):
        return "/"
    if kind == "brother":
        return "-"
    if kind == "brwww":
        return "www"
    if kind == "brcolon":
        return ":"
    if kind == "commaip":
        return m.group(0).replace(",", ".")
    return m.group(0)


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

    def touched(self, start: int, end: int) -> tuple[bool, bool]:
        """(any replacement inside the span, any loose one) for a span of the refanged text."""
        if not self.new_starts:
            return False, False
        lo = bisect_right(self.new_ends, start)
        hi = bisect_left(self.new_starts, end)
        if hi <= lo:
            return False, False
        return True, any(self.loose[lo:hi])


def _tokens(text: str) -> list[re.Match[str]]:
    if not _GATE_RE.search(text):
        return []
    found = list(_TOKEN_STRICT_RE.finditer(text))
    cased = list(_TOKEN_CASED_RE.finditer(text))
    if not cased:
        return found
    if not found:
        return cased
    merged = sorted(found + cased, key=lambda m: (m.start(), -m.end()))
    out: list[re.Match[str]] = []
    last_end = -1
    for m in merged:
        if m.start() >= last_end:
            out.append(m)
            last_end = m.end()
    return out


def fang_map(text: str) -> Fanged:
    """Refang ``text`` once, remembering each replacement's place in both texts."""
    parts: list[str] = []
    ns: list[int] = []
    ne: list[int] = []
    os_: list[int] = []
    oe: list[int] = []
    loose: list[bool] = []
    pos = 0
    out_len = 0
    for m in _tokens(text):
        rep = _replacement(m)
        raw = m.group(0)
        if rep == raw:
            continue
        s, e = m.span()
        parts.append(text[pos:s])
        out_len += s - pos
        ns.append(out_len)
        parts.append(rep)
        out_len += len(rep)
        ne.append(out_len)
        os_.append(s)
        oe.append(e)
        loose.append(m.lastgroup in _LOOSE)
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


_DEFANG_DOT = re.compile(r"\.")
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
