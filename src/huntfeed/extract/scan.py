"""Find indicator occurrences in one piece of text: refang, match, validate, map back.

Each pattern runs once over the refanged text; a match is validated (real TLD, octets, IPv6
grammar, checksum) and its span mapped back to the characters the author wrote.

The scanners sit in a registry keyed by indicator type (SCANNERS), run in its order. They
share one context computed once per piece (Ctx): the refanged text and its reverse, and where
the URLs, their hosts, the e-mail addresses and the package ids stand, found first because
every later scanner asks whether a match lies inside one of them.
"""

from __future__ import annotations

import ipaddress
import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from operator import itemgetter

from huntfeed._native import load as _load_native
from huntfeed.extract import patterns as P
from huntfeed.extract import prepared
from huntfeed.extract import rx as _rx
from huntfeed.extract import scan_host as H
from huntfeed.extract.fang import Fanged, fang_map
from huntfeed.extract.marks import emphasis as _emphasis
from huntfeed.extract.marks import link_role as _link_role
from huntfeed.extract.tld import valid_tld
from huntfeed.kinds import IndicatorType

T = IndicatorType
_HASH_TYPES = {32: T.MD5, 40: T.SHA1, 64: T.SHA256, 128: T.SHA512}
_URL_TRAIL = ".,;:!?'\"*"
_URL_HOST_RE = _rx.compile(
    r"(?i)^(?P<scheme>[a-z][a-z0-9+.-]*://)?(?P<user>[^@/?#\s]*@)?"
    r"(?P<host>\[[0-9a-f:.]+\]|[^:/?#\s]+)(?P<port>:\d{1,5})?(?P<rest>[/?#].*)?$",
    re.DOTALL,
)


# One occurrence: (start, end, type, value, role), offsets into the refanged text. A plain tuple:
# tens of thousands are made per megabyte, and a NamedTuple costs four times as much to build.
Occ = tuple[int, int, IndicatorType, str, str]


# Labels of 1-63 characters, none starting or ending with '-': the shape, checked in one call.
_LABELS_RE = _rx.compile(r"(?:(?!-)[^.]{1,63}(?<!-)\.)+(?!-)[^.]{1,63}(?<!-)")


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
    if _NOT_A_PATH_RE.fullmatch(raw, raw.find("/", e - s) + 1):
        return None  # 1.2.3.4:443/tcp (port and protocol), 1.2.3.4/5.6.7.8 (a pair): no URL
    return norm[0], s + len(raw)


_NOT_A_PATH_RE = _rx.compile(r"(?i)(?:tcp|udp|sctp|icmp)|\d{1,3}(?:\.\d{1,3}){3}")


_LEADING_ZERO_RE = _rx.compile(r"(?<![0-9])0[0-9]")


def _ipv4_value(text: str) -> str:
    if _LEADING_ZERO_RE.search(text) is None:
        return text  # already normal: the common case, without a split and four int() calls
    return ".".join(str(int(p)) for p in text.split("."))


_CIDR_RE = _rx.compile(r"/\d{1,2}")
_COMMENT_RE = _rx.compile(r"\([^()]*\)")


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


@dataclass(frozen=True, slots=True)
class Ctx:
    """What every scanner of one piece shares, computed once."""

    text: str  # refanged
    rev: str  # text reversed: left-hand parts (schemes, local parts, labels) are read as prefixes of it
    add: Callable[[Occ], None]
    urls: _Spans  # URL spans, in text order, never overlapping
    hosts: list[tuple[int, int]]  # the host span of each URL, same order
    emails: list[tuple[int, int]]  # e-mail address spans, in text order
    email_starts: list[int]
    email_hosts: list[tuple[int, int]]  # the host span of each address, same order
    packages: frozenset[tuple[int, int]] = frozenset()  # package id spans (com.example.app)
    words: frozenset[str] | None = None  # the P.GATE_WORDS in text (None: not looked for)
    ids: Ids = ((), (), (), (), (), ())  # literal_ids(text): the literal-led families' matches

    def holds(self, word: str) -> bool:
        """``word in self.text``, answered from ``words`` for the gate words."""
        if self.words is None or word not in _GATES:
            return word in self.text
        return word in self.words


