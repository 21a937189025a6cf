"""bench/hunt_telemetry.py on a few events written for the test, in the shared telemetry's layout.

The bench holds every use case of the scored library to the 5% rule; with --audit-pack it scores the
opt-in audit pack in a table of its own and prints its rate, outside the totals and the verdict. It
lists thin denominators and the recall by behaviour (a group's twins together). It needs the data
set's own scorer (../shared/telemetry/eval_sigma.py); the events here are ours.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import shutil
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
USECASES = ROOT / "src" / "huntfeed" / "data" / "usecases"
AUDIT = ROOT / "src" / "huntfeed" / "data" / "usecase_packs" / "audit" / "uc_log_cleared_events.yaml"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hunt_telemetry", ROOT / "bench" / "hunt_telemetry.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _bench()
pytestmark = pytest.mark.skipif(
    not (bench.TELEMETRY / "eval_sigma.py").is_file(), reason=f"no scorer at {bench.TELEMETRY} (HUNTFEED_SHARED)"
)

BASE = {"_product": "windows", "_licence": "test", "_source": "test@0", "Computer": "ws1"}


def _ev(ds: str, techniques: list[str], benign: bool, when: str, **fields: object) -> dict[str, object]:
    return {**BASE, "_dataset": ds, "_techniques": techniques, "_benign": benign,
            "_label_source": "publisher" if techniques else "none", "TimeCreated": when, **fields}


def _task(ds: str, techniques: list[str]) -> dict[str, object]:
    return _ev(ds, techniques, False, "2026-01-01T10:00:05Z", EventID=1, _category="process_creation",
               Channel="Microsoft-Windows-Sysmon/Operational", Image="C:\\Windows\\System32\\schtasks.exe",
               OriginalFileName="schtasks.exe", ParentImage="C:\\Windows\\System32\\cmd.exe", CommandLine="schtasks /create /tn u /tr C:\\Users\\Public\\u.bat /sc onlogon")


def _clear(ds: str, techniques: list[str], user: str) -> dict[str, object]:
    return _ev(ds, techniques, False, "2026-01-01T10:00:00Z", EventID=1102, _category="", Channel="Security",
               Provider_Name="Microsoft-Windows-Eventlog", SubjectUserName=user, SubjectUserSid="S-1-5-21-1-2-3-500",
               SubjectLogonId="0x5a1f2")


def _noise(ds: str, techniques: list[str], benign: bool = False) -> dict[str, object]:
    return _ev(ds, techniques, benign, "2026-01-01T10:00:09Z", EventID=1, _category="process_creation",
               Channel="Microsoft-Windows-Sysmon/Operational", Image="C:\\Windows\\System32\\whoami.exe",
               OriginalFileName="whoami.exe", ParentImage="C:\\Windows\\System32\\cmd.exe", CommandLine="whoami")


@pytest.fixture()
def events(tmp_path: Path) -> Path:
    rows = [
        _task("a:task", ["T1053.005"]), _noise("a:task", ["T1053.005"]),
        _noise("a:task2", ["T1053.005"]),  # labelled, holds process events, no task: a miss
        _clear("a:clear", ["T1070.001"], "admin"),
        # 20 other attacks whose logs the publisher cleared first: the audit hunt fires on all of them
        *[_clear(f"o:{i}", ["T1082"], "labadmin") for i in range(20)],
        *[_noise(f"o:{i}", ["T1082"]) for i in range(20)],
        _noise("b:baseline", [], benign=True),
    ]
    path = tmp_path / "events.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


@pytest.fixture()
def usecases(tmp_path: Path) -> Path:
    d = tmp_path / "usecases"
    d.mkdir()
    for name in ("uc_schtasks_create.yaml", "uc_schtask_security_log.yaml", "uc_log_cleared_service_account.yaml"):
        shutil.copy(USECASES / name, d / name)
    return d


@pytest.fixture()
def pack(tmp_path: Path) -> Path:
    d = tmp_path / "audit"
    d.mkdir()
    shutil.copy(AUDIT, d / AUDIT.name)
    return d


def _rows(out: str) -> dict[str, str]:
    return {line.split(" | ")[0].lstrip("| "): line for line in out.splitlines() if line.startswith("| UC_")}


def test_bench_scores_the_audit_pack_apart_from_the_library(
    events: Path, usecases: Path, pack: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = bench.main(["--events", str(events), "--usecases", str(usecases), "--db", str(tmp_path / "t.db"),
                       "--audit-pack", str(pack)])
    out = capsys.readouterr().out
    assert code == 0, out
    library, audit = out.split("\naudit pack (audit, opt-in, not in the default library's totals):\n")
    # by a service account: none of these clears
    assert _rows(library)["UC_EVENT_LOG_CLEARED_BY_SERVICE_ACCOUNT"].endswith("| 1 | 0 | 0.00 | 0 | 0/22 | 0.0 |")
    assert _rows(library)["UC_SCHTASKS_CREATE"].endswith("| 2 | 1 | 0.50 | 0 | 0/20 | 0.0 |")
    assert "UC_EVENT_LOG_CLEARED_EVENTS" not in library
    assert "3 use cases, 2 with telemetry (1 fire at least once); recall by data set 0.333" in library
    # the library's own targets: recall misses here (few events), the 5% rule holds, the pack is not judged
    assert "targets: NOT MET: recall by data set 0.333 < 0.5\n" in library
    # the scheduled-task twins are one behaviour; the log clear another
    assert "by behaviour (a group's twins together): 2 behaviours, recall by data set 0.333 (1 of 3)" in library
    assert "thin denominators (< 30 other attack data sets with the log source):" in library
    # every clear: the labelled set and the 20 cleared others (of 22 other attack sets), in view
    assert list(_rows(audit)) == ["UC_EVENT_LOG_CLEARED_EVENTS"]
    assert _rows(audit)["UC_EVENT_LOG_CLEARED_EVENTS"].endswith("| 1 | 1 | 1.00 | 0 | 20/22 | 90.9 |")
    assert "audit pack, other attack data sets fired: UC_EVENT_LOG_CLEARED_EVENTS 20/22 = 90.9%" in audit


def test_without_the_flag_the_pack_is_not_scored(
    events: Path, usecases: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bench.main(["--events", str(events), "--usecases", str(usecases), "--db", str(tmp_path / "t.db")]) == 0
    out = capsys.readouterr().out
    assert "UC_EVENT_LOG_CLEARED_EVENTS" not in out
    assert out.rstrip().endswith("(the opt-in audit pack is not scored: --audit-pack)")


def test_any_use_case_of_the_library_over_5_percent_fails_the_check(
    events: Path, usecases: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The 5% rule is literal for the library: an audit-grade use case put back into it fails the check.
    shutil.copy(AUDIT, usecases / AUDIT.name)
    code = bench.main(["--events", str(events), "--usecases", str(usecases), "--db", str(tmp_path / "t.db"),
                       "--check"])
    out = capsys.readouterr().out
    assert code == 1
    assert "NOT MET: UC_EVENT_LOG_CLEARED_EVENTS fires on 90.9% of the other attack data sets" in out
