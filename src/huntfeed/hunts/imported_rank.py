"""Which imported Sigma rules fire for a report, and in what order: gated, ranked, capped, counted.

A rule fires when one of its techniques is observed, its platform fits the report (hunts.platforms) and,
when it is written for a named malware, actor or CVE, the report names it. Fired rules are ranked by
how specific they are to this report: its named entity found, techniques observed, platform named, log
source implied, Sigma level. The last hunt kept says how many more were left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from huntfeed.hunts.imported import ImportedRule
from huntfeed.hunts.platforms import PlatformCues, cue_file, cue_pattern
from huntfeed.model import Hunt
from huntfeed.paths import package_data

MAX_IMPORTED = 8
# Points per kind of specificity; the named entity outweighs everything else together but a technique.
W_NAME = 4.0
W_TECHNIQUE = 3.0
W_PLATFORM_NAMED = 2.0
W_LOGSOURCE = 1.0
W_CUE = 1.0  # a web-attack rule's attack class named in the report
W_LEVEL = {"critical": 2.0, "high": 1.5, "medium": 1.0, "low": 0.5}


@dataclass(frozen=True, slots=True)
class RankedRule:
    rule: ImportedRule
    points: float
    reasons: tuple[str, ...]


@cache
def load_logsource_cues(path: Path | None = None) -> dict[str, re.Pattern[str]]:
    """Log-source cue words (default: the bundled ``hunts/logsources.yaml``); errors give file:line."""
    cues = cue_file(path or package_data("hunts", "logsources.yaml"))
    return {name: cue_pattern(list(words)) for name, words in cues.items()}


_SQUEEZE = re.compile(r"[\s_.\-]+")


def name_in_text(name: str, text: str, compact: str) -> bool:
    """A rule's named entity in the report: as a whole word, or with its spaces written out
    ("cobaltstrike" for "Cobalt Strike"), the latter only for names long enough not to occur by chance."""
    if re.search(r"(?<![a-z0-9])" + re.escape(name) + r"(?![a-z0-9])", text):
        return True
    squeezed = _SQUEEZE.sub("", name)  # compared as the text's compact form is built
    return len(squeezed) >= 6 and squeezed in compact


def _rank_one(rule: ImportedRule, observed: set[str], text: str, compact: str,
              platforms: PlatformCues, named: frozenset[str]) -> RankedRule | None:
    hits = [t for t in rule.techniques if t in observed]
    platform = rule.platform or rule.product
    if not hits or not platforms.fits(platform, text, named):
        return None
    found = [n for n in rule.names if name_in_text(n, text, compact)]
    if rule.names and not found:
        return None  # written for a named threat the report does not name
    cue = next((c for c in rule.cues if name_in_text(c, text, "")), "")
    if rule.cues and not cue:
        return None  # a web-attack rule whose attack class (or product) the report does not name
    points = W_TECHNIQUE * len(hits) + W_LEVEL.get(rule.level, 0.0)
    reasons = [f"technique {t} observed (imported Sigma rule)" for t in hits]
    if found:
        points += W_NAME
        reasons.append(f"'{found[0]}' named in the report (the rule is written for it)")
    if cue:
        points += W_CUE
        reasons.append(f"'{cue}' in the report (the web attack the rule detects)")
    if platform and (platform in named or (platform in platforms.clouds and platforms.cloud_named(platform, text))):
        points += W_PLATFORM_NAMED
        reasons.append(f"platform {platform} named in the report")
    cues = load_logsource_cues()
    source = next((s for s in (rule.category, rule.service) if s in cues and cues[s].search(text)), "")
    if source:
        points += W_LOGSOURCE
        reasons.append(f"log source {source} implied by the report")
    return RankedRule(rule, points, tuple(reasons))


def rank_imported(rules: tuple[ImportedRule, ...], observed: set[str], text: str, named: frozenset[str],
                  platforms: PlatformCues) -> list[RankedRule]:
    """Every imported rule that fires, most specific first (then higher level, then id)."""
    lowered = text.lower()
    compact = _SQUEEZE.sub("", lowered)
    ranked = [r for rule in rules if (r := _rank_one(rule, observed, lowered, compact, platforms, named))]
    return sorted(ranked, key=lambda r: (-r.points, r.rule.id))


def imported_hunts(rules: tuple[ImportedRule, ...], observed: set[str], text: str, named: frozenset[str],
                   platforms: PlatformCues, limit: int = MAX_IMPORTED) -> list[Hunt]:
    """The best ``limit`` imported rules as hunts; the last one says how many more fitted."""
    ranked = rank_imported(rules, observed, text, named, platforms)
    kept, left = ranked[:limit], len(ranked) - limit
    hunts = [_hunt(r) for r in kept]
    if left > 0 and hunts:
        note = (f"{left} more imported Sigma rule{'s' if left != 1 else ''} fitted this report and "
                f"{'were' if left != 1 else 'was'} left out (at most {limit}, most specific first)")
        hunts[-1] = replace(hunts[-1], reasons=(*hunts[-1].reasons, note))
    return hunts


def _hunt(r: RankedRule) -> Hunt:
    rule = r.rule
    return Hunt(
        use_case=rule.id,
        title=rule.title,
        phase=rule.phase,
        confidence=rule.confidence,
        queries=dict(rule.queries),
        kind="sigma-import",
        techniques=rule.techniques,
        reasons=r.reasons,
        description=rule.description,
    )
