"""Table-driven extraction cases per type, fidelity reasons, and the shared labelled cases."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from huntfeed.extract import ExtractContext, defang, extract, refang
from huntfeed.extract.evaluate import load_cases, score
from huntfeed.model import Fidelity, IndicatorType

ROOT = Path(__file__).resolve().parents[1]
SHARED = next(
    (p for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared") if p.is_dir()), ROOT.parent / "shared"
)
T = IndicatorType


def values(text: str, kind: IndicatorType, *, all: bool = True) -> list[str]:  # noqa: A002
    return [i.value for i in extract(text, all=all) if i.type is kind]


# (id, text, type, expected values in order) -- written for huntfeed, not copied from peers.
CASES = [
    ("ipv4-plain", "beacon to 45.77.10.3 every hour", T.IPV4, ["45.77.10.3"]),
    ("ipv4-bracket-last", "host 91.203.5.[.]7 was", T.IPV4, []),
    ("ipv4-bracket-dots", "seen at 91[.]203[.]5[.]17 today", T.IPV4, ["91.203.5.17"]),
    ("ipv4-one-bracket", "seen at 91.203.5[.]17 today", T.IPV4, ["91.203.5.17"]),
    ("ipv4-spaced", "contacted 5 . 6 . 7 . 8 then", T.IPV4, ["5.6.7.8"]),
    ("ipv4-port", "C2 at 185.220.101.4:8443", T.IPV4, ["185.220.101.4"]),
    ("ipv4-not-version-5-parts", "release 10.2.3.4.5 shipped", T.IPV4, []),
    ("ipv4-not-timestamp", "at 2024.05.06.12 UTC", T.IPV4, []),
    ("ipv4-octet-range", "not 300.1.1.1 but 8.8.4.4", T.IPV4, ["8.8.4.4"]),
    (
        "ipv6-full",
        "addr 2a03:2880:f12f:83:face:b00c:0:25de seen",
        T.IPV6,
        ["2a03:2880:f12f:83:face:b00c:0:25de"],
    ),
    ("ipv6-compressed", "to 2001:db8::7 and back", T.IPV6, ["2001:db8::7"]),
    ("ipv6-not-time", "at 10:42:17 local", T.IPV6, []),
    ("ipv6-not-mac", "mac 00:1a:2b:3c:4d:5e", T.IPV6, []),
    ("domain-plain", "resolves update-check.xyz daily", T.DOMAIN, ["update-check.xyz"]),
    ("domain-bracket", "resolves update-check[.]xyz daily", T.DOMAIN, ["update-check.xyz"]),
    ("domain-paren", "resolves update-check(.)xyz daily", T.DOMAIN, ["update-check.xyz"]),
    ("domain-curly", "resolves update-check{.}xyz daily", T.DOMAIN, ["update-check.xyz"]),
    ("domain-word-dot", "resolves update-check[dot]xyz daily", T.DOMAIN, ["update-check.xyz"]),
    ("domain-backslash", "resolves update-check\\.xyz daily", T.DOMAIN, ["update-check.xyz"]),
    ("domain-spaced", "resolves updatecheck . xyz daily", T.DOMAIN, ["updatecheck.xyz"]),
    ("domain-upper", "resolves UPDATE-CHECK.XYZ daily", T.DOMAIN, ["update-check.xyz"]),
    ("domain-trailing-dot", "the host was cdn-files.top.", T.DOMAIN, ["cdn-files.top"]),
    ("domain-bad-tld", "the file config.yamlx was", T.DOMAIN, []),
    ("domain-idn", "look-alike пример[.]рф here", T.DOMAIN, ["пример.рф"]),
    ("url-hxxps-cut-short", "get hxxps://evil[.]com[/]gate.php now", T.URL, ["https://evil.com/gate.php"]),
    ("url-colon-bracket", "get http[:]//evil.com/a.exe now", T.URL, ["http://evil.com/a.exe"]),
    ("url-scheme-bracket", "get https[://]evil.com/a.exe now", T.URL, ["https://evil.com/a.exe"]),
    ("url-paren-close", "(see https://evil.com/x.php)", T.URL, ["https://evil.com/x.php"]),
    ("url-quote", "fetch('https://evil.com/p.ps1');", T.URL, ["https://evil.com/p.ps1"]),
    ("url-ip-host", "from http://45.9.148.12/bins/x86 at", T.URL, ["http://45.9.148.12/bins/x86"]),
    (
        "url-schemeless",
        "payload at files-cdn.top/load/stage2.bin today",
        T.URL,
        ["files-cdn.top/load/stage2.bin"],
    ),
    ("url-bracket-host-not-url", "domain evil[.]com only", T.URL, []),
    ("email-plain", "sent by billing@invoice-portal.net yesterday", T.EMAIL, ["billing@invoice-portal.net"]),
    ("email-bracket-at", "sent by billing[@]invoice-portal[.]net", T.EMAIL, ["billing@invoice-portal.net"]),
    ("email-word-at", "sent by billing[at]invoice-portal.net", T.EMAIL, ["billing@invoice-portal.net"]),
    ("email-no-glue", "contact Mr billing [at] invoice-portal.net", T.EMAIL, ["billing@invoice-portal.net"]),
    ("md5", "md5 5d41402abc4b2a76b9719d911017c592 seen", T.MD5, ["5d41402abc4b2a76b9719d911017c592"]),
    (
        "sha1",
        "sha1 AAF4C61DDCC5E8A2DABEDE0F3B482CD9AEA9434D x",
        T.SHA1,
        ["aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"],
    ),
    (
        "sha256",
        "hash 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae.",
        T.SHA256,
        ["2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"],
    ),
    ("sha512", "h " + "ab12" * 32 + " end", T.SHA512, ["ab12" * 32]),
    ("hash-too-long", "h " + "a1" * 20 + "b" + " end", T.SHA1, []),
    ("hash-imphash-not-md5", "imphash: 5d41402abc4b2a76b9719d911017c592", T.MD5, []),
    ("cve-upper", "patched CVE-2024-3400 last week", T.CVE, ["CVE-2024-3400"]),
    ("cve-lower", "patched cve-2023-4966 last week", T.CVE, ["CVE-2023-4966"]),
    ("cve-space", "patched CVE 2021-44228", T.CVE, ["CVE-2021-44228"]),
    ("attack-id", "uses T1059.001 and TA0011", T.ATTACK_ID, ["T1059.001", "TA0011"]),
    (
        "registry",
        r"adds HKCU\Software\Microsoft\Windows\CurrentVersion\Run\updater value",
        T.REGISTRY,
        [r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run\updater"],
    ),
    (
        "filepath-windows",
        r"drops C:\ProgramData\svc\host.exe then",
        T.FILEPATH,
        [r"C:\ProgramData\svc\host.exe"],
    ),
    ("filename", "runs invoice_2024.js via wscript", T.FILENAME, ["invoice_2024.js"]),
    (
        "bitcoin",
        "pay to 1BoatSLRHtKNngkdXEeobR76b53LETtpyT now",
        T.BITCOIN,
        ["1BoatSLRHtKNngkdXEeobR76b53LETtpyT"],
    ),
    ("bitcoin-bad-checksum", "pay to 1BoatSLRHtKNngkdXEeobR76b53LETtpyX now", T.BITCOIN, []),
]


@pytest.mark.parametrize(("text", "kind", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_extraction_table(text: str, kind: IndicatorType, expected: list[str]) -> None:
    assert values(text, kind) == expected


# (id, text, type, value, fidelity, reason)
FIDELITY = [
    (
        "reference-mitre",
        "See https://attack.mitre.org/techniques/T1105/ for more.",
        T.URL,
        "https://attack.mitre.org/techniques/T1105/",
        Fidelity.LOW,
        "reference-link",
    ),
    (
        "reference-twitter",
        "Follow us on twitter.com/somevendor today.",
        T.URL,
        "twitter.com/somevendor",
        Fidelity.LOW,
        "reference-link",
    ),
    (
        "github-repo-page",
        "Code is on https://github.com/someone/tool today.",
        T.URL,
        "https://github.com/someone/tool",
        Fidelity.LOW,
        "reference-link",
    ),
    (
        "raw-github-payload",
        "Stage two: https://raw.githubusercontent.com/bad/x/main/p.ps1 ran.",
        T.URL,
        "https://raw.githubusercontent.com/bad/x/main/p.ps1",
        Fidelity.HIGH,
        "abused-host",
    ),
    (
        "discord-cdn",
        "from https://cdn.discordapp.com/attachments/1/2/x.zip it",
        T.URL,
        "https://cdn.discordapp.com/attachments/1/2/x.zip",
        Fidelity.HIGH,
        "abused-host",
    ),
    (
        "code-identifier",
        "It creates WScript.Shell to run commands.",
        T.DOMAIN,
        "wscript.shell",
        Fidelity.LOW,
        "code-identifier",
    ),
    (
        "dotnet-namespace",
        "It loads System.Net and runs.",
        T.DOMAIN,
        "system.net",
        Fidelity.LOW,
        "code-identifier",
    ),
    (
        "file-name-zip",
        "The victim opened payload.zip first.",
        T.DOMAIN,
        "payload.zip",
        Fidelity.LOW,
        "file-name",
    ),
    ("file-name-md", "Notes are in analysis.md there.", T.DOMAIN, "analysis.md", Fidelity.LOW, "file-name"),
    (
        "defanged-zip-is-domain",
        "C2 was payload[.]zip last week.",
        T.DOMAIN,
        "payload.zip",
        Fidelity.HIGH,
        "defanged",
    ),
    ("private-ip", "Lateral movement to 10.0.0.5 happened.", T.IPV4, "10.0.0.5", Fidelity.LOW, "private-ip"),
    (
        "public-dns",
        "It resolves names via 8.8.8.8 always.",
        T.IPV4,
        "8.8.8.8",
        Fidelity.LOW,
        "warninglist:public-dns-v4",
    ),
    (
        "version-string",
        "Tested on version 1.2.3.4 of the agent.",
        T.IPV4,
        "1.2.3.4",
        Fidelity.LOW,
        "version-string",
    ),
    (
        "warninglisted-domain",
        "Users browse google.com daily.",
        T.DOMAIN,
        "google.com",
        Fidelity.LOW,
        "reference-link",
    ),
    (
        "empty-file-hash",
        "hash e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 x",
        T.SHA256,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        Fidelity.LOW,
        "warninglist:empty-hashes",
    ),
    (
        "c2-context",
        "The implant beacons to telemetry-sync.online over HTTPS.",
        T.DOMAIN,
        "telemetry-sync.online",
        Fidelity.HIGH,
        "context:c2",
    ),
    (
        "defanged",
        "Blocked login-verify[.]site yesterday.",
        T.DOMAIN,
        "login-verify.site",
        Fidelity.HIGH,
        "defanged",
    ),
    (
        "url-host-not-twice",
        "Blocked hxxps://login-verify[.]site/a yesterday.",
        T.DOMAIN,
        "login-verify.site",
        Fidelity.LOW,
        "url-host",
    ),
    ("loose-defang", "numbers 9,10,11,12 appear", T.IPV4, "9.10.11.12", Fidelity.LOW, "loose-defang"),
]


@pytest.mark.parametrize(
    ("text", "kind", "value", "fidelity", "reason"), [c[1:] for c in FIDELITY], ids=[c[0] for c in FIDELITY]
)
def test_fidelity_table(text: str, kind: IndicatorType, value: str, fidelity: Fidelity, reason: str) -> None:
    found = {(i.type, i.value): i for i in extract(text, all=True)}
    ind = found[(kind, value)]
    assert (ind.fidelity, ind.reason) == (fidelity, reason)
    assert (ind in extract(text)) == (fidelity is Fidelity.HIGH)


def test_ioc_section_makes_plain_values_high() -> None:
    text = (
        "The campaign is described below in detail with every step the operators took and why it matters.\n"
        "Indicators of Compromise\n"
        "update-service.org\n"
        "91.219.236.18\n"
        "Conclusion\n"
    )
    found = {i.value: i for i in extract(text)}
    assert found["update-service.org"].reason == "in-ioc-section"
    assert found["91.219.236.18"].reason == "in-ioc-section"


def test_report_that_defangs_leaves_live_links_low() -> None:
    text = "C2: hxxps://cdn-sync[.]top/gate.php. Background in https://news-portal.info/story."
    found = {i.value: i for i in extract(text, all=True)}
    assert found["https://cdn-sync.top/gate.php"].fidelity is Fidelity.HIGH
    assert found["https://news-portal.info/story"].reason == "not-defanged"


def test_own_site_and_reference_domains_from_context() -> None:
    text = "More at https://research.acme-sec.com/blog/x and https://feeds.partner.org/y and evil[.]top."
    ctx = ExtractContext(
        source_url="https://research.acme-sec.com/blog/x", reference_domains=("partner.org",)
    )
    found = {i.value: i.reason for i in extract(text, all=True, context=ctx)}
    assert found["https://research.acme-sec.com/blog/x"] == "own-site"
    assert found["https://feeds.partner.org/y"] == "reference-link"
    assert [i.value for i in extract(text, context=ctx)] == ["evil.top"]


def test_first_occurrence_and_defanged_flag() -> None:
    text = "first evil-host.top then evil-host[.]top again"
    (ind,) = [i for i in extract(text, all=True) if i.type is T.DOMAIN]
    assert (ind.start, ind.raw, ind.defanged) == (6, "evil-host.top", True)
    assert text[ind.start : ind.end] == ind.raw


def test_order_of_first_occurrence() -> None:
    text = "b-second.top then 45.77.10.3 then a-first.top"
    assert [i.value for i in extract(text, all=True)] == ["b-second.top", "45.77.10.3", "a-first.top"]


# Every defang style listed in DESIGN.md section 4, with the value it must give.
DESIGN_STYLES = [
    ("hxxp://bad-site.top/x", T.URL, "http://bad-site.top/x"),
    ("hXXps://bad-site.top/x", T.URL, "https://bad-site.top/x"),
    ("bad-site[.]top", T.DOMAIN, "bad-site.top"),
    ("bad-site(.)top", T.DOMAIN, "bad-site.top"),
    ("bad-site{.}top", T.DOMAIN, "bad-site.top"),
    ("bad-site[dot]top", T.DOMAIN, "bad-site.top"),
    ("bad-site(dot)top", T.DOMAIN, "bad-site.top"),
    ("bad-site\\.top", T.DOMAIN, "bad-site.top"),
    ("http[:]//bad-site.top/x", T.URL, "http://bad-site.top/x"),
    ("http[://]bad-site.top/x", T.URL, "http://bad-site.top/x"),
    ("ops[@]bad-site.top", T.EMAIL, "ops@bad-site.top"),
    ("ops[at]bad-site.top", T.EMAIL, "ops@bad-site.top"),
    ("1.2.3[.]4", T.IPV4, "1.2.3.4"),
    ("evil . com", T.DOMAIN, "evil.com"),
]


@pytest.mark.parametrize(("raw", "kind", "value"), DESIGN_STYLES, ids=[s[0] for s in DESIGN_STYLES])
def test_design_defang_styles(raw: str, kind: IndicatorType, value: str) -> None:
    text = f"seen {raw} here"
    found = [i for i in extract(text, all=True) if i.type is kind]
    assert found and found[0].value == value
    assert found[0].raw == raw and found[0].defanged == (raw != value)


@pytest.mark.parametrize("kind", [T.URL, T.DOMAIN, T.IPV4, T.EMAIL])
def test_defang_for_display_round_trips(kind: IndicatorType) -> None:
    value = {T.URL: "https://evil.com/a?b=c", T.DOMAIN: "evil.com", T.IPV4: "1.2.3.4", T.EMAIL: "a@evil.com"}[
        kind
    ]
    shown = defang(value, kind)
    assert "." not in shown.replace("[.]", "") or kind is T.URL
    assert refang(shown) == value


def _require_shared(name: str) -> Path:
    path = SHARED / "eval" / name
    if not path.is_file():
        pytest.skip(f"{path} not found: the shared labelled data sits beside the repository")
    return path


def test_shared_ioc_cases_micro_f1() -> None:
    cases = load_cases(_require_shared("ioc_cases.jsonl"))

    def predict(text: str) -> dict[str, set[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        for ind in extract(text, all=True):
            out[ind.type.value].add(ind.value)
        return out

    result = score(cases, predict)
    assert result.micro.f1 >= 0.98, result.errors[:20]


# refang_pairs rows whose "refanged" side is a peer's convention we deliberately do not follow:
# text outside any indicator, or markdown glued by the peer's own bracket stripping.
_PAIR_CONVENTIONS = {"refang:188", "refang:196"}


def test_shared_refang_pairs_give_the_same_indicators() -> None:
    rows = [json.loads(line) for line in _require_shared("refang_pairs.jsonl").open(encoding="utf-8")]
    failures = []
    for row in rows:
        if row["id"] in _PAIR_CONVENTIONS:
            continue
        want = {(i.type, i.value.removeprefix("http://")) for i in extract(row["refanged"], all=True)}
        got = {(i.type, i.value.removeprefix("http://")) for i in extract(row["defanged"], all=True)}
        if not want <= got:
            failures.append((row["id"], row["defanged"], sorted(want - got)))
    assert len(failures) <= len(rows) // 50, failures
