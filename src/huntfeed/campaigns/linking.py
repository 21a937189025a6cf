"""Campaign links between profiles: an explainable rule set kept as data (data/campaigns/rules.yaml).

A profile's keys (attacker-owned indicators, family names, CVEs) are indexed in the store; linking
a new profile looks its keys up there (no scan of the stored profiles) and checks each rule
against the profiles found. Every link carries its rule and a reason in words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from huntfeed.errors import DataFileError
from huntfeed.model import Fidelity, IndicatorType, Profile
from huntfeed.paths import package_data
from huntfeed.render.ioc_format import utc
from huntfeed.store.stories import Link

_CODE_NAME = re.compile(r"\b[A-Z][A-Z0-9]{3,}\b")
_FAMILY_KINDS = frozenset({"malware", "intrusion-set", "campaign"})


@dataclass(frozen=True, slots=True)
class Rules:
    """The link rules as loaded."""

    ioc_types: frozenset[str]
    exclude_reasons: frozenset[str]
    min_shared: int
    min_shared_techniques: int
    min_name_length: int
    window: timedelta
    exploited_markers: tuple[str, ...]
    stoplist: frozenset[str]
    commodity: frozenset[str]


def _section(raw: dict[str, Any], name: str, keys: set[str], where: str) -> dict[str, Any]:
    sec = raw.get(name)
    if not isinstance(sec, dict) or set(sec) - keys or keys - set(sec):
        raise DataFileError(f"{name}: expected exactly the keys {sorted(keys)}", where=where)
    return sec


def load_rules(path: Path | None = None, stoplist: Path | None = None) -> Rules:
    """Strict loader for rules.yaml (and the code-name stoplist)."""
    path = path or package_data("campaigns", "rules.yaml")
    where = str(path)
    try:
        raw = yaml.safe_load(path.read_text("utf-8"))
        stop_lines = (stoplist or package_data("campaigns", "name_stoplist.txt")).read_text("utf-8").splitlines()
    except (OSError, yaml.YAMLError) as exc:
        raise DataFileError(f"cannot read: {exc}", where=where) from exc
    if not isinstance(raw, dict) or set(raw) != {"shared_infrastructure", "named_family", "same_cve_same_period"}:
        raise DataFileError("expected shared_infrastructure, named_family and same_cve_same_period", where=where)
    infra = _section(raw, "shared_infrastructure", {"types", "exclude_reasons", "min_shared"}, where)
    fam = _section(raw, "named_family", {"min_shared_techniques", "min_name_length", "commodity"}, where)
    cve = _section(raw, "same_cve_same_period", {"window_days", "exploited_markers"}, where)
    known = {t.value for t in IndicatorType}
    if not isinstance(infra["types"], list) or set(infra["types"]) - known:
        raise DataFileError(f"shared_infrastructure.types: known types are {sorted(known)}", where=where)
    for value, name in ((infra["min_shared"], "min_shared"), (fam["min_shared_techniques"], "min_shared_techniques"),
                        (fam["min_name_length"], "min_name_length"), (cve["window_days"], "window_days")):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise DataFileError(f"{name}: expected a whole number >= 1", where=where)
    return Rules(frozenset(infra["types"]), frozenset(map(str, infra["exclude_reasons"] or ())), infra["min_shared"],
                 fam["min_shared_techniques"], fam["min_name_length"], timedelta(days=cve["window_days"]),
                 tuple(map(str, cve["exploited_markers"])),
                 frozenset(ln.strip().upper() for ln in stop_lines if ln.strip() and not ln.startswith("#")),
                 frozenset(str(n).lower() for n in fam["commodity"] or ()))


@lru_cache(maxsize=1)
def rules() -> Rules:
    """The shipped rules, loaded once."""
    return load_rules()


def family_names(p: Profile, r: Rules) -> set[str]:
    """Named malware, groups and campaigns the report is about: named in its title or summary.

    A passing mention in the body (a tool named among many, an alias that is also a product
    name) does not make a report about a family; its headline or summary naming it does. Names
    are ATT&CK's (as the actor matcher found them) and code names in capitals, the way vendors
    name clusters; commodity tools used by everyone never link.
    """
    head = f"{p.title}\n{p.summary}"
    names = {a.name.lower() for a in p.inference.actors
             if a.kind in _FAMILY_KINDS and a.matched and a.matched.lower() in head.lower()}
    for word in _CODE_NAME.findall(head):
        if len(word) >= r.min_name_length and word.upper() not in r.stoplist and not word.isdigit():
            names.add(word.lower())
    return names - r.commodity


def exploited(p: Profile, r: Rules) -> bool:
    """The profile reports exploitation (language in the text, or a CVE in KEV)."""
    return any(m in reason for reason in p.score.reasons for m in r.exploited_markers)


def keys_for(p: Profile, r: Rules) -> list[tuple[str, str]]:
    """The profile's linking keys: ('ioc', 'type|value'), ('family', name), ('cve', id)."""
    keys = [("ioc", f"{i.type.value}|{i.value.lower()}") for i in p.indicators
            if i.fidelity is Fidelity.HIGH and i.type.value in r.ioc_types and i.reason not in r.exclude_reasons]
    keys += [("family", n) for n in sorted(family_names(p, r))]
    if exploited(p, r):
        keys += [("cve", i.value.upper()) for i in p.indicators if i.type is IndicatorType.CVE]
    return list(dict.fromkeys(keys))


