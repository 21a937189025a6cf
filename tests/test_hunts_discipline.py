"""Firing discipline, platform conventions and the import report (issue 16), table-driven."""

from __future__ import annotations

from pathlib import Path

import pytest

from huntfeed.attack.engine import load_catalog
from huntfeed.hunts import HuntLibrary, convert
from huntfeed.hunts.convert import CONVERTERS, parse_rule
from huntfeed.hunts.exploitation import load_exploitation_cues
from huntfeed.hunts.import_sigma import import_dir, save_imported
from huntfeed.hunts.lint import _literal_wildcards
from huntfeed.hunts.registry import dword_forms
from huntfeed.model import Inference, TechniqueHit
from huntfeed.score import load_rubric, score


def inf(*ids: str) -> Inference:
    return Inference(observed=tuple(TechniqueHit(id=i, name=i) for i in ids))


@pytest.fixture(scope="module")
def lib() -> HuntLibrary:
    return HuntLibrary.load()


# Class of error: a product name fired a behaviour hunt ("entra id" alone fired the password-spray hunt).
@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("Users sign in to Entra ID and Microsoft 365 with MFA.", False),
        ("The actor ran a password spray against Entra ID accounts.", True),
        ("A spraying attack hit Office 365 tenants.", True),
    ],
)
def test_product_names_rank_but_never_fire(lib: HuntLibrary, text: str, fires: bool) -> None:
    fired = {f.usecase.id: f for f in lib.fire(text, (), inf())}
    assert ("UC_CLOUD_PASSWORD_SPRAY" in fired) is fires
    if fires:
        assert any(r.startswith("context '") for r in fired["UC_CLOUD_PASSWORD_SPRAY"].reasons)



# Same class for this round's hunts: the product or tool a researcher names (SQL Server, DCOM, tcpdump,
# the hosts file) is context; the behaviour (xp_cmdshell, dcomexec, pktmon, modifying the hosts file) fires.
@pytest.mark.parametrize(
    ("text", "usecase", "fires"),
    [
        ("Microsoft patched SQL Server and MSSQL reporting services this month.", "UC_MSSQL_SERVER_ABUSE", False),
        ("The intruders enabled xp_cmdshell with sp_configure.", "UC_MSSQL_SERVER_ABUSE", True),
        ("DCOM hardening changes arrive with the June update.", "UC_DCOM_LATERAL_MOVEMENT", False),
        ("They moved laterally with dcomexec and MMC20.Application.", "UC_DCOM_LATERAL_MOVEMENT", True),
        ("We captured the beacon's traffic with tcpdump and a packet capture.", "UC_NETWORK_SNIFFING_TOOLS", False),
        ("The operator started pktmon to sniff cleartext credentials.", "UC_NETWORK_SNIFFING_TOOLS", True),
        ("Add the test domain to your hosts file.", "UC_HOSTS_FILE_TAMPERING", False),
        ("The dropper modified the hosts file to block security vendors.", "UC_HOSTS_FILE_TAMPERING", True),
    ],
)
def test_new_hunts_fire_on_behaviour_not_product(lib: HuntLibrary, text: str, usecase: str, fires: bool) -> None:
    assert (usecase in {f.usecase.id for f in lib.fire(text, (), inf())}) is fires


# Class of error: a hunt for one server product fired on every exploited-appliance or web-shell report
# (T1190, T1505.003 observed), and a script-block hunt on any ransomware report (T1486 alone).
@pytest.mark.parametrize(
    ("observed", "usecase", "fires"),
    [
        (("T1190", "T1505.003"), "UC_MSSQL_SERVER_ABUSE", False),
        (("T1505.001",), "UC_MSSQL_SERVER_ABUSE", True),
        (("T1486",), "UC_PS_SCRIPT_RECOVERY_INHIBIT", False),
        (("T1490",), "UC_PS_SCRIPT_RECOVERY_INHIBIT", True),
    ],
)
def test_narrow_hunts_fire_on_their_own_technique(
    lib: HuntLibrary, observed: tuple[str, ...], usecase: str, fires: bool
) -> None:
    assert (usecase in {f.usecase.id for f in lib.fire("", (), inf(*observed))}) is fires

