"""extract(): occurrences to distinct indicators, each with its fidelity and reason.

Large inputs are cut into chunks at line ends (no indicator spans a line break), so memory
stays bounded by the chunk size plus the distinct indicators found.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from huntfeed._native import load as _load_native
from huntfeed.extract.context import _inside, c2_context, find_sections, version_context
from huntfeed.extract.digest import build as build_digest
from huntfeed.extract.fidelity import Policy, Signals, own_site_of
from huntfeed.extract.patterns import HASH_LABEL_RE
from huntfeed.extract.rules import RULE_OF, decide
from huntfeed.extract.scan import scan
from huntfeed.kinds import Fidelity, IndicatorType

if TYPE_CHECKING:
    from huntfeed.model import Indicator

CHUNK = 1 << 20
_TYPE_ORDER = {t: i for i, t in enumerate(IndicatorType)}


@dataclass(frozen=True, slots=True)
class ExtractContext:
    """What the caller knows about the document: its URL (own site) and reference domains."""

    source_url: str = ""
    reference_domains: tuple[str, ...] = ()


# What the occurrences of one (type, value) say, gathered as they stream by. A list indexed by
# these constants, not an object: one is made per distinct value, and a list builds 4x faster.
_START, _END, _RAW, _DEFANGED, _STRICT, _ALL_LOOSE, _IN_IOC, _ALL_REFS, _ALL_VERSION, _ROLES, _PLAIN = range(11)
Acc = list[Any]  # [start, end, raw, defanged, strict_defang, all_loose, in_ioc, all_refs, all_version, roles, plain]
# Roles as shared frozensets: one object per role set, not one per value.
_ROLE_SETS = {
    r: frozenset((r,))
    for r in ("", "url-host", "in-url", "email-domain", "in-path", "code", "bare", "bare-host", "link")
}
# decide() is not memoised: a report's values are distinct by construction, and across the 63 real
# reports of bench/ioc_peers.py --real a memo of 2,048 verdicts answered 340 of the 16,200
# questions (values recur from one report to the next with other signals or a raw spelling of
# their own): building and hashing its keys cost more than it saved (12 ms of 107 in rows()).


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
_C2_CAN_CHANGE = frozenset(
    ("plain", "not-defanged", "loose-defang", "reference-link", "outside-ioc-section", "schemeless")
)
_HASH_LABEL_WORDS = ("hash", "ssdeep", "tlsh", "ja3", "ja4")
_HASHES = frozenset((IndicatorType.MD5, IndicatorType.SHA1, IndicatorType.SHA256, IndicatorType.SHA512))


def collect(pieces: Iterable[tuple[int, str]]) -> dict[tuple[IndicatorType, str], Acc]:
    """Group occurrences by (type, value), with each value's first occurrence and context flags."""
    accs: dict[tuple[IndicatorType, str], Acc] = {}
    for base, piece in pieces:
        dig = build_digest(piece)
        sections = find_sections(piece)
        fanged, occs = scan(dig.text)
        maps = (fanged.new_starts, fanged.new_ends, fanged.old_starts, fanged.old_ends, fanged.loose)
        _group(accs, piece, base, occs, maps, dig.dstarts, dig.ostarts, sections.ioc, sections.refs, _CONSTS)
    return accs


Maps = tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[bool, ...]]
Spans = tuple[tuple[int, int], ...]


