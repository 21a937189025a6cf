"""STIX 2.1 bundles through the ``stix2`` library.

Ids are uuid5 of what an object stands for (an indicator's type and value, a technique id,
a profile id), so exporting a profile again yields the same ids and a consumer updates its
copy instead of storing a duplicate; a new profile version only moves ``modified``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import stix2

from huntfeed.environment.lifetime import valid_until
from huntfeed.indicators import blockable
from huntfeed.model import ActorHit, Indicator, IndicatorType, Profile, TechniqueHit
from huntfeed.render.ioc_format import link_scheme, utc, web_url

# Fixed namespace: changing it would change every id huntfeed has ever exported.
NAMESPACE = uuid.UUID("6b1f3c2e-9d4a-5e8b-a7c1-2f0e4d6a8b93")
PRODUCER_NAME = "huntfeed"

_HASH_KEYS = {
    IndicatorType.MD5: "MD5",
    IndicatorType.SHA1: "'SHA-1'",
    IndicatorType.SHA256: "'SHA-256'",
    IndicatorType.SHA512: "'SHA-512'",
}
_SIMPLE = {
    IndicatorType.IPV4: "ipv4-addr:value",
    IndicatorType.IPV6: "ipv6-addr:value",
    IndicatorType.DOMAIN: "domain-name:value",
    IndicatorType.URL: "url:value",
    IndicatorType.EMAIL: "email-addr:value",
    IndicatorType.FILENAME: "file:name",
    IndicatorType.USER_AGENT: "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'",
}


_HIVES = {"HKLM": "HKEY_LOCAL_MACHINE", "HKCU": "HKEY_CURRENT_USER", "HKCR": "HKEY_CLASSES_ROOT",
          "HKU": "HKEY_USERS", "HKCC": "HKEY_CURRENT_CONFIG"}


def stix_id(kind: str, key: str) -> str:
    """Deterministic STIX id of ``kind`` for ``key``."""
    return f"{kind}--{uuid.uuid5(NAMESPACE, f'{kind}|{key}')}"


def quote(value: str) -> str:
    """A STIX pattern string literal: backslashes and single quotes escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def pattern_for(ind: Indicator) -> str | None:
    """The STIX pattern matching ``ind``; None for types STIX 2.1 has no object for."""
    if ind.type in _SIMPLE:
        return f"[{_SIMPLE[ind.type]} = {quote(ind.value)}]"
    if ind.type in _HASH_KEYS:
        return f"[file:hashes.{_HASH_KEYS[ind.type]} = {quote(ind.value.lower())}]"
    if ind.type is IndicatorType.REGISTRY:
        hive, sep, rest = ind.value.partition("\\")
        key = _HIVES.get(hive.upper(), hive) + sep + rest
        return f"[windows-registry-key:key = {quote(key)}]"
    if ind.type is IndicatorType.FILEPATH:
        head, sep, name = ind.value.replace("\\", "/").rpartition("/")
        if not sep or not name:
            return f"[directory:path = {quote(ind.value)}]"
        parent = ind.value[: len(head) or 1]
        return f"[file:name = {quote(name)} AND file:parent_directory_ref.path = {quote(parent)}]"
    if ind.type is IndicatorType.ASN:
        digits = ind.value.upper().removeprefix("AS")
        return f"[autonomous-system:number = {int(digits)}]" if digits.isdigit() else None
    return None


def _technique_url(tid: str) -> str:
    return "https://attack.mitre.org/techniques/" + tid.replace(".", "/") + "/"


