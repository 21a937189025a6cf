"""Use-case library: strict loading, firing rules, conversions and IOC sweeps."""

from __future__ import annotations

from pathlib import Path

import pytest

from huntfeed.errors import DataFileError
from huntfeed.hunts import HuntLibrary, build_sweeps, load_usecase
from huntfeed.hunts.spl_lint import lint_spl
from huntfeed.model import Fidelity, Indicator, IndicatorType, Inference, TechniqueHit


def ind(t: IndicatorType, v: str, fidelity: Fidelity = Fidelity.HIGH) -> Indicator:
    return Indicator(type=t, value=v, raw=v, start=0, end=len(v), fidelity=fidelity)


def inf(*ids: str) -> Inference:
    return Inference(observed=tuple(TechniqueHit(id=i, name=i) for i in ids))


@pytest.fixture(scope="module")
def lib() -> HuntLibrary:
    return HuntLibrary.load(imports=Path("/nonexistent/none.json"))


def test_library_loads_and_ids_unique(lib: HuntLibrary) -> None:
    ids = [uc.id for uc in lib.usecases]
    assert len(ids) >= 10 and len(set(ids)) == len(ids)


def test_exact_technique_fires_with_reason(lib: HuntLibrary) -> None:
    hunts = lib.hunts_for("", (), inf("T1003.001"))
    first = hunts[0]
    assert first.use_case == "UC_LSASS_DUMP"
    assert "technique T1003.001 observed" in first.reasons
    assert first.kind == "usecase" and first.phase == "actions-on-objectives"
    assert {"spl", "spl_raw", "kql", "sentinel", "sigma"} <= set(first.queries)
    assert first.queries["spl"].startswith("| tstats")
    assert "from datamodel=Endpoint.Processes" in first.queries["spl"]
    assert first.queries["kql"].startswith("DeviceProcessEvents")


def test_parent_and_sub_technique_rollup(lib: HuntLibrary) -> None:
    # A related technique alone does not fire a use case (an NTDS dump says nothing about LSASS)...
    assert "UC_LSASS_DUMP" not in {h.use_case for h in lib.hunts_for("", (), inf("T1003.003"))}
    assert "UC_SCHTASKS_CREATE" not in {h.use_case for h in lib.hunts_for("", (), inf("T1053.002"))}
    # ...but it adds weight, and is named, once direct evidence makes the use case fire.
    by_sub = {h.use_case: h for h in lib.hunts_for("a scheduled task was created", (), inf("T1053.002"))}
    assert any("sub-technique T1053.002 of T1053" in r for r in by_sub["UC_SCHTASKS_CREATE"].reasons)
    by_parent = {h.use_case: h for h in lib.hunts_for("", (), inf("T1218"))}
    assert "UC_RUNDLL32_SUSPICIOUS" in by_parent  # T1218 is one of its own triggers


def test_tool_specific_use_case_needs_its_tool_named(lib: HuntLibrary) -> None:
    assert "UC_CERTUTIL_DOWNLOAD" not in {h.use_case for h in lib.hunts_for("", (), inf("T1105"))}
    named = lib.hunts_for("they pulled the tool down with certutil", (), inf("T1105"))
    assert "UC_CERTUTIL_DOWNLOAD" in {h.use_case for h in named}


def test_phrase_fires_whole_words_only(lib: HuntLibrary) -> None:
    fired = [h.use_case for h in lib.hunts_for("The loader used certutil -urlcache to fetch it.", (), inf())]
    assert "UC_CERTUTIL_DOWNLOAD" in fired
    assert "UC_CERTUTIL_DOWNLOAD" not in [h.use_case for h in lib.hunts_for("xcertutilx", (), inf())]


def test_nothing_fires_on_unrelated_text(lib: HuntLibrary) -> None:
    assert lib.hunts_for("A quarterly earnings call about cloud revenue.", (), inf()) == ()


def test_ranking_prefers_technique_over_phrase(lib: HuntLibrary) -> None:
    hunts = lib.hunts_for("ransomware operators also ran mimikatz", (), inf("T1490"))
    # both T1490 hunts (command line and script block) rank above the hunts the phrase fired
    assert {h.use_case for h in hunts[:2]} == {"UC_SHADOW_COPY_DELETE", "UC_PS_SCRIPT_RECOVERY_INHIBIT"}
    assert all("technique T1490 observed" in h.reasons for h in hunts[:2])
    assert "UC_LSASS_DUMP" in {h.use_case for h in hunts[2:]}


