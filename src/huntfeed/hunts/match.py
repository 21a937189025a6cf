"""Which use cases fire for a document, why, and in what order: a pure function of the evidence."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from huntfeed.hunts.usecase import UseCase
from huntfeed.model import IndicatorType

# Points per kind of evidence; only technique and phrase evidence can make a use case fire.
W_EXACT = 3.0
W_SUB_OBSERVED = 1.5  # the use case names a parent, the text a sub-technique of it
W_PARENT_OBSERVED = 1.0  # the use case names a sub-technique, the text only its parent
W_LISTED = 2.0  # the author's own mapping names the technique; the narrative did not confirm it
W_PHRASE = 1.0
W_CONTEXT = 0.5  # a product or platform name: rank only, never a reason to fire
MAX_PHRASES = 3
W_INDICATOR_TYPE = 0.5
W_CVE = 0.5
_CONFIDENCE_RANK = {"High": 0, "Medium": 1, "Low": 2}


@dataclass(frozen=True, slots=True)
class Evidence:
    """What a document offers the matcher, prepared once per document."""

    text: str  # lower-cased
    techniques: frozenset[str]
    indicator_types: frozenset[IndicatorType]
    mapped: frozenset[str] = frozenset()  # ids the article lists in its own ATT&CK mapping
    fits_platform: Callable[[str], bool] = lambda product: True  # a use case's Sigma product suits the article
    exploitation_denied: bool = False  # "no exploitation has been observed", or only hypothetical


@dataclass(frozen=True, slots=True)
class Fired:
    """One use case that fired, with its points and readable reasons."""

    usecase: UseCase
    points: float
    reasons: tuple[str, ...]


def phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    """One case-insensitive pattern matching any phrase as whole words."""
    if not phrases:
        return None
    alts = sorted((re.escape(p) for p in phrases), key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(alts) + r")(?![\w-])", re.IGNORECASE)


def match_usecase(uc: UseCase, ev: Evidence, pattern: re.Pattern[str] | None) -> Fired | None:
    """Score one use case against the evidence; None when it does not fire."""
    if not ev.fits_platform(uc.product) or (uc.triggers.exploitation and ev.exploitation_denied):
        return None
    points = 0.0
    reasons: list[str] = []
    exact = [t for t in uc.triggers.techniques if t in ev.techniques]
    for t in exact:
        points += W_EXACT
        reasons.append(f"technique {t} observed")
    listed = [t for t in uc.triggers.techniques if t in ev.mapped and t not in ev.techniques]
    for t in listed:
        points += W_LISTED
        reasons.append(f"technique {t} listed in the article's ATT&CK mapping")
    for t in uc.triggers.techniques:
        if t in ev.techniques or t in listed:  # credited above; a roll-up would count it twice
            continue
        # An observed sub-technique already credited exactly does not count again through its parent.
        if "." not in t and (subs := sorted(o for o in ev.techniques if o.startswith(t + ".") and o not in exact)):
            points += W_SUB_OBSERVED
            reasons.append(f"sub-technique {subs[0]} of {t} observed")
        elif "." in t and t.split(".")[0] in ev.techniques and t.split(".")[0] not in exact:
            points += W_PARENT_OBSERVED
            reasons.append(f"parent technique {t.split('.')[0]} observed (use case targets {t})")
    if pattern is not None:
        found: list[str] = []
        for m in pattern.finditer(ev.text):
            phrase = m.group().lower()
            if phrase not in found:
                found.append(phrase)
            if len(found) >= MAX_PHRASES:
                break
        points += W_PHRASE * len(found)
        reasons += [f"phrase '{p}' in text" for p in found]
    # Firing needs direct evidence: an exact technique or a phrase. A parent or sub-technique seen
    # elsewhere only adds weight (an NTDS dump says nothing about LSASS), and a tool-specific use
    # case needs its tool named.
    direct = bool(exact) or bool(listed) or any(r.startswith("phrase ") for r in reasons)
    phrased = any(r.startswith("phrase ") for r in reasons)
    if not direct or (uc.triggers.require_phrase and not phrased):
        return None
    context = [c for c in uc.triggers.context if phrase_pattern((c,)).search(ev.text)]  # type: ignore[union-attr]
    if context:
        points += W_CONTEXT
        reasons.append(f"context '{context[0]}' in text")
    types = [t for t in uc.triggers.indicator_types if t in ev.indicator_types]
    if types:
        points += W_INDICATOR_TYPE * len(types)
        reasons.append("indicators of type " + ", ".join(str(t) for t in types) + " present")
    if uc.triggers.cve and IndicatorType.CVE in ev.indicator_types:
        points += W_CVE
        reasons.append("CVE identifier(s) present")
    return Fired(uc, points, tuple(reasons))


def rank(fired: list[Fired]) -> list[Fired]:
    """Best first: alert-grade before audit-grade, more points, higher confidence, then id (stable)."""
    return sorted(
        fired,
        key=lambda f: (
            f.usecase.grade == "audit",
            -f.points,
            _CONFIDENCE_RANK.get(f.usecase.confidence, 3),
            f.usecase.id,
        ),
    )


def fill_slots(ranked: list[Fired], limit: int) -> list[Fired]:
    """The first ``limit`` behaviours of a ranked list, each with the twins of its group right after it.

    A group's best-ranked member takes the slot; its other members (the same behaviour in another log
    source) follow it without taking one, so two forms of one hunt never push a third behaviour out.
    """
    slots: dict[str, list[Fired]] = {}
    for f in ranked:
        key = f.usecase.group or f.usecase.id
        if key in slots:
            slots[key].append(f)
        elif len(slots) < limit:
            slots[key] = [f]
    return [f for members in slots.values() for f in members]
