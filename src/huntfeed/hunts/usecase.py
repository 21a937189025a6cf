"""A use case: one YAML file holding a Sigma rule, its triggers and analyst notes; strictly loaded."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from huntfeed.attack.killchain import PHASES
from huntfeed.errors import DataFileError
from huntfeed.hunts.yamlfile import LineDict, load_yaml
from huntfeed.model import IndicatorType

CONFIDENCES = ("High", "Medium", "Low")
TARGETS = ("spl", "spl_raw", "kql", "sentinel")
TECHNIQUE_RE = re.compile(r"^T\d{4}(\.\d{3})?$")
ID_RE = re.compile(r"^UC_[A-Z0-9_]{3,60}$")
GROUP_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,40}$")
# alert: a hit is a lead to chase; audit: every occurrence of an event that is also routine (a cleared
# log), listed for review, ranked after the alert-grade hunts and left out of severity.
GRADES = ("alert", "audit")

_REQUIRED = ("id", "title", "description", "phase", "confidence", "techniques", "triggers", "sigma")
_OPTIONAL = ("false_positives", "overrides", "references", "samples", "grade", "group")
_TRIGGER_KEYS = ("techniques", "phrases", "indicator_types", "cve", "require_phrase", "context", "exploitation")


@dataclass(frozen=True, slots=True)
class Triggers:
    """What makes a use case fire for a document."""

    techniques: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    indicator_types: tuple[IndicatorType, ...] = ()
    cve: bool = False
    # For a use case about one tool (certutil, netsh portproxy): the technique alone is too broad a signal.
    require_phrase: bool = False
    # Product and platform names (Entra ID, Microsoft 365): they add rank but never fire a use case alone.
    context: tuple[str, ...] = ()
    # The hunt presumes a compromise: a text that says exploitation was not observed does not fire it.
    exploitation: bool = False


Event = dict[str, str | int]


@dataclass(frozen=True, slots=True)
class Samples:
    """Events in the Sigma rule's own field names: ``match`` must all fire the rule, ``nomatch`` none."""

    match: tuple[Event, ...] = ()
    nomatch: tuple[Event, ...] = ()


@dataclass(frozen=True, slots=True)
class UseCase:
    """One detection use case as the analyst wrote it."""

    id: str
    title: str
    description: str
    phase: str
    confidence: str
    techniques: tuple[str, ...]
    triggers: Triggers
    sigma: str
    false_positives: str = ""
    overrides: dict[str, str] = field(default_factory=dict)
    references: tuple[str, ...] = ()
    path: str = ""
    sigma_line: int = 0
    product: str = ""  # the Sigma logsource product (windows, linux, azure...): gates firing by platform
    samples: Samples = field(default_factory=Samples)
    grade: str = "alert"  # alert | audit
    # Use cases hunting one behaviour in different log sources (schtasks.exe and Security 4698) share
    # one of a profile's use-case slots, so twins never push another behaviour out.
    group: str = ""


def _str(doc: LineDict, key: str, where: str, *, required: bool = True) -> str:
    value = doc.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise DataFileError(f"{key!r} must be a non-empty string", where=f"{where}:{doc.line_of(key)}")
    return value.strip()


def _str_list(doc: LineDict, key: str, where: str) -> tuple[str, ...]:
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise DataFileError(
            f"{key!r} must be a list of non-empty strings", where=f"{where}:{doc.line_of(key)}"
        )
    return tuple(v.strip() for v in value)


def _techniques(doc: LineDict, key: str, where: str) -> tuple[str, ...]:
    values = _str_list(doc, key, where)
    for v in values:
        if not TECHNIQUE_RE.match(v):
            raise DataFileError(f"{v!r} is not an ATT&CK technique id", where=f"{where}:{doc.line_of(key)}")
    return values


def parse_usecase(doc: Any, where: str) -> UseCase:
    """Build a UseCase from parsed YAML, raising DataFileError (file:line) on any schema problem."""
    if not isinstance(doc, LineDict):
        raise DataFileError("a use case file must hold one mapping", where=f"{where}:1")
    for key in doc:
        if key not in _REQUIRED + _OPTIONAL:
            raise DataFileError(f"unknown key {key!r}", where=f"{where}:{doc.line_of(key)}")
    for key in _REQUIRED:
        if key not in doc:
            raise DataFileError(f"missing key {key!r}", where=f"{where}:{doc.line}")
    uc_id = _str(doc, "id", where)
    if not ID_RE.match(uc_id):
        raise DataFileError(f"id {uc_id!r} must look like UC_SOMETHING", where=f"{where}:{doc.line_of('id')}")
    phase = _str(doc, "phase", where)
    if phase not in PHASES:
        raise DataFileError(
            f"phase {phase!r} is not one of {', '.join(PHASES)}", where=f"{where}:{doc.line_of('phase')}"
        )
    confidence = _str(doc, "confidence", where)
    if confidence not in CONFIDENCES:
        raise DataFileError(
            f"confidence {confidence!r} is not one of {', '.join(CONFIDENCES)}",
            where=f"{where}:{doc.line_of('confidence')}",
        )
    techniques = _techniques(doc, "techniques", where)
    if not techniques:
        raise DataFileError(
            "'techniques' must name at least one technique", where=f"{where}:{doc.line_of('techniques')}"
        )
    triggers = _triggers(doc["triggers"], where, doc.line_of("triggers"))
    sigma = _str(doc, "sigma", where)
    overrides = doc.get("overrides", LineDict())
    if not isinstance(overrides, LineDict):
        raise DataFileError("'overrides' must be a mapping", where=f"{where}:{doc.line_of('overrides')}")
    overrides.lines = getattr(overrides, "lines", {})
    for key, value in overrides.items():
        if key not in TARGETS or not isinstance(value, str) or not value.strip():
            raise DataFileError(
                f"override {key!r} must be one of {', '.join(TARGETS)} with a query string",
                where=f"{where}:{overrides.line_of(key)}",
            )
    return UseCase(
        id=uc_id,
        title=_str(doc, "title", where),
        description=_str(doc, "description", where),
        phase=phase,
        confidence=confidence,
        techniques=techniques,
        triggers=triggers,
        sigma=sigma,
        product=_sigma_product(sigma),
        false_positives=_str(doc, "false_positives", where, required=False),
        overrides={k: v.strip() for k, v in overrides.items()},
        references=_str_list(doc, "references", where),
        samples=_samples(doc, where),
        grade=_choice(doc, "grade", GRADES, where),
        group=_group(doc, where),
        path=where,
        sigma_line=doc.line_of("sigma") + 1,
    )


