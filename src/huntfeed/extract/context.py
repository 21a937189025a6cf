"""Where in a report an indicator sits: an IOC section, a references list, a C2 sentence.

The pipeline feeds plain text (trafilatura output), so headings are short lines of their own.
An IOC section runs from an IOC heading until a heading of another kind or a line of prose;
a references section runs from its heading to the next heading.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from huntfeed._native import load as _load_native
from huntfeed.extract import rx as _rx
from huntfeed.extract.sections import _grouped, lower_twin, outline

_IOC_HEADING = _rx.compile(
    r"(?im)^[ \t#*>|_\-\d.:]{0,8}(?:appendix[^\n]{0,20})?"
    r"(?:indicators?\s+of\s+(?:compromise|attack)|iocs?\b|ioc\s+list|indicators\b|observables|"
    r"network\s+(?:indicators|iocs?|infrastructure)|host[- ]based\s+(?:indicators|iocs?)|"
    r"file\s+(?:indicators|hashes|iocs?)|(?:malicious|suspicious)\s+(?:domains|urls|ips?|files|hashes|infrastructure)|"
    r"c2\s+(?:servers?|infrastructure|domains|addresses)|c&c\s+servers?|command[- ]and[- ]control\s+"
    r"(?:servers?|infrastructure|domains)|(?:sha-?256|sha-?1|md5)\s+hashes|hashes|domains|urls|"
    r"ip\s+addresses|ips|samples|artifacts|artefacts|infrastructure)"
    r"[^\n.]{0,48}$"
)
_OTHER_HEADING = _rx.compile(
    r"(?i)^[ \t#*>|_\-\d.:]{0,8}(?:conclusions?|summary|recommendations?|mitigations?|remediation|"
    r"detections?|detection\s+(?:rules|opportunities)|hunting|yara|sigma|mitre\s+att&ck|att&ck|ttps|"
    r"about(?:\s+the\s+author|\s+us)?|references|sources|further\s+reading|related|acknowledg\w+|"
    r"timeline|background|introduction|overview|technical\s+analysis|analysis|protection|"
    r"share\s+this|tags|subscribe|contact|credits)\b[^\n]{0,40}$"
)
_REF_HEADING = _rx.compile(
    r"(?im)^[ \t#*>|_\-\d.:]{0,8}(?:references|sources|further\s+reading|related\s+(?:articles|posts|reading)"
    r"|external\s+links|bibliography|endnotes)\s*:?\s*$"
)
# The same patterns for ASCII lines lowered first (sections.lower_twin).
_IOC_HEADING_A, _OTHER_HEADING_A, _REF_HEADING_A = map(lower_twin, (_IOC_HEADING, _OTHER_HEADING, _REF_HEADING))
# The C2 words, searched as r"(?i)\b(?:w1|w2|...)\b" (sections._words, the reference form); the
# compiled pattern groups them by first letter (sections._grouped): under IGNORECASE the engine
# tried all 25 branches at every word start of a window, 11 us per window on real reports.
_C2_WORDS = (
    r"c2", r"c&c", r"cnc", r"command[- ]and[- ]control", r"beacon\w*", r"callback", r"exfiltrat\w+",
    r"download(?:ed|s)?\s+from", r"hosted\s+(?:on|at)", r"payload", r"dropper", r"malicious", r"phishing",
    r"attacker", r"threat actor", r"connects?\s+to", r"communicat\w+\s+with", r"staging", r"loader", r"implant",
    r"backdoor", r"sinkhol\w+", r"ransom\w*", r"stealer", r"exploit\w*",
)  # fmt: skip
_C2_CONTEXT = _grouped(_C2_WORDS)
_C2_CONTEXT_A = lower_twin(_C2_CONTEXT)  # for an ASCII window (11 us a search with IGNORECASE)
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
_VERSION_CONTEXT = _rx.compile(
    r"(?i)(?:\bversions?|\bver\.?|\bv|\bbuild|\brelease|\bupdate|\bchrome|\bfirefox|\bedge|\bsafari|"
    r"\bwindows|\bios|\bandroid|\bfirmware|\bpatch(?:ed)?|\bedg|\bopr|\bapplewebkit)\s*[:/]?\s*$"
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
    # The ending first: it rejects an IOC table row without splitting it into words.
    return line.endswith((".", ":", "!", "?")) and len(line.split()) >= 14 and line.count("/") < 3


# First three letters of the words that open a heading of another kind (see _OTHER_HEADING).
_OTHER_HEADS = frozenset(
    ("con", "sum", "rec", "mit", "rem", "det", "hun", "yar", "sig", "att", "ttp", "abo", "ref", "sou", "fur")
    + ("rel", "ack", "tim", "bac", "int", "ove", "tec", "ana", "pro", "sha", "tag", "sub", "cre")
)
_HEADING_LEAD = " \t#*>|_-0123456789.:"


def _other_heading(stripped: str) -> bool:
    if not stripped or len(stripped) > 60:
        return False
    # An IOC table row rarely opens with one of these words: most rows skip the regex.
    if stripped.lstrip(_HEADING_LEAD)[:3].lower() not in _OTHER_HEADS:
        return False
    if stripped.isascii():
        low = stripped.lower()
        return bool(_OTHER_HEADING_A.match(low)) and not _IOC_HEADING_A.match(low)
    return bool(_OTHER_HEADING.match(stripped)) and not _IOC_HEADING.match(stripped)


def _ends_ioc(stripped: str) -> bool:
    """True when a line inside an IOC section closes it: another kind of heading, or prose."""
    return _other_heading(stripped) or _is_prose(stripped)


def _ends_refs(stripped: str) -> bool:
    """True when a line inside a references section closes it: any other heading."""
    if not stripped:
        return False
    return _other_heading(stripped) or bool(_IOC_HEADING.match(stripped))


# First three letters of the words that open an IOC or references heading (see the patterns
# above): a line opening with anything else is settled without a regex.
_PLAIN_HEADS = _OTHER_HEADS | frozenset(
    ("ind", "ioc", "obs", "net", "hos", "fil", "mal", "sus", "c2 ", "c&c", "com", "sha", "md5", "has", "dom")
    + ("url", "ip ", "ips", "sam", "art", "inf", "app", "ext", "bib", "end", "c2", "ioc")
)


def _plain_heading(line: str) -> bool:
    """A plain short line that reads as a heading (trafilatura output has no other mark)."""
    if line.lstrip(_HEADING_LEAD)[:3].lower() not in _PLAIN_HEADS:
        return False
    if line.isascii():
        low = line.lower()
        return bool(_IOC_HEADING_A.match(low) or _REF_HEADING_A.match(low)) or _other_heading(line)
    return bool(_IOC_HEADING.match(line) or _REF_HEADING.match(line)) or _other_heading(line)


def find_sections(text: str) -> Sections:
    """Locate the IOC and references sections of ``text`` (see extract/sections.py)."""
    ioc, refs = outline(text, _plain_heading, (_HEADING_LEAD, _PLAIN_HEADS))
    return Sections(tuple(ioc), tuple(refs))


def c2_context(text: str, start: int, end: int) -> bool:
    """True when the sentence around a span says C2, payload, downloaded from, and the like."""
    lo = max(text.rfind("\n", 0, start), text.rfind(". ", max(0, start - 200), start), start - 200)
    hi_nl = text.find("\n", end)
    hi = min(end + 120, len(text) if hi_nl < 0 else hi_nl)
    # The common case, no key at all (five windows in six on real reports), settled without the
    # regex and without lowering the window.
    if not _c2_keys(text, max(0, lo), hi, _C2_KEYS):
        return False
    window = text[max(0, lo) : hi].lower()
    return bool((_C2_CONTEXT_A if window.isascii() else _C2_CONTEXT).search(window))


def _c2_keys_py(text: str, lo: int, hi: int, keys: tuple[str, ...]) -> bool:
    """One of ``keys`` occurs in text[lo:hi].lower() (the C twin: _native/extract_group.c)."""
    window = text[lo:hi].lower()
    return any(k in window for k in keys)


_NATIVE = _load_native("extract_group")
_c2_keys: Callable[[str, int, int, tuple[str, ...]], bool] = _NATIVE.c2_keys if _NATIVE is not None else _c2_keys_py


_VERSION_ENDS = (
    "version", "versions", "ver", "ver.", "v", "build", "release", "update", "chrome", "firefox", "edge",
    "safari", "windows", "ios", "android", "firmware", "patch", "patched", "edg", "opr", "applewebkit",
)  # fmt: skip


def version_context(text: str, start: int) -> bool:
    """True when the words just before ``start`` make a dotted number a version."""
    before = text[max(0, start - 24) : start]
    # The common case (a table cell, a sentence) ends in no such word: settled without the regex.
    # A User-Agent's product token, "Chrome/129.0.0.0", names a version as "version 1.2" does.
    if not before.rstrip().rstrip(":/").rstrip().lower().endswith(_VERSION_ENDS):
        return False
    return bool(_VERSION_CONTEXT.search(before))
