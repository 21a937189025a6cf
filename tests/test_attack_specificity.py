"""Sub-technique specificity, source-listed ids, folder names in paths, and the demo profiles' errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from huntfeed.attack import AttackEngine
from huntfeed.attack.rules import RuleMatcher, load_rules
from huntfeed.attack.specificity import default_cues, load_cues
from huntfeed.errors import DataFileError
from huntfeed.feeds.article import document_text
from huntfeed.paths import package_data


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> AttackEngine:
    return AttackEngine.load(tmp_path_factory.mktemp("home"))


@pytest.mark.parametrize(
    ("tid", "text", "kept"),
    [
        ("T1059.005", "It drops a JavaScript file and runs it with wscript.exe.", False),
        ("T1059.005", "The macro writes a VBScript file to the temp folder.", True),
        ("T1059.007", "It drops a JavaScript file and runs it with wscript.exe.", True),
        ("T1059.003", "The backdoor can execute arbitrary commands sent by its operator.", False),
        ("T1059.003", "It runs cmd.exe /c whoami and sends the output back.", True),
        ("T1071.001", "The implant talks to its server over a custom binary protocol.", False),
        ("T1071.004", "Tasks arrive in TXT records of DNS answers.", True),
        ("T1566.001", "Victims received an e-mail with a link to a fake sign-in page.", False),
        ("T1566.002", "Victims received an e-mail with a link to a fake sign-in page.", True),
        ("T1203", "The actor exploited the file transfer server's upload handler.", False),
        ("T1203", "Opening the RTF document exploits the equation editor.", True),
        ("T1203", "It abuses the ActiveX objects of the MSHTML engine (CVE-2021-40444).", True),
        ("T1027.013", "The configuration strings are Base64 encoded.", False),
        ("T1027.013", "Each key is encrypted with AES-CBC before it is stored.", False),
        ("T1027.013", "The second stage is an XOR-encrypted DLL stored next to the loader.", True),
        ("T1027.013", "It drops an encoded payload into the temp folder.", True),
        ("T1027.002", "Other sub-techniques of a covered family keep their name.", True),
        ("T1105", "Anything outside the listed families keeps its name.", True),
    ],
)
def test_cue_decides_the_sub_technique(tid: str, text: str, kept: bool) -> None:
    assert default_cues().supported(tid, [0], [text]) is kept


def test_cue_may_stand_two_sentences_away() -> None:
    texts = ["The second stage is a PowerShell script.", "It is stored in the registry.", "It runs every hour."]
    assert default_cues().supported("T1059.001", [2], texts)
    assert not default_cues().supported("T1059.001", [2], [texts[0], "x", "y", "z", "It runs every hour."][2:])


def test_cue_loader_is_strict(tmp_path: Path) -> None:
    path = tmp_path / "cues.txt"
    path.write_text("T1059.001 PowerShell\n    (unclosed\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="bad regular expression"):
        load_cues(path)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Two paths, /Users/joker/Downloads/Spy/XProtect, were in the binary.", []),
        ("The malware downloads a second stage.", ["T1105"]),
        ("It runs /bin/sh -c id.", ["T1059.004"]),
        ("It starts C:\\Windows\\System32\\rundll32.exe with the DLL.", ["T1218.011"]),
        # a word of a URL is the slug of someone else's article (fourth session)
        ("Older post: https://blog.example.org/2018/11/20/new-watering-hole-attack-in-asia/.", []),
        ("See www.example.org/posts/watering-hole-wave for the first wave.", []),
        ("The group compromised a news site for a watering hole (https://news.example.org/).", ["T1189"]),
        ("Stage two came from [the watering hole](https://news.example.org/) itself.", ["T1189"]),
    ],
)
def test_folder_names_in_paths_are_not_phrases(text: str, found: list[str]) -> None:
    assert sorted({h.rule.technique for h in RuleMatcher(load_rules()).find(text)}) == found


def test_a_listed_id_confirmed_by_the_narrative_is_observed_with_that_sentence(engine: AttackEngine) -> None:
    text = (
        "The operators created inbox rules that moved every reply about payments to a hidden folder, "
        "so that the real user never saw them.\n"
        "ATT&CK mapping: T1564.008, T1098.005, T1078.004\n"
    )
    inf = engine.infer(text)
    hit = next(h for h in inf.observed if h.id == "T1564.008")
    assert "source-mapping" in hit.methods
    assert [e.text for e in hit.evidence] == [text.split("\n")[0]]
    assert "T1078.004" in {h.id for h in inf.source_mapped}  # listed, never described: not observed


# The demo profiles' errors the issue lists, one row per class of error.
@pytest.mark.parametrize(
    ("post", "present", "absent"),
    [
        ("update/posts/halden-logistics-wiper.html", {"T1489", "T1529", "T1485", "T1190"}, {"T1140", "T1486"}),
        ("site/posts/seo-poisoning-pdf-converter.html", {"T1059.007"}, {"T1486", "T1059.005"}),
        ("site/posts/corvane-filegate-exploitation.html", set(), {"T1203"}),
        ("site/posts/oauth-consent-token-theft.html", {"T1566.002", "T1534", "T1098.005", "T1564.008"}, set()),
        # seventh session: evidence of another class (detection rules, the victims' download, a mobile overlay)
        ("site/posts/lsass-credential-dumping.html", {"T1003.001", "T1218.011"}, {"T1059", "T1059.003"}),
        ("site/posts/tallyworks-trojanised-installer.html", {"T1071.001", "T1574.001"}, set()),
        ("update/posts/quillfang-android-banking-trojan.html", set(), {"T1204.002"}),
    ],
)
def test_demo_profiles(engine: AttackEngine, post: str, present: set[str], absent: set[str]) -> None:
    html = package_data("demo", *post.split("/")).read_text(encoding="utf-8")
    got = {h.id for h in engine.infer(document_text(html, "")).observed}
    assert present <= got
    assert not absent & got


# A sentence the demo showed as evidence of a technique it does not describe (seventh session, from a
# hunter's reading): one row per class; the technique may still be observed from other sentences.
@pytest.mark.parametrize(
    ("post", "tid", "sentence"),
    [
        ("site/posts/lsass-credential-dumping.html", "T1059", "Variants rename the output to look like log files"),
        ("site/posts/tallyworks-trojanised-installer.html", "T1071", "Few users noticed: the download page links"),
        ("update/posts/quillfang-android-banking-trojan.html", "T1204", "When the victim opens one of the 34"),
        ("update/posts/quillfang-android-banking-trojan.html", "T1204", "It hides its icon after installation"),
    ],
)
def test_demo_sentence_is_not_evidence_of(engine: AttackEngine, post: str, tid: str, sentence: str) -> None:
    html = package_data("demo", *post.split("/")).read_text(encoding="utf-8")
    text = document_text(html, "")
    assert sentence in text  # the row guards a sentence the post really has
    family = [h for h in engine.infer(text).observed if h.id.split(".")[0] == tid]
    assert not [e.text for h in family for e in h.evidence if e.text.startswith(sentence)]


def test_no_evidence_sentence_is_a_list_or_a_negation(engine: AttackEngine) -> None:
    html = package_data("demo", "site", "posts", "hollowgrain-ransomware-intrusion.html").read_text(encoding="utf-8")
    inf = engine.infer(document_text(html, ""))
    shown = [e.text for h in inf.observed for e in h.evidence]
    assert shown
    assert not [t for t in shown if engine.evidence.reason(t)]


# Sentences of the demo posts that earlier builds showed as evidence, though none describes what this
# adversary did: one row per class (general claims, hunting advice and headings, pointers to vendor
# documentation, rows of indicator and ATT&CK mapping tables).
@pytest.mark.parametrize(
    ("post", "sentence"),
    [
        ("burrowdns-dns-tunnelling", "That is why so many intrusion sets keep a DNS tunnel"),
        ("burrowdns-dns-tunnelling", "Hunting for DNS tunnels"),
        ("burrowdns-dns-tunnelling", "- Count distinct subdomains per registered domain per host per day"),
        ("hoarfrost-docker-cryptojacking", "Cryptomining remains the most common payload"),
        ("velvetine-infostealer", "Infostealers are the quiet engine of modern cybercrime"),
        ("lsass-credential-dumping", "Credential dumping from the Local Security Authority Subsystem Service"),
        ("lsass-credential-dumping", "Microsoft documents configuring additional LSA protection"),
        ("html-smuggling-iso-lnk-phishing", "Microsoft documents the SmartScreen and Mark-of-the-Web"),
        ("lotl-state-actor-advisory", "- List netsh interface portproxy rules on all servers"),
        ("lotl-state-actor-advisory", "- Review scheduled tasks and Run keys created in the past year"),
        ("lotl-state-actor-advisory", "- Enable process creation logging with command lines"),
        ("halvard-secureedge-vpn", "| 45.77.152.89 | IPv4 | VPN logins with stolen credentials |"),
        ("halvard-secureedge-vpn", "| /var/log/.sess.dat | File path | Credential log |"),
        ("tallyworks-trojanised-installer", "| Defense Evasion | T1574.001 DLL Search Order Hijacking |"),
        ("tallyworks-trojanised-installer", "| Domain | cdn.twsync[.]net | Fallback C2 |"),
        ("burrowdns-dns-tunnelling", "A sample task and answer, decoded, looked like this"),
        ("lanternbeacon-https-c2", "| a2929a99e279eb3b08702c2cf80ebfc044f1e8adcc132a9f871933daad3c6cfe |"),
        # sixth session: advice without a modal, what defenders and platforms did, pointers, the normal
        # environment, an indicator row with a domain, and headings or lead-ins without markup
        ("burrowdns-dns-tunnelling", "Be careful with allow-lists"),
        ("burrowdns-dns-tunnelling", "Apart from e-mail security and a few licensing tools"),
        ("burrowdns-dns-tunnelling", "For more on DNS analytics, see our DNS hunting primer"),
        ("burrowdns-dns-tunnelling", "How the tunnel works"),
        ("burrowdns-dns-tunnelling", "Staging and exfiltration"),
        ("seo-poisoning-pdf-converter", "Blocking newly registered domains at the web proxy also helps"),
        ("seo-poisoning-pdf-converter", "Search engine operators said they remove malicious adverts"),
        ("velvetine-infostealer", "Telegram's API host is used by millions of legitimate applications"),
        ("spoolmoth-invoicing-plugin", "The malicious MSI is detected by several antivirus products"),
        ("lsass-credential-dumping", "The classic command sequence privilege::debug"),
        ("hoarfrost-docker-cryptojacking", "Initial access"),
        ("hollowgrain-ransomware-intrusion", "Days 7-8: exfiltration with rclone"),
        ("hollowgrain-ransomware-intrusion", "Days 4-6: credential access and lateral movement"),
        ("hollowgrain-ransomware-intrusion", "The command line was:"),
        ("hollowgrain-ransomware-intrusion", "| files.grainstore.top | rclone WebDAV destination |"),
        ("hollowgrain-ransomware-intrusion", "| C:\\ProgramData\\Microsoft\\Crypto\\rclone.conf | rclone configuration |"),
        ("burrowdns-dns-tunnelling", "- Flag TXT queries from workstations"),
        ("filegate-leak-extortion", "Web shells and a week of silence"),
    ],
)
def test_demo_sentence_is_not_evidence(engine: AttackEngine, post: str, sentence: str) -> None:
    html = package_data("demo", "site", "posts", f"{post}.html").read_text(encoding="utf-8")
    text = document_text(html, "")
    assert sentence in text  # the row guards a sentence the post really has
    inf = engine.infer(text)
    shown = [e.text for h in (*inf.observed, *inf.source_mapped) for e in h.evidence]
    assert shown
    assert not [t for t in shown if t.startswith(sentence)]
