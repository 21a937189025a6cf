"""Find indicator occurrences in one piece of text: refang, match, validate, map back.

Each pattern runs once over the refanged text; a match is validated (real TLD, octets, IPv6
grammar, checksum) and its span mapped back to the characters the author wrote.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from huntfeed.extract import patterns as P
from huntfeed.extract.fang import fang_map
from huntfeed.extract.tld import valid_tld
from huntfeed.model import IndicatorType

T = IndicatorType
_HASH_TYPES = {32: T.MD5, 40: T.SHA1, 64: T.SHA256, 128: T.SHA512}
_URL_TRAIL = ".,;:!?'\"*"
_URL_HOST_RE = re.compile(
    r"(?i)^(?P<scheme>[a-z][a-z0-9+.-]*://)?(?P<user>[^@/?#\s]*@)?"
    r"(?P<host>\[[0-9a-f:.]+\]|[^:/?#\s]+)(?P<port>:\d{1,5})?(?P<rest>[/?#].*)?$",
    re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class Hit:
    """One occurrence, offsets into the original text."""

    type: IndicatorType
    value: str
    start: int
    end: int
    defanged: bool
    loose: bool
    role: str = ""
    in_ioc: bool = False
    in_refs: bool = False
    c2: bool = False
    version: bool = False


def _valid_domain(domain: str) -> bool:
    labels = domain.split(".")
    if len(labels) < 2 or not valid_tld(labels[-1]):
        return False
    return all(0 < len(lab) <= 63 and not lab.startswith("-") and not lab.endswith("-") for lab in labels)


def _trim_url(url: str) -> str:
    q = url.find("?")
    path_part = url if q < 0 else url[:q]
    comma = path_part.find(",", path_part.find("://") + 3 if "://" in path_part else 0)
    if comma >= 0:
        url = url[:comma]
    while url:
        last = url[-1]
        if last in _URL_TRAIL or last == ")" and url.count(")") > url.count("("):
            url = url[:-1]
        else:
            break
    return url


def _norm_url(url: str) -> tuple[str, int, int] | None:
    """(normalised URL, host start, host end) or None when the host is not real."""
    m = _URL_HOST_RE.match(url)
    if not m:
        return None
    host = m.group("host")
    hl = host.lower()
    if hl.startswith("["):
        try:
            ipaddress.IPv6Address(hl[1:-1])
        except ValueError:
            return None
    elif re.fullmatch(P.IPV4, hl):
        pass
    elif not _valid_domain(hl.rstrip(".")):
        return None
    scheme = (m.group("scheme") or "").lower()
    user = m.group("user") or ""
    value = scheme + user + hl + (m.group("port") or "") + (m.group("rest") or "")
    return value, m.start("host"), m.end("host")


def _ipv4_value(text: str) -> str:
    return ".".join(str(int(p)) for p in text.split("."))


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BECH32 = set("qpzry9x8gf2tvdw0s3jn54khce6mua7l")


def _valid_bitcoin(addr: str) -> bool:
    if addr.startswith("bc1"):
        return set(addr[3:]) <= _BECH32
    num = 0
    for ch in addr:
        num = num * 58 + _B58.index(ch)
    raw = num.to_bytes(25, "big") if num.bit_length() <= 200 else b""
    if len(raw) != 25:
        return False
    return hashlib.sha256(hashlib.sha256(raw[:21]).digest()).digest()[:4] == raw[21:]


class _Spans:
    """Sorted spans with a containment query."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        self.spans = sorted(spans)
        self.starts = [s for s, _ in self.spans]

    def containing(self, start: int, end: int) -> tuple[int, int] | None:
        i = bisect_right(self.starts, start) - 1
        if i >= 0 and self.spans[i][0] <= start and end <= self.spans[i][1]:
            return self.spans[i]
        return None

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect_right(self.starts, end - 1) - 1
        return i >= 0 and self.spans[i][1] > start


