"""The demo end to end for stories and campaigns: copies merged, three campaigns told by two feeds each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from pymisp import MISPEvent
from stix2validator import ValidationOptions, validate_string

from huntfeed.campaigns.campaign import load_campaigns
from huntfeed.campaigns.render import render_stix
from huntfeed.cli import cli
from huntfeed.store import Store

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Store, str]:
    out = tmp_path_factory.mktemp("demo-campaigns")
    result = CliRunner().invoke(cli, ["demo", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "3 campaigns" in result.output and "2 stories published more than once" in result.output
    return out, Store(f"sqlite:///{out / 'huntfeed-demo.db'}"), result.output


def test_syndicated_copies_are_merged_into_one_profile_listing_every_source(demo) -> None:  # type: ignore[no-untyped-def]
    _, store, _ = demo
    profiles = store.list_profiles(limit=1000)
    assert len(profiles) == 24  # 26 articles, two of them copies
    assert not [p for p in profiles if "republished" in p.url]  # a copy never gets a profile of its own
    merged = {p.url.rsplit("/", 1)[-1]: p for p in profiles if len(p.sources) > 1}
    assert set(merged) == {"npm-tinycolor-term-hijack.html", "hollowgrain-municipalities-advisory.html"}
    for p in merged.values():
        assert [s.url.rsplit("/", 1)[-1].endswith("-republished.html") for s in p.sources] == [False, True]
        assert len({s.source for s in p.sources}) == 2
        assert any(c.kind == "source-added" for c in p.changes)
        assert "**Sources (2, merged as one story):**" in (demo[0] / f"{p.id}.md").read_text("utf-8")


def test_three_campaigns_each_told_by_two_feeds(demo) -> None:  # type: ignore[no-untyped-def]
    _, store, _ = demo
    found = {c.name: c for c in load_campaigns(store)}
    assert set(found) == {"HOLLOWGRAIN", "SPOOLMOTH", "CVE-2026-41877 exploitation"}
    expected_rules = {"HOLLOWGRAIN": {"shared-infrastructure", "named-family"}, "SPOOLMOTH": {"named-family"},
                      "CVE-2026-41877 exploitation": {"same-cve-same-period"}}
    for name, c in found.items():
        assert len(c.members) == 2 and len({p.feed_url for p in c.members}) == 2, name
        assert {x.rule for x in c.links} == expected_rules[name]
        assert c.additions[1].indicators, f"{name}: the second report adds indicators"
        result = validate_string(render_stix(c), ValidationOptions(version="2.1"))
        assert result.is_valid, [str(e) for e in result.errors]
    hg = found["HOLLOWGRAIN"]
    assert "NCSC-NV Security Advisories" in hg.sources and "The Packet Wire: security news" in hg.sources
    assert "portal.grainstore.top" in {i.value for i in hg.additions[1].indicators}


def test_the_demo_store_exports_a_misp_feed(demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out, _, _ = demo
    feed = tmp_path / "feed"
    r = CliRunner().invoke(cli, ["export", "--format", "misp-feed", "-o", str(feed),
                                 "--db", f"sqlite:///{out / 'huntfeed-demo.db'}"])
    assert r.exit_code == 0, r.output
    manifest = json.loads((feed / "manifest.json").read_text("utf-8"))
    assert len(manifest) == 24
    for uid in manifest:
        ev = MISPEvent()
        ev.load_file(str(feed / f"{uid}.json"))
        assert ev.uuid == uid