def _group_py(
    accs: dict[tuple[IndicatorType, str], Acc],
    piece: str,
    base: int,
    occs: list[tuple[int, int, IndicatorType, str, str]],
    maps: Maps,
    dstarts: tuple[int, ...],
    ostarts: tuple[int, ...],
    ioc: Spans,
    refs: Spans,
    consts: tuple[Any, ...],
) -> None:
    """Fold one piece's occurrences into ``accs`` (the C twin: _native/extract_group.c).

    Each span is mapped twice, refanged digest -> digest (``maps``: the replacements' new starts,
    new ends, old starts, old ends, loose flags) -> piece (the segments), then grouped by
    (type, value). ``consts``: (hash kinds, network kinds, IPV4, FILENAME, role sets,
    _hash_kind, version_context), the names the C twin is handed too."""
    hashes, net_types, ipv4, filename, role_sets, hash_kind, version_ctx = consts
    get = accs.get
    fns, fne, fos, foe, floose = maps
    nf = len(fns)
    whole = len(dstarts) == 1 and dstarts[0] == ostarts[0] == 0
    one_ioc = len(ioc) == 1  # the usual report: one IOC section, tested without a call
    ioc_lo, ioc_hi = ioc[0] if one_ioc else (0, 0)
    for s, e, kind, value, role in occs:
        defanged = loose = False
        if nf:
            i = bisect_right(fns, s) - 1
            if i + 1 < nf and fns[i + 1] < e:
                s, e, defanged, loose = _through_replacements(maps, s, e, i)
            elif i >= 0:
                # At most one replacement, the one at or before the start: the usual case,
                # settled with one bisection (the span either starts inside it or after it).
                if s < fne[i]:
                    defanged, loose = True, floose[i]
                    s, e = fos[i], foe[i] + (e - fne[i] if e > fne[i] else 0)
                else:
                    shift = foe[i] - fne[i]
                    s += shift
                    e += shift
        if not whole:
            k = bisect_right(dstarts, s) - 1
            shift = ostarts[k] - dstarts[k]
            s += shift
            e += shift
        if kind in hashes and s > 0:
            relabelled = hash_kind(piece, s, kind)
            if relabelled is None:
                continue  # an imphash or authentihash is not a file hash
            kind = relabelled
        if loose and kind is filename:
            continue  # "Look for .aspx or .jsp files": a guessed refang never makes a file name
        in_ioc = ioc_lo <= s < ioc_hi if one_ioc else bool(ioc) and _inside(ioc, s)
        key = (kind, value)
        acc = get(key)
        if acc is None:
            # The first occurrence (three in four of them are): its accumulator, built inline.
            accs[key] = acc = [
                base + s, base + e, piece[s:e], defanged, defanged and not loose, loose, in_ioc,
                bool(refs) and _inside(refs, s), kind is ipv4 and version_ctx(piece, s),
                role_sets.get(role) or frozenset((role,)), None,
            ]  # fmt: skip
        else:
            if base + s < acc[_START]:
                acc[_START], acc[_END], acc[_RAW] = base + s, base + e, piece[s:e]
            if defanged:
                acc[_DEFANGED] = True
                acc[_STRICT] = acc[_STRICT] or not loose
            acc[_ALL_LOOSE] = acc[_ALL_LOOSE] and loose
            acc[_IN_IOC] = acc[_IN_IOC] or in_ioc
            acc[_ALL_REFS] = acc[_ALL_REFS] and bool(refs) and _inside(refs, s)
            acc[_ALL_VERSION] = acc[_ALL_VERSION] and kind is ipv4 and version_ctx(piece, s)
            if role not in acc[_ROLES]:
                acc[_ROLES] = acc[_ROLES] | {role}
        if kind in net_types and not in_ioc and not defanged:
            _keep_plain(acc, piece, s, e)


def _through_replacements(maps: Maps, s: int, e: int, i: int) -> tuple[int, int, bool, bool]:
    """A span of the refanged text that a replacement starts inside (after its first character):
    (start, end) in the text before refanging, refanged, loosely refanged. ``i``: the index of the
    last replacement starting at or before ``s`` (-1 for none)."""
    fns, fne, fos, foe, floose = maps
    j = bisect_left(fns, e) - 1
    lo = i if i >= 0 and fne[i] > s else i + 1
    if i >= 0:
        s = fos[i] if s < fne[i] else foe[i] + (s - fne[i])
    e = foe[j] if e <= fne[j] else foe[j] + (e - fne[j])
    return s, e, True, True in floose[lo : j + 1]


def _hash_kind(piece: str, s: int, kind: IndicatorType) -> IndicatorType | None:
    """A digest's kind after its label: None for an imphash/authentihash, JA3 for a "JA3" MD5."""
    label = piece[max(0, s - 24) : s].lower()
    if ("hash" in label or "ssdeep" in label or "tlsh" in label or "ja" in label) and (
        m := HASH_LABEL_RE.search(piece, max(0, s - 24), s)
    ):
        if kind is not IndicatorType.MD5 or not m.group(0).lower().startswith("ja3"):
            return None
        return IndicatorType.JA3
    return kind


def _keep_plain(acc: Acc, piece: str, s: int, e: int) -> None:
    """Keep the sentence around a live network value, for the C2-context check: not the piece,
    so memory stays bounded on huge inputs. Up to three; the list is made only when needed."""
    plain = acc[_PLAIN]
    if plain is None or len(plain) < 3:
        lo = max(0, s - 220)
        snippet = (piece[lo : e + 140], s - lo, e - lo)
        if plain is None:
            acc[_PLAIN] = [snippet]
        else:
            plain.append(snippet)


