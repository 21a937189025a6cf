"""Evidence filter: table-driven, sentences in our own words (tests/data/evidence_sentences.tsv)."""

from __future__ import annotations

from pathlib import Path

import pytest

from huntfeed.attack.evidence import REASONS, default_rules, load_evidence_rules
from huntfeed.attack.text import split_sentences
from huntfeed.errors import DataFileError

CASES = Path(__file__).parent / "data" / "evidence_sentences.tsv"


def _cases() -> list[tuple[str, str]]:
    out = []
    for line in CASES.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            want, text = line.split("\t", 1)
            out.append((want, text))
    return out


@pytest.mark.parametrize(("want", "text"), _cases())
def test_reason(want: str, text: str) -> None:
    got = default_rules().reason(text)
    assert (got or "-") == want


def test_every_reason_has_cases() -> None:
    assert {w for w, _ in _cases()} == {"-", *REASONS}


def test_view_keeps_offsets_and_empties_non_evidence() -> None:
    text = "The actor ran PsExec on every server. Organisations should patch the gateway."
    sentences = split_sentences(text)
    view = default_rules().view(sentences)
    assert [s.text for s in view] == ["The actor ran PsExec on every server.", ""]
    assert [(s.start, s.end) for s in view] == [(s.start, s.end) for s in sentences]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("    \\bcould\\b\n", "pattern before any section header"),
        ("[guesses]\n    \\bcould\\b\n", "expected a section header"),
        ("[negated]\n    (unclosed\n", "bad regular expression"),
    ],
)
def test_loader_is_strict(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "evidence.txt"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(DataFileError, match=message) as err:
        load_evidence_rules(path)
    assert str(path) in str(err.value.where)
