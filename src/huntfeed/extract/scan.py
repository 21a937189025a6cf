"""Find indicator occurrences in one piece of text: refang, match, validate, map back.

Each pattern runs once over the refanged text; a match is validated (real TLD, octets, IPv6
grammar, checksum) and its span mapped back to the characters the author wrote.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from bisect import bisect_right
from collections.abc import Callable
from operator import methodcaller

from huntfeed.extract import patterns as P
from huntfeed.extract.fang import Fanged, fang_map
from huntfeed.extract.marks import emphasis as _emphasis
from huntfeed.extract.marks import link_role as _link_role
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


# One occurrence: (start, end, type, value, role), offsets into the refanged text. A plain tuple:
# tens of thousands are made per megabyte, and a NamedTuple costs four times as much to build.
Occ = tuple[int, int, IndicatorType, str, str]


# Labels of 1-63 characters, none starting or ending with '-': the shape, checked in one call.
_LABELS_RE = re.compile(r"(?:(?!-)[^.]{1,63}(?<!-)\.)+(?!-)[^.]{1,63}(?<!-)")


def _valid_domain(domain: str) -> bool:
    k = domain.rfind(".")
    return k > 0 and valid_tld(domain[k + 1 :]) and _LABELS_RE.fullmatch(domain) is not None


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
    scheme, user, host, port, rest = m.groups()  # one call: named groups one by one cost more
    hl = host.lower()
    if hl.startswith("["):
        try:
            ipaddress.IPv6Address(hl[1:-1])
        except ValueError:
            return None
    elif P.IPV4_FULL_RE.fullmatch(hl):
        pass
    elif not _valid_domain(hl.rstrip(".")):
        return None
    value = (scheme or "").lower() + (user or "") + hl + (port or "") + (rest or "")
    hs, he = m.span(3)
    return value, hs, he


def _bare_url(n: str, s: int, e: int) -> tuple[str, int] | None:
    """A scheme-less URL whose host is n[s:e], as (value, end), or None."""
    tail = P.BARE_TAIL_RE.match(n, e)
    if tail is None:
        return None
    raw = _trim_url(n[s : tail.end()])
    norm = _norm_url(raw)
    if norm is None or norm[0].endswith("/") or len(raw) <= e - s + 1:
        return None
    return norm[0], s + len(raw)


_LEADING_ZERO_RE = re.compile(r"(?<![0-9])0[0-9]")


def _ipv4_value(text: str) -> str:
    if _LEADING_ZERO_RE.search(text) is None:
        return text  # already normal: the common case, without a split and four int() calls
    return ".".join(str(int(p)) for p in text.split("."))


_CIDR_RE = re.compile(r"/\d{1,2}")
_BY_START = methodcaller("start")
_COMMENT_RE = re.compile(r"\([^()]*\)")
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


def scan(text: str) -> tuple[Fanged, list[Occ]]:
    """Every indicator occurrence in ``text``: the refanged text's map, and offsets into it."""
    fanged = fang_map(text)
    n = fanged.text
    rev = n[::-1]
    size = len(n)
    out: list[Occ] = []
    add = out.append

    url_spans: list[tuple[int, int]] = []
    host_spans: list[tuple[int, int]] = []
    last = -1
    for sep in P.URL_SEP_RE.finditer(n):
        p = sep.start()
        if p < last:
            continue
        sm = P.REV_SCHEME_RE.match(rev, size - p)
        if sm is None:
            continue
        s = p - len(sm.group(0))
        while s < p and n[s] == "+":
            s += 1  # '+' is legal in a scheme name, but not first: "++https" is markup + https
        # AsciiDoc passthrough ++https://x/y++ (ESET tables) wraps the URL; the pluses are markup.
        passthrough = s >= 2 and n[s - 2 : s] == "++"
        if n[s:p].lower() not in P.URL_SCHEMES or (
            s > 0 and not passthrough and (n[s - 1].isalnum() or n[s - 1] in "_.+-")
        ):
            continue
        rest = P.URL_REST_RE.match(n, p)
        if rest is None:
            continue
        raw = _trim_url(n[s : rest.end()])
        if passthrough and raw.endswith("++"):
            raw = raw[:-2]
        norm = _norm_url(raw)
        if norm is None:
            continue
        value, hs, he = norm
        e = s + len(raw)
        last = e
        url_spans.append((s, e))
        host_spans.append((s + hs, s + he))
        add((s, e, T.URL, value, _link_role(n, s, e, value, hs, he)))
    urls = _Spans(url_spans)
    # URL spans, and host spans inside them, come in text order and never overlap.
    ustarts = [a for a, _ in url_spans]

    email_hosts: list[tuple[int, int]] = []
    email_spans: list[tuple[int, int]] = []
    for at in P.AT_RE.finditer(n):
        a = at.start()
        lm = P.REV_LOCAL_RE.match(rev, size - a)
        hm = P.EMAIL_HOST_RE.match(n, a + 1)
        if lm is None or hm is None:
            continue
        s0 = s = a - len(lm.group(0))
        while s < a and not (n[s].isalnum() or n[s] == "_"):
            s += 1  # the local part starts with a word character: "-----foo@" gives foo, ".foo@" foo
        if s >= a or (s0 > 0 and (n[s0 - 1].isalnum() or n[s0 - 1] in "_.+%")):
            continue  # more than 64 characters of local part: no address
        e = hm.end()
        if urls.overlaps(s, e):
            continue
        host = hm.group(0).lower()
        if host.startswith("["):
            inner = host[1:-1]
            if inner.startswith("ipv6:"):
                try:
                    ipaddress.IPv6Address(inner[5:])
                except ValueError:
                    continue
        elif not _valid_domain(host) or "jabber" in host or "xmpp" in host:
            continue
        local = n[s:a].lower()
        if "(" in local:
            local = _COMMENT_RE.sub("", local)  # RFC 5322 comments: "john(sales)@" is john@
        email_hosts.append(hm.span())
        email_spans.append((s, e))
        add((s, e, T.EMAIL, f"{local}@{host}", ""))
    estarts = [a for a, _ in email_spans]

    bare_end = -1
    rev_label = P.REV_LABEL_RE.match
    for m in P.DOMAIN_TAIL_RE.finditer(n):
        dot, e = m.span()
        # The pattern already shaped every label; only the TLD is left to check, and first.
        if not valid_tld(m.group(1)):
            continue
        lm = rev_label(rev, size - dot)
        if lm is None:
            continue
        s = size - lm.end()  # the label read leftwards ends, in the reversed text, where it starts
        while s < dot and n[s] == "-":
            s += 1
        if s >= dot or n[dot - 1] == "-":
            continue
        if s > 0:
            before = n[s - 1]
            if (before.isalnum() or before in "_%-") and not (s >= 3 and n[s - 3 : s].upper() in ("%2F", "%3A")):
                continue
        value = n[s:e].lower()
        role = ""
        if ustarts:
            i = bisect_right(ustarts, s) - 1
            if i >= 0 and e <= url_spans[i][1]:
                hs, he = host_spans[i]
                role = "url-host" if hs <= s and e <= he else "in-url"
        if role:
            pass
        elif s < bare_end:
            role = "in-url"
        elif estarts and (i := bisect_right(estarts, s) - 1) >= 0 and e <= email_spans[i][1]:
            if s < email_hosts[i][0]:
                continue  # "it.support" in it.support@corp.com: a mailbox name, not a host
            role = "email-domain"
        elif s > 1 and n[s - 1] in "/\\" and (n[s - 2].isalnum() or n[s - 2] in "._-~$%"):
            # /usr/lib/libx.so, C:\Temp\sam.save: the file name ending a path. Not //cdn.host/x
            # (a scheme-less URL) nor \\host\share (a UNC path): there a slash comes before.
            role = "in-path"
        else:
            role = ""
            if e < len(n) and n[e] in "/:" and (s == 0 or n[s - 1] not in ".@/:%-"):
                bare = _bare_url(n, s, e)
                if bare is not None:
                    bvalue, bend = bare
                    bare_end = bend
                    role = "bare-host"
                    add((s, bend, T.URL, bvalue, "bare"))
        if not role and e < size and n[e] == "(":
            role = "code"  # obj.send(...): a method call, not a host
        add((s, e, T.DOMAIN, value, role))

    for m in P.IPV4_TAIL_RE.finditer(n):
        dot, e = m.span()
        s = dot - 1
        if s > 0 and n[s - 1].isdecimal():
            s -= 1
            if s > 0 and n[s - 1].isdecimal():
                s -= 1
        emphasis = _emphasis(n, s, e)
        if s > 0 and (n[s - 1].isalnum() or n[s - 1] in "_.") and not emphasis:
            continue
        if e < size and (
            n[e].isalnum() or (n[e] == "_" and not emphasis) or (n[e] == "." and e + 1 < size and n[e + 1].isalnum())
        ):
            continue
        raw = n[s:e]
        if P.IPV4_FULL_RE.fullmatch(raw) is None:
            continue
        if e < len(n) and n[e] in "/:" and not urls.overlaps(s, e) and (s == 0 or n[s - 1] not in ".@/:%-"):
            bare = _bare_url(n, s, e)
            if bare is not None and not _CIDR_RE.fullmatch(n, e, bare[1]):
                add((s, bare[1], T.URL, bare[0], "bare"))
        add((s, e, T.IPV4, _ipv4_value(raw), ""))

    if P.IPV6_GATE_RE.search(n):
        for m in P.IPV6_RE.finditer(n):
            cand = m.group(0)
            if cand.count(":") < 2:
                continue
            try:
                ipaddress.IPv6Address(cand)
            except ValueError:
                continue
            add((m.start(), m.end(), T.IPV6, cand.lower(), ""))

    for m in P.HEX_RE.finditer(n):
        s, e = m.span()
        kind = _HASH_TYPES.get(e - s)
        if kind is None:
            continue
        if s > 0 and n[s - 1].isalnum():
            if not (s >= 2 and n[s - 2 : s] in ("0x", "0X")):
                continue
            if kind is T.SHA1 and not (m.group(0).islower() or m.group(0).isupper()):
                continue  # 0x + 40 mixed-case hex (EIP-55 checksum): an Ethereum/BSC wallet, not a SHA-1
        # A digest inside a URL (a commit id, a file named by its MD5) is reported with the URL.
        add((s, e, kind, m.group(0).lower(), "in-url" if ustarts and urls.overlaps(s, e) else ""))

    for rx in P.CVE_RES:
        for m in rx.finditer(n):
            add((m.start(), m.end(), T.CVE, f"CVE-{m.group(1)}-{m.group(2)}", ""))

    _extras(n, rev, add, urls)
    return fanged, out


