"""False positives seen on the demo corpus: file names, package ids and mailbox names read as
domains, and WebSocket URLs losing their scheme. Each case says why the value is low fidelity."""

from __future__ import annotations

import pytest

from huntfeed.extract import extract
from huntfeed.model import Fidelity, IndicatorType

T = IndicatorType
HIGH, LOW = Fidelity.HIGH, Fidelity.LOW

# A report that defangs its hosts, with an IOC table whose description column names files.
IOC_TABLE = (
    "The operators staged their tooling on rented servers and reused the same loader for months.\n"
    "Indicators of compromise\n"
    "hxxp://103.167.150[.]22:8081/d.sh\tURL\tInstaller script\n"
    "aa88e2494dfa71460d1e9b5d7b204c9a41a6b9ca1217c481c7fa6d86a1c91a26\tSHA256\td.sh\n"
    "b3436b78a05491fe3f6d32acb42053999d2c385d3492520110f96dafabd7dc57\tSHA256\tlibhttpd_ext.so\n"
    "a4c0d28c67282d31dd4d1f118c03813382050e459e44ce6984ebb27e27c885f8\tSHA256\tloader.zip\n"
    "com.parceltrack.delivery.app\tAndroid package\tdropper\n"
    "dl.hoarfrost-cdn[.]top\tDomain\tC2\n"
    "files-cdn.zip\tDomain\tC2\n"
)

# (id, text, type, value, fidelity, reason)
CASES = [
    ("script-ending-a-url-path", IOC_TABLE, T.DOMAIN, "d.sh", LOW, "file-name"),
    ("underscore-is-no-host", IOC_TABLE, T.DOMAIN, "libhttpd_ext.so", LOW, "file-name"),
    ("live-zip-in-defanging-report", IOC_TABLE, T.DOMAIN, "loader.zip", LOW, "file-name"),
    ("android-package-in-ioc-table", IOC_TABLE, T.PACKAGE, "com.parceltrack.delivery.app", HIGH, "in-ioc-section"),
    ("defanged-host-stays-high", IOC_TABLE, T.DOMAIN, "dl.hoarfrost-cdn.top", HIGH, "in-ioc-section"),
    (
        "archive-at-the-end-of-a-download-url",
        "Indicators\nhXXps://storage-helpdesk[.]com/fix/spamfilter.zip\nspamfilter.zip\n",
        T.DOMAIN,
        "spamfilter.zip",
        LOW,
        "file-name",
    ),
    (
        "library-in-a-unix-path",
        "It preloads /usr/local/lib/libsystemd-shared.so to hide the miner from ps.",
        T.DOMAIN,
        "libsystemd-shared.so",
        LOW,
        "file-name",
    ),
    (
        "file-in-a-windows-path",
        r"They ran reg.exe save HKLM\SAM C:\Windows\Temp\sam.save on the host.",
        T.DOMAIN,
        "sam.save",
        LOW,
        "file-name",
    ),
    (
        "bundle-id-in-prose",
        "The dropper installs org.freevpn.client.online on the phone.",
        T.PACKAGE,
        "org.freevpn.client.online",
        LOW,
        "mentioned",
    ),
    (
        "defanged-zip-domain-stays-a-domain",
        "Indicators\nfiles-cdn[.]zip\n",
        T.DOMAIN,
        "files-cdn.zip",
        HIGH,
        "in-ioc-section",
    ),
    (
        "language-subdomain-is-no-package",
        "The lure was hosted on de.parcel-notice.top for German victims, a phishing page.",
        T.DOMAIN,
        "de.parcel-notice.top",
        HIGH,
        "context:c2",
    ),
    (
        "wss-bracketed-scheme",
        "It takes remote control through wss[://]ws.quill-gate[.]com/socket during transfers.",
        T.URL,
        "wss://ws.quill-gate.com/socket",
        HIGH,
        "defanged",
    ),
    (
        "wss-bracketed-colon",
        "The skimmer sends card data to wss[:]//ws.analytics-shopnest(.)com/ws on checkout.",
        T.URL,
        "wss://ws.analytics-shopnest.com/ws",
        HIGH,
        "defanged",
    ),
    (
        "script-object-member",
        "The loader reads window.location.host before it redirects the victim.",
        T.DOMAIN,
        "window.location.host",
        LOW,
        "code-identifier",
    ),
    (
        "method-call",
        "Then it calls client.online(cfg) and waits.",
        T.DOMAIN,
        "client.online",
        LOW,
        "code-identifier",
    ),
    (
        "unc-host-stays-a-host",
        r"The shortcut loads \\files-share.top\docs\a.dll over WebDAV.",
        T.DOMAIN,
        "files-share.top",
        HIGH,
        "plain",
    ),
]


@pytest.mark.parametrize(
    ("text", "kind", "value", "fidelity", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_fidelity_of_look_alikes(text: str, kind: IndicatorType, value: str, fidelity: Fidelity, reason: str) -> None:
    found = {(i.type, i.value): i for i in extract(text, all=True)}
    ind = found[(kind, value)]
    assert (ind.fidelity, ind.reason) == (fidelity, reason)
    assert (ind in extract(text)) == (fidelity is HIGH)


# (id, text, type, value that must not be reported at all)
ABSENT = [
    (
        "mailbox-name-is-no-domain",
        "Victims got chats from it.support[at]helpdesk-support-it[.]onmicrosoft[.]com asking for access.",
        T.DOMAIN,
        "it.support",
    ),
    ("scheme-kept", "It connects to wss[://]ws.quill-gate[.]com/socket at start.", T.URL, "ws.quill-gate.com/socket"),
    ("no-ws-scheme-from-prose", "see the news // notes at evil-notes.top for more", T.URL, "ws://notes"),
]


@pytest.mark.parametrize(("text", "kind", "value"), [c[1:] for c in ABSENT], ids=[c[0] for c in ABSENT])
def test_not_reported(text: str, kind: IndicatorType, value: str) -> None:
    assert (kind, value) not in {(i.type, i.value) for i in extract(text, all=True)}


def test_mailbox_with_dotted_name_still_an_email() -> None:
    text = "Chats came from it.support[at]helpdesk-support-it[.]onmicrosoft[.]com yesterday."
    emails = [i.value for i in extract(text, all=True) if i.type is T.EMAIL]
    assert emails == ["it.support@helpdesk-support-it.onmicrosoft.com"]


def test_report_with_an_ioc_list_keeps_prose_mentions_low() -> None:
    text = (
        "Our colleagues at threatdesk-research.net wrote about this family first, and we thank them.\n"
        "The implant beacons to sync-relay.top every ten minutes over HTTPS.\n"
        "Indicators of compromise\n"
        "sync-relay.top\n"
        "update-mirror.xyz\n"
    )
    found = {i.value: (i.fidelity, i.reason) for i in extract(text, all=True)}
    assert found["threatdesk-research.net"] == (LOW, "outside-ioc-section")
    assert found["sync-relay.top"] == (HIGH, "in-ioc-section")
    assert found["update-mirror.xyz"] == (HIGH, "in-ioc-section")
    # Without the list, the same prose mention is a plain indicator.
    alone = {i.value: i.reason for i in extract(text.split("Indicators")[0], all=True)}
    assert alone["threatdesk-research.net"] == "plain"
