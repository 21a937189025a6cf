"""ATT&CK catalog loading: STIX 2.0/2.1, gzip, matrix order, revoked remapping, offline package."""

from __future__ import annotations

from pathlib import Path

import pytest
from attack_fixtures import SHARED_BUNDLE, write_bundle

from huntfeed.attack.catalog import load_bundle
from huntfeed.attack.killchain import load_mapping, phases_for, resolve_mapping
from huntfeed.attack.offline import load_offline
from huntfeed.errors import DataFileError, ParseError


@pytest.mark.parametrize(("spec", "gz"), [("2.0", False), ("2.1", False), ("2.0", True), ("2.1", True)])
def test_loads_every_bundle_shape(tmp_path: Path, spec: str, gz: bool) -> None:
    cat = load_bundle(write_bundle(tmp_path / "b.json", spec=spec, gz=gz))
    assert cat.version == "17.0"
    assert cat.spec_version == spec
    assert cat.tactic_order == (
        "reconnaissance",
        "execution",
        "persistence",
        "defense-evasion",
        "command-and-control",
    )
    ps = cat.technique("T1059.001")
    assert ps is not None and ps.name == "PowerShell" and ps.tactics == ("execution",)
    assert ps.url.endswith("/T1059/001")


def test_revoked_ids_follow_revoked_by_and_deprecated_or_unknown_vanish(tmp_path: Path) -> None:
    cat = load_bundle(write_bundle(tmp_path / "b.json"))
    assert cat.resolve("T1086") == "T1059.001"
    assert cat.technique("t1086") is not None and cat.technique("t1086").id == "T1059.001"  # type: ignore[union-attr]
    assert cat.resolve("T1064") is None  # deprecated, no replacement
    assert cat.resolve("T9999") is None
    assert cat.technique("T9999") is None


def test_entities_aliases_and_uses(tmp_path: Path) -> None:
    cat = load_bundle(write_bundle(tmp_path / "b.json"))
    group = cat.entities["intrusion-set--g1"]
    assert group.kind == "intrusion-set" and group.aliases == ("CE-29",) and group.id == "G9001"
    assert cat.uses["intrusion-set--g1"] == ("T1071.001",)
    assert cat.entities["tool--t1"].kind == "tool"
    assert {p.technique for p in cat.procedures} == {"T1071.001", "T1055"}
    assert cat.counts()["revoked"] == 1 and cat.counts()["deprecated"] == 1


def test_version_from_file_name_when_no_collection(tmp_path: Path) -> None:
    cat = load_bundle(write_bundle(tmp_path / "enterprise-attack-16.1.json", version=None))
    assert cat.version == "16.1"


def test_not_a_bundle_is_a_parse_error(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"hello": 1}')
    with pytest.raises(ParseError):
        load_bundle(bad)
    bad.write_text("{not json")
    with pytest.raises(ParseError):
        load_bundle(bad)


def test_offline_package_catalog() -> None:
    cat = load_offline()
    assert cat.version and cat.version != "unknown"
    assert cat.technique("T1059.001") is not None
    assert len(cat.tactics) >= 14
    assert cat.counts()["groups"] > 100


@pytest.mark.skipif(not SHARED_BUNDLE.exists(), reason="../shared/attack bundle not present")
def test_official_bundle_from_shared() -> None:
    cat = load_bundle(SHARED_BUNDLE)
    assert cat.version == "18.1"
    assert cat.tactic_order[0] == "reconnaissance" and cat.tactic_order[-1] == "impact"
    assert cat.resolve("T1086") == "T1059.001"
    inj = cat.technique("T1055")
    assert inj is not None and inj.tactics == ("privilege-escalation", "defense-evasion")


def test_killchain_maps_new_tactics_by_matrix_neighbour() -> None:
    mapping = load_mapping()
    order = [
        "reconnaissance",
        "initial-access",
        "execution",
        "privilege-escalation",
        "brand-new-evasion",
        "command-and-control",
        "impact",
    ]
    phase_of = resolve_mapping(order, mapping)
    assert phase_of["brand-new-evasion"] == "installation"
    assert phases_for(["impact", "brand-new-evasion", "initial-access"], phase_of) == (
        "delivery",
        "installation",
        "actions-on-objectives",
    )


def test_killchain_loader_reports_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "k.txt"
    bad.write_text("# c\nexecution = exploitation\nimpact = nowhere\n")
    with pytest.raises(DataFileError, match=r"k\.txt:3"):
        load_mapping(bad)
