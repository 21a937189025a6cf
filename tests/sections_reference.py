"""The outline as extract/sections.py computed it line by line before its fast path: the reference
tests/test_extract_fastpaths.py compares ``outline`` with (kept verbatim, only renamed)."""

from __future__ import annotations

from collections.abc import Callable

from huntfeed.extract.sections import (
    _ENDS,
    IOC,
    NARRATIVE,
    NEUTRAL,
    REFS,
    _evidence,
    _extend,
    _table_row,
    classify,
    heading_kind,
    is_prose,
)


def outline_reference(
    text: str, plain: Callable[[str], bool] | None
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(IOC spans, reference spans) of ``text``: line-aligned, sorted, disjoint."""
    lines = text.split("\n")
    # Per line: (start, end, section id or -1); per section: kind, whether plain-headed.
    kinds: list[str] = []
    plain_head: list[bool] = []
    rows: list[tuple[int, int, int]] = []
    stack: list[tuple[int, int]] = []  # (level, section id)
    closed: set[int] = set()  # plain-headed IOC sections ended by prose
    pos, fence = 0, False
    for line in lines:
        n = len(line)
        s = line.lstrip()
        if s.startswith(("```", "~~~")) and "```" not in s[3:]:
            fence = not fence  # a fence line opens or closes a code block; ```x``` is inline code
        head = None if fence or not n else classify(line, plain)  # a blank line heads nothing
        if head is not None:
            level, words, is_plain = head
            while stack and stack[-1][0] >= level:
                stack.pop()
            kind = heading_kind(words)
            if kind == NEUTRAL:
                for _, sid in reversed(stack):
                    if kinds[sid] != NEUTRAL:
                        kind = kinds[sid] if kinds[sid] != NARRATIVE else NEUTRAL
                        break
            kinds.append(kind)
            plain_head.append(is_plain)
            stack.append((level, len(kinds) - 1))
            rows.append((pos, pos + n, -2 - stack[-1][1]))  # a heading row: -2 - its section
        else:
            sid = stack[-1][1] if stack else -1
            rows.append((pos, pos + n, sid))
        pos += n + 1
    return _spans_reference(text, rows, kinds, plain_head, closed)


def _spans_reference(
    text: str, rows: list[tuple[int, int, int]], kinds: list[str], plain_head: list[bool], closed: set[int]
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    # A neutral section with no IOC parent is an IOC list when a quarter of its lines hold
    # evidence: Unit 42 style records ("- SHA256 hash: ...", "- File size: ...") carry one per four.
    # Sentences do not count either way (a list is judged by its items), and the search stops as
    # soon as a quarter of the items has shown evidence.
    items: dict[int, list[tuple[int, int]]] = {}
    for a, b, sid in rows:
        if sid >= 0 and kinds[sid] == NEUTRAL and b > a:
            line = text[a:b].strip()
            if line and not is_prose(line):
                items.setdefault(sid, []).append((a, b))
    for sid, spans in items.items():
        need, hits = (len(spans) + 3) // 4, 0
        for a, b in spans:
            if _evidence(text, a, b):
                hits += 1
                if hits >= need:
                    kinds[sid] = IOC
                    break
    ioc: list[tuple[int, int]] = []
    refs: list[tuple[int, int]] = []
    listed: set[int] = set()  # IOC sections that have shown a listed (non-prose) line
    for a, b, sid in rows:
        if sid < -1:  # a heading: its own line lists a value when it names one ("C2 DOMAINS ON 1.2.3[.]4:")
            if kinds[-2 - sid] == IOC and _evidence(text, a, b):
                _extend(ioc, a, b)
            continue
        kind = kinds[sid] if sid >= 0 else NEUTRAL
        if kind == IOC and sid not in closed:
            line = text[a:b].rstrip()
            if line.endswith(_ENDS) and is_prose(line.lstrip()):
                if plain_head[sid] and sid in listed:
                    closed.add(sid)  # plain text: a paragraph after the list ends it (one before is its intro)
                continue
            if line and sid not in listed:
                listed.add(sid)
            _extend(ioc, a, b)
        elif kind == REFS:
            _extend(refs, a, b)
        elif b > a and _table_row(text, a, b):
            _extend(ioc, a, b)  # an indicator table is a list wherever it stands
    return ioc, refs
