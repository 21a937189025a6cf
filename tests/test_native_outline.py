"""The outline's C twins (_native/extract_sections.c) against the Python ones, and on hostile input.

ioc_body and table_rows add line spans to a list as sections._ioc_body_py and _table_rows_py do:
the test compares the lists (and ioc_body's answer) on the demo corpus, both shared sets and random
report-like text, at line starts and anywhere, onto empty lists and onto lists whose last span
touches the first line; malformed arguments raise instead of crashing.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from huntfeed._native import load
from huntfeed.extract import sections
from huntfeed.feeds.article import html_to_text
from huntfeed.paths import package_data
from tests.conftest import shared_path

C_SECTIONS = load("extract_sections")
needs_c = pytest.mark.skipif(C_SECTIONS is None, reason="C accelerator extract_sections not built (no compiler?)")


def _demo_texts() -> list[str]:
    root = package_data("demo")
    return [
        html_to_text(p.read_text(encoding="utf-8"), "https://demo.invalid/" + p.name)
        for p in sorted(root.glob("*/posts/*.html"))
    ]


def _shared_texts(name: str, field: str) -> list[str]:
    path = shared_path("eval", name)  # skips with a message where ../shared is absent
    docs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [str(d.get(field) or "") for d in docs]


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
