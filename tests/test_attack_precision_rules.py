"""Phrase rules narrowed for descriptions that name another technique (issue 18, fifth session).

One row per class of wrong mapping found on the dev set's false positives and checked on the TRAM2
lines and the stand-in (docs/attack.md, "Fifth session"); sentences in our own words.  ``fires`` says
whether the technique's phrase rules still match: the near misses are the behaviour each rule keeps.
"""

from __future__ import annotations

import pytest

from huntfeed.attack.rules import RuleMatcher, load_rules


@pytest.fixture(scope="module")
def matcher() -> RuleMatcher:
    return RuleMatcher(load_rules())


@pytest.mark.parametrize(
    ("tid", "text", "fires"),
    [
        # a shadow copy made or read to steal the AD database is credential access (sixth session)
        ("T1490", "The operators copied ntds.dit out of a volume shadow copy of the domain controller.", False),
        ("T1490", "They ran vssadmin create shadow /for=C: and took the SYSTEM hive as well.", False),
        ("T1490", "The encryptor deletes all shadow copies with vssadmin before it starts.", True),
        # a wiper or ransomware overwriting the MBR is not a bootkit
        ("T1542.003", "The first stage overwrites the Master Boot Record so the host no longer boots.", False),
        ("T1542.003", "Stage one replaces the master boot record with a ransom note.", False),
        ("T1542.003", "The bootkit patches the master boot record to load its driver before Windows.", True),
        # InstallUtil as the target of an injection is the injection, not proxy execution through it
        ("T1218.004", "The final payload is hollowed into a new InstallUtil process.", False),
        ("T1218.004", "The loader injects the stealer into InstallUtil.exe.", False),
        ("T1218.004", "The batch file runs the .NET assembly with InstallUtil.exe /U.", True),
        # a token, key or link embedded in a file is not an embedded payload
        ("T1027.009", "The access token is embedded in the binary in plain text.", False),
        ("T1027.009", "Victims open the download link embedded in the body of the email.", False),
        ("T1027.009", "The second stage is embedded in the binary's resource section.", True),
        # a malware category is not data collection
        ("T1005", "The lure installs an information stealer written in Go.", False),
        ("T1005", "It collects files with the following extensions from the desktop.", True),
        # network connections made or received are not the discovery of connections
        ("T1049", "The client opens a port to receive network connections from the operator.", False),
        ("T1049", "Beacons made thousands of outbound network connections to the C2 server.", False),
        ("T1049", "The operators listed the existing network connections on the file server.", True),
        ("T1049", "It runs netstat -ano to see the host's connections.", True),
        # SetThreadContext is called by process hollowing as much as by thread hijacking
        ("T1055.003", "It writes the payload and calls SetThreadContext to move the entry point.", False),
        ("T1055.003", "The injector uses thread execution hijacking on a suspended thread of explorer.exe.", True),
        # a path under ProgramData is a location, not a legitimate name matched
        ("T1036.005", "The DLL was dropped to C:\\ProgramData\\PL Studio\\flengine.dll.", False),
        ("T1036.005", "The binary masquerades as a legitimate Windows update service.", True),
    ],
)
def test_precision_rule(matcher: RuleMatcher, tid: str, text: str, fires: bool) -> None:
    assert (tid in {h.rule.technique for h in matcher.find(text)}) is fires