# Class of error: a wiper report saying "it first stops database and backup services" got no
# service-stop hunt (the phrases named only "stops services"); the behaviour with its object fires it.
@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("DRIFTGLASS first stops database and backup services, then overwrites files.", True),
        ("The ransomware stopped backup agents and deleted shadow copies.", True),
        ("The loader kills backup software before encryption.", True),
        ("Backup services were not affected and the database was restored.", False),
    ],
)
def test_service_stopping_wording_fires_the_service_stop_hunt(lib: HuntLibrary, text: str, fires: bool) -> None:
    fired = {f.usecase.id for f in lib.fire(text, (), inf())}
    assert ("UC_SERVICES_STOPPED_BEFORE_ENCRYPTION" in fired) is fires


# Class of error: a web-skimming report's "session hijacking" (a browser session) fired the RDP-hijack
# hunt; its phrases name RDP itself.
@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("Stolen cookies allowed session hijacking of shop administrators.", False),
        ("The operators used tscon for RDP session hijacking on the jump host.", True),
        ("A local privilege escalation flaw in the kernel driver was patched.", False),
    ],
)
def test_rdp_and_privesc_phrases_name_the_behaviour(lib: HuntLibrary, text: str, fires: bool) -> None:
    fired = {f.usecase.id for f in lib.fire(text, (), inf())}
    assert ("UC_RDP_HIJACK_OR_TUNNEL_PROCESS" in fired) is fires
    assert "UC_SYSTEM_SHELL_FROM_UNUSUAL_PARENT" not in fired


# Class of error: an advisory saying "no exploitation has been observed" got web-shell hunts.
@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("Attackers dropped a web shell on the Exchange server.", True),
        ("No exploitation has been observed; an attacker could upload a web shell.", False),
        ("In a hypothetical attack, a web shell would be written to wwwroot.", False),
        ("An attacker could upload a web shell. The flaw is now actively exploited.", True),
    ],
)
def test_no_exploitation_observed_keeps_exploitation_hunts_quiet(lib: HuntLibrary, text: str, fires: bool) -> None:
    fired = {f.usecase.id for f in lib.fire(text, (), inf("T1505.003", "T1190"))}
    assert (
        bool(fired & {"UC_WEBSHELL_FILE_DROPPED", "UC_WEBSHELL_SPAWNS_SHELL", "UC_EXPLOITED_APP_SPAWNS_SHELL"}) is fires
    )


def test_exploitation_cues_only_deny_without_a_report() -> None:
    cues = load_exploitation_cues()
    assert cues.denied("We are not aware of any exploitation.")
    assert not cues.denied("Not aware of any exploitation before; it is now exploited in the wild.")
    assert not cues.denied("The server was patched.")


@pytest.mark.parametrize(
    ("value", "forms"),
    [
        ("DWORD (0x00000000)", ("DWORD (0x00000000)", "0x00000000", "0")),
        ("DWORD (0x0000000A)", ("DWORD (0x0000000A)", "0x0000000a", "10")),
        ("QWORD (0x00000000-0x00000000)", None),
        ("0", None),
    ],
)
def test_dword_forms(value: str, forms: tuple[str, str, str] | None) -> None:
    assert dword_forms(value) == forms


# Class of error: a key path with a trailing backslash under contains came out of pySigma's XDR and ASIM
# pipelines as endswith "...\\Key*" (a literal star: the Defender and Sentinel hunts could never match).
@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("kql", 'RegistryKey contains "\\\\Image File Execution Options" or RegistryKey contains "CurrentVersion"'),
        (
            "sentinel",
            'RegistryKey contains "\\\\Image File Execution Options" or RegistryKey contains "CurrentVersion"',
        ),
    ],
)
def test_registry_key_contains_keeps_contains(target: str, expected: str) -> None:
    rule = (
        "title: t\nstatus: experimental\nlogsource: {category: registry_set, product: windows}\n"
        "detection:\n  a:\n    TargetObject|contains: '\\\\Image File Execution Options\\\\'\n"
        "  b:\n    TargetObject|contains: 'CurrentVersion'\n  condition: a or b\nlevel: low\n"
    )
    assert CONVERTERS[target](rule).splitlines()[2] == f"| where {expected}"


