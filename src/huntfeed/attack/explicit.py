"""Technique ids written in the text (T1059.001, T1059/001, T1086...)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from huntfeed.attack.catalog import Catalog

_ID = re.compile(r"(?<![\w.])T(\d{4})(?:[./](\d{3}))?(?![\w])")


def find_ids(text: str, catalog: Catalog) -> Iterator[tuple[str, int, int]]:
    """Yield (current technique id, start, end) for every id that exists, after revoked-by remapping."""
    for m in _ID.finditer(text):
        raw = f"T{m.group(1)}" + (f".{m.group(2)}" if m.group(2) else "")
        tid = catalog.resolve(raw)
        if tid is None and m.group(2):
            continue  # an unknown sub-technique says nothing reliable about its parent
        if tid is not None:
            yield tid, m.start(), m.end()


_ANY_ID = re.compile(r"T\d{4}(?:[./]\d{3})?")
_WORDS = re.compile(r"[A-Za-z]{2,}")


def in_prose(sentence: str) -> bool:
    """True where an id sits in a sentence of prose, not in a mapping table or list.

    Tables repeat ATT&CK's own names next to many ids; an author writing "ran PowerShell
    (T1059.001) to ..." is stating an observation, which is the case worth trusting.
    """
    ids = _ANY_ID.findall(sentence)
    words = _WORDS.findall(_ANY_ID.sub(" ", sentence))
    return len(ids) <= 1 and len(words) >= 12
