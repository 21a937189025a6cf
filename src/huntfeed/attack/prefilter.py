"""Which sentences some evidence pattern could match at all, from the words the patterns require.

The evidence filter (`evidence.EvidenceRules.reason`) searches every sentence with an alternation
of some sixty case-insensitive patterns; on real reports that is most of its 40 ms per report, and
four sentences in five match none of them.  Most patterns cannot match without certain literal
text ("not", "rule", "recommend"...): those literals are read from each pattern's parse tree, one
Aho-Corasick pass finds which occur in a sentence, and a sentence in which no pattern has all of
its required literals is never searched with it: only the patterns that can match are (in the
filter's own order), instead of the alternation of all of them and then each in turn.

The test is sound, never a guess: a pattern's requirement is a conjunction of clauses, each a set
of literals of which one must occur (a literal run in a sequence, the alternatives of a group,
the body of a repeat taken at least once; anything else requires nothing).  It is applied only
to ASCII sentences, where case-insensitive matching of ASCII literals is plain lower-casing, and to
others with their non-ASCII characters replaced, unless one of them is one of the four that Python's
folding equates with an ASCII letter ("ſ" with "s", "K" with "k"...: such sentences are searched as
before), and not at all when a pattern refers back to a group (inside the alternation a group
number means another group).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import ahocorasick

try:  # the parser behind re.compile; without it every sentence is searched as before
    sre_parse: Any = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - another Python's layout
    sre_parse = None

Clause = frozenset[str]
# The non-ASCII characters that case-insensitive matching equates with an ASCII letter or digit
# (İ ı ſ and the Kelvin sign; tests/test_attack_prefilter.py scans every code point).
FOLDS_TO_ASCII = frozenset("\u0130\u0131\u017f\u212a")
_REPEATS = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")


class _Unusable(Exception):
    """A pattern the test must not reason about."""


def _sequence(items: Iterable[tuple[Any, Any]]) -> list[Clause]:
    clauses: list[Clause] = []
    run: list[str] = []

    def close() -> None:
        text = "".join(run)
        if text and text.isascii():  # a non-ASCII literal may match ASCII text under IGNORECASE
            clauses.append(frozenset([text.lower()]))
        run.clear()

    for op, av in items:
        name = getattr(op, "name", str(op))
        if name.startswith("GROUPREF"):  # a back-reference means another thing inside the alternation
            raise _Unusable(name)
        if name == "LITERAL":
            run.append(chr(av))
            continue
        close()
        if name == "SUBPATTERN":
            clauses.extend(_sequence(av[3]))
        elif name == "ATOMIC_GROUP":
            clauses.extend(_sequence(av))
        elif name in _REPEATS and av[0] >= 1:
            clauses.extend(_sequence(av[2]))
        elif name == "BRANCH":
            clause = _branch(av[1])
            if clause:
                clauses.append(clause)
    close()
    return clauses


def _branch(alternatives: Iterable[Iterable[tuple[Any, Any]]]) -> Clause | None:
    """One clause for a group of alternatives: the best clause of each, together (None if one has none)."""
    chosen: set[str] = set()
    for alternative in alternatives:
        clauses = _sequence(alternative)
        if not clauses:
            return None
        chosen |= max(clauses, key=lambda c: (min(len(x) for x in c), -len(c)))
    return frozenset(chosen)


def requirements(pattern: re.Pattern[str]) -> list[Clause]:
    """The clauses a text must satisfy for ``pattern`` to match anywhere in it ([] = none known)."""
    if sre_parse is None:
        raise _Unusable("no parser")
    return _sequence(sre_parse.parse(pattern.pattern, pattern.flags).data)


@dataclass(frozen=True)
class Prefilter:
    """Literals of every pattern in one automaton; each pattern's clauses as sets of literal ids."""

    automaton: ahocorasick.Automaton | None
    clauses: tuple[tuple[frozenset[int], ...], ...]  # per pattern, in order; () = requires nothing
    free: bool = False  # a pattern could not be analysed: no answer, search as before
    lengths: tuple[int, ...] = ()  # per literal id, its length (longer literals occur in fewer sentences)
    # Derived: the patterns that require nothing, and per literal the patterns whose key clause
    # holds it. A pattern can pass only if its key clause is met, so only the patterns a sentence's
    # literals point at are checked (one or two per sentence, instead of all sixty).
    always: tuple[int, ...] = field(init=False, default=())
    keyed: Mapping[int, tuple[int, ...]] = field(init=False, default_factory=dict)
    # The key clauses' literals alone (`pointed`): a sentence has 26 literal hits on average, 1.9 of these.
    keys: ahocorasick.Automaton | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        keyed: dict[int, list[int]] = {}
        size = self.lengths.__getitem__ if self.lengths else (lambda _lit: 1)
        for i, cnf in enumerate(self.clauses):
            if cnf:  # key: the clause whose shortest literal is longest (then the fewest literals)
                for lit in max(cnf, key=lambda c: (min(map(size, c)), -len(c))):
                    keyed.setdefault(lit, []).append(i)
        object.__setattr__(self, "always", tuple(i for i, cnf in enumerate(self.clauses) if not cnf))
        object.__setattr__(self, "keyed", {lit: tuple(v) for lit, v in keyed.items()})
        if self.automaton is not None and keyed:
            keys = ahocorasick.Automaton()
            for word, lit in self.automaton.items():
                if lit in keyed:
                    keys.add_word(word, lit)
            keys.make_automaton()
            object.__setattr__(self, "keys", keys)

    def _searchable(self, text: str) -> str | None:
        """``text`` as the literal test may read it, or None when the prefilter has no answer for it."""
        if self.free:
            return None
        if not text.isascii():
            # Under IGNORECASE only these non-ASCII characters match an ASCII literal; elsewhere a
            # non-ASCII character can only stand for itself, so "?" in its place loses no literal
            # (and can only add candidates). 2.5 % of real sentences, which each searched every pattern.
            if folds_to_ascii(text):
                return None
            text = text.encode("ascii", "replace").decode("ascii")
        return text

    def candidates(self, text: str) -> list[int] | None:
        """Indices of the patterns that may match ``text`` (the others cannot), ascending; None = no answer."""
        text_ = self._searchable(text)
        if text_ is None:
            return None
        if self.automaton is None:
            return list(self.always)
        present = {lit for _, lit in self.automaton.iter(text_.lower())}
        keyed, clauses = self.keyed, self.clauses
        pointed = {i for lit in present for i in keyed.get(lit, ())}
        found = [i for i in pointed if all(not c.isdisjoint(present) for c in clauses[i])]
        return sorted([*self.always, *found]) if found else list(self.always)

    def pointed(self, text: str) -> list[int] | None:
        """`candidates` and possibly more: the patterns whose key clause has a literal in ``text``, their
        other clauses unchecked, and those that require nothing; ascending; None = no answer.

        For the evidence patterns searching the few extra ones costs less than finding every literal
        of every clause: the evidence view 3.4-4.1 -> 1.9-2.2 ms per real report.
        """
        text_ = self._searchable(text)
        if text_ is None:
            return None
        if self.keys is None:
            return list(self.always)
        keyed = self.keyed
        pointed = {i for _, lit in self.keys.iter(text_.lower()) for i in keyed[lit]}
        return sorted([*self.always, *pointed]) if pointed else list(self.always)


