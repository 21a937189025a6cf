"""MISP export: loads back into PyMISP's MISPEvent with the right types, flags and tags."""

from __future__ import annotations

import json

from pymisp import MISPEvent

from huntfeed.render import misp
from tests.fixtures_profiles import all_profiles, apt_profile_v1, apt_profile_v2


def _load(doc: dict) -> MISPEvent:
    ev = MISPEvent()
    ev.load(doc)
    return ev


def test_single_profile_event_loads_back_with_typed_attributes() -> None:
    ev = _load(json.loads(misp.render([apt_profile_v2()])))
    assert ev.info.startswith("APT29 phishing wave")
    assert ev.uuid == misp.event_uuid("a1b2c3d4e5f60718")
    assert ev.threat_level_id == 1
    by_value = {a.value: a for a in ev.attributes}
    assert by_value["203.0.113.45"].type == "ip-dst" and by_value["203.0.113.45"].to_ids is True
    assert by_value["update-check.example.net"].type == "domain"
    assert by_value["http://203.0.113.45/gate.php?id=1"].type == "url"
    assert by_value["hr@mail.example.org"].type == "email-src"
    assert by_value["CVE-2024-3400"].type == "vulnerability" and by_value["CVE-2024-3400"].to_ids is False
    assert by_value["HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater"].type == "regkey"
    assert by_value["AS64500"].type == "AS"
    # Low-fidelity values stay out by default (issue 17): an export carries what a SOC would block.
    assert "readme.md" not in by_value
    low = {a.value: a for a in _load(json.loads(misp.render([apt_profile_v2()], include_low=True))).attributes}
    assert low["readme.md"].to_ids is False  # --include-low: shared for context, never pushed to IDS
    assert low["203.0.113.45"].to_ids is True
    link = next(a for a in ev.attributes if a.type == "link")
    assert link.value == "https://intel.example.com/blog/apt29-wave" and link.to_ids is False


def test_tags_tlp_and_attack_galaxies() -> None:
    ev = _load(json.loads(misp.render([apt_profile_v2()])))
    tags = {t.name for t in ev.tags}
    assert "tlp:clear" in tags
    assert 'misp-galaxy:mitre-attack-pattern="PowerShell - T1059.001"' in tags
    assert 'misp-galaxy:mitre-attack-pattern="Spearphishing Attachment - T1566.001"' in tags
    assert 'misp-galaxy:mitre-intrusion-set="APT29 - G0016"' in tags
    assert 'misp-galaxy:mitre-malware="WellMess - S0514"' in tags


def test_many_profiles_and_stable_uuids() -> None:
    text = misp.render(all_profiles())
    assert text == misp.render(all_profiles())
    events = json.loads(text)["response"]
    assert len(events) == 3
    loaded = [_load(e) for e in events]
    assert len({e.uuid for e in loaded}) == 3
    v1 = _load(json.loads(misp.render([apt_profile_v1()])))
    v2 = _load(json.loads(misp.render([apt_profile_v2()])))
    assert v1.uuid == v2.uuid  # a re-import updates the same event
    shared = {a.uuid for a in v1.attributes if a.type == "domain"}
    assert shared <= {a.uuid for a in v2.attributes}


def test_feed_markup_stays_data() -> None:
    doc = json.loads(misp.render([apt_profile_v2()]))
    assert "<script>" in doc["Event"]["info"]  # kept verbatim as data: MISP escapes on display


def test_common_file_name_is_never_marked_for_ids() -> None:
    from dataclasses import replace

    from huntfeed.model import Fidelity, Indicator, IndicatorType

    p = apt_profile_v2()
    names = (
        Indicator(IndicatorType.FILENAME, "svchost.exe", "svchost.exe", 0, 11, False, Fidelity.HIGH, "in-ioc-section"),
        Indicator(
            IndicatorType.FILENAME, "Hx7loader.dll", "Hx7loader.dll", 0, 13, False, Fidelity.HIGH, "in-ioc-section"
        ),
    )
    ev = _load(json.loads(misp.render([replace(p, indicators=p.indicators + names)])))
    by_value = {a.value: a for a in ev.attributes}
    assert by_value["svchost.exe"].to_ids is False
    assert by_value["Hx7loader.dll"].to_ids is True
