"""The analyst's judgement, remembered: values marked as false positives, techniques "not in this report".

Rules live in the store (``feedback`` table); each analysis reads them and applies them here,
as pure functions: a marked value becomes low fidelity with reason ``analyst:false-positive``
(so no sweep, no export as an indicator), a technique marked for a profile leaves its observed
techniques (and the kill-chain phases only it supported). Rules travel between teams as a
JSON file (schema ``huntfeed.feedback/1``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from huntfeed.errors import ConfigError
from huntfeed.model import Fidelity, Indicator, IndicatorType, Inference, Profile

FALSE_POSITIVE, NOT_IN_REPORT = "false-positive", "not-in-report"
KINDS = (FALSE_POSITIVE, NOT_IN_REPORT)
SCOPES = ("global", "feed", "profile")
REASON = "analyst:false-positive"
SCHEMA = "huntfeed.feedback/1"
_TECHNIQUE = re.compile(r"^T\d{4}(\.\d{3})?$")


@dataclass(frozen=True, slots=True)
class FeedbackRule:
    """One judgement: a value (or technique) and where it holds."""

    kind: str
    value: str
    type: str = ""  # indicator type for a false positive; "" matches any type
    scope: str = "global"
    target: str = ""  # the feed URL (scope feed) or profile id (scope profile)
    reason: str = ""
    created_at: datetime | None = None
    n: int = 0

    def holds_for(self, profile_id: str, feed_url: str) -> bool:
        """True when the rule's scope includes this profile."""
        return (self.scope == "global" or (self.scope == "feed" and self.target == feed_url)
                or (self.scope == "profile" and self.target == profile_id))


def make_rule(kind: str, value: str, *, type: str = "", scope: str = "global", target: str = "",
              reason: str = "", created_at: datetime | None = None, where: str = "") -> FeedbackRule:
    """A checked rule: known kind, scope and type, a target where the scope needs one, a reason."""
    value = value.strip()
    if kind not in KINDS:
        raise ConfigError(f"feedback kind must be one of {', '.join(KINDS)}, not {kind!r}", where=where)
    if scope not in SCOPES:
        raise ConfigError(f"scope must be one of {', '.join(SCOPES)}, not {scope!r}", where=where)
    if not value:
        raise ConfigError("a feedback rule needs a value", where=where)
    if scope != "global" and not target.strip():
        raise ConfigError(f"scope {scope} needs a target ({'feed URL' if scope == 'feed' else 'profile id'})",
                          where=where)
    if not reason.strip():
        raise ConfigError("say why (--reason): the next analyst reads it", where=where)
    if kind == NOT_IN_REPORT:
        value = value.upper()
        if not _TECHNIQUE.match(value):
            raise ConfigError(f"{value!r} is not an ATT&CK technique id", where=where)
        type = ""
    elif type:
        try:
            IndicatorType(type)
        except ValueError:
            raise ConfigError(f"unknown indicator type {type!r}", where=where) from None
    return FeedbackRule(kind, value if kind == NOT_IN_REPORT else value.lower(), type,
                        scope, target.strip() if scope != "global" else "", reason.strip(), created_at)


def rules_for(rules: Iterable[FeedbackRule], profile_id: str, feed_url: str) -> tuple[FeedbackRule, ...]:
    """The rules that hold for one article."""
    return tuple(r for r in rules if r.holds_for(profile_id, feed_url))


def _marked(ind: Indicator, rules: tuple[FeedbackRule, ...]) -> bool:
    value = ind.value.lower()
    return any(r.kind == FALSE_POSITIVE and r.value == value and (not r.type or r.type == ind.type.value)
               for r in rules)


def apply_to_indicators(indicators: tuple[Indicator, ...], rules: tuple[FeedbackRule, ...]) -> tuple[Indicator, ...]:
    """Values the analyst marked become low fidelity, with the reason saying who decided."""
    return tuple(replace(i, fidelity=Fidelity.LOW, reason=REASON) if _marked(i, rules) else i for i in indicators)


