"""The hunt library compiled once: one trigger automaton, queries converted once and kept on disk.

Two costs used to grow with the library on every article:

* each use case's phrase pattern (and each platform's cue pattern) scanned the whole text, one
  regex pass per use case. ``TriggerIndex`` puts every phrase and cue word of the library into one
  Aho-Corasick automaton and finds, in one pass, the same matches the patterns find (the tests
  compare both on every use case, the demo corpus and the development reports);
* every fired use case's Sigma rule was parsed and converted to SPL and KQL by pySigma in each
  new process. ``QueryCache`` converts each rule once per target and keeps the result in memory
  and in a file in the cache folder, keyed by the rule's text and by the versions of pySigma, its
  backends and huntfeed's own conversion code; a process that finds the file never imports pySigma.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import logging
import re
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import ahocorasick

from huntfeed import __version__
from huntfeed.paths import cache_dir, write_cache_file

log = logging.getLogger(__name__)

# The automaton runs on the text with ASCII letters lower-cased and the few other characters that
# Python's case-insensitive matching equates with an ASCII letter mapped to it (U+0130 and U+0131
# to "i", U+017F to "s", U+212A to "k"): every match of a use case's IGNORECASE pattern is then a
# substring of the folded text, so the automaton never misses a use case its pattern would fire.
# tests/test_hunts_compiled.py checks this table against every code point.
FOLD = {ord(c): c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"} | {
    0x130: "i",
    0x131: "i",
    0x17F: "s",
    0x212A: "k",
}


_ASCII_LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
_SPECIAL = {chr(k): v for k, v in FOLD.items() if k > 127}


def fold(text: str) -> str:
    """The text the automaton scans: ``text.translate(FOLD)``.

    ``str.translate`` with a dict looks every character up (about 1 ms for a 30 KB report); A-Z
    are lowered here on the UTF-8 bytes instead (no other character's encoding holds an ASCII
    byte), and the four other characters, where present, are replaced one for one.
    """
    if text.isascii():
        return text.lower()
    out = text.encode("utf-8", "surrogatepass").translate(_ASCII_LOWER).decode("utf-8", "surrogatepass")
    for char, folded in _SPECIAL.items():
        if char in out:
            out = out.replace(char, folded)
    return out


def _blocks(c: str) -> bool:
    """What the patterns' ``(?<![\\w-])`` and ``(?![\\w-])`` refuse next to a match (Unicode \\w)."""
    return c.isalnum() or c in "_-"


@dataclass(frozen=True, slots=True)
class Scan:
    """What one pass found: each use case's phrase matches in order, and the platforms named."""

    phrases: dict[str, list[str]]  # use-case key -> the texts its phrase pattern matches, in order
    platforms: frozenset[str]


