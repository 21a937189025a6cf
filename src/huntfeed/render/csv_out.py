"""CSV of indicators, one row per (profile, indicator), safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import IO

from huntfeed.model import Profile
from huntfeed.render.ioc_format import defang as defang_value
from huntfeed.render.ioc_format import utc

COLUMNS = ("profile_id", "version", "severity", "published", "source", "title", "type", "value",
           "fidelity", "raw", "reason", "article_url")
# A cell starting with one of these is run as a formula by Excel, LibreOffice and Sheets.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# A spreadsheet in a locale whose list separator is ";" (or one guessing "," "|" or tab) splits a
# cell at that character, and the piece after it is a cell of its own: neutralise every piece.
_LIVE_AFTER_SEPARATOR = re.compile(r"([;,|\t]\s*)([=+\-@])")


def neutralise(cell: str) -> str:
    """Quote-prefix every part of a cell a spreadsheet would evaluate as a formula (CSV injection)."""
    cell = _LIVE_AFTER_SEPARATOR.sub(r"\1'\2", cell)
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


class RowWriter:
    """A CSV writer with ``\\n`` row ends that still quotes a cell holding a lone carriage return.

    ``csv.writer`` quotes only the characters of its own line terminator, so with ``\\n`` a bare
    ``\\r`` in a cell went out unquoted and every reader split the row there. Each row is written
    with ``\\r\\n`` (which makes the writer quote both characters) and its terminator swapped.
    """

    def __init__(self, out: IO[str]) -> None:
        self._out = out
        self._buf = io.StringIO()
        self._writer = csv.writer(self._buf, lineterminator="\r\n")

    def writerow(self, row: Iterable[str]) -> None:
        """Write one row, ended by ``\\n``."""
        self._buf.seek(0)
        self._buf.truncate()
        self._writer.writerow(row)
        self._out.write(self._buf.getvalue()[:-2] + "\n")


def render(profiles: Sequence[Profile], *, defang: bool = False) -> str:
    """CSV of the indicators of ``profiles``; ``defang`` breaks network values for safe sharing."""
    buf = io.StringIO()
    writer = RowWriter(buf)
    writer.writerow(COLUMNS)
    for p in profiles:
        published = utc(p.published).date().isoformat() if p.published else ""
        for ind in p.indicators:
            value = defang_value(ind.value, ind.type) if defang else ind.value
            row = (p.id, str(p.version), p.severity.value, published, p.source, p.title, ind.type.value,
                   value, ind.fidelity.value, defang_value(ind.raw, ind.type) if defang else ind.raw,
                   ind.reason, p.url)
            writer.writerow([neutralise(c) for c in row])
    return buf.getvalue()


def render_defanged(profiles: Sequence[Profile]) -> str:
    """CSV with defanged values (the ``csv`` format's --defang option)."""
    return render(profiles, defang=True)
