"""The C twins of the stages after the scanners, against their Python twins and on hostile input.

json_line (cli.extract_run._json_line_py, _native/extract_group.c): the same line for the rows of
the demo corpus, both shared sets and random text, strings that need every escape, every kind of
string and odd ints; malformed arguments raise instead of crashing.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from huntfeed._native import load
from huntfeed.cli import extract_run
from huntfeed.extract.engine import chunks, collect, rows
from huntfeed.feeds.article import html_to_text
from huntfeed.kinds import Fidelity, IndicatorType
from huntfeed.paths import package_data
from tests.conftest import shared_path

C_GROUP = load("extract_group")
needs_c = pytest.mark.skipif(C_GROUP is None, reason="C accelerator extract_group not built (no compiler?)")
T = IndicatorType


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


def _lines(doc_id: str, found: list[Any]) -> tuple[str, str]:
    types, fids = extract_run._TYPE_JSON, extract_run._FIDELITY_JSON
    return C_GROUP.json_line(doc_id, found, types, fids), extract_run._json_line_py(doc_id, found, types, fids)


def _row(
    value: str = "evil.com", raw: str = "evil[.]com", start: Any = 3, end: Any = 13, **over: Any
) -> tuple[Any, ...]:
    row = {"kind": T.DOMAIN, "value": value, "raw": raw, "start": start, "end": end, "defanged": True}
    row.update({"fidelity": Fidelity.HIGH, "reason": "defanged"}, **over)
    return tuple(row.values())


@needs_c
def test_json_line_same_on_demo_corpus() -> None:
    texts = _demo_texts()
    assert texts
    for k, text in enumerate(texts):
        found = rows(collect(chunks(text)), all=True, context=None)
        c, py = _lines(f"demo-{k}", found)
        assert c == py


@needs_c
@pytest.mark.parametrize(("name", "field"), [("ioc_cases.jsonl", "text"), ("reports_dev.jsonl", "full_text")])
def test_json_line_same_on_shared_sets(name: str, field: str) -> None:
    for k, text in enumerate(_shared_texts(name, field)):
        found = rows(collect(chunks(text)), all=True, context=None)
        c, py = _lines(str(k), found)
        assert c == py


_PIECES = ("a", "é", "\u212a", "\U0001f600", '"', "\\", "\n", "\r", "\t", "\b", "\f", "\x00", "\x1f", "\x7f", " ", "\ud800")  # fmt: skip


@needs_c
@pytest.mark.parametrize("seed", range(4))
def test_json_line_same_on_random_strings(seed: int) -> None:
    rnd = random.Random(seed)

    def text() -> str:
        return "".join(rnd.choice(_PIECES) for _ in range(rnd.choice((0, 1, 7, 8, 9, 40))))

    for _ in range(200):
        found = [
            _row(text(), text(), rnd.randrange(-(10**20), 10**20), rnd.randrange(10**6), reason=text(),
                 defanged=rnd.choice((True, False)), kind=rnd.choice(list(T)), fidelity=rnd.choice(list(Fidelity)))
            for _ in range(rnd.randrange(4))
        ]  # fmt: skip
        c, py = _lines(text(), found)
        assert c == py


def test_json_line_table() -> None:
    # Input in, the exact line out (either twin: json_line uses whichever is loaded).
    assert extract_run.json_line("d1", []) == '{"id": "d1", "indicators": []}'
    assert extract_run.json_line('a"\\\n\x01é', [_row(raw='x"\t\U0001f600')]) == (
        '{"id": "a\\"\\\\\\n\\u0001é", "indicators": [{"type": "domain", "value": "evil.com", '
        '"raw": "x\\"\\t\U0001f600", "start": 3, "end": 13, "defanged": true, "fidelity": "high", "reason": "defanged"}]}'
    )
    line = extract_run.json_line("x", [_row(start=0, end=-7, defanged=False), _row(start=2**70)])
    assert line == json.dumps(
        {
            "id": "x",
            "indicators": [
                {"type": "domain", "value": "evil.com", "raw": "evil[.]com", "start": s, "end": e, "defanged": d,
                 "fidelity": "high", "reason": "defanged"}
                for s, e, d in ((0, -7, False), (2**70, 13, True))
            ],
        },
        ensure_ascii=False,
    )  # fmt: skip


class _Int(int):
    def __repr__(self) -> str:
        return "Int!"


@needs_c
@pytest.mark.parametrize(
    "row",
    [
        _row(start=True, end=_Int(5)),  # int subclasses: written by their repr, as the f-string does
        _row(start=-(2**63), end=2**63 - 1),
        _row(start=-(2**63) - 1, end=2**64),
        _row(start=1.5),
        _row(defanged=0),
        _row(defanged=[1]),
    ],
)
def test_json_line_odd_values_as_python_does(row: tuple[Any, ...]) -> None:
    c, py = _lines("id", [row])
    assert c == py


@needs_c
@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("id", [_row(value=b"x")]), TypeError),
        (("id", [_row(raw=None)]), TypeError),
        (("id", [_row(reason=1)]), TypeError),
        (("id", [_row(kind=None)]), KeyError),
        (("id", [_row(fidelity=None)]), KeyError),
        (("id", [_row()[:7]]), ValueError),
        (("id", [[*_row()]]), ValueError),
        (("id", [None]), ValueError),
        (("id", None), TypeError),
        ((b"id", []), TypeError),
        (("id",), TypeError),
    ],
)
def test_json_line_rejects_malformed_arguments(args: tuple[Any, ...], error: type[Exception]) -> None:
    with pytest.raises(error):
        C_GROUP.json_line(*args, extract_run._TYPE_JSON, extract_run._FIDELITY_JSON)


@needs_c
def test_json_line_rejects_prefixes_that_are_not_str() -> None:
    with pytest.raises(TypeError):
        C_GROUP.json_line("id", [_row()], {T.DOMAIN: 1}, extract_run._FIDELITY_JSON)
    with pytest.raises(TypeError):
        C_GROUP.json_line("id", [_row()], extract_run._TYPE_JSON, None)


# --- c2_context: the C2 words' lower_twin on ASCII windows -------------------------------------------

_C2_ATOMS = (
    "C2", "c&c", "CnC", "Command-and-Control", "command and control", "beaconing", "callback", "exfiltrated",
    "downloaded  from", "hosted at", "payload", "Dropper", "MALICIOUS", "phishing", "attacker", "threat actor",
    "connects to", "communicates with", "staging", "Loader", "implant", "backdoor", "sinkholed", "ransomware",
    "stealer", "exploited", "evil.com", "the", "a", "x", "_", "-", " ", ".", "\t", "C2x", "xpayload", "k", "s",
)  # fmt: skip


@pytest.mark.parametrize("seed", range(3))
def test_c2_lower_twin_finds_what_the_caseless_pattern_finds(seed: int) -> None:
    from huntfeed.extract import context

    rnd = random.Random(seed)
    for _ in range(3000):
        window = "".join(rnd.choice(_C2_ATOMS) + rnd.choice(("", " ")) for _ in range(rnd.randrange(1, 8))).lower()
        assert bool(context._C2_CONTEXT_A.search(window)) == bool(context._C2_CONTEXT.search(window)), window


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The C2 server evil.com was up", True),
        ("Payloads were HOSTED AT evil.com", True),
        ("see evil.com for details", False),
        ("the \u212aNOWN c2 evil.com", True),  # not ASCII: the caseless pattern
        ("a sinkhol evil.com", False),  # sinkhol\w+ needs a letter more
    ],
)
def test_c2_context_table(text: str, expected: bool) -> None:
    from huntfeed.extract import context

    s = text.index("evil.com")
    assert context.c2_context(text, s, s + 8) is expected
