"""Import a folder of Sigma rules (e.g. a SigmaHQ checkout): tagged rules become extra hunts.

Each rule is converted once at import time and stored with its queries in the data folder; a rule
that fails is listed with its reason and the import goes on.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from huntfeed.errors import DataFileError, QueryError
from huntfeed.hunts.library import ImportedRule
from huntfeed.paths import data_dir

IMPORT_FILE = "sigma-imports.json"
_TECH_TAG = re.compile(r"^attack\.(t\d{4}(?:\.\d{3})?)$", re.IGNORECASE)
# Lockheed Martin phase for each ATT&CK tactic tag (DESIGN.md section 4).
TACTIC_PHASE = {
    "reconnaissance": "reconnaissance",
    "resource-development": "weaponization",
    "resource_development": "weaponization",
    "initial-access": "delivery",
    "initial_access": "delivery",
    "execution": "exploitation",
    "persistence": "installation",
    "privilege-escalation": "installation",
    "privilege_escalation": "installation",
    "defense-evasion": "installation",
    "defense_evasion": "installation",
    "stealth": "installation",
    "defense-impairment": "installation",
    "command-and-control": "command-and-control",
    "command_and_control": "command-and-control",
}
_LEVEL_CONFIDENCE = {"critical": "High", "high": "High", "medium": "Medium"}


@dataclass
class ImportReport:
    """What an import did: rules imported, skipped (no technique tag) and failed, each with a reason."""

    imported: list[ImportedRule] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    partial: list[tuple[str, str]] = field(default_factory=list)


def _rule_from_file(path: Path) -> ImportedRule | None:
    from huntfeed.hunts.convert import CONVERTERS, parse_rule  # pySigma loads only when rules are imported

    text = path.read_text(encoding="utf-8", errors="replace")
    rule = parse_rule(text)
    techniques = tuple(
        m.group(1).upper() for tag in rule.tags if (m := _TECH_TAG.match(f"{tag.namespace}.{tag.name}"))
    )
    if not techniques:
        return None
    tactics = [
        tag.name.lower()
        for tag in rule.tags
        if tag.namespace == "attack" and not _TECH_TAG.match(f"attack.{tag.name}")
    ]
    phase = next((TACTIC_PHASE[t] for t in tactics if t in TACTIC_PHASE), "actions-on-objectives")
    level = rule.level.name.lower() if rule.level else ""
    queries: dict[str, str] = {}
    errors: list[str] = []
    for target, convert in CONVERTERS.items():
        try:
            queries[target] = convert(text)
        except QueryError as exc:
            errors.append(f"{target}: {exc.message}")
    if not queries:
        raise QueryError("no target converts: " + "; ".join(errors))
    queries["sigma"] = text
    rule_id = "SIGMA_" + (str(rule.id) if rule.id else path.stem).replace("-", "_").upper()[:60]
    imported = ImportedRule(
        id=rule_id,
        title=rule.title,
        description=(rule.description or "").strip(),
        techniques=techniques,
        phase=phase,
        confidence=_LEVEL_CONFIDENCE.get(level, "Low"),
        queries=queries,
    )
    if errors:
        raise _Partial(imported, "; ".join(errors))
    return imported


class _Partial(Exception):
    def __init__(self, rule: ImportedRule, reason: str) -> None:
        super().__init__(reason)
        self.rule = rule
        self.reason = reason


def import_dir(source: Path) -> ImportReport:
    """Convert every ``*.yml``/``*.yaml`` rule under ``source``; never stops on a bad rule."""
    report = ImportReport()
    if not source.is_dir():
        raise DataFileError("not a folder", where=str(source))
    for path in sorted(p for p in source.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file()):
        try:
            rule = _rule_from_file(path)
        except _Partial as part:
            report.imported.append(part.rule)
            report.partial.append((str(path), part.reason))
            continue
        except (QueryError, OSError, UnicodeError) as exc:
            report.failed.append((str(path), getattr(exc, "message", str(exc))))
            continue
        except Exception as exc:  # noqa: BLE001 - one odd rule must not stop the import
            report.failed.append((str(path), f"{type(exc).__name__}: {exc}"))
            continue
        if rule is None:
            report.skipped.append((str(path), "no ATT&CK technique tag (attack.tNNNN)"))
        else:
            report.imported.append(rule)
    return report


def save_imported(rules: list[ImportedRule], target: Path | None = None) -> Path:
    """Store imported rules (with their converted queries) for HuntLibrary.load."""
    path = target or data_dir() / IMPORT_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps([asdict(r) for r in rules], indent=1), encoding="utf-8")
    tmp.replace(path)
    return path


def load_imported(path: Path | None = None) -> tuple[ImportedRule, ...]:
    """Imported rules saved by ``huntfeed usecases import-sigma`` (none when nothing was imported)."""
    if path is None:
        path = data_dir() / IMPORT_FILE
    if not path.is_file():
        return ()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return tuple(
            ImportedRule(
                id=r["id"],
                title=r["title"],
                description=r["description"],
                techniques=tuple(r["techniques"]),
                phase=r["phase"],
                confidence=r["confidence"],
                queries=dict(r["queries"]),
            )
            for r in raw
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise DataFileError(f"unreadable imported rules: {exc}", where=str(path)) from exc
