"""Hunt labels (runnable, blind spot, covered), the digest's lead, `profiles list --affects-us`, web filter and page."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from huntfeed.cli import cli
from huntfeed.environment.coverage import label_hunt
from huntfeed.environment.load import load_environment
from huntfeed.environment.report import blind_spots
from huntfeed.environment.spec import Environment
from huntfeed.hunts import HuntLibrary
from huntfeed.hunts.sweeps import build_sweeps
from huntfeed.model import Hunt, HuntLabel, Indicator, IndicatorType, Relevance, RelevanceMatch
from huntfeed.paths import package_data
from huntfeed.render import digest
from huntfeed.store import Store
from huntfeed.web.app import create_app
from tests.fixtures_profiles import NOW, apt_profile_v2, low_profile, vuln_profile

ENV = """
[data_sources]
splunk_cim = [{ data_model = "Endpoint.Processes", index = "edr" }]
defender_tables = ["DeviceProcessEvents"]
sigma = [{ product = "windows", category = "process_creation" }]

[deployed_rules]
sigma = ["sigma"]
splunk = ["savedsearches.conf"]
sentinel = ["sentinel"]
"""
SIGMA_SAME_FIELDS = """title: Our certutil rule
logsource: {product: windows, category: process_creation}
detection:
  sel_img:
    Image|endswith: '\\\\certutil.exe'
  sel_cli:
    CommandLine|contains: ['urlcache', ' -decode ', 'verifyctl']
  condition: all of sel_*
"""
SPLUNK = """[Mshta remote script - Rule]
action.correlationsearch.annotations = {"mitre_attack": ["T1218.005"]}
search = | tstats count from datamodel=Endpoint.Processes where Processes.process_name=mshta.exe by dest
"""
SENTINEL = """name: Scheduled task from a writable folder
relevantTechniques: [T1053]
query: |
  DeviceProcessEvents
  | where FileName =~ "schtasks.exe"
