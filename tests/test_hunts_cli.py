"""CLI and I/O edges of the hunt area: import-sigma, kev update over loopback, lint, validate, coverage."""

from __future__ import annotations

import gzip
import http.server
import json
import os
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from huntfeed.cli import cli
from huntfeed.hunts import HuntLibrary
from huntfeed.hunts.import_sigma import import_dir, save_imported
from huntfeed.hunts.kev import update_kev
from huntfeed.hunts.spl_lint import lint_spl
from huntfeed.model import Inference, TechniqueHit
from huntfeed.score import load_kev

SHARED = Path(os.environ.get("HUNTFEED_SHARED") or Path(__file__).resolve().parents[1].parent / "shared")

GOOD_RULE = """
title: Test rule whoami from script host
id: 0b6f0c0e-5d9a-4c4e-9f0e-1a2b3c4d5e6f
status: test
logsource:
  category: process_creation
  product: windows
detection:
  sel:
    Image|endswith: '\\\\whoami.exe'
    ParentImage|endswith: '\\\\wscript.exe'
  condition: sel
level: high
tags: [attack.discovery, attack.t1033]
"""


@pytest.fixture()
def sigma_dir(tmp_path: Path) -> Path:
    d = tmp_path / "rules"
    (d / "sub").mkdir(parents=True)
    (d / "good.yml").write_text(GOOD_RULE)
    (d / "untagged.yml").write_text(GOOD_RULE.replace("tags: [attack.discovery, attack.t1033]", "tags: []"))
    (d / "sub" / "broken.yml").write_text("title: broken\ndetection: [unclosed\n")
    (d / "sub" / "nocond.yaml").write_text(
        "title: x\nlogsource: {product: windows}\ndetection:\n  sel: {a: 1}\n"
    )
    (d / "notes.txt").write_text("not a rule")
    return d


def test_import_sigma_lists_failures_and_keeps_going(sigma_dir: Path, tmp_path: Path) -> None:
    report = import_dir(sigma_dir)
    assert [r.techniques for r in report.imported] == [("T1033",)]
    assert [Path(f).name for f, _ in report.skipped] == ["untagged.yml"]
    assert sorted(Path(f).name for f, _ in report.failed) == ["broken.yml", "nocond.yaml"]
    assert all(reason for _, reason in report.failed)
    store = save_imported(report.imported, tmp_path / "imports.json")
    lib = HuntLibrary.load(imports=store)
    hunts = lib.hunts_for(
        "", (), Inference(observed=(TechniqueHit(id="T1033", name="System Owner/User Discovery"),))
    )
    imported = [h for h in hunts if h.kind == "sigma-import"]
    assert imported and imported[0].confidence == "High" and imported[0].phase == "actions-on-objectives"
    assert "DeviceProcessEvents" in imported[0].queries["kql"]
    assert lint_spl(imported[0].queries["spl"]) == []


