"""Import a folder of Sigma rules (e.g. a SigmaHQ checkout): tagged rules become extra hunts.

Each rule is converted once at import time and stored with its queries in the data folder; a rule
that fails is listed with its reason and the import goes on.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from huntfeed.attack.catalog import Catalog
from huntfeed.errors import DataFileError, QueryError
from huntfeed.hunts.library import ImportedRule
from huntfeed.hunts.usecase import TARGETS
from huntfeed.hunts.validate import KustoChecker, defender_schema, sentinel_schema
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
    # Per target: how many rules converted, how many failed to convert, how many KQL queries the
    # Kusto analyser rejected (dropped from the rule; listed under partial).
    converted: Counter[str] = field(default_factory=Counter)
    convert_failed: Counter[str] = field(default_factory=Counter)
    kql_rejected: Counter[str] = field(default_factory=Counter)
    unknown_techniques: Counter[str] = field(default_factory=Counter)  # ids the ATT&CK catalog lacks
    remapped_techniques: Counter[str] = field(default_factory=Counter)  # "old -> new" (revoked ids)
    never_fire: list[tuple[str, str]] = field(default_factory=list)  # every technique id unknown
    kql_checked: bool = False

    def summary(self) -> list[str]:
        """The table printed after an import: per target, then the totals."""
        rows = [f"{'target':<10} {'converted':>9} {'failed':>7} {'KQL rejected':>13}"]
        for target in TARGETS:  # the converters' targets, without loading pySigma
            rejected = str(self.kql_rejected[target]) if target in _KQL_TARGETS and self.kql_checked else "-"
            rows.append(
                f"{target:<10} {self.converted[target]:>9} {self.convert_failed[target]:>7} {rejected:>13}"
            )
        rows.append(
            f"{len(self.imported)} imported ({len(self.partial)} partly), {len(self.skipped)} skipped (no "
            f"technique tag), {len(self.failed)} failed; {len(self.never_fire)} imported with no known "
            f"technique (cannot fire); {sum(self.unknown_techniques.values())} unknown and "
            f"{sum(self.remapped_techniques.values())} revoked technique tags"
            + ("" if self.kql_checked else "; KQL not analysed (Kusto.Language not found)")
        )
        return rows


_KQL_TARGETS = ("kql", "sentinel")


def _convert_all(text: str, report: ImportReport) -> tuple[dict[str, str], list[str]]:
    from huntfeed.hunts.convert import CONVERTERS  # pySigma loads only when rules are imported

    queries: dict[str, str] = {}
    errors: list[str] = []
    for target, convert in CONVERTERS.items():
        try:  # each target on its own: one backend's exception never costs the others
            queries[target] = convert(text)
            report.converted[target] += 1
        except QueryError as exc:
            errors.append(f"{target}: {exc.message}")
            report.convert_failed[target] += 1
        except Exception as exc:  # noqa: BLE001 - a backend bug on one rule is that target's failure
            errors.append(f"{target}: {type(exc).__name__}: {exc}")
            report.convert_failed[target] += 1
    return queries, errors


def _techniques(tags: list[str], path: Path, report: ImportReport, catalog: Catalog | None) -> tuple[str, ...]:
    out: list[str] = []
    for tid in tags:
        current = catalog.resolve(tid) if catalog is not None else tid
        if current is None:
            report.unknown_techniques[tid] += 1
            continue
        if current != tid:
            report.remapped_techniques[f"{tid} -> {current}"] += 1
        if current not in out:
            out.append(current)
    if tags and not out:
        report.never_fire.append((str(path), "no technique id in the ATT&CK catalog: " + ", ".join(tags)))
    return tuple(out)


def _rule_from_file(
    path: Path, report: ImportReport, catalog: Catalog | None, checker: KustoChecker | None
) -> ImportedRule | None:
    from huntfeed.hunts.convert import parse_rule  # pySigma loads only when rules are imported

    text = path.read_text(encoding="utf-8", errors="replace")
    rule = parse_rule(text)
    tags = [m.group(1).upper() for tag in rule.tags if (m := _TECH_TAG.match(f"{tag.namespace}.{tag.name}"))]
    if not tags:
        return None
    techniques = _techniques(tags, path, report, catalog)
    tactics = [
        tag.name.lower()
        for tag in rule.tags
        if tag.namespace == "attack" and not _TECH_TAG.match(f"attack.{tag.name}")
    ]
    phase = next((TACTIC_PHASE[t] for t in tactics if t in TACTIC_PHASE), "actions-on-objectives")
    level = rule.level.name.lower() if rule.level else ""
    queries, errors = _convert_all(text, report)
    if checker is not None:
        errors += _drop_bad_kql(queries, checker, report, path.stem)
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
        product=(rule.logsource.product or "").lower(),
    )
    if errors:
        raise _Partial(imported, "; ".join(errors))
    return imported


def _drop_bad_kql(queries: dict[str, str], checker: KustoChecker, report: ImportReport, qid: str) -> list[str]:
    errors: list[str] = []
    for target, schema in (("kql", defender_schema()), ("sentinel", sentinel_schema())):
        if target not in queries:
            continue
        checker.set_schema(schema)
        found = checker.check(queries[target], qid=qid).errors
        if found:
            del queries[target]
            report.kql_rejected[target] += 1
            errors.append(f"{target}: rejected by Kusto.Language: {found[0]}")
    return errors


class _Partial(Exception):
    def __init__(self, rule: ImportedRule, reason: str) -> None:
        super().__init__(reason)
        self.rule = rule
        self.reason = reason


def import_dir(
    source: Path, *, catalog: Catalog | None = None, checker: KustoChecker | None = None
) -> ImportReport:
    """Convert every ``*.yml``/``*.yaml`` rule under ``source``; never stops on a bad rule.

    With a catalog, technique tags are resolved (revoked ids follow their replacement; unknown ids are
    counted and reported); with a checker, every KQL query is analysed and a rejected one is dropped.
    """
    report = ImportReport(kql_checked=checker is not None)
    if not source.is_dir():
        raise DataFileError("not a folder", where=str(source))
    for path in sorted(p for p in source.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file()):
        try:
            rule = _rule_from_file(path, report, catalog, checker)
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
                product=str(r.get("product", "")),
            )
            for r in raw
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise DataFileError(f"unreadable imported rules: {exc}", where=str(path)) from exc
