"""Exact queries, as pySigma's backends test them: a use case in, the whole SPL/KQL string out, per dialect.

The registry use case exercises huntfeed's pipelines (value name split off the key, DWORD data per target,
CIM registry_path and the summaries macro); the process one the stock mappings. A change in any mapping
shows here as a diff of the query an analyst would paste.
"""
# ruff: noqa: E501

from __future__ import annotations

import pytest

from huntfeed.hunts import HuntLibrary
from huntfeed.hunts.convert import CONVERTERS

EXPECTED = {
    ('UC_RDP_ENABLED_OR_TUNNELLED', 'spl'): (
        '| tstats `huntfeed_summariesonly` fillnull_value="null" count min(_time) as firstTime max(_time) as lastTime from datamodel=Endpoint.Registry where (Registry.registry_path="*\\\\Control\\\\Terminal Server\\\\fDenyTSConnections" Registry.registry_value_data IN ("DWORD (0x00000000)", "0x00000000", "0")) OR Registry.registry_path="*\\\\WinStations\\\\RDP-Tcp\\\\PortNumber" OR Registry.registry_path="*\\\\Terminal Services\\\\Shadow" by Registry.dest Registry.user Registry.action Registry.process_guid Registry.process_id Registry.registry_path Registry.registry_value_name Registry.registry_value_data\n'
        '| `drop_dm_object_name(Registry)`\n'
        '| convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(firstTime)\n'
        '| convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(lastTime)'
    ),
    ('UC_RDP_ENABLED_OR_TUNNELLED', 'spl_raw'): (
        'search (TargetObject="*\\\\Control\\\\Terminal Server\\\\fDenyTSConnections" Details="DWORD (0x00000000)") OR TargetObject="*\\\\WinStations\\\\RDP-Tcp\\\\PortNumber" OR TargetObject="*\\\\Terminal Services\\\\Shadow"'
    ),
    ('UC_RDP_ENABLED_OR_TUNNELLED', 'kql'): (
        'DeviceRegistryEvents\n'
        '| where Timestamp > ago(30d)\n'
        '| where ((RegistryKey endswith "\\\\Control\\\\Terminal Server" and RegistryValueName =~ "fDenyTSConnections") and RegistryValueData =~ "0") or (RegistryKey endswith "\\\\WinStations\\\\RDP-Tcp" and RegistryValueName =~ "PortNumber") or (RegistryKey endswith "\\\\Terminal Services" and RegistryValueName =~ "Shadow")\n'
        '| project Timestamp, DeviceName, ActionType, InitiatingProcessFileName, RegistryKey, RegistryValueName, RegistryValueData'
    ),
    ('UC_RDP_ENABLED_OR_TUNNELLED', 'sentinel'): (
        'imRegistry\n'
        '| where TimeGenerated > ago(30d)\n'
        '| where ((RegistryKey endswith "\\\\Control\\\\Terminal Server" and RegistryValue =~ "fDenyTSConnections") and (RegistryValueData in~ ("DWORD (0x00000000)", "0x00000000", "0"))) or (RegistryKey endswith "\\\\WinStations\\\\RDP-Tcp" and RegistryValue =~ "PortNumber") or (RegistryKey endswith "\\\\Terminal Services" and RegistryValue =~ "Shadow")'
    ),
    ('UC_SHADOW_COPY_DELETE', 'spl'): (
        '| tstats `huntfeed_summariesonly` fillnull_value="null" count min(_time) as firstTime max(_time) as lastTime from datamodel=Endpoint.Processes where (Processes.process="*vssadmin*" Processes.process="*delete*" Processes.process="*shadows*") OR (Processes.process="*shadowcopy*" Processes.process="*delete*") OR (Processes.process="*wbadmin*" Processes.process="*delete*") OR Processes.process IN ("*recoveryenabled no*", "*bootstatuspolicy ignoreallfailures*") by Processes.process Processes.dest Processes.process_current_directory Processes.process_path Processes.process_integrity_level Processes.original_file_name Processes.parent_process Processes.parent_process_path Processes.parent_process_guid Processes.parent_process_id Processes.process_guid Processes.process_id Processes.user\n'
        '| `drop_dm_object_name(Processes)`\n'
        '| convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(firstTime)\n'
        '| convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(lastTime)'
    ),
    ('UC_SHADOW_COPY_DELETE', 'spl_raw'): (
        'search (CommandLine="*vssadmin*" CommandLine="*delete*" CommandLine="*shadows*") OR (CommandLine="*shadowcopy*" CommandLine="*delete*") OR (CommandLine="*wbadmin*" CommandLine="*delete*") OR CommandLine IN ("*recoveryenabled no*", "*bootstatuspolicy ignoreallfailures*")'
    ),
    ('UC_SHADOW_COPY_DELETE', 'kql'): (
        'DeviceProcessEvents\n'
        '| where Timestamp > ago(30d)\n'
        '| where (ProcessCommandLine contains "vssadmin" and ProcessCommandLine contains "delete" and ProcessCommandLine contains "shadows") or (ProcessCommandLine contains "shadowcopy" and ProcessCommandLine contains "delete") or (ProcessCommandLine contains "wbadmin" and ProcessCommandLine contains "delete") or (ProcessCommandLine contains "recoveryenabled no" or ProcessCommandLine contains "bootstatuspolicy ignoreallfailures")\n'
        '| project Timestamp, DeviceName, AccountName, InitiatingProcessFileName, InitiatingProcessCommandLine, FileName, ProcessCommandLine, SHA256'
    ),
    ('UC_SHADOW_COPY_DELETE', 'sentinel'): (
        'imProcessCreate\n'
        '| where TimeGenerated > ago(30d)\n'
        '| where (TargetProcessCommandLine contains "vssadmin" and TargetProcessCommandLine contains "delete" and TargetProcessCommandLine contains "shadows") or (TargetProcessCommandLine contains "shadowcopy" and TargetProcessCommandLine contains "delete") or (TargetProcessCommandLine contains "wbadmin" and TargetProcessCommandLine contains "delete") or (TargetProcessCommandLine contains "recoveryenabled no" or TargetProcessCommandLine contains "bootstatuspolicy ignoreallfailures")'
    ),
}


@pytest.mark.parametrize(("usecase", "target"), sorted(EXPECTED))
def test_exact_query(usecase: str, target: str) -> None:
    uc = HuntLibrary.load().get(usecase)
    assert CONVERTERS[target](uc.sigma) == EXPECTED[(usecase, target)]


def test_every_dialect_is_covered() -> None:
    assert {t for _, t in EXPECTED} == set(CONVERTERS)
