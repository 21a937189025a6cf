"""``huntfeed usecases lint``: each use case parses, its Sigma is sound, every target converts and checks."""

from __future__ import annotations

from dataclasses import dataclass

from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule
from sigma.types import SigmaString

from huntfeed.errors import DataFileError, QueryError
from huntfeed.hunts.convert import CONVERTERS, defender_tables_for_sentinel, parse_rule
from huntfeed.hunts.library import HuntLibrary
from huntfeed.hunts.spl_lint import lint_spl
from huntfeed.hunts.usecase import TARGETS, UseCase
from huntfeed.hunts.validate import KustoChecker, defender_schema, sentinel_schema
from huntfeed.hunts.yamlfile import load_yaml_text


@dataclass(frozen=True, slots=True)
class Problem:
    """One lint finding, located at file:line."""

    where: str
    usecase: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.usecase}: {self.message}"


def _literal_wildcards(rule: SigmaRule) -> list[str]:
    """Fields whose value holds an escaped ``\\*`` or ``\\?``: a literal star almost always meant a wildcard."""
    found: list[str] = []

    def walk(items: list[SigmaDetectionItem | SigmaDetection]) -> None:
        for item in items:
            if isinstance(item, SigmaDetection):
                walk(item.detection_items)
                continue
            for v in item.value:
                if isinstance(v, SigmaString) and any(isinstance(p, str) and ("*" in p or "?" in p) for p in v.s):
                    found.append(str(item.field))

    for detection in rule.detection.detections.values():
        walk(detection.detection_items)
    return sorted(set(found))


def _sigma_problems(uc: UseCase) -> list[str]:
    try:
        # YAML keeps the last of two equal keys: a repeated "Field|modifier" would silently drop a condition.
        load_yaml_text(uc.sigma, "sigma")
        rule = parse_rule(uc.sigma)
    except DataFileError as exc:
        return [f"Sigma rule: {exc.message}"]
    except QueryError as exc:
        return [exc.message]
    out = []
    tags = {f"{t.namespace}.{t.name}".lower() for t in rule.tags}
    for tech in uc.techniques:
        if f"attack.{tech.lower()}" not in tags:
            out.append(f"Sigma tags lack attack.{tech.lower()} named in 'techniques'")
    if not rule.title:
        out.append("Sigma rule has no title")
    if rule.level is None:
        out.append("Sigma rule has no level")
    literal = "a value holds an escaped \\* or \\? (a literal character, not a wildcard)"
    out += [f"{f}: {literal}" for f in _literal_wildcards(rule)]
    return out


def _no_data_model(exc: QueryError) -> bool:
    return "not yet supported by the Splunk data model" in exc.message


def _converts(uc: UseCase, target: str) -> bool:
    try:
        CONVERTERS[target](uc.sigma)
    except QueryError:
        return False
    return True


def group_problems(cases: tuple[UseCase, ...]) -> list[Problem]:
    """A group is twins of one behaviour: at least two members, sharing a technique, with one alert-grade.

    A group of one is a misspelt name (its twin takes a slot of its own); members with no technique in
    common are two behaviours that would share a slot and push a third out of a profile unseen; a group
    of audit hunts only ranks last and reaches no profile with a lead.
    """
    groups: dict[str, list[UseCase]] = {}
    for uc in cases:
        if uc.group:
            groups.setdefault(uc.group, []).append(uc)
    out: list[Problem] = []
    for name, members in sorted(groups.items()):
        first = members[0]
        where = f"{first.path}:1"
        if len(members) < 2:
            out.append(Problem(where, first.id, f"group {name!r} has no other member (a misspelt group?)"))
            continue
        common = set(first.techniques).intersection(*(m.techniques for m in members[1:]))
        if not common:
            ids = ", ".join(m.id for m in members)
            out.append(Problem(where, first.id, f"group {name!r} members share no technique: {ids}"))
        if all(m.grade == "audit" for m in members):
            out.append(Problem(where, first.id, f"group {name!r} has no alert-grade member"))
    return out


def lint_library(lib: HuntLibrary, checker: KustoChecker | None = None) -> list[Problem]:
    """All problems of the library; KQL is analysed when a checker is given."""
    problems: list[Problem] = group_problems(lib.usecases)
    kql: list[tuple[UseCase, str, str]] = []
    for uc in lib.usecases:
        where = f"{uc.path}:{uc.sigma_line}"
        problems += [Problem(where, uc.id, m) for m in _sigma_problems(uc)]
        queries: dict[str, str] = {}
        for target in TARGETS:
            if target in uc.overrides:
                queries[target] = uc.overrides[target]
                continue
            try:
                queries[target] = CONVERTERS[target](uc.sigma)
            except QueryError as exc:
                if target == "sentinel" and "kql" in uc.overrides:
                    queries[target] = defender_tables_for_sentinel(uc.overrides["kql"])
                    continue
                if target == "spl" and _no_data_model(exc) and _converts(uc, "spl_raw"):
                    continue  # no CIM data model holds this event: the raw-event SPL is the Splunk hunt
                problems.append(
                    Problem(where, uc.id, f"{target}: does not convert ({exc.message}); add an override")
                )
        for target in ("spl", "spl_raw"):
            if target in queries:
                problems += [Problem(where, uc.id, f"{target}: {m}") for m in lint_spl(queries[target])]
        if "spl" in queries and "datamodel=" not in queries["spl"]:
            problems.append(
                Problem(where, uc.id, "spl: must search a CIM data model (| tstats ... from datamodel=...)")
            )
        for target in ("kql", "sentinel"):
            if target in queries:
                kql.append((uc, target, queries[target]))
    if checker is not None:
        for schema_name, schema in (("kql", defender_schema()), ("sentinel", sentinel_schema())):
            checker.set_schema(schema)
            for uc, target, query in kql:
                if target != schema_name:
                    continue
                for err in checker.check(query, qid=uc.id).errors:
                    problems.append(Problem(f"{uc.path}:{uc.sigma_line}", uc.id, f"{target}: {err}"))
    return problems