# What the grouping loop reads besides the piece, handed to both twins as one tuple.
_CONSTS = (_HASHES, _NET_TYPES, IndicatorType.IPV4, IndicatorType.FILENAME, _ROLE_SETS, _hash_kind, version_context)
# The C twin of _group_py (src/huntfeed/_native/extract_group.c): the same loop without an
# interpreter step per occurrence; the Python one where it is not built or HUNTFEED_PURE=1.
_NATIVE = _load_native("extract_group")
_group: Callable[..., None] = _NATIVE.group if _NATIVE is not None else _group_py


# A frozen dataclass's __init__ sends every field through object.__setattr__ (2 us per value);
# writing the slots directly builds the same object in half the time.
_FIELDS = ("type", "value", "raw", "start", "end", "defanged", "fidelity", "reason")


def _indicators(found: list[Row]) -> tuple[Indicator, ...]:
    # huntfeed.model is imported here, not at start: `huntfeed extract` writes rows, never Indicators.
    from huntfeed.model import Indicator

    p: tuple[Callable[[Indicator, object], None], ...] = tuple(getattr(Indicator, f).__set__ for f in _FIELDS)
    new = object.__new__
    out = []
    for kind, value, raw, start, end, defanged, fidelity, reason in found:
        ind: Indicator = new(Indicator)
        p[0](ind, kind), p[1](ind, value), p[2](ind, raw), p[3](ind, start)
        p[4](ind, end), p[5](ind, defanged), p[6](ind, fidelity), p[7](ind, reason)
        out.append(ind)
    return tuple(out)


# One decided value, as the command line writes it: (type, value, raw, start, end, defanged,
# fidelity, reason). A plain tuple: `huntfeed extract` formats these without an Indicator each.
Row = tuple[IndicatorType, str, str, int, int, bool, Fidelity, str]


def rows(accs: dict[tuple[IndicatorType, str], Acc], *, all: bool, context: ExtractContext | None) -> list[Row]:
    """Decide fidelity for each grouped value: the rows, in order of first occurrence."""
    ctx = context or ExtractContext()
    policy = Policy(
        own_site=own_site_of(ctx.source_url),
        reference_domains=frozenset(d.lower().strip(".") for d in ctx.reference_domains if d),
        # map over itemgetter, not a generator: no interpreter step per value (16,200 per 63 reports)
        doc_defangs=any(map(itemgetter(_STRICT), accs.values())),
        doc_lists=any(map(itemgetter(_IN_IOC), accs.values())),
    )
    out: list[tuple[int, int, Row]] = []
    high, cve, order, rule_of = Fidelity.HIGH, IndicatorType.CVE, _TYPE_ORDER, RULE_OF
    for (kind, value), acc in accs.items():
        start, end, raw, defanged, _, all_loose, in_ioc, all_refs, all_version, roles, plain = acc
        if kind is cve:
            fidelity, reason = high, "cve"  # the one verdict a CVE id can get
        else:
            # Built as a tuple: the NamedTuple's own constructor is a Python call per value.
            sig = _new_tuple(
                Signals, (defanged, defanged and all_loose, in_ioc, all_refs, False, roles, all_version, raw)
            )
            fidelity, reason = rule_of[kind](value, sig, policy)  # decide(), one call less
            if plain and reason in _C2_CAN_CHANGE:
                for p, s, e in plain:
                    if c2_context(p, s, e):
                        fidelity, reason = decide(kind, value, sig._replace(c2=True), policy)
                        break
        if not all and fidelity is not high:
            continue
        out.append((start, order[kind], (kind, value, raw, start, end, defanged, fidelity, reason)))
    out.sort(key=_ORDER)
    return [t[2] for t in out]


def finish(
    accs: dict[tuple[IndicatorType, str], Acc], *, all: bool, context: ExtractContext | None
) -> tuple[Indicator, ...]:
    """Decide fidelity for each grouped value and build the Indicators."""
    return _indicators(rows(accs, all=all, context=context))


_ORDER = itemgetter(0, 1)
_new_tuple = tuple.__new__


def extract(text: str, *, all: bool = False, context: ExtractContext | None = None) -> tuple[Indicator, ...]:  # noqa: A002
    """Indicators in ``text``, one per distinct (type, value), in order of first occurrence."""
    return finish(collect(chunks(text)), all=all, context=context)