def test_import_sigma_cli(sigma_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUNTFEED_HOME", str(tmp_path / "home"))
    result = CliRunner().invoke(cli, ["usecases", "import-sigma", str(sigma_dir), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert len(out["imported"]) == 1 and len(out["failed"]) == 2 and len(out["skipped"]) == 1
    assert Path(out["saved_to"]).is_file()


class _KevHandler(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path == "/kev.json":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(self.body)
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def kev_server() -> Iterator[str]:
    _KevHandler.body = json.dumps(
        {
            "title": "test catalog",
            "catalogVersion": "2026.01.01",
            "count": 2,
            "vulnerabilities": [{"cveID": "CVE-2024-3400", "vendorProject": "x"}, {"cveID": "CVE-2023-4966"}],
        }
    ).encode()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _KevHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.integration
def test_kev_update_over_loopback(kev_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUNTFEED_HOME", str(tmp_path))
    result = CliRunner().invoke(cli, ["kev", "update", "--url", f"{kev_server}/kev.json"])
    assert result.exit_code == 0, result.output
    assert "2 known exploited CVEs" in result.output
    assert load_kev() == frozenset({"CVE-2024-3400", "CVE-2023-4966"})


@pytest.mark.integration
def test_kev_update_refuses_errors_and_keeps_old_copy(kev_server: str, tmp_path: Path) -> None:
    from huntfeed.errors import HTTPStatusError

    target = tmp_path / "kev.json"
    target.write_text('{"vulnerabilities": [{"cveID": "CVE-2020-0001"}]}')
    with pytest.raises(HTTPStatusError):
        update_kev(f"{kev_server}/missing.json", target)
    assert load_kev(target) == frozenset({"CVE-2020-0001"})


def test_usecases_list_and_validate_cli() -> None:
    runner = CliRunner()
    out = runner.invoke(cli, ["usecases", "list", "--json", "--pack", "audit"])
    assert out.exit_code == 0
    rows = {r["id"]: r for r in json.loads(out.output)}
    assert len(rows) >= 50
    assert (rows["UC_EVENT_LOG_CLEARED_EVENTS"]["grade"], rows["UC_EVENT_LOG_CLEARED_EVENTS"]["group"]) == (
        "audit", "event-log-clearing")
    assert (rows["UC_LSASS_DUMP"]["grade"], rows["UC_LSASS_DUMP"]["group"]) == ("alert", "lsass-dump")
    bad = runner.invoke(
        cli,
        ["hunts", "validate", "-", "--dialect", "spl"],
        input='| tstats count from datamodel=Endpoint.Processes where Processes.process="x',
    )
    assert bad.exit_code == 1 and "unterminated" in bad.output
    good = runner.invoke(
        cli,
        ["hunts", "validate", "-"],
        input="| tstats count from datamodel=Endpoint.Processes by Processes.dest",
    )
    assert good.exit_code == 0, good.output


def test_spl_lint_catches_common_breakage() -> None:
    assert lint_spl('| tstats count from datamodel=Endpoint.Processes where Processes.nosuch="a"')
    assert lint_spl("| frobnicate x")
    assert lint_spl("| search (a=1")
    assert lint_spl("| tstats count from datamodel=Nope.Nothing") == [
        "unknown CIM data model/data set 'Nope.Nothing'"
    ]
    assert lint_spl('search a="x|y" | stats count by a') == []


def _tactics_by_technique() -> dict[str, set[str]]:
    bundle = SHARED / "attack" / "enterprise-attack-18.1.json.gz"
    with gzip.open(bundle, "rt", encoding="utf-8") as fh:
        objects = json.load(fh)["objects"]
    out: dict[str, set[str]] = {}
    for o in objects:
        if o.get("type") != "attack-pattern" or o.get("revoked") or o.get("x_mitre_deprecated"):
            continue
        ext = next(
            (
                r["external_id"]
                for r in o.get("external_references", [])
                if r.get("source_name") == "mitre-attack"
            ),
            None,
        )
        if ext:
            out[ext] = {p["phase_name"] for p in o.get("kill_chain_phases", [])}
    return out


@pytest.mark.skipif(
    not (SHARED / "attack").is_dir() or not (SHARED / "eval").is_dir(),
    reason="needs ../shared/attack and ../shared/eval beside the repository",
)
def test_library_covers_every_tactic_and_the_most_reported_techniques() -> None:
    lib = HuntLibrary.load(imports=Path("/nonexistent/none.json"))
    tactics = _tactics_by_technique()
    covered = {t for uc in lib.usecases for t in uc.triggers.techniques}
    covered_tactics = {tac for t in covered for tac in tactics.get(t, set())}
    all_tactics = {tac for tacs in tactics.values() for tac in tacs}
    assert all_tactics - covered_tactics == set()
    counts: Counter[str] = Counter()
    for line in (SHARED / "eval" / "ttp_train.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        if row.get("granularity") == "document":
            counts.update({t.split(".")[0] for t in row["techniques"]})
    top = [t for t, _ in counts.most_common(25)]
    roll = {t.split(".")[0] for t in covered}
    missing = [t for t in top if t not in roll]
    # The few left are not observable in endpoint/network telemetry on their own (e.g. T1106 Native API).
    assert len(missing) <= 4, missing
