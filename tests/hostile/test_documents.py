"""Standalone documents: one input limit on every entry point, said in the profile; bad input refused."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from huntfeed.cli import cli
from huntfeed.errors import ParseError
from huntfeed.feeds.article import MAX_TEXT
from huntfeed.feeds.document import MAX_DOCUMENT_BYTES, read_document
from huntfeed.store import Store
from huntfeed.web.app import create_app

pytestmark = [pytest.mark.hostile, pytest.mark.timeout(300)]

TOKEN = "doc-token-0123456789abcdef"
LINE = "The actor staged tools at 185.220.101.23 and ran vssadmin delete shadows /all before encrypting.\n"
# Peak resident memory of one `huntfeed analyze` process, whatever its input (issue 12: under 500 MB).
RSS_LIMIT_MB = 500
# VmHWM, not ru_maxrss: a child forked from pytest inherits the parent's high-water mark in
# ru_maxrss (Linux keeps it across exec), so a big test process would be counted against the child.
_MEASURE = ("import re, sys\nfrom huntfeed.cli import main\nsys.argv = ['huntfeed', *sys.argv[1:]]\n"
            "try:\n    main()\nfinally:\n"
            "    hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
            "    print('maxrss', int(hwm) // 1024, file=sys.stderr)\n")


def _big_text(path: Path, mb: int) -> Path:
    with path.open("w") as fh:
        for _ in range(mb * 1024 * 1024 // len(LINE)):
            fh.write(LINE)
    return path


def _run_measured(args: list[str]) -> tuple[subprocess.CompletedProcess[str], int]:
    proc = subprocess.run([sys.executable, "-c", _MEASURE, *args], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=280)
    rss = int(proc.stderr.rsplit("maxrss", 1)[1].split()[0])
    return proc, rss


def test_a_50_mb_file_is_cut_noted_and_memory_stays_bounded(tmp_path: Path) -> None:
    big = _big_text(tmp_path / "big.txt", 50)
    proc, rss = _run_measured(["analyze", str(big), "--format", "json"])
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json.loads(proc.stdout)
    assert any(f"{MAX_DOCUMENT_BYTES:,} bytes" in n for n in doc["notes"])
    assert any(f"first {MAX_TEXT:,}" in n for n in doc["notes"])
    assert rss < RSS_LIMIT_MB, f"peak RSS {rss} MB"


def test_a_50_mb_jsonl_line_is_an_error_object_and_memory_stays_bounded(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    with path.open("w") as fh:
        fh.write(json.dumps({"id": "huge", "text": LINE * (50 * 1024 * 1024 // len(LINE))}) + "\n")
        fh.write(json.dumps({"id": "small", "text": LINE * 3}) + "\n")
    proc, rss = _run_measured(["analyze", "--jsonl", str(path)])
    outs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 1
    assert outs[0]["line"] == 1 and "longer than" in outs[0]["error"]
    assert outs[1]["id"] == "small" and "error" not in outs[1]
    assert rss < RSS_LIMIT_MB, f"peak RSS {rss} MB"


def test_a_jsonl_text_over_the_limit_is_cut_and_noted() -> None:
    text = LINE * (MAX_DOCUMENT_BYTES // len(LINE) + 100)
    res = CliRunner().invoke(cli, ["analyze", "--jsonl", "-"], input=json.dumps({"id": "d", "text": text}) + "\n")
    out = json.loads(res.stdout)
    assert any("input cut at" in n for n in out["notes"]) and any("first 300,000" in n for n in out["notes"])


def test_stdin_over_the_limit_is_cut_and_noted() -> None:
    res = CliRunner().invoke(cli, ["analyze", "-", "--format", "json"],
                             input=LINE * (MAX_DOCUMENT_BYTES // len(LINE) + 100))
    assert res.exit_code == 0
    assert any("input cut at" in n for n in json.loads(res.stdout)["notes"])


def test_a_small_document_has_no_notes() -> None:
    res = CliRunner().invoke(cli, ["analyze", "-", "--format", "json"], input=LINE * 5)
    assert "notes" not in json.loads(res.stdout)


def test_the_api_applies_the_same_limit(tmp_path: Path) -> None:
    app = create_app(Store(f"sqlite:///{tmp_path / 'a.db'}"), token=TOKEN)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        res = client.post("/api/analyze", json={"text": LINE * (MAX_DOCUMENT_BYTES // len(LINE) + 100)},
                          headers={"Authorization": f"Bearer {TOKEN}"})
        assert res.status_code == 200
        assert any("input cut at" in n for n in res.json()["notes"])
        empty = client.post("/api/analyze", json={"text": " \n "}, headers={"Authorization": f"Bearer {TOKEN}"})
        assert empty.status_code == 422 and "empty" in empty.text


BAD_INPUTS = {
    "elf": (b"\x7fELF\x02\x01\x01" + b"\0" * 200, "an ELF binary"),
    "gzip": (gzip.compress(b"hello " * 100), "gzip data"),
    "nul": (b"text with a \0 NUL byte", "binary data"),
    "empty": (b"", "empty"),
    "blank": (b" \n\t\n", "empty"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_binary_and_empty_input_are_refused_with_exit_1(name: str, tmp_path: Path) -> None:
    data, says = BAD_INPUTS[name]
    path = tmp_path / f"input.{name}"
    path.write_bytes(data)
    for args, stdin in ((["analyze", str(path)], None), (["analyze", "-"], data)):
        res = CliRunner().invoke(cli, args, input=stdin)
        assert res.exit_code == 1, (args, res.output)
        assert says in res.stderr and "nothing analysed" in res.stderr
        assert res.stdout == ""


def test_a_binary_jsonl_text_gets_an_error_object() -> None:
    lines = json.dumps({"id": "bin", "text": "\x7fELF\x00\x00"}) + "\n" + json.dumps({"id": "e", "text": ""}) + "\n"
    res = CliRunner().invoke(cli, ["analyze", "--jsonl", "-"], input=lines)
    outs = [json.loads(x) for x in res.stdout.splitlines()]
    assert res.exit_code == 1
    assert outs[0]["id"] == "bin" and "ELF" in outs[0]["error"]
    assert outs[1]["id"] == "e" and "empty" in outs[1]["error"]


@pytest.mark.parametrize(("raw", "says"), [(b"%PDF-1.7\n", "a PDF"), ("   ", "empty"), (b"PK\x03\x04zz", "ZIP")])
def test_read_document_refuses(raw: bytes | str, says: str) -> None:
    with pytest.raises(ParseError, match=says):
        read_document(raw)
