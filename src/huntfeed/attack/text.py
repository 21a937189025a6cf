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


# Hard-wrapped prose (issue 18, sixth session): Markdown sources and plain-text reports break paragraphs
# at a fixed width, and a sentence split at every line break leaves fragments ("... loaded the DLL
# with" / "rundll32 and ran it") that neither phrase rules nor the classifier read whole.  A line
# break is a soft wrap when the line before is prose of five or more words that ends in a word (not
# a sentence end, a colon, a table or a heading) and the next line continues it with a lower-case
# word; neither line may look like code (a path, a switch or an operator), and nothing
# inside a fenced block is joined, so a list of commands stays one command per line.
_FENCE = re.compile(r"^\s*(?:```|~~~)")
_NOT_PROSE = re.compile(r"^\s*(?:#{1,6}\s|\||```|~~~|>)")
_ITEM = re.compile(r"^\s*(?:[-+*\u2022]|\d{1,3}[.)])\s")
_WORD_END = re.compile(r"[A-Za-z0-9,)\]\"'\u2019]$")
_CODE = re.compile(r"[\\/=<>{}|$%@;]|(?:^|\s)-\w")
_LOWER_START = re.compile(r"^\s*\[?[a-z(]")  # a link text continues the sentence too
_MIN_WORDS = 5
# What prose carries that is not code (issue 18, ninth session): a Markdown link's target ("[CyberChef](https://
# gchq.github.io/CyberChef/)") and an inline code span ("into the user's `%TEMP%` directory") have slashes and
# percent signs, but the line around them is a sentence; only what is left is tested for code.
_LINK_TARGET = re.compile(r"\]\([^)\s]*\)")
_CODE_SPAN = re.compile(r"`[^`\n]+`")


def _soft_wrap(before: str, after: str, continued: bool = False) -> bool:
    """True when the line break between these two lines only wraps a sentence.

    ``continued``: the line before continues a soft wrap; if it carries a Markdown link it is the middle of
    a sentence however few words it has ("... leverages the file for" / "[process hollowing](...)" / "by
    launching it in a suspended state.").  Short lines of plain words stay apart (a list of commands).
    """
    head = before.rstrip()
    if not _WORD_END.search(head) or not _LOWER_START.match(after):
        return False
    if len(head.split()) < _MIN_WORDS and not (continued and "](" in head):
        return False
    if _NOT_PROSE.match(before) or _NOT_PROSE.match(after) or _ITEM.match(after):
        return False
    # most lines have no code character at all; only those that do are read again without links and spans
    if _CODE.search(before) and _code_outside_markup(before):
        return False
    return not (_CODE.search(after) and _code_outside_markup(after))


def _code_outside_markup(line: str) -> bool:
    """A path, a switch or an operator outside Markdown link targets and inline code spans."""
    if "`" in line:
        line = _CODE_SPAN.sub("x", line)
    if "](" in line:
        line = _LINK_TARGET.sub("]", line)
    return bool(_CODE.search(line))


def unwrap(text: str) -> str:
    """The text with soft-wrap line breaks turned into spaces: same length, so every offset holds."""
    if "\n" not in text:
        return text
    lines = text.split("\n")
    breaks: list[int] = []
    pos, fenced, soft = 0, False, False
    for before, after in zip(lines, lines[1:], strict=False):
        pos += len(before)
        if _FENCE.match(before):
            fenced = not fenced
        # most next lines start upper-case or are empty: tested here, before the call
        soft = not fenced and bool(_LOWER_START.match(after)) and _soft_wrap(before, after, soft)
        if soft:
            breaks.append(pos)
        pos += 1
    if not breaks:
        return text
    chars = list(text)
    for i in breaks:
        chars[i] = " "
    return "".join(chars)
