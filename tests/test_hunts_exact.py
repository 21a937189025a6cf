"""Exact queries, as pySigma's backends test them: a use case in, the whole SPL/KQL string out, per dialect.

The registry use case exercises huntfeed's pipelines (value name split off the key, DWORD data per target,
CIM registry_path and the summaries macro); the process ones the stock mappings and the regex forms
(SPL `| regex`, Kusto `matches regex`); the Security, Application and script-block ones the raw SPL
(their Defender and Sentinel forms are hand-written overrides, analysed by Kusto.Language in
test_hunts_kql). A change in any mapping
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
    ('UC_POWERSHELL_ENCODED', 'kql'): (
        'DeviceProcessEvents\n'
        '| where Timestamp > ago(30d)\n'
        '| where ((FolderPath endswith "\\\\powershell.exe" or FolderPath endswith "\\\\pwsh.exe") or (ProcessVersionInfoOriginalFileName in~ ("PowerShell.EXE", "pwsh.dll"))) and ProcessCommandLine matches regex "(?i)\\\\s[-/](?:e|ec|en|enc|enco|encod|encode|encoded|encodedc|encodedco|encodedcom|encodedcomm|encodedcomma|encodedcomman|encodedcommand)\\\\s+[\'\\"]?[a-z0-9+/]{20,}"\n'
        '| project Timestamp, DeviceName, AccountName, InitiatingProcessFileName, InitiatingProcessCommandLine, FileName, ProcessCommandLine, SHA256'
    ),
    ('UC_POWERSHELL_ENCODED', 'sentinel'): (
        '// Defender tables: no ASIM parser expresses this rule (needs Defender XDR data in Sentinel)\n'
        'DeviceProcessEvents\n'
        '| where Timestamp > ago(30d)\n'
        '| where ((FolderPath endswith "\\\\powershell.exe" or FolderPath endswith "\\\\pwsh.exe") or (ProcessVersionInfoOriginalFileName in~ ("PowerShell.EXE", "pwsh.dll"))) and ProcessCommandLine matches regex "(?i)\\\\s[-/](?:e|ec|en|enc|enco|encod|encode|encoded|encodedc|encodedco|encodedcom|encodedcomm|encodedcomma|encodedcomman|encodedcommand)\\\\s+[\'\\"]?[a-z0-9+/]{20,}"\n'
        '| project Timestamp, DeviceName, AccountName, InitiatingProcessFileName, InitiatingProcessCommandLine, FileName, ProcessCommandLine, SHA256'
    ),
    ('UC_POWERSHELL_ENCODED', 'spl'): (
        '| tstats `huntfeed_summariesonly` fillnull_value="null" count min(_time) as firstTime max(_time) as lastTime from datamodel=Endpoint.Processes where Processes.process_path IN ("*\\\\powershell.exe", "*\\\\pwsh.exe") OR Processes.original_file_name IN ("PowerShell.EXE", "pwsh.dll") by Processes.process Processes.dest Processes.process_current_directory Processes.process_path Processes.process_integrity_level Processes.original_file_name Processes.parent_process Processes.parent_process_path Processes.parent_process_guid Processes.parent_process_id Processes.process_guid Processes.process_id Processes.user\n'
        '| regex Processes.process="(?i)\\\\s[-/](?:e|ec|en|enc|enco|encod|encode|encoded|encodedc|encodedco|encodedcom|encodedcomm|encodedcomma|encodedcomman|encodedcommand)\\\\s+[\'\\"]?[a-z0-9+/]{20,}"\n'
        '| `drop_dm_object_name(Processes)`\n'
        '| convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(firstTime)\n'
        '| convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(lastTime)'
    ),
    ('UC_POWERSHELL_ENCODED', 'spl_raw'): (
        'search Image IN ("*\\\\powershell.exe", "*\\\\pwsh.exe") OR OriginalFileName IN ("PowerShell.EXE", "pwsh.dll")\n'
        '| regex CommandLine="(?i)\\\\s[-/](?:e|ec|en|enc|enco|encod|encode|encoded|encodedc|encodedco|encodedcom|encodedcomm|encodedcomma|encodedcomman|encodedcommand)\\\\s+[\'\\"]?[a-z0-9+/]{20,}"'
    ),
    ('UC_DCOM_LATERAL_MOVEMENT', 'kql'): (
        'DeviceProcessEvents\n'
        '| where Timestamp > ago(30d)\n'
        '| where (FolderPath endswith "\\\\mmc.exe" and ProcessCommandLine contains "-Embedding") or ((FolderPath endswith "\\\\excel.exe" or FolderPath endswith "\\\\winword.exe" or FolderPath endswith "\\\\powerpnt.exe" or FolderPath endswith "\\\\outlook.exe" or FolderPath endswith "\\\\visio.exe") and ProcessCommandLine contains "/automation -Embedding") or (((InitiatingProcessFolderPath endswith "\\\\mmc.exe" or InitiatingProcessFolderPath endswith "\\\\excel.exe" or InitiatingProcessFolderPath endswith "\\\\winword.exe" or InitiatingProcessFolderPath endswith "\\\\powerpnt.exe") and InitiatingProcessCommandLine contains "-Embedding") and (FolderPath endswith "\\\\cmd.exe" or FolderPath endswith "\\\\powershell.exe" or FolderPath endswith "\\\\pwsh.exe" or FolderPath endswith "\\\\mshta.exe" or FolderPath endswith "\\\\rundll32.exe" or FolderPath endswith "\\\\regsvr32.exe" or FolderPath endswith "\\\\wscript.exe" or FolderPath endswith "\\\\cscript.exe"))\n'
        '| project Timestamp, DeviceName, AccountName, InitiatingProcessFileName, InitiatingProcessCommandLine, FileName, ProcessCommandLine, SHA256'
    ),
    ('UC_DCOM_LATERAL_MOVEMENT', 'sentinel'): (
        'imProcessCreate\n'
        '| where TimeGenerated > ago(30d)\n'
        '| where (TargetProcessName endswith "\\\\mmc.exe" and TargetProcessCommandLine contains "-Embedding") or ((TargetProcessName endswith "\\\\excel.exe" or TargetProcessName endswith "\\\\winword.exe" or TargetProcessName endswith "\\\\powerpnt.exe" or TargetProcessName endswith "\\\\outlook.exe" or TargetProcessName endswith "\\\\visio.exe") and TargetProcessCommandLine contains "/automation -Embedding") or ((((ParentProcessName endswith "\\\\mmc.exe" or ParentProcessName endswith "\\\\excel.exe" or ParentProcessName endswith "\\\\winword.exe" or ParentProcessName endswith "\\\\powerpnt.exe") or (ActingProcessName endswith "\\\\mmc.exe" or ActingProcessName endswith "\\\\excel.exe" or ActingProcessName endswith "\\\\winword.exe" or ActingProcessName endswith "\\\\powerpnt.exe")) and ActingProcessCommandLine contains "-Embedding") and (TargetProcessName endswith "\\\\cmd.exe" or TargetProcessName endswith "\\\\powershell.exe" or TargetProcessName endswith "\\\\pwsh.exe" or TargetProcessName endswith "\\\\mshta.exe" or TargetProcessName endswith "\\\\rundll32.exe" or TargetProcessName endswith "\\\\regsvr32.exe" or TargetProcessName endswith "\\\\wscript.exe" or TargetProcessName endswith "\\\\cscript.exe"))'
    ),
    ('UC_DCOM_LATERAL_MOVEMENT', 'spl'): (
        '| tstats `huntfeed_summariesonly` fillnull_value="null" count min(_time) as firstTime max(_time) as lastTime from datamodel=Endpoint.Processes where (Processes.process_path="*\\\\mmc.exe" Processes.process="*-Embedding*") OR (Processes.process_path IN ("*\\\\excel.exe", "*\\\\winword.exe", "*\\\\powerpnt.exe", "*\\\\outlook.exe", "*\\\\visio.exe") Processes.process="*/automation -Embedding*") OR (Processes.parent_process_path IN ("*\\\\mmc.exe", "*\\\\excel.exe", "*\\\\winword.exe", "*\\\\powerpnt.exe") Processes.parent_process="*-Embedding*" Processes.process_path IN ("*\\\\cmd.exe", "*\\\\powershell.exe", "*\\\\pwsh.exe", "*\\\\mshta.exe", "*\\\\rundll32.exe", "*\\\\regsvr32.exe", "*\\\\wscript.exe", "*\\\\cscript.exe")) by Processes.process Processes.dest Processes.process_current_directory Processes.process_path Processes.process_integrity_level Processes.original_file_name Processes.parent_process Processes.parent_process_path Processes.parent_process_guid Processes.parent_process_id Processes.process_guid Processes.process_id Processes.user\n'
        '| `drop_dm_object_name(Processes)`\n'
        '| convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(firstTime)\n'
        '| convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(lastTime)'
    ),
    ('UC_DCOM_LATERAL_MOVEMENT', 'spl_raw'): (
        'search (Image="*\\\\mmc.exe" CommandLine="*-Embedding*") OR (Image IN ("*\\\\excel.exe", "*\\\\winword.exe", "*\\\\powerpnt.exe", "*\\\\outlook.exe", "*\\\\visio.exe") CommandLine="*/automation -Embedding*") OR (ParentImage IN ("*\\\\mmc.exe", "*\\\\excel.exe", "*\\\\winword.exe", "*\\\\powerpnt.exe") ParentCommandLine="*-Embedding*" Image IN ("*\\\\cmd.exe", "*\\\\powershell.exe", "*\\\\pwsh.exe", "*\\\\mshta.exe", "*\\\\rundll32.exe", "*\\\\regsvr32.exe", "*\\\\wscript.exe", "*\\\\cscript.exe"))'
    ),
    ('UC_SCHEDULED_TASK_SECURITY_LOG', 'spl_raw'): (
        'search source="WinEventLog:Security" EventCode IN (4698, 4702) TaskContent IN ("*cmd.exe*", "*cmd /c*", "*powershell*", "*pwsh*", "*rundll32*", "*regsvr32*", "*mshta*", "*wscript*", "*cscript*", "*\\\\Temp\\\\*", "*\\\\Users\\\\Public\\\\*", "*\\\\AppData\\\\Roaming\\\\*", "*\\\\ProgramData\\\\*", "*FromBase64String*") OR TaskContent IN ("*S-1-5-18<*", "*S-1-5-18&lt;*", "*S-1-5-19<*", "*S-1-5-19&lt;*", "*S-1-5-20<*", "*S-1-5-20&lt;*") NOT SubjectUserName="*$"'
    ),
    ('UC_AD_PERMISSION_OR_TRUST_CHANGE', 'spl_raw'): (
        'search source="WinEventLog:Security" (EventCode=5136 AttributeLDAPDisplayName="nTSecurityDescriptor" OperationType="%%14674" ObjectClass IN ("domainDNS", "groupPolicyContainer") OR ObjectDN="CN=AdminSDHolder,*" OR (ObjectClass IN ("organizationalUnit", "domainDNS", "groupPolicyContainer", "container") SubjectUserName="*$")) OR EventCode IN (4706, 4865, 4867) OR EventCode IN (4882, 5124)'
    ),
    ('UC_MSSQL_SERVER_ABUSE', 'spl_raw'): (
        'search source="WinEventLog:Application" Provider_Name="MSSQL*" (EventCode=15457 Data IN ("xp_cmdshell, 0, 1*", "Ole Automation Procedures, 0, 1*", "clr enabled, 0, 1*", "external scripts enabled, 0, 1*")) OR (EventCode=15281 Data="*xp_cmdshell*") OR (EventCode=33205 Data IN ("*statement:DROP SERVER AUDIT*", "*statement:DROP DATABASE AUDIT SPECIFICATION*", "*statement:DROP SERVER AUDIT SPECIFICATION*", "*statement:ALTER LOGIN [sa] ENABLE*", "*statement:CREATE LOGIN*", "*xp_cmdshell*")) OR (EventCode=33205 Data="*AUDIT*" Data="*WITH (STATE = OFF)*")'
    ),
    ('UC_PS_SCRIPT_AD_DISCOVERY', 'spl_raw'): (
        'search ScriptBlockText IN ("*Get-DomainUser*", "*Get-NetUser*", "*Get-DomainGroupMember*", "*Get-NetGroupMember*", "*Get-DomainComputer*", "*Get-NetComputer*", "*Get-DomainTrust*", "*Get-NetDomainTrust*", "*Get-NetForestTrust*", "*Get-DomainController*", "*Invoke-UserHunter*", "*Invoke-StealthUserHunter*", "*Find-LocalAdminAccess*", "*Invoke-ShareFinder*", "*Get-NetSession*", "*Invoke-BloodHound*") OR ScriptBlockText IN ("*ActiveDirectory.Forest]::GetCurrentForest*", "*ActiveDirectory.Domain]::GetCurrentDomain*", "*GetAllTrustRelationships*") OR (ScriptBlockText="*Get-ADGroupMember*" ScriptBlockText IN ("*Administrators*", "*Domain Admins*", "*Enterprise Admins*", "*Schema Admins*", "*Account Operators*", "*Backup Operators*"))'
    ),
    ('UC_BITS_JOB_CLIENT_LOG', 'spl_raw'): (
        'search source="WinEventLog:Microsoft-Windows-Bits-Client/Operational" EventCode=3 processPath IN ("*\\\\bitsadmin.exe", "*\\\\powershell.exe", "*\\\\pwsh.exe", "*\\\\desktopimgdownldr.exe", "*\\\\cmd.exe", "*\\\\wscript.exe", "*\\\\cscript.exe", "*\\\\mshta.exe", "*\\\\rundll32.exe", "*\\\\regsvr32.exe") OR processPath IN ("*\\\\Users\\\\Public\\\\*", "*\\\\Temp\\\\*", "*\\\\PerfLogs\\\\*")'
    ),
    ('UC_TIMESTOMP_OR_CLOCK_CHANGE', 'spl_raw'): (
        'search (EventCode=4616 Provider_Name="Microsoft-Windows-Security-Auditing" NOT (SubjectUserName IN ("LOCAL SERVICE", "SYSTEM") OR SubjectUserName="*$" OR ProcessName IN ("*\\\\svchost.exe", "*\\\\vmtoolsd.exe", "*\\\\VBoxService.exe", "*\\\\vmicsvc.exe"))) OR (EventCode=2 Provider_Name="Microsoft-Windows-Sysmon" TargetFilename="*\\\\Start Menu\\\\Programs\\\\Startup\\\\*" OR (TargetFilename IN ("*.exe", "*.dll", "*.sys", "*.ps1", "*.bat", "*.cmd", "*.vbs", "*.js", "*.hta", "*.lnk") Image IN ("*\\\\powershell.exe", "*\\\\pwsh.exe", "*\\\\cmd.exe", "*\\\\wscript.exe", "*\\\\cscript.exe", "*\\\\mshta.exe", "*\\\\rundll32.exe", "*\\\\regsvr32.exe") OR Image IN ("*\\\\Users\\\\Public\\\\*", "*\\\\AppData\\\\Local\\\\Temp\\\\*", "*\\\\Downloads\\\\*", "*\\\\PerfLogs\\\\*")) NOT (Image IN ("*\\\\msedge.exe", "*\\\\chrome.exe", "*\\\\firefox.exe", "*\\\\iexplore.exe", "*\\\\msiexec.exe", "*\\\\TrustedInstaller.exe", "*\\\\TiWorker.exe", "*\\\\OneDrive.exe", "*\\\\OneDriveSetup.exe", "*\\\\setup.exe")))'
    ),
    ('UC_XSL_SCRIPT_PROCESSING', 'kql'): (
        'DeviceProcessEvents\n'
        '| where Timestamp > ago(30d)\n'
        '| where ((FolderPath endswith "\\\\wmic.exe" or ProcessVersionInfoOriginalFileName =~ "wmic.exe") and (ProcessCommandLine contains "/format:" or ProcessCommandLine contains "-format:") and (ProcessCommandLine contains "http://" or ProcessCommandLine contains "https://" or ProcessCommandLine contains "\\\\" or ProcessCommandLine contains ".xsl") and (not(ProcessCommandLine contains "\\\\wbem\\\\"))) or (FolderPath endswith "\\\\msxsl.exe" or ProcessVersionInfoOriginalFileName =~ "msxsl.exe" or InitiatingProcessFolderPath endswith "\\\\msxsl.exe")\n'
        '| project Timestamp, DeviceName, AccountName, InitiatingProcessFileName, InitiatingProcessCommandLine, FileName, ProcessCommandLine, SHA256'
    ),
    ('UC_XSL_SCRIPT_PROCESSING', 'sentinel'): (
        '// Defender tables: no ASIM parser expresses this rule (needs Defender XDR data in Sentinel)\n'
        'DeviceProcessEvents\n'
        '| where Timestamp > ago(30d)\n'
        '| where ((FolderPath endswith "\\\\wmic.exe" or ProcessVersionInfoOriginalFileName =~ "wmic.exe") and (ProcessCommandLine contains "/format:" or ProcessCommandLine contains "-format:") and (ProcessCommandLine contains "http://" or ProcessCommandLine contains "https://" or ProcessCommandLine contains "\\\\" or ProcessCommandLine contains ".xsl") and (not(ProcessCommandLine contains "\\\\wbem\\\\"))) or (FolderPath endswith "\\\\msxsl.exe" or ProcessVersionInfoOriginalFileName =~ "msxsl.exe" or InitiatingProcessFolderPath endswith "\\\\msxsl.exe")\n'
        '| project Timestamp, DeviceName, AccountName, InitiatingProcessFileName, InitiatingProcessCommandLine, FileName, ProcessCommandLine, SHA256'
    ),
    ('UC_XSL_SCRIPT_PROCESSING', 'spl'): (
        '| tstats `huntfeed_summariesonly` fillnull_value="null" count min(_time) as firstTime max(_time) as lastTime from datamodel=Endpoint.Processes where (Processes.process_path="*\\\\wmic.exe" OR Processes.original_file_name="wmic.exe" Processes.process IN ("*/format:*", "*-format:*") Processes.process IN ("*http://*", "*https://*", "*\\\\*", "*.xsl*") NOT Processes.process="*\\\\wbem\\\\*") OR Processes.process_path="*\\\\msxsl.exe" OR Processes.original_file_name="msxsl.exe" OR Processes.parent_process_path="*\\\\msxsl.exe" by Processes.process Processes.dest Processes.process_current_directory Processes.process_path Processes.process_integrity_level Processes.original_file_name Processes.parent_process Processes.parent_process_path Processes.parent_process_guid Processes.parent_process_id Processes.process_guid Processes.process_id Processes.user\n'
        '| `drop_dm_object_name(Processes)`\n'
        '| convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(firstTime)\n'
        '| convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(lastTime)'
    ),
    ('UC_XSL_SCRIPT_PROCESSING', 'spl_raw'): (
        'search (Image="*\\\\wmic.exe" OR OriginalFileName="wmic.exe" CommandLine IN ("*/format:*", "*-format:*") CommandLine IN ("*http://*", "*https://*", "*\\\\*", "*.xsl*") NOT CommandLine="*\\\\wbem\\\\*") OR Image="*\\\\msxsl.exe" OR OriginalFileName="msxsl.exe" OR ParentImage="*\\\\msxsl.exe"'
    ),
    ('UC_NETWORK_SNIFFING_TOOLS', 'kql'): (
        'DeviceProcessEvents\n'
        '| where Timestamp > ago(30d)\n'
        '| where ((FolderPath endswith "\\\\pktmon.exe" and (ProcessCommandLine contains " start" or ProcessCommandLine contains " filter add" or ProcessCommandLine contains " -c " or ProcessCommandLine contains " --capture")) or (FolderPath endswith "\\\\netsh.exe" and (ProcessCommandLine contains "trace" and ProcessCommandLine contains "start" and ProcessCommandLine contains "capture=yes")) or (FolderPath endswith "\\\\tshark.exe" or FolderPath endswith "\\\\dumpcap.exe" or FolderPath endswith "\\\\windump.exe" or FolderPath endswith "\\\\tcpdump.exe" or FolderPath endswith "\\\\rawcap.exe")) and (not((InitiatingProcessFolderPath endswith "\\\\Wireshark.exe" or InitiatingProcessFolderPath contains "\\\\Microsoft.Azure.NetworkWatcher")))\n'
        '| project Timestamp, DeviceName, AccountName, InitiatingProcessFileName, InitiatingProcessCommandLine, FileName, ProcessCommandLine, SHA256'
    ),
    ('UC_NETWORK_SNIFFING_TOOLS', 'sentinel'): (
        'imProcessCreate\n'
        '| where TimeGenerated > ago(30d)\n'
        '| where ((TargetProcessName endswith "\\\\pktmon.exe" and (TargetProcessCommandLine contains " start" or TargetProcessCommandLine contains " filter add" or TargetProcessCommandLine contains " -c " or TargetProcessCommandLine contains " --capture")) or (TargetProcessName endswith "\\\\netsh.exe" and (TargetProcessCommandLine contains "trace" and TargetProcessCommandLine contains "start" and TargetProcessCommandLine contains "capture=yes")) or (TargetProcessName endswith "\\\\tshark.exe" or TargetProcessName endswith "\\\\dumpcap.exe" or TargetProcessName endswith "\\\\windump.exe" or TargetProcessName endswith "\\\\tcpdump.exe" or TargetProcessName endswith "\\\\rawcap.exe")) and (not(((ParentProcessName endswith "\\\\Wireshark.exe" or ActingProcessName endswith "\\\\Wireshark.exe") or (ParentProcessName contains "\\\\Microsoft.Azure.NetworkWatcher" or ActingProcessName contains "\\\\Microsoft.Azure.NetworkWatcher"))))'
    ),
    ('UC_NETWORK_SNIFFING_TOOLS', 'spl'): (
        '| tstats `huntfeed_summariesonly` fillnull_value="null" count min(_time) as firstTime max(_time) as lastTime from datamodel=Endpoint.Processes where (Processes.process_path="*\\\\pktmon.exe" Processes.process IN ("* start*", "* filter add*", "* -c *", "* --capture*")) OR (Processes.process_path="*\\\\netsh.exe" Processes.process="*trace*" Processes.process="*start*" Processes.process="*capture=yes*") OR Processes.process_path IN ("*\\\\tshark.exe", "*\\\\dumpcap.exe", "*\\\\windump.exe", "*\\\\tcpdump.exe", "*\\\\rawcap.exe") NOT (Processes.parent_process_path IN ("*\\\\Wireshark.exe", "*\\\\Microsoft.Azure.NetworkWatcher*")) by Processes.process Processes.dest Processes.process_current_directory Processes.process_path Processes.process_integrity_level Processes.original_file_name Processes.parent_process Processes.parent_process_path Processes.parent_process_guid Processes.parent_process_id Processes.process_guid Processes.process_id Processes.user\n'
        '| `drop_dm_object_name(Processes)`\n'
        '| convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(firstTime)\n'
        '| convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(lastTime)'
    ),
    ('UC_NETWORK_SNIFFING_TOOLS', 'spl_raw'): (
        'search (Image="*\\\\pktmon.exe" CommandLine IN ("* start*", "* filter add*", "* -c *", "* --capture*")) OR (Image="*\\\\netsh.exe" CommandLine="*trace*" CommandLine="*start*" CommandLine="*capture=yes*") OR Image IN ("*\\\\tshark.exe", "*\\\\dumpcap.exe", "*\\\\windump.exe", "*\\\\tcpdump.exe", "*\\\\rawcap.exe") NOT (ParentImage IN ("*\\\\Wireshark.exe", "*\\\\Microsoft.Azure.NetworkWatcher*"))'
    ),
    ('UC_STARTUP_FOLDER_PERSISTENCE', 'kql'): (
        'DeviceFileEvents\n'
        '| where Timestamp > ago(30d)\n'
        '| where FolderPath contains "\\\\Start Menu\\\\Programs\\\\Startup\\\\" and (FolderPath endswith ".exe" or FolderPath endswith ".dll" or FolderPath endswith ".ps1" or FolderPath endswith ".bat" or FolderPath endswith ".cmd" or FolderPath endswith ".vbs" or FolderPath endswith ".vbe" or FolderPath endswith ".js" or FolderPath endswith ".jse" or FolderPath endswith ".hta" or FolderPath endswith ".lnk" or FolderPath endswith ".url" or FolderPath endswith ".wsf" or FolderPath endswith ".scr") and (not((InitiatingProcessFolderPath endswith "\\\\msiexec.exe" or InitiatingProcessFolderPath endswith "\\\\TrustedInstaller.exe" or InitiatingProcessFolderPath endswith "\\\\TiWorker.exe" or InitiatingProcessFolderPath endswith "\\\\OneDriveSetup.exe")))\n'
        '| project Timestamp, DeviceName, ActionType, InitiatingProcessFileName, InitiatingProcessCommandLine, FileName, FolderPath, SHA256'
    ),
    ('UC_STARTUP_FOLDER_PERSISTENCE', 'sentinel'): (
        'imFileEvent\n'
        '| where TimeGenerated > ago(30d)\n'
        '| where TargetFileName contains "\\\\Start Menu\\\\Programs\\\\Startup\\\\" and (TargetFileName endswith ".exe" or TargetFileName endswith ".dll" or TargetFileName endswith ".ps1" or TargetFileName endswith ".bat" or TargetFileName endswith ".cmd" or TargetFileName endswith ".vbs" or TargetFileName endswith ".vbe" or TargetFileName endswith ".js" or TargetFileName endswith ".jse" or TargetFileName endswith ".hta" or TargetFileName endswith ".lnk" or TargetFileName endswith ".url" or TargetFileName endswith ".wsf" or TargetFileName endswith ".scr") and (not((TargetFilePath endswith "\\\\msiexec.exe" or TargetFilePath endswith "\\\\TrustedInstaller.exe" or TargetFilePath endswith "\\\\TiWorker.exe" or TargetFilePath endswith "\\\\OneDriveSetup.exe")))'
    ),
    ('UC_STARTUP_FOLDER_PERSISTENCE', 'spl'): (
        '| tstats `huntfeed_summariesonly` fillnull_value="null" count min(_time) as firstTime max(_time) as lastTime from datamodel=Endpoint.Filesystem where Filesystem.file_path="*\\\\Start Menu\\\\Programs\\\\Startup\\\\*" Filesystem.file_path IN ("*.exe", "*.dll", "*.ps1", "*.bat", "*.cmd", "*.vbs", "*.vbe", "*.js", "*.jse", "*.hta", "*.lnk", "*.url", "*.wsf", "*.scr") NOT (Filesystem.process_path IN ("*\\\\msiexec.exe", "*\\\\TrustedInstaller.exe", "*\\\\TiWorker.exe", "*\\\\OneDriveSetup.exe")) by Filesystem.dest Filesystem.file_create_time Filesystem.process_path Filesystem.process_guid Filesystem.process_id Filesystem.file_path\n'
        '| `drop_dm_object_name(Filesystem)`\n'
        '| convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(firstTime)\n'
        '| convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(lastTime)'
    ),
    ('UC_STARTUP_FOLDER_PERSISTENCE', 'spl_raw'): (
        'search TargetFilename="*\\\\Start Menu\\\\Programs\\\\Startup\\\\*" TargetFilename IN ("*.exe", "*.dll", "*.ps1", "*.bat", "*.cmd", "*.vbs", "*.vbe", "*.js", "*.jse", "*.hta", "*.lnk", "*.url", "*.wsf", "*.scr") NOT (Image IN ("*\\\\msiexec.exe", "*\\\\TrustedInstaller.exe", "*\\\\TiWorker.exe", "*\\\\OneDriveSetup.exe"))'
    ),
    ('UC_HOSTS_FILE_TAMPERING', 'kql'): (
        'DeviceFileEvents\n'
        '| where Timestamp > ago(30d)\n'
        '| where FolderPath endswith "\\\\drivers\\\\etc\\\\hosts" and (not((InitiatingProcessFolderPath endswith "\\\\TiWorker.exe" or InitiatingProcessFolderPath endswith "\\\\TrustedInstaller.exe" or InitiatingProcessFolderPath endswith "\\\\svchost.exe")))\n'
        '| project Timestamp, DeviceName, ActionType, InitiatingProcessFileName, InitiatingProcessCommandLine, FileName, FolderPath, SHA256'
    ),
    ('UC_HOSTS_FILE_TAMPERING', 'sentinel'): (
        'imFileEvent\n'
        '| where TimeGenerated > ago(30d)\n'
        '| where TargetFileName endswith "\\\\drivers\\\\etc\\\\hosts" and (not((TargetFilePath endswith "\\\\TiWorker.exe" or TargetFilePath endswith "\\\\TrustedInstaller.exe" or TargetFilePath endswith "\\\\svchost.exe")))'
    ),
    ('UC_HOSTS_FILE_TAMPERING', 'spl'): (
        '| tstats `huntfeed_summariesonly` fillnull_value="null" count min(_time) as firstTime max(_time) as lastTime from datamodel=Endpoint.Filesystem where Filesystem.file_path="*\\\\drivers\\\\etc\\\\hosts" NOT (Filesystem.process_path IN ("*\\\\TiWorker.exe", "*\\\\TrustedInstaller.exe", "*\\\\svchost.exe")) by Filesystem.dest Filesystem.file_create_time Filesystem.process_path Filesystem.process_guid Filesystem.process_id Filesystem.file_path\n'
        '| `drop_dm_object_name(Filesystem)`\n'
        '| convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(firstTime)\n'
        '| convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(lastTime)'
    ),
    ('UC_HOSTS_FILE_TAMPERING', 'spl_raw'): (
        'search TargetFilename="*\\\\drivers\\\\etc\\\\hosts" NOT (Image IN ("*\\\\TiWorker.exe", "*\\\\TrustedInstaller.exe", "*\\\\svchost.exe"))'
    ),
    ('UC_HIDDEN_LOCAL_ACCOUNT_REGISTRY', 'kql'): (
        'DeviceRegistryEvents\n'
        '| where Timestamp > ago(30d)\n'
        '| where RegistryKey contains "\\\\SAM\\\\SAM\\\\Domains\\\\Account\\\\Users\\\\Names" and ((RegistryKey endswith "$" or RegistryValueName endswith "$") or (RegistryKey endswith "$\\\\(Default)" or (RegistryKey endswith "$" and RegistryValueName =~ "(Default)")))\n'
        '| project Timestamp, DeviceName, ActionType, InitiatingProcessFileName, RegistryKey, RegistryValueName, RegistryValueData'
    ),
    ('UC_HIDDEN_LOCAL_ACCOUNT_REGISTRY', 'sentinel'): (
        'imRegistry\n'
        '| where TimeGenerated > ago(30d)\n'
        '| where RegistryKey contains "\\\\SAM\\\\SAM\\\\Domains\\\\Account\\\\Users\\\\Names" and ((RegistryKey endswith "$" or RegistryValue endswith "$") or (RegistryKey endswith "$\\\\(Default)" or (RegistryKey endswith "$" and RegistryValue =~ "(Default)")))'
    ),
    ('UC_HIDDEN_LOCAL_ACCOUNT_REGISTRY', 'spl'): (
        '| tstats `huntfeed_summariesonly` fillnull_value="null" count min(_time) as firstTime max(_time) as lastTime from datamodel=Endpoint.Registry where Registry.registry_path="*\\\\SAM\\\\SAM\\\\Domains\\\\Account\\\\Users\\\\Names\\\\*" Registry.registry_path IN ("*$", "*$\\\\(Default)") by Registry.dest Registry.user Registry.action Registry.process_guid Registry.process_id Registry.registry_path Registry.registry_value_name Registry.registry_value_data\n'
        '| `drop_dm_object_name(Registry)`\n'
        '| convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(firstTime)\n'
        '| convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(lastTime)'
    ),
    ('UC_HIDDEN_LOCAL_ACCOUNT_REGISTRY', 'spl_raw'): (
        'search TargetObject="*\\\\SAM\\\\SAM\\\\Domains\\\\Account\\\\Users\\\\Names\\\\*" TargetObject IN ("*$", "*$\\\\(Default)")'
    ),
    ('UC_PS_SCRIPT_RECOVERY_INHIBIT', 'spl_raw'): (
        'search (ScriptBlockText="*Win32_ShadowCopy*" ScriptBlockText IN ("*.Delete()*", "*Remove-CimInstance*", "*Remove-WmiObject*")) OR ScriptBlockText IN ("*vssadmin delete shadows*", "*vssadmin.exe delete shadows*", "*wbadmin delete catalog*", "*wbadmin delete systemstatebackup*", "*recoveryenabled no*", "*bootstatuspolicy ignoreallfailures*", "*shadowcopy delete*")'
    ),
}


# The hunts as a profile serves them, hand-written overrides included: the Defender form of the directory
# permission hunt (Defender for Identity's directory events) and the log-clearing hunt by service accounts.
SERVED = {
    ('UC_AD_PERMISSION_OR_TRUST_CHANGE', 'kql'): (
        'IdentityDirectoryEvents\n'
        '| where Timestamp > ago(30d)\n'
        '| where AdditionalFields has "nTSecurityDescriptor" or ActionType has "trust"\n'
        '| where AdditionalFields has_any ("AdminSDHolder", "domainDNS", "groupPolicyContainer") or ActionType has "trust" or AccountName endswith "$"\n'
        '| project Timestamp, ActionType, AccountName, AccountDomain, TargetAccountDisplayName, DestinationDeviceName, AdditionalFields'
    ),
    ('UC_AD_PERMISSION_OR_TRUST_CHANGE', 'sentinel'): (
        'SecurityEvent\n'
        '| where TimeGenerated > ago(30d)\n'
        '| where (EventID == 5136 and EventData has "nTSecurityDescriptor" and EventData has "%%14674"\n'
        '         and (EventData has_any ("domainDNS", "groupPolicyContainer", "CN=AdminSDHolder,") or (SubjectUserName endswith "$" and EventData has_any ("organizationalUnit", "container"))))\n'
        '    or EventID in (4706, 4865, 4867, 4882, 5124)\n'
        '| project TimeGenerated, Computer, EventID, SubjectUserName, SubjectDomainName, EventData'
    ),
    ('UC_EVENT_LOG_CLEARED_BY_SERVICE_ACCOUNT', 'kql'): (
        "// Defender records Security-log clears only (ActionType SecurityLogCleared), with the clearing process's account.\n"
        'DeviceEvents\n'
        '| where Timestamp > ago(30d)\n'
        '| where ActionType == "SecurityLogCleared"\n'
        '| where InitiatingProcessAccountSid in ("S-1-5-18", "S-1-5-19", "S-1-5-20") or InitiatingProcessAccountName endswith "$"\n'
        '| project Timestamp, DeviceName, InitiatingProcessAccountName, InitiatingProcessFileName, InitiatingProcessCommandLine, InitiatingProcessParentFileName'
    ),
    ('UC_EVENT_LOG_CLEARED_BY_SERVICE_ACCOUNT', 'sentinel'): (
        '// 1102 and 104 keep the account in UserData: read the parsed column where the connector fills it, else the XML.\n'
        'union\n'
        '    (SecurityEvent | where TimeGenerated > ago(30d) | where EventID == 1102\n'
        '        | extend Sid = coalesce(SubjectUserSid, extract(@"<SubjectUserSid>([^<]+)<", 1, EventData)),\n'
        '                 User = coalesce(SubjectUserName, extract(@"<SubjectUserName>([^<]+)<", 1, EventData))\n'
        '        | where Sid in ("S-1-5-18", "S-1-5-19", "S-1-5-20") or User endswith "$"\n'
        '        | project TimeGenerated, Computer, User, Activity),\n'
        '    (Event | where TimeGenerated > ago(30d) | where EventLog == "System" and EventID == 104\n'
        '        | extend User = coalesce(extract(@"<SubjectUserName>([^<]+)<", 1, EventData), UserName)\n'
        '        | where User in~ ("SYSTEM", "LOCAL SERVICE", "NETWORK SERVICE") or User endswith "$" or User endswith "\\\\SYSTEM"\n'
        '        | project TimeGenerated, Computer, User, Activity = RenderedDescription)'
    ),
    ('UC_EVENT_LOG_CLEARED_BY_SERVICE_ACCOUNT', 'spl_raw'): (
        'search (EventCode=1102 Provider_Name IN ("Microsoft-Windows-Eventlog", "Microsoft-Windows-EventLog")) OR (EventCode=104 Provider_Name IN ("Microsoft-Windows-Eventlog", "Microsoft-Windows-EventLog")) SubjectUserSid IN ("S-1-5-18", "S-1-5-19", "S-1-5-20") OR SubjectLogonId IN ("0x3e7", "0x3e4", "0x3e5") OR SubjectUserName IN ("SYSTEM", "LOCAL SERVICE", "NETWORK SERVICE") OR SubjectUserName="*$"'
    ),
}


@pytest.mark.parametrize(("usecase", "target"), sorted(SERVED))
def test_exact_served_query(usecase: str, target: str) -> None:
    lib = HuntLibrary.load()
    assert lib.queries(lib.get(usecase))[target] == SERVED[(usecase, target)]


@pytest.mark.parametrize(("usecase", "target"), sorted(EXPECTED))
def test_exact_query(usecase: str, target: str) -> None:
    uc = HuntLibrary.load().get(usecase)
    assert CONVERTERS[target](uc.sigma) == EXPECTED[(usecase, target)]


def test_every_dialect_is_covered() -> None:
    assert {t for _, t in EXPECTED} == set(CONVERTERS)