def _extras(n: str, rev: str, add: Callable[[Occ], None], urls: _Spans) -> None:
    ustarts, url_spans = urls.starts, urls.spans
    for rx in P.ATTACK_RES:
        for m in rx.finditer(n):
            add((m.start(), m.end(), T.ATTACK_ID, m.group(0).upper(), ""))
    for rx in P.ASN_RES:
        for m in rx.finditer(n):
            add((m.start(), m.end(), T.ASN, "AS" + m.group(1), ""))
    btc = [m for rx in P.BITCOIN_RES for m in rx.finditer(n) if _valid_bitcoin(m.group(0))]
    btc.sort(key=_BY_START)
    for m in btc:
        add((m.start(), m.end(), T.BITCOIN, m.group(0), ""))
    for m in P.MONERO_RE.finditer(n):
        add((m.start(), m.end(), T.MONERO, m.group(0), ""))
    if P.REGISTRY_GATE in n or ("hk" in n and P.REGISTRY_LOWER_GATE_RE.search(n)):
        for m in P.REGISTRY_RE.finditer(n):
            value = m.group(0).replace("<", "").replace(">", "") if m.group(0).startswith("<") else m.group(0)
            add((m.start(), m.end(), T.REGISTRY, value.rstrip(". "), ""))
    if ":\\" in n or "%\\" in n:
        for m in P.WINPATH_RE.finditer(n):
            if not urls.overlaps(m.start(), m.end()):
                s, e = m.span()
                # "C:\Program Files\Vendor\app.exe": folder names with spaces, read on while a
                # backslash follows the words (prose after the path has none).
                while (c := P.WINPATH_CONT_RE.match(n, e)) is not None:
                    e = c.end()
                value = n[s:e].rstrip(".,;:")
                if value.endswith(")") and value.count(")") > value.count("("):
                    value = value[:-1]  # "(saved as C:\Users\Public\ns.exe)": the prose's bracket
                add((s, s + len(value), T.FILEPATH, value, ""))
    if "~/" in n or P.UNIXPATH_GATE_RE.search(n):
        for m in P.UNIXPATH_RE.finditer(n):
            if not urls.overlaps(m.start(), m.end()):
                add((m.start(), m.end(), T.FILEPATH, m.group(0).rstrip(".,;:"), ""))
    last = -1
    for m in P.FILE_EXT_RE.finditer(n):
        dot, e = m.span()
        if ustarts and (i := bisect_right(ustarts, e - 1) - 1) >= 0 and url_spans[i][1] > dot:
            continue  # the path of a URL, reported with the URL
        left = P.REV_FILE_RE.match(rev, len(n) - dot)
        if left is None:
            continue
        s = dot - len(left.group(0))
        while s < dot and not (n[s].isalnum() or n[s] == "_"):
            s += 1
        if s >= dot or s < last:
            continue
        if s > 0 and (n[s - 1].isalnum() or n[s - 1] in "_\\/.%@-"):
            continue
        if urls.overlaps(s, e):
            continue
        last = e
        add((s, e, T.FILENAME, n[s:e], ""))
    if P.JA4_GATE_RE.search(n):
        for m in P.JA4_RE.finditer(n):
            add((m.start(), m.end(), T.JA4, m.group(0), ""))
    if "Mozilla/" in n:
        for m in P.USER_AGENT_RE.finditer(n):
            add((m.start(), m.end(), T.USER_AGENT, m.group(0), ""))


__all__ = ["Occ", "scan"]
