"""Where in a report an indicator sits: an IOC section, a references list, a C2 sentence.

The pipeline feeds plain text (trafilatura output), so headings are short lines of their own.
An IOC section runs from an IOC heading until a heading of another kind or a line of prose;
a references section runs from its heading to the next heading.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

_IOC_HEADING = re.compile(
    r"(?im)^[ \t#*>|_\-\d.:]{0,8}(?:appendix[^\n]{0,20})?"
    r"(?:indicators?\s+of\s+(?:compromise|attack)|iocs?\b|ioc\s+list|indicators\b|observables|"
    r"network\s+(?:indicators|iocs?|infrastructure)|host[- ]based\s+(?:indicators|iocs?)|"
    r"file\s+(?:indicators|hashes|iocs?)|(?:malicious|suspicious)\s+(?:domains|urls|ips?|files|hashes|infrastructure)|"
    r"c2\s+(?:servers?|infrastructure|domains|addresses)|c&c\s+servers?|command[- ]and[- ]control\s+"
    r"(?:servers?|infrastructure|domains)|(?:sha-?256|sha-?1|md5)\s+hashes|hashes|domains|urls|"
    r"ip\s+addresses|ips|samples|artifacts|artefacts|infrastructure)"
    r"[^\n.]{0,48}$"
)
_OTHER_HEADING = re.compile(
    r"(?i)^[ \t#*>|_\-\d.:]{0,8}(?:conclusions?|summary|recommendations?|mitigations?|remediation|"
    r"detections?|detection\s+(?:rules|opportunities)|hunting|yara|sigma|mitre\s+att&ck|att&ck|ttps|"
    r"about(?:\s+the\s+author|\s+us)?|references|sources|further\s+reading|related|acknowledg\w+|"
    r"timeline|background|introduction|overview|technical\s+analysis|analysis|protection|"
    r"share\s+this|tags|subscribe|contact|credits)\b[^\n]{0,40}$"
)
_REF_HEADING = re.compile(
    r"(?im)^[ \t#*>|_\-\d.:]{0,8}(?:references|sources|further\s+reading|related\s+(?:articles|posts|reading)"
    r"|external\s+links|bibliography|endnotes)\s*:?\s*$"
)
_C2_CONTEXT = re.compile(
    r"(?i)\b(?:c2|c&c|cnc|command[- ]and[- ]control|beacon\w*|callback|exfiltrat\w+|download(?:ed|s)?\s+from|"
    r"hosted\s+(?:on|at)|payload|dropper|malicious|phishing|attacker|threat actor|connects?\s+to|"
    r"communicat\w+\s+with|staging|loader|implant|backdoor|sinkhol\w+|ransom\w*|stealer|exploit\w*)\b"
)
_C2_KEYS = (
    "c2",
    "c&c",
    "cnc",
    "command",
    "beacon",
    "callback",
    "exfiltrat",
    "download",
    "hosted",
    "payload",
    "dropper",
    "malicious",
    "phishing",
    "attacker",
    "threat actor",
    "connect",
    "communicat",
    "staging",
    "loader",
    "implant",
    "backdoor",
    "sinkhol",
    "ransom",
    "stealer",
    "exploit",
)
_VERSION_CONTEXT = re.compile(
    r"(?i)(?:\bversions?|\bver\.?|\bv|\bbuild|\brelease|\bupdate|\bchrome|\bfirefox|\bedge|\bsafari|"
    r"\bwindows|\bios|\bandroid|\bfirmware|\bpatch(?:ed)?)\s*:?\s*$"
)


@dataclass(frozen=True, slots=True)
class Sections:
    """Sorted, disjoint (start, end) spans of IOC and reference sections."""

    ioc: tuple[tuple[int, int], ...]
    refs: tuple[tuple[int, int], ...]

    def in_ioc(self, pos: int) -> bool:
        """True when ``pos`` falls in an IOC section."""
        return _inside(self.ioc, pos)

    def in_refs(self, pos: int) -> bool:
        """True when ``pos`` falls in a references section."""
        return _inside(self.refs, pos)


def _inside(spans: tuple[tuple[int, int], ...], pos: int) -> bool:
    if not spans:
        return False
    i = bisect_right(spans, (pos, 1 << 62)) - 1
    return i >= 0 and spans[i][0] <= pos < spans[i][1]


def _is_prose(line: str) -> bool:
    words = line.split()
    return len(words) >= 14 and line.rstrip().endswith((".", ":", "!", "?")) and line.count("/") < 3


def _section_end(text: str, start: int, stop_at_prose: bool) -> int:
    pos = text.find("\n", start)
    if pos < 0:
        return len(text)
    pos += 1
    limit = len(text)
    while pos < limit:
        nl = text.find("\n", pos)
        end = limit if nl < 0 else nl
        line = text[pos:end]
        stripped = line.strip()
        if (
            stripped
            and len(stripped) <= 60
            and _OTHER_HEADING.match(stripped)
            and not _IOC_HEADING.match(stripped)
        ):
            return pos
        if stop_at_prose and _is_prose(stripped):
            return pos
        if not stop_at_prose and stripped and _IOC_HEADING.match(stripped):
            return pos
        pos = end + 1
    return limit


_SHORT_LINE = re.compile(r"\n(?=[^\n]{1,70}(?:\n|\Z))")


def _short_lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of the lines short enough to be headings; found by their newline, quickly."""
    starts = [0] if text[:1] != "\n" else []
    starts.extend(m.end() for m in _SHORT_LINE.finditer(text))
    out = []
    for st in starts:
        end = text.find("\n", st)
        end = len(text) if end < 0 else end
        if 0 < end - st <= 70:
            out.append((st, end))
    return out


def find_sections(text: str) -> Sections:
    """Locate the IOC and references sections of ``text``."""
    ioc: list[tuple[int, int]] = []
    refs: list[tuple[int, int]] = []
    for st, end in _short_lines(text):
        if not (ioc and st < ioc[-1][1]) and _IOC_HEADING.match(text, st, end):
            ioc.append((st, _section_end(text, st, True)))
        elif not (refs and st < refs[-1][1]) and _REF_HEADING.match(text, st, end):
            refs.append((st, _section_end(text, st, False)))
    return Sections(tuple(ioc), tuple(refs))


def c2_context(text: str, start: int, end: int) -> bool:
    """True when the sentence around a span says C2, payload, downloaded from, and the like."""
    lo = max(text.rfind("\n", 0, start), text.rfind(". ", max(0, start - 200), start), start - 200)
    hi_nl = text.find("\n", end)
    hi = min(end + 120, len(text) if hi_nl < 0 else hi_nl)
    window = text[max(0, lo) : hi].lower()
    if not any(k in window for k in _C2_KEYS):
        return False  # the common case, settled without the regex
    return bool(_C2_CONTEXT.search(window))


def version_context(text: str, start: int) -> bool:
    """True when the words just before ``start`` make a dotted number a version."""
    return bool(_VERSION_CONTEXT.search(text[max(0, start - 24) : start]))
