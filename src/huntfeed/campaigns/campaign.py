"""Campaigns: profiles joined by links (directly or through others), with what each report said and added.

A campaign is a connected component of the link graph. Its document lists first and last seen,
the sources, the union of indicators and techniques with the reports that said each, what each
report added over the ones before it, the links with their reasons, and one de-duplicated hunt
set: each use case once, and IOC sweeps over the union of the indicators (plus, per report, a
sweep over only what it added: what to re-run when a new report arrives).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from huntfeed.campaigns.linking import family_names, rules
from huntfeed.hunts.sweeps import build_sweeps
from huntfeed.model import Fidelity, Hunt, Indicator, Profile
from huntfeed.render.ioc_format import utc
from huntfeed.store.stories import Link


@dataclass(frozen=True, slots=True)
class Addition:
    """What one report brought to the campaign, against the reports before it."""

    profile_id: str
    indicators: tuple[Indicator, ...]
    techniques: tuple[str, ...]
    hunts: tuple[str, ...]
    rerun: tuple[Hunt, ...]  # sweeps over only the new indicators


@dataclass(frozen=True, slots=True)
class Campaign:
    """One campaign as read from the store."""

    id: str
    name: str
    members: tuple[Profile, ...]  # first seen first
    links: tuple[Link, ...]
    indicators: tuple[tuple[Indicator, tuple[str, ...]], ...]  # value, ids of the profiles that said it
    techniques: tuple[tuple[str, str, tuple[str, ...]], ...]  # id, name, ids of the profiles
    additions: tuple[Addition, ...]
    hunts: tuple[Hunt, ...]

    @property
    def first_seen(self) -> datetime:
        return when(self.members[0])

    @property
    def last_seen(self) -> datetime:
        return max(when(p) for p in self.members)

    @property
    def sources(self) -> tuple[str, ...]:
        names = [s.source for p in self.members for s in p.sources] + [p.source for p in self.members]
        return tuple(dict.fromkeys(n for n in names if n))


def when(p: Profile) -> datetime:
    """When a report saw the activity: its publication date, else when it was analysed."""
    return utc(p.published or p.analysed_at)


def campaign_id(member_ids: Sequence[str]) -> str:
    """Stable while the campaign's first member stays: a hash of its earliest report's id."""
    return "c" + hashlib.sha256(member_ids[0].encode()).hexdigest()[:15]


def components(links: Sequence[Link]) -> list[set[str]]:
    """Connected components of the link graph (union-find over the links only)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for link in links:
        parent[find(link.a)] = find(link.b)
    groups: dict[str, set[str]] = {}
    for node in list(parent):
        groups.setdefault(find(node), set()).add(node)
    return [g for g in groups.values() if len(g) > 1]


def _key(i: Indicator) -> tuple[str, str]:
    return i.type.value, i.value.lower()


def _name(members: Sequence[Profile], links: Sequence[Link]) -> str:
    """The family most reports name; else the CVE they report exploited; else the first report's title."""
    r = rules()
    counts = Counter(n for p in members for n in family_names(p, r))
    if counts and counts.most_common(1)[0][1] > 1:
        return counts.most_common(1)[0][0].upper()
    cves = Counter(c for p in members for c in {i.value.upper() for i in p.indicators if i.type.value == "cve"})
    if any(x.rule == "same-cve-same-period" for x in links) and cves:
        return f"{cves.most_common(1)[0][0]} exploitation"
    return members[0].title[:80]


def _additions(members: Sequence[Profile]) -> list[Addition]:
    seen_i: set[tuple[str, str]] = set()
    seen_t: set[str] = set()
    seen_h: set[str] = set()
    out: list[Addition] = []
    for p in members:
        new_i = tuple({_key(i): i for i in p.indicators if i.fidelity is Fidelity.HIGH and _key(i) not in seen_i}
                      .values())
        new_t = tuple(t.id for t in p.techniques if t.id not in seen_t)
        new_h = tuple(h.use_case for h in p.hunts if h.kind != "sweep" and h.use_case not in seen_h)
        out.append(Addition(p.id, new_i, new_t, new_h, build_sweeps(new_i) if out else ()))
        seen_i |= {_key(i) for i in new_i}
        seen_t |= set(new_t)
        seen_h |= set(new_h)
    return out


def build_campaign(members: Sequence[Profile], links: Sequence[Link]) -> Campaign:
    """The campaign of these linked profiles."""
    ordered = sorted(members, key=lambda p: (when(p), p.id))
    said: dict[tuple[str, str], tuple[Indicator, list[str]]] = {}
    techs: dict[str, tuple[str, list[str]]] = {}
    for p in ordered:
        for i in p.indicators:
            if i.fidelity is Fidelity.HIGH:
                entry = said.setdefault(_key(i), (i, []))
                if p.id not in entry[1]:
                    entry[1].append(p.id)
        for t in p.techniques:
            tentry = techs.setdefault(t.id, (t.name, []))
            if p.id not in tentry[1]:
                tentry[1].append(p.id)
    union = tuple(i for i, _ in said.values())
    usecases = {h.use_case: h for p in ordered for h in p.hunts if h.kind != "sweep"}
    return Campaign(
        id=campaign_id([p.id for p in ordered]), name=_name(ordered, links), members=tuple(ordered),
        links=tuple(sorted(links, key=lambda x: (x.a, x.b, x.rule))),
        indicators=tuple((i, tuple(ids)) for i, ids in said.values()),
        techniques=tuple(sorted((tid, name, tuple(ids)) for tid, (name, ids) in techs.items())),
        additions=tuple(_additions(ordered)), hunts=(*usecases.values(), *build_sweeps(union)))


def load_campaigns(store: Any) -> list[Campaign]:
    """Every campaign in the store, most recently active first."""
    links = store.all_links()
    out = []
    for group in components(links):
        profiles = store.latest_profiles(sorted(group))
        inner = [x for x in links if x.a in group and x.b in group]
        if len(profiles) > 1:
            out.append(build_campaign(list(profiles.values()), inner))
    return sorted(out, key=lambda c: (c.last_seen, c.id), reverse=True)


def campaign_of(store: Any, profile_id: str, limit: int = 500) -> Campaign | None:
    """The campaign a profile belongs to, walking its links through the index (never the whole graph)."""
    seen, frontier, links = {profile_id}, [profile_id], set()
    while frontier and len(seen) < limit:
        found = store.links_touching(frontier)
        links |= set(found)
        frontier = [n for x in found for n in (x.a, x.b) if n not in seen]
        seen |= set(frontier)
    if len(seen) < 2:
        return None
    profiles = store.latest_profiles(sorted(seen))
    return build_campaign(list(profiles.values()), list(links)) if len(profiles) > 1 else None


def find_campaign(store: Any, cid: str) -> Campaign | None:
    """A campaign by its id."""
    return next((c for c in load_campaigns(store) if c.id == cid), None)
