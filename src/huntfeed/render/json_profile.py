"""The JSON profile: a documented, versioned schema and a lossless round trip.

Schema ``huntfeed.profile/1`` (see docs/profile-schema.md). Adding a field with a default is a
compatible change; renaming or removing one bumps the schema number.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from huntfeed.errors import ParseError
from huntfeed.model import (
    ActorHit,
    Change,
    Evidence,
    Fidelity,
    Hunt,
    HuntLabel,
    Indicator,
    IndicatorType,
    Inference,
    Profile,
    Relevance,
    RelevanceMatch,
    Score,
    Severity,
    StorySource,
    TechniqueHit,
    TextSource,
)

SCHEMA = "huntfeed.profile/1"


def _dt(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse_dt(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _evidence(items: Sequence[Evidence]) -> list[dict[str, Any]]:
    return [{"text": e.text, "start": e.start, "end": e.end, **({"note": e.note} if e.note else {})} for e in items]


def _technique(t: TechniqueHit) -> dict[str, Any]:
    return {
        "id": t.id,
        "name": t.name,
        "tactics": list(t.tactics),
        "confidence": round(t.confidence, 3),
        "methods": list(t.methods),
        "evidence": _evidence(t.evidence),
    }


def relevance_to_dict(r: Relevance) -> dict[str, Any]:
    """The "relevance to us" part: matches with reasons and sentences, and every hunt's label."""
    return {
        "environment": r.environment,
        "affects_us": r.affects_us,
        "matches": [{"kind": m.kind, "name": m.name, "reason": m.reason, "evidence": m.evidence} for m in r.matches],
        "hunts": [{"use_case": h.use_case, "label": h.label, "detail": h.detail, "sources": list(h.sources),
                   **({"rule": h.rule} if h.rule else {})} for h in r.hunts],
    }


def _relevance_from(d: Any) -> Relevance | None:
    if not d:
        return None
    return Relevance(
        environment=d.get("environment", ""),
        matches=tuple(RelevanceMatch(m["kind"], m["name"], m["reason"], m.get("evidence", ""))
                      for m in d.get("matches", ())),
        hunts=tuple(HuntLabel(h["use_case"], h["label"], h.get("detail", ""), tuple(h.get("sources", ())),
                              h.get("rule", "")) for h in d.get("hunts", ())),
    )


def profile_to_dict(p: Profile) -> dict[str, Any]:
    """The JSON-ready form of a profile (schema ``huntfeed.profile/1``)."""
    out = _profile_dict(p)
    if p.relevance is not None:  # only with an environment file: without one the JSON is as before
        out["relevance"] = relevance_to_dict(p.relevance)
    return out


def _profile_dict(p: Profile) -> dict[str, Any]:
    inf = p.inference
    out: dict[str, Any] = {
        "schema": SCHEMA,
        "id": p.id,
        "version": p.version,
        "title": p.title,
        "source": p.source,
        "feed_url": p.feed_url,
        "published": _dt(p.published),
        "url": p.url,
        "summary": p.summary,
        "text_source": p.text_source.value,
        "content_hash": p.content_hash,
        "analysed_at": _dt(p.analysed_at),
        "severity": p.score.severity.value,
        "severity_points": round(p.score.points, 2),
        "severity_reasons": list(p.score.reasons),
        "attack_version": inf.attack_version,
        "indicators": [
            {
                "type": i.type.value,
                "value": i.value,
                "raw": i.raw,
                "start": i.start,
                "end": i.end,
                "defanged": i.defanged,
                "fidelity": i.fidelity.value,
                "reason": i.reason,
            }
            for i in p.indicators
        ],
        "techniques": [_technique(t) for t in inf.observed],
        "associated_techniques": [_technique(t) for t in inf.associated],
        "source_mapped_techniques": [_technique(t) for t in inf.source_mapped],
        "actors": [
            {
                "stix_id": a.stix_id,
                "name": a.name,
                "kind": a.kind,
                "matched": a.matched,
                "attack_id": a.attack_id,
                "evidence": _evidence(a.evidence),
            }
            for a in inf.actors
        ],
        "kill_chain_phases": list(inf.kill_chain_phases),
        "hunts": [
            {
                "use_case": h.use_case,
                "title": h.title,
                "kind": h.kind,
                "phase": h.phase,
                "confidence": h.confidence,
                "techniques": list(h.techniques),
                "reasons": list(h.reasons),
                "description": h.description,
                "false_positives": h.false_positives,
                "queries": dict(h.queries),
            }
            for h in p.hunts
        ],
        "changes": [{"kind": c.kind, "detail": c.detail} for c in p.changes],
        # Only when present, so profiles without them keep their exact form.
        **({"notes": list(p.notes)} if p.notes else {}),
        **({"also_sources": list(p.also_sources)} if p.also_sources else {}),
    }
    if p.sources:  # only merged stories carry it: single-source profiles keep their old shape
        out["sources"] = [{"url": s.url, "source": s.source, "title": s.title, "published": _dt(s.published),
                     "text_chars": s.text_chars, "similarity": s.similarity} for s in p.sources]
    return out


