"""High or low fidelity, with the reason: the decision a hunter would make reading the report.

Order of the rules: what the value is (private address, warninglisted, reference site, the
article's own site, code identifier, file name) beats where it was written; then where every
occurrence sits (only as a URL's host, only in an e-mail address); then the positive signals
(in an IOC section, defanged by the author, a C2 sentence); then the document-level rule that a
report which defangs its indicators leaves its reference links live.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache
from typing import NamedTuple
from urllib.parse import urlsplit

from huntfeed.errors import DataFileError
from huntfeed.extract import warninglists
from huntfeed.extract.tld import registrable, tld_of
from huntfeed.model import Fidelity, IndicatorType
from huntfeed.paths import package_data

HIGH, LOW = Fidelity.HIGH, Fidelity.LOW
T = IndicatorType


class Signals(NamedTuple):
    """What the occurrences of one value say about it."""

    defanged: bool = False
    loose: bool = False  # every occurrence depended on a guess-style refang ("AT", "1,2,3,4")
    in_ioc: bool = False
    in_refs: bool = False  # every occurrence sits in a references section
    c2: bool = False
    roles: frozenset[str] = frozenset()  # per occurrence: "", url-host, email-domain, in-url
    version: bool = False  # every occurrence reads as a version number
    raw: str = ""


@dataclass(frozen=True, slots=True)
class Policy:
    """Per-document inputs to the decision."""

    own_site: str = ""
    reference_domains: frozenset[str] = frozenset()
    doc_defangs: bool = False


def _read_lines(name: str) -> list[tuple[int, str]]:
    path = package_data("extract", name)
    out: list[tuple[int, str]] = []
    with path.open(encoding="utf-8") as fh:
        for no, line in enumerate(fh, 1):
            text = line.split("#", 1)[0].strip()
            if text:
                out.append((no, text))
    return out


@cache
def reference_domains() -> frozenset[str]:
    """Domains whose links are references (data/extract/reference_domains.txt)."""
    out = set()
    for no, value in _read_lines("reference_domains.txt"):
        if " " in value or "." not in value:
            raise DataFileError(f"not a domain: {value!r}", where=f"reference_domains.txt:{no}")
        out.add(value.lower())
    return frozenset(out)


@cache
def abused_hosts() -> dict[str, tuple[str, ...]]:
    """Host -> path globs under which a URL stays an indicator (data/extract/abused_hosts.txt)."""
    out: dict[str, list[str]] = {}
    for no, value in _read_lines("abused_hosts.txt"):
        parts = value.split()
        if len(parts) != 2 or not parts[1].startswith("/"):
            raise DataFileError("expected 'host /path-glob'", where=f"abused_hosts.txt:{no}")
        out.setdefault(parts[0].lower(), []).append(parts[1])
    return {k: tuple(v) for k, v in out.items()}


@cache
def code_identifiers() -> tuple[frozenset[str], tuple[str, ...]]:
    """Exact code names and name prefixes (data/extract/code_identifiers.txt)."""
    exact, prefixes = set(), []
    for no, value in _read_lines("code_identifiers.txt"):
        if " " in value:
            raise DataFileError(f"not a dotted name: {value!r}", where=f"code_identifiers.txt:{no}")
        if value.endswith("."):
            prefixes.append(value.lower())
        else:
            exact.add(value.lower())
    return frozenset(exact), tuple(prefixes)


@cache
def file_ext_tlds() -> frozenset[str]:
    """TLDs that double as file extensions (data/extract/file_ext_tlds.txt)."""
    out = set()
    for no, value in _read_lines("file_ext_tlds.txt"):
        if not value.isalnum():
            raise DataFileError(f"not a TLD: {value!r}", where=f"file_ext_tlds.txt:{no}")
        out.add(value.lower())
    return frozenset(out)


@cache
def _known_domains() -> dict[str, str]:
    """Domain -> reason, for the reference list and the warninglists together (references win)."""
    index = {d: f"warninglist:{name}" for d, name in warninglists.domain_index().items()}
    index.update(dict.fromkeys(reference_domains(), "reference-link"))
    return index


def _under(domain: str, parents: frozenset[str]) -> bool:
    labels = domain.split(".")
    return any(".".join(labels[i:]) in parents for i in range(len(labels) - 1))


def _abused_path(host: str, path: str) -> bool:
    globs = abused_hosts().get(host) or abused_hosts().get(host.removeprefix("www.")) or ()
    return any(fnmatchcase(path, g) for g in globs)


_CAMEL = re.compile(r"[a-z][A-Z]")


def _code_identifier(value: str, raw: str) -> bool:
    exact, prefixes = code_identifiers()
    if value in exact or value.startswith(prefixes):
        return True
    labels = value.split(".")
    if len(labels) >= 3 and labels[0] in ("com", "org", "net") and labels[-1] not in ("com", "org", "net"):
        return True  # a reversed Java/Android package name: com.example.app
    last_raw = raw.rsplit(".", 1)[-1] if "." in raw else ""
    # Code is written System.Net or WebClient.DownloadString; domains are lower case or ALL CAPS.
    return bool(last_raw[:1].isupper() and not last_raw.isupper()) or bool(
        _CAMEL.search(raw.split("/", 1)[0])
    )


def _domain_verdict(domain: str, sig: Signals, pol: Policy) -> tuple[Fidelity, str] | None:
    """A value-level verdict on a host name, or None when nothing is known against it."""
    if pol.own_site and (domain == pol.own_site or domain.endswith("." + pol.own_site)):
        return LOW, "own-site"
    if pol.reference_domains and _under(domain, pol.reference_domains):
        return LOW, "reference-link"
    index = _known_domains()
    labels = domain.split(".")
    for i in range(len(labels) - 1):
        hit = index.get(".".join(labels[i:]))
        if hit:
            return LOW, hit
    if not sig.defanged and not sig.in_ioc:
        if _code_identifier(domain, sig.raw):
            return LOW, "code-identifier"
        if tld_of(domain) in file_ext_tlds() and domain.count(".") == 1:
            return LOW, "file-name"
    return None


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
    return HIGH, "plain"


def decide(kind: IndicatorType, value: str, sig: Signals, pol: Policy) -> tuple[Fidelity, str]:
    """Fidelity and reason for one distinct indicator of a document."""
    if kind in (T.IPV4, T.IPV6):
        try:
            addr = ipaddress.ip_address(value)
        except ValueError:
            return LOW, "invalid"
        if not addr.is_global or addr.is_multicast:
            return LOW, "private-ip"
        hit = warninglists.ip_list(str(addr), addr)
        if hit:
            return LOW, f"warninglist:{hit}"
        if sig.version and not sig.defanged and not sig.in_ioc:
            return LOW, "version-string"
        return _positive(sig, pol, plain_ok=False)
    if kind is T.DOMAIN:
        verdict = _domain_verdict(value, sig, pol)
        if verdict:
            return verdict
        if sig.roles and "" not in sig.roles:
            role = sorted(sig.roles)[0]
            return LOW, role
        return _positive(sig, pol, plain_ok=False)
    if kind is T.URL:
        parts = urlsplit(value if "://" in value else "http://" + value)
        host = (parts.hostname or "").lower()
        path = parts.path + (("?" + parts.query) if parts.query else "")
        if _abused_path(host, path):
            return HIGH, "abused-host"
        verdict = _domain_verdict(host, sig, pol) if host else None
        if verdict:
            return verdict
        if host:
            try:
                if not ipaddress.ip_address(host).is_global:
                    return LOW, "private-ip"
            except ValueError:
                pass
        return _positive(sig, pol, plain_ok=False)
    if kind is T.EMAIL:
        host = value.rpartition("@")[2]
        if pol.own_site and (host == pol.own_site or host.endswith("." + pol.own_site)):
            return LOW, "own-site"
        if _under(host, pol.reference_domains) or _under(host, reference_domains()):
            return LOW, "reference-link"
        hit = warninglists.email_list(value)
        if hit:
            return LOW, f"warninglist:{hit}"
        if host in ("example.com", "example.org", "example.net"):
            return LOW, "warninglist:rfc6761"
        return _positive(sig, pol, plain_ok=True)
    if kind in (T.MD5, T.SHA1, T.SHA256, T.SHA512):
        hit = warninglists.hash_list(value)
        if hit:
            return LOW, f"warninglist:{hit}"
        if len(set(value)) <= 4:
            return LOW, "placeholder"
        return (HIGH, "in-ioc-section") if sig.in_ioc else (HIGH, "hash")
    if kind is T.CVE:
        return HIGH, "cve"
    if kind is T.ATTACK_ID:
        return LOW, "attack-id"  # a technique reference; the ATT&CK stage reports it
    if kind in (T.JA3, T.JA4, T.BITCOIN, T.MONERO):
        return HIGH, "in-ioc-section" if sig.in_ioc else kind.value
    # File names, paths and registry keys are indicators only where the author lists them.
    if sig.in_ioc:
        return HIGH, "in-ioc-section"
    if sig.c2:
        return HIGH, "context:c2"
    return LOW, "mentioned"


def own_site_of(url: str) -> str:
    """Registrable domain of the article's URL ('' when it has none)."""
    if not url:
        return ""
    host = (urlsplit(url if "://" in url else "http://" + url).hostname or "").lower()
    return registrable(host) if host else ""
