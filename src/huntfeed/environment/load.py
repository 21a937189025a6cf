"""The strict loader of environment.toml: every wrong key, type or value is an error at file:line.

The file is found at the edge, once: ``--environment PATH``, else ``$HUNTFEED_ENVIRONMENT``, else
``environment.toml`` in the data folder. No file there means no environment: profiles are then
exactly what they were without one.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from huntfeed.environment.rules import load_rules
from huntfeed.environment.spec import CimSource, DataSources, Environment, Place, Product, SigmaSource
from huntfeed.environment.tomllines import Key, LinedToml, load_toml
from huntfeed.errors import DataFileError
from huntfeed.hunts.yamlfile import LineDict, load_yaml
from huntfeed.paths import data_dir, package_data

FILE_NAME = "environment.toml"
ENV_VAR = "HUNTFEED_ENVIRONMENT"
_TOP = {"name", "products", "sectors", "regions", "data_sources", "deployed_rules"}
_PRODUCT = {"vendor", "product", "versions", "aliases"}
_SOURCES = {"splunk_cim", "defender_tables", "sentinel_tables", "sigma"}
_RULES = {"sigma", "splunk", "sentinel"}
_CIM_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)?$")
_TABLE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def environment_path(explicit: Path | None = None) -> tuple[Path, bool]:
    """Where the environment file is, and whether the user named it (flag or variable)."""
    if explicit is not None:
        return explicit, True
    named = os.environ.get(ENV_VAR)
    if named:
        return Path(named), True
    return data_dir() / FILE_NAME, False


def find_environment(explicit: Path | None = None) -> Environment | None:
    """The environment to use, or None when none is configured (a named file that is missing is an error)."""
    path, named = environment_path(explicit)
    if not named and not path.is_file():
        return None
    return load_environment(path)


class _Doc:
    """Typed access to the parsed file, every failure an error at the key's line."""

    def __init__(self, toml: LinedToml) -> None:
        self.toml = toml

    def fail(self, key: Key, message: str) -> DataFileError:
        return DataFileError(message, where=self.toml.where(key))

    def table(self, value: Any, key: Key, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, f"{_name(key)} must be a table")
        for k in value:
            if k not in allowed:
                raise self.fail((*key, k), f"unknown key {k!r} in {_name(key)} (allowed: {', '.join(sorted(allowed))})")
        return value

    def text(self, value: Any, key: Key, *, required: bool = True) -> str:
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"{_name(key)} must be a non-empty string")
        return value.strip()

    def texts(self, value: Any, key: Key) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.fail(key, f"{_name(key)} must be a list of strings")
        return tuple(self.text(v, (*key, i)) for i, v in enumerate(value))

    def items(self, value: Any, key: Key) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(key, f"{_name(key)} must be a list")
        return value


def _name(key: Key) -> str:
    return ".".join(str(k) if isinstance(k, str) else f"[{k}]" for k in key).replace(".[", "[") or "the file"


def load_environment(path: Path) -> Environment:
    """Load and check an environment file; deployed-rule folders are read relative to it."""
    doc = _Doc(load_toml(path))
    top = doc.table(dict(doc.toml.data), (), _TOP)
    vocab = _vocabulary()
    sources = top.get("data_sources", {})
    return Environment(
        where=str(path),
        name=doc.text(top.get("name"), ("name",), required=False),
        products=tuple(_product(doc, p, ("products", i)) for i, p in enumerate(doc.items(top.get("products"),
                                                                                         ("products",)))),
        sectors=_places(doc, top.get("sectors"), ("sectors",), vocab["sectors"]),
        regions=_places(doc, top.get("regions"), ("regions",), vocab["regions"]),
        data_sources=_data_sources(doc, sources),
        rules=_deployed(doc, top.get("deployed_rules", {}), path.parent),
    )


def _product(doc: _Doc, raw: Any, key: Key) -> Product:
    table = doc.table(raw, key, _PRODUCT)
    if "product" not in table:
        raise doc.fail(key, f"{_name(key)} needs a 'product'")
    return Product(
        vendor=doc.text(table.get("vendor"), (*key, "vendor"), required=False),
        product=doc.text(table["product"], (*key, "product")),
        versions=doc.texts(table.get("versions"), (*key, "versions")),
        aliases=doc.texts(table.get("aliases"), (*key, "aliases")),
        where=doc.toml.where(key),
    )


