"""Phrase rules: an analyst-editable file of phrases that signal a technique.

File format (``data/attack/phrases.txt``)::

    T1059.001 PowerShell          # a header: technique id, then any label
        powershell                # a phrase: case-insensitive, whole words
        encoded command*          # a trailing * lets the last word run on (commands, commanded)
        /\\biex\\s*\\(/           # a regular expression: wrapped in slashes at both ends
        !mimikatz                 # a leading ! marks a strong phrase: it alone reports the technique
        ~/\bransom\b/             # a leading ~ marks a context: the technique's hits near it are dropped

Literal phrases run through one Aho-Corasick automaton, so thousands of them cost one pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import ahocorasick

from huntfeed.attack import prefilter
from huntfeed.errors import DataFileError
from huntfeed.paths import package_data
from huntfeed.sectioned import regex_or_error, sectioned_lines

_HEADER = re.compile(r"^(T\d{4}(?:\.\d{3})?)\b\s*(.*)$")
_WORD = re.compile(r"\w")
# The only non-ASCII characters that Python's case-insensitive matching equates with an ASCII letter
# or digit (İ ı ſ and the Kelvin sign; tests/test_attack_recall_rules.py scans every code point).
FOLDS_TO_ASCII = frozenset("\u0130\u0131\u017f\u212a")


# A report that says what an attack did *not* do ("unlike ransomware, it keeps no key") must not
# report that technique.  Only cues in the same clause, a few words before the phrase, count.
_NEG_WINDOW = 40
_CLAUSE_END = re.compile(r"[.;:!?\n]|\bbut\b")
_NEGATION = re.compile(
    r"\b(?:unlike|not|no|never|without|neither|nor|rather than|instead of|isn't|wasn't|aren't|weren't|"
    r"doesn't|didn't|don't|cannot|can't)\b[^,]*$",
)


@dataclass(frozen=True, slots=True)
class Rule:
    """One phrase of one technique, with where it was written."""

    technique: str
    phrase: str
    where: str
    strong: bool = False  # written with a leading "!": names the technique unambiguously
    exclude: bool = False  # written with a leading "~": a context that takes the technique's hits away


@dataclass(frozen=True, slots=True)
class RuleHit:
    """A rule that matched the text at [start, end)."""

    rule: Rule
    start: int
    end: int


def _technique_header(line: str, where: str) -> str:
    m = _HEADER.match(line)
    if not m:
        raise DataFileError("expected a technique header such as 'T1059.001 PowerShell'", where=where)
    return m.group(1)


def load_rules(path: Path | None = None) -> list[Rule]:
    """Parse the phrase file strictly; DataFileError carries file:line."""
    path = path or package_data("attack", "phrases.txt")
    rules: list[Rule] = []
    for current, phrase, where in sectioned_lines(path, _technique_header, "phrase before any technique header"):
        strong = phrase.startswith("!")
        exclude = phrase.startswith("~")
        phrase = phrase[1:].strip() if strong or exclude else phrase
        if exclude and not _is_regex(phrase):
            raise DataFileError("a context line ('~') takes a /regular expression/", where=where)
        if _is_regex(phrase):
            regex_or_error(phrase[1:-1], where)
        else:
            phrase = " ".join(phrase.lower().split())
            if not _WORD.search(phrase):
                raise DataFileError("a phrase needs at least one word character", where=where)
        rules.append(Rule(current, phrase, where, strong, exclude))
    return rules


class RuleMatcher:
    """Finds every rule occurrence in a text in one automaton pass plus the few regexes."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules
        self._auto = ahocorasick.Automaton()
        self._regexes: list[tuple[re.Pattern[str], Rule]] = []
        keyed: dict[str, list[tuple[Rule, bool]]] = {}
        contexts: dict[str, list[str]] = {}
        for rule in rules:
            if rule.exclude:
                contexts.setdefault(rule.technique, []).append(rule.phrase[1:-1])
                continue
            if _is_regex(rule.phrase):
                self._regexes.append((re.compile(rule.phrase[1:-1], re.IGNORECASE), rule))
                continue
            prefix = rule.phrase.endswith("*")
            key = rule.phrase.rstrip("*").rstrip()
            keyed.setdefault(key, []).append((rule, prefix))
        for key, entries in keyed.items():
            self._auto.add_word(key, (len(key), entries))
        if keyed:
            self._auto.make_automaton()
        self._has_words = bool(keyed)
        # Each regex costs a scan of the whole text; most cannot match without literal words they
        # require ("webhook", "suspended"), which one automaton pass finds (prefilter.py).
        self._regex_filter = prefilter.build(rx for rx, _ in self._regexes)
        self._contexts = {
            t: re.compile("|".join(f"(?:{p})" for p in ps), re.IGNORECASE) for t, ps in contexts.items()
        }

    def find(self, text: str) -> Iterator[RuleHit]:
        """Yield hits in text order for literals, then regexes; none in a context its technique excludes."""
        for hit in self._find(text):
            rx = self._contexts.get(hit.rule.technique)
            if rx is None or not rx.search(_clause_around(text, hit.start, hit.end)):
                yield hit

    def _find(self, text: str) -> Iterator[RuleHit]:
        if self._has_words:
            low = text.lower()
            n = len(low)
            for end_idx, (length, entries) in self._auto.iter(low):
                start, end = end_idx - length + 1, end_idx + 1
                if start > 0 and _is_word(low[start - 1]) and _is_word(low[start]):
                    continue
                tail_word = end < n and _is_word(low[end]) and _is_word(low[end - 1])
                for rule, prefix in entries:
                    if tail_word and not prefix:
                        continue
                    stop = end
                    if prefix:
                        while stop < n and _is_word(low[stop]):
                            stop += 1
                    if _negated(low, start) or _in_path(low, start, stop, rule.phrase):
                        continue
                    if not _in_url(low, start, rule.phrase):
                        yield RuleHit(rule, start, stop)
        for i in self._regex_candidates(text):
            rx, rule = self._regexes[i]
            for m in prefilter.finditer(rx, text):  # rx.finditer, tried where its leading word occurs
                if not _negated(text, m.start()):
                    yield RuleHit(rule, m.start(), m.end())

    def _regex_candidates(self, text: str) -> Sequence[int]:
        """Indices of the regexes that may match text, in order (the others cannot).

        The prefilter reasons about ASCII text only; other characters are replaced by "?", which can
        only add candidates, unless one of them folds to an ASCII letter under IGNORECASE.
        """
        if not text.isascii():
            if prefilter.folds_to_ascii(text):  # (set.isdisjoint walked the report a character at a time)
                return range(len(self._regexes))
            text = text.encode("ascii", "replace").decode("ascii")
        picks = self._regex_filter.candidates(text)
        return range(len(self._regexes)) if picks is None else picks


