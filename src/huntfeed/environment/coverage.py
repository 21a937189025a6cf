"""Can the team run a hunt? ``covered`` (a deployed rule does it), ``runnable`` (a data source it reads is
there) or ``blind spot`` (none is: say which source would close it). Pure: hunt and environment in.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import yaml

from huntfeed.environment.fields import (
    Pairs,
    kql_pairs,
    kql_tables,
    sigma_logsource,
    sigma_pairs,
    spl_models,
    spl_pairs,
)
from huntfeed.environment.spec import DataSources, DeployedRule, Environment, SigmaSource
from huntfeed.model import Hunt, HuntLabel

RUNNABLE, BLIND, COVERED = "runnable", "blind spot", "covered"
_SAFE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class Needs:
    """What a hunt reads, per query dialect."""

    cim: frozenset[str]
    defender: frozenset[str]
    sentinel: frozenset[str]
    sigma: SigmaSource | None
    spl_pairs: Pairs
    kql_pairs: Pairs
    sigma_pairs: Pairs


def needs_of(hunt: Hunt) -> Needs:
    """The data sources and detection pairs of a hunt's queries."""
    q = hunt.queries
    return _needs(q.get("spl", ""), q.get("kql", ""), q.get("sentinel", ""), q.get("sigma", ""))


# A use case's queries are the same in every profile it fires for: read each set once per process.
@lru_cache(maxsize=2048)
def _needs(spl: str, kql: str, sentinel: str, sigma: str) -> Needs:
    rule = None
    if sigma:
        try:
            rule = yaml.load(sigma, Loader=_SAFE)  # noqa: S506 - a safe loader (the C one when built)
        except yaml.YAMLError:
            rule = None
    return Needs(
        cim=spl_models(spl),
        defender=kql_tables(kql),
        sentinel=kql_tables(sentinel),
        sigma=sigma_logsource(rule),
        spl_pairs=spl_pairs(spl),
        kql_pairs=kql_pairs(kql) | kql_pairs(sentinel),
        sigma_pairs=sigma_pairs(rule),
    )


def _lower(names: frozenset[str]) -> set[str]:
    return {n.lower() for n in names}


def runs_on(needs: Needs, have: DataSources) -> list[str]:
    """The team's sources a hunt can run on, one entry per dialect that has everything it reads."""
    out = []
    if needs.cim and all(any(c.covers(m) for c in have.splunk_cim) for m in needs.cim):
        indexes = sorted({c.index for c in have.splunk_cim for m in needs.cim if c.covers(m) and c.index})
        out.append("Splunk CIM " + ", ".join(sorted(needs.cim)) + (f" (index {', '.join(indexes)})" if indexes else ""))
    if needs.defender and _lower(needs.defender) <= _lower(have.defender_tables):
        out.append("Defender " + ", ".join(sorted(needs.defender)))
    if needs.sentinel and _lower(needs.sentinel) <= _lower(have.sentinel_tables):
        out.append("Sentinel " + ", ".join(sorted(needs.sentinel)))
    if needs.sigma is not None and any(s.covers(needs.sigma) for s in have.sigma):
        out.append(f"Sigma log source {needs.sigma.label}")
    return out


def would_close(needs: Needs, have: DataSources) -> list[str]:
    """What the team would need to collect for the hunt, one option per dialect, naming only what is missing."""
    out = []
    cim = sorted(m for m in needs.cim if not any(c.covers(m) for c in have.splunk_cim))
    if cim:
        out.append("Splunk CIM " + " + ".join(cim))
    for label, need, listed in (("Defender", needs.defender, have.defender_tables),
                                ("Sentinel", needs.sentinel, have.sentinel_tables)):
        missing = sorted(t for t in need if t.lower() not in _lower(listed))
        if missing and not (label == "Sentinel" and need == needs.defender):
            out.append(f"{label} " + " + ".join(missing))
    if needs.sigma is not None:
        out.append(f"Sigma log source {needs.sigma.label}")
    return out


def _same_technique(rule: DeployedRule, techniques: tuple[str, ...]) -> bool:
    # A rule on a parent technique detects its sub-techniques; one on a sub-technique is narrower.
    return any(t in rule.techniques or t.split(".")[0] in rule.techniques for t in techniques)


def _same_source(rule: DeployedRule, needs: Needs) -> bool:
    if rule.format == "sigma":
        return rule.logsource is not None and needs.sigma is not None and rule.logsource == needs.sigma
    if rule.format == "splunk":
        return bool(_lower(rule.cim_models) & _lower(needs.cim))
    return bool(_lower(rule.tables) & (_lower(needs.defender) | _lower(needs.sentinel)))


def _same_detection(rule: DeployedRule, needs: Needs) -> bool:
    mine = {"sigma": needs.sigma_pairs, "splunk": needs.spl_pairs, "sentinel": needs.kql_pairs}[rule.format]
    shared = len(mine & rule.pairs)
    return shared >= 1 and 2 * shared >= len(mine)


def covering_rule(hunt: Hunt, needs: Needs, rules: tuple[DeployedRule, ...]) -> tuple[DeployedRule, str] | None:
    """The first deployed rule that already does what the hunt does, and why."""
    for rule in rules:
        if hunt.techniques and _same_technique(rule, hunt.techniques) and _same_source(rule, needs):
            return rule, "same technique on the same log source"
        if _same_detection(rule, needs):
            return rule, "same detection fields and values"
    return None


def label_hunt(hunt: Hunt, env: Environment) -> HuntLabel:
    """One hunt's label with the reason in words."""
    needs = needs_of(hunt)
    covered = covering_rule(hunt, needs, env.rules)
    if covered is not None:
        rule, why = covered
        return HuntLabel(hunt.use_case, COVERED, f"deployed {rule.format} rule {rule.name!r} ({rule.where}): {why}",
                         rule=rule.name)
    runs = runs_on(needs, env.data_sources)
    if runs:
        return HuntLabel(hunt.use_case, RUNNABLE, "runs on " + "; ".join(runs), tuple(runs))
    options = would_close(needs, env.data_sources)
    if not options:
        return HuntLabel(hunt.use_case, BLIND, "reads no data source huntfeed recognises")
    return HuntLabel(hunt.use_case, BLIND, "you have no data source for it; any of these would close it: "
                     + "; ".join(options), tuple(options))


def label_hunts(hunts: tuple[Hunt, ...], env: Environment) -> tuple[HuntLabel, ...]:
    """Every hunt's label, in the hunts' order."""
    return tuple(label_hunt(h, env) for h in hunts)
