"""`huntfeed extract` without click (cli/fast.py): the forms it takes give click's own values, every
other form goes to click, and the plain form imports neither click nor huntfeed.model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from huntfeed import kinds, model
from huntfeed.cli.extract_cmds import extract_cmd
from huntfeed.cli.fast import ExtractArgs, parse

# {f}: an existing file, {d}: a folder, {m}: a missing file.
TAKEN = [
    ["extract", "{f}"],
    ["extract", "--all", "{f}"],
    ["extract", "{f}", "--all", "--jsonl"],
    ["extract", "--format", "csv", "{f}"],
    ["extract", "--format=text", "{f}", "--all"],
    ["extract", "{f}", "--source-url", "https://example.com/a", "--format", "json"],
    ["extract", "--source-url=https://example.com/a?b=c", "{f}"],
    ["extract", "--source-url=", "{f}"],
    ["extract", "--jsonl", "--all", "--format", "text", "--source-url", "x.org", "{f}"],
]
LEFT_TO_CLICK = [
    [],
    ["extract"],
    ["extract", "-"],
    ["extract", "--all"],
    ["extract", "{d}"],
    ["extract", "{m}"],
    ["extract", "{f}", "{f}"],
    ["extract", "{f}", "--all", "--all"],
    ["extract", "{f}", "--format", "xml"],
    ["extract", "{f}", "--format", "JSON"],
    ["extract", "{f}", "--format"],
    ["extract", "{f}", "--format", "csv", "--format", "json"],
    ["extract", "{f}", "--source-url"],
    ["extract", "{f}", "--source-url", "--all"],
    ["extract", "{f}", "--source-url=-x"],
    ["extract", "{f}", "-h"],
    ["extract", "{f}", "--help"],
    ["extract", "--all=1", "{f}"],
    ["extract", "--jsonl=yes", "{f}"],
    ["extract", "{f}", "--frmat", "json"],
    ["extract", "--", "{f}"],
    ["extract", "-a", "{f}"],
    ["--config", "c.toml", "extract", "{f}"],
    ["analyze", "{f}"],
    ["Extract", "{f}"],
]


def _argv(template: list[str], tmp_path: Path) -> list[str]:
    doc = tmp_path / "doc.txt"
    doc.write_text("evil[.]example.com\n", encoding="utf-8")
    names = {"{f}": str(doc), "{d}": str(tmp_path), "{m}": str(tmp_path / "missing.txt")}
    return [names.get(a, a) for a in template]


@pytest.mark.parametrize("template", TAKEN)
def test_a_plain_form_gives_clicks_values(template: list[str], tmp_path: Path) -> None:
    argv = _argv(template, tmp_path)
    got = parse(argv)
    params = extract_cmd.make_context("extract", argv[1:]).params
    assert got == ExtractArgs(params["path"], params["all_"], params["jsonl"], params["fmt"], params["source_url"])


@pytest.mark.parametrize("template", LEFT_TO_CLICK)
def test_any_other_form_is_left_to_click(template: list[str], tmp_path: Path) -> None:
    assert parse(_argv(template, tmp_path)) is None


def test_config_or_completion_in_the_environment_is_left_to_click(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = _argv(["extract", "{f}"], tmp_path)
    assert parse(argv) is not None
    monkeypatch.setenv("HUNTFEED_CONFIG", str(tmp_path / "c.toml"))
    assert parse(argv) is None
    monkeypatch.delenv("HUNTFEED_CONFIG")
    monkeypatch.setenv("_HUNTFEED_COMPLETE", "bash_complete")
    assert parse(argv) is None


_RUN = """
import json, sys
if sys.argv[2] == "root":
    from huntfeed.cli.root import main  # the root command, click parsing everything
else:
    from huntfeed.cli import main
sys.argv = ["huntfeed", *json.loads(sys.argv[1])]
try:
    main()
finally:
    sys.stderr.write(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] == "click" or m == "huntfeed.model")))
"""


def _run(args: list[str], entry: str = "main") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _RUN, json.dumps(args), entry], capture_output=True, text=True, timeout=120
    )


def test_the_plain_form_imports_no_click_and_writes_what_click_writes(tmp_path: Path) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_text("C2: hxxp://update-check[.]top/gate.php and 45.137.21.9\n", encoding="utf-8")
    fast = _run(["extract", str(doc), "--all", "--format", "text"])
    assert json.loads(fast.stderr) == []  # nor huntfeed.model's dataclasses: rows need only huntfeed.kinds
    slow = _run(["extract", str(doc), "--all", "--format", "text"], "root")
    assert json.loads(slow.stderr) != []
    assert fast.returncode == slow.returncode == 0
    assert fast.stdout == slow.stdout and "update-check.top" in fast.stdout


def test_a_bad_document_ends_as_the_root_command_ends(tmp_path: Path) -> None:
    docs = tmp_path / "docs.jsonl"
    docs.write_text('{"id": "a", "text": "evil[.]example.com"}\nnot json\n', encoding="utf-8")
    fast = _run(["extract", str(docs), "--jsonl"])
    slow = _run(["extract", str(docs), "--jsonl"], "root")
    assert fast.returncode == slow.returncode == 2
    assert fast.stdout == slow.stdout and '"id": "a"' in fast.stdout
    assert fast.stderr.split("[")[0] == slow.stderr.split("[")[0]  # the message; the module lists differ
    assert fast.stderr.startswith("huntfeed: error: ") and ":2: bad JSONL document" in fast.stderr


def test_model_re_exports_the_extractors_enumerations() -> None:
    assert (model.IndicatorType, model.Fidelity) == (kinds.IndicatorType, kinds.Fidelity)


def test_a_missing_file_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    # Both ways in: the plain form hands a missing file to click, which names it (before this
    # check, click opened it unchecked and the command ended in a FileNotFoundError traceback).
    for entry in ("main", "root"):
        done = _run(["extract", str(tmp_path / "missing.txt"), "--all"], entry)
        assert done.returncode == 2
        assert "Error: Invalid value for '[PATH]': File" in done.stderr and "does not exist" in done.stderr
        assert "Traceback" not in done.stderr
