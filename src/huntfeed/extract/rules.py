"""One fidelity rule per indicator type, in a registry keyed by type: ``decide`` looks the rule up.

Each rule reads the value and what its occurrences say (Signals) under the document's Policy;
the value-level knowledge they share (warninglists, reference sites, the positive signals) lives
in fidelity.py.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from huntfeed.extract import warninglists
from huntfeed.extract.fidelity import (
    _BARE,
    _IN_PATH,
    _IPV4_SHAPE,
    HIGH,
    LOW,
    Policy,
    Signals,
    _abused_path,
    _bare_host,
    _domain_verdict,
    _host_and_path,
    _ipv4_global,
    _link_verdict,
    _positive,
    _under,
)
from huntfeed.extract.knowledge import reference_domains
from huntfeed.indicators import common_file_names
from huntfeed.kinds import Fidelity, IndicatorType

T = IndicatorType

Verdict = tuple[Fidelity, str]
Rule = Callable[[str, Signals, Policy], Verdict]


def _domain_rule(value: str, sig: Signals, pol: Policy) -> Verdict:
    if "bare-host" in sig.roles:
        sig = _bare_host(value, sig)
    verdict = _domain_verdict(value, sig, pol)
    if verdict:
        return verdict
    if sig.roles and "" not in sig.roles and "code" not in sig.roles:
        return LOW, "file-name" if sig.roles == _IN_PATH else min(sig.roles)
    return _positive(sig, pol, plain_ok=False)


def _address_rule(sig: Signals, pol: Policy, hit: str) -> Verdict:
    """What IPv4 and IPv6 share once the address itself has passed: lists, versions, context."""
    if hit:
        return LOW, f"warninglist:{hit}"
    if sig.version and not sig.defanged and not sig.in_ioc:
        return LOW, "version-string"
    return _positive(sig, pol, plain_ok=False)


def _ipv4_rule(value: str, sig: Signals, pol: Policy) -> Verdict:
    if not _ipv4_global(value):
        return LOW, "private-ip"
    return _address_rule(sig, pol, warninglists.ip_list(value))


def _ipv6_rule(value: str, sig: Signals, pol: Policy) -> Verdict:
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        return LOW, "invalid"
    if not addr.is_global or addr.is_multicast:
        return LOW, "private-ip"
    return _address_rule(sig, pol, warninglists.ip_list(str(addr), addr))


def _url_rule(value: str, sig: Signals, pol: Policy) -> Verdict:
    host, path = _host_and_path(value)
    if not sig.defanged:
        link = _link_verdict(path, sig)
        if link:
            return link
    if _abused_path(host, path):
        return HIGH, "abused-host"
    verdict = _domain_verdict(host, sig, pol) if host else None
    if verdict:
        return verdict
    if sig.roles == _BARE and not sig.defanged and not sig.c2:
        # host/path with no scheme and no defang: a table of hosts with their paths, a file path,
        # "TCP/IP"; the host is the indicator the author marked (see _bare_host).
        return LOW, "schemeless"
    if host and host[-1:].isdigit() and _IPV4_SHAPE.fullmatch(host) and not _ipv4_global(host):
        return LOW, "private-ip"
    return _positive(sig, pol, plain_ok=False)


def _email_rule(value: str, sig: Signals, pol: Policy) -> Verdict:
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


def _hash_rule(value: str, sig: Signals, pol: Policy) -> Verdict:
    if sig.roles and "" not in sig.roles:
        return LOW, "in-url"  # only ever part of a URL: a commit id, a file named by its hash
    hit = warninglists.hash_list(value)
    if hit:
        return LOW, f"warninglist:{hit}"
    # Five different characters among the first eight settle it for a real digest (4,500 per 63
    # real reports) without a set of all 64 or 128.
    if len(set(value[:8])) <= 4 and len(set(value)) <= 4:
        return LOW, "placeholder"
    return (HIGH, "in-ioc-section") if sig.in_ioc else (HIGH, "hash")


def _fixed(verdict: Verdict) -> Rule:
    """A type with one verdict whatever its context (a CVE id; an ATT&CK id, which the ATT&CK stage reports)."""
    return lambda value, sig, pol: verdict


def _self_evident(kind: IndicatorType) -> Rule:
    """Fingerprints and wallets: no benign reading exists, listed or not."""
    return lambda value, sig, pol: (HIGH, "in-ioc-section" if sig.in_ioc else kind.value)


def _filename_rule(value: str, sig: Signals, pol: Policy) -> Verdict:
    if sig.in_ioc and value.lower() in common_file_names():
        return LOW, "common-file-name"  # svchost.exe: every host has one
    # A bare name is high only in the author's list; a C2 sentence is not enough for a name.
    return (HIGH, "in-ioc-section") if sig.in_ioc else (LOW, "mentioned")


def _listed_rule(value: str, sig: Signals, pol: Policy) -> Verdict:
    """Paths, registry keys (and the default): indicators only where the author lists them."""
    if sig.in_ioc:
        return HIGH, "in-ioc-section"
    if sig.c2:
        return HIGH, "context:c2"
    return LOW, "mentioned"


def _id_rule(value: str, sig: Signals, pol: Policy) -> Verdict:
    """GUIDs and package ids: listed ones count; one in a URL path or query is part of that URL."""
    if sig.roles and "" not in sig.roles:
        return LOW, "in-url"
    return _listed_rule(value, sig, pol)


# One rule per type: what the value is and where it was written, judged for that kind only.
RULES: dict[IndicatorType, Rule] = {
    T.DOMAIN: _domain_rule,
    T.IPV4: _ipv4_rule,
    T.IPV6: _ipv6_rule,
    T.URL: _url_rule,
    T.EMAIL: _email_rule,
    **{k: _hash_rule for k in (T.MD5, T.SHA1, T.SHA256, T.SHA512)},
    T.CVE: _fixed((HIGH, "cve")),
    T.ATTACK_ID: _fixed((LOW, "attack-id")),
    **{k: _self_evident(k) for k in (T.JA3, T.JA4, T.BITCOIN, T.MONERO)},
    T.FILENAME: _filename_rule,
    T.GUID: _id_rule,
    T.PACKAGE: _id_rule,
}


# Every type's rule, the default filled in: engine.rows() calls a value's rule straight from here
# (one Python call per value instead of two, 16,000 values per 63 real reports).
RULE_OF: dict[IndicatorType, Rule] = {k: RULES.get(k, _listed_rule) for k in IndicatorType}


def decide(kind: IndicatorType, value: str, sig: Signals, pol: Policy) -> Verdict:
    """Fidelity and reason for one distinct indicator of a document."""
    return RULES.get(kind, _listed_rule)(value, sig, pol)


__all__ = ["RULES", "RULE_OF", "Rule", "Verdict", "decide"]
