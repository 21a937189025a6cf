"""Error classes seen on real third-party reports (issue 17), one table per class.

Every text here is written for the test (no report is copied); each row names the class of error
it guards: input in, exact (type, value, fidelity, reason) out.
"""

from __future__ import annotations

import pytest

from huntfeed.extract import extract
from huntfeed.extract.context import find_sections
from huntfeed.model import Fidelity, IndicatorType

T = IndicatorType
HIGH, LOW = Fidelity.HIGH, Fidelity.LOW

# Abused services as the author lists them, and the same values mentioned in prose.
LISTED = (
    "INDICATORS:\n"
    "- janbours92harbu03.duckdns.org\n"
    "- cdn.cloudfiare.workers.dev\n"
    "- d3ser9acyt7cdp.cloudfront.net\n"
    "- helpdesk-it.onmicrosoft.com\n"
    "- https://is.gd/Oc6aNo\n"
    "- https://www.virustotal.com/gui/file/abc\n"
)
MENTIONED = (
    "The kit phones home to janbours92harbu03.duckdns.org and cdn.cloudfiare.workers.dev, "
    "d3ser9acyt7cdp.cloudfront.net, helpdesk-it.onmicrosoft.com and https://is.gd/Oc6aNo."
)
PAGE_LINKS = (
    "See ![chain](https://vendor-labs.net/images/chain.png) and "
    "https://vendor-labs.net/wp-content/uploads/2024/05/fig1.jpg; as reported by "
    "[Acme](https://acme-research.net/blog/x) and in https://acme-research.net/paper[the Acme paper], "
    "the kit loads [evil-gate.top/a](http://evil-gate.top/a)."
)

