"""What an imported Sigma rule is about, read once at import: its platform and the threats it names.

Both decide when the rule may fire (hunts.imported_rank): an AWS rule needs a report about AWS, a rule
written for the Kapeka backdoor or CVE-2024-3094 needs a report that names it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from sigma.correlations import SigmaCorrelationRule
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule

from huntfeed.errors import DataFileError
from huntfeed.hunts.platforms import PlatformCues, cue_pattern, load_platform_cues
from huntfeed.hunts.yamlfile import LineDict, load_yaml
from huntfeed.paths import package_data

_platforms = functools.cache(load_platform_cues)  # the bundled table, read once per process

# What a product-less rule's values say about the platform it watches: Windows paths and programs,
# Unix paths. A value like "\\rundll32.exe" in a proxy or DNS rule still means a Windows host.
_WINDOWS_VALUE = re.compile(r"(?:^|\\)[\w.-]+\.(?:exe|dll|ps1|bat|vbs|hta|lnk)\b|^[a-z]:\\|\\windows\\", re.I)
_UNIX_VALUE = re.compile(r"(?:^|[\s'\"])/(?:bin|usr|etc|tmp|var|dev/shm|home)/")
# SigmaHQ names emerging-threat rules <category>_<product>_<malware|apt|exploit>_<name>_...; its folders
# are rules-emerging-threats/<year>/<Malware|TA|Exploits>/<name>/.
_STEM_NAME = re.compile(r"(?:^|_)(?:malware|apt|exploit)_(cve_\d{4}_\d{4,7}|[a-z0-9]+)", re.I)
_NAME_FOLDERS = {"malware", "ta", "exploits"}
# Hack-tool and PUA rules (SigmaHQ: ..._hktl_<tool>_..., ..._pua_<tool>_...) detect one tool's artefacts.
_TOOL_STEM = re.compile(r"(?:^|_)(?:hktl|pua)_([a-z0-9]+)", re.I)
_CVE = re.compile(r"^cve[-_](\d{4})[-_](\d{4,7})$", re.I)
_CVE_ANYWHERE = re.compile(r"\bcve[-_](\d{4})[-_](\d{4,7})\b", re.I)


def _values(items: list[Any]) -> Iterator[str]:
    for item in items:
        if isinstance(item, SigmaDetection):
            yield from _values(item.detection_items)
        elif isinstance(item, SigmaDetectionItem):
            yield from (str(v) for v in item.original_value or ())


def rule_values(rule: SigmaRule) -> list[str]:
    """Every value the rule's detection looks for, as written."""
    return [v for det in rule.detection.detections.values() for v in _values(det.detection_items)]


def rule_platform(rule: SigmaRule, platforms: PlatformCues | None = None) -> str:
    """The platform the rule watches: its product; else its service's platform (the platform table,
    hunts.platforms); else what it queries."""
    ls = rule.logsource
    product, service = (ls.product or "").lower(), (ls.service or "").lower()
    if product or service:
        return (platforms or _platforms()).platform_of(product, service)
    values = rule_values(rule)
    if any(_WINDOWS_VALUE.search(v) for v in values):
        return "windows"
    if any(_UNIX_VALUE.search(v) for v in values):
        return "linux"
    return ""


def _cve(name: str) -> str:
    m = _CVE.match(name)
    return f"cve-{m.group(1)}-{m.group(2)}" if m else name.lower()


def rule_names(rule: SigmaRule | SigmaCorrelationRule, path: PurePath) -> tuple[str, ...]:
    """Named threats the rule is written for (lower case): its CVE tags and the CVEs its title or file
    name carries, the hack tool or PUA its file name names, and, for an emerging-threat rule, the
    malware, actor or exploit its folder or file name carries."""
    names = [_cve(f"cve-{t.name}") for t in rule.tags if t.namespace.lower() == "cve"]
    # A CVE in the title or file name ("Log4j RCE CVE-2021-44228 Generic") ties the rule to it too.
    names += [f"cve-{y}-{n}" for y, n in _CVE_ANYWHERE.findall(f"{rule.title} {path.stem}")]
    if (tool := _TOOL_STEM.search(path.stem)) is not None:
        names.append(tool.group(1).lower())
    emerging = any(t.namespace.lower() == "detection" and t.name.lower().replace("_", "-") == "emerging-threats"
                   for t in rule.tags) or any("emerging" in p.lower() for p in path.parts)
    if emerging:
        parts = [p.lower() for p in path.parts[:-1]]
        names += [_cve(parts[i + 1]) for i, p in enumerate(parts[:-1]) if p in _NAME_FOLDERS]
        if (m := _STEM_NAME.search(path.stem)) is not None:
            names.append(_cve(m.group(1)))
    return tuple(dict.fromkeys(n for n in names if len(n) >= 3))


@dataclass(frozen=True, slots=True)
class WebAttackClass:
    """One class of web attack: the words naming it in a rule and in a report."""

    name: str
    rule: re.Pattern[str]
    report: tuple[str, ...]


def load_web_attacks(path: Path | None = None) -> tuple[WebAttackClass, ...]:
    """The web-attack classes (default: the bundled ``hunts/web_attacks.yaml``); errors give file:line."""
    path = path or package_data("hunts", "web_attacks.yaml")
    doc = load_yaml(path)
    if not isinstance(doc, LineDict) or not doc:
        raise DataFileError("expected a mapping of web-attack class to its rule and report words", where=f"{path}:1")
    classes = []
    for name, entry in doc.items():
        where = f"{path}:{doc.line_of(name)}"
        if not isinstance(entry, LineDict) or set(entry) != {"rule", "report"}:
            raise DataFileError(f"class {name!r} must have exactly 'rule' and 'report' word lists", where=where)
        words = {k: _word_list(entry[k], f"class {name!r} {k}", where) for k in ("rule", "report")}
        classes.append(WebAttackClass(str(name), cue_pattern(list(words["rule"])), words["report"]))
    return tuple(classes)


def _word_list(raw: Any, what: str, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(w, str) and w.strip() for w in raw):
        raise DataFileError(f"{what} must be a list of words", where=where)
    return tuple(w.strip().lower() for w in raw)


_web_attacks = functools.cache(load_web_attacks)


def web_attack_cues(rule: SigmaRule | SigmaCorrelationRule, path: PurePath, techniques: tuple[str, ...],
                    classes: tuple[WebAttackClass, ...] | None = None) -> tuple[str, ...]:
    """The words one of which a report must hold for a web-attack rule to fit it (empty: not such a rule).

    A web-attack rule reads web-server logs and detects exploitation (T1190). Its cue is the attack
    class its title, description or file name names (path traversal, SQL injection, ...); else the
    product or service its logsource names; else any class's report words (the report names a web attack).
    """
    ls = rule.logsource if isinstance(rule, SigmaRule) else None
    if ls is None or (ls.category or "").lower() != "webserver" or "T1190" not in techniques:
        return ()
    classes = _web_attacks() if classes is None else classes
    about = f"{rule.title} {rule.description or ''} {path.stem.replace('_', ' ')}"
    named = [c for c in classes if c.rule.search(about)]
    if named:
        return tuple(dict.fromkeys(w for c in named for w in c.report))
    own = tuple(dict.fromkeys(v.lower() for v in (ls.product, ls.service) if v))
    return own or tuple(dict.fromkeys(w for c in classes for w in c.report))
