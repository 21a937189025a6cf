"""High or low fidelity, with the reason: the decision a hunter would make reading the report.

Order of the rules: what the value is (private address, warninglisted, reference site, the
article's own site, code identifier, file name) beats where it was written; then where every
occurrence sits (only as a URL's host, only in an e-mail address); then the positive signals
(in an IOC section, defanged by the author, a C2 sentence); then the document-level rule that a
report which defangs its indicators leaves its reference links live.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import NamedTuple
from urllib.parse import urlsplit

from huntfeed._native import load as _load_native
from huntfeed.extract import prepared, rx, warninglists
from huntfeed.extract.knowledge import abused_hosts, code_identifiers, file_ext_tlds, report_sites
from huntfeed.extract.tld import registrable, tld_of
from huntfeed.kinds import Fidelity, IndicatorType

HIGH, LOW = Fidelity.HIGH, Fidelity.LOW
T = IndicatorType


class Signals(NamedTuple):
    """What the occurrences of one value say about it."""

    defanged: bool = False
    loose: bool = False  # every occurrence depended on a guess-style refang ("AT", "1,2,3,4")
    in_ioc: bool = False
    in_refs: bool = False  # every occurrence sits in a references section
    c2: bool = False
    roles: AbstractSet[str] = frozenset()  # per occurrence: "", url-host, email-domain, in-url
    version: bool = False  # every occurrence reads as a version number
    raw: str = ""


@dataclass(frozen=True, slots=True)
class Policy:
    """Per-document inputs to the decision."""

    own_site: str = ""
    reference_domains: frozenset[str] = frozenset()
    doc_defangs: bool = False
    doc_lists: bool = False  # the report has an IOC section with values in it


def _known_domains() -> dict[str, str]:
    """Domain -> reason, for the reference list and the warninglists together (references win;
    built by prepared.build_tables)."""
    return prepared.tables().known_domains


def _under(domain: str, parents: frozenset[str] | dict[str, str]) -> bool:
    return bool(parents) and bool(_suffix_hit(domain, parents))


def _suffix_hit(domain: str, index: frozenset[str] | dict[str, str]) -> str:
    """The first of ``domain`` and its parents (never its bare TLD) found in ``index``, else ''."""
    d = domain
    k = d.find(".")
    while k >= 0:
        if d in index:
            return d
        d = d[k + 1 :]
        k = d.find(".")
    return ""


def _abused_path(host: str, path: str) -> bool:
    globs = abused_hosts().get(host) or abused_hosts().get(host.removeprefix("www.")) or ()
    return any(fnmatchcase(path, g) for g in globs)


_CAMEL = rx.compile(r"[a-z][A-Z]")


def _code_identifier(value: str, raw: str) -> bool:
    exact, prefixes = code_identifiers()
    if value in exact or value.startswith(prefixes):
        return True
    last_raw = raw.rsplit(".", 1)[-1] if "." in raw else ""
    # Code is written System.Net or WebClient.DownloadString; domains are lower case or ALL CAPS.
    return bool(last_raw[:1].isupper() and not last_raw.isupper()) or bool(_CAMEL.search(raw.split("/", 1)[0]))


def _domain_verdict(domain: str, sig: Signals, pol: Policy) -> tuple[Fidelity, str] | None:
    """A value-level verdict on a host name, or None when nothing is known against it."""
    if pol.own_site and (domain == pol.own_site or domain.endswith("." + pol.own_site)):
        return LOW, "own-site"
    if pol.reference_domains and _under(domain, pol.reference_domains):
        return LOW, "reference-link"
    # One walk up the parents for both lists (a report site at any level wins over the first
    # listed parent, as two walks would say): 6,000 host names per 63 real reports.
    sites, index = report_sites(), _known_domains()
    hit = _parents_hit(domain, sites, index)
    if hit is True:
        return LOW, "reference-link"  # a sandbox or knowledge-base page, even inside an IOC list
    if hit and not sig.in_ioc:
        # Inside the report's own IOC list the author's word outranks the list: abused services
        # (dynamic DNS, CDN objects, tenants, file shares) are listed there on purpose. The hunt
        # then matches the full URL or the listed sub-domain, never the shared parent.
        return LOW, index[hit]
    ext_tld = tld_of(domain) in file_ext_tlds()
    if ext_tld and ("_" in domain or _CAMEL.search(sig.raw)):
        # deepseek_release_X64[.]zip, YoudaoDictSetup[.]zip: some authors defang file names too;
        # a registered host name holds no underscore and is not written in CamelCase.
        return LOW, "file-name"
    if sig.defanged:
        return None  # authors defang hosts; package ids and other files stay with the rules below
    if _package_id(domain):
        return LOW, "package-id"
    if ext_tld and _file_name(domain, sig, pol):
        return LOW, "file-name"
    if not sig.in_ioc and (sig.roles == _CODE or _code_identifier(domain, sig.raw)):
        return LOW, "code-identifier"
    return None


def _parents_hit_py(domain: str, sites: AbstractSet[str], index: dict[str, str]) -> bool | str:
    """True when ``domain`` or a parent (never its bare TLD) is in ``sites``, else the first of
    them in ``index`` (''). The C twin: _native/extract_group.c parents_hit."""
    hit, d, k = "", domain, domain.find(".")
    while k >= 0:
        if d in sites:
            return True
        if not hit and d in index:
            hit = d
        d = d[k + 1 :]
        k = d.find(".")
    return hit


# 7,200 host names per 63 real reports (domains and URL hosts): the walk without a Python step per label.
_NATIVE = _load_native("extract_group")
_parents_hit: Callable[[str, AbstractSet[str], dict[str, str]], bool | str] = (
    _NATIVE.parents_hit if _NATIVE is not None else _parents_hit_py
)


# First labels of reversed-DNS application ids (com.example.app, org.telegram.messenger).
_PACKAGE_HEADS = frozenset(("com", "org", "net", "io"))  # not "de.", "fr.": language subdomains
_GENERIC_TLDS = frozenset(("com", "org", "net", "io", "co", "me", "info", "biz"))


def _package_id(domain: str) -> bool:
    """An Android/Java package or Apple bundle id: com.parceltrack.delivery.app, not a host."""
    head, _, rest = domain.partition(".")
    return head in _PACKAGE_HEADS and rest.count(".") >= 1 and domain.rpartition(".")[2] not in _GENERIC_TLDS


def _file_name(domain: str, sig: Signals, pol: Policy) -> bool:
    """True when a live name whose TLD is also a file extension (zip, sh, so...) reads as a file."""
    if "_" in domain:
        return True  # no host name holds an underscore; libhttpd_ext.so is a library
    if sig.roles and ("in-url" in sig.roles or "in-path" in sig.roles):
        return True  # the report also shows it ending a URL path or file path: /fix/spamfilter.zip
    if not sig.in_ioc:
        return domain.count(".") == 1  # payload.zip in prose
    # In an IOC list: a report that defangs its hosts and left this one live lists a file.
    return pol.doc_defangs


def _positive(sig: Signals, pol: Policy, plain_ok: bool) -> tuple[Fidelity, str]:
    if sig.in_ioc:
        return HIGH, "in-ioc-section"
    if sig.defanged and not sig.loose:
        return HIGH, "defanged"
    if sig.c2:
        return HIGH, "context:c2"
    if sig.loose:
        return LOW, "loose-defang"
    if sig.in_refs:
        return LOW, "reference-link"
    if pol.doc_defangs and not plain_ok:
        return LOW, "not-defanged"
    if pol.doc_lists:
        return LOW, "outside-ioc-section"  # the authors listed their indicators; this is not one
    return HIGH, "plain"


_IPV4_SHAPE = rx.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")
# Non-global IPv4 blocks (RFC 6890 and multicast/reserved), as integer ranges.
_IPV4_SPECIAL = tuple(
    (int(net.network_address), int(net.broadcast_address))
    for net in map(
        ipaddress.IPv4Network,
        (
            "0.0.0.0/8",
            "10.0.0.0/8",
            "100.64.0.0/10",
            "127.0.0.0/8",
            "169.254.0.0/16",
            "172.16.0.0/12",
            "192.0.0.0/29",
            "192.0.0.8/32",
            "192.0.0.170/31",
            "192.0.2.0/24",
            "192.168.0.0/16",
            "198.18.0.0/15",
            "198.51.100.0/24",
            "203.0.113.0/24",
            "224.0.0.0/3",
        ),
    )
)


_SPECIAL_FIRST_OCTETS = frozenset(range(224, 256)) | {0, 10, 100, 127, 169, 172, 192, 198, 203}


def _ipv4_global(value: str) -> bool:
    """True for a publicly routable IPv4 address (same answer as ipaddress, without its cost)."""
    if int(value[: value.find(".")]) not in _SPECIAL_FIRST_OCTETS:
        return True
    num = warninglists.ipv4_int(value)
    return not any(lo <= num <= hi for lo, hi in _IPV4_SPECIAL)


_IN_PATH = frozenset(("in-path",))
_CODE = frozenset(("code",))


_LINK = frozenset(("link",))
_BARE = frozenset(("bare",))


def _bare_host(domain: str, sig: Signals) -> Signals:
    """The host of a scheme-less host/path: a URL's host when the author defanged it or it is a
    shared service (github[.]com/account), else a host in its own right (alertmeter.info/x.php)."""
    as_url = sig.defanged or bool(_suffix_hit(domain, _known_domains()))
    role = "url-host" if as_url else ""
    return sig._replace(roles=frozenset(role if r == "bare-host" else r for r in sig.roles))


_ASSET_EXT = rx.compile(r"(?i)\.(?:png|jpe?g|gif|svg|webp|ico|bmp|css|woff2?|ttf|eot)(?:[?#].*)?$")
_ASSET_DIR = rx.compile(r"(?i)/(?:images?|img|pictures|screenshots|assets|static|media/images)/")


def _link_verdict(path: str, sig: Signals) -> tuple[Fidelity, str] | None:
    """A live URL that is part of the page, not an indicator: an embedded image, a site asset,
    or a citation link (Markdown ``[text](url)``, AsciiDoc ``url[text]``) to other research."""
    if "image" in sig.roles:
        return LOW, "image-link"
    if _ASSET_EXT.search(path) or (not sig.in_ioc and _ASSET_DIR.search(path)):
        return LOW, "asset-link"
    if sig.roles == _LINK:
        return LOW, "reference-link"
    return None


_AUTHORITY = rx.compile(r"[^/?#]*")


def _host_and_path(url: str) -> tuple[str, str]:
    """Host (no user, no port, lower case) and path-with-query of a URL, by plain string cuts."""
    k = url.find("://")
    start = k + 3 if k >= 0 else 0
    cut = _AUTHORITY.match(url, start).end()  # type: ignore[union-attr]  # matches the empty string
    authority, tail = url[start:cut], url[cut:]
    host = authority.rpartition("@")[2]
    # "[2001:db8::1]:80" keeps its colons; "evil.com:8080" loses its port.
    host = host[1:].partition("]")[0] if host.startswith("[") else host.partition(":")[0]
    return host.lower(), tail.partition("#")[0]


def own_site_of(url: str) -> str:
    """Registrable domain of the article's URL ('' when it has none)."""
    if not url:
        return ""
    host = (urlsplit(url if "://" in url else "http://" + url).hostname or "").lower()
    return registrable(host) if host else ""


def shared_host(host: str) -> bool:
    """True when ``host`` (or a parent) is a shared platform or a well-known site rather than
    attacker-owned: warninglisted, a reference or sandbox site, or a host abused for payloads
    (data/extract/abused_hosts.txt). A hunt then matches the full URL, never the host alone."""
    host = host.lower().strip(".")
    if not host or _IPV4_SHAPE.fullmatch(host) or ":" in host:
        return False
    if _suffix_hit(host, _known_domains()) or _under(host, report_sites()):
        return True
    abused = abused_hosts()
    return host in abused or host.removeprefix("www.") in abused or registrable(host) in abused


def url_host(url: str) -> str:
    """The host of ``url`` (lower case, no port or user); '' when it has none."""
    return _host_and_path(url)[0]
