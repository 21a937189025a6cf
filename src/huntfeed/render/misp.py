"""MISP event JSON built with PyMISP's object model (no MISP server needed).

One profile gives ``{"Event": ...}``, the body MISP's event import takes; several give
``{"response": [{"Event": ...}, ...]}``, the shape of MISP's own restSearch export.
The event uuid is derived from the profile id, so a re-import updates the same event.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from pymisp import MISPEvent

from huntfeed.environment.lifetime import retention_tag
from huntfeed.indicators import blockable
from huntfeed.model import Fidelity, IndicatorType, Profile, Severity
from huntfeed.render.ioc_format import link_scheme, utc, web_url

NAMESPACE = uuid.UUID("0c9a51f2-7b3e-5d61-8e24-93a1c5f0d7b4")

# (MISP attribute type, category); types with no MISP counterpart are left out.
ATTRIBUTE_TYPES: dict[IndicatorType, tuple[str, str]] = {
    IndicatorType.IPV4: ("ip-dst", "Network activity"),
    IndicatorType.IPV6: ("ip-dst", "Network activity"),
    IndicatorType.DOMAIN: ("domain", "Network activity"),
    IndicatorType.URL: ("url", "Network activity"),
    IndicatorType.EMAIL: ("email-src", "Payload delivery"),
    IndicatorType.MD5: ("md5", "Payload delivery"),
    IndicatorType.SHA1: ("sha1", "Payload delivery"),
    IndicatorType.SHA256: ("sha256", "Payload delivery"),
    IndicatorType.SHA512: ("sha512", "Payload delivery"),
    IndicatorType.CVE: ("vulnerability", "External analysis"),
    IndicatorType.FILENAME: ("filename", "Payload delivery"),
    IndicatorType.FILEPATH: ("filename", "Payload delivery"),
    IndicatorType.REGISTRY: ("regkey", "Persistence mechanism"),
    IndicatorType.BITCOIN: ("btc", "Financial fraud"),
    IndicatorType.MONERO: ("xmr", "Financial fraud"),
    IndicatorType.ASN: ("AS", "Network activity"),
    IndicatorType.JA3: ("ja3-fingerprint-md5", "Network activity"),
    IndicatorType.USER_AGENT: ("user-agent", "Network activity"),
}
# Types that describe rather than detect: never flagged for IDS export whatever their fidelity.
_NEVER_IDS = frozenset({IndicatorType.CVE, IndicatorType.ASN})
THREAT_LEVEL = {Severity.CRITICAL: 1, Severity.HIGH: 1, Severity.MED: 2, Severity.LOW: 3}
_GALAXY = {"intrusion-set": "mitre-intrusion-set", "malware": "mitre-malware", "tool": "mitre-tool"}


def event_uuid(profile_id: str) -> str:
    """The stable MISP event uuid of a profile."""
    return str(uuid.uuid5(NAMESPACE, "event|" + profile_id))


def technique_tag(tid: str, name: str) -> str:
    """The MISP galaxy tag of an ATT&CK technique, as MISP's mitre-attack-pattern cluster names it."""
    return f'misp-galaxy:mitre-attack-pattern="{name} - {tid}"'


def build_event(p: Profile, *, include_low: bool = False) -> MISPEvent:
    """The MISP event for one profile: high-fidelity values only unless ``include_low``."""
    ev = MISPEvent()
    ev.uuid = event_uuid(p.id)
    ev.info = p.title or p.url
    ev.date = utc(p.published or p.analysed_at).date()
    ev.threat_level_id = THREAT_LEVEL[p.severity]
    ev.analysis = 2 if p.text_source.value == "full-article" else 1
    ev.distribution = 3
    ev.timestamp = utc(p.analysed_at)
    ev.add_tag("tlp:clear")
    ev.add_tag(f"huntfeed:severity=\"{p.severity.value}\"")
    for hit in p.techniques:
        ev.add_tag(technique_tag(hit.id, hit.name or hit.id))
    for actor in p.inference.actors:
        galaxy = _GALAXY.get(actor.kind)
        if galaxy and actor.attack_id:
            ev.add_tag(f'misp-galaxy:{galaxy}="{actor.name} - {actor.attack_id}"')
        elif actor.kind == "intrusion-set":
            ev.add_tag(f'misp-galaxy:threat-actor="{actor.name}"')

    def add(kind: str, value: str, category: str, to_ids: bool, comment: str, **extra: Any) -> Any:
        return ev.add_attribute(kind, value, category=category, to_ids=to_ids, comment=comment,
                                uuid=str(uuid.uuid5(NAMESPACE, f"attr|{p.id}|{kind}|{value}")), **extra)

    link = web_url(p.url) if p.url else None
    if link:
        add("link", link, "External analysis", False, f"Article from {p.source}" if p.source else "Article")
    elif p.url:  # a javascript:/data:/file: link from a feed must not become a clickable MISP link
        add("comment", f"Article link left out: {link_scheme(p.url)} is not an http(s) link", "Other", False,
            "huntfeed")
    if p.summary:
        add("text", p.summary, "External analysis", False, "Summary")
    seen = utc(p.published) if p.published and utc(p.published) <= utc(p.analysed_at) else utc(p.analysed_at)
    done: set[tuple[str, str]] = set()
    for ind in p.indicators:
        if ind.fidelity is not Fidelity.HIGH and not include_low:
            continue  # what a SOC would block or sweep; --include-low adds the rest, never for IDS
        mapped = ATTRIBUTE_TYPES.get(ind.type)
        if mapped is None or (mapped[0], ind.value) in done:
            continue
        done.add((mapped[0], ind.value))
        to_ids = blockable(ind) and ind.type not in _NEVER_IDS
        comment = f"{ind.type.value}, {ind.fidelity.value} fidelity" + (f": {ind.reason}" if ind.reason else "")
        attr = add(mapped[0], ind.value, mapped[1], to_ids, comment, first_seen=seen)
        # Decay: first_seen is the report's date; the retention tag carries the type's lifetime.
        retention = retention_tag(ind.type) if to_ids else None
        if retention:
            attr.add_tag(retention)
    return ev


def _event_dict(p: Profile, include_low: bool) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(build_event(p, include_low=include_low).to_json())
    return {"Event": data}


def render(profiles: Sequence[Profile], *, include_low: bool = False) -> str:
    """MISP event JSON for ``profiles`` (one event per profile)."""
    events = [_event_dict(p, include_low) for p in profiles]
    doc: dict[str, Any] = events[0] if len(events) == 1 else {"response": events}
    return json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
