"""A standalone document (file, stdin, ``--jsonl`` line, URL, API) made ready for analysis, bounded.

Every entry point of ``analyze`` and ``POST /api/analyze`` reads its input through
``read_document``, so one limit holds for all of them: at most ``MAX_DOCUMENT_BYTES`` of input
are read (an HTML page's text extraction costs about 30 times its size in memory) and at most
``MAX_TEXT`` characters of text are analysed (analysis costs about 500 times the text). Each cut
is returned as a note that the caller puts in the profile. Binary and empty input is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from huntfeed.errors import ParseError
from huntfeed.feeds.article import BINARY_MAGIC, MAX_TEXT, document_text
from huntfeed.feeds.parse import clean_text

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Document:
    """A document's text as analysed, and what was cut on the way."""

    text: str
    notes: tuple[str, ...] = ()


def read_limited(stream: BinaryIO) -> tuple[bytes, bool]:
    """At most ``MAX_DOCUMENT_BYTES`` from a stream, and whether there was more (the rest is not read)."""
    data = stream.read(MAX_DOCUMENT_BYTES + 1)
    return data[:MAX_DOCUMENT_BYTES], len(data) > MAX_DOCUMENT_BYTES


def _refuse_binary(head: bytes, where: str) -> None:
    what = next((name for magic, name in BINARY_MAGIC.items() if head.startswith(magic)), "")
    if what or b"\x00" in head:
        raise ParseError(f"input is {what or 'binary data'}, not text or HTML; nothing analysed", where=where)


def read_document(raw: bytes | str, *, url: str = "", where: str = "", more: bool = False) -> Document:
    """The text to analyse from raw input (``more``: the reader stopped at the byte limit)."""
    notes: list[str] = []
    data = raw if isinstance(raw, bytes) else raw[: MAX_DOCUMENT_BYTES + 1].encode("utf-8", "surrogatepass")
    _refuse_binary(data[:4096], where or url)
    if more or len(data) > MAX_DOCUMENT_BYTES:
        data = data[:MAX_DOCUMENT_BYTES]
        notes.append(f"input cut at {MAX_DOCUMENT_BYTES:,} bytes; the rest was not read")
    decoded = data.decode("utf-8", errors="replace")
    if not decoded.strip():
        raise ParseError("input is empty; nothing analysed", where=where or url)
    text = clean_text(document_text(decoded, url))
    if not text.strip():
        raise ParseError(f"no readable text in the input ({len(data)} bytes); nothing analysed", where=where or url)
    if len(text) > MAX_TEXT:
        notes.append(f"text has {len(text):,} characters; only the first {MAX_TEXT:,} were analysed")
        text = text[:MAX_TEXT]
    return Document(text, tuple(notes))
