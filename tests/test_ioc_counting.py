"""What counts as an IOC in summaries, severity and exports (issue 17): input in, exact output out."""

from __future__ import annotations

import pytest

from huntfeed.extract import extract
from huntfeed.indicators import blockable, count_iocs, is_ioc
from huntfeed.model import Fidelity, Indicator, IndicatorType
from tests.test_score import run

T = IndicatorType


def ind(t: IndicatorType, v: str, fidelity: Fidelity = Fidelity.HIGH) -> Indicator:
    return Indicator(type=t, value=v, raw=v, start=0, end=len(v), fidelity=fidelity, reason="in-ioc-section")


# (class, indicator, counts as IOC, blockable)
KINDS = [
    ("cve-is-a-vulnerability", ind(T.CVE, "CVE-2024-3400"), False, False),
    ("attack-id-is-a-technique", ind(T.ATTACK_ID, "T1059.001"), False, False),
    ("low-domain", ind(T.DOMAIN, "evil-gate.top", Fidelity.LOW), False, False),
    ("high-domain", ind(T.DOMAIN, "evil-gate.top"), True, True),
    ("listed-file-name", ind(T.FILENAME, "Hx7loader.dll"), True, True),
    ("common-file-name", ind(T.FILENAME, "svchost.exe"), True, False),
    ("common-file-name-any-case", ind(T.FILENAME, "SETUP.EXE"), True, False),
]


@pytest.mark.parametrize(("value", "ioc", "block"), [k[1:] for k in KINDS], ids=[k[0] for k in KINDS])
def test_what_counts(value: Indicator, ioc: bool, block: bool) -> None:
    assert (is_ioc(value), blockable(value)) == (ioc, block)


def test_advisory_with_only_cves_shows_no_iocs() -> None:
    cves = tuple(ind(T.CVE, f"CVE-2025-{n:04d}") for n in range(1, 7))
    assert count_iocs(cves) == 0
    s = run("Six flaws were fixed in the PLC firmware.", cves)
    assert any("No high-fidelity indicators" in r for r in s.reasons)


def test_file_names_alone_add_no_indicator_points() -> None:
    names = (ind(T.FILENAME, "Hx7loader.dll"), ind(T.FILENAME, "stage2.ps1"))
    s = run("The loader drops two files.", names)
    assert any("No high-fidelity indicators" in r for r in s.reasons)
    with_hash = run("The loader drops two files.", (*names, ind(T.SHA256, "a" * 63 + "b")))
    assert any("1 sha256" in r for r in with_hash.reasons) and "filename" not in " ".join(with_hash.reasons)


# (class, text, value, fidelity, reason) for bare file names
NAMES = [
    ("name-in-ioc-list", "Indicators\n- Hx7loader.dll\n", "Hx7loader.dll", Fidelity.HIGH, "in-ioc-section"),
    ("name-in-c2-sentence", "The payload Hx7loader.dll was downloaded from the C2 server.", "Hx7loader.dll",
     Fidelity.LOW, "mentioned"),
    ("common-name-in-ioc-list", "Indicators\n- svchost.exe\n", "svchost.exe", Fidelity.LOW, "common-file-name"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "value", "fidelity", "reason"), [n[1:] for n in NAMES], ids=[n[0] for n in NAMES])
def test_bare_file_name_fidelity(text: str, value: str, fidelity: Fidelity, reason: str) -> None:
    found = {i.value: i for i in extract(text, all=True) if i.type is T.FILENAME}
    assert (found[value].fidelity, found[value].reason) == (fidelity, reason)


def _sweep(hunts: tuple, key: str) -> dict[str, str]:
    return next(h.queries for h in hunts if h.use_case.startswith(f"SWEEP_{key}_"))


def test_url_on_attacker_host_also_sweeps_the_host_shared_platform_never() -> None:
    from huntfeed.hunts.sweeps import build_sweeps

    urls = (
        ind(T.URL, "https://update-gate.top/a/b.php"),
        ind(T.URL, "https://is.gd/Oc6aNo"),  # a shared short-link service: the path is the indicator
        ind(T.URL, "http://185.14.29.246:80/x.ps1"),
    )
    hunts = build_sweeps(urls)
    domain = _sweep(hunts, "DOMAIN")
    assert 'let domains = dynamic(["update-gate.top"]);' in domain["kql"] and "is.gd" not in domain["kql"]
    assert "185.14.29.246" not in domain["kql"]
    url = _sweep(hunts, "URL")["kql"]
    # Defender's RemoteUrl: the URL without its scheme, or only the host for HTTPS.
    assert 'let bare_urls = dynamic(["update-gate.top/a/b.php", "is.gd/Oc6aNo", "185.14.29.246:80/x.ps1"]);' in url
    assert (
        'let url_hosts = dynamic(["update-gate.top", "https://is.gd/Oc6aNo", "http://185.14.29.246:80/x.ps1"]);' in url
    )
    assert "RemoteUrl in~ (urls) or RemoteUrl in~ (bare_urls) or RemoteUrl in~ (url_hosts)" in url
