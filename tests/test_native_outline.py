"""The outline's C twins (_native/extract_sections.c) against the Python ones, and on hostile input.

ioc_body and table_rows add line spans to a list as sections._ioc_body_py and _table_rows_py do:
the test compares the lists (and ioc_body's answer) on the demo corpus, both shared sets and random
report-like text, at line starts and anywhere, onto empty lists and onto lists whose last span
touches the first line; malformed arguments raise instead of crashing.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from huntfeed._native import load
from huntfeed.extract import context, sections
from tests.native_corpus import demo_texts as _demo_texts
from tests.native_corpus import shared_texts as _shared_texts

C_SECTIONS = load("extract_sections")
needs_c = pytest.mark.skipif(C_SECTIONS is None, reason="C accelerator extract_sections not built (no compiler?)")




def _same(text: str, a: int, b: int, start: list[tuple[int, int]] | None = None) -> None:
    """Both twins of both functions on text[a:b], from the same starting span list."""
    for plain in (False, True):
        c_spans, py_spans = list(start or []), list(start or [])
        got = C_SECTIONS.ioc_body(text, a, b, plain, c_spans)
        assert (got, c_spans) == (sections._ioc_body_py(text, a, b, plain, py_spans), py_spans), (a, b, plain)
    c_spans, py_spans = list(start or []), list(start or [])
    assert C_SECTIONS.table_rows(text, a, b, c_spans) is None
    sections._table_rows_py(text, a, b, py_spans)
    assert c_spans == py_spans, (a, b)


def _sections_of(text: str) -> list[tuple[int, int]]:
    """Every section body of text as outline() cuts it (the spans the functions are called on)."""
    starts = [0] + [k + 1 for k in range(len(text)) if text[k] == "\n"]
    rnd = random.Random(len(text))
    cuts = sorted(set(rnd.sample(starts, min(len(starts), 12)) + [0, len(text)]))
    return list(zip(cuts, cuts[1:], strict=False))


@needs_c
def test_outline_twins_same_on_demo_corpus() -> None:
    texts = _demo_texts()
    assert texts
    for text in texts:
        _same(text, 0, len(text))
        for a, b in _sections_of(text):
            _same(text, a, b)


@needs_c
@pytest.mark.parametrize(("name", "field"), [("ioc_cases.jsonl", "text"), ("reports_dev.jsonl", "full_text")])
def test_outline_twins_same_on_shared_sets(name: str, field: str) -> None:
    for text in _shared_texts(name, field):
        _same(text, 0, len(text))
        for a, b in _sections_of(text):
            _same(text, a, b, [(0, a)])  # a span that reaches the first line: merged, as _extend does


_ATOMS = (
    "| evil[.]com | C2 |", "|", " |", "\t|", " \u3000| x | 1.2.3.4 |", "||", "| a | b", "  \t |",
    "This is a long sentence of prose that runs on for more than fourteen words in all.",
    "One two three four five six seven eight nine ten eleven twelve thirteen fourteen:",
    "a b c d e f g h i j k l m n o/p/q/r.", "short.", "evil[.]net", "1.2.3.4", "hxxp://x", "hXXP://y",
    "d41d8cd98f00b204e9800998ecf8427e", "user@mail.com", "\n", "\n", "\n\n", " ", "\t", "\r", "\x1c", "\x85",
    "\u2028", "\u00a0", ".", "!", "?", ":", "é", "\U0001f600", "\u0663.\u0661.\u0662.\u0664", "\x00",
)  # fmt: skip


@needs_c
@pytest.mark.parametrize("seed", range(4))
def test_outline_twins_same_on_random_text(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(300):
        text = "".join(rnd.choice(_ATOMS) + rnd.choice(("", " ", "\n")) for _ in range(rnd.choice((1, 6, 40))))
        n = len(text)
        a = rnd.randrange(n + 1)
        b = rnd.randrange(a, n + 1)
        _same(text, a, b)
        _same(text, 0, n, [(0, 0)])
        _same(text, a, b, [(0, max(0, a - 1))])


@pytest.mark.parametrize(
    ("text", "plain", "spans", "end"),
    [
        ("evil[.]com\n1.2.3.4\n", False, [(0, 19)], 18),
        # a sentence before the list is its intro; the one after it ends a plain-headed list
        ("We saw these hosts and addresses in the intrusion during the month of May this year.\n"
         "evil[.]com\n"
         "They were used for command and control by the actors during the whole of the campaign.\nx\n",
         True, [(85, 96)], 183),
        ("We saw these hosts and addresses in the intrusion during the month of May this year.\n"
         "evil[.]com\n"
         "They were used for command and control by the actors during the whole of the campaign.\nx\n",
         False, [(85, 96), (183, 185)], 184),
    ],
)  # fmt: skip
def test_ioc_body_table(text: str, plain: bool, spans: list[tuple[int, int]], end: int) -> None:
    got: list[tuple[int, int]] = []
    assert sections._ioc_body(text, 0, len(text) - 1, plain, got) == end
    assert got == spans


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("| evil[.]com | C2 |\n| note | none |\n  | 1.2.3.4 | x |", [(0, 20), (36, 54)]),
        ("|evil[.]com\nx | evil[.]com |\n", []),  # one bar; a row not led by one
        ("\u3000| evil[.]com | x |\n \u3000| evil[.]com | x |\n", [(20, 41)]),  # blanks after a space or tab only
    ],
)
def test_table_rows_table(text: str, spans: list[tuple[int, int]]) -> None:
    got: list[tuple[int, int]] = []
    sections._table_rows(text, 0, len(text), got)
    assert got == spans


@needs_c
@pytest.mark.parametrize(
    "text",
    ["", "\n", "|" * 100_000, ("| " + "a" * 40 + " |\n") * 5_000, "x." * 50_000, "\ud800| \udfff |\n" * 10],
)
def test_outline_twins_hostile_input_same_as_twin(text: str) -> None:
    _same(text, 0, len(text))


@needs_c
@pytest.mark.parametrize(
    "args",
    [
        ("x", 0, 2, []),  # past the end
        ("x", -1, 1, []),
        ("xy", 2, 1, []),
        ("x", 0, 1, ()),  # not a list
        ("x", 0, 1, None),
        (b"x", 0, 1, []),
        ("x", 0, 1),
        ("| 1.2.3.4 | x |", 0, 15, [None]),  # a last span that is no (start, end) pair
        ("| 1.2.3.4 | x |", 0, 15, [(1, "2")]),
        ("| 1.2.3.4 | x |", 0, 15, [(1, 2, 3)]),
    ],
)
def test_outline_twins_reject_bad_arguments(args: tuple[Any, ...]) -> None:
    with pytest.raises((TypeError, ValueError)):
        C_SECTIONS.table_rows(*args)
    with pytest.raises((TypeError, ValueError)):
        C_SECTIONS.ioc_body(*args[:3], True, *args[3:])


# --- lower_twin: the heading patterns on lowered ASCII text ----------------------------------------


def _kind_caseless(text: str) -> str:
    """heading_kind through the caseless patterns only (the reference for the ASCII path)."""
    if sections._NARRATIVE.search(text):
        return sections.IOC if sections._IOC_NOTES.match(text) else sections.NARRATIVE
    if sections._REFERENCES.search(text):
        return sections.REFS
    return sections.IOC if sections._IOC.search(text) else sections.NEUTRAL


def _plain_caseless(line: str) -> bool:
    if line.lstrip(context._HEADING_LEAD)[:3].lower() not in context._PLAIN_HEADS:
        return False
    if context._IOC_HEADING.match(line) or context._REF_HEADING.match(line):
        return True
    other = line and len(line) <= 60 and line.lstrip(context._HEADING_LEAD)[:3].lower() in context._OTHER_HEADS
    return bool(other and context._OTHER_HEADING.match(line) and not context._IOC_HEADING.match(line))


def _candidate_lines(texts: list[str]) -> list[str]:
    pair = sections._candidates(True, (context._HEADING_LEAD, context._PLAIN_HEADS))
    out = []
    for text in texts:
        for a in sections._line_starts(pair, text, 0, len(text)):
            line = text[a : sections._line_end(text, a, len(text))].strip()
            out += [line, line.upper(), line.swapcase()]
    return out


_WORDS = (
    "Indicators", "of", "Compromise", "IOC", "IoCs", "notes", "NOTE", "Network", "C2", "C&C", "servers",
    "References", "related", "articles", "Further", "Reading", "hashes", "SHA-256", "sha256", "Analysis",
    "ANALYSES", "MITRE", "ATT&CK", "Author(s)", "Appendix", "A:", "##", "1.", "-", "*", "|", ":", "(", ")",
    "domains", "URLS", "Infection", "chain", "see", "also", "e-mails", "file", "names", "Summary", "x", "k", "s",
)  # fmt: skip


@pytest.mark.parametrize("seed", range(3))
def test_lower_twin_same_kinds_on_random_ascii_headings(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(3000):
        words = [rnd.choice(_WORDS) for _ in range(rnd.randrange(1, 7))]
        text = rnd.choice((" ", "  ", "\t")).join(words) + rnd.choice(("", ":", " :", "."))
        assert sections.heading_kind(text) == _kind_caseless(text), text
        assert context._plain_heading(text) == _plain_caseless(text), text


def test_lower_twin_same_kinds_on_demo_and_shared_lines() -> None:
    texts = _demo_texts()
    for name, field in (("ioc_cases.jsonl", "text"), ("reports_dev.jsonl", "full_text")):
        texts += _shared_or_none(name, field) or []  # the demo corpus alone where ../shared is absent
    lines = _candidate_lines(texts)
    assert len(lines) > 100
    for line in lines:
        assert sections.heading_kind(line) == _kind_caseless(line), line
        assert context._plain_heading(line) == _plain_caseless(line), line


def _shared_or_none(name: str, field: str) -> list[str] | None:
    try:
        return _shared_texts(name, field)
    except pytest.skip.Exception:
        return None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Indicators of Compromise", "ioc"),
        ("INDICATORS OF COMPROMISE (IOC) NOTES", "ioc"),
        ("URL NOTES:", "narrative"),
        ("References", "refs"),
        ("C&C servers", "ioc"),
        ("COBALT STRIKE ACTIVITY:", "neutral"),
        ("\u212aNOWN C2", "ioc"),  # not ASCII: the caseless patterns
        ("ANALY\u017fIS", "narrative"),  # the long s matches "s" under IGNORECASE
    ],
)
def test_heading_kind_table(text: str, kind: str) -> None:
    assert sections.heading_kind(text) == kind


def test_lower_twin_refuses_patterns_it_cannot_twin() -> None:
    import re

    with pytest.raises(ValueError):
        sections.lower_twin(re.compile(r"(?i)Abc"))  # an upper-case letter
    with pytest.raises(ValueError):
        sections.lower_twin(re.compile(r"abc"))  # not caseless
    assert sections.lower_twin(re.compile(r"(?im)^a\Sb\Z")).pattern == r"(?m)^a\Sb\Z"


# --- candidates: the lines that can head a section ---------------------------------------------------

_HEADS = (context._HEADING_LEAD, context._PLAIN_HEADS)


def _starts_both(text: str, a: int = 0, b: int | None = None) -> tuple[list[int], list[int]]:
    b = len(text) if b is None else b
    words = sections._c_words(_HEADS)
    assert words is not None
    c = C_SECTIONS.candidates(text, a, b, _HEADS[0], words)
    return c, sections._line_starts(sections._candidates(True, _HEADS), text, a, b)


@needs_c
def test_candidates_same_on_demo_corpus_and_shared_sets() -> None:
    texts = _demo_texts()
    for name, field in (("ioc_cases.jsonl", "text"), ("reports_dev.jsonl", "full_text")):
        texts += _shared_or_none(name, field) or []  # the demo corpus alone where ../shared is absent
    found = 0
    for text in texts:
        c, py = _starts_both(text)
        assert c == py
        found += len(c)
        for a, b in _sections_of(text):
            assert _starts_both(text, a, b)[0] == _starts_both(text, a, b)[1]
    assert found > 100


_LINE_ATOMS = (
    "# x", "## Network", "=== C&C", "**Bold**", "```", "~~~", "``", "~~", "*", "INDICATORS", "IOC LIST:", "Ioc",
    "\u212aNOWN", "ſamples", "İndicators", "indicators of compromise", "1. Summary", "- Hashes", "| Domains |",
    "c2 servers", "C2", "c&c", "md5", "MD5:", "ip addresses", "IPs", "url", "Ext", "bib", "end", "Sum", "SHA",
    "\u00c9TAT", "\u0661\u0662 X", "_X", "é", "x", "X1", "12", " ", "\t", "\u3000", "\x0b", "\x1c", "\r", "\x85",
    "\u2028", ":", ".", "#", "=", "\U0001f600", "Ǆ", "ǅ",
)  # fmt: skip


@needs_c
@pytest.mark.parametrize("seed", range(4))
def test_candidates_same_on_random_lines(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(400):
        lines = [
            "".join(rnd.choice(_LINE_ATOMS) for _ in range(rnd.randrange(0, 4))) for _ in range(rnd.randrange(1, 30))
        ]
        text = "\n".join(lines) + rnd.choice(("", "\n"))
        c, py = _starts_both(text)
        assert c == py, text
        a = rnd.choice([0] + [k + 1 for k, ch in enumerate(text) if ch == "\n"])
        b = rnd.randrange(a, len(text) + 1)
        c, py = _starts_both(text, a, b)
        assert c == py, (text, a, b)


def test_candidates_table() -> None:
    text = "intro text\n## Network\nSUMMARY:\nsummary of it\nsome text\n  Indicators\n| a | b |\n```\nK\u212aNOWN\n"
    starts = sections._candidate_starts(text, len(text), True, _HEADS)
    assert [text[s : text.find("\n", s)] for s in starts] == [
        "intro text", "## Network", "SUMMARY:", "summary of it", "  Indicators", "```", "K\u212aNOWN"
    ]  # fmt: skip  # "int": introduction; "som" opens no heading word; a table row is no candidate


@needs_c
@pytest.mark.parametrize("text", ["", "\n" * 10_000, "A" * 200_000, "# x\n" * 50_000, "\ud800\n\udfff# x\n"])
def test_candidates_hostile_input_same_as_twin(text: str) -> None:
    c, py = _starts_both(text)
    assert c == py


@needs_c
@pytest.mark.parametrize(
    "args",
    [
        ("x", 0, 2, " ", ("ab",)),  # past the end
        ("x", 1, 0, " ", ("ab",)),
        ("x", 0, 1, " ", ("a",)),  # a word of one character
        ("x", 0, 1, " ", ("Ab",)),  # not lower case
        ("x", 0, 1, " ", ("ab\n",)),
        ("x", 0, 1, " ", ("é",)),
        ("x", 0, 1, " ", ("cd", "ab")),  # not sorted
        ("x", 0, 1, " ", (1,)),
        ("x", 0, 1, " ", ["ab"]),
        ("x", 0, 1, None, ("ab",)),
        (b"x", 0, 1, " ", ("ab",)),
    ],
)
def test_candidates_reject_bad_arguments(args: tuple[Any, ...]) -> None:
    with pytest.raises((TypeError, ValueError)):
        C_SECTIONS.candidates(*args)


# --- classify: what a candidate line heads ------------------------------------------------------------


def _classify_both(line: str, plain: Any) -> None:
    assert C_SECTIONS.classify(line, plain) == sections.classify(line, plain), repr(line)


@needs_c
def test_classify_same_on_demo_and_shared_lines() -> None:
    texts = _demo_texts()
    for name, field in (("ioc_cases.jsonl", "text"), ("reports_dev.jsonl", "full_text")):
        texts += _shared_or_none(name, field) or []  # the demo corpus alone where ../shared is absent
    pair = sections._candidates(True, _HEADS)
    heads = 0
    for text in texts:
        for a in sections._line_starts(pair, text, 0, len(text)):
            line = text[a : sections._line_end(text, a, len(text))]
            for plain in (context._plain_heading, None):
                _classify_both(line, plain)
            heads += C_SECTIONS.classify(line, context._plain_heading) is not None
    assert heads > 100


_HEAD_ATOMS = (
    "#", "##", "#######", "=", "===", "*", "**", "***", " ", "\t", "\u3000", "\x0b", ":", ".", "|", "\n", "\r",
    "IOC", "Indicators", "NETWORK", "AB", "ABC", "ABCDEF", "GHI", "X" * 31, "Summary", "x", "é", "É", "ǅ", "Ǆ",
    "\u212a", "1", "\u0661", "_", "-", "(", ")", "a" * 40,
)  # fmt: skip


@needs_c
@pytest.mark.parametrize("seed", range(4))
def test_classify_same_on_random_lines(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(4000):
        line = "".join(rnd.choice(_HEAD_ATOMS) for _ in range(rnd.randrange(1, 12)))
        _classify_both(line, rnd.choice((context._plain_heading, None, lambda s: 0, lambda s: "yes")))


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("## Network ##", (2, "Network", False)),
        ("###### x", (6, "x", False)),
        ("####### x", None),
        ("== #", (2, "#", False)),
        ("#x", None),
        ("**Files:**", (9, "Files:", False)),
        ("**Files**:", (9, "Files", False)),
        ("**a**", None),
        ("  COBALT STRIKE ACTIVITY:", (9, "COBALT STRIKE ACTIVITY:", False)),
        ("ABCDEF 12", None),  # hex-like capitals only
        ("| IOC | x |", None),
        ("Indicators of Compromise", (9, "Indicators of Compromise", True)),
    ],
)
def test_classify_table(line: str, expected: tuple[int, str, bool] | None) -> None:
    assert sections._classify(line, context._plain_heading) == expected


@needs_c
def test_classify_passes_the_callbacks_error_on() -> None:
    def boom(s: str) -> bool:
        raise RuntimeError(s)

    with pytest.raises(RuntimeError, match="plain line"):
        C_SECTIONS.classify("plain line", boom)
    with pytest.raises(TypeError):
        C_SECTIONS.classify("plain line", 5)  # not callable
    with pytest.raises(TypeError):
        C_SECTIONS.classify(b"x", None)
    with pytest.raises(TypeError):
        C_SECTIONS.classify("x")