def _when(p: Profile) -> datetime:
    return utc(p.published or p.analysed_at)


def _ioc_words(values: list[str]) -> str:
    by_type: dict[str, list[str]] = {}
    for v in values:
        kind, _, value = v.partition("|")
        by_type.setdefault(kind, []).append(value)
    return ", ".join(f"{len(vs)} {k}{'s' if len(vs) > 1 else ''} ({', '.join(sorted(vs)[:3])}"
                     f"{', ...' if len(vs) > 3 else ''})" for k, vs in sorted(by_type.items()))


def evaluate(p: Profile, q: Profile, shared: Iterable[tuple[str, str]], r: Rules) -> list[Link]:
    """The links between two profiles that share ``shared`` keys, one per rule that holds."""
    a, b = sorted((p.id, q.id))
    title = (q.title or q.url)[:80]
    by_kind: dict[str, list[str]] = {}
    for kind, key in shared:
        by_kind.setdefault(kind, []).append(key)
    links: list[Link] = []
    iocs = sorted(by_kind.get("ioc", []))
    if len(iocs) >= r.min_shared:
        links.append(Link(a, b, "shared-infrastructure",
                          f"shares {len(iocs)} attacker-owned indicators with '{title}': {_ioc_words(iocs)}"))
    families = sorted(by_kind.get("family", []))
    if families:
        common = sorted({t.id for t in p.techniques} & {t.id for t in q.techniques})
        if len(common) >= r.min_shared_techniques:
            links.append(Link(a, b, "named-family", f"names {', '.join(f.upper() for f in families)} like "
                              f"'{title}' and shares {len(common)} techniques ({', '.join(common[:6])})"))
    cves = sorted(by_kind.get("cve", []))
    gap = abs(_when(p) - _when(q))
    if cves and gap <= r.window:
        links.append(Link(a, b, "same-cve-same-period", f"reports exploitation of {', '.join(cves)} like "
                          f"'{title}', {gap.days} day(s) apart"))
    return links


def link_profile(store: Any, p: Profile, r: Rules | None = None) -> list[Link]:
    """Index a stored profile's keys and (re)compute its links through the index; returns them."""
    r = r or rules()
    keys = keys_for(p, r)
    store.set_profile_keys(p.id, keys)
    sharing = store.profiles_sharing(keys, exclude=p.id) if keys else {}
    others = store.latest_profiles(list(sharing)) if sharing else {}
    links = [link for pid, shared in sharing.items() if pid in others
             for link in evaluate(p, others[pid], shared, r)]
    store.replace_links(p.id, links)
    return links