def _evidence_from(items: Any) -> tuple[Evidence, ...]:
    return tuple(Evidence(e["text"], int(e["start"]), int(e["end"]), e.get("note", "")) for e in items or ())


def _technique_from(t: Mapping[str, Any]) -> TechniqueHit:
    return TechniqueHit(
        id=t["id"],
        name=t.get("name", ""),
        tactics=tuple(t.get("tactics", ())),
        confidence=float(t.get("confidence", 0.0)),
        methods=tuple(t.get("methods", ())),
        evidence=_evidence_from(t.get("evidence")),
    )


def profile_from_dict(d: Mapping[str, Any]) -> Profile:
    """Rebuild a profile from its JSON form; a wrong schema or missing key is a ParseError."""
    if d.get("schema") != SCHEMA:
        raise ParseError(f"unsupported profile schema {d.get('schema')!r} (expected {SCHEMA})")
    try:
        inference = Inference(
            observed=tuple(_technique_from(t) for t in d.get("techniques", ())),
            associated=tuple(_technique_from(t) for t in d.get("associated_techniques", ())),
            source_mapped=tuple(_technique_from(t) for t in d.get("source_mapped_techniques", ())),
            actors=tuple(
                ActorHit(
                    stix_id=a["stix_id"],
                    name=a["name"],
                    kind=a["kind"],
                    matched=a.get("matched", ""),
                    attack_id=a.get("attack_id", ""),
                    evidence=_evidence_from(a.get("evidence")),
                )
                for a in d.get("actors", ())
            ),
            kill_chain_phases=tuple(d.get("kill_chain_phases", ())),
            attack_version=d.get("attack_version", ""),
        )
        return Profile(
            id=d["id"],
            version=int(d["version"]),
            title=d["title"],
            source=d.get("source", ""),
            published=_parse_dt(d.get("published")),
            url=d.get("url", ""),
            summary=d.get("summary", ""),
            text_source=TextSource(d["text_source"]),
            score=Score(
                Severity(d["severity"]),
                tuple(d.get("severity_reasons", ())),
                float(d.get("severity_points", 0.0)),
            ),
            indicators=tuple(
                Indicator(
                    type=IndicatorType(i["type"]),
                    value=i["value"],
                    raw=i.get("raw", i["value"]),
                    start=int(i.get("start", 0)),
                    end=int(i.get("end", 0)),
                    defanged=bool(i.get("defanged", False)),
                    fidelity=Fidelity(i.get("fidelity", "high")),
                    reason=i.get("reason", ""),
                )
                for i in d.get("indicators", ())
            ),
            inference=inference,
            hunts=tuple(
                Hunt(
                    use_case=h["use_case"],
                    title=h["title"],
                    phase=h.get("phase", ""),
                    confidence=h.get("confidence", ""),
                    queries=dict(h.get("queries", {})),
                    kind=h.get("kind", "usecase"),
                    techniques=tuple(h.get("techniques", ())),
                    reasons=tuple(h.get("reasons", ())),
                    description=h.get("description", ""),
                    false_positives=h.get("false_positives", ""),
                )
                for h in d.get("hunts", ())
            ),
            content_hash=d.get("content_hash", ""),
            analysed_at=_parse_dt(d.get("analysed_at")) or datetime.fromtimestamp(0),
            changes=tuple(Change(c["kind"], c["detail"]) for c in d.get("changes", ())),
            feed_url=d.get("feed_url", ""),
            relevance=_relevance_from(d.get("relevance")),
            sources=tuple(StorySource(s["url"], s["source"], s.get("title", ""), _parse_dt(s.get("published")),
                                      int(s.get("text_chars", 0)), float(s.get("similarity", 1.0)))
                          for s in d.get("sources", ())),
            notes=tuple(str(n) for n in d.get("notes", ())),
            also_sources=tuple(str(n) for n in d.get("also_sources", ())),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ParseError(f"malformed profile JSON: {exc!r}", where=str(d.get("id", ""))) from exc


def render(profile: Profile) -> str:
    """One profile as pretty JSON."""
    return json.dumps(profile_to_dict(profile), indent=2, ensure_ascii=False) + "\n"


def render_many(profiles: Sequence[Profile]) -> str:
    """Several profiles as one JSON array."""
    return json.dumps([profile_to_dict(p) for p in profiles], indent=2, ensure_ascii=False) + "\n"
