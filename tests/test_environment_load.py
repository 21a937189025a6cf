"""environment.toml: `env init`, the strict loader's errors (file:line), deployed-rule parsing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from huntfeed.cli import cli
from huntfeed.environment.load import find_environment, load_environment
from huntfeed.environment.rules import sentinel_rules, sigma_rules, splunk_rules
from huntfeed.environment.spec import SigmaSource
from huntfeed.environment.template import TEMPLATE
from huntfeed.environment.tomllines import parse_toml
from huntfeed.errors import ConfigError, DataFileError
from huntfeed.paths import package_data

DEMO_ENV = package_data("demo", "environment", "environment.toml")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "environment.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_template_loads_and_says_what_it_holds(tmp_path: Path) -> None:
    env = load_environment(_write(tmp_path, TEMPLATE))
    assert [p.label for p in env.products] == ["Fortinet FortiOS 7.2", "Microsoft Exchange Server 2019"]
    assert env.products[0].names == ("FortiGate", "FortiOS")
    assert [s.name for s in env.sectors] == ["healthcare"] and "hospital" in env.sectors[0].terms
    assert [c.data_model for c in env.data_sources.splunk_cim] == ["Endpoint.Processes", "Network_Resolution.DNS"]
    assert env.data_sources.sigma == (SigmaSource("windows", "process_creation", ""),)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('name = "x"\ncolour = "blue"\n', 2, "unknown key 'colour'"),
        ('[[products]]\nvendor = "Fortinet"\n', 1, "needs a 'product'"),
        ('[[products]]\nproduct = "A"\n\n[[products]]\nproduct = "B"\nversion = "1"\n', 6, "unknown key 'version'"),
        ('[[products]]\nproduct = "A"\nversions = "7.2"\n', 3, "must be a list of strings"),
        ('sectors = ["healthcare", "underwater basket weaving"]\n', 1, "unknown sector"),
        ('sectors = [\n  "healthcare",\n  "bogus",\n]\n', 3, "unknown sector"),
        ('[data_sources]\nsplunk_cim = [\n  { data_model = "Endpoint.Processes" },\n  { data_model = "not a model" },\n]\n',
         4, "not a CIM data model"),
        ('[data_sources]\ndefender_tables = ["DeviceProcessEvents", "Device Events"]\n', 2, "not a table name"),
        ('[data_sources]\nsigma = [{}]\n', 2, "needs product, category or service"),
        ('[deployed_rules]\nsigma = ["no/such/folder"]\n', 2, "no such file or folder"),
        ('name = "x"\nproducts = [\n', 3, "invalid TOML"),
    ],
    ids=["unknown-top", "no-product", "second-product-key", "versions-type", "sector", "sector-multiline", "cim",
         "table", "sigma-empty", "rules-folder", "syntax"],
)
def test_loader_errors_name_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_environment(path)
    assert err.value.where == f"{path}:{line}"
    assert message in err.value.message


def test_toml_lines_for_tables_keys_and_array_elements() -> None:
    doc = parse_toml('a = 1\n[[p]]\nx = 1\n[[p]]\n# note\nx = 2\n[t]\nl = [\n  "a",\n  "b",\n]\n', "f")
    assert doc.line(("p", 1, "x")) == 6
    assert doc.line(("p", 1)) == 4
    assert doc.line(("t", "l", 1)) == 10
    assert doc.line(("t", "missing")) == 7  # falls back to the table


def test_no_file_no_environment_but_a_named_missing_file_is_an_error(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    assert find_environment() is None
    monkeypatch.setenv("HUNTFEED_ENVIRONMENT", str(tmp_path / "absent.toml"))
    with pytest.raises(ConfigError, match="cannot read"):
        find_environment()


def test_env_init_writes_to_the_data_folder_then_check_reads_it(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["env", "init"])
    assert result.exit_code == 0, result.output
    written = Path(result.stdout.strip())
    assert written.name == "environment.toml" and written.read_text(encoding="utf-8") == TEMPLATE
    again = runner.invoke(cli, ["env", "init"])
    assert again.exit_code != 0 and "already exists" in str(again.exception)
    checked = runner.invoke(cli, ["env", "check", "--json"])
    assert json.loads(checked.stdout)["products"] == ["Fortinet FortiOS 7.2", "Microsoft Exchange Server 2019"]


def test_env_init_honours_flag_and_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "team" / "env.toml"
    assert CliRunner().invoke(cli, ["env", "init", "--environment", str(target)]).exit_code == 0
    assert target.is_file()
    other = tmp_path / "other.toml"
    monkeypatch.setenv("HUNTFEED_ENVIRONMENT", str(other))
    assert CliRunner().invoke(cli, ["env", "init"]).exit_code == 0
    assert other.is_file()


def test_demo_environment_loads_its_three_sigma_rules() -> None:
    env = load_environment(DEMO_ENV)
    assert sorted(r.name for r in env.rules) == [
        "Credential dumping tools touching LSASS (SOC rule 114)",
        "New USB mass-storage device on a server (SOC rule 203)",
        "VPN appliance admin login from outside the management network (SOC rule 310)",
    ]
    lsass = next(r for r in env.rules if "LSASS" in r.name)
    assert lsass.techniques == frozenset({"T1003.001"})
    assert lsass.logsource == SigmaSource("windows", "process_creation", "")
    assert ("commandline", "comsvcs.dll") in lsass.pairs


def test_splunk_savedsearches_conf(tmp_path: Path) -> None:
    conf = tmp_path / "savedsearches.conf"
    conf.write_text(
        "[default]\ndispatch.earliest_time = -24h\n\n"
        "[ESCU - Certutil Download - Rule]\n"
        "action.correlationsearch.annotations = {\"mitre_attack\": [\"T1105\"]}\n"
        "search = | tstats count from datamodel=Endpoint.Processes \\\n"
        "  where Processes.process_name=\"certutil.exe\" Processes.process IN (\"*urlcache*\", \"*-split*\") by dest\n"
        "\n[Old rule]\ndisabled = 1\nsearch = index=main foo\n",
        encoding="utf-8",
    )
    (rule,) = splunk_rules(conf)
    assert rule.name == "ESCU - Certutil Download - Rule" and rule.where == f"{conf}:4"
    assert rule.techniques == frozenset({"T1105"}) and rule.cim_models == frozenset({"Endpoint.Processes"})
    assert {("process_name", "certutil.exe"), ("process", "urlcache"), ("process", "-split")} <= rule.pairs
    conf.write_text("[x]\nthis line is not a setting\n", encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        splunk_rules(conf)
    assert err.value.where == f"{conf}:2"


def test_sentinel_yaml_and_arm_json(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "id: 1\nname: Rare process with encoded PowerShell\nrelevantTechniques: [T1059.001]\n"
        "query: |\n  DeviceProcessEvents\n  | where ProcessCommandLine has \"-enc\"\n", encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps({"resources": [{"properties": {
        "displayName": "Sign-in from TOR", "techniques": ["T1078"],
        "query": "SigninLogs | where IPAddress in (\"1.2.3.4\")"}}]}), encoding="utf-8")
    rules = {r.name: r for r in sentinel_rules(tmp_path)}
    assert rules["Rare process with encoded PowerShell"].tables == frozenset({"DeviceProcessEvents"})
    assert rules["Rare process with encoded PowerShell"].pairs == frozenset({("processcommandline", "-enc")})
    assert rules["Sign-in from TOR"].tables == frozenset({"SigninLogs"})
    assert rules["Sign-in from TOR"].techniques == frozenset({"T1078"})


def test_a_file_that_is_not_a_sigma_rule_is_named(tmp_path: Path) -> None:
    (tmp_path / "notes.yml").write_text("hello: world\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="not a Sigma rule"):
        sigma_rules(tmp_path)


def test_run_distributed_with_an_environment_flag_says_where_workers_read_it(tmp_path: Path) -> None:
    env = tmp_path / "environment.toml"
    env.write_text(TEMPLATE, encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'd.db'}"
    runner = CliRunner()
    assert runner.invoke(cli, ["feeds", "add", "https://feeds.example/rss", "--db", db]).exit_code == 0
    result = runner.invoke(cli, ["run", "--distributed", "--environment", str(env), "--db", db])
    assert result.exit_code != 0 and "HUNTFEED_ENVIRONMENT" in str(result.exception)
