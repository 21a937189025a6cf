"""Hand-built, realistic profiles for the output tests (no pipeline needed).

They carry hostile feed content on purpose: a <script> in the title, quotes and backslashes in
indicator values, spreadsheet formulas, so every renderer is tested against what a feed can send.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from huntfeed.model import (
    ActorHit,
    Change,
    Evidence,
    Fidelity,
    Hunt,
    Indicator,
    IndicatorType,
    Inference,
    Profile,
    Score,
    Severity,
    Source,
    TechniqueHit,
    TextSource,
)
from huntfeed.store import Store

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
XSS = "<script>window.__pwned=1</script>"

_SPL = (
    "| tstats `summariesonly` count from datamodel=Endpoint.Processes\n"
    '    where Processes.process_name="powershell.exe" Processes.process="*-enc*"\n'
    "    by Processes.dest, Processes.user, Processes.process"
)
_KQL = (
    "DeviceProcessEvents\n| where Timestamp > ago(7d)\n"
    '| where FileName =~ "powershell.exe" and ProcessCommandLine has "-enc"'
)
_SIGMA = (
    "title: Encoded PowerShell\nlogsource:\n  product: windows\n  category: process_creation\n"
    "detection:\n  sel:\n    Image|endswith: '\\powershell.exe'\n    CommandLine|contains: ' -enc '\n"
    "  condition: sel\nlevel: high\n"
)


def _ioc(t: IndicatorType, value: str, fid: Fidelity = Fidelity.HIGH, raw: str | None = None) -> Indicator:
    raw = raw if raw is not None else value
    return Indicator(type=t, value=value, raw=raw, start=0, end=len(raw), defanged=raw != value, fidelity=fid)


def _tech(tid: str, name: str, tactics: tuple[str, ...], text: str) -> TechniqueHit:
    return TechniqueHit(
        id=tid, name=name, tactics=tactics, confidence=0.8, methods=("phrase",),
        evidence=(Evidence(text=text, start=0, end=len(text)),),
    )


POWERSHELL = _tech("T1059.001", "PowerShell", ("execution",), "launched an encoded PowerShell command")
PHISHING = _tech("T1566.001", "Spearphishing Attachment", ("initial-access",), "emails carried a ZIP attachment")
EXFIL = _tech("T1041", "Exfiltration Over C2 Channel", ("exfiltration",), "data was sent over the C2 channel")
EXPLOIT = _tech("T1190", "Exploit Public-Facing Application", ("initial-access",), "exploited CVE-2024-3400")
REGRUN = _tech(
    "T1547.001", "Registry Run Keys / Startup Folder", ("persistence", "privilege-escalation"),
    "added a Run key",
)


def _hunt(uc: str, title: str, techniques: tuple[str, ...]) -> Hunt:
    return Hunt(
        use_case=uc, title=title, phase="exploit", confidence="High",
        queries={"spl": _SPL, "kql": _KQL, "sigma": _SIGMA}, techniques=techniques,
        reasons=("technique T1059.001 observed",), description="Encoded PowerShell launched by Office",
        false_positives="Admin scripts",
    )


def apt_profile_v1() -> Profile:
    """A HIGH profile about a named group, first version (summary only)."""
    return Profile(
        id="a1b2c3d4e5f60718", version=1,
        title="APT29 phishing wave drops loader " + XSS,
        source="Example Threat Intel", published=NOW - timedelta(days=1),
        url="https://intel.example.com/blog/apt29-wave",
        summary="APT29 sent phishing mails with ZIP attachments; " + XSS,
        text_source=TextSource.RSS_SUMMARY,
        score=Score(Severity.MED, ("1 technique(s) inferred",), 3.0),
        indicators=(_ioc(IndicatorType.DOMAIN, "update-check.example.net", raw="update-check[.]example[.]net"),),
        inference=Inference(observed=(PHISHING,), attack_version="18.1"),
        hunts=(), content_hash="h1", analysed_at=NOW - timedelta(days=1),
        feed_url="https://intel.example.com/feed.xml",
    )


def apt_profile_v2() -> Profile:
    """The same profile after the full write-up appeared: more IOCs, techniques and hunts."""
    v1 = apt_profile_v1()
    iocs = (
        _ioc(IndicatorType.DOMAIN, "update-check.example.net", raw="update-check[.]example[.]net"),
        _ioc(IndicatorType.IPV4, "203.0.113.45", raw="203.0.113[.]45"),
        _ioc(IndicatorType.URL, "http://203.0.113.45/gate.php?id=1", raw="hxxp://203.0.113[.]45/gate.php?id=1"),
        _ioc(IndicatorType.SHA256, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
        _ioc(IndicatorType.MD5, "d41d8cd98f00b204e9800998ecf8427e"),
        _ioc(IndicatorType.EMAIL, "hr@mail.example.org", raw="hr[@]mail[.]example[.]org"),
        _ioc(IndicatorType.FILENAME, "invoice_2026.zip"),
        _ioc(IndicatorType.REGISTRY, "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater"),
        _ioc(IndicatorType.CVE, "CVE-2024-3400"),
        _ioc(IndicatorType.DOMAIN, "it's-a\\trap'].example.com", raw="it's-a\\trap'][.]example[.]com"),
        _ioc(IndicatorType.DOMAIN, "=HYPERLINK(\"http://x.example\")", Fidelity.LOW),
        _ioc(IndicatorType.FILENAME, "readme.md", Fidelity.LOW),
        _ioc(IndicatorType.USER_AGENT, "Mozilla/5.0 (Evil'Bot)"),
        _ioc(IndicatorType.ASN, "AS64500"),
    )
    actors = (
        ActorHit(stix_id="intrusion-set--899ce53f-13a0-479b-a0e4-67d46e241542", name="APT29",
                 kind="intrusion-set", matched="APT29", attack_id="G0016"),
        ActorHit(stix_id="", name="WellMess", kind="malware", matched="WellMess", attack_id="S0514"),
    )
    return replace(
        v1, version=2, text_source=TextSource.FULL_ARTICLE,
        score=Score(Severity.HIGH, ("5 high-fidelity IOCs", "named actor APT29", "2 use cases fired"), 11.0),
        indicators=iocs,
        inference=Inference(
            observed=(PHISHING, POWERSHELL, REGRUN, EXFIL), actors=actors,
            kill_chain_phases=("delivery", "exploitation", "installation"), attack_version="18.1",
        ),
        hunts=(
            _hunt("UC_PS_ENCODED", "Encoded PowerShell from Office " + XSS, ("T1059.001",)),
            Hunt(use_case="SWEEP_IOC", title="IOC sweep: domains and IPs", phase="c2", confidence="High",
                 kind="sweep", queries={"spl": 'index=proxy dest="203.0.113.45"',
                                        "kql": 'DeviceNetworkEvents | where RemoteIP == "203.0.113.45"'}),
        ),
        content_hash="h2", analysed_at=NOW - timedelta(hours=2),
        changes=(
            Change("text-source", "rss-summary -> full-article"),
            Change("indicator-added", "ipv4 203.0.113.45"),
            Change("technique-added", "T1059.001 PowerShell"),
            Change("severity", "MED -> HIGH"),
        ),
    )


def vuln_profile() -> Profile:
    """A CRITICAL profile about an exploited edge device."""
    return Profile(
        id="ffee000011112222", version=1, title="PAN-OS GlobalProtect exploited in the wild",
        source="Vendor PSIRT", published=NOW - timedelta(hours=5),
        url="https://psirt.example.com/CVE-2024-3400", summary="Command injection exploited by UTA0218.",
        text_source=TextSource.FULL_ARTICLE,
        score=Score(Severity.CRITICAL, ("exploited CVE", "edge device"), 15.0),
        indicators=(
            _ioc(IndicatorType.CVE, "CVE-2024-3400"),
            _ioc(IndicatorType.IPV6, "2001:db8::dead:beef"),
            _ioc(IndicatorType.SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
            _ioc(IndicatorType.FILEPATH, "/var/appweb/sslvpndocs/global-protect/portal/css/bootstrap.min.css"),
            _ioc(IndicatorType.BITCOIN, "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"),
            _ioc(IndicatorType.SHA512, "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
                                       "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"),
        ),
        inference=Inference(observed=(EXPLOIT, POWERSHELL), attack_version="18.1"),
        hunts=(_hunt("UC_EDGE_EXPLOIT", "Edge device spawning shells", ("T1190",)),),
        content_hash="h3", analysed_at=NOW - timedelta(hours=4),
        feed_url="https://psirt.example.com/rss",
    )


def low_profile() -> Profile:
    """A LOW profile with nothing to hunt on."""
    return Profile(
        id="0000aaaa1111bbbb", version=1, title="Quarterly security newsletter",
        source="Snyk", published=NOW - timedelta(days=9), url="https://snyk.example/newsletter",
        summary="Roundup.", text_source=TextSource.RSS_SUMMARY,
        score=Score(Severity.LOW, ("nothing actionable",), 0.0), indicators=(),
        inference=Inference(), hunts=(), content_hash="h4", analysed_at=NOW - timedelta(days=9),
    )


def all_profiles() -> list[Profile]:
    """Latest version of every sample profile, newest first."""
    return [vuln_profile(), apt_profile_v2(), low_profile()]


def history() -> list[Profile]:
    """Every version of every sample profile, in the order a pipeline would have saved them."""
    return [low_profile(), apt_profile_v1(), vuln_profile(), apt_profile_v2()]


def make_store(path: Path) -> Store:
    """A real SQLite store at ``path`` holding the sample profiles and two feeds (one failing)."""
    store = Store(f"sqlite:///{path}")
    for p in history():
        store.save_profile(p)
    store.add_feed(Source(url="https://intel.example.com/feed.xml", name="Example Threat Intel", reliability="A"))
    store.record_feed_unchanged("https://intel.example.com/feed.xml", "304")
    store.add_feed(Source(url="https://broken.example/rss", name="Broken <b>feed</b>", reliability="C"))
    store.record_feed_error("https://broken.example/rss", "error", "HTTP 503 " + XSS, None)
    return store