class TriggerIndex:
    """Every phrase and platform cue of the library in one automaton, matched as their patterns would.

    A use case's phrase pattern is ``(?<![\\w-])(?:longest|...|shortest)(?![\\w-])``, case-insensitive,
    over the lower-cased text; ``finditer`` takes, left to right, the longest phrase with both
    boundaries at each position and goes on after it. ``scan`` does the same from the automaton's
    occurrences. A platform is named when any of its cue words occurs with its boundaries (none
    before a cue that starts with a dot). Keys in ``always`` (words the automaton cannot stand for)
    and any text whose lower-casing changes its length are left to the patterns themselves.
    """

    def __init__(self, phrases: Mapping[str, Iterable[str]], cues: Mapping[str, Iterable[str]]) -> None:
        self._automaton = ahocorasick.Automaton()
        table: dict[str, list[tuple[str, bool]]] = {}  # folded word -> (key, whether it is a platform cue)
        always: set[str] = set()
        for is_cue, source in ((False, phrases), (True, cues)):
            for key, words in source.items():
                for word in words:
                    folded = fold(word)
                    if not folded or not folded.isascii() or "\0" in folded:
                        always.add(key)
                    else:
                        table.setdefault(folded, []).append((key, is_cue))
        for word, keys in table.items():
            self._automaton.add_word(word, (len(word), word.startswith("."), tuple(keys)))
        if table:
            self._automaton.make_automaton()
        self._empty = not table
        self.always = frozenset(always)
        self._whole: dict[str, bool] = {}  # per use case: its context words need the whole text (see evidence_text)

    def evidence_text(
        self, scan: Scan, key: str, context: Sequence[str], pattern: re.Pattern[str] | None
    ) -> str | None:
        """What a use case's phrase pattern and context words must see of the text, or None for all of it.

        Its phrase matches, then the first match of each context word that occurs, NUL-separated (no
        phrase holds a NUL, and a NUL is a word boundary): the phrase pattern finds the same matches
        in the same order as over the whole text, and a context word's pattern finds itself exactly
        when it occurs there (inside a phrase match too: a match's ends are boundaries in the text).
        That needs every context word in the automaton and none that the phrase pattern matches
        (which would add phrase matches); otherwise the whole text.
        """
        whole = self._whole.get(key)
        if whole is None:
            whole = self._whole[key] = key in self.always or any(
                context_key(key, word) in self.always or (pattern is not None and pattern.search(word.lower()))
                for word in context)
        if whole:
            return None
        found = list(scan.phrases.get(key, ()))
        found += [matches[0] for word in context if (matches := scan.phrases.get(context_key(key, word)))]
        return "\0".join(found)

    def scan(self, text: str, lowered: str) -> Scan | None:
        """One pass over ``text`` (``lowered`` is ``text.lower()``); None where the patterns must run."""
        if len(lowered) != len(text):
            return None  # U+0130 lower-cases to two characters: positions no longer line up
        spans: dict[str, list[tuple[int, int]]] = {}
        named: set[str] = set()
        for last, (length, dotted, keys) in ([] if self._empty else self._automaton.iter(fold(text))):
            start, end = last - length + 1, last + 1
            for key, is_cue in keys:
                if is_cue:
                    if key not in named and (end == len(text) or not _blocks(text[end])) and (
                            dotted or start == 0 or not _blocks(text[start - 1])):
                        named.add(key)
                elif (end == len(lowered) or not _blocks(lowered[end])) and (
                        start == 0 or not _blocks(lowered[start - 1])):
                    spans.setdefault(key, []).append((start, end))
        return Scan({key: _leftmost_longest(found, lowered) for key, found in spans.items()}, frozenset(named))


def context_key(key: str, word: str) -> str:
    """The automaton's key for one context word of use case ``key``: its own pattern, matched on its own."""
    return f"{key}\0context\0{word}"


def _leftmost_longest(spans: list[tuple[int, int]], lowered: str) -> list[str]:
    out, taken = [], 0
    for start, end in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start >= taken:
            out.append(lowered[start:end])
            taken = end
    return out


# The code whose output the cache stores: a change to any of them (or to pySigma) is a new key.
_CONVERSION_SOURCES = ("convert.py", "cim.py", "spl_lint.py", "registry.py", "kusto_conventions.py", "window.py")
_CONVERSION_PACKAGES = ("pySigma", "pysigma-backend-splunk", "pySigma-backend-kusto")