_CONTEXT_REACH = 100  # characters either side of a hit, within its sentence, where an excluding context counts
_SENTENCE_BREAK = re.compile(r"[.!?](?=\s)|\n")


def _clause_around(text: str, start: int, end: int) -> str:
    """The hit's sentence, at most _CONTEXT_REACH characters either side of it."""
    lo = max(0, start - _CONTEXT_REACH)
    before = [m.end() for m in _SENTENCE_BREAK.finditer(text, lo, start)]
    after = _SENTENCE_BREAK.search(text, end, end + _CONTEXT_REACH)
    return text[before[-1] if before else lo : after.start() if after else end + _CONTEXT_REACH]


def _negated(text: str, start: int) -> bool:
    """True when the phrase at start is denied in its own clause ("unlike ransomware", "no way to decrypt")."""
    clause = _CLAUSE_END.split(text[max(0, start - _NEG_WINDOW) : start])[-1]
    return bool(_NEGATION.search(clause))


_PATH_SEP = "/\\"


def _in_path(text: str, start: int, end: int, phrase: str) -> bool:
    """True when the phrase names a folder of a file path or URL ("/Users/joker/Downloads/Spy").

    A folder called Downloads is not a download.  A file at the end of a path still counts
    ("System32\\rundll32.exe"), and so do phrases that are paths themselves ("/bin/sh").
    """
    if any(c in phrase for c in _PATH_SEP) or end >= len(text):
        return False
    return text[end] in _PATH_SEP and start > 0 and text[start - 1] in _PATH_SEP


_URL_START = re.compile(r"(?:[a-z][a-z0-9+.-]*://|www\.)")
_TOKEN_OPEN = " \t\n\r(<[\"'`"
_URL_REACH = 300  # characters back to the start of the token a hit sits in


def _in_url(text: str, start: int, phrase: str) -> bool:
    """True when the phrase is a word of a URL ("https://example.com/2018/11/new-watering-hole-attack/").

    A URL's slug is the title of someone else's article, not behaviour (issue 18, fourth session: T1189
    from a link to an older write-up).  Phrases written as a domain or path ("pastebin.com") still count.
    """
    if any(c in phrase for c in "./:"):
        return False
    lo = max(0, start - _URL_REACH)
    token = max(text.rfind(c, lo, start) for c in _TOKEN_OPEN) + 1
    return bool(_URL_START.match(text, max(token, lo), start))


def _is_regex(phrase: str) -> bool:
    # "/bin/sh" stays a literal: only text wrapped in slashes at both ends is a regex
    return len(phrase) >= 3 and phrase.startswith("/") and phrase.endswith("/")


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"