class _Builder:
    """Collects objects for one bundle, first definition of an id wins."""

    def __init__(self) -> None:
        self.objects: dict[str, Any] = {}
        self.producer = stix2.Identity(
            id=stix_id("identity", PRODUCER_NAME), name=PRODUCER_NAME, identity_class="system",
            created="2024-01-01T00:00:00Z", modified="2024-01-01T00:00:00Z",
            description="Turns public security reporting into threat profiles and hunts.",
        )
        self.add(self.producer)

    def add(self, obj: Any) -> str:
        self.objects.setdefault(obj.id, obj)
        return str(obj.id)

    def common(self, when: datetime) -> dict[str, Any]:
        return {"created": when, "modified": when, "created_by_ref": self.producer.id}

    def relate(self, src: str, rel: str, dst: str, when: datetime) -> str:
        return self.add(stix2.Relationship(
            id=stix_id("relationship", f"{src}|{rel}|{dst}"), relationship_type=rel,
            source_ref=src, target_ref=dst, **self.common(when)))

    def indicator(self, ind: Indicator, when: datetime, left_out: list[str],
                  seen: datetime | None = None) -> str | None:
        pattern = pattern_for(ind)
        if pattern is None:
            return None
        # Valid from the report's date, until its type's lifetime (data/environment/lifetimes.yaml) runs out.
        start = seen or when
        end = valid_until(ind.type, start)
        try:
            obj = stix2.Indicator(
                id=stix_id("indicator", f"{ind.type.value}|{ind.value}"), name=f"{ind.type.value}: {ind.value}",
                pattern=pattern, pattern_type="stix", valid_from=start, **({"valid_until": end} if end else {}),
                description="Extracted by huntfeed from public reporting; the reports citing it give context."
                + ("" if blockable(ind) else f" Low fidelity ({ind.reason or ind.fidelity.value}): not for blocking."),
                indicator_types=["malicious-activity"] if blockable(ind) else ["unknown"],
                labels=None if blockable(ind) else ["huntfeed:low-fidelity"], **self.common(when))
        except stix2.exceptions.STIXError as exc:
            # stix2 checks pattern values (a "hash" that is not hex); one bad value must not cost the bundle.
            left_out.append(f"indicator {ind.type.value} {ind.value[:200]!r}: {str(exc)[:300]}")
            return None
        return self.add(obj)

    def attack_pattern(self, hit: TechniqueHit, when: datetime) -> str:
        return self.add(stix2.AttackPattern(
            id=stix_id("attack-pattern", hit.id), name=hit.name or hit.id,
            external_references=[{"source_name": "mitre-attack", "external_id": hit.id,
                                  "url": _technique_url(hit.id)}],
            kill_chain_phases=[{"kill_chain_name": "mitre-attack", "phase_name": t} for t in hit.tactics]
            or None,
            **self.common(when)))

    def vulnerability(self, cve: str, when: datetime) -> str:
        cve = cve.upper()
        return self.add(stix2.Vulnerability(
            id=stix_id("vulnerability", cve), name=cve,
            external_references=[{"source_name": "cve", "external_id": cve}], **self.common(when)))

    def actor(self, hit: ActorHit, when: datetime) -> str | None:
        kinds = {"malware": stix2.Malware, "intrusion-set": stix2.IntrusionSet,
                 "tool": stix2.Tool, "campaign": stix2.Campaign}
        cls = kinds.get(hit.kind)
        if cls is None:
            return None
        # Reuse ATT&CK's own id when we have it, so our objects merge with MITRE's in a TIP.
        ident = hit.stix_id if hit.stix_id.startswith(hit.kind + "--") else stix_id(hit.kind, hit.name.lower())
        extra: dict[str, Any] = {"is_family": True} if hit.kind == "malware" else {}
        if hit.attack_id:
            extra["external_references"] = [{"source_name": "mitre-attack", "external_id": hit.attack_id}]
        return self.add(cls(id=ident, name=hit.name, **extra, **self.common(when)))

    def profile(self, p: Profile, include_low: bool = False) -> None:
        when = utc(p.analysed_at)
        first = utc(p.published) if p.published and utc(p.published) <= when else when
        source = stix2.Identity(
            id=stix_id("identity", "source|" + (p.source or p.feed_url or p.url)),
            name=p.source or p.feed_url or p.url, identity_class="organization",
            created=first, modified=first)
        refs = [self.add(source), self.producer.id]
        techniques = [self.attack_pattern(h, when) for h in p.techniques]
        actors = [a for a in (self.actor(h, when) for h in p.inference.actors) if a]
        vulns = sorted({self.vulnerability(i.value, when) for i in p.indicators if i.type is IndicatorType.CVE})
        left_out: list[str] = []
        # What a SOC would block or sweep; --include-low adds the rest, labelled and never "malicious".
        inds = [i for i in (self.indicator(x, when, left_out, first) for x in p.indicators
                            if blockable(x) or (include_low and x.type is not IndicatorType.CVE)) if i]
        link = web_url(p.url) if p.url else None
        if p.url and link is None:
            left_out.append(f"article link ({link_scheme(p.url)}): only http(s) links are exported")
        refs += techniques + actors + vulns + inds
        for actor in actors:
            refs += [self.relate(actor, "uses", t, when) for t in techniques]
            verb = "exploits" if actor.startswith("malware--") else "targets"
            refs += [self.relate(actor, verb, v, when) for v in vulns
                     if not actor.startswith("tool--")]
            refs += [self.relate(i, "indicates", actor, when) for i in inds]
        # Without a named actor, linking every indicator to every technique would claim more than
        # the article says; the report's object_refs already groups them.
        report = self.add(stix2.Report(
            id=stix_id("report", p.id), name=p.title or p.url, description=p.summary or None,
            published=first, report_types=["threat-report"], object_refs=list(dict.fromkeys(refs)),
            created=first, modified=when, created_by_ref=source.id,
            labels=[f"severity:{p.severity.value.lower()}", f"text-source:{p.text_source.value}"],
            external_references=[{"source_name": p.source or "article", "url": link}] if link else None))
        if left_out:
            self.add(stix2.Note(
                id=stix_id("note", "left-out|" + p.id), abstract="Left out of this export by huntfeed",
                content="\n".join(left_out), object_refs=[report], authors=[PRODUCER_NAME],
                **self.common(when)))


def build_bundle(profiles: Sequence[Profile], *, include_low: bool = False) -> stix2.Bundle:
    """A STIX 2.1 bundle holding a report (and everything it cites) per profile."""
    builder = _Builder()
    for p in profiles:
        builder.profile(p, include_low)
    objects = sorted(builder.objects.values(), key=lambda o: str(o.id))
    key = "|".join(f"{o.id}@{o.get('modified', '')}" for o in objects)
    return stix2.Bundle(*objects, id=stix_id("bundle", key))


def render(profiles: Sequence[Profile], *, include_low: bool = False) -> str:
    """The STIX 2.1 bundle for ``profiles`` as indented JSON."""
    data = json.loads(build_bundle(profiles, include_low=include_low).serialize())
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
