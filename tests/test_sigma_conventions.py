"""Platform conventions in conversion (issue 16 item 2): a Sigma rule in, the exact KQL filter line out.

Every row is a class of query that Kusto.Language accepts but that could never match (or matched more
than the rule); the last test runs each output through Kusto.Language itself.
"""

from __future__ import annotations

import pytest

from huntfeed.errors import QueryError
from huntfeed.hunts.convert import CONVERTERS
from huntfeed.hunts.validate import KustoChecker, defender_schema, kusto_available, sentinel_schema

REG = "title: t\nlogsource: {{category: {cat}, product: windows}}\ndetection:\n  sel:\n{items}  condition: sel\nlevel: low\n"
AUTH = "title: t\nlogsource: {{product: windows, service: security}}\ndetection:\n  sel:\n{items}  condition: sel\nlevel: low\n"
NET = "title: t\nlogsource: {{category: network_connection, product: windows}}\ndetection:\n  sel:\n{items}  condition: sel\nlevel: low\n"
PROC = "title: t\nlogsource: {{category: process_creation, product: windows}}\ndetection:\n  sel:\n{items}  condition: sel\nlevel: low\n"

CASES = [
    # endswith '$' (no backslash) ends the value's name; it is not the whole name
    ("suffix_value_name", REG.format(cat="registry_set", items="    TargetObject|endswith: '$'\n"),
     'RegistryValueName endswith "$"', 'RegistryValue endswith "$"'),
    ("suffix_key_or_value", REG.format(cat="registry_event", items="    TargetObject|endswith: '$'\n"),
     'RegistryKey endswith "$" or RegistryValueName endswith "$"', 'RegistryKey endswith "$" or RegistryValue endswith "$"'),
    # contains '...\System\EnableLUA': EnableLUA is the value's name, which Defender keeps out of the key
    ("contains_value_name",
     REG.format(cat="registry_set", items="    TargetObject|contains: 'Policies\\System\\EnableLUA'\n"),
     'RegistryKey contains "Policies\\\\System\\\\EnableLUA" or '
     '(RegistryKey endswith "Policies\\\\System" and RegistryValueName startswith "EnableLUA")',
     'RegistryKey contains "Policies\\\\System\\\\EnableLUA" or '
     '(RegistryKey endswith "Policies\\\\System" and RegistryValue startswith "EnableLUA")'),
    # Security's logon type number as the name Defender and ASIM write
    ("logon_type", AUTH.format(items="    EventID: 4624\n    LogonType: 9\n"),
     'ActionType =~ "LogonSuccess" and LogonType =~ "NewCredentials"',
     'ActionType =~ "LogonSuccess" and LogonType =~ "NewCredentials"'),
    ("logon_types", AUTH.format(items="    EventID: 4624\n    LogonType: [3, 10]\n"),
     'ActionType =~ "LogonSuccess" and (LogonType in~ ("Network", "RemoteInteractive"))',
     'ActionType =~ "LogonSuccess" and (LogonType in~ ("Network", "RemoteInteractive"))'),
    # Sysmon's Initiated as ASIM's direction (Defender's pipeline drops it: its table has no such column)
    ("initiated", NET.format(items="    Image|endswith: '\\dfsvc.exe'\n    Initiated: 'true'\n"),
     'InitiatingProcessFolderPath endswith "\\\\dfsvc.exe"',
     '(SrcProcessName endswith "\\\\dfsvc.exe" or DstProcessName endswith "\\\\dfsvc.exe") and '
     'NetworkDirection =~ "Outbound"'),
    # IPv6 ranges kept, in the IPv6 function; each range test false (not null) for the other family
    ("ipv6_kept", NET.format(items="    DestinationIp|cidr: ['10.0.0.0/8', '::1/128']\n"),
     'coalesce(ipv4_is_in_range(RemoteIP, "10.0.0.0/8"), false) or '
     'coalesce(ipv6_is_in_range(RemoteIP, "::1/128"), false)',
     'coalesce(ipv4_is_in_range(DstIpAddr, "10.0.0.0/8"), false) or '
     'coalesce(ipv6_is_in_range(DstIpAddr, "::1/128"), false)'),
    # base64 text is case-sensitive
    ("base64offset", PROC.format(items="    CommandLine|base64offset|contains: 'IEX'\n"),
     'ProcessCommandLine contains_cs "SUVY" or ProcessCommandLine contains_cs "lFW" or '
     'ProcessCommandLine contains_cs "JRV"',
     'TargetProcessCommandLine contains_cs "SUVY" or TargetProcessCommandLine contains_cs "lFW" or '
     'TargetProcessCommandLine contains_cs "JRV"'),
    ("base64", PROC.format(items="    CommandLine|base64: 'IEX'\n"),
     'ProcessCommandLine == "SUVY"', 'TargetProcessCommandLine == "SUVY"'),
]


def _filter(query: str) -> str:
    lines = [line for line in query.splitlines() if not line.startswith("//")]
    return lines[2].removeprefix("| where ")


@pytest.mark.parametrize(("name", "rule", "kql", "sentinel"), CASES, ids=[c[0] for c in CASES])
def test_conventions_exact(name: str, rule: str, kql: str, sentinel: str) -> None:
    assert _filter(CONVERTERS["kql"](rule)) == kql
    assert _filter(CONVERTERS["sentinel"](rule)) == sentinel


def test_logon_type_without_a_name_fails_clearly() -> None:
    with pytest.raises(QueryError, match="LogonType 0 has no name"):
        CONVERTERS["kql"](AUTH.format(items="    EventID: 4624\n    LogonType: 0\n"))


@pytest.mark.skipif(not kusto_available(), reason="needs node and tests/kql/node_modules (cd tests/kql && npm ci)")
def test_conventions_pass_kusto_language() -> None:
    with KustoChecker() as kc:
        for target, schema in (("kql", defender_schema()), ("sentinel", sentinel_schema())):
            kc.set_schema(schema)
            for name, rule, *_ in CASES:
                assert kc.check(CONVERTERS[target](rule), qid=name).errors == (), (name, target)


# Class of error: the XDR pipeline dropped a Security EventID after choosing DeviceLogonEvents, so a
# 4624 (logon success) hunt matched failed logons too, and a 4625 rule converted to no query at all.
@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ("    EventID: 4624\n    LogonType: 9\n", 'ActionType =~ "LogonSuccess" and LogonType =~ "NewCredentials"'),
        ("    EventID: 4625\n", 'ActionType =~ "LogonFailed"'),
        ("    EventID: [4624, 4625]\n", 'ActionType in~ ("LogonSuccess", "LogonFailed")'),
    ],
)
def test_logon_event_ids_as_defender_action_types(items: str, expected: str) -> None:
    assert _filter(CONVERTERS["kql"](AUTH.format(items=items))) == expected
    assert CONVERTERS["kql"](AUTH.format(items=items)).splitlines()[0] == "DeviceLogonEvents"
