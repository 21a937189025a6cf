"""Import over a realistic Sigma collection written for these tests (SigmaHQ's layout and conventions).

No SigmaHQ checkout is available offline (none in the pip packages or the shared folder), so
tests/data/sigma_realistic holds 14 rules in SigmaHQ's format, written for huntfeed: Windows process
and Security-log rules, Linux auditd, macOS, AWS CloudTrail, Entra ID sign-ins, Okta, Kubernetes audit
and Zeek; a revoked technique tag (T1086), an id newer than the bundled catalog (T1685), a placeholder
(`|expand`) no target can fill, a field Defender's table lacks (CurrentDirectory), a hex logon id that
Kusto.Language rejects against Defender's integer LogonId, and a rule with a tactic tag only. The import
must say what it did with every one of them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from huntfeed.attack.engine import load_catalog
from huntfeed.cli import cli
from huntfeed.hunts import HuntLibrary
from huntfeed.hunts.import_sigma import ImportReport, import_dir, save_imported
from huntfeed.hunts.validate import KustoChecker, kusto_available
from huntfeed.model import Inference, TechniqueHit
from huntfeed.score import load_rubric, score

RULES = Path(__file__).with_name("data") / "sigma_realistic"
needs_kusto = pytest.mark.skipif(
    not kusto_available(), reason="needs node and tests/kql/node_modules (cd tests/kql && npm ci)"
)


@pytest.fixture(scope="module")
def report() -> ImportReport:
    if not kusto_available():
        pytest.skip("needs node and tests/kql/node_modules (cd tests/kql && npm ci)")
    with KustoChecker() as checker:
        return import_dir(RULES, catalog=load_catalog(Path("/nonexistent-huntfeed-home")), checker=checker)


def _names(rows: list[tuple[str, str]]) -> list[str]:
    return sorted(Path(f).name for f, _ in rows)


@needs_kusto
def test_summary_accounts_for_every_rule(report: ImportReport) -> None:
    assert report.summary() == [
        "target     converted  failed  KQL rejected",
        "spl                3      10             -",
        "spl_raw           12       1             -",
        "kql                4       9             1",
        "sentinel           5       8             0",
        "12 imported (10 partly), 1 skipped (1 no technique tag), 1 failed; 1 imported with no known technique "
        "(cannot fire); 1 unknown and 1 revoked technique tags",
    ]
    assert len(report.imported) + len(report.skipped) + len(report.failed) == len(list(RULES.rglob("*.yml")))
    assert _names(report.failed) == ["proc_creation_win_placeholder_admin_hosts.yml"]
    assert _names(report.skipped) == ["proc_creation_win_untagged_hunt.yml"]
    assert dict(report.remapped_techniques) == {"T1086 -> T1059.001": 1}
    assert dict(report.unknown_techniques) == {"T1685": 1}
    assert _names(report.never_fire) == ["zeek_dns_new_technique.yml"]


@needs_kusto
def test_each_target_fails_on_its_own_with_its_reason(report: ImportReport) -> None:
    why = {Path(f).name: r for f, r in report.partial}
    # Defender has no CurrentDirectory column: only the Defender target fails, Sentinel (ASIM) converts.
    public = next(r for r in report.imported if r.title == "Shell Working In The Public Profile Folder")
    assert why["proc_creation_win_shell_in_public_folder.yml"].startswith("kql: Invalid SigmaDetectionItem field")
    assert sorted(public.queries) == ["sentinel", "sigma", "spl", "spl_raw"]
    # A hex logon id against Defender's integer LogonId converts but Kusto.Language rejects it: dropped, said.
    system = next(r for r in report.imported if r.title.startswith("Shell Started In The SYSTEM Logon"))
    assert "kql: rejected by Kusto.Language: The operator '=~' is not defined" in why[
        "proc_creation_win_system_shell_logon_id.yml"]
    assert "kql" not in system.queries and "sentinel" in system.queries
    # Cloud and appliance rules keep the raw SPL; no target is lost without a line in the report.
    files = {path.read_text(): path.name for path in RULES.rglob("*.yml")}
    for rule in report.imported:
        missing = {"spl", "spl_raw", "kql", "sentinel"} - set(rule.queries)
        name = files[rule.queries["sigma"]]
        assert all(f"{t}: " in why.get(name, "") for t in missing), (name, missing)
    assert len(report.imported) - len(report.partial) == 2  # the two PowerShell rules convert everywhere


def inf(*ids: str) -> Inference:
    return Inference(observed=tuple(TechniqueHit(id=i, name=i) for i in ids))


# Class of error: imported rules fired on their technique alone, so a Windows advisory got Kubernetes
# and AWS rules and an Android report Linux and macOS ones. An endpoint rule needs its platform (or no
# platform named); a cloud, SaaS or appliance rule needs the article to name the product.
@needs_kusto
@pytest.mark.parametrize(
    ("text", "observed", "titles"),
    [
        (
            "The Windows implant ran PowerShell and cmd.exe, then used valid cloud accounts and sprayed passwords.",
            ("T1059.001", "T1059.003", "T1068", "T1098", "T1078.004", "T1110.003", "T1609", "T1053.003"),
            ["Legacy PowerShell Technique Tag", "PowerShell Hidden Window Downloading From The Web",
             "Shell Started In The SYSTEM Logon Session By A Service Host", "Shell Working In The Public Profile Folder",
             "User Added To The Local Administrators Group"],
        ),
        (
            "Stolen AWS access keys were used to sign in to the console; CloudTrail showed no MFA, then a spray.",
            ("T1078.004", "T1110.003"),
            ["AWS Console Login Without MFA"],
        ),
        (
            "The Entra ID tenant saw a password spray from one address.",
            ("T1078.004", "T1110.003"),
            ["Entra ID Sign-In Failures With Invalid Password"],
        ),
        (
            "On the Linux nodes the actor ran kubectl exec into pods, added crontab entries and reset MFA factors.",
            ("T1609", "T1053.003", "T1556.006", "T1059.002"),
            ["Command Executed In A Pod Through The API", "Crontab Edited Through The Crontab Command"],
        ),
        (
            "A macOS stealer showed a fake password prompt through osascript.",
            ("T1059.002", "T1053.003", "T1059.001"),
            ["AppleScript Run Inline With osascript -e"],
        ),
    ],
)
def test_imported_rules_gated_by_platform_and_product(
    report: ImportReport, tmp_path: Path, text: str, observed: tuple[str, ...], titles: list[str]
) -> None:
    lib = HuntLibrary.load(imports=save_imported(report.imported, tmp_path / "imports.json"))
    hunts = lib.hunts_for(text, (), inf(*observed))
    assert sorted(h.title for h in hunts if h.kind == "sigma-import") == titles
    kinds = [h.kind for h in hunts]
    if any(k in ("usecase", "audit") for k in kinds):
        assert kinds.index("sigma-import") > max(i for i, k in enumerate(kinds) if k in ("usecase", "audit"))
    args = {"text": text, "indicators": (), "inference": inf(*observed), "source_reliability": "C",
            "kev": frozenset()}
    rubric = load_rubric()
    without = tuple(h for h in hunts if h.kind != "sigma-import")
    assert score(hunts=hunts, rubric=rubric, **args) == score(hunts=without, rubric=rubric, **args)  # type: ignore[arg-type]


@needs_kusto
def test_cli_prints_every_failure_and_the_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUNTFEED_HOME", str(tmp_path / "home"))
    out = CliRunner().invoke(cli, ["usecases", "import-sigma", str(RULES)])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[-1].startswith("saved to ")
    assert lines[-8].split() == ["target", "converted", "failed", "KQL", "rejected"]
    assert lines[-3].startswith("12 imported (10 partly), 1 skipped")
    assert lines[-2].startswith("12 added, 0 updated, 0 kept from earlier imports, 0 removed")
    assert any("proc_creation_win_placeholder_admin_hosts.yml" in ln for ln in lines[:-8])
    assert any("T1685" in ln for ln in lines[:-8])