def test_supply_chain_reference_case(lib: HuntLibrary) -> None:
    hunts = lib.hunts_for("securing AI-generated code against supply chain attacks", (), inf("T1195.002"))
    assert hunts[0].use_case == "UC_SUPPLY_CHAIN_INSTALLER_SHELL"
    assert "technique T1195.002 observed" in hunts[0].reasons


def test_loader_reports_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "uc_bad.yaml"
    bad.write_text(
        "id: UC_BAD_ONE\ntitle: t\ndescription: d\nphase: exploit\nconfidence: High\n"
        "techniques: [T1059]\ntriggers: {techniques: [T1059]}\nsigma: x\n"
    )
    with pytest.raises(DataFileError) as exc:
        load_usecase(bad)
    assert exc.value.where == f"{bad}:4" and "phase" in exc.value.message


def test_loader_rejects_unknown_key_and_bad_technique(tmp_path: Path) -> None:
    base = (
        "id: UC_BAD_TWO\ntitle: t\ndescription: d\nphase: delivery\nconfidence: High\n"
        "techniques: [T1059]\ntriggers: {techniques: [T1059]}\nsigma: x\n"
    )
    p = tmp_path / "a.yaml"
    p.write_text(base + "colour: red\n")
    with pytest.raises(DataFileError, match="unknown key") as exc:
        load_usecase(p)
    assert exc.value.where.endswith(":9")
    p.write_text(base.replace("techniques: [T1059]\n", "techniques: [T99]\n"))
    with pytest.raises(DataFileError, match="not an ATT&CK technique"):
        load_usecase(p)


def test_sweeps_per_type_high_fidelity_only() -> None:
    inds = (
        ind(IndicatorType.SHA256, "A" * 64),
        ind(IndicatorType.MD5, "b" * 32),
        ind(IndicatorType.IPV4, "203.0.113.7"),
        ind(IndicatorType.DOMAIN, "evil.example"),
        ind(IndicatorType.DOMAIN, "low.example", Fidelity.LOW),
        ind(IndicatorType.URL, "http://evil.example/a?b=1"),
        ind(IndicatorType.EMAIL, "boss@evil.example"),
    )
    hunts = {h.use_case: h for h in build_sweeps(inds)}
    assert set(hunts) == {"SWEEP_HASH_1", "SWEEP_IP_1", "SWEEP_DOMAIN_1", "SWEEP_URL_1", "SWEEP_EMAIL_1"}
    h = hunts["SWEEP_HASH_1"]
    assert h.kind == "sweep" and "a" * 64 in h.queries["kql"] and "SHA256 in~" in h.queries["kql"]
    assert "MD5 in~" in h.queries["kql"] and "from datamodel=Endpoint.Processes" in h.queries["spl"]
    assert "low.example" not in hunts["SWEEP_DOMAIN_1"].queries["kql"]
    assert h.title == "IOC sweep: 2 file hashes" and hunts["SWEEP_IP_1"].title == "IOC sweep: 1 IP address"
    for hunt in hunts.values():
        assert lint_spl(hunt.queries["spl"]) == [], hunt.use_case


def test_sweeps_batch_under_limits() -> None:
    inds = tuple(ind(IndicatorType.IPV4, f"198.51.{i // 256}.{i % 256}") for i in range(250))
    hunts = build_sweeps(inds)
    assert [h.use_case for h in hunts] == ["SWEEP_IP_1", "SWEEP_IP_2", "SWEEP_IP_3"]
    assert all("batch" in h.title for h in hunts)
    assert "198.51.0.99" in hunts[0].queries["kql"] and "198.51.0.100" in hunts[1].queries["kql"]


def test_sweeps_follow_usecases_in_hunts_for(lib: HuntLibrary) -> None:
    hunts = lib.hunts_for("mimikatz", (ind(IndicatorType.IPV4, "203.0.113.9"),), inf())
    # mimikatz is named by the command-line, process-access and script-block hunts; the sweep comes last
    assert [(h.kind, h.use_case) for h in hunts] == [
        ("usecase", "UC_LSASS_DUMP"),
        ("usecase", "UC_LSASS_MEMORY_ACCESS"),
        ("usecase", "UC_PS_SCRIPT_CREDENTIAL_DUMPING"),
        ("sweep", "SWEEP_IP_1"),
    ]