Scanner = Callable[[Ctx], None]
_GATES = frozenset(P.GATE_WORDS)
# literal_ids' answer: (CVEs as (s, e, year start, number start), ATT&CK ids (s, e), ASNs as
# (s, e, digits start), package ids (s, e), bitcoin candidates (s, e), Monero addresses (s, e)).
Ids = tuple[
    Sequence[tuple[int, int, int, int]],
    Sequence[tuple[int, int]],
    Sequence[tuple[int, int, int]],
    Sequence[tuple[int, int]],
    Sequence[tuple[int, int]],
    Sequence[tuple[int, int]],
]


def literal_ids_py(n: str) -> Ids:
    """The matches of the literal-led families' patterns, pattern by pattern (the twin of
    extract_scan.ids, which reads them in one pass instead of seventeen): CVE_RES, ATTACK_RES,
    ASN_RES, PACKAGE_RES, BITCOIN_RES (sorted by start) and MONERO_RE."""
    cves = [
        (m.start(), m.end(), m.start(1), m.start(2))
        for word, rx in zip(P.CVE_WORDS, P.CVE_RES, strict=True)
        if word in n  # a substring search: most texts hold no "cve" or "Cve" at all
        for m in rx.finditer(n)
    ]
    attack = [m.span() for rx in P.ATTACK_RES for m in rx.finditer(n)]
    asns = [(m.start(), m.end(), m.start(1)) for rx in P.ASN_RES for m in rx.finditer(n)]
    packages = [m.span() for rx in P.PACKAGE_RES for m in rx.finditer(n)]
    btc = sorted((m.span() for rx in P.BITCOIN_RES for m in rx.finditer(n)), key=itemgetter(0))
    return cves, attack, asns, packages, btc, [m.span() for m in P.MONERO_RE.finditer(n)]


def present_py(text: str, words: tuple[str, ...]) -> tuple[bool, ...]:
    """``word in text`` for each word: the twin of extract_scan.present (one pass for all)."""
    return tuple(w in text for w in words)


# One row per "://" the URL scanner reads up to its host test: (sep, s, e, host start, host end,
# kind, TLD, value, markup), offsets into the text; kind 1: an IPv4 host (accepted), 2: a host
# name whose last label (TLD) must be a TLD, 3: the rest (TLD and value None: _norm_url decides).
# value: _norm_url's (scheme and host in lower case); markup: whether marks.link_role can answer
# more than "" (a "](" before the URL or a '[' after it).
UrlRow = tuple[int, int, int, int, int, int, str | None, str | None, bool]
_SCHEMES = tuple(sorted(P.URL_SCHEMES))


def url_candidates_py(n: str, rev: str) -> list[UrlRow]:
    """The URL scanner's reads by its patterns (the twin of extract_scan.urls): the scheme before
    each "://", the tail, _trim_url, _URL_HOST_RE's parts, and how far the host is settled."""
    size = len(n)
    out: list[UrlRow] = []
    for sep in P.URL_SEP_RE.finditer(n):
        p = sep.start()
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
        m = _URL_HOST_RE.match(raw)
        if not m:
            continue
        hs, he = m.span("host")
        host = raw[hs:he]
        tld = None
        if host.startswith("[") or not host.isascii():
            kind = 3
        elif P.IPV4_FULL_RE.fullmatch(host):
            kind = 1
        else:
            domain = host.rstrip(".")
            k = domain.rfind(".")
            if k <= 0 or _LABELS_RE.fullmatch(domain) is None:
                continue  # no host name: _norm_url says None whatever the TLD
            kind, tld = 2, domain[k + 1 :]
        value = None if kind == 3 else m.group("scheme").lower() + raw[m.end("scheme") : hs] + host.lower() + raw[he:]
        e = s + len(raw)
        markup = n[s - 2 : s] == "](" and s >= 2 or n[e : e + 1] == "["
        out.append((p, s, e, s + hs, s + he, kind, tld, value, markup))
    return out


