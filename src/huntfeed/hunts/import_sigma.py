"""Import a folder of Sigma rules (e.g. a SigmaHQ checkout): tagged rules become extra hunts.

Each rule is converted once at import time and stored with its queries in the data folder; a rule
that fails is listed with its reason and the import goes on. A file holding a correlation rule and its
base rules gives one imported rule per document. Storage and merging: hunts.imported.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sigma.correlations import SigmaCorrelationRule
from sigma.rule import SigmaRule

from huntfeed.attack.catalog import Catalog
from huntfeed.errors import DataFileError, QueryError
from huntfeed.hunts.imported import IMPORT_FILE, ImportedRule, load_imported, save_imported
from huntfeed.hunts.sigma_meta import rule_names, rule_platform, web_attack_cues
from huntfeed.hunts.usecase import TARGETS
from huntfeed.hunts.validate import KustoChecker, defender_schema, sentinel_schema

_TECH_TAG = re.compile(r"^attack\.(t\d{4}(?:\.\d{3})?)$", re.IGNORECASE)
_ENTITY_TAG = re.compile(r"^attack\.([gs]\d{4})$", re.IGNORECASE)  # an ATT&CK group or software id
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
    """What an import did: rules imported, skipped (with the reason) and failed, each with a reason."""

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
    unknown_entities: Counter[str] = field(default_factory=Counter)  # attack.gNNNN/sNNNN ids the catalog lacks
    never_fire: list[tuple[str, str]] = field(default_factory=list)  # every technique id unknown
    kql_checked: bool = False
    kql_unchecked_why: str = "Kusto.Language not found"  # said in the summary when not kql_checked
    _ids: dict[str, str] = field(default_factory=dict, repr=False)  # rule id -> the file that gave it

    def skip_counts(self) -> Counter[str]:
        return Counter(reason.split(":")[0].split(" (")[0] for _, reason in self.skipped)

    def summary(self) -> list[str]:
        """The table printed after an import: per target, then the totals."""
        rows = [f"{'target':<10} {'converted':>9} {'failed':>7} {'KQL rejected':>13}"]
        for target in TARGETS:  # the converters' targets, without loading pySigma
            rejected = str(self.kql_rejected[target]) if target in _KQL_TARGETS and self.kql_checked else "-"
            rows.append(
                f"{target:<10} {self.converted[target]:>9} {self.convert_failed[target]:>7} {rejected:>13}"
            )
        skips = ", ".join(f"{n} {why}" for why, n in sorted(self.skip_counts().items()))
        rows.append(
            f"{len(self.imported)} imported ({len(self.partial)} partly), {len(self.skipped)} skipped"
            + (f" ({skips})" if skips else "")
            + f", {len(self.failed)} failed; {len(self.never_fire)} imported with no known "
            f"technique (cannot fire); {sum(self.unknown_techniques.values())} unknown and "
            f"{sum(self.remapped_techniques.values())} revoked technique tags"
            + ("" if self.kql_checked else f"; KQL not analysed ({self.kql_unchecked_why})")
        )
        return rows


_KQL_TARGETS = ("kql", "sentinel")


def _convert_all(text: str, report: ImportReport, *, correlation: bool = False) -> tuple[dict[str, str], list[str]]:
    from huntfeed.hunts.convert import CONVERTERS, CORRELATION_CONVERTERS

    queries: dict[str, str] = {}
    errors: list[str] = []
    for target, convert in (CORRELATION_CONVERTERS if correlation else CONVERTERS).items():
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


_ENTITY_INDEX: dict[int, tuple[Catalog, dict[str, tuple[str, ...]]]] = {}


def _entity_index(catalog: Catalog) -> dict[str, tuple[str, ...]]:
    """ATT&CK group/software id -> its name and aliases (lower case), built once per catalog."""
    held = _ENTITY_INDEX.get(id(catalog))
    if held is None or held[0] is not catalog:
        index = {e.id.upper(): tuple(n.lower() for n in (e.name, *e.aliases) if len(n) >= 3)
                 for e in catalog.entities.values() if _ENTITY_TAG.match(f"attack.{e.id}")}
        held = _ENTITY_INDEX[id(catalog)] = (catalog, index)
    return held[1]


def _entity_names(rule: SigmaRule | SigmaCorrelationRule, report: ImportReport, catalog: Catalog | None) -> list[str]:
    """The names and aliases of the groups and software the rule's attack.gNNNN/sNNNN tags name: a rule
    written for APT28 or for Cobalt Strike needs one of them in the report (like a CVE tag). Without a
    catalog none are known; with one, an id it lacks is counted and the rule goes without that name."""
    ids = [m.group(1).upper() for tag in rule.tags if (m := _ENTITY_TAG.match(f"{tag.namespace}.{tag.name}"))]
    if not ids or catalog is None:
        return []
    index = _entity_index(catalog)
    names: list[str] = []
    for eid in ids:
        if eid in index:
            names += index[eid]
        else:
            report.unknown_entities[eid] += 1
    return names


_OBSOLETES = re.compile(r"(?m)^([ \t]*(?:-[ \t]+)?type:[ \t]*)obsoletes[ \t]*$")
_DOC_SPLIT = re.compile(r"(?m)^---[ \t]*$")
_DOC_ID = re.compile(r"(?m)^id:[ \t]*(\S+)[ \t]*$")


def normalise(text: str) -> str:
    """SigmaHQ writes ``related: type: obsoletes``, which pySigma (and the specification: ``obsolete``)
    rejects; a relation is metadata, so the word is read as the specification's and the rule converts."""
    return _OBSOLETES.sub(r"\1obsolete", text)