# (class, text, type, value, fidelity, reason)
CASES = [
    # 1. the report's own images and assets
    ("image-markdown", PAGE_LINKS, T.URL, "https://vendor-labs.net/images/chain.png", LOW, "image-link"),
    ("asset-path", PAGE_LINKS, T.URL, "https://vendor-labs.net/wp-content/uploads/2024/05/fig1.jpg", LOW, "asset-link"),
    ("asset-defanged-in-list", "Indicators\n- hxxps://files-drop[.]top/img/logo.png\n", T.URL,
     "https://files-drop.top/img/logo.png", HIGH, "in-ioc-section"),
    # 2. citation links to other research
    ("citation-markdown", PAGE_LINKS, T.URL, "https://acme-research.net/blog/x", LOW, "reference-link"),
    ("citation-asciidoc", PAGE_LINKS, T.URL, "https://acme-research.net/paper", LOW, "reference-link"),
    ("auto-link-is-no-citation", PAGE_LINKS, T.URL, "http://evil-gate.top/a", HIGH, "plain"),
    # 3. the author's IOC list outranks warninglists; outside it the warninglist stands
    ("listed-dynamic-dns", LISTED, T.DOMAIN, "janbours92harbu03.duckdns.org", HIGH, "in-ioc-section"),
    ("listed-worker-host", LISTED, T.DOMAIN, "cdn.cloudfiare.workers.dev", HIGH, "in-ioc-section"),
    ("listed-cdn-object", LISTED, T.DOMAIN, "d3ser9acyt7cdp.cloudfront.net", HIGH, "in-ioc-section"),
    ("listed-tenant", LISTED, T.DOMAIN, "helpdesk-it.onmicrosoft.com", HIGH, "in-ioc-section"),
    ("listed-short-link", LISTED, T.URL, "https://is.gd/Oc6aNo", HIGH, "in-ioc-section"),
    ("listed-short-link-host-stays-low", LISTED, T.DOMAIN, "is.gd", LOW, "url-host"),
    ("sandbox-page-in-list", LISTED, T.URL, "https://www.virustotal.com/gui/file/abc", LOW, "reference-link"),
    ("mentioned-dynamic-dns", MENTIONED, T.DOMAIN, "janbours92harbu03.duckdns.org", LOW, "warninglist:tranco10k"),
    ("mentioned-cdn-object", MENTIONED, T.DOMAIN, "d3ser9acyt7cdp.cloudfront.net", LOW, "warninglist:alexa"),
    ("mentioned-tenant", MENTIONED, T.DOMAIN, "helpdesk-it.onmicrosoft.com", LOW, "warninglist:microsoft-office365"),
    # 4. URLs kept whole: an underscore before a version, ports, long paths, a path's own brackets
    ("underscore-version", "Indicators\n- hxxps://dl.wallet-update[.]top/files/wallet_2.2.8.exe\n", T.URL,
     "https://dl.wallet-update.top/files/wallet_2.2.8.exe", HIGH, "in-ioc-section"),
    ("port-and-long-path", "Indicators\n- hxxp://103.45.67[.]89:8443/a/b/c/d/e/f/update.bin?id=1&x=2\n", T.URL,
     "http://103.45.67.89:8443/a/b/c/d/e/f/update.bin?id=1&x=2", HIGH, "in-ioc-section"),
    ("path-bracket-before-defanged-dot", "URLS:\n- hxxps[://]cdn-docs[.]top/folder/index%201%20(6%20)[.]html\n",
     T.URL, "https://cdn-docs.top/folder/index%201%20(6%20).html", HIGH, "in-ioc-section"),
    ("tcp-scheme-defanged", "C2 TRAFFIC:\n  -- tcp[:]//xiao-gate[.]com:8080/\n", T.URL, "tcp://xiao-gate.com:8080/",
     HIGH, "in-ioc-section"),
    ("asciidoc-passthrough", "=== C&C URLs\n|`++https://cut-url[.]app/sot2QQ++`\n", T.URL,
     "https://cut-url.app/sot2QQ", HIGH, "in-ioc-section"),
    # 5. values in unusual wrappers
    ("ipv4-emphasis", "C2 server: _91.219.236[.]18_ today", T.IPV4, "91.219.236.18", HIGH, "defanged"),
    ("ipv4-double-emphasis", "C2 server: __91.219.236[.]18__ today", T.IPV4, "91.219.236.18", HIGH, "defanged"),
    ("second-level-only-tld", "- `denel-aero.co.za`\n", T.DOMAIN, "denel-aero.co.za", HIGH, "plain"),
    # hashes: only part of a URL, or a wallet written 0x + 40 hex digits
    ("hash-only-in-url", "Rule: https://github.com/acme/rules/blob/0f01f1a9e2ac08e9ead74cafd4d73cb8166f9fc8/r.toml",
     T.SHA1, "0f01f1a9e2ac08e9ead74cafd4d73cb8166f9fc8", LOW, "in-url"),
    # defanged file names
    ("defanged-file-underscore", "FILES:\n- deepseek_release_X64[.]zip\n", T.DOMAIN, "deepseek_release_x64.zip", LOW,
     "file-name"),
    ("defanged-file-camelcase", "FILES:\n- YoudaoDictSetup[.]zip\n", T.DOMAIN, "youdaodictsetup.zip", LOW, "file-name"),
    ("defanged-zip-host-stays", "Indicators\nfiles-cdn[.]zip\n", T.DOMAIN, "files-cdn.zip", HIGH, "in-ioc-section"),
    # a live host/path without scheme: the host is the indicator
    ("schemeless-live-host", "# Kit IOCs\n### Injection Points\n| alertmeter.info/sk-jspark_init.php |\n", T.DOMAIN,
     "alertmeter.info", HIGH, "in-ioc-section"),
    ("schemeless-live-url", "# Kit IOCs\n### Injection Points\n| alertmeter.info/sk-jspark_init.php |\n", T.URL,
     "alertmeter.info/sk-jspark_init.php", LOW, "schemeless"),
    ("schemeless-defanged-url", "| `github[.]com/johnshel1by` | URL | C2 account |\n", T.URL,
     "github.com/johnshel1by", HIGH, "in-ioc-section"),
    ("schemeless-defanged-shared-host", "| `github[.]com/johnshel1by` | URL | C2 account |\n", T.DOMAIN,
     "github.com", LOW, "url-host"),
    # 6. demo-corpus items: a listed path after an intro sentence, paths with spaced folder names,
    # the prose's closing bracket
    ("plain-heading-intro-sentence-keeps-list",
     "Indicators shared by the investigators\nThe summary lists the following indicators. Defenders at connected "
     "companies are advised to search for them.\n| Indicator | Type |\n|---|---|\n"
     "| C:\\Windows\\Help\\Corporate\\svcupd.exe | File path |\n",
     T.FILEPATH, "C:\\Windows\\Help\\Corporate\\svcupd.exe", HIGH, "in-ioc-section"),
    ("path-with-spaced-folders", "saved as C:\\Program Files (x86)\\Acme Corp\\bin\\a.dll. Then", T.FILEPATH,
     "C:\\Program Files (x86)\\Acme Corp\\bin\\a.dll", LOW, "mentioned"),
    ("path-loses-prose-bracket", "(netscan.exe saved as C:\\Users\\Public\\Music\\ns.exe) and", T.FILEPATH,
     "C:\\Users\\Public\\Music\\ns.exe", LOW, "mentioned"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "kind", "value", "fidelity", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_real_report_classes(text: str, kind: IndicatorType, value: str, fidelity: Fidelity, reason: str) -> None:
    found = {(i.type, i.value): i for i in extract(text, all=True)}
    ind = found[(kind, value)]
    assert (ind.fidelity, ind.reason) == (fidelity, reason)


ABSENT = [
    ("ethereum-wallet-no-sha1", "- ETH: 0xc54e1f4E1aD38D892b28Acfb56e83951b61671D9\n", T.SHA1),
    ("underscore-joined-ip", "ip_91.219.236.18 in a log name", T.IPV4),
    ("spaced-extension-is-no-file", "- Look for .aspx or .jsp files created under the web root.", T.FILENAME),
    ("folder-cut-at-space", "saved under C:\\Program Files\\Corvane\\app.aspx today", T.FILEPATH),
]


@pytest.mark.parametrize(("text", "kind"), [c[1:] for c in ABSENT], ids=[c[0] for c in ABSENT])
def test_not_reported(text: str, kind: IndicatorType) -> None:
    values = [i.value for i in extract(text, all=True) if i.type is kind]
    if kind is T.FILEPATH:
        assert values == ["C:\\Program Files\\Corvane\\app.aspx"]  # whole, not "C:\\Program"
    else:
        assert values == []


def test_ethereum_checksum_address_is_no_sha1_but_plain_hex_is() -> None:
    found = {i.type: i.value for i in extract("0x1a1db93766e31994507511c9c70a1dd94465cf6d", all=True)}
    assert found[T.SHA1] == "1a1db93766e31994507511c9c70a1dd94465cf6d"  # one case: a digest after 0x


# Report outlines: (class, text, values whose line sits in an IOC section, values whose does not)
OUTLINES = [
    (
        "caps-headings-content-decides",
        "NOTES:\n- hxxp://note-host[.]top/x was tested\n\nSERVERS SENDING THE MALSPAM:\n"
        "- Received: from mail.relay-one.com (125.234.98.190)\n- Received: from mx.relay-two.net (68.178.252.102)\n",
        ["125.234.98.190", "68.178.252.102"],
        ["note-host"],
    ),
    (
        "asciidoc-nested-under-ioc-title",
        "= Gelsemium -- Indicators of Compromise\n\n=== Registry\n* `HKCU\\Software\\Gx`\n\n==== Domains\n"
        "* `adineohler.com`\n\n=== MITRE ATT&CK matrix\n|T1071 |uses adineohler.com\n",
        ["HKCU", "* `adineohler.com`"],
        ["|T1071"],
    ),
    (
        "markdown-words-before-ioc-word",
        "# Group X\n\nIntro prose that is long enough to be a sentence of the report and nothing more than that.\n\n"
        "## Group X Phishing Domains\n```\naccount-noreply.space\n```\n",
        ["account-noreply.space"],
        ["Intro prose"],
    ),
    (
        "prose-line-inside-section-stays-narrative",
        "## Observations\n\nAll observables are also available for download in both formats in one zip bundle "
        "from our site today.\n\n| 216.238.121[.]132 | ipv4-addr | C2 server |\n",
        ["216.238.121"],
        ["All observables"],
    ),
    (
        "indicator-table-under-narrative-heading",
        "## Technical Details\n\nThe actors used these addresses.\n\n| 93.119.208.86 | 13 October 2020 |\n",
        ["93.119.208.86"],
        ["The actors"],
    ),
    (
        "inline-triple-backticks-open-no-fence",
        "## Communication\n\nThe job sets the URL to ```http://updater.example-cdn.top/index.aspx```.\n\n"
        "## Observations\n\n| updater.example-cdn.top | | | file indicator |\n",
        ["| updater.example-cdn.top"],
        ["The job"],
    ),
]


@pytest.mark.parametrize(("text", "inside", "outside"), [c[1:] for c in OUTLINES], ids=[c[0] for c in OUTLINES])
def test_ioc_sections(text: str, inside: list[str], outside: list[str]) -> None:
    sections = find_sections(text)
    assert [s for s in inside if not sections.in_ioc(text.index(s))] == []
    assert [s for s in outside if sections.in_ioc(text.index(s))] == []