def _choice(doc: LineDict, key: str, allowed: tuple[str, ...], where: str) -> str:
    value = doc.get(key, allowed[0])
    if value not in allowed:
        raise DataFileError(
            f"{key} {value!r} is not one of {', '.join(allowed)}", where=f"{where}:{doc.line_of(key)}"
        )
    return str(value)


def _group(doc: LineDict, where: str) -> str:
    value = doc.get("group", "")
    if value != "" and not (isinstance(value, str) and GROUP_RE.match(value)):
        raise DataFileError(
            f"group {value!r} must be a lower-case slug (letters, digits, hyphens)",
            where=f"{where}:{doc.line_of('group')}",
        )
    return str(value)


def _events(raw: Any, where: str) -> tuple[Event, ...]:
    if not isinstance(raw, list) or not raw:
        raise DataFileError("must be a non-empty list of events", where=where)
    events: list[Event] = []
    for event in raw:
        if not isinstance(event, dict) or not event:
            raise DataFileError("each sample event must be a mapping of field to value", where=where)
        for key, value in event.items():
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                raise DataFileError(f"sample field {key!r} must be a string or an integer", where=where)
        events.append(dict(event))
    return tuple(events)


def _samples(doc: LineDict, where: str) -> Samples:
    raw = doc.get("samples")
    if raw is None:
        return Samples()
    at = f"{where}:{doc.line_of('samples')}"
    if not isinstance(raw, LineDict) or set(raw) - {"match", "nomatch"}:
        raise DataFileError("'samples' must be a mapping with 'match' and 'nomatch' event lists", where=at)
    return Samples(
        match=_events(raw.get("match"), f"{at} (match)"), nomatch=_events(raw.get("nomatch"), f"{at} (nomatch)")
    )


def _sigma_product(sigma: str) -> str:
    # Sigma validity is the linter's job (with pySigma's messages); here only the product matters.
    try:
        rule = yaml.safe_load(sigma)
    except yaml.YAMLError:
        return ""
    logsource = rule.get("logsource") if isinstance(rule, dict) else None
    product = logsource.get("product", "") if isinstance(logsource, dict) else ""
    return product.lower() if isinstance(product, str) else ""


def _triggers(raw: Any, where: str, line: int) -> Triggers:
    if not isinstance(raw, LineDict):
        raise DataFileError("'triggers' must be a mapping", where=f"{where}:{line}")
    for key in raw:
        if key not in _TRIGGER_KEYS:
            raise DataFileError(f"unknown trigger {key!r}", where=f"{where}:{raw.line_of(key)}")
    types: list[IndicatorType] = []
    for name in _str_list(raw, "indicator_types", where):
        try:
            types.append(IndicatorType(name))
        except ValueError:
            raise DataFileError(
                f"unknown indicator type {name!r}", where=f"{where}:{raw.line_of('indicator_types')}"
            ) from None
    cve = raw.get("cve", False)
    if not isinstance(cve, bool):
        raise DataFileError("'cve' must be true or false", where=f"{where}:{raw.line_of('cve')}")
    require_phrase = raw.get("require_phrase", False)
    if not isinstance(require_phrase, bool):
        raise DataFileError(
            "'require_phrase' must be true or false", where=f"{where}:{raw.line_of('require_phrase')}"
        )
    exploitation = raw.get("exploitation", False)
    if not isinstance(exploitation, bool):
        raise DataFileError(
            "'exploitation' must be true or false", where=f"{where}:{raw.line_of('exploitation')}"
        )
    triggers = Triggers(
        techniques=_techniques(raw, "techniques", where),
        phrases=tuple(p.lower() for p in _str_list(raw, "phrases", where)),
        indicator_types=tuple(types),
        cve=cve,
        require_phrase=require_phrase,
        context=tuple(p.lower() for p in _str_list(raw, "context", where)),
        exploitation=exploitation,
    )
    if not triggers.techniques and not triggers.phrases:
        raise DataFileError("a use case needs technique or phrase triggers", where=f"{where}:{line}")
    if require_phrase and not triggers.phrases:
        raise DataFileError("'require_phrase' needs phrases", where=f"{where}:{raw.line_of('require_phrase')}")
    return triggers


def load_usecase(path: Path) -> UseCase:
    """Load and check one use-case file."""
    return parse_usecase(load_yaml(path), str(path))


def load_usecases(directory: Path) -> tuple[UseCase, ...]:
    """Load every ``*.yaml`` use case in a folder, sorted by file name; ids must be unique."""
    cases: list[UseCase] = []
    seen: dict[str, str] = {}
    for path in sorted(directory.glob("*.y*ml")):
        uc = load_usecase(path)
        if uc.id in seen:
            raise DataFileError(f"duplicate use case id {uc.id} (also in {seen[uc.id]})", where=f"{path}:1")
        seen[uc.id] = str(path)
        cases.append(uc)
    return tuple(cases)
