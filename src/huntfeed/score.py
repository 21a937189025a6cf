"""Severity: a pure function of the evidence, weighted by a rubric kept as data (data/rubric.yaml)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from huntfeed.errors import DataFileError
from huntfeed.hunts.kev import load_kev
from huntfeed.hunts.yamlfile import LineDict, load_yaml
from huntfeed.indicators import WEAK, is_ioc
from huntfeed.model import Hunt, Indicator, IndicatorType, Inference, RelevanceMatch, Score, Severity
from huntfeed.paths import package_data

__all__ = ["Floor", "Rubric", "load_kev", "load_rubric", "score"]

WEIGHT_KEYS = (
    "usecase",
    "usecase_high_confidence",
    "usecase_cap",
    "technique",
    "technique_cap",
    "indicator_type",
    "indicator_type_cap",
    "indicators_many",
    "indicators_many_at",
    "cve",
    "cve_cap",
    "cve_in_kev",
    "kev_cap",
    "exploited_language",
    "ransomware_language",
    "destructive_language",
)
# Optional weights and their defaults: imported Sigma rules leave severity alone unless the analyst sets 1.
OPTIONAL_WEIGHTS = {"imported_rules_count": 0.0}
SIGNALS = (
    "usecase",
    "technique",
    "indicator",
    "cve",
    "cve_in_kev",
    "exploited_language",
    "ransomware_language",
    "destructive_language",
)
RELIABILITY_NAMES = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "reliability cannot be judged",
}
_CVE_RE = re.compile(r"\bCVE-\d{4}-\d{4,7}\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Floor:
    """A minimum severity applied when all ``when`` signals are present."""

    when: tuple[str, ...]
    min: Severity


@dataclass(frozen=True, slots=True)
class Rubric:
    """Weights, thresholds, floors and phrase lists for scoring."""

    thresholds: dict[Severity, float]
    weights: dict[str, float]
    reliability: dict[str, float]
    floors: tuple[Floor, ...]
    exploited_phrases: tuple[str, ...]
    ransomware_phrases: tuple[str, ...]
    destructive_phrases: tuple[str, ...] = ()
    # CRITICAL is for what cannot wait: points alone reach at most HIGH unless one of these is present.
    critical_requires: tuple[str, ...] = ()
    # A story that names ransomware once in passing is not a ransomware story.
    min_mentions: dict[str, int] = field(default_factory=dict)
    # Points when an article touches the team's environment (product, sector, region); see _relevance.
    relevance: dict[str, float] = field(default_factory=dict)


def _num(doc: LineDict, key: str, where: str) -> float:
    value = doc.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DataFileError(f"{key!r} must be a number", where=f"{where}:{doc.line_of(key)}")
    return float(value)


def _mapping(doc: Any, key: str, where: str) -> LineDict:
    value = doc.get(key) if isinstance(doc, LineDict) else None
    if not isinstance(value, LineDict):
        line = doc.line_of(key) if isinstance(doc, LineDict) else 1
        raise DataFileError(f"{key!r} must be a mapping", where=f"{where}:{line}")
    return value


def load_rubric(path: Path | None = None) -> Rubric:
    """Load and check the rubric (default: the bundled data/rubric.yaml); errors carry file:line."""
    path = path or package_data("rubric.yaml")
    where = str(path)
    doc = load_yaml(path)
    if not isinstance(doc, LineDict):
        raise DataFileError("the rubric must be a mapping", where=f"{where}:1")
    for key in doc:
        if key not in ("thresholds", "weights", "reliability", "floors", "phrases", "critical_requires",
                       "min_mentions", "relevance"):
            raise DataFileError(f"unknown key {key!r}", where=f"{where}:{doc.line_of(key)}")
    th = _mapping(doc, "thresholds", where)
    thresholds = {}
    for sev in (Severity.CRITICAL, Severity.HIGH, Severity.MED):
        if sev.value not in th:
            raise DataFileError(f"missing threshold {sev.value}", where=f"{where}:{th.line}")
        thresholds[sev] = _num(th, sev.value, where)
    for key in th:
        if key not in ("CRITICAL", "HIGH", "MED"):
            raise DataFileError(f"unknown severity {key!r}", where=f"{where}:{th.line_of(key)}")
    if not thresholds[Severity.CRITICAL] > thresholds[Severity.HIGH] > thresholds[Severity.MED]:
        raise DataFileError("thresholds must satisfy CRITICAL > HIGH > MED", where=f"{where}:{th.line}")
    w = _mapping(doc, "weights", where)
    for key in w:
        if key not in WEIGHT_KEYS and key not in OPTIONAL_WEIGHTS:
            raise DataFileError(f"unknown weight {key!r}", where=f"{where}:{w.line_of(key)}")
    missing = [k for k in WEIGHT_KEYS if k not in w]
    if missing:
        raise DataFileError(f"missing weight(s): {', '.join(missing)}", where=f"{where}:{w.line}")
    weights = {k: _num(w, k, where) for k in WEIGHT_KEYS}
    weights |= {k: _num(w, k, where) if k in w else v for k, v in OPTIONAL_WEIGHTS.items()}
    rel = _mapping(doc, "reliability", where)
    reliability = {}
    for key in rel:
        if key not in RELIABILITY_NAMES:
            raise DataFileError(
                f"reliability grades are A..F, not {key!r}", where=f"{where}:{rel.line_of(key)}"
            )
        reliability[key] = _num(rel, key, where)
    floors = _floors(doc, where)
    ph = _mapping(doc, "phrases", where)
    lists = {}
    for key in ("exploited", "ransomware", "destructive"):
        value = ph.get(key)
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(p, str) and p.strip() for p in value)
        ):
            raise DataFileError(
                f"phrases.{key} must be a non-empty list of strings", where=f"{where}:{ph.line_of(key)}"
            )
        lists[key] = tuple(p.strip().lower() for p in value)
    requires = doc.get("critical_requires", [])
    if not isinstance(requires, list) or not all(r in SIGNALS for r in requires):
        raise DataFileError(
            f"'critical_requires' must list signals among {', '.join(SIGNALS)}",
            where=f"{where}:{doc.line_of('critical_requires')}",
        )
    mm = doc.get("min_mentions", {})
    if not isinstance(mm, dict) or not all(
        k in SIGNALS and isinstance(v, int) and not isinstance(v, bool) and v >= 1 for k, v in mm.items()
    ):
        raise DataFileError("'min_mentions' maps language signals to counts >= 1",
                            where=f"{where}:{doc.line_of('min_mentions')}")
    return Rubric(thresholds, weights, reliability, floors, lists["exploited"], lists["ransomware"],
                  lists["destructive"], tuple(requires), {str(k): int(v) for k, v in mm.items()},
                  _relevance_weights(doc, where))


RELEVANCE_KINDS = ("product", "sector", "region")


def _relevance_weights(doc: LineDict, where: str) -> dict[str, float]:
    if "relevance" not in doc:
        return {}
    rel = _mapping(doc, "relevance", where)
    for key in rel:
        if key not in RELEVANCE_KINDS:
            raise DataFileError(f"relevance kinds are {', '.join(RELEVANCE_KINDS)}, not {key!r}",
                                where=f"{where}:{rel.line_of(key)}")
    return {k: _num(rel, k, where) for k in rel}


def _relevance(matches: tuple[RelevanceMatch, ...], rubric: Rubric) -> tuple[float, list[str]]:
    """One rubric line per kind of match (product, sector, region), each counted once."""
    points, reasons = 0.0, []
    for kind in RELEVANCE_KINDS:
        found = [m for m in matches if m.kind == kind]
        pts = rubric.relevance.get(kind, 0.0)
        if found:
            points += pts
            said = "; ".join(f"{m.name}: {m.reason}" for m in found)
            reasons.append(f"Relevance to you ({kind}): {said} (+{pts:g}).")
    return points, reasons


def _floors(doc: LineDict, where: str) -> tuple[Floor, ...]:
    raw = doc.get("floors", [])
    if not isinstance(raw, list):
        raise DataFileError("'floors' must be a list", where=f"{where}:{doc.line_of('floors')}")
    out = []
    for item in raw:
        if not isinstance(item, LineDict):
            raise DataFileError(
                "each floor is a mapping with 'when' and 'min'", where=f"{where}:{doc.line_of('floors')}"
            )
        when = item.get("when")
        if not isinstance(when, list) or not when or not all(s in SIGNALS for s in when):
            raise DataFileError(
                f"'when' must list signals among {', '.join(SIGNALS)}",
                where=f"{where}:{item.line_of('when')}",
            )
        try:
            minimum = Severity(item.get("min"))
        except ValueError:
            raise DataFileError(
                "'min' must be LOW, MED, HIGH or CRITICAL", where=f"{where}:{item.line_of('min')}"
            ) from None
        out.append(Floor(tuple(when), minimum))
    return tuple(out)


def _find_phrase(text: str, phrases: tuple[str, ...], min_mentions: int = 1) -> str:
    """The first phrase found, once the phrases together occur at least ``min_mentions`` times."""
    found = ""
    mentions = 0
    for phrase in phrases:
        if phrase not in text:  # a plain substring test first: the boundary pattern is a slow scan
            continue
        n = len(re.findall(r"(?<![\w-])" + re.escape(phrase) + r"(?![\w-])", text))
        if n and not found:
            found = phrase
        mentions += n
    return found if mentions >= min_mentions else ""


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def score(
    *,
    text: str,
    indicators: tuple[Indicator, ...],
    inference: Inference,
    hunts: tuple[Hunt, ...],
    source_reliability: str,
    rubric: Rubric,
    kev: frozenset[str],
    relevance: tuple[RelevanceMatch, ...] = (),
) -> Score:
    """Severity and a readable sentence for every piece of evidence that counted."""
    w = rubric.weights
    points = 0.0
    reasons: list[str] = []
    signals: set[str] = set()
    lower = text.lower()

    imported_count = w.get("imported_rules_count", 0.0) > 0
    cases = [h for h in hunts if h.kind == "usecase" or (h.kind == "sigma-import" and imported_count)]
    if cases:
        slots: dict[str, bool] = {}  # behaviour -> any of its hunts High confidence; a group's twins count once
        for h in cases:
            slots[h.group or h.use_case] = slots.get(h.group or h.use_case, False) or h.confidence == "High"
        counted = list(slots.values())[: int(w["usecase_cap"])]
        pts = w["usecase"] * len(counted) + w["usecase_high_confidence"] * sum(counted)
        points += pts
        signals.add("usecase")
        names = "; ".join(f"{h.use_case} ({h.title}, {h.confidence} confidence)" for h in cases)
        twins = f" ({len(slots)} behaviours: a group's twins count once)" if len(slots) < len(cases) else ""
        reasons.append(f"{_plural(len(cases), 'use case')} fired{twins}: {names} (+{pts:g}).")

    techs = inference.observed
    if techs:
        pts = w["technique"] * min(len(techs), int(w["technique_cap"]))
        points += pts
        signals.add("technique")
        listed = ", ".join(f"{t.id} {t.name}".strip() for t in techs[:8]) + (
            ", ..." if len(techs) > 8 else ""
        )
        reasons.append(
            f"{_plural(len(techs), 'ATT&CK technique')} observed in the text: {listed} (+{pts:g})."
        )

    by_type: dict[str, set[str]] = {}
    for ind in indicators:
        # CVE and ATT&CK ids are no indicators; a bare file name never scores on its own.
        if is_ioc(ind) and ind.type not in WEAK:
            by_type.setdefault(str(ind.type), set()).add(ind.value.lower())
    if by_type:
        total = sum(len(v) for v in by_type.values())
        pts = w["indicator_type"] * min(len(by_type), int(w["indicator_type_cap"])) + (
            w["indicators_many"] if total >= w["indicators_many_at"] else 0.0
        )
        points += pts
        signals.add("indicator")
        detail = ", ".join(
            f"{len(v)} {t}" for t, v in sorted(by_type.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        )
        reasons.append(f"{_plural(total, 'high-fidelity indicator')} to hunt on: {detail} (+{pts:g}).")
    else:
        reasons.append("No high-fidelity indicators in the text analysed.")

    cves = sorted(
        {i.value.upper() for i in indicators if i.type is IndicatorType.CVE}
        | {m.upper() for m in _CVE_RE.findall(text)}
    )
    if cves:
        in_kev = [c for c in cves if c in kev]
        pts = w["cve"] * min(len(cves), int(w["cve_cap"])) + w["cve_in_kev"] * min(
            len(in_kev), int(w["kev_cap"])
        )
        points += pts
        signals.add("cve")
        if in_kev:
            signals.add("cve_in_kev")
            others = [c for c in cves if c not in in_kev]
            tail = f"; not listed: {', '.join(others)}" if others else ""
            reasons.append(
                f"{_plural(len(cves), 'CVE')} named; in CISA's Known Exploited Vulnerabilities catalog: "
                f"{', '.join(in_kev)}{tail} (+{pts:g})."
            )
        else:
            note = "" if kev else " (no KEV catalog loaded: run `huntfeed kev update`)"
            reasons.append(
                f"{_plural(len(cves), 'CVE')} named, none in CISA's KEV catalog{note}: "
                f"{', '.join(cves)} (+{pts:g})."
            )

    for signal, phrases, label in (
        ("exploited_language", rubric.exploited_phrases, "Exploitation-in-the-wild language"),
        ("ransomware_language", rubric.ransomware_phrases, "Ransomware language"),
        ("destructive_language", rubric.destructive_phrases, "Destructive-attack language"),
    ):
        found = _find_phrase(lower, phrases, rubric.min_mentions.get(signal, 1))
        if found:
            points += w[signal]
            signals.add(signal)
            reasons.append(f"{label} found: '{found}' (+{w[signal]:g}).")

    if relevance:
        pts, lines = _relevance(relevance, rubric)
        points += pts
        reasons.extend(lines)

    grade = (source_reliability or "F").strip().upper()[:1]
    rel = rubric.reliability.get(grade, 0.0)
    points += rel
    reasons.append(f"Source reliability {grade} ({RELIABILITY_NAMES.get(grade, 'unknown grade')}): {rel:+g}.")

    severity = Severity.LOW
    for sev in (Severity.CRITICAL, Severity.HIGH, Severity.MED):
        if points >= rubric.thresholds[sev]:
            severity = sev
            break
    reasons.append(
        f"Total {points:g} points: {severity} (MED from {rubric.thresholds[Severity.MED]:g}, "
        f"HIGH from {rubric.thresholds[Severity.HIGH]:g}, "
        f"CRITICAL from {rubric.thresholds[Severity.CRITICAL]:g})."
    )
    if severity is Severity.CRITICAL and rubric.critical_requires and not signals & set(rubric.critical_requires):
        severity = Severity.HIGH
        reasons.append(
            "Held at HIGH: CRITICAL also needs one of "
            + ", ".join(s.replace("_", " ") for s in rubric.critical_requires)
            + "."
        )
    for floor in rubric.floors:
        if floor.min.rank > severity.rank and all(s in signals for s in floor.when):
            severity = floor.min
            reasons.append(
                f"Raised to {severity}: rubric floor for "
                f"{' + '.join(s.replace('_', ' ') for s in floor.when)}."
            )
    return Score(severity=severity, reasons=tuple(reasons), points=round(points, 2))
