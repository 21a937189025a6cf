"""MISP warninglists, read once and lazily from the files pymispwarninglists ships.

Only the lists whose values are benign in a report are used: popular and vendor domains, public
DNS resolvers and sinkholes, hashes of empty, test and common benign files. Lists of hosts that
attackers abuse (dynamic DNS, LOTS, URL shorteners, cloud ranges) are deliberately left out: a
value on them is often the indicator itself. The indexes built here from the lists' JSON are the
reference; the look-ups read the same indexes prepared once in the cache folder (prepared.py).
"""

from __future__ import annotations

import importlib.util
import ipaddress
import json
import re
from functools import cache
from pathlib import Path

from huntfeed.extract import prepared

DOMAIN_LISTS = (
    "rfc6761",
    "security-provider-blogpost",
    "microsoft",
    "google",
    "microsoft-office365",
    "microsoft-win10-connection-endpoints",
    "captive-portals",
    "whats-my-ip",
    "moz-top500",
    "alexa",
    "tranco10k",
    "majestic_million",
    "cisco_top10k",
)
IP_LISTS = ("public-dns-v4", "public-dns-v6", "sinkholes")
HASH_LISTS = (
    "empty-hashes",
    "eicar.com",
    "common-ioc-false-positive",
    "ti-falsepositives",
    "nioc-filehash",
    "mozilla-CA",
    "mozilla-IntermediateCA",
)


@cache
def lists_dir() -> Path | None:
    # Locate the package without importing it: its import pulls in a JSON-schema stack and costs
    # about a second, while only its data files are needed here.
    spec = importlib.util.find_spec("pymispwarninglists")
    if spec is None or not spec.origin:  # pragma: no cover - a declared dependency
        return None
    root = Path(spec.origin).parent / "data" / "misp-warninglists" / "lists"
    return root if root.is_dir() else None


def _read(name: str) -> list[str]:
    root = lists_dir()
    if root is None:
        return []
    path = root / name / "list.json"
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as fh:
        data = json.load(fh)
    return [str(v) for v in data.get("list", [])]


@cache
def domain_index() -> dict[str, str]:
    """Domain (lower case, no leading dot) -> name of the first list that holds it."""
    index: dict[str, str] = {}
    for name in DOMAIN_LISTS:
        for value in _read(name):
            key = value.strip().lower().lstrip(".").removeprefix("*.")
            if key and key not in index:
                index[key] = name
    return index


@cache
def ip_index() -> tuple[dict[str, str], tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...]]:
    exact: dict[str, str] = {}
    nets: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str]] = []
    for name in IP_LISTS:
        for value in _read(name):
            if "/" in value:
                try:
                    net = ipaddress.ip_network(value, strict=False)
                except ValueError:
                    continue
                if net.num_addresses == 1:
                    exact.setdefault(str(net.network_address), name)
                else:
                    nets.append((net, name))
            else:
                exact.setdefault(value.strip().lower(), name)
    return exact, tuple(nets)


@cache
def hash_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for name in HASH_LISTS:
        for value in _read(name):
            index.setdefault(value.strip().lower(), name)
    return index


@cache
def _email_patterns() -> tuple[re.Pattern[str], ...]:
    out = []
    for value in _read("common-contact-emails"):
        m = re.fullmatch(r"/(.*)/([a-z]*)", value)
        if m:
            out.append(re.compile(m.group(1), re.IGNORECASE if "i" in m.group(2) else 0))
    return tuple(out)


@cache
def net_ranges(version: int) -> tuple[tuple[int, int, str], ...]:
    """(first, last, list) of one IP version as integers: a range test without ipaddress objects."""
    return tuple(
        (int(net.network_address), int(net.broadcast_address), name)
        for net, name in ip_index()[1]
        if net.version == version
    )


def ipv4_int(ip: str) -> int:
    """A dotted-quad IPv4 address as an integer (the caller has checked its shape)."""
    a, b, c, d = ip.split(".")
    return (int(a) << 24) | (int(b) << 16) | (int(c) << 8) | int(d)


def ip_list(ip: str, addr: ipaddress.IPv4Address | ipaddress.IPv6Address | None = None) -> str:
    """Name of the warninglist that holds ``ip``, else ''."""
    tables = prepared.tables()
    if addr is None:
        listed = tables.ipv4_list(ip)  # a canonical dotted quad, the usual value: one call
        if listed is not None:
            return listed
    hit = tables.ip_exact.get_ipv4(ip)
    if hit:
        return hit
    if addr is None and ip.count(".") == 3 and ":" not in ip:
        try:
            num, version = ipv4_int(ip), 4
        except ValueError:
            return ""
    else:
        if addr is None:
            try:
                addr = ipaddress.ip_address(ip)
            except ValueError:
                return ""
        num, version = int(addr), addr.version
    for first, last, name in tables.ip_ranges[version]:
        if first <= num <= last:
            return name
    return ""


def hash_list(value: str) -> str:
    """Name of the warninglist that holds this hash, else ''."""
    return prepared.tables().hashes.get_hex(value.lower())


def email_list(value: str) -> str:
    """'common-contact-emails' for abuse@/security@ style addresses, else ''."""
    return "common-contact-emails" if any(p.search(value) for p in _email_patterns()) else ""
