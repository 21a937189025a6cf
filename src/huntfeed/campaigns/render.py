"""A campaign as JSON, Markdown and a STIX 2.1 bundle (a ``campaign`` with its relationships)."""

from __future__ import annotations

import json
from typing import Any

import stix2

from huntfeed.campaigns.campaign import Campaign, when
from huntfeed.model import Profile
from huntfeed.render.ioc_format import defang
from huntfeed.render.markdown import md_code, md_text
from huntfeed.render.stix import PRODUCER_NAME, build_bundle, pattern_for, stix_id


def _iso(p: Profile) -> str:
    return when(p).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_dict(c: Campaign) -> dict[str, Any]:
    """The JSON form of a campaign."""
    titles = {p.id: p.title for p in c.members}
    return {
        "schema": "huntfeed.campaign/1", "id": c.id, "name": c.name,
        "first_seen": c.first_seen.isoformat(), "last_seen": c.last_seen.isoformat(), "sources": list(c.sources),
        "reports": [{"id": p.id, "title": p.title, "source": p.source, "url": p.url, "seen": _iso(p),
                     "severity": p.severity.value, "sources": [s.url for s in p.sources]} for p in c.members],
        "links": [{"a": x.a, "b": x.b, "rule": x.rule, "reason": x.reason} for x in c.links],
        "indicators": [{"type": i.type.value, "value": i.value, "said_by": list(ids)} for i, ids in c.indicators],
        "techniques": [{"id": t, "name": n, "said_by": list(ids)} for t, n, ids in c.techniques],
        "added": [{"report": a.profile_id, "title": titles[a.profile_id],
                   "indicators": [{"type": i.type.value, "value": i.value} for i in a.indicators],
                   "techniques": list(a.techniques), "hunts": list(a.hunts),
                   "rerun": [h.use_case for h in a.rerun]} for a in c.additions],
        "hunts": [{"use_case": h.use_case, "title": h.title, "kind": h.kind, "queries": dict(h.queries)}
                  for h in c.hunts],
    }


def render_json(c: Campaign) -> str:
    return json.dumps(to_dict(c), indent=2, ensure_ascii=False) + "\n"


def added_summary(c: Campaign, i: int) -> str:
    """'new: 2 domains, T1059.001' for the i-th report."""
    a = c.additions[i]
    counts: dict[str, int] = {}
    for ind in a.indicators:
        counts[ind.type.value] = counts.get(ind.type.value, 0) + 1
    parts = [f"{n} {k}{'s' if n > 1 else ''}" for k, n in sorted(counts.items())] + list(a.techniques)
    return ("first report: " if i == 0 else "new: ") + (", ".join(parts) if parts else "nothing new")


def render_markdown(c: Campaign) -> str:
    """The campaign document for people."""
    names = {p.id: p.title for p in c.members}
    lines = [f"# Campaign {md_text(c.name)}", "",
             f"**Campaign:** {md_code(c.id)} · {len(c.members)} reports · first seen {c.first_seen:%Y-%m-%d} · "
             f"last seen {c.last_seen:%Y-%m-%d}", f"**Sources:** {md_text(', '.join(c.sources))}", "",
             "## Reports and what each added", ""]
    for n, p in enumerate(c.members):
        lines.append(f"{n + 1}. {when(p):%Y-%m-%d} · {md_text(p.source)} · {md_text(p.title)} "
                     f"({md_code(p.id)}) — {md_text(added_summary(c, n))}")
        rerun = c.additions[n].rerun
        if rerun:
            lines.append(f"   re-run: {', '.join(md_code(h.use_case) for h in rerun)} (sweeps over the new values)")
    lines += ["", "## Why these reports are linked", ""]
    lines += [f"- {md_text(names.get(x.a, x.a))} ↔ {md_text(names.get(x.b, x.b))}: {x.rule}: {md_text(x.reason)}"
              for x in c.links]
    lines += ["", "## Indicators (high-fidelity, defanged) and who reported them", "",
              "| type | value | reported by |", "|---|---|---|"]
    lines += [f"| {i.type.value} | {md_code(defang(i.value, i.type))} | {len(ids)}: "
              f"{md_text(', '.join(names[x][:40] for x in ids))} |" for i, ids in c.indicators]
    lines += ["", "## Techniques", "", "| technique | reported by |", "|---|---|"]
    lines += [f"| {t} {md_text(n)} | {len(ids)} |" for t, n, ids in c.techniques]
    lines += ["", "## Hunts (once per campaign; sweeps over the union of the indicators)", ""]
    for h in c.hunts:
        lines.append(f"### {md_code(h.use_case)} {md_text(h.title)}")
        for lang in ("spl", "kql"):
            if lang in h.queries:
                lines += ["", f"```{lang}", h.queries[lang].replace("```", "` ` `"), "```"]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def build_stix(c: Campaign) -> stix2.Bundle:
    """The members' reports and objects plus a ``campaign`` with its relationships, each saying who said it."""
    base = build_bundle(list(c.members))
    objects = {o.id: o for o in base.objects}
    producer = stix_id("identity", PRODUCER_NAME)
    when_ = max(p.analysed_at for p in c.members)
    names = {p.id: p.title for p in c.members}
    camp = stix2.Campaign(
        id=stix_id("campaign", "huntfeed|" + c.id), name=c.name, first_seen=c.first_seen, last_seen=c.last_seen,
        description="Linked by huntfeed: " + "; ".join(x.reason for x in c.links)[:4000],
        created_by_ref=producer, created=c.first_seen, modified=when_,
        external_references=[{"source_name": p.source or "article", "url": p.url, "description": p.title}
                             for p in c.members if p.url.startswith(("http://", "https://"))] or None)
    objects[camp.id] = camp

    def relate(src: str, verb: str, dst: str, ids: tuple[str, ...]) -> None:
        if dst in objects or src in objects:
            rel = stix2.Relationship(
                id=stix_id("relationship", f"{src}|{verb}|{dst}"), relationship_type=verb, source_ref=src,
                target_ref=dst, created_by_ref=producer, created=c.first_seen, modified=when_,
                description="reported by: " + "; ".join(names[x][:80] for x in ids))
            objects[rel.id] = rel

    for ind, ids in c.indicators:
        if pattern_for(ind) is not None and stix_id("indicator", f"{ind.type.value}|{ind.value}") in objects:
            relate(stix_id("indicator", f"{ind.type.value}|{ind.value}"), "indicates", camp.id, ids)
    for tid, _, ids in c.techniques:
        relate(camp.id, "uses", stix_id("attack-pattern", tid), ids)
    for obj in list(objects.values()):
        if obj.type == "vulnerability":
            relate(camp.id, "targets", obj.id, tuple(p.id for p in c.members))
        elif obj.type in ("malware", "intrusion-set", "tool"):
            verb = "attributed-to" if obj.type == "intrusion-set" else "uses"
            relate(camp.id, verb, obj.id, tuple(p.id for p in c.members))
    ordered = sorted(objects.values(), key=lambda o: str(o.id))
    return stix2.Bundle(*ordered, id=stix_id("bundle", c.id + "|" + when_.isoformat()))


def render_stix(c: Campaign) -> str:
    return json.dumps(json.loads(build_stix(c).serialize()), indent=2, ensure_ascii=False) + "\n"


RENDER = {"md": render_markdown, "json": render_json, "stix": render_stix}