def scan(text: str) -> Iterator[Hit]:
    """Yield every indicator occurrence in ``text`` (offsets into ``text``, no context yet)."""
    fanged = fang_map(text)
    n = fanged.text

    def emit(kind: IndicatorType, value: str, s: int, e: int, role: str = "", version: bool = False) -> Hit:
        os_, oe = fanged.to_original(s, e)
        touched, loose = fanged.touched(s, e)
        return Hit(kind, value, os_, oe, touched, loose, role)

    url_spans: list[tuple[int, int]] = []
    host_spans: list[tuple[int, int]] = []
    for rx in (P.URL_RE, P.BARE_URL_RE):
        known = _Spans(url_spans)
        for m in rx.finditer(n):
            s = m.start()
            if known.overlaps(s, m.end()):
                continue
            raw = _trim_url(m.group(0))
            if rx is P.BARE_URL_RE and re.fullmatch(rf"{P.IPV4}/\d{{1,2}}", raw):
                continue  # a CIDR block, not a URL
            norm = _norm_url(raw)
            if norm is None:
                continue
            value, hs, he = norm
            if rx is P.BARE_URL_RE and value.endswith("/"):
                continue
            e = s + len(raw)
            url_spans.append((s, e))
            host_spans.append((s + hs, s + he))
            yield emit(T.URL, value, s, e)
    urls = _Spans(url_spans)
    hosts = _Spans(host_spans)

    email_hosts: list[tuple[int, int]] = []
    for m in P.EMAIL_RE.finditer(n):
        s, e = m.span()
        if urls.overlaps(s, e):
            continue
        host = m.group("host").lower()
        if host.startswith("["):
            inner = host[1:-1]
            if inner.startswith("ipv6:"):
                try:
                    ipaddress.IPv6Address(inner[5:])
                except ValueError:
                    continue
        elif not _valid_domain(host) or "jabber" in host or "xmpp" in host:
            continue
        local = re.sub(r"\([^()]*\)", "", m.group("local")).lower()
        email_hosts.append(m.span("host"))
        yield emit(T.EMAIL, f"{local}@{host}", s, e)
    in_email = _Spans(email_hosts)

    for m in P.DOMAIN_RE.finditer(n):
        s, e = m.span()
        value = m.group(0).lower()
        if not _valid_domain(value):
            continue
        if hosts.containing(s, e):
            role = "url-host"
        elif urls.containing(s, e):
            role = "in-url"
        elif in_email.containing(s, e):
            role = "email-domain"
        else:
            role = ""
        yield emit(T.DOMAIN, value, s, e, role)

    for m in P.IPV4_RE.finditer(n):
        s, e = m.span()
        yield emit(T.IPV4, _ipv4_value(m.group(0)), s, e)

    if ":" in n:
        for m in P.IPV6_RE.finditer(n):
            cand = m.group(0)
            if cand.count(":") < 2:
                continue
            try:
                ipaddress.IPv6Address(cand)
            except ValueError:
                continue
            yield emit(T.IPV6, cand.lower(), m.start(), m.end())

    for m in P.HEX_RE.finditer(n):
        s, e = m.span()
        kind = _HASH_TYPES.get(e - s)
        if kind is None:
            continue
        yield emit(kind, m.group(0).lower(), s, e)

    for m in P.CVE_RE.finditer(n):
        yield emit(T.CVE, f"CVE-{m.group(1)}-{m.group(2)}", m.start(), m.end())

    yield from _extras(n, emit, urls)


def _extras(n: str, emit: _Emit, urls: _Spans) -> Iterator[Hit]:
    for m in P.ATTACK_RE.finditer(n):
        yield emit(T.ATTACK_ID, m.group(0).upper(), m.start(), m.end())
    for m in P.ASN_RE.finditer(n):
        yield emit(T.ASN, "AS" + (m.group(1) or m.group(2)), m.start(), m.end())
    for m in P.BITCOIN_RE.finditer(n):
        if _valid_bitcoin(m.group(0)):
            yield emit(T.BITCOIN, m.group(0), m.start(), m.end())
    for m in P.MONERO_RE.finditer(n):
        yield emit(T.MONERO, m.group(0), m.start(), m.end())
    for m in P.REGISTRY_RE.finditer(n):
        value = m.group(0).replace("<", "").replace(">", "") if m.group(0).startswith("<") else m.group(0)
        yield emit(T.REGISTRY, value.rstrip(". "), m.start(), m.end())
    for rx in (P.WINPATH_RE, P.UNIXPATH_RE):
        for m in rx.finditer(n):
            if not urls.overlaps(m.start(), m.end()):
                yield emit(T.FILEPATH, m.group(0).rstrip(".,;:"), m.start(), m.end())
    for m in P.FILENAME_RE.finditer(n):
        if not urls.overlaps(m.start(), m.end()):
            yield emit(T.FILENAME, m.group(0), m.start(), m.end())
    for m in P.JA4_RE.finditer(n):
        yield emit(T.JA4, m.group(0), m.start(), m.end())
    for m in P.USER_AGENT_RE.finditer(n):
        yield emit(T.USER_AGENT, m.group(0), m.start(), m.end())


class _Emit(Protocol):
    """The signature of scan's inner emit()."""

    def __call__(
        self, kind: IndicatorType, value: str, s: int, e: int, role: str = "", version: bool = False
    ) -> Hit: ...


__all__ = ["Hit", "scan"]
