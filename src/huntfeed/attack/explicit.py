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
