"""The fidelity rules' look-up tables prepared once, read back in milliseconds by every process.

Built from their sources (warninglists.py reads the MISP lists' JSON, tld.py parses the Public
Suffix List), the tables cost 0.3 s of CPU in every process that extracts: 230,000 warninglisted
hashes (0.2 s), the PSL (0.06 s), the domain and address lists. They are kept in the cache folder
(``$HUNTFEED_CACHE``, else ``$HUNTFEED_HOME/cache``, else the platform's cache folder: the rule of
``huntfeed.paths.cache_dir``) as one ``marshal`` file:

* the hashes and the listed IPv4 addresses as bytes, one sorted run of fixed-width keys per
  length with a byte per key naming its list, searched by bisection (a dict of the 230,000
  hashes takes 60 ms to load, the 63,000 addresses 10 ms);
* the known domains (warninglists and reference sites, with their reasons), the address ranges
  as integers, and the TLDs the PSL accepts as a set.

The key covers the source files (path, size, modification time), the code that builds the tables
and the Python version (marshal's format): an updated list package, an edited data file or new
code means building from the source again. A missing, foreign or broken file is rebuilt; a folder
that cannot be written only costs the time. ``build_tables`` is the reference the tests compare
the prepared tables with.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import mmap
import os
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import BinaryIO

from huntfeed import __version__
from huntfeed._native import load as _load_native
from huntfeed.extract import rx, tld, warninglists
from huntfeed.paths import cache_dir, package_data, write_cache_file

_CODE = ("prepared.py", "warninglists.py", "tld.py", "knowledge.py")
_HEX_KEY = rx.compile(r"(?:[0-9a-f]{2}){2,}")  # two bytes or more: the bucket table reads two
_HEX_DIGITS = "0123456789abcdef"


def _hex_key(key: str) -> bool:
    """``_HEX_KEY.fullmatch(key)``, as one strip: the regex costs 8 us on a SHA-512 and every
    digest a report lists is looked up."""
    return len(key) >= 4 and not len(key) & 1 and not key.strip(_HEX_DIGITS)


_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4_KEY = rx.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")  # the canonical form only: no leading zero


_TWO_STARTS = struct.Struct("<II").unpack_from


# bytes, or the same bytes mapped from the prepared file (mmap: slices and struct reads alike).
Blob = bytes | mmap.mmap


def _find_py(blob: Blob, which: Blob, starts: Blob, raw: bytes) -> int:
    """The list byte of ``raw`` in one run (sorted keys of len(raw) bytes, a byte per key naming
    its list, the bucket starts), else -1. The C twin: _native/extract_group.c packed_find."""
    w = len(raw)
    # The keys whose first two bytes are raw's: a handful, found by two reads of the bucket
    # table instead of seventeen steps of bisection over 76,000 keys.
    lo, hi = _TWO_STARTS(starts, (raw[0] << 8 | raw[1]) * 4)  # one call, not two slices and two ints
    while lo < hi:
        mid = (lo + hi) // 2
        if blob[mid * w : mid * w + w] < raw:
            lo = mid + 1
        else:
            hi = mid
    return which[lo] if lo < len(which) and blob[lo * w : lo * w + w] == raw else -1


# 6,200 look-ups per 63 real reports (every hash and IPv4 address): the bisection's slices in C.
_NATIVE = _load_native("extract_group")
_find: Callable[[Blob, Blob, Blob, bytes], int] = _NATIVE.packed_find if _NATIVE is not None else _find_py


def _hex_list_py(blob: Blob, which: Blob, starts: Blob, names: tuple[str, ...], key: str) -> str | None:
    """The list of a lower-case hex key in the run of len(key) // 2 bytes ('' when absent), None
    when ``key`` is no hex key. The C twin: _native/extract_group.c hex_list."""
    if not _hex_key(key):
        return None
    k = _find(blob, which, starts, bytes.fromhex(key))
    return names[k] if k >= 0 else ""


def _ipv4_list_py(
    blob: Blob, which: Blob, starts: Blob, names: tuple[str, ...], ranges: tuple[tuple[int, int, str], ...], ip: str
) -> str | None:
    """The list of a canonical dotted quad: its exact entry, else the first range holding it, else
    ''; None when ``ip`` is not canonical. The C twin: _native/extract_group.c ipv4_list."""
    if _IPV4_KEY.fullmatch(ip) is None:
        return None
    a, b, c, d = (int(p) for p in ip.split("."))
    k = _find(blob, which, starts, bytes((a, b, c, d)))
    if k >= 0:
        return names[k]
    num = a << 24 | b << 16 | c << 8 | d
    for first, last, name in ranges:
        if first <= num <= last:
            return name
    return ""


# Every hash and IPv4 address of a report is looked up (4,500 and 1,800 per 63 real reports): the
# key's test, its packing and the bisection in one call instead of five Python steps and two calls.
_hex_list: Callable[[Blob, Blob, Blob, tuple[str, ...], str], str | None] = (
    _NATIVE.hex_list if _NATIVE is not None else _hex_list_py
)
_ipv4_list: Callable[[Blob, Blob, Blob, tuple[str, ...], tuple[tuple[int, int, str], ...], str], str | None] = (
    _NATIVE.ipv4_list if _NATIVE is not None else _ipv4_list_py
)


@dataclass(frozen=True, slots=True, eq=False)
class Packed:
    """Key -> list name, for keys that pack into fixed-width bytes (hex digests, IPv4 addresses):
    per width, the sorted packed keys and a byte per key naming its list; the rest in a dict."""

    runs: dict[int, tuple[Blob, Blob, Blob]]  # width -> (sorted keys, list bytes, bucket starts)
    names: tuple[str, ...]
    other: dict[str, str]

    def __eq__(self, other: object) -> bool:
        # By content: a mapped run equals the bytes it maps (mmap itself compares by identity).
        if not isinstance(other, Packed):
            return NotImplemented
        return (self.names, self.other, _contents(self.runs)) == (other.names, other.other, _contents(other.runs))

    def find(self, raw: bytes) -> str:
        """The list of the packed key ``raw``, else ''."""
        run = self.runs.get(len(raw))
        if run is None:
            return ""
        k = _find(run[0], run[1], run[2], raw)
        return self.names[k] if k >= 0 else ""

    def get_hex(self, key: str) -> str:
        """The list of a lower-case hex digest (or any other key)."""
        run = self.runs.get(len(key) >> 1)
        if run is not None:
            hit = _hex_list(run[0], run[1], run[2], self.names, key)
            if hit is not None:
                return hit
        if not _hex_key(key):
            return self.other.get(key, "")
        return self.find(bytes.fromhex(key))

    def get_ipv4(self, key: str) -> str:
        """The list of an address written as ``str(ipaddress.ip_address(...))`` writes it (or any key)."""
        if _IPV4_KEY.fullmatch(key) is None:
            return self.other.get(key, "")
        a, b, c, d = key.split(".")
        return self.find(bytes((int(a), int(b), int(c), int(d))))  # a tuple: a generator costs 2 us more


@dataclass(frozen=True, slots=True)
class Tables:
    """What the fidelity rules and the scanner look up, by value."""

    known_domains: dict[str, str]  # domain -> reason (warninglist:<name> or reference-link)
    ip_exact: Packed
    ip_ranges: dict[int, tuple[tuple[int, int, str], ...]]  # IP version -> (first, last, list)
    hashes: Packed
    tlds: frozenset[str]  # lower-case labels the PSL accepts as a TLD (tld.valid_tld)

    def ipv4_list(self, ip: str) -> str | None:
        """The warninglist of a canonical dotted quad, exact or by range ('' for none); None when
        ``ip`` is not one (warninglists.ip_list then reads it the general way)."""
        run = self.ip_exact.runs.get(4)
        if run is None:
            return None
        return _ipv4_list(run[0], run[1], run[2], self.ip_exact.names, self.ip_ranges[4], ip)


def _contents(runs: dict[int, tuple[Blob, Blob, Blob]]) -> dict[int, tuple[bytes, ...]]:
    return {w: tuple(bytes(b) for b in run) for w, run in runs.items()}


def _packed(index: dict[str, str], pack: Callable[[str], bytes | None]) -> Packed:
    names = tuple(dict.fromkeys(index.values()))
    code = {n: i for i, n in enumerate(names)}
    by_width: dict[int, list[tuple[bytes, int]]] = {}
    other: dict[str, str] = {}
    for key, name in index.items():
        raw = pack(key)
        if raw is None:
            other[key] = name
        else:
            by_width.setdefault(len(raw), []).append((raw, code[name]))
    runs: dict[int, tuple[Blob, Blob, Blob]] = {}
    for w, rows in by_width.items():
        rows.sort()
        runs[w] = (b"".join(r for r, _ in rows), bytes(c for _, c in rows), _bucket_starts([r for r, _ in rows]))
    return Packed(runs, names, other)


def _bucket_starts(keys: list[bytes]) -> bytes:
    """Where each value of the first two bytes starts in the sorted ``keys`` (65,537 offsets)."""
    starts = [0] * 65537
    for k in keys:
        starts[(k[0] << 8 | k[1]) + 1] += 1
    for i in range(1, 65537):
        starts[i] += starts[i - 1]
    return b"".join(v.to_bytes(4, "little") for v in starts)


def _pack_hex(key: str) -> bytes | None:
    return bytes.fromhex(key) if _HEX_KEY.fullmatch(key) else None


def _pack_ipv4(key: str) -> bytes | None:
    return bytes(int(p) for p in key.split(".")) if _IPV4_KEY.fullmatch(key) else None


def build_tables() -> Tables:
    """The tables from their sources (the MISP lists, the PSL, data/extract): the reference."""
    from huntfeed.extract.knowledge import reference_domains

    known = {d: f"warninglist:{name}" for d, name in warninglists.domain_index().items()}
    known.update(dict.fromkeys(reference_domains(), "reference-link"))
    exact = _packed(warninglists.ip_index()[0], _pack_ipv4)
    ranges = {v: warninglists.net_ranges(v) for v in (4, 6)}
    return Tables(known, exact, ranges, _packed(warninglists.hash_index(), _pack_hex), tld.accepted_tlds())


def _sources() -> list[Path]:
    files = [package_data("extract", "reference_domains.txt"), tld.psl_file()]
    root = warninglists.lists_dir()
    if root is not None:
        names = warninglists.DOMAIN_LISTS + warninglists.IP_LISTS + warninglists.HASH_LISTS
        files += [root / name / "list.json" for name in names]
    return files


def _key() -> str:
    h = hashlib.sha256(f"huntfeed {__version__} extract-tables {sys.version}\n".encode())
    here = Path(__file__).parent
    for name in _CODE:
        h.update(name.encode() + b"\0" + (here / name).read_bytes())
    for path in _sources():
        try:
            st = path.stat()
            h.update(f"{path.resolve()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        except OSError:
            h.update(f"{path}\0absent\n".encode())
    return h.hexdigest()[:32]


# The file: a magic word, the header's length, the header (marshal), then every run's bytes at an
# offset the header names, each aligned to mmap's granularity. A process maps the runs instead of
# reading them (6.7 MB of hashes, of which a report's look-ups touch a few pages): 8.5 MB read and
# copied twice per process before. The known domains are kept one joined string per reason,
# built into the dict with dict.fromkeys (a marshalled dict of 26,500 pairs loads 2-3 times slower).
_MAGIC = b"HFTABLE1"
_ALIGN = mmap.ALLOCATIONGRANULARITY


def _encode(t: Tables) -> bytes:
    blobs: list[bytes] = []

    def place(runs: dict[int, tuple[Blob, Blob, Blob]]) -> dict[int, tuple[int, ...]]:
        # Each run as (blob number, length) pairs; the blobs' offsets go in the trailer.
        out: dict[int, tuple[int, ...]] = {}
        for w, run in runs.items():
            spec: list[int] = []
            for b in run:
                spec += [len(blobs), len(b)]
                blobs.append(bytes(b))
            out[w] = tuple(spec)
        return out

    by_reason: dict[str, list[str]] = {}
    for domain, reason in t.known_domains.items():
        by_reason.setdefault(reason, []).append(domain)
    ip, h = t.ip_exact, t.hashes
    header = marshal.dumps(
        (
            tuple((reason, "\n".join(domains)) for reason, domains in by_reason.items()),
            (place(ip.runs), ip.names, ip.other),
            t.ip_ranges,
            (place(h.runs), h.names, h.other),
            t.tlds,
        )
    )
    parts = [_MAGIC, len(header).to_bytes(8, "little"), header]
    pos, offsets = sum(map(len, parts)), []
    for blob in blobs:
        pad = -pos % _ALIGN
        parts += [b"\0" * pad, blob]
        offsets.append(pos + pad)
        pos += pad + len(blob)
    trailer = marshal.dumps(tuple(offsets))
    return b"".join(parts) + trailer + len(trailer).to_bytes(8, "little")


def _decode(fh: BinaryIO) -> Tables:
    """Tables from an open prepared file: the header read, the runs mapped."""
    fd = fh.fileno()
    size = os.fstat(fd).st_size
    fh.seek(size - 8)
    tail = int.from_bytes(fh.read(8), "little")
    fh.seek(size - 8 - tail)
    offsets = marshal.loads(fh.read(tail))
    fh.seek(0)
    if fh.read(len(_MAGIC)) != _MAGIC:
        raise ValueError("not a prepared tables file")
    hlen = int.from_bytes(fh.read(8), "little")
    known_parts, ip, ranges, h, tlds = marshal.loads(fh.read(hlen))
    if not (isinstance(known_parts, tuple) and isinstance(tlds, frozenset) and isinstance(ranges, dict)):
        raise TypeError("prepared extraction tables of another layout")

    def blob(i: int, n: int) -> Blob:
        if n == 0:
            return b""  # mmap of length 0 would map the whole file
        if offsets[i] + n > size - 8 - tail:
            raise ValueError("a run past the end of the prepared file")
        return mmap.mmap(fd, n, access=mmap.ACCESS_READ, offset=offsets[i])

    def runs(spec: dict[int, tuple[int, ...]]) -> dict[int, tuple[Blob, Blob, Blob]]:
        return {w: (blob(*s[0:2]), blob(*s[2:4]), blob(*s[4:6])) for w, s in spec.items()}

    known: dict[str, str] = {}
    for reason, joined in known_parts:
        known.update(dict.fromkeys(joined.split("\n"), reason) if joined else {})
    return Tables(known, Packed(runs(ip[0]), *ip[1:]), ranges, Packed(runs(h[0]), *h[1:]), tlds)


def prepared_tables(folder: Path | None = None) -> Tables:
    """``build_tables()``, from the prepared file when it is current."""
    try:
        target = (folder or cache_dir()) / f"extract-tables-{_key()}.marshal"
    except OSError:
        return build_tables()
    with contextlib.suppress(OSError, ValueError, EOFError, TypeError, IndexError), open(target, "rb") as fh:
        return _decode(fh)
    tables = build_tables()
    with contextlib.suppress(OSError, ValueError):
        write_cache_file(target, _encode(tables))
    return tables


@cache
def tables() -> Tables:
    """This process's tables (prepared on first use)."""
    return prepared_tables()