def conversion_fingerprint() -> str:
    """A digest of huntfeed's conversion code and the installed pySigma packages' versions."""
    h = hashlib.sha256(f"huntfeed {__version__}\n".encode())
    for package in _CONVERSION_PACKAGES:
        try:
            h.update(f"{package} {metadata.version(package)}\n".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{package} absent\n".encode())
    here = Path(__file__).parent
    for name in _CONVERSION_SOURCES:
        h.update(name.encode() + b"\0" + (here / name).read_bytes())
    return h.hexdigest()[:32]




MAX_ENTRIES = 4096  # a file only grows while rules change under one fingerprint; past this, keep the used ones


DEFENDER_TABLES_LABEL = "// Defender tables: no ASIM parser expresses this rule (needs Defender XDR data in Sentinel)"


def defender_tables_for_sentinel(kql: str) -> str:
    """A Defender query offered as the Sentinel hunt, labelled so nobody mistakes it for ASIM.

    Plain text, kept here rather than in ``convert`` so that a use case without a Sentinel query of
    its own, read back from the cache, does not import pySigma (0.25 s of every ``analyze`` start).
    """
    return kql if kql.startswith(DEFENDER_TABLES_LABEL) else f"{DEFENDER_TABLES_LABEL}\n{kql}"


# Seconds between two writes of the query file while rules convert: each write is the whole file, and
# writing it after every conversion grew with the square of the rules converted (57 writes for the 21
# real reports of bench/throughput.py; an imported SigmaHQ library would convert thousands). What is
# left unwritten is written by `QueryCache.flush`, which also runs when the process exits.
SAVE_EVERY = 2.0
_PENDING: set[QueryCache] = set()  # (held until written: a command drops its library before the process exits)


@atexit.register
def _flush_pending() -> None:
    for cache in list(_PENDING):
        cache.flush()


@dataclass(eq=False)  # (hashed by identity: it sits in _PENDING while it has unwritten entries)
class QueryCache:
    """Converted queries by (target, SHA-256 of the Sigma text); ``None`` records a failed conversion."""

    path: Path | None
    fingerprint: str
    entries: dict[str, str | None] = field(default_factory=dict)
    _used: set[str] = field(default_factory=set)
    _dirty: bool = False
    _saved_at: float | None = None  # time.monotonic() of the last write
    # The web app analyses in worker threads: one conversion and one file write at a time.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @classmethod
    def open(cls, folder: Path | None = None) -> QueryCache:
        """The cache for this installation; an unreadable or foreign file is ignored (and replaced)."""
        fingerprint = conversion_fingerprint()
        path = (folder or cache_dir()) / f"hunt-queries-{fingerprint}.json"
        cache = cls(path, fingerprint)
        with contextlib.suppress(OSError, ValueError):
            doc = json.loads(path.read_text(encoding="utf-8"))
            entries = doc.get("entries") if isinstance(doc, dict) and doc.get("fingerprint") == fingerprint else None
            if isinstance(entries, dict) and all(isinstance(k, str) and (v is None or isinstance(v, str))
                                                 for k, v in entries.items()):
                cache.entries = entries
        return cache

    def convert(self, sigma_yaml: str, targets: Iterable[str]) -> dict[str, str]:
        """The rule converted to each target that converts (a failure is left out, as lint reports it)."""
        digest = hashlib.sha256(sigma_yaml.encode("utf-8")).hexdigest()
        out: dict[str, str] = {}
        with self._lock:
            for target in targets:
                key = f"{target}:{digest}"
                if key not in self.entries:
                    self.entries[key] = _convert(target, sigma_yaml)
                    self._dirty = True
                self._used.add(key)
                if (query := self.entries[key]) is not None:
                    out[target] = query
            if self._dirty:
                if self._saved_at is None or time.monotonic() - self._saved_at >= SAVE_EVERY:
                    self.save()  # the first conversion of a process is written at once
                else:
                    _PENDING.add(self)
        return out

    def flush(self) -> None:
        """Write the entries converted since the last write, if any."""
        with self._lock:
            if self._dirty:
                self.save()

    def save(self) -> None:
        """Write the file atomically (under the lock); an unwritable folder only costs the next process time."""
        self._dirty = False
        self._saved_at = time.monotonic()
        _PENDING.discard(self)
        if self.path is None:
            return
        entries = self.entries
        if len(entries) > MAX_ENTRIES:
            entries = {k: v for k, v in entries.items() if k in self._used}
        doc = {"fingerprint": self.fingerprint, "entries": entries}
        try:
            write_cache_file(self.path, json.dumps(doc, ensure_ascii=False).encode("utf-8"))
        except OSError as exc:
            log.debug("hunt query cache not written to %s: %s", self.path, exc)


def _convert(target: str, sigma_yaml: str) -> str | None:
    from huntfeed.errors import QueryError
    from huntfeed.hunts.convert import CONVERTERS  # pySigma loads only when a rule is not cached

    try:
        return CONVERTERS[target](sigma_yaml)
    except QueryError:
        return None