def build(patterns: Iterable[re.Pattern[str]]) -> Prefilter:
    """The prefilter of patterns in order (one that gives no answer if any cannot be analysed)."""
    ids: dict[str, int] = {}
    compiled: list[tuple[frozenset[int], ...]] = []
    try:
        for rx in patterns:
            cnf = requirements(rx)
            compiled.append(tuple(frozenset(ids.setdefault(lit, len(ids)) for lit in clause) for clause in cnf))
    except (_Unusable, re.error, TypeError, ValueError, IndexError, AttributeError):
        return Prefilter(None, (), free=True)
    auto = None
    if ids:
        auto = ahocorasick.Automaton()
        for lit, i in ids.items():
            auto.add_word(lit, i)
        auto.make_automaton()
    return Prefilter(auto, tuple(compiled), lengths=tuple(len(lit) for lit in ids))


# Keyed by the alternation's identity (kept alive in the value): hashing a compiled pattern hashes
# its whole compiled code, 14 us for the evidence alternation, more than most sentences' test.
_BUILT: dict[int, tuple[re.Pattern[str], Prefilter, tuple[tuple[str, re.Pattern[str]], ...]]] = {}


def first_match(
    combined: re.Pattern[str], sections: Mapping[str, Sequence[re.Pattern[str]]], order: Sequence[str], text: str
) -> tuple[bool, str | None]:
    """(True, the first section in ``order`` with a pattern matching ``text``, or None), or (False, None)
    when the prefilter has no answer for this text.

    The same answer as searching the alternation of every pattern (``combined``) and then each
    section's patterns in turn: the alternation matches exactly when one of them does, and only
    the patterns that can match are searched.  Built once per rules object (keyed by ``combined`` itself).
    """
    found = _BUILT.get(id(combined))
    if found is None or found[0] is not combined:
        if len(_BUILT) > 32:
            _BUILT.clear()
        ordered = tuple((name, rx) for name in order for rx in sections.get(name, ()))
        found = _BUILT[id(combined)] = (combined, build(rx for _, rx in ordered), ordered)
    _, pf, ordered = found
    picks = pf.pointed(text)
    if picks is None:
        return False, None
    for i in picks:
        name, rx = ordered[i]
        if rx.search(text):
            return True, name
    return True, None


