"""Small synthetic ATT&CK bundles for the attack tests (STIX 2.0 and 2.1 shapes)."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

# The sibling of the repo root; $HUNTFEED_SHARED overrides it (git worktrees live elsewhere).
SHARED = Path(os.environ.get("HUNTFEED_SHARED") or Path(__file__).resolve().parents[1].parent / "shared")
SHARED_BUNDLE = SHARED / "attack" / "enterprise-attack-18.1.json.gz"

TACTICS = [
    ("TA0043", "reconnaissance", "Reconnaissance"),
    ("TA0002", "execution", "Execution"),
    ("TA0003", "persistence", "Persistence"),
    ("TA0005", "defense-evasion", "Defense Evasion"),
    ("TA0011", "command-and-control", "Command and Control"),
]


def _ext(tid: str, kind: str = "techniques") -> list[dict[str, str]]:
    return [
        {
            "source_name": "mitre-attack",
            "external_id": tid,
            "url": f"https://attack.mitre.org/{kind}/{tid.replace('.', '/')}",
        }
    ]


def _ap(sid: str, tid: str, name: str, tactics: list[str], **extra: Any) -> dict[str, Any]:
    obj = {
        "type": "attack-pattern",
        "id": f"attack-pattern--{sid}",
        "name": name,
        "external_references": _ext(tid),
        "modified": "2025-01-02T00:00:00.000Z",
        "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": t} for t in tactics],
    }
    obj.update(extra)
    return obj


def objects(
    *, tactics: list[tuple[str, str, str]] | None = None, version: str | None = "17.0"
) -> list[dict[str, Any]]:
    """A tiny Enterprise bundle: 4 live techniques, 1 revoked, 1 deprecated, a group, a tool."""
    tactics = tactics or TACTICS
    objs: list[dict[str, Any]] = []
    for i, (tid, short, name) in enumerate(tactics):
        objs.append(
            {
                "type": "x-mitre-tactic",
                "id": f"x-mitre-tactic--{i:04d}",
                "name": name,
                "x_mitre_shortname": short,
                "external_references": _ext(tid, "tactics"),
            }
        )
    # matrix order deliberately differs from object order to prove the matrix wins
    order = list(range(len(tactics)))
    objs.insert(
        0,
        {
            "type": "x-mitre-matrix",
            "id": "x-mitre-matrix--1",
            "tactic_refs": [f"x-mitre-tactic--{i:04d}" for i in order],
        },
    )
    objs += [
        _ap("0001", "T1059", "Command and Scripting Interpreter", ["execution"]),
        _ap("0002", "T1059.001", "PowerShell", ["execution"], x_mitre_is_subtechnique=True),
        _ap("0003", "T1055", "Process Injection", ["privilege-escalation", "defense-evasion"]),
        _ap("0004", "T1071.001", "Web Protocols", ["command-and-control"]),
        _ap("0005", "T1086", "PowerShell", ["execution"], revoked=True),
        _ap("0006", "T1064", "Scripting", ["execution"], x_mitre_deprecated=True),
        {
            "type": "intrusion-set",
            "id": "intrusion-set--g1",
            "name": "Cozy Example",
            "aliases": ["Cozy Example", "CE-29"],
            "external_references": _ext("G9001", "groups"),
        },
        {
            "type": "tool",
            "id": "tool--t1",
            "name": "Snake",
            "x_mitre_aliases": ["Snake"],
            "external_references": _ext("S9001", "software"),
        },
        {
            "type": "relationship",
            "id": "relationship--r1",
            "relationship_type": "revoked-by",
            "source_ref": "attack-pattern--0005",
            "target_ref": "attack-pattern--0002",
        },
        {
            "type": "relationship",
            "id": "relationship--r2",
            "relationship_type": "uses",
            "source_ref": "intrusion-set--g1",
            "target_ref": "attack-pattern--0004",
            "description": "[Cozy Example](https://attack.mitre.org/groups/G9001) beacons over HTTPS.",
        },
        {
            "type": "relationship",
            "id": "relationship--r3",
            "relationship_type": "uses",
            "source_ref": "tool--t1",
            "target_ref": "attack-pattern--0003",
            "description": "Snake injects into explorer.exe.",
        },
    ]
    if version:
        objs.append(
            {
                "type": "x-mitre-collection",
                "id": "x-mitre-collection--1",
                "x_mitre_version": version,
                "modified": "2025-04-22T00:00:00.000Z",
            }
        )
    return objs


def write_bundle(path: Path, *, spec: str = "2.1", gz: bool = False, **kw: Any) -> Path:
    """Write the tiny bundle in STIX 2.0 (spec on the bundle) or 2.1 (spec on each object)."""
    objs = objects(**kw)
    if spec == "2.1":
        for o in objs:
            o["spec_version"] = "2.1"
        doc: dict[str, Any] = {"type": "bundle", "id": "bundle--x", "objects": objs}
    else:
        doc = {"type": "bundle", "id": "bundle--x", "spec_version": "2.0", "objects": objs}
    raw = json.dumps(doc).encode()
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path
