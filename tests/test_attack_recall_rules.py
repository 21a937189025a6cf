"""Phrase rules added for techniques the authors list and the narrative describes, but no rule read.

One row per class of missed description (issue 18, third session: the dev set's false negatives and
the demo posts' "listed in the article's own mapping" ids whose behaviour the post spells out), with
sentences in our own words; the negative rows are the near misses each rule must not take.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from huntfeed.attack import AttackEngine
from huntfeed.attack.rules import RuleMatcher, load_rules
from huntfeed.errors import DataFileError


@pytest.fixture(scope="module")
def matcher() -> RuleMatcher:
    return RuleMatcher(load_rules())


def _found(matcher: RuleMatcher, text: str) -> dict[str, bool]:
    """Technique -> whether a strong phrase matched, for every rule hit in the text."""
    out: dict[str, bool] = {}
    for hit in matcher.find(text):
        out[hit.rule.technique] = out.get(hit.rule.technique, False) or hit.rule.strong
    return out


@pytest.mark.parametrize(
    ("tid", "text", "fires"),
    [
        # a remote support or management product installed for access
        ("T1219", "They then installed a commercial remote management tool for backup access.", True),
        ("T1219", "The helper asks the victim to open the remote support tool built into Windows.", True),
        # a call from someone posing as IT support (voice phishing without the word)
        ("T1566.004", "The victim gets a Teams call from an account posing as the IT help desk.", True),
        ("T1566.004", "Criminals posing as IT support staff call employees and ask for a code.", True),
        ("T1566.004", "Employees received fake helpdesk calls asking them to install software.", True),
        ("T1566.004", "The operator called the function twice before unpacking the payload.", False),
        # the browsers' credential and cookie stores read by name or description
        ("T1555.003", "It reads logins.json and key4.db from every Firefox profile.", True),
        ("T1555.003", "It copies the login and web data databases of Chromium-based browsers.", True),
        ("T1539", "It copies the cookie databases of Chromium-based browsers to a temp folder.", True),
        ("T1539", "The cookie banner of the site was changed.", False),
        # persistence written as a cron entry
        ("T1053.003", "It installs persistence through a cron entry written to /etc/cron.d/kworker.", True),
        # a server product's vulnerabilities exploited
        ("T1190", "We saw active exploitation of two vulnerabilities in the managed file transfer server.", True),
        # files encrypted for impact, in the words of a code walk-through
        ("T1486", "The code is using AES to encrypt the files and replaces their extension with .lock.", True),
        ("T1486", "The ransomware encrypts all user files on mapped drives.", True),
        ("T1486", "The stealer encrypts the collected files before exfiltration.", False),
        ("T1486", "It encrypts the configuration files with a hard-coded key.", False),
        # execution guardrails named in prose
        ("T1480.001", "The new build adds environmental keying to the victim's domain hash.", True),
        # search-engine lures
        ("T1608.006", "Office workers are steered to malware through poisoned search results.", True),
        ("T1583.008", "The actors also buy search adverts for terms like free PDF converter.", True),
        # a legitimate utility run under another name
        ("T1036.003", "The operator used a renamed copy of rundll32 to load the DLL.", True),
        # a malicious release of a dependency
        ("T1195.001", "The hijacked account pushed credential-stealing versions of the npm package.", True),
        ("T1195.001", "Developers installed a malicious npm package named after a popular library.", True),
        # credential files and the cloud metadata service
        ("T1552.001", "It reads ~/.npmrc, ~/.aws/credentials and ~/.kube/config.", True),
        ("T1552.005", "The script queries the instance metadata service for temporary role credentials.", True),
        # containers: deployed, then used to reach the host
        ("T1610", "It creates a container from the public alpine image with the host's root mounted.", True),
        ("T1611", "The container is only a means of container escape to the host file system.", True),
        ("T1611", "The container runs with the host's root file system mounted and --privileged set.", True),
        # process hollowing described by the suspended process
        ("T1055.012", "It injects the implant into a freshly started, suspended dllhost.exe process.", True),
        ("T1055.012", "The loader creates a process in a suspended state and unmaps its image.", True),
        # data sent to a chat webhook
        ("T1567.004", "If the upload fails it posts the archive to a Discord webhook.", True),
        # a named exploit of a document reader, browser or archiver
        ("T1203", "The lure document uses the MSHTML remote code exploit CVE-2021-40444.", True),
        ("T1203", "The RTF file exploits a stack overflow vulnerability in Microsoft Word.", True),
        ("T1203", "The actor exploits a vulnerability in the VPN appliance's web portal.", False),
        # hardware identifiers read with WMI
        ("T1082", "It runs wmic csproduct get UUID to fingerprint the machine.", True),
        # DLL side-loading: any form of the word is strong (it names the technique)
        ("T1574.002", "The signed program side-loads a malicious DLL from its own folder.", True),
        # BITS jobs named (fifth session: the technique had no rule at all)
        ("T1197", "The backdoor creates a BITS job that uploads the archive to its server.", True),
        ("T1197", "Persistence comes from bitsadmin /SetNotifyCmdLine on the download job.", True),
        ("T1197", "It queues the download through the Background Intelligent Transfer Service.", True),
        ("T1197", "The low bits of the counter select which job the worker runs.", False),
        # processes stopped before encryption (seventh session: ATT&CK's T1489 names processes as well as services)
        ("T1489", "Before encrypting, it runs taskkill /f /im sqlservr.exe.", True),
        ("T1489", "The encryptor kills database and mail processes so their files can be opened.", True),
        ("T1489", "The loader terminates its own process when a debugger is attached.", False),
        # a public exploit or proof-of-concept code taken by the adversary (seventh session)
        ("T1588.005", "The actor reused a public exploit for the VPN appliance.", True),
        ("T1588.005", "Its first stage was copied from an exploit proof-of-concept on a code-sharing site.", True),
        ("T1588.005", "The actor exploited the appliance with a custom payload.", False),
        # one named application's process killed, or "the process" then its name (eighth session)
        ("T1489", "The stealer kills the browser process so the cookie store is unlocked.", True),
        ("T1489", "It calls a Go port of psutil to kill the process, in this case Chrome.", True),
        ("T1489", "The dropper kills the process if a debugger is attached.", False),
        ("T1489", "When done it terminates the process and deletes itself.", False),
        # macOS TCC bypassed or its database replaced (eighth session; T1548.006, ATT&CK v15 onwards)
        ("T1548.006", "The operator tried to bypass TCC protections with a forged database.", True),
        ("T1548.006", "It copies its own tcc.db over the existing TCC database.", True),
        ("T1548.006", "The tool lists which TCC permissions the terminal already has.", False),
        # a binary self-signed or signed ad hoc: no certificate, so the parent (eighth session)
        ("T1553", "The implant was self-signed with the codesign utility.", True),
        ("T1553", "The dropper is a self-signed universal binary.", True),
        ("T1553", "The app bundle is signed ad-hoc, not with a developer identity.", True),
        ("T1553", "The operators used self-signed certificates for their HTTPS servers.", False),
        ("T1553", "The installers were self-signed with a certificate the actor generated.", False),
    ],
)
def test_recall_rule(matcher: RuleMatcher, tid: str, text: str, fires: bool) -> None:
    assert (tid in _found(matcher, text)) is fires


@pytest.mark.parametrize(
    ("text", "tid", "strong"),
    [
        ("The signed program side-loads a malicious DLL from its own folder.", "T1574.002", True),
        ("The code is using AES to encrypt the files and replaces their extension with .lock.", "T1486", True),
        ("It installs persistence through a cron entry every fifteen minutes.", "T1053.003", True),
        ("The new build adds environmental keying to the victim's domain hash.", "T1480.001", True),
        ("It reads logins.json from every Firefox profile.", "T1555.003", True),
        # removing security products' hooks, and the hardware UUID query, name their technique
        ("It unhooks ntdll.dll by mapping a fresh copy from disk.", "T1562.001", True),
        ("It runs wmic csproduct get UUID to fingerprint the machine.", "T1082", True),
        ("The backdoor creates a BITS job that uploads the archive to its server.", "T1197", True),
        ("Before encrypting, it runs taskkill /f /im sqlservr.exe.", "T1489", True),
        ("The actor reused a public exploit for the VPN appliance.", "T1588.005", True),
        ("The stealer kills the browser process so the cookie store is unlocked.", "T1489", True),
        ("The operator tried to bypass TCC protections with a forged database.", "T1548.006", True),
        ("It copies its own tcc.db over the existing TCC database.", "T1548.006", False),
        ("The implant was self-signed with the codesign utility.", "T1553", True),
        ("The encryptor kills database and mail processes so their files can be opened.", "T1489", False),
        # "encrypted files" as a noun phrase stays a weak phrase: a loader's payload may be one of them
        ("The loader decrypts the third of the encrypted files into memory.", "T1486", False),
    ],
)
def test_strong_recall_rules(matcher: RuleMatcher, text: str, tid: str, strong: bool) -> None:
    assert _found(matcher, text).get(tid, False) is strong


def test_a_strong_recall_rule_reports_its_technique_in_a_long_report(tmp_path_factory: pytest.TempPathFactory) -> None:
    engine = AttackEngine.load(tmp_path_factory.mktemp("home"))
    filler = " ".join(f"Section {i} of the write-up describes the sample's resources." for i in range(120))
    text = filler + " From the function above it is clear that the code is using AES to encrypt the files."
    assert "T1486" in {h.id for h in engine.infer(text).observed}


def test_folds_to_ascii_lists_every_such_character() -> None:
    import re
    import sys

    from huntfeed.attack.rules import FOLDS_TO_ASCII

    rx = re.compile("[a-z0-9]", re.IGNORECASE)
    assert {chr(c) for c in range(128, sys.maxunicode + 1) if rx.match(chr(c))} == FOLDS_TO_ASCII


@pytest.mark.parametrize(
    "text",
    [
        "It posts the archive to a Discord webhook and runs cmd /c whoami.",
        "It posts the archive to a Discord webhook \u2014 \u201cquietly\u201d \u2014 and runs cmd /c whoami.",
        "It posts the archive to a Discord webhoo\u212a and runs cmd /c whoami.",  # Kelvin sign: searched as before
        "Nothing that any regular expression of the rules file could match.",
        "",
    ],
)
def test_regex_prefilter_gives_the_same_hits(matcher: RuleMatcher, text: str) -> None:
    from huntfeed.attack import prefilter

    brute = RuleMatcher(load_rules())
    brute._regex_filter = prefilter.Prefilter(None, (), free=True)  # every regex searched
    hits = [(h.rule.phrase, h.start, h.end) for h in matcher.find(text)]
    assert hits == [(h.rule.phrase, h.start, h.end) for h in brute.find(text)]
    if "webhook" in text:
        assert any(p.startswith("/\\b(?:discord") for p, _, _ in hits)


# Contexts ("~" lines): decrypting what the adversary stole or holds to ransom is not T1140.
@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("Operators want a payment in exchange for the key to decrypt the victim's files.", False),
        ("A vendor released a decryption tool for early versions of the family.", False),
        ("The stealer decrypts the saved passwords and cookies with the browser's master key.", False),
        ("The ransomware decrypts its configuration with a hard-coded RC4 key.", True),
        ("This shellcode gets decrypted and executed in memory.", True),
        # the context counts on the hit's own line only
        ("Users should keep backups of their files.\nThe loader decodes the second stage.", True),
    ],
)
def test_t1140_contexts(matcher: RuleMatcher, text: str, fires: bool) -> None:
    assert ("T1140" in _found(matcher, text)) is fires


def test_a_context_line_needs_a_regex(tmp_path: Path) -> None:
    path = tmp_path / "phrases.txt"
    path.write_text("T1140 Deobfuscate\n    decrypt*\n    ~ransom\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="context line"):
        load_rules(path)
    path.write_text("T1140 Deobfuscate\n    decrypt*\n    ~/\\bransoms?\\b/\n", encoding="utf-8")
    found = _found(RuleMatcher(load_rules(path)), "It decrypts the ransom note. It decrypts the payload.")
    assert found == {"T1140": False}