# --- Whole-text scans from where a match can start ------------------------------------------------
# A phrase rule's regex runs over the whole report (30 KB), and Python's engine tries it at every
# position: 1.2 ms a pattern, 12 ms per real report. Most of them begin (after zero-width \b or
# look-arounds) with a literal word ("cmd", "sc", "exploit", one of a group's alternatives): every
# match starts where one of those occurs, so the pattern is tried there alone, left to right and
# resuming after each match as finditer does, which gives the same matches.
_ZERO_WIDTH = ("AT", "ASSERT", "ASSERT_NOT")
_MIN_LEAD = 2  # a one-letter lead occurs nearly everywhere: no gain


def _leads(items: Sequence[tuple[Any, Any]]) -> frozenset[str] | None:
    """Lower-case ASCII literals one of which every match of the sequence starts with, or None."""
    for at, (op, av) in enumerate(items):
        name = getattr(op, "name", str(op))
        if name in _ZERO_WIDTH:
            continue
        if name == "LITERAL":
            run = []
            for op2, av2 in items[at:]:
                if getattr(op2, "name", str(op2)) != "LITERAL" or not chr(av2).isascii():
                    break
                run.append(chr(av2))
            lead = "".join(run).lower()
            if len(lead) >= _MIN_LEAD:
                return frozenset([lead])
            after = items[at + len(run) : at + len(run) + 1]  # "(?:saved|stored)" parses as "s", then a group
            more = _leads(after) if after and getattr(after[0][0], "name", "") in ("SUBPATTERN", "BRANCH") else None
            return frozenset(lead + m for m in more) if more and run else None
        if name == "SUBPATTERN":
            return _leads(av[3])
        if name == "BRANCH":
            found: set[str] = set()
            for alternative in av[1]:
                lead_set = _leads(alternative)
                if lead_set is None:
                    return None
                found |= lead_set
            return frozenset(found)
        return None
    return None


def leads(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """The literals a case-insensitive pattern's every match starts with (None: unknown)."""
    if sre_parse is None or not pattern.flags & re.IGNORECASE:
        return None
    try:
        return _leads(sre_parse.parse(pattern.pattern, pattern.flags).data)
    except (re.error, TypeError, ValueError, IndexError, AttributeError):
        return None


_LEADS: dict[int, tuple[re.Pattern[str], frozenset[str] | None]] = {}  # by the pattern's identity (see _BUILT)
_LAST: list[tuple[str, str | None]] = [("", "")]  # the last text and its lower-casing: a report's patterns share it


def folds_to_ascii(text: str) -> bool:
    """Whether ``text`` holds one of `FOLDS_TO_ASCII` (four substring searches: a set's isdisjoint
    walks the text one character object at a time, 0.6 ms for a 30 KB report)."""
    return not text.isascii() and any(c in text for c in FOLDS_TO_ASCII)


def _lowered(text: str) -> str | None:
    """``text.lower()`` when its positions are the text's and ASCII literals find every case-insensitive
    occurrence in it, else None. Kept for the next call with the same text (lower-casing a 30 KB report
    that is not ASCII takes 0.2 ms)."""
    last, low = _LAST[0]
    if last is not text:
        low = text.lower()
        low = low if len(low) == len(text) and not folds_to_ascii(text) else None
        _LAST[0] = (text, low)
    return low


def finditer(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)``, trying the pattern only where one of its `leads` occurs.

    Used where the text is ASCII or holds no character that folds to an ASCII letter, and its
    lower-casing keeps its length (then lower-cased positions are the text's); else as finditer.
    """
    found = _LEADS.get(id(pattern))
    if found is None or found[0] is not pattern:
        if len(_LEADS) > 256:
            _LEADS.clear()
        found = _LEADS[id(pattern)] = (pattern, leads(pattern))
    starts = found[1]
    low = _lowered(text) if starts else None
    if starts is None or low is None:
        yield from pattern.finditer(text)
        return
    positions: set[int] = set()
    for lead in starts:
        at = low.find(lead)
        while at >= 0:
            positions.add(at)
            at = low.find(lead, at + 1)
    end = 0
    for at in sorted(positions):
        if at >= end and (m := pattern.match(text, at)) is not None:
            yield m
            end = max(m.end(), at + 1)


def search(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """``pattern.search(text)``, trying the pattern only where one of its `leads` occurs (`finditer`).

    The hunt library's whole-word cue patterns ("(?<![\\w-])(?:azure|entra id|...)(?![\\w-])") each
    scanned a 30 KB report at every position, 1.35 ms a search, ten per real report.
    """
    return next(finditer(pattern, text), None)