def apply_to_inference(inference: Inference, rules: tuple[FeedbackRule, ...],
                       phases: Callable[[Iterable[str]], tuple[str, ...]]) -> Inference:
    """Techniques marked "not in this report" leave the observed and listed ones; phases follow."""
    dropped = {r.value for r in rules if r.kind == NOT_IN_REPORT}
    if not dropped or not any(t.id in dropped for t in (*inference.observed, *inference.source_mapped)):
        return inference
    observed = tuple(t for t in inference.observed if t.id not in dropped)
    return replace(inference, observed=observed,
                   source_mapped=tuple(t for t in inference.source_mapped if t.id not in dropped),
                   kill_chain_phases=phases(tac for t in observed for tac in t.tactics))


def changes_profile(profile: Profile, rules: tuple[FeedbackRule, ...]) -> bool:
    """True when a rule would change this stored profile (a high value to demote, a technique to drop)."""
    if any(i.fidelity is Fidelity.HIGH and _marked(i, rules) for i in profile.indicators):
        return True
    dropped = {r.value for r in rules if r.kind == NOT_IN_REPORT}
    return any(t.id in dropped for t in (*profile.inference.observed, *profile.inference.source_mapped))


def rule_to_dict(r: FeedbackRule) -> dict[str, Any]:
    """The file form of a rule."""
    return {"kind": r.kind, "value": r.value, "type": r.type, "scope": r.scope, "target": r.target,
            "reason": r.reason, "created_at": r.created_at.isoformat() if r.created_at else None}


def dumps(rules: Iterable[FeedbackRule]) -> str:
    """Rules as a shareable JSON file."""
    return json.dumps({"schema": SCHEMA, "rules": [rule_to_dict(r) for r in rules]}, indent=2) + "\n"


def loads(text: str, where: str) -> list[FeedbackRule]:
    """Rules from a file written by ``dumps``; any bad rule is an error naming its position."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"not JSON: {exc}", where=where) from exc
    if not isinstance(doc, Mapping) or doc.get("schema") != SCHEMA or not isinstance(doc.get("rules"), list):
        raise ConfigError(f"not a huntfeed feedback file (expected schema {SCHEMA} and a rules list)", where=where)
    out = []
    for n, raw in enumerate(doc["rules"], start=1):
        at = f"{where} rule {n}"
        if not isinstance(raw, Mapping) or not all(isinstance(raw.get(k, ""), str) for k in
                                                   ("kind", "value", "type", "scope", "target", "reason")):
            raise ConfigError("a rule is an object of strings", where=at)
        created = raw.get("created_at")
        try:
            when = datetime.fromisoformat(created) if isinstance(created, str) else None
        except ValueError:
            raise ConfigError(f"created_at {created!r} is not an ISO date", where=at) from None
        out.append(make_rule(raw.get("kind", ""), raw.get("value", ""), type=raw.get("type", ""),
                             scope=raw.get("scope", "global"), target=raw.get("target", ""),
                             reason=raw.get("reason", ""), created_at=when, where=at))
    return out


def effective(rules: tuple[FeedbackRule, ...], indicators: tuple[Indicator, ...],
              inference: Inference) -> tuple[FeedbackRule, ...]:
    """The rules that changed something in this analysis (before they were applied)."""
    techniques = {t.id for t in (*inference.observed, *inference.source_mapped)}
    return tuple(r for r in rules if (r.kind == NOT_IN_REPORT and r.value in techniques)
                 or (r.kind == FALSE_POSITIVE and any(_marked(i, (r,)) for i in indicators)))


def feedback_hash(content_hash: str, rules: tuple[FeedbackRule, ...]) -> str:
    """A profile's content hash: the article's, extended by the rules applied to it (so a judgement makes a version)."""
    if not rules:
        return content_hash
    keys = sorted(f"{r.kind}\x00{r.value}\x00{r.type}\x00{r.scope}\x00{r.target}" for r in rules)
    return hashlib.sha256("\x01".join([content_hash, *keys]).encode("utf-8", "surrogatepass")).hexdigest()
