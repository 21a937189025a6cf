"""Campaign links (table-driven rules), the campaign document and STIX, and the demo end to end."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from stix2validator import ValidationOptions, validate_string

from huntfeed.campaigns.campaign import build_campaign, campaign_of, components, load_campaigns
from huntfeed.campaigns.linking import evaluate, keys_for, link_profile, load_rules, rules
from huntfeed.campaigns.render import added_summary, render_markdown, render_stix, to_dict
from huntfeed.errors import DataFileError
from huntfeed.model import (
    Fidelity,
    Indicator,
    IndicatorType,
    Inference,
    Profile,
    Score,
    Severity,
    TechniqueHit,
    TextSource,
)
from huntfeed.store import Store
from huntfeed.store.stories import Link

T = IndicatorType
DAY0 = datetime(2026, 11, 1, tzinfo=UTC)
EXPLOITED = "Exploitation-in-the-wild language found: 'actively exploited' (+2.5)."


def ioc(t: IndicatorType, value: str, reason: str = "in-ioc-section", fid: Fidelity = Fidelity.HIGH) -> Indicator:
    return Indicator(t, value, value, 0, len(value), fidelity=fid, reason=reason)


def prof(pid: str, title: str, iocs: tuple[Indicator, ...] = (), techs: tuple[str, ...] = (), days: int = 0,
         reasons: tuple[str, ...] = (), summary: str = "") -> Profile:
    when = DAY0 + timedelta(days=days)
    return Profile(
        id=pid, version=1, title=title, source=f"src-{pid}", published=when, url=f"https://{pid}.example/post",
        summary=summary, text_source=TextSource.FULL_ARTICLE, score=Score(Severity.HIGH, reasons, 7.0),
        indicators=iocs, inference=Inference(observed=tuple(TechniqueHit(t, f"name {t}") for t in techs)),
        hunts=(), content_hash="h" + pid, analysed_at=when)


C2A, C2B, C2C = ioc(T.DOMAIN, "c2-one.example"), ioc(T.DOMAIN, "c2-two.example"), ioc(T.IPV4, "198.51.100.7")
ABUSED = ioc(T.URL, "https://raw.githubusercontent.com/x/y/p.sh", reason="abused-host")
CVE = ioc(T.CVE, "CVE-2026-11111")

# (case, profile p, profile q, rules that link them) -- one row per class of link (or non-link) the rules decide
CASES = [
    ("two shared C2 values", prof("a", "A", (C2A, C2B)), prof("b", "B", (C2A, C2B, C2C)), ["shared-infrastructure"]),
    ("one shared value is not enough", prof("a", "A", (C2A,)), prof("b", "B", (C2A, C2C)), []),
    ("abused public hosts and low fidelity do not count",
     prof("a", "A", (ABUSED, ioc(T.DOMAIN, "x.example", fid=Fidelity.LOW), C2A)),
     prof("b", "B", (ABUSED, ioc(T.DOMAIN, "x.example", fid=Fidelity.LOW), C2A)), []),
    ("file names are shared by everyone", prof("a", "A", (ioc(T.FILENAME, "svc.bat"), ioc(T.FILENAME, "a.exe"))),
     prof("b", "B", (ioc(T.FILENAME, "svc.bat"), ioc(T.FILENAME, "a.exe"))), []),
    ("named family with two shared techniques", prof("a", "GLASSFROG backdoor", techs=("T1059", "T1071", "T1105")),
     prof("b", "New GLASSFROG build", techs=("T1059", "T1071")), ["named-family"]),
    ("named family with one shared technique", prof("a", "GLASSFROG backdoor", techs=("T1059", "T1071")),
     prof("b", "New GLASSFROG build", techs=("T1059",)), []),
    ("stoplisted capitals are no family", prof("a", "URGENT ADVISORY on phishing", techs=("T1059", "T1071")),
     prof("b", "URGENT ADVISORY on ransomware", techs=("T1059", "T1071")), []),
    ("a commodity tool links nothing", prof("a", "Intrusion", techs=("T1059", "T1071"), summary="XMRIG miners"),
     prof("b", "Other", techs=("T1059", "T1071"), summary="XMRIG again"), []),
    ("same exploited CVE within the window", prof("a", "A", (CVE,), reasons=(EXPLOITED,)),
     prof("b", "B", (CVE,), days=10, reasons=(EXPLOITED,)), ["same-cve-same-period"]),
    ("same exploited CVE months apart", prof("a", "A", (CVE,), reasons=(EXPLOITED,)),
     prof("b", "B", (CVE,), days=90, reasons=(EXPLOITED,)), []),
    ("a CVE only one of them reports exploited", prof("a", "A", (CVE,), reasons=(EXPLOITED,)),
     prof("b", "B", (CVE,), days=3), []),
]


@pytest.mark.parametrize(("case", "p", "q", "expected"), CASES, ids=[c[0] for c in CASES])
def test_link_rules(case: str, p: Profile, q: Profile, expected: list[str]) -> None:
    r = rules()
    shared = set(keys_for(p, r)) & set(keys_for(q, r))
    assert [x.rule for x in evaluate(p, q, shared, r)] == expected, case


def test_link_reasons_say_what_is_shared() -> None:
    p, q = CASES[0][1], CASES[0][2]
    r = rules()
    (link,) = evaluate(p, q, set(keys_for(p, r)) & set(keys_for(q, r)), r)
    assert link.reason == "shares 2 attacker-owned indicators with 'B': 2 domains (c2-one.example, c2-two.example)"


def test_rules_loader_is_strict(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("shared_infrastructure: {types: [domain, nosuchtype], exclude_reasons: [], min_shared: 2}\n"
                   "named_family: {min_shared_techniques: 2, min_name_length: 5, commodity: []}\n"
                   "same_cve_same_period: {window_days: 30, exploited_markers: []}\n")
    with pytest.raises(DataFileError, match="known types"):
        load_rules(bad)
    bad.write_text("shared_infrastructure: {}\n")
    with pytest.raises(DataFileError):
        load_rules(bad)


def test_store_links_through_the_index_and_campaigns_are_components(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'c.db'}")
    a = prof("aaaa000000000001", "GLASSFROG backdoor", (C2A, C2B), ("T1059", "T1071", "T1105"))
    b = prof("aaaa000000000002", "GLASSFROG returns", (C2A, C2B, C2C), ("T1059", "T1071", "T1027"), days=5)
    c = prof("aaaa000000000003", "Same C2 seen again", (C2C, ioc(T.SHA256, "ab" * 32)), ("T1486",), days=9)
    d = prof("aaaa000000000004", "Unrelated", (ioc(T.DOMAIN, "other.example"),), ("T1059",), days=2)
    for p in (a, b, c, d):
        store.save_profile(p)
        link_profile(store, p)
    # c shares only one value with b: no link; add a second one and re-link.
    assert campaign_of(store, c.id) is None
    c2 = replace(c, version=2, indicators=(*c.indicators, C2B), content_hash="hc2")
    store.save_profile(c2)
    link_profile(store, c2)
    camp = campaign_of(store, a.id)
    assert camp is not None and [p.id for p in camp.members] == [a.id, b.id, c.id]
    assert {x.rule for x in camp.links} == {"shared-infrastructure", "named-family"}
    assert [x.id for x in load_campaigns(store)] == [camp.id]
    assert camp.name == "GLASSFROG"
    said = {i.value: ids for i, ids in camp.indicators}
    assert said["c2-one.example"] == (a.id, b.id) and said["198.51.100.7"] == (b.id, c.id)
    assert added_summary(camp, 1) == "new: 1 ipv4, T1027"
    assert added_summary(camp, 2) == "new: 1 sha256, T1486"
    assert [h.use_case for h in camp.additions[2].rerun] == ["SWEEP_HASH_1"]
    # One sweep set over the union of the campaign's indicators.
    sweeps = [h for h in camp.hunts if h.kind == "sweep"]
    assert sum("c2-one.example" in h.queries.get("spl", "") for h in sweeps) == 1


def test_components() -> None:
    links = [Link("a", "b", "r", ""), Link("b", "c", "r", ""), Link("x", "y", "r", "")]
    assert sorted(map(sorted, components(links))) == [["a", "b", "c"], ["x", "y"]]


def test_campaign_document_and_stix() -> None:
    a = prof("aaaa000000000001", "GLASSFROG backdoor", (C2A, C2B, CVE), ("T1059.001", "T1071"))
    b = prof("aaaa000000000002", "GLASSFROG returns", (C2A, C2B, C2C), ("T1059.001", "T1071", "T1027"), days=5)
    camp = build_campaign([b, a], [Link(a.id, b.id, "named-family", "names GLASSFROG")])
    doc = to_dict(camp)
    assert doc["first_seen"].startswith("2026-11-01") and doc["last_seen"].startswith("2026-11-06")
    assert [r["id"] for r in doc["reports"]] == [a.id, b.id]
    assert doc["added"][1]["indicators"] == [{"type": "ipv4", "value": "198.51.100.7"}]
    md = render_markdown(camp)
    assert "new: 1 ipv4, T1027" in md and "c2-one[.]example" in md
    bundle = json.loads(render_stix(camp))
    result = validate_string(json.dumps(bundle), ValidationOptions(version="2.1"))
    assert result.is_valid, [str(e) for e in result.errors]
    (campaign,) = [o for o in bundle["objects"] if o["type"] == "campaign"]
    assert campaign["first_seen"].startswith("2026-11-01") and campaign["last_seen"].startswith("2026-11-06")
    rels = [o for o in bundle["objects"] if o["type"] == "relationship"
            and campaign["id"] in (o["source_ref"], o["target_ref"])]
    kinds = {(o["relationship_type"], o["target_ref"].split("--")[0] if o["source_ref"] == campaign["id"]
              else o["source_ref"].split("--")[0]) for o in rels}
    assert {("indicates", "indicator"), ("uses", "attack-pattern"), ("targets", "vulnerability")} <= kinds
    ip = next(o for o in rels if o["relationship_type"] == "indicates" and "198.51.100.7" in json.dumps(
        next(x for x in bundle["objects"] if x["id"] == o["source_ref"])))
    assert ip["description"] == "reported by: GLASSFROG returns"