def _documents_by_id(text: str) -> dict[str, str]:
    out = {}
    for doc in _DOC_SPLIT.split(text):
        m = _DOC_ID.search(doc)
        if m is not None:
            out[m.group(1).strip("'\"")] = doc
    return out


def _rule_tags(rule: SigmaRule | SigmaCorrelationRule) -> list[str]:
    return [m.group(1).upper() for tag in rule.tags if (m := _TECH_TAG.match(f"{tag.namespace}.{tag.name}"))]


def _rules_from_file(
    path: Path, report: ImportReport, catalog: Catalog | None, checker: KustoChecker | None
) -> None:
    """Every rule in one file: one document, or a correlation rule with its base rules (one each)."""
    from huntfeed.hunts.convert import parse_collection  # pySigma loads only when rules are imported

    text = normalise(path.read_text(encoding="utf-8", errors="replace"))
    rules = parse_collection(text)
    docs = _documents_by_id(text) if len(rules) > 1 else {}
    for rule in rules:
        where = str(path) if len(rules) == 1 else f"{path} ({rule.title})"
        # A base rule converts from its own document; a correlation needs the whole file.
        doc = docs.get(str(rule.id), text) if isinstance(rule, SigmaRule) else text
        partly = ""
        try:
            converted = _convert_rule(rule, doc, report, checker)
        except _Partial as part:
            converted, partly = part.queries, part.reason
        except QueryError as exc:
            report.failed.append((where, exc.message))
            continue
        imported = _record(rule, converted, path, report, catalog)
        if imported is None:
            report.skipped.append((where, "no technique tag (attack.tNNNN)"))
        elif imported.id in report._ids:
            report.skipped.append((where, f"duplicate rule id: {imported.id} also in {report._ids[imported.id]}"))
        else:
            report._ids[imported.id] = where
            report.imported.append(imported)
            if partly:
                report.partial.append((where, partly))


def _convert_rule(rule: SigmaRule | SigmaCorrelationRule, text: str, report: ImportReport,
                  checker: KustoChecker | None) -> dict[str, str]:
    if not _rule_tags(rule):
        return {}  # skipped, not converted: nothing would fire it
    if isinstance(rule, SigmaCorrelationRule):
        queries, errors = _convert_all(text, report, correlation=True)
    else:
        queries, errors = _convert_all(text, report)
    if checker is not None:
        errors += _drop_bad_kql(queries, checker, report, str(rule.id or rule.title))
    if not queries:
        raise QueryError("no target converts: " + "; ".join(errors))
    queries["sigma"] = text
    if errors:
        raise _Partial(queries, "; ".join(errors))
    return queries


def _record(rule: SigmaRule | SigmaCorrelationRule, queries: dict[str, str], path: Path,
            report: ImportReport, catalog: Catalog | None) -> ImportedRule | None:
    tags = _rule_tags(rule)
    if not tags:
        return None
    tactics = [t.name.lower() for t in rule.tags if t.namespace == "attack" and not _TECH_TAG.match(f"attack.{t.name}")]
    level = rule.level.name.lower() if rule.level else ""
    logsource = rule.logsource if isinstance(rule, SigmaRule) else None
    techniques = _techniques(tags, path, report, catalog)
    return ImportedRule(
        id="SIGMA_" + (str(rule.id) if rule.id else path.stem).replace("-", "_").upper()[:60],
        title=rule.title,
        description=(rule.description or "").strip(),
        techniques=techniques,
        phase=next((TACTIC_PHASE[t] for t in tactics if t in TACTIC_PHASE), "actions-on-objectives"),
        confidence=_LEVEL_CONFIDENCE.get(level, "Low"),
        queries=queries,
        product=((logsource.product or "") if logsource else "").lower(),
        level=level,
        category=((logsource.category or "") if logsource else "").lower(),
        service=((logsource.service or "") if logsource else "").lower(),
        platform=rule_platform(rule) if isinstance(rule, SigmaRule) else _correlated_platform(rule),
        names=tuple(dict.fromkeys((*rule_names(rule, path), *_entity_names(rule, report, catalog)))),
        cues=web_attack_cues(rule, path, techniques),
        source=str(path),
    )


def _correlated_platform(rule: SigmaCorrelationRule) -> str:
    platforms = {rule_platform(r.rule) for r in rule.rules or () if isinstance(r.rule, SigmaRule)}
    return platforms.pop() if len(platforms) == 1 else ""


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
    def __init__(self, queries: dict[str, str], reason: str) -> None:
        super().__init__(reason)
        self.queries = queries
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
    files = (p for p in source.rglob("*") if p.suffix.lower() in (".yml", ".yaml") and p.is_file())
    for path in sorted(files):
        try:
            _rules_from_file(path, report, catalog, checker)
        except (QueryError, OSError, UnicodeError) as exc:
            report.failed.append((str(path), getattr(exc, "message", str(exc))))
        except Exception as exc:  # noqa: BLE001 - one odd rule must not stop the import
            report.failed.append((str(path), f"{type(exc).__name__}: {exc}"))
    return report


__all__ = ["IMPORT_FILE", "ImportReport", "import_dir", "load_imported", "normalise", "save_imported"]
