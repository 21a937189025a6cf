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

_NARRATIVE = re.compile(
    r"(?i)\b(?:notes?|details?|summary|background|introduction|overview|conclusions?|recommend\w*|"
    r"mitigations?|remediation|detections?|detecting|hunting|yara|sigma|mitre|att&ck|ttps|tactics|"
    r"techniques?|procedures|about|acknowledg\w*|timeline|analy[sz]\w*|protections?|preventions?|preamble|"
    r"takeaways|infection\s+chain|chain\s+of\s+events|authors?|author\(s\)|reporting|administrative|table\s+of\s+contents|toc|victimology|"
    r"assessment|requested|subscribe|share\s+this|tags|credits|disclaimer|description|methodology|"
    r"rules?|queries|features|functionality|explained|workflow|diamond|insights|justification)\b"
)
_REFERENCES = re.compile(
    r"(?i)\b(?:references?|sources|further\s+reading|related\s+(?:articles|posts|reading|research)|"
    r"external\s+links|bibliography|endnotes|resources|see\s+also|more\s+information)\b"
)
_IOC = re.compile(
    r"(?i)\b(?:indicators?|iocs?|observables?|observations|artifacts|artefacts|domains?|urls?|uris?|"
    r"ips?|ip\s+address(?:es)?|addresses|hostnames?|fqdns?|hash(?:es)?|sha-?(?:1|256|512)|md5|samples?|"
    r"network|c2|c&c|cnc|command\s*(?:and|&)\s*control|servers?|infrastructure|e-?mails?|senders?|"
    r"wallets?|webhooks?|file\s*names|filenames|panels?|prox(?:y|ies)|certificates?|traffic)\b"
)
_MARKED = re.compile(r"(#{1,6}|={1,6})[ \t]+(\S.*?)[ \t#=]*$")
_BOLD = re.compile(r"\*\*([^*\n]{2,80})\*\*:?[ \t]*$")
# A run of three capitals with one outside A-F: a heading word, not a hex digest.
_CAPS_WORD = re.compile(r"[A-Z]*[G-Z][A-Z]*")
_EVIDENCE = re.compile(
    r"(?i)\[\.\]|\(\.\)|\[dot\]|\{\.\}|hxxp|\[:\]|\[://\]|\[@\]|\[at\]|"
    r"(?<![\w.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\w]|\.\d)|"
    r"(?<![0-9a-f])[0-9a-f]{32,128}(?![0-9a-f])|[\w.+-]@[\w-]+\.[a-z]"
)
FLAT = 9  # level of headings that do not nest (ALL CAPS, bold, plain lines)
IOC, REFS, NARRATIVE, NEUTRAL = "ioc", "refs", "narrative", "neutral"


def heading_kind(text: str) -> str:
    """What a heading's words say its section holds (see the module doc)."""
    if _NARRATIVE.search(text):
        # "Indicators of compromise (IOC) notes" is rare; "MALWARE NOTE:", "URL NOTES:" are narrative.
        return IOC if re.match(r"(?i)\W*indicators?\s+of\s+compromise\b", text) else NARRATIVE
    if _REFERENCES.search(text):
        return REFS
    if _IOC.search(text):
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
_IP_OR_HASH = re.compile(
    r"(?<![\w.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\w]|\.\d)|(?<![0-9a-fA-F])[0-9a-fA-F]{32,128}(?![0-9a-fA-F])"
)


def _evidence(text: str, a: int, b: int) -> bool:
    """True when text[a:b] holds a defanged value, an IPv4 address, a digest or an e-mail address."""
    line = text[a:b]
    if any(g in line for g in _GATES):
        return _EVIDENCE.search(line) is not None
    return _IP_OR_HASH.search(line) is not None


def outline(text: str, plain: Callable[[str], bool] | None) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(IOC spans, reference spans) of ``text``: line-aligned, sorted, disjoint."""
    lines = text.split("\n")
    # Per line: (start, end, section id or -1); per section: kind, whether plain-headed.
    kinds: list[str] = []
    plain_head: list[bool] = []
    rows: list[tuple[int, int, int]] = []
    stack: list[tuple[int, int]] = []  # (level, section id)
    closed: set[int] = set()  # plain-headed IOC sections ended by prose
    pos, fence = 0, False
    for line in lines:
        n = len(line)
        s = line.lstrip()
        if s.startswith(("```", "~~~")) and "```" not in s[3:]:
            fence = not fence  # a fence line opens or closes a code block; ```x``` is inline code
        head = None if fence else classify(line, plain)
        if head is not None:
            level, words, is_plain = head
            while stack and stack[-1][0] >= level:
                stack.pop()
            kind = heading_kind(words)
            if kind == NEUTRAL:
                for _, sid in reversed(stack):
                    if kinds[sid] != NEUTRAL:
                        kind = kinds[sid] if kinds[sid] != NARRATIVE else NEUTRAL
                        break
            kinds.append(kind)
            plain_head.append(is_plain)
            stack.append((level, len(kinds) - 1))
            rows.append((pos, pos + n, -2 - stack[-1][1]))  # a heading row: -2 - its section
        else:
            sid = stack[-1][1] if stack else -1
            rows.append((pos, pos + n, sid))
        pos += n + 1
    return _spans(text, rows, kinds, plain_head, closed)


def _spans(
    text: str, rows: list[tuple[int, int, int]], kinds: list[str], plain_head: list[bool], closed: set[int]
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    # A neutral section with no IOC parent is an IOC list when a quarter of its lines hold
    # evidence: Unit 42 style records ("- SHA256 hash: ...", "- File size: ...") carry one per four.
    # Sentences do not count either way (a list is judged by its items), and the search stops as
    # soon as a quarter of the items has shown evidence.
    items: dict[int, list[tuple[int, int]]] = {}
    for a, b, sid in rows:
        if sid >= 0 and kinds[sid] == NEUTRAL and b > a:
            line = text[a:b].strip()
            if line and not is_prose(line):
                items.setdefault(sid, []).append((a, b))
    for sid, spans in items.items():
        need, hits = (len(spans) + 3) // 4, 0
        for a, b in spans:
            if _evidence(text, a, b):
                hits += 1
                if hits >= need:
                    kinds[sid] = IOC
                    break
    ioc: list[tuple[int, int]] = []
    refs: list[tuple[int, int]] = []
    listed: set[int] = set()  # IOC sections that have shown a listed (non-prose) line
    for a, b, sid in rows:
        if sid < -1:  # a heading: its own line lists a value when it names one ("C2 DOMAINS ON 1.2.3[.]4:")
            if kinds[-2 - sid] == IOC and _evidence(text, a, b):
                _extend(ioc, a, b)
            continue
        kind = kinds[sid] if sid >= 0 else NEUTRAL
        if kind == IOC and sid not in closed:
            line = text[a:b].rstrip()
            if line.endswith(_ENDS) and is_prose(line.lstrip()):
                if plain_head[sid] and sid in listed:
                    closed.add(sid)  # plain text: a paragraph after the list ends it (one before is its intro)
                continue
            if line and sid not in listed:
                listed.add(sid)
            _extend(ioc, a, b)
        elif kind == REFS:
            _extend(refs, a, b)
        elif _table_row(text, a, b):
            _extend(ioc, a, b)  # an indicator table is a list wherever it stands
    return ioc, refs


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
