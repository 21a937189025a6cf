"""Scanners for what lives on a host or a chain rather than on the wire: registry keys, paths,
file names, GUIDs, package ids, wallets, technique and AS numbers, JA4 and User-Agents.

Each takes the shared scan context (refanged text, its reverse, URL spans) and appends its
occurrences; scan.py runs them from its registry, after the network scanners.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from collections.abc import Iterator
from typing import TYPE_CHECKING

from huntfeed._native import load as _load_native
from huntfeed.extract import patterns as P
from huntfeed.extract import rx as _rx
from huntfeed.kinds import IndicatorType

if TYPE_CHECKING:
    from huntfeed.extract.scan import Ctx

T = IndicatorType
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BECH32 = set("qpzry9x8gf2tvdw0s3jn54khce6mua7l")
_GENERIC_TLDS = frozenset(("com", "org", "net", "io", "co", "me", "info", "biz"))
_HEX = frozenset("0123456789abcdefABCDEF")


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


def close_prose(value: str) -> str:
    """Drop a closing bracket the prose put after a path or key: "(saved as C:\\x\\ns.exe)"."""
    while value.endswith((")", "]")) and value.count(value[-1]) > value.count("(" if value[-1] == ")" else "["):
        value = value[:-1].rstrip(".,;:")
    return value


def packages(n: str, ctx: Ctx) -> set[tuple[int, int]]:
    """Mobile package / bundle ids (com.example.app): added, and their spans returned so the
    host scan leaves them alone. Only ids whose last label is no generic TLD (com.example.net is
    a host) and that stand outside URLs."""
    spans: set[tuple[int, int]] = set()
    for s, e in ctx.ids[3]:  # PACKAGE_RES's matches
        value = n[s:e]
        if value.rpartition(".")[2] in _GENERIC_TLDS or ctx.urls.overlaps(s, e):
            continue
        spans.add((s, e))
        ctx.add((s, e, T.PACKAGE, value, ""))
    return spans


def attack_ids(ctx: Ctx) -> None:
    n, add = ctx.text, ctx.add
    for s, e in ctx.ids[1]:  # ATTACK_RES's matches
        add((s, e, T.ATTACK_ID, n[s:e].upper(), ""))


def asns(ctx: Ctx) -> None:
    n, add = ctx.text, ctx.add
    for s, e, digits in ctx.ids[2]:  # ASN_RES's matches
        add((s, e, T.ASN, "AS" + n[digits:e], ""))


def bitcoin(ctx: Ctx) -> None:
    n = ctx.text
    for s, e in ctx.ids[4]:  # BITCOIN_RES's matches, by start
        if _valid_bitcoin(n[s:e]):
            ctx.add((s, e, T.BITCOIN, n[s:e], ""))


def monero(ctx: Ctx) -> None:
    n = ctx.text
    for s, e in ctx.ids[5]:  # MONERO_RE's matches
        ctx.add((s, e, T.MONERO, n[s:e], ""))


def _matches_at(rx: re.Pattern[str], n: str, starts: list[int]) -> Iterator[re.Match[str]]:
    """``rx.finditer(n)`` for a pattern led by a look-behind (which the engine tries at every
    position), given the sorted places every match of it starts at: each is tried by ``match``,
    those inside the last match skipped, as finditer resumes where a match ends."""
    end = -1
    for s in starts:
        if s >= end and (m := rx.match(n, s)) is not None:
            end = m.end()
            yield m


_HIVE_HEAD_RE = _rx.compile("[hH][kK\u212a]")  # every hive name opens with HK, in any case


# _HIVE_HEAD_RE's spellings: a class-led pattern makes the engine test the class at every position
# (25 M instructions over the 63 real reports' texts that pass the gate); six substring searches
# find the same places (no two of its matches overlap: 'K' is no 'H').
_HIVE_HEADS = tuple(h + k for h in "Hh" for k in "Kk\u212a")


def _hive_heads(n: str) -> list[int]:
    """Where _HIVE_HEAD_RE matches in ``n``, in order."""
    out: list[int] = []
    for head in _HIVE_HEADS:
        i = n.find(head)
        while i >= 0:
            out.append(i)
            i = n.find(head, i + 2)
    out.sort()
    return out


def _registry_starts(n: str) -> list[int]:
    out: list[int] = []
    for p in _hive_heads(n):
        if p and n[p - 1] == "<":
            out.append(p - 1)  # "<HKLM>": the bracket opens the match when its look-behind allows
        out.append(p)
    return out


def _winpath_starts(n: str) -> list[int]:
    """A path opens with a drive letter before ':\\' or with the '%' that opens a %VARIABLE%\\."""
    out = [m.start() - 1 for m in _DRIVE_RE.finditer(n) if m.start()]
    for m in _VAR_END_RE.finditer(n):
        k = n.rfind("%", max(0, m.start() - 33), m.start())
        if k >= 0:
            out.append(k)  # the last '%' before it: a variable's name holds none
    out.sort()
    return out


def _unixpath_starts(n: str) -> list[int]:
    """A Unix path opens with '~' or with a '/' before one of the folder names UNIXPATH_RE knows."""
    out = [m.start() for m in P.UNIXPATH_TILDE_RE.finditer(n)]
    out += [m.start() for m in P.UNIXPATH_HEAD_RE.finditer(n)]
    out.sort()
    return out


_DRIVE_RE = _rx.compile(r":\\")
_VAR_END_RE = _rx.compile(r"%\\")


def registry(ctx: Ctx) -> None:
    n = ctx.text
    if not ctx.holds(P.REGISTRY_GATE) and not (ctx.holds("hk") and P.REGISTRY_LOWER_GATE_RE.search(n)):
        return
    for m in _matches_at(P.REGISTRY_RE, n, _registry_starts(n)):
        value = m.group(0).replace("<", "").replace(">", "") if m.group(0).startswith("<") else m.group(0)
        value = close_prose(value.rstrip(". "))
        ctx.add((m.start(), m.start() + len(value), T.REGISTRY, value, ""))


def windows_paths(ctx: Ctx) -> None:
    n, urls = ctx.text, ctx.urls
    if not ctx.holds(":\\") and not ctx.holds("%\\"):
        return
    for m in _matches_at(P.WINPATH_RE, n, _winpath_starts(n)):
        if not urls.overlaps(m.start(), m.end()):
            s, e = m.span()
            # "C:\Program Files\Vendor\app.exe": folder names with spaces, read on while a
            # backslash follows the words (prose after the path has none).
            while (c := P.WINPATH_CONT_RE.match(n, e)) is not None:
                e = c.end()
            value = close_prose(n[s:e].rstrip(".,;:"))
            if "," in value:
                # rundll32 C:\Temp\x.dll,ServiceMain: the export named after the comma is no part of the file
                value = P.ENTRY_POINT_RE.sub(r"\1", value)
            ctx.add((s, s + len(value), T.FILEPATH, value, ""))


def unix_paths(ctx: Ctx) -> None:
    n, urls = ctx.text, ctx.urls
    if not ctx.holds("~/") and not P.UNIXPATH_GATE_RE.search(n):
        return
    # UNIXPATH_RE.finditer(n) from the places a match can start: 11.4 -> 2.0 ms over 63 real reports.
    for m in _matches_at(P.UNIXPATH_RE, n, _unixpath_starts(n)):
        if not urls.overlaps(m.start(), m.end()):
            ctx.add((m.start(), m.end(), T.FILEPATH, m.group(0).rstrip(".,;:"), ""))


_NATIVE = _load_native("extract_scan")
_EXTS = frozenset(P.FILE_EXTS.split("|") + P.FILE_EXTS.upper().split("|"))


def file_names(ctx: Ctx) -> None:
    if _NATIVE is None:
        file_names_py(ctx)
    else:  # the same loop in C, FILE_EXT_RE's matches read as the extension set (2,460 per 63 real reports)
        _NATIVE.file_names(ctx.text, _EXTS, ctx.urls.spans, ctx.add, T.FILENAME)


def file_names_py(ctx: Ctx) -> None:
    """File names, found from their extension and read leftwards: the twin of extract_scan.file_names."""
    n, rev, urls, add = ctx.text, ctx.rev, ctx.urls, ctx.add
    ustarts, url_spans = urls.starts, urls.spans
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


def guids(ctx: Ctx) -> None:
    if _NATIVE is None:
        guids_py(ctx)
    else:  # the same loop in C, from each '-' (GUID_TAIL_RE is tried at every dash of the text)
        _NATIVE.guids(ctx.text, ctx.urls.spans, ctx.add, T.GUID)


def guids_py(ctx: Ctx) -> None:
    """GUIDs (8-4-4-4-12 hex): application, tenant and class ids; in a URL, part of the URL. The
    twin of extract_scan.guids."""
    n, urls = ctx.text, ctx.urls
    if "-" not in n:
        return
    for m in P.GUID_TAIL_RE.finditer(n):
        t = m.start()
        s = t - 8
        if s < 0 or not _HEX.issuperset(n[s:t]) or (s > 0 and (n[s - 1].isalnum() or n[s - 1] == "-")):
            continue
        e = m.end()
        ctx.add((s, e, T.GUID, n[s:e].lower(), "in-url" if urls.overlaps(s, e) else ""))


def ja4(ctx: Ctx) -> None:
    if P.JA4_GATE_RE.search(ctx.text):
        for m in P.JA4_RE.finditer(ctx.text):
            ctx.add((m.start(), m.end(), T.JA4, m.group(0), ""))


_MOZILLA_RE = _rx.compile("Mozilla/")


def user_agents(ctx: Ctx) -> None:
    if ctx.holds("Mozilla/"):
        # USER_AGENT_RE, led by a look-behind, is tried at every position by finditer; its matches
        # start at a "Mozilla/", a literal the engine skips to: the same matches from there.
        n = ctx.text
        for m in _matches_at(P.USER_AGENT_RE, n, [w.start() for w in _MOZILLA_RE.finditer(n)]):
            ctx.add((m.start(), m.end(), T.USER_AGENT, m.group(0), ""))
