"""Deployed rules read from the team's folders: Sigma YAML, Splunk savedsearches.conf, Sentinel YAML/JSON.

Each is reduced to a ``DeployedRule``: its name, the techniques it names, the data sources it
reads and its (field, value) pairs. A file that cannot be read as its format is an error naming
the file (and line); a disabled Splunk search is not deployed and is left out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from huntfeed.environment.fields import (
    kql_pairs,
    kql_tables,
    sigma_logsource,
    sigma_pairs,
    sigma_techniques,
    spl_models,
    spl_pairs,
    techniques_in,
)
from huntfeed.environment.spec import DeployedRule
from huntfeed.errors import DataFileError
from huntfeed.hunts.yamlfile import load_yaml_text

_STANZA = re.compile(r"^\s*\[(.+)\]\s*$")
_KEYVAL = re.compile(r"^\s*([^=#\s][^=]*?)\s*=\s?(.*)$")


def _files(target: Path, suffixes: tuple[str, ...]) -> Iterator[Path]:
    if target.is_file():
        yield target
        return
    for path in sorted(target.rglob("*")):
        if path.is_file() and path.suffix.lower() in suffixes:
            yield path


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(f"cannot read deployed rule: {exc}", where=str(path)) from exc


def sigma_rules(target: Path) -> list[DeployedRule]:
    """Every Sigma rule (``*.yml``/``*.yaml``) under ``target``."""
    out = []
    for path in _files(target, (".yml", ".yaml")):
        rule = load_yaml_text(_read(path), str(path))
        if not isinstance(rule, dict) or "detection" not in rule or "logsource" not in rule:
            raise DataFileError("not a Sigma rule (needs logsource and detection)", where=f"{path}:1")
        out.append(DeployedRule(
            name=str(rule.get("title") or path.stem), format="sigma", where=str(path),
            techniques=sigma_techniques(rule), logsource=sigma_logsource(rule), pairs=sigma_pairs(rule),
        ))
    return out


def _stanzas(text: str, where: str) -> Iterator[tuple[str, int, dict[str, str]]]:
    name, line = "", 0
    keys: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        raw = lines[i]
        i += 1
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        m = _STANZA.match(raw)
        if m:
            if name:
                yield name, line, keys
            name, line, keys = m.group(1).strip(), i, {}
            continue
        kv = _KEYVAL.match(raw)
        if not kv:
            raise DataFileError(f"expected 'key = value' or a [stanza], got {raw.strip()[:60]!r}", where=f"{where}:{i}")
        value = kv.group(2)
        while value.endswith("\\") and i < len(lines):  # Splunk's line continuation
            value = value[:-1] + "\n" + lines[i]
            i += 1
        keys[kv.group(1).strip()] = value.strip()
    if name:
        yield name, line, keys


def splunk_rules(target: Path) -> list[DeployedRule]:
    """Every enabled saved search in the ``savedsearches.conf`` files under ``target``."""
    out = []
    for path in _files(target, (".conf",)):
        for name, line, keys in _stanzas(_read(path), str(path)):
            if name == "default" or keys.get("disabled", "0").strip().lower() in ("1", "true"):
                continue
            search = keys.get("search", "")
            annotations = keys.get("action.correlationsearch.annotations", "")
            out.append(DeployedRule(
                name=name, format="splunk", where=f"{path}:{line}",
                techniques=techniques_in(annotations + "\n" + keys.get("description", "") + "\n" + name),
                cim_models=spl_models(search), pairs=spl_pairs(search),
            ))
    return out


def _sentinel_docs(path: Path) -> list[dict[str, Any]]:
    text = _read(path)
    if path.suffix.lower() == ".json":
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise DataFileError(f"invalid JSON: {exc}", where=str(path)) from exc
        if isinstance(doc, dict) and isinstance(doc.get("resources"), list):  # an ARM template export
            return [r.get("properties", {}) for r in doc["resources"] if isinstance(r, dict)]
        items = doc if isinstance(doc, list) else [doc]
        return [d.get("properties", d) for d in items if isinstance(d, dict)]
    doc = load_yaml_text(text, str(path))
    return [doc] if isinstance(doc, dict) else []


def sentinel_rules(target: Path) -> list[DeployedRule]:
    """Every Sentinel analytic rule (YAML as in Azure-Sentinel, or exported JSON) under ``target``."""
    out = []
    for path in _files(target, (".yml", ".yaml", ".json")):
        for n, doc in enumerate(_sentinel_docs(path)):
            query = doc.get("query")
            if not isinstance(query, str) or not query.strip():
                raise DataFileError(f"analytic rule {n + 1} has no query", where=str(path))
            named = " ".join(str(t) for key in ("relevantTechniques", "techniques", "subTechniques")
                             for t in (doc.get(key) or []))
            out.append(DeployedRule(
                name=str(doc.get("name") or doc.get("displayName") or path.stem), format="sentinel",
                where=str(path), techniques=techniques_in(named), tables=kql_tables(query), pairs=kql_pairs(query),
            ))
    return out


LOADERS: dict[str, Callable[[Path], list[DeployedRule]]] = {
    "sigma": sigma_rules,
    "splunk": splunk_rules,
    "sentinel": sentinel_rules,
}


def load_rules(fmt: str, target: Path) -> list[DeployedRule]:
    """The deployed rules of one format under a file or folder."""
    return LOADERS[fmt](target)