def _urls(n: str, rev: str, add: Callable[[Occ], None]) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """URLs with a scheme: added, and (URL spans, host spans) returned for the context."""
    url_spans: list[tuple[int, int]] = []
    host_spans: list[tuple[int, int]] = []
    last = -1
    for p, s, e, hs, he, _kind, tld, value, markup in url_candidates(n, rev):
        if p < last:
            continue
        if value is None:
            norm = _norm_url(n[s:e])
            if norm is None:
                continue
            value, hs, he = norm
            hs, he = s + hs, s + he
        elif tld is not None and not valid_tld(tld):
            continue
        last = e
        url_spans.append((s, e))
        host_spans.append((hs, he))
        add((s, e, T.URL, value, _link_role(n, s, e, value, hs - s, he - s) if markup else ""))
    return url_spans, host_spans


def _emails(
    n: str, rev: str, add: Callable[[Occ], None], urls: _Spans
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """E-mail addresses outside URLs: added, and (address spans, host spans) returned."""
    size = len(n)
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
    return email_spans, email_hosts


def _domain_tails_py(n: str, rev: str) -> list[tuple[int, int, int, int, int]]:
    """(s, dot, end, tld_start, tld_end) per match of DOMAIN_TAIL_RE, s the start of the label
    read leftwards from the dot (-1 for none): the twin of extract_scan.domain_tails."""
    size = len(n)
    rev_label = P.REV_LABEL_RE.match
    out = []
    for m in P.DOMAIN_TAIL_RE.finditer(n):
        dot, e = m.span()
        lm = rev_label(rev, size - dot)
        # The label read leftwards ends, in the reversed text, where it starts.
        out.append((-1 if lm is None else size - lm.end(), dot, e, m.start(1), m.end(1)))
    return out


# The C twin (src/huntfeed/_native/extract_scan.c): one loop over the characters instead of a
# match object, a group and a reversed-text match per candidate (12,600 per 63 real reports).
_NATIVE = _load_native("extract_scan")
_domain_tails: Callable[[str, str], list[tuple[int, int, int, int, int]]] = (
    _domain_tails_py if _NATIVE is None else lambda n, rev: _NATIVE.domain_tails(n)  # type: ignore[union-attr]
)


def _domains(ctx: Ctx) -> None:
    if _NATIVE is None:
        _domains_py(ctx)
        return
    urls = ctx.urls
    where = (urls.starts, urls.spans, ctx.hosts, ctx.email_starts, ctx.emails, ctx.email_hosts, ctx.packages, ctx.add)
    _NATIVE.domains(ctx.text, where, (prepared.tables().tlds, valid_tld, _bare_url, T.DOMAIN, T.URL))


def _domains_py(ctx: Ctx) -> None:
    """Host names (and the scheme-less URLs they open): the twin of extract_scan.domains, which
    runs this loop over the candidates in C, asking valid_tld and _bare_url where this does."""
    n, rev, add, packages = ctx.text, ctx.rev, ctx.add, ctx.packages
    size = len(n)
    bare_end = -1
    for s, dot, e, ts, te in _domain_tails(n, rev):
        # The pattern already shaped every label; only the TLD is left to check, and first.
        if not valid_tld(n[ts:te]) or s < 0:
            continue
        while s < dot and n[s] == "-":
            s += 1
        if s >= dot or n[dot - 1] == "-":
            continue
        if s > 0:
            before = n[s - 1]
            if (before.isalnum() or before in "_%-") and not (s >= 3 and n[s - 3 : s].upper() in ("%2F", "%3A")):
                continue
        if packages and (s, e) in packages:
            continue  # com.parceltrack.delivery.app: an app id, reported as a package, not a host
        role = _host_role(ctx, s, e, bare_end)
        if role is None:
            continue  # "it.support" in it.support@corp.com: a mailbox name, not a host
        if not role and e < size and n[e] in "/:" and (s == 0 or n[s - 1] not in ".@/:%-"):
            bare = _bare_url(n, s, e)
            if bare is not None:
                bvalue, bare_end = bare
                role = "bare-host"
                add((s, bare_end, T.URL, bvalue, "bare"))
        if not role and e < size and n[e] == "(":
            role = "code"  # obj.send(...): a method call, not a host
        add((s, e, T.DOMAIN, n[s:e].lower(), role))


def _host_role(ctx: Ctx, s: int, e: int, bare_end: int) -> str | None:
    """Where the host name text[s:e] stands: a URL's host or path, an e-mail's domain, a file
    path's end, or nowhere special (""); None for an e-mail's local part (no host at all)."""
    n, urls = ctx.text, ctx.urls
    if urls.starts:
        i = bisect_right(urls.starts, s) - 1
        if i >= 0 and e <= urls.spans[i][1]:
            hs, he = ctx.hosts[i]
            return "url-host" if hs <= s and e <= he else "in-url"
    if s < bare_end:
        return "in-url"
    estarts = ctx.email_starts
    if estarts and (i := bisect_right(estarts, s) - 1) >= 0 and e <= ctx.emails[i][1]:
        return None if s < ctx.email_hosts[i][0] else "email-domain"
    if s > 1 and n[s - 1] in "/\\" and (n[s - 2].isalnum() or n[s - 2] in "._-~$%"):
        # /usr/lib/libx.so, C:\Temp\sam.save: the file name ending a path. Not //cdn.host/x
        # (a scheme-less URL) nor \\host\share (a UNC path): there a slash comes before.
        return "in-path"
    return ""


def _ipv4_slow(raw: str) -> str | None:
    """The value of a candidate holding other scripts' digits, or None: extract_scan.ipv4 asks this
    where its ASCII reading does not apply (IPV4_FULL_RE's \\d takes any script's decimals)."""
    return _ipv4_value(raw) if P.IPV4_FULL_RE.fullmatch(raw) else None


def _ipv4(ctx: Ctx) -> None:
    if _NATIVE is None:
        _ipv4_py(ctx)
    else:  # the same loop in C over IPV4_TAIL_RE's matches (2,200 per 63 real reports)
        _NATIVE.ipv4(ctx.text, ctx.urls.spans, ctx.add, (T.IPV4, T.URL, _bare_url, _ipv4_slow))


def _ipv4_py(ctx: Ctx) -> None:
    """Dotted quads (and the scheme-less URLs they open): the twin of extract_scan.ipv4."""
    n, add, urls = ctx.text, ctx.add, ctx.urls
    size = len(n)
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


def _ipv6(ctx: Ctx) -> None:
    n, rev = ctx.text, ctx.rev
    size = len(n)
    done = -1
    # IPV6_RE is led by look-behinds, so its scan tries every position of the text. A match keeps
    # to a run of IPv6 characters (P.IPV6_RUN_RE) and one of two colons or more holds a gate, so
    # it runs only over the runs that hold a gate: a run is bounded by characters no match can
    # hold, the full-text scan reaches each run's start with no match open, and so it finds the
    # same matches there. Two characters past the run stay visible for the closing look-ahead.
    for g in P.IPV6_GATE_RE.finditer(n):
        gs = g.start()
        if gs < done:
            continue
        a = size - P.IPV6_RUN_RE.match(rev, size - gs).end()  # type: ignore[union-attr]  # matches ""
        done = P.IPV6_RUN_RE.match(n, gs).end()  # type: ignore[union-attr]
        for m in P.IPV6_RE.finditer(n, a, done + 2):
            if m.start() >= done:
                break
            cand = m.group(0)
            if cand.count(":") < 2:
                continue
            try:
                ipaddress.IPv6Address(cand)
            except ValueError:
                continue
            ctx.add((m.start(), m.end(), T.IPV6, cand.lower(), ""))


def hex_runs_py(n: str) -> list[tuple[int, int]]:
    """The spans ``P.HEX_RE`` finds in ``n``: its maximal runs of 32 hex digits or more (the twin
    of extract_scan.hex_runs)."""
    # Latin-1 with "?" for the rest: one byte per character, offsets unchanged, no hex digit lost.
    return [m.span() for m in P.HEX_RUN_RE.finditer(n.encode("latin-1", "replace").translate(P.HEX_CLASS))]


present: Callable[[str, tuple[str, ...]], tuple[bool, ...]] = present_py if _NATIVE is None else _NATIVE.present
# In C: one pass over the word starts instead of seventeen pattern passes, most of them led by a
# common letter (t, a, c, o, n, i) the engine stops at everywhere (31 -> ~4 ms over 63 real reports).
literal_ids: Callable[[str], Ids] = literal_ids_py if _NATIVE is None else _NATIVE.ids
# In C: the scheme, tail, trim and host reads per "://" without a match object, a slice and a
# pattern match each (2,800 per 63 real reports).
url_candidates: Callable[[str, str], list[UrlRow]] = (
    url_candidates_py if _NATIVE is None else lambda n, rev: _NATIVE.urls(n, _SCHEMES)  # type: ignore[union-attr]
)


# In C: one pass over the characters instead of a Latin-1 copy, a translation and a pattern pass
# (7.5 -> ~1 ms over the 63 real reports).
hex_runs: Callable[[str], list[tuple[int, int]]] = hex_runs_py if _NATIVE is None else _NATIVE.hex_runs


_HASH_KINDS = (T.MD5, T.SHA1, T.SHA256, T.SHA512)


def _hashes(ctx: Ctx) -> None:
    if _NATIVE is None:
        _hashes_py(ctx)
    else:  # the same loop in C over the hex runs (4,600 digests per 63 real reports)
        _NATIVE.hashes(ctx.text, _HASH_KINDS, ctx.urls.spans, ctx.add)


def _hashes_py(ctx: Ctx) -> None:
    """MD5, SHA-1, SHA-256 and SHA-512, told apart by length: the twin of extract_scan.hashes."""
    n, add, urls = ctx.text, ctx.add, ctx.urls
    ustarts = urls.starts
    for s, e in hex_runs(n):
        kind = _HASH_TYPES.get(e - s)
        if kind is None:
            continue
        digest = n[s:e]
        if s > 0 and n[s - 1].isalnum():
            if not (s >= 2 and n[s - 2 : s] in ("0x", "0X")):
                continue
            if kind is T.SHA1 and not (digest.islower() or digest.isupper()):
                continue  # 0x + 40 mixed-case hex (EIP-55 checksum): an Ethereum/BSC wallet, not a SHA-1
        # A digest inside a URL (a commit id, a file named by its MD5) is reported with the URL.
        add((s, e, kind, digest.lower(), "in-url" if ustarts and urls.overlaps(s, e) else ""))


def _cves(ctx: Ctx) -> None:
    n, add = ctx.text, ctx.add
    for s, e, year, num in ctx.ids[0]:
        add((s, e, T.CVE, f"CVE-{n[year : year + 4]}-{n[num:e]}", ""))


# The scanners of each type, run in this order after the context is built. URLs, e-mail
# addresses and package ids are scanned first, by scan() itself: they make the context.
SCANNERS: dict[IndicatorType, tuple[Scanner, ...]] = {
    T.DOMAIN: (_domains,),  # also scheme-less URLs (host/path) it finds on the way
    T.IPV4: (_ipv4,),  # likewise IPv4/path
    T.IPV6: (_ipv6,),
    T.SHA256: (_hashes,),  # every digest length
    T.CVE: (_cves,),
    T.ATTACK_ID: (H.attack_ids,),
    T.ASN: (H.asns,),
    T.BITCOIN: (H.bitcoin,),
    T.MONERO: (H.monero,),
    T.REGISTRY: (H.registry,),
    T.FILEPATH: (H.windows_paths, H.unix_paths),
    T.FILENAME: (H.file_names,),
    T.GUID: (H.guids,),
    T.JA4: (H.ja4,),
    T.USER_AGENT: (H.user_agents,),
}
_RUN = tuple(f for fs in SCANNERS.values() for f in fs)


def scan(text: str) -> tuple[Fanged, list[Occ]]:
    """Every indicator occurrence in ``text``: the refanged text's map, and offsets into it."""
    fanged = fang_map(text)
    out: list[Occ] = []
    ctx = context(fanged.text, out.append)
    for scanner in _RUN:
        scanner(ctx)
    return fanged, out


def context(n: str, add: Callable[[Occ], None]) -> Ctx:
    """The shared context of the refanged text ``n``; its URLs, e-mail addresses and package ids added."""
    rev = n[::-1]
    url_spans, hosts = _urls(n, rev, add)
    urls = _Spans(url_spans)
    emails, email_hosts = _emails(n, rev, add, urls)
    ctx = Ctx(n, rev, add, urls, hosts, emails, [a for a, _ in emails], email_hosts, ids=literal_ids(n))
    found = present(n, P.GATE_WORDS)
    words = frozenset(w for w, hit in zip(P.GATE_WORDS, found, strict=True) if hit)
    return replace(ctx, packages=frozenset(H.packages(n, ctx)), words=words)


__all__ = ["SCANNERS", "Ctx", "Occ", "Scanner", "context", "scan"]
