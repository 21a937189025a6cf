"""What `huntfeed extract` does once its arguments are parsed, without click.

``huntfeed.cli.extract_cmds`` is the command (click parses its options, writes its help and errors);
``huntfeed.cli.fast`` runs the same ``run`` for the plain forms of the command line without
importing click at all (a fifth of the command's start on a small file).
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable, Iterator
from typing import IO, Any

from huntfeed._native import load as _load_native
from huntfeed.errors import ParseError
from huntfeed.extract import ExtractContext
from huntfeed.extract.engine import CHUNK, Row, collect, rows
from huntfeed.kinds import Fidelity, IndicatorType

_FIELDS = ("type", "value", "raw", "start", "end", "defanged", "fidelity", "reason")
# json.dumps's own string encoder (the C one where present), so the hand-joined line below is
# byte for byte what json.dumps(..., ensure_ascii=False) writes for the same dict.
_enc: Callable[[str], str] = json.encoder.encode_basestring
_TYPE_JSON = {t: '{"type": ' + _enc(t.value) for t in IndicatorType}
_FIDELITY_JSON = {f: ', "fidelity": ' + _enc(f.value) for f in Fidelity}


def _as_dict(row: Row) -> dict[str, Any]:
    kind, value, raw, start, end, defanged, fidelity, reason = row
    return {
        "type": kind.value,
        "value": value,
        "raw": raw,
        "start": start,
        "end": end,
        "defanged": defanged,
        "fidelity": fidelity.value,
        "reason": reason,
    }


def json_line(doc_id: str, found: list[Row]) -> str:
    """``json.dumps({"id": doc_id, "indicators": [_as_dict(row), ...]}, ensure_ascii=False)``, joined
    by hand: json.dumps walks a dict per indicator, and a real report lists hundreds of them."""
    return _json_line(doc_id, found, _TYPE_JSON, _FIDELITY_JSON)


def _json_line_py(doc_id: str, found: list[Row], types: dict[IndicatorType, str], fids: dict[Fidelity, str]) -> str:
    """The line as one f-string per row (the C twin: _native/extract_group.c json_line)."""
    enc = _enc
    items = [
        f'{types[kind]}, "value": {enc(value)}, "raw": {enc(raw)}, "start": {start!r}, "end": {end!r}, '
        f'"defanged": {"true" if defanged else "false"}{fids[fidelity]}, "reason": {enc(reason)}}}'
        for kind, value, raw, start, end, defanged, fidelity, reason in found
    ]
    return '{"id": ' + enc(doc_id) + ', "indicators": [' + ", ".join(items) + "]}"


# The C twin writes the line in one buffer: 16,000 rows per 63 real reports, 8,000 instructions
# a row through the f-string and its four string encodings. The Python one where it is not built
# or HUNTFEED_PURE=1.
_NATIVE = _load_native("extract_group")
_json_line: Callable[[str, list[Row], dict[IndicatorType, str], dict[Fidelity, str]], str] = (
    _NATIVE.json_line if _NATIVE is not None else _json_line_py
)


def _stream_pieces(fh: IO[str], size: int = CHUNK) -> Iterator[tuple[int, str]]:
    """(offset, piece) read from ``fh`` and cut at line ends, so a large file never sits in memory."""
    offset, carry = 0, ""
    while True:
        block = fh.read(size)
        if not block:
            break
        buf = carry + block
        nl = buf.rfind("\n")
        if nl < 0 and len(buf) < 4 * size:
            carry = buf
            continue
        cut = nl + 1 if nl >= 0 else len(buf)
        yield offset, buf[:cut]
        offset += cut
        carry = buf[cut:]
    if carry:
        yield offset, carry


def _write(doc_id: str, found: list[Row], fmt: str, out: IO[str], writer: Any) -> None:
    if fmt == "json":
        out.write(json_line(doc_id, found))
        out.write("\n")
    elif fmt == "csv":
        for row in found:
            fields = _as_dict(row)
            writer.writerow([doc_id, *(fields[f] for f in _FIELDS)])
    else:
        for kind, value, _, _, _, _, fidelity, reason in found:
            out.write(f"{kind.value}\t{value}\t{fidelity.value}\t{reason}\n")


def run(fh: IO[str], path: str, all_: bool, jsonl: bool, fmt: str, source_url: str) -> None:
    """Read ``fh`` (the file ``path``, opened with encoding utf-8 and errors="replace"; the caller
    closes it) and write its indicators to stdout as ``fmt``: the command's whole work."""
    out: IO[str] = sys.stdout
    writer: Any = None
    if fmt == "csv":
        from huntfeed.render.csv_out import RowWriter  # only for CSV: 3 ms of every other start

        writer = RowWriter(out)
        writer.writerow(["id", *_FIELDS])
    ctx = ExtractContext(source_url=source_url)
    if not jsonl:
        found = rows(collect(_stream_pieces(fh)), all=all_, context=ctx)
        _write(path, found, fmt, out, writer)
        return
    for no, line in enumerate(fh, 1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
            doc_id, text = str(doc.get("id", no)), doc["text"]
            if not isinstance(text, str):
                raise TypeError("text is not a string")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ParseError(f"bad JSONL document: {exc}", where=f"{path}:{no}") from exc
        doc_ctx = ExtractContext(source_url=str(doc.get("url", "")) or source_url)
        found = rows(collect(_stream_pieces(io.StringIO(text))), all=all_, context=doc_ctx)
        _write(doc_id, found, fmt, out, writer)
    sys.stdout.flush()
