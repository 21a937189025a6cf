"""What a KQL query reads: its tables come from code, never from a string literal or a comment."""

from __future__ import annotations

import pytest

from huntfeed.environment.fields import kql_pairs, kql_tables


# Class of error: a regex in a string literal, "(cmd|powershell)", was read as the sub-query "(cmd | ...)"
# and named a table "cmd" the environment does not have (the hunt was reported as a blind spot).
@pytest.mark.parametrize(
    ("query", "tables"),
    [
        ('DeviceProcessEvents\n| where ProcessCommandLine matches regex "(e|ec|enc)\\\\s+[a-z]{20,}"',
         {"DeviceProcessEvents"}),
        ("DeviceProcessEvents\n| where ProcessCommandLine matches regex @\"(cmd|powershell)\\.exe\"",
         {"DeviceProcessEvents"}),
        ("DeviceProcessEvents | where FileName has_any ('(wscript | x', \"(cscript|\")", {"DeviceProcessEvents"}),
        ("// (OldTable | where x) was the first draft\nDeviceEvents | where ActionType == \"x\"", {"DeviceEvents"}),
        ('DeviceEvents\n| where AdditionalFields has ```\n(Fake | where)\n```', {"DeviceEvents"}),
        # what is code still counts: sub-queries of a union, bare tables, union lists
        ("union\n  (SecurityEvent | where EventID == 1102),\n  (Event | where EventID == 104)",
         {"SecurityEvent", "Event"}),
        ("union DeviceProcessEvents, DeviceEvents\n| where InitiatingProcessFileName =~ \"(x|y)\"",
         {"DeviceProcessEvents", "DeviceEvents"}),
        ('let s = "(Ghost | where)";\nDeviceFileEvents\n| where FolderPath == s', {"DeviceFileEvents"}),
    ],
)
def test_kql_tables_read_code_only(query: str, tables: set[str]) -> None:
    assert kql_tables(query) == tables


def test_kql_pairs_still_read_the_literals() -> None:
    q = 'DeviceProcessEvents\n| where FileName =~ "certutil.exe" and ProcessCommandLine contains "(urlcache|split)"'
    assert kql_pairs(q) == {("filename", "certutil.exe"), ("processcommandline", "(urlcache|split)")}
