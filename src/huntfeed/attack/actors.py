"""Recognise ATT&CK groups, malware, tools and campaigns by name or alias.

One Aho-Corasick automaton holds every name; matches must sit on word boundaries.  Names that
are also ordinary words or product names (``data/attack/ambiguous_names.txt``) count only as
proper names: exact ATT&CK capitalisation and an actor/malware noun or attribution phrase beside
them. Names of three characters or fewer count only as ``NAME.exe``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import ahocorasick

from huntfeed.attack.catalog import Catalog, Entity
from huntfeed.attack.text import Sentence, sentence_index
from huntfeed.model import ActorHit, Evidence
from huntfeed.paths import package_data

# A name that is also a word or a product counts only as a proper name: written as ATT&CK writes
# it, with an actor or malware noun right beside it ("the Patchwork group", "Machete malware") or
# an attribution phrase just before it ("attributed to Gallium", "tracked as Sidewinder"). A
# security word elsewhere in the sentence is not enough: "a patchwork of threat tools".
_NOUNS = (
    r"group|apt\w*|actors?|threat\s+(?:actors?|group)|gang|crew|operators?|campaign|intrusion\s+set|"
    r"adversary|malware|ransomware|backdoor|trojan|rat|loader|implant|tool(?:s|kit)?|framework|variant|"
    r"family|botnet|stealer|infostealer|wiper|worm|payload|dropper|beacons?|c2|agent|samples?|affiliates?"
)
# Right after the name: the noun itself, or one capitalised word first ("Machete APT group").
_AFTER = re.compile(
    r"[\s\"'\u2019\u201d)]*(?:(?:[A-Z][\w-]*\s+)?(?i:" + _NOUNS + r")\b"
    r"|,?\s*(?i:also\s+known\s+as|aka|a\.k\.a\.)\s)"
)
_BEFORE = re.compile(
    r"\b(?:attributed\s+to|attribut\w*\s+(?:[\w-]+\s+){0,3}?to|linked\s+to|tied\s+to|known\s+as|aka|a\.k\.a\.|"
    r"tracked\s+as|dubbed|used\s+by|deployed\s+by|operated\s+by|variant\s+of|" + _NOUNS + r")"
    r"\s+(?:the\s+|an?\s+)?[\"'\u201c(]?$",
    re.IGNORECASE,
)
_SHORT = 3


@dataclass(frozen=True, slots=True)
class _Name:
    entity: Entity
    written: str
    strict: bool


def load_builtin(path: Path | None = None) -> frozenset[str]:
    """Lower-cased names of operating-system utilities that are never reported as actors."""
    return load_ambiguous(path or package_data("attack", "builtin_tools.txt"))


def load_ambiguous(path: Path | None = None) -> frozenset[str]:
    """Lower-cased names that need context."""
    path = path or package_data("attack", "ambiguous_names.txt")
    out = set()
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            out.add(line.lower())
    return frozenset(out)


class ActorRecognizer:
    """Finds named entities of a catalog in text."""

    def __init__(
        self, catalog: Catalog, ambiguous: frozenset[str] | None = None, builtin: frozenset[str] | None = None
    ) -> None:
        ambiguous = load_ambiguous() if ambiguous is None else ambiguous
        builtin = load_builtin() if builtin is None else builtin
        self._auto = ahocorasick.Automaton()
        table: dict[str, list[_Name]] = {}
        for ent in catalog.entities.values():
            if ent.kind == "tool" and ent.name.lower() in builtin:
                continue
            for written in (ent.name, *ent.aliases):
                key = written.lower().strip()
                if len(key) < 2:
                    continue
                strict = key in ambiguous or len(key) <= _SHORT
                table.setdefault(key, []).append(_Name(ent, written, strict))
        for key, names in table.items():
            self._auto.add_word(key, (len(key), names))
        self._ready = bool(table)
        if self._ready:
            self._auto.make_automaton()

    def find(self, text: str, sentences: Sequence[Sentence]) -> list[ActorHit]:
        """Every entity named in text, with the sentences that name it (first five)."""
        if not self._ready:
            return []
        low = text.lower()
        n = len(low)
        spans: list[tuple[int, int, _Name]] = []
        for end_idx, (length, names) in self._auto.iter(low):
            start, end = end_idx - length + 1, end_idx + 1
            if (start > 0 and _word(low[start - 1])) or (end < n and _word(low[end])):
                continue
            for name in names:
                if name.strict and not self._strict_ok(text, start, end, name, sentences):
                    continue
                spans.append((start, end, name))
        # Longest match wins where names overlap ("Cobalt Strike" over "Cobalt").
        spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
        hits: dict[str, tuple[_Name, list[Evidence]]] = {}
        last_end = -1
        for start, end, name in spans:
            if start < last_end and (end - start) < (last_end - start):
                continue
            last_end = max(last_end, end)
            sent = _sentence_at(sentences, start)
            ev = (
                Evidence(sent.text, sent.start, sent.end, note=text[start:end])
                if sent
                else Evidence(text[start:end], start, end)
            )
            entry = hits.setdefault(name.entity.stix_id, (name, []))
            if len(entry[1]) < 5 and all(e.start != ev.start for e in entry[1]):
                entry[1].append(ev)
        return [
            ActorHit(
                stix_id=sid,
                name=nm.entity.name,
                kind=nm.entity.kind,
                matched=nm.written,
                attack_id=nm.entity.id,
                evidence=tuple(evs),
            )
            for sid, (nm, evs) in hits.items()
        ]

    @staticmethod
    def _strict_ok(text: str, start: int, end: int, name: _Name, sentences: Sequence[Sentence]) -> bool:
        if text[start:end] != name.written:
            return False
        if len(name.written) <= _SHORT:
            return text[end : end + 4].lower() == ".exe"
        sent = _sentence_at(sentences, start)
        lo, hi = (sent.start, sent.end) if sent else (max(0, start - 150), end + 150)
        # The name itself is no context: "Wiper" (S0041) in a tag list must not vouch for itself as "wiper".
        after = text[end : min(hi, end + 60)]
        before = text[max(lo, start - 60) : start]
        return bool(_AFTER.match(after)) or bool(_BEFORE.search(before))


def _word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _sentence_at(sentences: Sequence[Sentence], pos: int) -> Sentence | None:
    i = sentence_index(sentences, pos)
    return None if i is None else sentences[i]
