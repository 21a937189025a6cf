"""`huntfeed extract`: indicators out of a text file, stdin or a JSONL stream of documents."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from typing import IO, Any

import click

from huntfeed.errors import ParseError
from huntfeed.extract import ExtractContext
from huntfeed.extract.engine import CHUNK, collect, finish
from huntfeed.model import Indicator
from huntfeed.render.csv_out import RowWriter

_FIELDS = ("type", "value", "raw", "start", "end", "defanged", "fidelity", "reason")


def _as_dict(ind: Indicator) -> dict[str, Any]:
    return {
        "type": ind.type.value,
        "value": ind.value,
        "raw": ind.raw,
        "start": ind.start,
        "end": ind.end,
        "defanged": ind.defanged,
        "fidelity": ind.fidelity.value,
        "reason": ind.reason,
    }


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


def _write(doc_id: str, found: tuple[Indicator, ...], fmt: str, out: IO[str], writer: Any) -> None:
    if fmt == "json":
        out.write(json.dumps({"id": doc_id, "indicators": [_as_dict(i) for i in found]}, ensure_ascii=False))
        out.write("\n")
    elif fmt == "csv":
        for ind in found:
            row = _as_dict(ind)
            writer.writerow([doc_id, *(row[f] for f in _FIELDS)])
    else:
        for ind in found:
            out.write(f"{ind.type.value}\t{ind.value}\t{ind.fidelity.value}\t{ind.reason}\n")


@click.command("extract")
@click.argument("path", required=False, default="-", type=click.Path(allow_dash=True, dir_okay=False))
@click.option(
    "--all", "all_", is_flag=True, help="Every syntactically valid indicator, not only high-fidelity ones."
)
@click.option(
    "--jsonl", is_flag=True, help='Input is JSON lines {"id", "text"}; one result line per document.'
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv", "text"]),
    default="json",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--source-url", default="", help="URL of the article: indicators on its own site are low fidelity."
)
def extract_cmd(path: str, all_: bool, jsonl: bool, fmt: str, source_url: str) -> None:
    """Extract indicators of compromise (refanged, with fidelity and reason) from text.

    \b
    Examples:
      huntfeed extract report.txt                  # high-fidelity indicators as JSON
      huntfeed extract report.txt --all --format text
      cat docs.jsonl | huntfeed extract - --jsonl  # {"id","text"} lines in, one result per line
    """
    out: IO[str] = sys.stdout
    writer: Any = RowWriter(out) if fmt == "csv" else None
    if writer is not None:
        writer.writerow(["id", *_FIELDS])
    ctx = ExtractContext(source_url=source_url)
    with click.open_file(path, "r", encoding="utf-8", errors="replace") as fh:
        if not jsonl:
            found = finish(collect(_stream_pieces(fh)), all=all_, context=ctx)
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
            found = finish(collect(_stream_pieces(io.StringIO(text))), all=all_, context=doc_ctx)
            _write(doc_id, found, fmt, out, writer)
    sys.stdout.flush()


commands: list[click.Command] = [extract_cmd]