# Class of error: a value name matched as the end of Defender's RegistryKey (IFEO "\\Debugger" in a
# registry_event rule, lists of value names) never matched: Defender keeps the value name apart.
@pytest.mark.parametrize(
    ("category", "ending", "expected"),
    [
        ("registry_set", "'\\Start'", 'RegistryValueName =~ "Start"'),
        (
            "registry_set",
            "'\\Services\\EventLog\\Start'",
            'RegistryKey endswith "\\\\Services\\\\EventLog" and RegistryValueName =~ "Start"',
        ),
        ("registry_event", "'\\Debugger'", 'RegistryKey endswith "\\\\Debugger" or RegistryValueName =~ "Debugger"'),
        (
            "registry_event",
            "['\\Debugger', '\\GlobalFlag']",
            '(RegistryKey endswith "\\\\Debugger" or RegistryValueName =~ "Debugger") or '
            '(RegistryKey endswith "\\\\GlobalFlag" or RegistryValueName =~ "GlobalFlag")',
        ),
    ],
)
def test_registry_value_names_split_off_for_defender(category: str, ending: str, expected: str) -> None:
    rule = (
        f"title: t\nstatus: experimental\nlogsource: {{category: {category}, product: windows}}\n"
        f"detection:\n  a:\n    TargetObject|endswith: {ending}\n  condition: a\nlevel: low\n"
    )
    assert CONVERTERS["kql"](rule).splitlines()[2] == f"| where {expected}"


def test_sentinel_falls_back_to_labelled_defender_tables(lib: HuntLibrary) -> None:
    # imProcessCreate has no OriginalFileName: the Sentinel hunt is the Defender query, and says so.
    q = lib.queries(lib.get("UC_CERTUTIL_DOWNLOAD"))
    assert q["sentinel"].splitlines()[0].startswith("// Defender tables:")
    assert q["sentinel"].splitlines()[1:] == q["kql"].splitlines()


def test_cim_queries_use_the_summaries_macro(lib: HuntLibrary) -> None:
    spl = [lib.queries(uc).get("spl", "") for uc in lib.usecases]
    assert not [q for q in spl if "summariesonly=" in q]
    assert sum("`huntfeed_summariesonly`" in q for q in spl) >= 60
    macros = (Path(__file__).resolve().parents[1] / "src/huntfeed/data/splunk/macros.conf").read_text()
    assert "[huntfeed_summariesonly]" in macros and "[drop_dm_object_name(1)]" in macros


RULE = """title: {title}
id: {rid}
status: test
logsource: {{category: process_creation, product: {product}}}
detection:
  sel:
    CommandLine|contains: 'whoami'
  condition: sel
level: high
tags: [attack.discovery, {tags}]
"""


@pytest.fixture()
def rules(tmp_path: Path) -> Path:
    d = tmp_path / "rules"
    d.mkdir()
    rows = [
        ("win", "11111111-1111-1111-1111-111111111111", "windows", "attack.t1033"),
        ("lin", "22222222-2222-2222-2222-222222222222", "linux", "attack.t1033"),
        ("new", "33333333-3333-3333-3333-333333333333", "windows", "attack.t1999.123, attack.t1033"),
        ("ghost", "44444444-4444-4444-4444-444444444444", "windows", "attack.t1999.124"),
    ]
    for name, rid, product, tags in rows:
        (d / f"{name}.yml").write_text(RULE.format(title=name, rid=rid, product=product, tags=tags))
    return d


def test_import_reports_unknown_techniques_and_a_summary(rules: Path) -> None:
    report = import_dir(rules, catalog=load_catalog(Path("/nonexistent-huntfeed-home")))
    assert sorted(report.unknown_techniques.items()) == [("T1999.123", 1), ("T1999.124", 1)]
    assert [Path(f).name for f, _ in report.never_fire] == ["ghost.yml"]
    assert {r.title: r.techniques for r in report.imported} == {
        "ghost": (),
        "lin": ("T1033",),
        "new": ("T1033",),
        "win": ("T1033",),
    }
    table = report.summary()
    assert table[0].split() == ["target", "converted", "failed", "KQL", "rejected"]
    assert table[1].split() == ["spl", "4", "0", "-"]
    assert table[-1].startswith("4 imported (0 partly), 0 skipped")
    assert "1 imported with no known technique (cannot fire); 2 unknown" in table[-1]