"""


@pytest.fixture(scope="module")
def lib() -> HuntLibrary:
    return HuntLibrary.load()


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Environment:
    root = tmp_path_factory.mktemp("env")
    (root / "sigma").mkdir()
    (root / "sigma" / "certutil.yml").write_text(SIGMA_SAME_FIELDS, encoding="utf-8")
    (root / "savedsearches.conf").write_text(SPLUNK, encoding="utf-8")
    (root / "sentinel").mkdir()
    (root / "sentinel" / "schtasks.yaml").write_text(SENTINEL, encoding="utf-8")
    (root / "environment.toml").write_text(ENV, encoding="utf-8")
    return load_environment(root / "environment.toml")


def _hunt(lib: HuntLibrary, uc_id: str) -> Hunt:
    uc = lib.get(uc_id)
    return Hunt(uc.id, uc.title, uc.phase, uc.confidence, lib.queries(uc), techniques=uc.techniques)


def test_runnable_names_the_sources(lib: HuntLibrary, env: Environment) -> None:
    label = label_hunt(_hunt(lib, "UC_POWERSHELL_ENCODED"), env)
    assert label == HuntLabel("UC_POWERSHELL_ENCODED", "runnable",
                              "runs on Splunk CIM Endpoint.Processes (index edr); Defender DeviceProcessEvents; "
                              "Sigma log source windows/process_creation",
                              ("Splunk CIM Endpoint.Processes (index edr)", "Defender DeviceProcessEvents",
                               "Sigma log source windows/process_creation"))


def test_blind_spot_says_which_source_would_close_it(lib: HuntLibrary, env: Environment) -> None:
    label = label_hunt(_hunt(lib, "UC_RUN_KEY_PERSISTENCE"), env)
    assert label.label == "blind spot"
    assert label.sources == ("Splunk CIM Endpoint.Registry", "Defender DeviceRegistryEvents", "Sentinel imRegistry",
                             "Sigma log source windows/registry_set")
    assert label.detail.startswith("you have no data source for it; any of these would close it: Splunk CIM")


def test_blind_spot_names_only_the_missing_part(env: Environment) -> None:
    (sweep,) = build_sweeps((Indicator(IndicatorType.SHA256, "a" * 64, "a" * 64, 0, 64),))
    label = label_hunt(sweep, env)
    assert label.sources == ("Splunk CIM Endpoint.Filesystem", "Defender DeviceFileEvents + DeviceImageLoadEvents")


@pytest.mark.parametrize(
    ("uc_id", "rule", "why"),
    [
        ("UC_CERTUTIL_DOWNLOAD", "Our certutil rule", "same detection fields and values"),
        ("UC_MSHTA_REMOTE_SCRIPT", "Mshta remote script - Rule", "same technique on the same log source"),
        ("UC_SCHTASKS_CREATE", "Scheduled task from a writable folder", "same technique on the same log source"),
    ],
    ids=["sigma-fields", "splunk-technique-datamodel", "sentinel-parent-technique-table"],
)
def test_covered_names_the_rule(lib: HuntLibrary, env: Environment, uc_id: str, rule: str, why: str) -> None:
    label = label_hunt(_hunt(lib, uc_id), env)
    assert (label.label, label.rule) == ("covered", rule)
    assert label.detail.endswith(why)


def test_demo_rule_covers_the_demo_lsass_use_case(lib: HuntLibrary) -> None:
    demo = load_environment(package_data("demo", "environment", "environment.toml"))
    label = label_hunt(_hunt(lib, "UC_LSASS_DUMP"), demo)
    assert (label.label, label.rule) == ("covered", "Credential dumping tools touching LSASS (SOC rule 114)")
    # the other two demo rules cover nothing the library has
    others = {label_hunt(_hunt(lib, uc.id), demo).rule for uc in lib.usecases} - {""}
    assert others == {"Credential dumping tools touching LSASS (SOC rule 114)"}


def _with_relevance(profiles: list) -> list:  # type: ignore[type-arg]
    apt, vuln, low = profiles
    apt = replace(apt, relevance=Relevance("Blue", (RelevanceMatch("product", "Fortinet FortiOS 7.2",
                                                                    "names FortiOS 7.2, which you run", "s"),),
                                           tuple(HuntLabel(h.use_case, "blind spot", "no source",
                                                           ("Defender DeviceProcessEvents",)) for h in apt.hunts)))
    vuln = replace(vuln, relevance=Relevance("Blue"))
    return [apt, vuln, low]


def test_digest_leads_with_affects_us_and_lists_blind_spots() -> None:
    apt, vuln, low = _with_relevance([apt_profile_v2(), vuln_profile(), low_profile()])
    text = digest.render([apt, vuln, low], NOW.date(), "md")
    assert text.index("## Affects us (1)") < text.index("## Top techniques") < text.index("## HIGH")
    lead = text.split("## Affects us (1)\n\n", 1)[1].split("\n", 1)[0]
    assert lead.startswith(f"- **[{apt.severity.value}] APT29 phishing wave drops loader \\<script\\>")
    assert lead.endswith("**: Fortinet FortiOS 7.2: names FortiOS 7.2, which you run")
    assert "## Blind spots" in text and "Defender DeviceProcessEvents" in text
    html = digest.render([apt, vuln, low], NOW.date(), "html")
    assert 'id="affects-us"' in html and 'id="blind-spots"' in html
    plain = digest.render([apt_profile_v2(), vuln_profile(), low_profile()], NOW.date(), "md")
    assert "Affects us" not in plain and "Blind spots" not in plain


def test_blind_spots_per_technique() -> None:
    apt, vuln, low = _with_relevance([apt_profile_v2(), vuln_profile(), low_profile()])
    spots = blind_spots([apt, vuln, low])
    techs = {t for h in apt.hunts for t in h.techniques} | {f"IOC sweeps: {h.use_case}" for h in apt.hunts
                                                             if not h.techniques}
    assert sorted(b.technique for b in spots) == sorted(techs)
    assert all(b.closes == ("Defender DeviceProcessEvents",) and b.profiles == 1 for b in spots)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(f"sqlite:///{tmp_path / 'h.db'}")
    for p in _with_relevance([apt_profile_v2(), vuln_profile(), low_profile()]):
        store.save_profile(p)
    return store


def test_profiles_list_affects_us(store: Store) -> None:
    assert [p.id for p in store.list_profiles(affects_us=True)] == [apt_profile_v2().id]
    assert store.count_profiles(affects_us=True) == 1 and store.count_profiles() == 3
    result = CliRunner().invoke(cli, ["profiles", "list", "--affects-us", "--json", "--db", store.url])
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == [apt_profile_v2().id]
    assert rows[0]["affects_us"] == ["product: Fortinet FortiOS 7.2"]


def test_web_filter_and_blind_spots_page(store: Store) -> None:
    with TestClient(create_app(store, tactic_order=lambda: ("execution",), clock=lambda: NOW),
                    base_url="http://127.0.0.1") as client:
        listed = client.get("/?affects_us=1").text
        assert apt_profile_v2().title.split()[0] in listed and "affects us" in listed
        assert vuln_profile().id not in listed
        assert vuln_profile().id in client.get("/").text
        page = client.get("/blind-spots?period=all")
        assert page.status_code == 200
        assert "Defender DeviceProcessEvents" in page.text and "T1059.001" in page.text
        profile = client.get(f"/profiles/{apt_profile_v2().id}").text
        assert "Relevance to us" in profile and "blind spot" in profile
