"""extract(): occurrences to distinct indicators, each with its fidelity and reason.

Large inputs are cut into chunks at line ends (no indicator spans a line break), so memory
stays bounded by the chunk size plus the distinct indicators found.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from huntfeed.extract.context import c2_context, find_sections, version_context
from huntfeed.extract.digest import build as build_digest
from huntfeed.extract.fidelity import Policy, Signals, decide, own_site_of
from huntfeed.extract.patterns import HASH_LABEL_RE
from huntfeed.extract.scan import scan
from huntfeed.model import Fidelity, Indicator, IndicatorType

CHUNK = 1 << 20
_TYPE_ORDER = {t: i for i, t in enumerate(IndicatorType)}


@dataclass(frozen=True, slots=True)
class ExtractContext:
    """What the caller knows about the document: its URL (own site) and reference domains."""

    source_url: str = ""
    reference_domains: tuple[str, ...] = ()


class _Acc:
    """Everything the occurrences of one (type, value) say, gathered as they stream by."""

    __slots__ = (
        "start", "end", "raw", "defanged", "strict_defang", "all_loose", "in_ioc", "all_refs",
        "all_version", "roles", "plain",
    )  # fmt: skip

    def __init__(self, start: int, end: int, raw: str) -> None:
        self.start, self.end, self.raw = start, end, raw
        self.defanged = self.strict_defang = self.in_ioc = False
        self.all_loose = self.all_refs = self.all_version = True
        self.roles: set[str] = set()
        self.plain: list[tuple[str, int, int]] = []  # (snippet, start, end) for the C2 test


def chunks(text: str, size: int = CHUNK) -> Iterator[tuple[int, str]]:
    """(offset, piece) of ``text`` cut at line ends near every ``size`` characters."""
    pos, n = 0, len(text)
    while pos < n:
        end = min(n, pos + size)
        if end < n:
            nl = text.rfind("\n", pos + size // 2, end)
            if nl < 0:
                nl = text.rfind(" ", pos + size // 2, end)
            if nl >= 0:
                end = nl + 1
        yield pos, text[pos:end]
        pos = end


_NET_TYPES = frozenset((IndicatorType.DOMAIN, IndicatorType.URL, IndicatorType.IPV4, IndicatorType.IPV6))
_C2_CAN_CHANGE = frozenset(("plain", "not-defanged", "loose-defang", "reference-link"))
_HASH_LABEL_WORDS = ("hash", "ssdeep", "tlsh", "ja3", "ja4")
_HASHES = frozenset((IndicatorType.MD5, IndicatorType.SHA1, IndicatorType.SHA256, IndicatorType.SHA512))


def collect(pieces: Iterable[tuple[int, str]]) -> dict[tuple[IndicatorType, str], _Acc]:
    """Group occurrences by (type, value), with each value's first occurrence and context flags."""
    accs: dict[tuple[IndicatorType, str], _Acc] = {}
    for base, piece in pieces:
        dig = build_digest(piece)
        sections = find_sections(piece)
        dstarts, ostarts = dig.dstarts, dig.ostarts
        whole = len(dstarts) == 1 and dstarts[0] == ostarts[0] == 0
        for h in scan(dig.text):
            if whole:
                s, e = h.start, h.end
            else:
                k = bisect_right(dstarts, h.start) - 1
                shift = ostarts[k] - dstarts[k]
                s, e = h.start + shift, h.end + shift
            kind = h.type
            if kind in _HASHES and any(w in piece[max(0, s - 24) : s].lower() for w in _HASH_LABEL_WORDS):
                label = HASH_LABEL_RE.search(piece, max(0, s - 24), s)
                if label:
                    if kind is IndicatorType.MD5 and label.group(0).lower().startswith("ja3"):
                        kind = IndicatorType.JA3
                    else:
                        continue  # an imphash or authentihash is not a file hash
            key = (kind, h.value)
            acc = accs.get(key)
            if acc is None:
                acc = accs[key] = _Acc(base + s, base + e, piece[s:e])
            elif base + s < acc.start:
                acc.start, acc.end, acc.raw = base + s, base + e, piece[s:e]
            in_ioc = sections.in_ioc(s)
            acc.defanged |= h.defanged
            acc.strict_defang |= h.defanged and not h.loose
            acc.all_loose &= h.loose
            acc.in_ioc |= in_ioc
            acc.all_refs &= sections.in_refs(s)
            if kind is IndicatorType.IPV4:
                acc.all_version &= version_context(piece, s)
            else:
                acc.all_version = False
            acc.roles.add(h.role)
            if kind in _NET_TYPES and not in_ioc and not h.defanged and len(acc.plain) < 3:
                # Keep the sentence around it, not the piece: memory stays bounded on huge inputs.
                lo = max(0, s - 220)
                acc.plain.append((piece[lo : e + 140], s - lo, e - lo))
    return accs


def finish(
    accs: dict[tuple[IndicatorType, str], _Acc], *, all: bool, context: ExtractContext | None
) -> tuple[Indicator, ...]:
    """Decide fidelity for each grouped value and build the Indicators."""
    ctx = context or ExtractContext()
    policy = Policy(
        own_site=own_site_of(ctx.source_url),
        reference_domains=frozenset(d.lower().strip(".") for d in ctx.reference_domains if d),
        doc_defangs=any(a.strict_defang for a in accs.values()),
    )
    out: list[tuple[int, int, Indicator]] = []
    for (kind, value), acc in accs.items():
        if kind is IndicatorType.CVE:
            fidelity, reason = Fidelity.HIGH, "cve"  # the one verdict a CVE id can get
        else:
            # Positional: a NamedTuple built from keywords costs noticeably more per value.
            sig = Signals(
                acc.defanged,
                acc.defanged and acc.all_loose,
                acc.in_ioc,
                acc.all_refs,
                False,
                acc.roles,
                acc.all_version,
                acc.raw,
            )
            fidelity, reason = decide(kind, value, sig, policy)
            if reason in _C2_CAN_CHANGE and any(c2_context(p, s, e) for p, s, e in acc.plain):
                fidelity, reason = decide(kind, value, sig._replace(c2=True), policy)
        if not all and fidelity is not Fidelity.HIGH:
            continue
        ind = Indicator(kind, value, acc.raw, acc.start, acc.end, acc.defanged, fidelity, reason)
        out.append((acc.start, _TYPE_ORDER[kind], ind))
    out.sort(key=lambda t: (t[0], t[1]))
    return tuple(t[2] for t in out)


def extract(text: str, *, all: bool = False, context: ExtractContext | None = None) -> tuple[Indicator, ...]:  # noqa: A002
    """Indicators in ``text``, one per distinct (type, value), in order of first occurrence."""
    return finish(collect(chunks(text)), all=all, context=context)