def test_one_backend_failing_keeps_the_other_targets(rules: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(text: str) -> str:
        raise RuntimeError("backend bug")

    monkeypatch.setitem(convert.CONVERTERS, "sentinel", boom)
    report = import_dir(rules)
    assert len(report.imported) == 4 and not report.failed
    assert all("sentinel" not in r.queries and "kql" in r.queries for r in report.imported)
    assert report.convert_failed["sentinel"] == 4 and report.converted["kql"] == 4
    assert all("sentinel: RuntimeError: backend bug" in why for _, why in report.partial)


class _RejectingChecker:
    """Stands in for Kusto.Language: rejects every Sentinel query, accepts Defender ones."""

    def __init__(self) -> None:
        self.schema: dict[str, dict[str, str]] = {}

    def set_schema(self, schema: dict[str, dict[str, str]]) -> None:
        self.schema = schema

    def check(self, query: str, qid: str = "") -> object:
        class R:
            errors = ("unknown table",) if "imProcessCreate" in self.schema and "imProcessCreate" in query else ()

        return R()


def test_kql_rejected_at_import_is_dropped_and_listed(rules: Path) -> None:
    report = import_dir(rules, checker=_RejectingChecker())  # type: ignore[arg-type]
    assert report.kql_rejected["sentinel"] == 4 and report.kql_rejected["kql"] == 0
    assert all("sentinel" not in r.queries for r in report.imported)
    assert all("sentinel: rejected by Kusto.Language: unknown table" in why for _, why in report.partial)


def test_imported_rules_are_platform_gated_ranked_last_and_leave_severity(rules: Path, tmp_path: Path) -> None:
    store = save_imported(import_dir(rules).imported, tmp_path / "imports.json")
    lib = HuntLibrary.load(imports=store)
    text = "The Windows implant ran whoami on the compromised .exe host."
    hunts = lib.hunts_for(text, (), inf("T1033"))
    imported = [h.title for h in hunts if h.kind == "sigma-import"]
    assert sorted(imported) == ["new", "win"]  # the Linux rule stays off a Windows article
    kinds = [h.kind for h in hunts]
    assert kinds.index("sigma-import") > max(i for i, k in enumerate(kinds) if k == "usecase")
    rubric = load_rubric()
    only = tuple(h for h in hunts if h.kind == "usecase")
    args = {"text": text, "indicators": (), "inference": inf("T1033"), "source_reliability": "C", "kev": frozenset()}
    assert score(hunts=hunts, rubric=rubric, **args) == score(hunts=only, rubric=rubric, **args)  # type: ignore[arg-type]


NET_RULE = """title: t
logsource: {category: network_connection, product: windows}
detection:
  sel:
    Image|endswith: '\\\\powershell.exe'
  filter_ports:
    DestinationPort: [80, 443]
  filter_local:
    DestinationIp|cidr: %s
  condition: sel and not 1 of filter_*
level: low
"""


def test_kusto_ports_are_integers_and_ipv6_ranges_use_ipv6_is_in_range() -> None:
    # Class of error: RemotePort in~ ("80", "443") (strings vs an int column) and ipv4_is_in_range("fc00::/7"),
    # then IPv6 ranges silently dropped from a `not` filter (a wider hunt than the rule).
    # And a `not` of ipv4_is_in_range, null for an IPv6 address, dropped every IPv6 row: coalesce(..., false).
    from huntfeed.hunts.convert import to_kql_defender, to_kql_sentinel

    rule = NET_RULE % "['10.0.0.0/8', 'fc00::/7']"
    assert to_kql_defender(rule).splitlines()[2] == (
        '| where InitiatingProcessFolderPath endswith "\\\\powershell.exe" and '
        '(not(((RemotePort == 80 or RemotePort == 443) or '
        '(coalesce(ipv4_is_in_range(RemoteIP, "10.0.0.0/8"), false) or '
        'coalesce(ipv6_is_in_range(RemoteIP, "fc00::/7"), false)))))'
    )
    assert "DstPortNumber == 80 or DstPortNumber == 443" in to_kql_sentinel(rule)


def test_kusto_ipv6_only_range() -> None:
    from huntfeed.hunts.convert import to_kql_defender

    assert to_kql_defender(NET_RULE % "['fc00::/7']").splitlines()[2].endswith(
        'or coalesce(ipv6_is_in_range(RemoteIP, "fc00::/7"), false))))'
    )


# Class of error: '\Desktop\*' in a Sigma value is an escaped, literal star (the rule looked for a file
# named "Desktop*"); lint names the field.
@pytest.mark.parametrize(
    ("values", "flagged"),
    [
        ("['\\Desktop\\*']", ["CommandLine"]),
        ("['\\Desktop\\']", []),
        ("['*.kdbx', 'id_?sa']", []),
        ("['key\\?.db']", ["CommandLine"]),
    ],
)
def test_lint_flags_escaped_wildcards(values: str, flagged: list[str]) -> None:
    rule = parse_rule(
        "title: t\nstatus: experimental\nlogsource: {category: process_creation, product: windows}\n"
        f"detection:\n  a:\n    CommandLine|contains: {values}\n  condition: a\nlevel: low\n"
    )
    assert _literal_wildcards(rule) == flagged
