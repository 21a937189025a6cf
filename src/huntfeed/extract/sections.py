"""The outline of a report: its headings, what each section is, and which lines list indicators.

Reports mark headings in several ways: Markdown (`## Network`), AsciiDoc (`=== C&C servers`),
an ALL-CAPS line (`SERVERS SENDING THE MALSPAM:`, the Unit 42 style), a bold line, or a plain short
line (trafilatura output). A heading is read by its words:

- narrative (notes, details, analysis, MITRE ATT&CK, YARA, detection, recommendations ...),
- references (references, sources, further reading, resources ...),
- IOC (indicators, IOCs, observables, domains, IP addresses, hashes, C&C servers, samples ...),
- neutral (anything else: "COBALT STRIKE ACTIVITY:", "=== Registry").

Markdown and AsciiDoc headings nest: a neutral sub-section of an IOC section is part of it (the
`=== Registry` of an "Indicators of Compromise" document). A neutral section with no IOC parent is
an IOC list when at least half of its lines carry indicator evidence (a defanged value, an IPv4
address, a hash, an e-mail address): the author listed values under a heading that names the
activity, not the word "indicators". Inside an IOC section a line of prose stays narrative. A
section opened by a plain-line heading ends at a line of prose (plain text has no other end mark).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from huntfeed._native import load as _load_native
from huntfeed.extract import rx as _rx

# The heading words, as alternations: each is searched as r"(?i)\b(?:w1|w2|...)\b" (_words).
_NARRATIVE_WORDS = (
    r"notes?", r"details?", r"summary", r"background", r"introduction", r"overview", r"conclusions?",
    r"recommend\w*", r"mitigations?", r"remediation", r"detections?", r"detecting", r"hunting", r"yara",
    r"sigma", r"mitre", r"att&ck", r"ttps", r"tactics", r"techniques?", r"procedures", r"about",
    r"acknowledg\w*", r"timeline", r"analy[sz]\w*", r"protections?", r"preventions?", r"preamble",
    r"takeaways", r"infection\s+chain", r"chain\s+of\s+events", r"authors?", r"author\(s\)", r"reporting",
    r"administrative", r"table\s+of\s+contents", r"toc", r"victimology", r"assessment", r"requested",
    r"subscribe", r"share\s+this", r"tags", r"credits", r"disclaimer", r"description", r"methodology",
    r"rules?", r"queries", r"features", r"functionality", r"explained", r"workflow", r"diamond", r"insights",
    r"justification",
)
_REFERENCE_WORDS = (
    r"references?", r"sources", r"further\s+reading", r"related\s+(?:articles|posts|reading|research)",
    r"external\s+links", r"bibliography", r"endnotes", r"resources", r"see\s+also", r"more\s+information",
)
_IOC_WORDS = (
    r"indicators?", r"iocs?", r"observables?", r"observations", r"artifacts", r"artefacts", r"domains?",
    r"urls?", r"uris?", r"ips?", r"ip\s+address(?:es)?", r"addresses", r"hostnames?", r"fqdns?",
    r"hash(?:es)?", r"sha-?(?:1|256|512)", r"md5", r"samples?", r"network", r"c2", r"c&c", r"cnc",
    r"command\s*(?:and|&)\s*control", r"servers?", r"infrastructure", r"e-?mails?", r"senders?", r"wallets?",
    r"webhooks?", r"file\s*names", r"filenames", r"panels?", r"prox(?:y|ies)", r"certificates?", r"traffic",
)


def _words(alts: tuple[str, ...]) -> str:
    """The alternation as written (the reference the grouped pattern is tested against)."""
    return r"(?i)\b(?:" + "|".join(alts) + r")\b"


def _grouped(alts: tuple[str, ...]) -> re.Pattern[str]:
    """The same search with the branches grouped by their first letter: under IGNORECASE the engine
    tried every branch at every word boundary (60 for the narrative words), where one letter test
    now settles most. Whether a search finds a match does not depend on the branches' order, and
    that is all heading_kind asks (2.6 times faster on real reports' headings)."""
    groups: dict[str, list[str]] = {}
    for alt in alts:
        groups.setdefault(alt[0], []).append(alt[1:])
    return _rx.compile(r"(?i)\b(?:" + "|".join(f"{c}(?:{'|'.join(rest)})" for c, rest in groups.items()) + r")\b")


def lower_twin(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """``pattern`` without IGNORECASE, for ASCII text lowered first: on ASCII text, a caseless
    pattern whose letters are all lower case matches where the plain one matches text.lower()
    (same length, same classes), and without the flag the engine compares characters instead of
    lowering each one (heading_kind and the plain-heading test: twice as fast on real headings)."""
    m = re.match(r"\(\?([a-z]*)i([a-z]*)\)", pattern.pattern)
    body = pattern.pattern[m.end() :] if m else ""
    if m is None or not (pattern.flags & re.IGNORECASE) or re.search(r"[A-Z]", re.sub(r"\\.", "", body)):
        raise ValueError(f"not a caseless pattern with lower-case letters only: {pattern.pattern!r}")
    flags = m.group(1) + m.group(2)
    return _rx.compile((f"(?{flags})" if flags else "") + body)


_NARRATIVE = _grouped(_NARRATIVE_WORDS)
_REFERENCES = _grouped(_REFERENCE_WORDS)
_IOC = _grouped(_IOC_WORDS)
_IOC_NOTES = _rx.compile(r"(?i)\W*indicators?\s+of\s+compromise\b")
_NARRATIVE_A, _REFERENCES_A, _IOC_A, _IOC_NOTES_A = map(lower_twin, (_NARRATIVE, _REFERENCES, _IOC, _IOC_NOTES))
_MARKED = _rx.compile(r"(#{1,6}|={1,6})[ \t]+(\S.*?)[ \t#=]*$")
_BOLD = _rx.compile(r"\*\*([^*\n]{2,80})\*\*:?[ \t]*$")
# A run of three capitals with one outside A-F: a heading word, not a hex digest.
_CAPS_WORD = _rx.compile(r"[A-Z]*[G-Z][A-Z]*")
_EVIDENCE = _rx.compile(
    r"(?i)\[\.\]|\(\.\)|\[dot\]|\{\.\}|hxxp|\[:\]|\[://\]|\[@\]|\[at\]|"
    r"(?<![\w.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\w]|\.\d)|"
    r"(?<![0-9a-f])[0-9a-f]{32,128}(?![0-9a-f])|[\w.+-]@[\w-]+\.[a-z]"
)
FLAT = 9  # level of headings that do not nest (ALL CAPS, bold, plain lines)
IOC, REFS, NARRATIVE, NEUTRAL = "ioc", "refs", "narrative", "neutral"


def heading_kind(text: str) -> str:
    """What a heading's words say its section holds (see the module doc)."""
    if text.isascii():  # 2,349 of 2,370 headings in the real reports: the patterns' lower_twin
        low = text.lower()
        narrative, refs, ioc, notes = _NARRATIVE_A, _REFERENCES_A, _IOC_A, _IOC_NOTES_A
    else:
        low, narrative, refs, ioc, notes = text, _NARRATIVE, _REFERENCES, _IOC, _IOC_NOTES
    if narrative.search(low):
        # "Indicators of compromise (IOC) notes" is rare; "MALWARE NOTE:", "URL NOTES:" are narrative.
        return IOC if notes.match(low) else NARRATIVE
    if refs.search(low):
        return REFS
    if ioc.search(low):
        return IOC
    return NEUTRAL


def _caps_heading(s: str) -> bool:
    if len(s) > 110 or s.endswith(".") or not s[:1].isalnum() or not s.isupper():
        return False
    words = s.split()
    if len(words) > 16 or any(len(w) > 30 for w in words):
        return False  # a long token is a digest or a path, not a heading word
    return any(len(w) >= 3 for w in _CAPS_WORD.findall(s))


def classify(line: str, plain: Callable[[str], bool] | None) -> tuple[int, str, bool] | None:
    """(level, text, plain) when ``line`` is a heading, else None."""
    s = line.strip()
    if not s or len(s) > 110:
        return None
    c = s[0]
    if c == "|":
        return None  # a table row: the commonest line of an IOC appendix, settled first
    if c in "#=":
        m = _MARKED.match(s)
        return (len(m.group(1)), m.group(2), False) if m else None
    if c == "*" and s.startswith("**"):
        m = _BOLD.match(s)
        return (FLAT, m.group(1), False) if m else None
    if c.isalnum() and c.isupper() and _caps_heading(s):
        return FLAT, s, False
    if plain is not None and len(s) <= 70 and plain(s):
        return FLAT, s, True
    return None


def is_prose(line: str) -> bool:
    """A sentence, not a table row or list item: ends like one and has 14 words or more."""
    return line.endswith(_ENDS) and line.count(" ") >= 13 and len(line.split()) >= 14 and line.count("/") < 3


_ENDS = (".", ":", "!", "?")
_GATES = ("[", "(.", "{.", "xxp", "XXp", "xXp", "Xxp", "XXP", "@")
_IP_OR_HASH = _rx.compile(
    r"(?<![\w.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\w]|\.\d)|(?<![0-9a-fA-F])[0-9a-fA-F]{32,128}(?![0-9a-fA-F])"
)


def evidence_reference(line: str) -> bool:
    """The evidence test as two patterns (kept for the tests: _evidence answers the same)."""
    if any(g in line for g in _GATES):
        return _EVIDENCE.search(line) is not None
    return _IP_OR_HASH.search(line) is not None


# The same test, by parts: _EVIDENCE and _IP_OR_HASH are led by look-behinds or a caseless
# alternation, so they try every position of a line, and most lines they read are prose that holds
# nothing (5,000 lines per 2 MB of real reports, 28 ms). Each part below is gated by what any of
# its matches must contain: a dotted quad holds ".d.d" (a literal-led search), a digest 32 hex
# characters in a row (a byte search over the line mapped to two classes), an address its "@".
_DEFANG_EV = _rx.compile(r"\[(?:\.\]|:\]|://\]|@\]|(?i:dot|at)\])|\(\.\)|\{\.\}")
_HXXP_EV = _rx.compile(r"(?i)hxxp")
_EMAIL_EV = _rx.compile(r"(?i)[\w.+-]@[\w-]+\.[a-z]")
_IPV4_GATE = _rx.compile(r"\.\d{1,3}\.\d")
_IPV4_EV = _rx.compile(r"(?<![\w.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\w]|\.\d)")
_HEX_EV = _rx.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{32,128}(?![0-9a-fA-F])")
_HEX_CLASS = bytes(0x68 if chr(i) in "0123456789abcdefABCDEF" else 0x20 for i in range(256))
_HEX_RUN = b"h" * 32


def _evidence_py(text: str, a: int, b: int) -> bool:
    """True when text[a:b] holds a defanged value, an IPv4 address, a digest or an e-mail address."""
    line = text[a:b]
    if any(g in line for g in _GATES) and (
        _DEFANG_EV.search(line) or _HXXP_EV.search(line) or ("@" in line and _EMAIL_EV.search(line))
    ):
        return True
    if _IPV4_GATE.search(line) and _IPV4_EV.search(line):
        return True
    # Latin-1 with "?" for the rest: one byte per character, and no hex digit is lost.
    return _HEX_RUN in line.encode("latin-1", "replace").translate(_HEX_CLASS) and _HEX_EV.search(line) is not None


# Lines that can be a heading or a code fence (a superset, each then read by classify): marked,
# bold, a fence, a line with no lower-case ASCII letter led by a letter that is not one (ALL CAPS),
# or a plain line whose words open as ``plain_heads`` says. Led by the line end before them, a
# literal the engine skips to; the first line is matched on its own.
_CAND_MARKS = r"[#=]|\*\*|```|~~~|[^\W\d_a-z][^a-z\n]*+(?=\n|\Z)"
PlainHeads = tuple[str, frozenset[str]]  # (lead characters, first three letters in lower case)


@lru_cache(maxsize=8)
def _candidates(plain: bool, heads: PlainHeads | None) -> tuple[re.Pattern[str], re.Pattern[str]]:
    body = _CAND_MARKS
    if plain and heads is None:
        body += r"|\S"  # every line that is not blank
    elif plain and heads is not None:
        lead, words = heads
        # Two classes first (the words' first and second letters): most lines fail there, before
        # the trie's branches are tried one by one.
        # In sorted order: a frozenset's order changes with the process's hash seed, and the
        # pattern's text is the key of its stored compiled code (extract/rx.py).
        ordered = sorted(words)
        first = "".join(_caseless(w[0])[1:-1] if w[0].isalpha() else re.escape(w[0]) for w in ordered)
        second = "".join(_caseless(w[1])[1:-1] if w[1].isalpha() else re.escape(w[1]) for w in ordered if len(w) > 1)
        body += f"|[{re.escape(lead)}]*+(?=[{first}][{second}])" + _trie(sorted(words))
    body = r"[^\S\n]*+(?:" + body + ")"  # possessive: a long blank or lead run is read once
    return _rx.compile(body), _rx.compile("\n" + body)


def _caseless(c: str) -> str:
    """A class of the characters whose lower case is ``c`` (K: the Kelvin sign too)."""
    if not ("a" <= c <= "z"):
        return re.escape(c)
    return "[" + c + c.upper() + ("\u212a" if c == "k" else "") + "]"


def _trie(words: list[str]) -> str:
    """An alternation of ``words`` (lower case) as a trie, each letter in either case: the engine
    tries a branch per character instead of one per word with IGNORECASE (6 times slower)."""
    groups: dict[str, list[str]] = {}
    for w in words:
        if w:
            groups.setdefault(w[0], []).append(w[1:])
    alts = []
    for c, rests in groups.items():
        tail = _trie(rests) if any(rests) else ""
        if tail and "" in rests:
            tail = "(?:" + tail + ")?"
        alts.append(_caseless(c) + tail)
    return "(?:" + "|".join(alts) + ")"


def _line_starts(pair: tuple[re.Pattern[str], re.Pattern[str]], text: str, a: int, b: int) -> list[int]:
    """Starts of the lines of text[a:b] (``a`` a line start) that ``pair``'s body matches at."""
    first, rest = pair
    out = [a] if first.match(text, a, b) else []
    out += [m.start() + 1 for m in rest.finditer(text, a, b)]
    return out


@lru_cache(maxsize=8)
def _c_words(heads: PlainHeads) -> tuple[str, ...] | None:
    """The words as extract_sections.candidates takes them (sorted; lower-case ASCII on one line,
    two characters or more), or None where they are not (the pattern then reads the lines)."""
    words = tuple(sorted(heads[1]))
    ok = all(len(w) >= 2 and w.isascii() and w == w.lower() and "\n" not in w for w in words)
    return words if ok else None


def _candidate_starts(text: str, n: int, plain: bool, heads: PlainHeads | None) -> list[int]:
    """Starts of the lines of text[:n] that can head a section: _candidates' pattern, or its C
    twin (extract_sections.candidates: one test per line instead of a pattern pass, 36,000 lines
    per 63 real reports) where the plain-heading words are given."""
    if plain and heads is not None and _NATIVE is not None and (words := _c_words(heads)) is not None:
        return _NATIVE.candidates(text, 0, n, heads[0], words)  # type: ignore[no-any-return]
    return _line_starts(_candidates(plain, heads), text, 0, n)


def _line_end(text: str, pos: int, b: int) -> int:
    k = text.find("\n", pos, b)
    return b if k < 0 else k


def outline(
    text: str, plain: Callable[[str], bool] | None, plain_heads: PlainHeads | None = None
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(IOC spans, reference spans) of ``text``: line-aligned, sorted, disjoint.

    ``plain_heads`` (lead characters, words): ``plain`` is false for a line whose text, after
    the lead characters, does not open with one of the words (lower case), so only such lines
    are read. Only the candidate lines are read one by one; the sections' bodies are read
    by a few patterns each (the line-by-line reading is kept in tests/sections_reference.py).
    """
    n = len(text)
    kinds: list[str] = []
    plain_head: list[bool] = []
    parts: list[tuple[int, int, int, bool]] = []  # (start, end, section, is a heading line), in order
    stack: list[tuple[int, int]] = []  # (level, section id)
    fence, prev_end, current = False, -1, -1  # current: the section the lines now belong to
    for a in _candidate_starts(text, n, plain is not None, plain_heads):
        b = _line_end(text, a, n)
        line = text[a:b]
        s = line.lstrip()
        if s.startswith(("```", "~~~")) and "```" not in s[3:]:
            fence = not fence  # a fence line opens or closes a code block; ```x``` is inline code
        head = None if fence or not line else _classify(line, plain)  # a blank line heads nothing
        if head is None:
            continue
        level, words, is_plain = head
        while stack and stack[-1][0] >= level:
            stack.pop()
        kind = heading_kind(words)
        if kind == NEUTRAL:
            for _, sid in reversed(stack):
                if kinds[sid] != NEUTRAL:
                    kind = kinds[sid] if kinds[sid] != NARRATIVE else NEUTRAL
                    break
        if a > prev_end + 1:  # the lines since the last heading (or the start), if any
            parts.append((prev_end + 1, a - 1, current, False))
        kinds.append(kind)
        plain_head.append(is_plain)
        current = len(kinds) - 1
        stack.append((level, current))
        parts.append((a, b, current, True))
        prev_end = b
    if prev_end < n:
        parts.append((prev_end + 1, n, current, False))
    return _spans(text, parts, kinds, plain_head)


def _spans(
    text: str, parts: list[tuple[int, int, int, bool]], kinds: list[str], plain_head: list[bool]
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    for a, b, sid, heading in parts:
        if not heading and sid >= 0 and kinds[sid] == NEUTRAL and _listed(text, a, b):
            kinds[sid] = IOC
    ioc: list[tuple[int, int]] = []
    refs: list[tuple[int, int]] = []
    for a, b, sid, heading in parts:
        kind = kinds[sid] if sid >= 0 else NEUTRAL
        if heading:  # its own line lists a value when it names one ("C2 DOMAINS ON 1.2.3[.]4:")
            if kind == IOC and _evidence(text, a, b):
                _extend(ioc, a, b)
        elif kind == IOC:
            rest = _ioc_body(text, a, b, plain_head[sid], ioc)
            if rest < b:
                _table_rows(text, rest, b, ioc)
        elif kind == REFS:
            _extend(refs, a, b)
        else:
            _table_rows(text, a, b, ioc)
    return ioc, refs


def _listed_py(text: str, a: int, b: int) -> bool:
    """A neutral section with no IOC parent is an IOC list when a quarter of its lines hold
    evidence: Unit 42 style records ("- SHA256 hash: ...", "- File size: ...") carry one per four.
    Sentences do not count either way (a list is judged by its items), and the search stops as
    soon as a quarter of the items has shown evidence."""
    # The items by one comprehension over the split lines (is_prose inlined: most sections are
    # narrative, hundreds of lines each, and a Python step per line was most of the outline's time).
    ends = _ENDS
    items = [
        s for s in (line.strip() for line in text[a:b].split("\n"))
        if s and not (s.endswith(ends) and s.count(" ") >= 13 and len(s.split()) >= 14 and s.count("/") < 3)
    ]  # fmt: skip
    need, hits, left = (len(items) + 3) // 4, 0, len(items)
    for item in items:
        if hits + left < need:
            return False  # too few lines left to make a quarter
        left -= 1
        if _evidence_py(item, 0, len(item)):
            hits += 1
            if hits >= need:
                return True
    return False


# The C twins of _evidence_py and _listed_py (src/huntfeed/_native/extract_sections.c): one loop
# over the characters instead of a slice, a split and up to six pattern searches per line; the
# Python ones where the extension is not built or HUNTFEED_PURE=1.
_NATIVE = _load_native("extract_sections")
_evidence: Callable[[str, int, int], bool] = _NATIVE.evidence if _NATIVE is not None else _evidence_py
_listed: Callable[[str, int, int], bool] = _NATIVE.listed if _NATIVE is not None else _listed_py


_PROSE_END = _rx.compile(r"[.:!?][^\S\n]*+(?:\n|\Z)")  # a line that may be a sentence (is_prose decides)


def _ioc_body_py(text: str, a: int, b: int, plain_headed: bool, ioc: list[tuple[int, int]]) -> int:
    """Add the lines of an IOC section's body text[a:b] but its sentences; return where a
    sentence ended the section (plain text: a paragraph after the list ends it; one before the
    list is its intro), else ``b``. The C twin: _native/extract_sections.c ioc_body."""
    cur, listed = a, False
    for m in _PROSE_END.finditer(text, a, b):
        p = m.start()
        k = text.rfind("\n", a, p)
        ls = a if k < 0 else k + 1
        le = _line_end(text, p, b)
        if not is_prose(text[ls:le].strip()):
            continue
        if ls > cur:  # the lines before this sentence
            listed = listed or not text[cur : ls - 1].isspace() and ls - 1 > cur
            _extend(ioc, cur, ls - 1)
        cur = le + 1
        if plain_headed and listed:
            return cur
    if cur <= b:
        _extend(ioc, cur, b)
    return b


_TABLE_ROW = (_rx.compile(r"\||[ \t][^\S\n]*+\|"), _rx.compile(r"\n(?:\||[ \t][^\S\n]*+\|)"))


def _table_rows_py(text: str, a: int, b: int, ioc: list[tuple[int, int]]) -> None:
    """Add the table rows of text[a:b] (``a`` a line start) that hold indicator evidence.
    The C twin: _native/extract_sections.c table_rows."""
    for ls in _line_starts(_TABLE_ROW, text, a, b):
        le = _line_end(text, ls, b)
        if text.count("|", ls, le) >= 2 and _evidence(text, ls, le):
            _extend(ioc, ls, le)


# The C twins read each line of a section once (the twins: a pattern pass, then a slice, a strip and
# is_prose per sentence-like line; the body and table tests read 1.9 MB of the 2 MB real reports).
# classify's C twin: the strip, the marked, bold and ALL-CAPS tests without a pattern or a Python
# step (5,300 candidate lines per 63 real reports); ``plain`` is still the caller's function.
_classify: Callable[[str, Callable[[str], bool] | None], tuple[int, str, bool] | None] = (
    _NATIVE.classify if _NATIVE is not None else classify
)
_ioc_body: Callable[[str, int, int, bool, list[tuple[int, int]]], int] = (
    _NATIVE.ioc_body if _NATIVE is not None else _ioc_body_py
)
_table_rows: Callable[[str, int, int, list[tuple[int, int]]], None] = (
    _NATIVE.table_rows if _NATIVE is not None else _table_rows_py
)


def _table_row(text: str, a: int, b: int) -> bool:
    """A Markdown/AsciiDoc table row (``| value | type |``) that holds indicator evidence."""
    c = text[a : a + 1]
    if c != "|" and (c not in (" ", "\t") or not text[a:b].lstrip().startswith("|")):
        return False  # most lines: settled by their first character
    return text.count("|", a, b) >= 2 and _evidence(text, a, b)


def _extend(spans: list[tuple[int, int]], a: int, b: int) -> None:
    if spans and spans[-1][1] + 1 >= a:
        spans[-1] = (spans[-1][0], b + 1)
    else:
        spans.append((a, b + 1))