def test_platform_use_cases_skip_articles_about_another_platform(lib: HuntLibrary) -> None:
    def fired(text: str) -> set[str]:
        return {h.use_case for h in lib.hunts_for(text, (), inf("T1059.001", "T1059.004", "T1105"))}

    linux_only = fired("The botnet reached exposed Docker APIs and kubelets and dropped a miner via bash.")
    assert "UC_LINUX_DOWNLOAD_PIPE_SHELL" in linux_only
    assert "UC_POWERSHELL_DOWNLOAD_CRADLE" not in linux_only
    assert "UC_POWERSHELL_DOWNLOAD_CRADLE" not in fired("The Android banking trojan arrives as an APK.")
    # naming Windows too, or no platform at all, lets the Windows use cases through
    both = fired("On Linux hosts it used bash; on Windows hosts PowerShell fetched the same payload.")
    assert {"UC_LINUX_DOWNLOAD_PIPE_SHELL", "UC_POWERSHELL_DOWNLOAD_CRADLE"} <= both
    assert "UC_POWERSHELL_DOWNLOAD_CRADLE" in fired("The intruders fetched a second stage.")
    # a Docker "registry" is not the Windows registry
    assert "UC_POWERSHELL_DOWNLOAD_CRADLE" not in fired("Images were pulled from a Docker registry by the kubelet.")


def test_platform_cue_file_is_strict(tmp_path: Path) -> None:
    from huntfeed.hunts.platforms import load_platform_cues

    bad = tmp_path / "platforms.yaml"
    bad.write_text("windows: {kind: host, words: [powershell]}\nlinux: {kind: host, words: bash}\n")
    with pytest.raises(DataFileError) as err:
        load_platform_cues(bad)
    assert err.value.where == f"{bad}:2"


def test_logsource_cue_file_is_strict_and_matches_whole_words(tmp_path: Path) -> None:
    from huntfeed.hunts.imported_rank import load_logsource_cues

    bad = tmp_path / "logsources.yaml"
    bad.write_text("process_access: [lsass]\npipe_created: []\n")
    with pytest.raises(DataFileError) as err:
        load_logsource_cues(bad)
    assert err.value.where == f"{bad}:2"
    good = tmp_path / "good.yaml"
    good.write_text("Process_Access: [LSASS, process memory]\n")
    cues = load_logsource_cues(good)
    assert list(cues) == ["process_access"]
    assert [bool(cues["process_access"].search(t)) for t in ("read lsass memory", "dumped Process  Memory",
                                                            "lsass.exe", "xlsass")] == [True, False, True, False]


def test_ids_listed_by_the_source_fire_use_cases_with_their_own_reason(lib: HuntLibrary) -> None:
    listed = Inference(source_mapped=(TechniqueHit(id="T1003.001", name="LSASS Memory"),))
    hunts = {h.use_case: h for h in lib.hunts_for("", (), listed)}
    assert "technique T1003.001 listed in the article's ATT&CK mapping" in hunts["UC_LSASS_DUMP"].reasons
    # listed and rolled up from an observed parent: credited once, as listed
    both = Inference(observed=(TechniqueHit(id="T1218", name="System Binary Proxy Execution"),),
                     source_mapped=(TechniqueHit(id="T1218.005", name="Mshta"),))
    mshta = {h.use_case: h for h in lib.hunts_for("", (), both)}["UC_MSHTA_REMOTE_SCRIPT"]
    assert mshta.reasons == ("technique T1218.005 listed in the article's ATT&CK mapping",), mshta.reasons
    observed = {h.use_case: h for h in lib.hunts_for("", (), inf("T1003.001"))}
    assert observed["UC_LSASS_DUMP"].reasons == ("technique T1003.001 observed",)


def test_sql_server_hunt_needs_sql_server_behaviour(lib: HuntLibrary) -> None:
    # An exploited VPN gateway (T1190) or a web shell (T1505.003) says nothing about SQL Server.
    assert "UC_MSSQL_SERVER_ABUSE" not in {h.use_case for h in lib.hunts_for("", (), inf("T1190", "T1505.003"))}
    fired = lib.hunts_for("they enabled xp_cmdshell on the SQL Server", (), inf())
    assert "UC_MSSQL_SERVER_ABUSE" in {h.use_case for h in fired}