def _places(doc: _Doc, raw: Any, key: Key, vocab: dict[str, tuple[str, ...]]) -> tuple[Place, ...]:
    out = []
    for i, item in enumerate(doc.items(raw, key)):
        if isinstance(item, str):
            name = item.strip().lower()
            if name not in vocab:
                known = ", ".join(sorted(vocab))
                raise doc.fail((*key, i), f"unknown {str(key[0])[:-1]} {item!r}: use one of {known}, "
                                          "or a table { name = \"...\", terms = [\"...\"] }")
            out.append(Place(name, vocab[name]))
            continue
        table = doc.table(item, (*key, i), {"name", "terms"})
        name = doc.text(table.get("name"), (*key, i, "name"))
        terms = doc.texts(table.get("terms"), (*key, i, "terms"))
        out.append(Place(name, tuple(t.lower() for t in terms) or vocab.get(name.lower(), (name.lower(),))))
    return tuple(out)


def _data_sources(doc: _Doc, raw: Any) -> DataSources:
    key: Key = ("data_sources",)
    table = doc.table(raw, key, _SOURCES)
    cim = []
    for i, item in enumerate(doc.items(table.get("splunk_cim"), (*key, "splunk_cim"))):
        k = (*key, "splunk_cim", i)
        entry = doc.table(item, k, {"data_model", "index"})
        model = doc.text(entry.get("data_model"), (*k, "data_model"))
        if not _CIM_RE.match(model):
            raise doc.fail(k, f"{model!r} is not a CIM data model name (e.g. Endpoint.Processes)")
        cim.append(CimSource(model, doc.text(entry.get("index"), (*k, "index"), required=False)))
    tables = {}
    for name in ("defender_tables", "sentinel_tables"):
        values = doc.texts(table.get(name), (*key, name))
        for i, value in enumerate(values):
            if not _TABLE_RE.match(value):
                raise doc.fail((*key, name, i), f"{value!r} is not a table name")
        tables[name] = frozenset(values)
    sigma = []
    for i, item in enumerate(doc.items(table.get("sigma"), (*key, "sigma"))):
        k = (*key, "sigma", i)
        entry = doc.table(item, k, {"product", "category", "service"})
        if not entry:
            raise doc.fail(k, "a Sigma log source needs product, category or service")
        sigma.append(SigmaSource(*(doc.text(entry.get(f), (*k, f), required=False).lower()
                                   for f in ("product", "category", "service"))))
    return DataSources(tuple(cim), tables["defender_tables"], tables["sentinel_tables"], tuple(sigma))


def _deployed(doc: _Doc, raw: Any, base: Path) -> tuple[Any, ...]:
    key: Key = ("deployed_rules",)
    table = doc.table(raw, key, _RULES)
    rules = []
    for fmt in sorted(_RULES):
        for i, folder in enumerate(doc.texts(table.get(fmt), (*key, fmt))):
            target = (base / folder).resolve() if not Path(folder).is_absolute() else Path(folder)
            if not target.exists():
                raise doc.fail((*key, fmt, i), f"no such file or folder: {target}")
            rules.extend(load_rules(fmt, target))
    return tuple(rules)


@lru_cache(maxsize=1)
def _vocabulary() -> dict[str, dict[str, tuple[str, ...]]]:
    path = package_data("environment", "places.yaml")
    doc = load_yaml(path)
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for kind in ("sectors", "regions"):
        section = doc.get(kind) if isinstance(doc, LineDict) else None
        if not isinstance(section, LineDict):
            raise DataFileError(f"{kind!r} must be a mapping", where=f"{path}:1")
        out[kind] = {}
        for name, terms in section.items():
            if not isinstance(terms, list) or not all(isinstance(t, str) and t.strip() for t in terms):
                raise DataFileError(f"{kind}.{name} must be a list of words", where=f"{path}:{section.line_of(name)}")
            out[kind][name] = tuple(t.strip().lower() for t in terms)
    return out
