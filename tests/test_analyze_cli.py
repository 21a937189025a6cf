"""`huntfeed analyze`: files, stdin, URLs on loopback and the JSONL stream with bad lines."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from huntfeed.cli import cli
from tests.httpserver import LoopbackServer, Reply

REPORT = """# Operation Tinfoil
The intrusion began with a phishing e-mail from billing@invoices-secure[.]example carrying an ISO attachment.
The LNK inside launched mshta.exe which fetched hxxp://185.220.101[.]23/stage2.hta and then PowerShell.
Persistence used a Run key. The payload SHA256 is 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.
"""


def test_analyze_file_markdown_and_json(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "report.md"
    path.write_text(REPORT)
    md = CliRunner().invoke(cli, ["analyze", str(path)], catch_exceptions=False).stdout
    assert md.startswith("# [") and "Operation Tinfoil" in md and "185[.]220[.]101[.]23" in md
    doc = json.loads(CliRunner().invoke(cli, ["analyze", str(path), "--format", "json"]).stdout)
    values = {i["value"] for i in doc["indicators"] if i["fidelity"] == "high"}
    assert "http://185.220.101.23/stage2.hta" in values
    assert "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" in values
    assert doc["text_source"] == "document"


@pytest.mark.integration
def test_analyze_url_on_loopback(http_server: LoopbackServer) -> None:
    http_server.routes["/r"] = Reply(200, f"<html><body><article><p>{REPORT}</p></article></body></html>".encode(),
                                     {"Content-Type": "text/html"})
    out = CliRunner().invoke(cli, ["analyze", http_server.url("/r"), "--format", "json"], catch_exceptions=False)
    assert json.loads(out.stdout)["url"] == http_server.url("/r")


@pytest.mark.slow
def test_jsonl_thousand_lines_with_bad_ones(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lines = []
    for n in range(1000):
        if n % 97 == 13:
            lines.append("{not json")
        elif n % 101 == 7:
            lines.append(json.dumps({"id": f"doc-{n}", "nothing": True}))
        else:
            lines.append(json.dumps({"id": f"doc-{n}", "text": f"Report {n}: beacon to 203.0.113.{n % 250} via "
                                                               f"powershell -enc. {REPORT[:200]}"}))
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n")
    proc = subprocess.run([sys.executable, "-m", "huntfeed", "analyze", "--jsonl", str(src)],
                          capture_output=True, text=True, timeout=600)
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(out) == 1000
    errors = [o for o in out if "error" in o]
    assert len(errors) == sum(1 for n in range(1000) if n % 97 == 13 or n % 101 == 7)
    assert proc.returncode == 1
    good = [o for o in out if "error" not in o]
    assert good[0]["id"] == "doc-0" and good[0]["schema"] == "huntfeed.profile/1"
    assert all(o["id"] == f"doc-{n}" for n, o in enumerate(out) if "error" not in o)
