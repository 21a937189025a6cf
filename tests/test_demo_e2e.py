"""The demo end to end: the bundled corpus over real HTTP on loopback, three polls, real store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from huntfeed.cli import cli
from huntfeed.render.json_profile import SCHEMA
from huntfeed.store import Store

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SECTIONS = ("## Threat Profile", "## Indicators of Compromise (high-fidelity only)", "## MITRE ATT&CK Techniques",
            "## Kill chain phases observed", "## Recommended hunts", "## Why this matters", "**Source:**",
            "**Published:**", "**Article:**")


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:  # type: ignore[type-arg]
    out = tmp_path_factory.mktemp("demo-out")
    result = CliRunner().invoke(cli, ["demo", "--out", str(out), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out, json.loads(result.stdout)


def test_first_poll_writes_profiles_with_every_section(demo_run) -> None:  # type: ignore[no-untyped-def]
    out, reports = demo_run
    first = reports[0]
    assert len(first["profiles_new"]) >= 15
    assert first["feeds_failed"] == 0
    for pid in first["profiles_new"]:
        md = (out / f"{pid}.md").read_text()
        for section in SECTIONS:
            assert section in md, f"{pid}.md lacks {section}"
        doc = json.loads((out / f"{pid}.json").read_text())
        assert doc["schema"] == SCHEMA and doc["id"] == pid


def test_second_poll_costs_one_request_per_feed(demo_run) -> None:  # type: ignore[no-untyped-def]
    _, reports = demo_run
    second = reports[1]
    assert second["feeds_unchanged"] == second["feeds_polled"] >= 3
    assert second["pages_fetched"] == 0
    assert second["profiles_new"] == [] and second["profiles_updated"] == []


def test_third_poll_updates_a_profile_and_lists_changes(demo_run) -> None:  # type: ignore[no-untyped-def]
    out, reports = demo_run
    third = reports[2]
    assert third["profiles_updated"], "the publisher's full write-up must update a profile"
    updated = third["profiles_updated"][0]
    assert updated["version"] == 2
    assert any(c.startswith("indicator-added") for c in updated["changes"])
    store = Store(f"sqlite:///{out / 'huntfeed-demo.db'}")
    versions = store.versions(updated["id"])
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].text_source.value != "full-article" or len(versions[1].indicators) > len(versions[0].indicators)
    md = (out / f"{updated['id']}.md").read_text()
    assert "## Changes in version 2" in md


def test_demo_finds_real_findings(demo_run) -> None:  # type: ignore[no-untyped-def]
    out, _ = demo_run
    store = Store(f"sqlite:///{out / 'huntfeed-demo.db'}")
    profiles = store.list_profiles(limit=100)
    with_iocs = [p for p in profiles if any(i.fidelity.value == "high" for i in p.indicators)]
    with_ttps = [p for p in profiles if p.techniques]
    with_hunts = [p for p in profiles if any(h.kind == "usecase" for h in p.hunts)]
    assert len(with_iocs) >= 10 and len(with_ttps) >= 12 and len(with_hunts) >= 10
    severities = {p.severity.value for p in profiles}
    assert len(severities) >= 3, f"a corpus this varied should spread over severities, got {severities}"


def test_demo_environment_affects_two_product_articles_and_names_blind_spots(  # type: ignore[no-untyped-def]
        demo_run, capsys) -> None:
    from huntfeed.cli.pipeline_cmds import print_relevance
    from huntfeed.paths import package_data

    out, _ = demo_run
    profiles = Store(f"sqlite:///{out / 'huntfeed-demo.db'}").list_profiles(limit=100, affects_us=True)
    products = {m.name for p in profiles for m in p.relevance.matches if m.kind == "product"}  # type: ignore[union-attr]
    assert products == {"Halvard Networks SecureEdge OS 9.1", "Corvane FileGate 12.3"}
    everything = Store(f"sqlite:///{out / 'huntfeed-demo.db'}").list_profiles(limit=100)
    labels = {h.label for p in everything for h in p.relevance.hunts}  # type: ignore[union-attr]
    assert labels == {"runnable", "blind spot", "covered"}
    print_relevance(everything, package_data("demo", "environment", "environment.toml"))
    err = capsys.readouterr().err
    assert f"Affects the example team (environment.toml in {package_data('demo', 'environment')}): " \
           f"{len(profiles)} of {len(everything)} profile(s)" in err
    assert "Blind spots:" in err and "would close it: Defender DeviceEvents" in err
    assert "covered already: UC_LSASS_DUMP by deployed rule 'Credential dumping tools touching LSASS (SOC rule 114)'" \
        in err
