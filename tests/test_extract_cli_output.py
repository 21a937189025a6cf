"""`huntfeed extract` writes its JSON lines by hand (cli.extract_cmds.json_line) and its rows without
building Indicators (engine.rows): both must give what json.dumps of the Indicators gave, byte for byte."""

from __future__ import annotations

import json
import random

import pytest

from huntfeed.cli.extract_cmds import json_line
from huntfeed.extract import extract
from huntfeed.extract.engine import chunks, collect, rows
from huntfeed.feeds.article import html_to_text
from huntfeed.model import Fidelity, Indicator, IndicatorType
from huntfeed.paths import package_data
from tests.conftest import shared_path


def _reference(doc_id: str, found: tuple[Indicator, ...]) -> str:
    """The line as it was written before: json.dumps over a dict per Indicator."""
    items = [
        {"type": i.type.value, "value": i.value, "raw": i.raw, "start": i.start, "end": i.end,
         "defanged": i.defanged, "fidelity": i.fidelity.value, "reason": i.reason}
        for i in found
    ]  # fmt: skip
    return json.dumps({"id": doc_id, "indicators": items}, ensure_ascii=False)


def _texts() -> list[tuple[str, str]]:
    root = package_data("demo")
    return [
        (p.name, html_to_text(p.read_text(encoding="utf-8"), "https://demo.invalid/" + p.name))
        for p in sorted(root.glob("*/posts/*.html"))
    ]


@pytest.mark.parametrize("all_", [True, False])
def test_rows_are_the_indicators_fields(all_: bool) -> None:
    for _, text in _texts():
        found = extract(text, all=all_)
        got = rows(collect(chunks(text)), all=all_, context=None)
        assert [(i.type, i.value, i.raw, i.start, i.end, i.defanged, i.fidelity, i.reason) for i in found] == got


def test_json_line_is_json_dumps_on_the_demo_corpus() -> None:
    for name, text in _texts():
        found = extract(text, all=True)
        assert json_line(name, rows(collect(chunks(text)), all=True, context=None)) == _reference(name, found)


def test_json_line_is_json_dumps_on_the_development_reports() -> None:
    path = shared_path("eval", "reports_dev.jsonl")  # skips with a message where ../shared is absent
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        text = str(row.get("full_text") or "")
        doc_id = str(row["id"])
        assert json_line(doc_id, rows(collect(chunks(text)), all=True, context=None)) == _reference(
            doc_id, extract(text, all=True)
        )


# Characters json escapes or passes through: quotes, backslashes, controls, non-ASCII, surrogates.
_ALPHABET = ['"', "\\", "\n", "\t", "\x00", "\x1f", "\x7f", "é", "\u2028", "\ud800", "😀", "a", "/", " "]


@pytest.mark.parametrize("seed", range(5))
def test_json_line_escapes_as_json_dumps(seed: int) -> None:
    rng = random.Random(seed)

    def s() -> str:
        return "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 12)))

    found = tuple(
        Indicator(rng.choice(list(IndicatorType)), s(), s(), rng.randint(0, 10**12), rng.randint(0, 10**12),
                  rng.random() < 0.5, rng.choice(list(Fidelity)), s())
        for _ in range(rng.randint(0, 6))
    )  # fmt: skip
    got = [(i.type, i.value, i.raw, i.start, i.end, i.defanged, i.fidelity, i.reason) for i in found]
    doc_id = s()
    assert json_line(doc_id, got) == _reference(doc_id, found)
