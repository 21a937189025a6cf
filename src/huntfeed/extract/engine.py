"""extract(): occurrences to distinct indicators, each with its fidelity and reason.

Large inputs are cut into chunks at line ends (no indicator spans a line break), so memory
stays bounded by the chunk size plus the distinct indicators found.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from huntfeed.extract.context import c2_context, find_sections, version_context
from huntfeed.extract.digest import build as build_digest
from huntfeed.extract.fidelity import Policy, Signals, decide, own_site_of
from huntfeed.extract.patterns import HASH_LABEL_RE
from huntfeed.extract.scan import Hit, scan
from huntfeed.model import Fidelity, Indicator, IndicatorType

CHUNK = 1 << 20
_TYPE_ORDER = {t: i for i, t in enumerate(IndicatorType)}


@dataclass(frozen=True, slots=True)
class ExtractContext:
    """What the caller knows about the document: its URL (own site) and reference domains."""

    source_url: str = ""
    reference_domains: tuple[str, ...] = ()


@dataclass(slots=True)
class _Acc:
    first: Hit
    raw: str
    defanged: bool = False
    strict_defang: bool = False
    all_loose: bool = True
    in_ioc: bool = False
    all_refs: bool = True
    c2: bool = False
    all_version: bool = True
    roles: set[str] = field(default_factory=set)
    plain: list[tuple[str, int, int]] = field(default_factory=list)  # (snippet, start, end) for the C2 test

    def add(self, hit: Hit) -> None:
        self.defanged |= hit.defanged
        self.strict_defang |= hit.defanged and not hit.loose
        self.all_loose &= hit.loose
        self.in_ioc |= hit.in_ioc
        self.all_refs &= hit.in_refs
        self.c2 |= hit.c2
        self.all_version &= hit.version
        self.roles.add(hit.role)


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


def _located(piece: str, base: int) -> list[Hit]:
    """Occurrences in one piece, offsets into the whole text, with their context flags."""
    dig = build_digest(piece)
    sections = find_sections(piece)
    out: list[Hit] = []
    for h in scan(dig.text):
        s = dig.to_original(h.start)
        e = dig.to_original(h.end - 1) + 1 if h.end > h.start else s
        kind = h.type
        if kind in _HASHES and any(w in piece[max(0, s - 24) : s].lower() for w in _HASH_LABEL_WORDS):
            label = HASH_LABEL_RE.search(piece, max(0, s - 24), s)
            if label:
                if kind is IndicatorType.MD5 and label.group(0).lower().startswith("ja3"):
                    kind = IndicatorType.JA3
                else:
                    continue  # an imphash or authentihash is not a file hash
        in_ioc = sections.in_ioc(s)
        # The C2-sentence test is the costly one: it is run later, only where nothing else decides.
        c2 = False
        out.append(
            Hit(
                kind,
                h.value,
                base + s,
                base + e,
                h.defanged,
                h.loose,
                h.role,
                in_ioc,
                sections.in_refs(s),
                c2,
                kind is IndicatorType.IPV4 and version_context(piece, s),
            )
        )
    out.sort(key=lambda h: (h.start, _TYPE_ORDER[h.type]))
    return out


def collect(pieces: Iterable[tuple[int, str]]) -> dict[tuple[IndicatorType, str], _Acc]:
    """Group occurrences by (type, value), first occurrence first."""
    accs: dict[tuple[IndicatorType, str], _Acc] = {}
    for base, piece in pieces:
        for hit in _located(piece, base):
            key = (hit.type, hit.value)
            acc = accs.get(key)
            if acc is None:
                acc = accs[key] = _Acc(hit, piece[hit.start - base : hit.end - base])
            acc.add(hit)
            if hit.type in _NET_TYPES and not hit.in_ioc and not hit.defanged and len(acc.plain) < 3:
                # Keep the sentence around it, not the piece: memory stays bounded on huge inputs.
                s, e = hit.start - base, hit.end - base
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
    out: list[Indicator] = []
    for (kind, value), acc in accs.items():
        sig = Signals(
            defanged=acc.defanged,
            loose=acc.defanged and acc.all_loose,
            in_ioc=acc.in_ioc,
            in_refs=acc.all_refs,
            c2=acc.c2,
            roles=frozenset(acc.roles),
            version=acc.all_version,
            raw=acc.raw,
        )
        fidelity, reason = decide(kind, value, sig, policy)
        if reason in _C2_CAN_CHANGE and any(c2_context(p, s, e) for p, s, e in acc.plain):
            fidelity, reason = decide(kind, value, sig._replace(c2=True), policy)
        if not all and fidelity is not Fidelity.HIGH:
            continue
        h = acc.first
        out.append(Indicator(kind, value, acc.raw, h.start, h.end, acc.defanged, fidelity, reason))
    return tuple(out)


def extract(text: str, *, all: bool = False, context: ExtractContext | None = None) -> tuple[Indicator, ...]:  # noqa: A002
    """Indicators in ``text``, one per distinct (type, value), in order of first occurrence."""
    return finish(collect(chunks(text)), all=all, context=context)
