"""Sentence splitting with character offsets, shared by every inference method."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

# A sentence ends at . ! ? followed by space and an upper-case letter/quote/digit, or at a
# line break; abbreviations such as "e.g." and "i.e." stay inside because a lower-case word follows.
_BOUNDARY = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[A-Z0-9\"'(\[])|\n\s*")
_MAX_LEN = 600


@dataclass(frozen=True, slots=True)
class Sentence:
    """A slice of the input text."""

    text: str
    start: int
    end: int


def split_sentences(text: str) -> list[Sentence]:
    """Split text into sentences (long runs are cut near 600 characters)."""
    out: list[Sentence] = []
    pos = 0
    for m in _BOUNDARY.finditer(text):
        _emit(text, pos, m.start(), out)
        pos = m.end()
    _emit(text, pos, len(text), out)
    return out


def _emit(text: str, start: int, end: int, out: list[Sentence]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    while end - start > _MAX_LEN:
        cut = text.rfind(" ", start + _MAX_LEN // 2, start + _MAX_LEN)
        cut = cut if cut > start else start + _MAX_LEN
        out.append(Sentence(text[start:cut], start, cut))
        start = cut + 1 if text[cut : cut + 1] == " " else cut
    if end > start:
        out.append(Sentence(text[start:end], start, end))


def sentence_index(sentences: Sequence[Sentence], pos: int, ends: Sequence[int] | None = None) -> int | None:
    """Index of the sentence that contains character ``pos`` (None between sentences)."""
    i = bisect.bisect_right(ends if ends is not None else sentence_ends(sentences), pos)
    if i < len(sentences) and sentences[i].start <= pos:
        return i
    return None


def sentence_ends(sentences: Sequence[Sentence]) -> list[int]:
    """End offsets, for repeated sentence_index calls."""
    return [s.end for s in sentences]
