"""Imported Sigma rules as stored in the data folder: the record, the file, and merging a new import.

The file is ``<data dir>/sigma-imports.json``: ``{"count_in_severity": bool, "rules": [...]}`` (a bare
list, the first format, still loads). A new import merges by rule id unless the user asks to replace.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from huntfeed.errors import DataFileError
from huntfeed.paths import data_dir

if TYPE_CHECKING:  # score imports the hunts package: no import cycle at run time
    from huntfeed.score import Rubric

IMPORT_FILE = "sigma-imports.json"


@dataclass(frozen=True, slots=True)
class ImportedRule:
    """A user's Sigma rule, converted at import time, fired by its ATT&CK tags."""

    id: str
    title: str
    description: str
    techniques: tuple[str, ...]
    phase: str
    confidence: str
    queries: dict[str, str]
    product: str = ""  # the rule's logsource product: gates it by platform like the library's own
    level: str = ""  # Sigma level (informational ... critical): ranks imported rules among themselves
    category: str = ""  # logsource category (process_creation, registry_set, ...)
    service: str = ""  # logsource service (security, cloudtrail, ...)
    # The platform the rule watches when it names no product: read from what it queries (hunts.platform_of).
    platform: str = ""
    # Named malware, actors or CVEs the rule is written for: one of them must appear in the report.
    names: tuple[str, ...] = ()
    # A web-attack rule (web-server logs, T1190): words naming its attack class, one must be in the report.
    cues: tuple[str, ...] = ()
    source: str = ""  # the file it came from


@dataclass(frozen=True, slots=True)
class ImportStore:
    """Everything an import leaves behind: the rules and whether they count towards severity."""

    rules: tuple[ImportedRule, ...] = ()
    count_in_severity: bool = False


@dataclass(frozen=True, slots=True)
class MergeResult:
    """What a new import did to the stored rules (ids in each class)."""

    store: ImportStore
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    def line(self) -> str:
        return (f"{len(self.added)} added, {len(self.updated)} updated, {len(self.kept)} kept from earlier "
                f"imports, {len(self.removed)} removed; {len(self.store.rules)} stored")


def merge(old: ImportStore, new: tuple[ImportedRule, ...], *, replace_all: bool = False,
          count_in_severity: bool | None = None) -> MergeResult:
    """New rules replace stored ones with the same id; others stay, unless ``replace_all`` starts afresh."""
    new_ids = {r.id for r in new}
    old_ids = [r.id for r in old.rules]
    rest = () if replace_all else tuple(r for r in old.rules if r.id not in new_ids)
    severity = old.count_in_severity if count_in_severity is None else count_in_severity
    return MergeResult(
        store=ImportStore(rest + new, severity),
        added=tuple(r.id for r in new if r.id not in old_ids),
        updated=tuple(r.id for r in new if r.id in old_ids),
        kept=tuple(r.id for r in rest),
        removed=tuple(i for i in old_ids if i not in new_ids) if replace_all else (),
    )


def store_path() -> Path:
    return data_dir() / IMPORT_FILE


def save_store(store: ImportStore, target: Path | None = None) -> Path:
    """Write the store atomically (a crash leaves the previous file)."""
    path = target or store_path()
    tmp = path.with_suffix(".tmp")
    doc = {"count_in_severity": store.count_in_severity, "rules": [asdict(r) for r in store.rules]}
    tmp.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    tmp.replace(path)
    return path


def save_imported(rules: list[ImportedRule], target: Path | None = None) -> Path:
    """Store exactly these rules (severity left alone), replacing what was there."""
    return save_store(ImportStore(tuple(rules)), target)


_TUPLES = ("techniques", "names", "cues")


def _rule(raw: Any) -> ImportedRule:
    if not isinstance(raw, dict):
        raise TypeError("a rule must be an object")
    known = set(ImportedRule.__dataclass_fields__)
    values: dict[str, Any] = {k: (tuple(v) if k in _TUPLES else v) for k, v in raw.items() if k in known}
    values["queries"] = dict(raw["queries"])
    return ImportedRule(**values)


def load_store(path: Path | None = None) -> ImportStore:
    """The stored imports (empty when nothing was imported); an unreadable file is a DataFileError."""
    path = path or store_path()
    if not path.is_file():
        return ImportStore()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(raw, list):  # the first format: rules only
            return ImportStore(tuple(_rule(r) for r in raw))
        severity = raw.get("count_in_severity", False)
        if not isinstance(severity, bool):
            raise TypeError("count_in_severity must be true or false")
        return ImportStore(tuple(_rule(r) for r in raw["rules"]), severity)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DataFileError(f"unreadable imported rules: {exc}", where=str(path)) from exc


def severity_rubric(rubric: Rubric, path: Path | None = None) -> Rubric:
    """The rubric with fired imported rules counting like use cases where the user opted in at import
    (``import-sigma --count-in-severity``); a rubric that already sets the weight keeps its own."""
    if not load_store(path).count_in_severity or rubric.weights.get("imported_rules_count", 0.0) > 0:
        return rubric
    return replace(rubric, weights={**rubric.weights, "imported_rules_count": 1.0})


def load_imported(path: Path | None = None) -> tuple[ImportedRule, ...]:
    """Imported rules saved by ``huntfeed usecases import-sigma`` (none when nothing was imported)."""
    return load_store(path).rules


__all__ = ["IMPORT_FILE", "ImportStore", "ImportedRule", "MergeResult", "load_imported", "load_store",
           "merge", "save_imported", "save_store", "severity_rubric"]
