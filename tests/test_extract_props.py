"""Properties (hypothesis), the ReDoS budget, chunked input and the CLI of the extractor."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huntfeed.cli.extract_cmds import extract_cmd
from huntfeed.extract import extract, refang
from huntfeed.extract.engine import chunks, collect, finish

# Text drawn from the characters indicators and defang styles are made of, so that the
# properties reach the interesting code paths rather than plain prose.
_ALPHABET = st.sampled_from(
    list("abcdefxhtpsAT0123456789.:/@[](){}\\-_ ,\n\t^<>%?=&#'\"") + ["[.]", "hxxp", "DOT"]
)
IOC_TEXT = st.lists(_ALPHABET, max_size=80).map("".join)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.one_of(IOC_TEXT, st.text(max_size=120)))
def test_no_input_crashes_and_offsets_point_at_raw(text: str) -> None:
    for ind in extract(text, all=True):
        assert text[ind.start : ind.end] == ind.raw
        assert ind.value


@SETTINGS
@given(st.one_of(IOC_TEXT, st.text(max_size=120)))
def test_refang_is_idempotent(text: str) -> None:
    once = refang(text)
    assert refang(once) == once


@SETTINGS
@given(
    st.lists(
        st.sampled_from(["evil[.]top", "1[.]2[.]3[.]4", "filler words here", "\n", "hxxp://x[.]io/a"]),
        max_size=40,
    )
)
def test_chunked_extraction_equals_whole(parts: list[str]) -> None:
    text = " ".join(parts)
    whole = {(i.type, i.value, i.start) for i in extract(text, all=True)}
    pieces = finish(collect(chunks(text, size=64)), all=True, context=None)
    assert {(i.type, i.value, i.start) for i in pieces} == whole


# Inputs built to make a backtracking pattern explode: long runs of what a pattern repeats,
# ending in what makes it fail. Each must finish well inside the pytest-timeout budget.
ADVERSARIAL = {
    "dots": "a." * 20000 + "!",
    "labels": ("a" * 60 + ".") * 3000 + "-",
    "hex": "a" * 100000 + "g",
    "brackets": "[" * 30000 + "." + "]" * 30000,
    "ipv4ish": "1." * 30000,
    "ipv6ish": "1:" * 30000 + "::::",
    "email": "a" * 50000 + "@" + "b." * 10000,
    "url": "http://" + "a/" * 40000 + "(" * 1000,
    "spaces": " . " * 20000 + "com",
    "registry": "HKLM" + "\\a b" * 20000,
    "commas": "1," * 30000,
    "scheme": "hxxp" * 20000 + "[:]",
    "at-words": "a AT " * 20000,
    "path": "C:" + "\\x" * 30000,
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_redos_budget(name: str) -> None:
    extract(ADVERSARIAL[name], all=True)


def test_cli_json_text_csv_and_jsonl(tmp_path) -> None:  # type: ignore[no-untyped-def]
    report = tmp_path / "r.txt"
    report.write_text("C2 hxxps://bad-cdn[.]top/a.php and https://attack.mitre.org/x\n", encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(extract_cmd, [str(report)])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert [i["value"] for i in doc["indicators"]] == ["https://bad-cdn.top/a.php"]
    assert set(doc["indicators"][0]) == {
        "type",
        "value",
        "raw",
        "start",
        "end",
        "defanged",
        "fidelity",
        "reason",
    }
    res = runner.invoke(extract_cmd, [str(report), "--all", "--format", "text"])
    assert "reference-link" in res.output
    res = runner.invoke(extract_cmd, [str(report), "--format", "csv"])
    assert res.output.splitlines()[0].startswith("id,type,value")
    lines = '{"id": "a", "text": "evil[.]top"}\n{"id": "b", "text": "nothing"}\n'
    res = runner.invoke(extract_cmd, ["-", "--jsonl"], input=lines)
    out = [json.loads(x) for x in res.output.splitlines()]
    assert [(o["id"], len(o["indicators"])) for o in out] == [("a", 1), ("b", 0)]
    res = runner.invoke(extract_cmd, ["-", "--jsonl"], input="{bad\n")
    assert res.exit_code != 0


_PROSE = "The operators moved slowly and carefully through the network over several weeks. " * 40


@SETTINGS
@given(
    st.one_of(
        IOC_TEXT,
        st.sampled_from(
            [
                c
                for c in (
                    "evil[.]top",
                    "hxxps://a-b[.]io/x.php",
                    "ops[at]bad.top",
                    "5d41402abc4b2a76b9719d911017c592",
                    "CVE-2024-3400",
                    "91.203.5[.]17",
                    "me (at) evil (dot) com",
                )
            ]
        ),
    )
)
def test_digest_path_finds_what_the_whole_text_scan_finds(snippet: str) -> None:
    # Long texts are cut down to anchored tokens; short ones are scanned whole. Both must agree.
    short = {(i.type, i.value) for i in extract(snippet, all=True)}
    padded = _PROSE + "\n" + snippet + "\n" + _PROSE
    long_ = {(i.type, i.value) for i in extract(padded, all=True)}
    assert short <= long_
