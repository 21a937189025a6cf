"""STIX 2.1 export: parses back with stix2, passes the OASIS validator, ids are stable."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import stix2
from stix2patterns.pattern import Pattern
from stix2validator import ValidationOptions, validate_string

from huntfeed.model import Fidelity, Indicator, IndicatorType
from huntfeed.render import get_renderer, stix
from tests.fixtures_profiles import all_profiles, apt_profile_v1, apt_profile_v2, vuln_profile


def _validate(text: str) -> None:
    result = validate_string(text, ValidationOptions(version="2.1"))
    assert result.is_valid, [str(e) for e in result.errors]
    assert not result.errors


def _objects(text: str) -> list[dict]:
    return json.loads(text)["objects"]


def test_bundle_is_valid_stix_and_parses_back() -> None:
    text = stix.render(all_profiles())
    _validate(text)
    bundle = stix2.parse(text, allow_custom=False)
    types = {o.type for o in bundle.objects}
    assert {"report", "identity", "indicator", "attack-pattern", "vulnerability", "malware",
            "intrusion-set", "relationship"} <= types
    assert get_renderer("stix") is stix.render


def test_report_per_profile_cites_its_objects_and_source_identity() -> None:
    objs = {o["id"]: o for o in _objects(stix.render(all_profiles()))}
    reports = [o for o in objs.values() if o["type"] == "report"]
    assert len(reports) == 3
    for r in reports:
        assert all(ref in objs for ref in r["object_refs"])
        author = objs[r["created_by_ref"]]
        assert author["type"] == "identity"
    apt = next(r for r in reports if r["name"].startswith("APT29"))
    assert objs[apt["created_by_ref"]]["name"] == "Example Threat Intel"
    assert apt["external_references"][0]["url"] == "https://intel.example.com/blog/apt29-wave"


def test_attack_patterns_carry_attack_references_and_tactics() -> None:
    aps = [o for o in _objects(stix.render([apt_profile_v2()])) if o["type"] == "attack-pattern"]
    ps = next(a for a in aps if a["name"] == "PowerShell")
    assert ps["external_references"][0] == {
        "source_name": "mitre-attack", "external_id": "T1059.001",
        "url": "https://attack.mitre.org/techniques/T1059/001/"}
    assert ps["kill_chain_phases"] == [{"kill_chain_name": "mitre-attack", "phase_name": "execution"}]


@pytest.mark.parametrize(("kind", "value", "pattern"), [
    (IndicatorType.IPV4, "203.0.113.45", "[ipv4-addr:value = '203.0.113.45']"),
    (IndicatorType.IPV6, "2001:db8::1", "[ipv6-addr:value = '2001:db8::1']"),
    (IndicatorType.DOMAIN, "evil.example", "[domain-name:value = 'evil.example']"),
    (IndicatorType.URL, "http://x.example/a?b=1", "[url:value = 'http://x.example/a?b=1']"),
    (IndicatorType.EMAIL, "a@x.example", "[email-addr:value = 'a@x.example']"),
    (IndicatorType.MD5, "D41D8CD98F00B204E9800998ECF8427E", "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']"),
    (IndicatorType.SHA256, "ab" * 32, f"[file:hashes.'SHA-256' = '{'ab' * 32}']"),
    (IndicatorType.FILENAME, "invoice.zip", "[file:name = 'invoice.zip']"),
    (IndicatorType.REGISTRY, "HKLM\\Software\\Run",
     "[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\Software\\\\Run']"),
    (IndicatorType.ASN, "AS64500", "[autonomous-system:number = 64500]"),
    (IndicatorType.FILEPATH, "C:\\Users\\Public\\a.exe",
     "[file:name = 'a.exe' AND file:parent_directory_ref.path = 'C:\\\\Users\\\\Public']"),
])
def test_pattern_per_type(kind: IndicatorType, value: str, pattern: str) -> None:
    ind = Indicator(type=kind, value=value, raw=value, start=0, end=len(value))
    assert stix.pattern_for(ind) == pattern
    stix2.Indicator(pattern=pattern, pattern_type="stix", valid_from="2026-01-01T00:00:00Z")


@pytest.mark.hostile
@pytest.mark.parametrize("value", [
    "evil.example' OR [x:y = 'z",
    "back\\slash\\'.example",
    "x']] AND [ipv4-addr:value = '0.0.0.0",
    "trailing\\",
])
def test_crafted_values_cannot_break_patterns(value: str) -> None:
    base = vuln_profile()
    ind = Indicator(type=IndicatorType.DOMAIN, value=value, raw=value, start=0, end=len(value))
    text = stix.render([replace(base, indicators=(ind,))])
    _validate(text)
    inds = [o for o in _objects(text) if o["type"] == "indicator"]
    assert len(inds) == 1
    # One comparison only: the crafted text stayed inside the string literal.
    pat = stix2.parse(json.dumps(inds[0])).pattern
    inspected = Pattern(pat).inspect()
    assert list(inspected.comparisons) == ["domain-name"] and not inspected.observation_ops
    values = [v for comps in inspected.comparisons.values() for *_, v in comps]
    assert values == ["'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"]


def test_ids_are_deterministic_and_updates_keep_them() -> None:
    first = stix.render(all_profiles())
    assert first == stix.render(all_profiles())
    r1 = {o["id"]: o for o in _objects(stix.render([apt_profile_v1()]))}
    r2 = {o["id"]: o for o in _objects(stix.render([apt_profile_v2()]))}
    rep1 = next(o for o in r1.values() if o["type"] == "report")
    rep2 = next(o for o in r2.values() if o["type"] == "report")
    assert rep1["id"] == rep2["id"] and rep2["modified"] > rep1["modified"]
    shared_domain = [i for i in r1 if i.startswith("indicator--")]
    assert shared_domain and all(i in r2 for i in shared_domain)


def test_only_high_fidelity_indicators_and_cves_become_vulnerabilities() -> None:
    objs = _objects(stix.render([apt_profile_v2()]))
    patterns = " ".join(o["pattern"] for o in objs if o["type"] == "indicator")
    assert "readme.md" not in patterns and "HYPERLINK" not in patterns
    low = [i for i in apt_profile_v2().indicators if i.fidelity is Fidelity.LOW]
    assert low
    vulns = [o for o in objs if o["type"] == "vulnerability"]
    assert [v["name"] for v in vulns] == ["CVE-2024-3400"]
    assert vulns[0]["external_references"] == [{"source_name": "cve", "external_id": "CVE-2024-3400"}]


def test_actors_are_linked_to_techniques_indicators_and_vulnerabilities() -> None:
    objs = _objects(stix.render([apt_profile_v2()]))
    apt = next(o for o in objs if o["type"] == "intrusion-set")
    assert apt["id"] == "intrusion-set--899ce53f-13a0-479b-a0e4-67d46e241542"  # ATT&CK's own id reused
    malware = next(o for o in objs if o["type"] == "malware")
    assert malware["is_family"] is True
    rels = {(o["source_ref"].split("--")[0], o["relationship_type"], o["target_ref"].split("--")[0])
            for o in objs if o["type"] == "relationship"}
    assert ("intrusion-set", "uses", "attack-pattern") in rels
    assert ("indicator", "indicates", "intrusion-set") in rels
    assert ("malware", "exploits", "vulnerability") in rels
    assert ("intrusion-set", "targets", "vulnerability") in rels
