"""Relevance to us: product (text, alias, version, KEV), sector and region matches; rubric lines; no file, no change."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from huntfeed.environment.load import load_environment
from huntfeed.environment.relevance import assess
from huntfeed.environment.spec import Environment
from huntfeed.errors import DataFileError
from huntfeed.feeds.article import document_article, document_text
from huntfeed.hunts.kev import load_kev_products
from huntfeed.model import RelevanceMatch
from huntfeed.paths import package_data
from huntfeed.pipeline import Knowledge, analyse
from huntfeed.render import json_profile, markdown
from huntfeed.score import load_rubric

ENV = """
name = "Blue team"
sectors = ["healthcare"]
regions = ["germany", { name = "Norvane", terms = ["Norvane"] }]

[[products]]
vendor = "Fortinet"
product = "FortiOS"
versions = ["7.2"]
aliases = ["FortiGate"]

[[products]]
vendor = "Atlassian"
product = "Confluence Data Center"
"""


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Environment:
    path = tmp_path_factory.mktemp("env") / "environment.toml"
    path.write_text(ENV, encoding="utf-8")
    return load_environment(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Attackers exploited FortiOS 7.2.4 devices.",
         [("product", "Fortinet FortiOS 7.2", "names FortiOS 7.2.4, which you run")]),
        ("A flaw in FortiGate firewalls lets anyone in.",
         [("product", "Fortinet FortiOS 7.2", "names FortiGate, which you run (7.2)")]),
        ("Only FortiOS 6.4 is affected.",
         [("product", "Fortinet FortiOS 7.2", "names FortiOS 6.4; you run 7.2")]),
        ("Patch your Confluence Data Center servers now.",
         [("product", "Atlassian Confluence Data Center", "names Confluence Data Center, which you run")]),
        ("The actor targeted two hospitals in Germany.",
         [("sector", "healthcare", "names a victim in healthcare ('hospitals')"),
          ("region", "germany", "names a victim in germany ('Germany')")]),
        ("Hospitals publish guidance on patching. Germany issued a statement.", []),
        ("Eleven organisations in Norvane were compromised.",
         [("region", "Norvane", "names a victim in Norvane ('Norvane')")]),
        ("FortiOSX is a different thing; so is unfortified.", []),
        ("Patch FortiGate now. Only FortiOS 7.2.4 is affected.",
         [("product", "Fortinet FortiOS 7.2", "names FortiOS 7.2.4, which you run")]),
        ("Attackers hit FortiGate devices. Upgrade to FortiOS 7.4.1 at once.",
         [("product", "Fortinet FortiOS 7.2", "names FortiGate, which you run (7.2)")]),
        ("NCSC has notified eleven Norvane firms whose servers show signs of compromise.",
         [("region", "Norvane", "names a victim in Norvane ('Norvane')")]),
    ],
    ids=["version-run", "alias", "version-not-run", "no-versions", "sector-and-region", "no-victim-cue",
         "own-terms", "whole-words", "prefers-the-version-you-run", "fixed-version-is-no-claim",
         "notified-victims"],
)
def test_matches(env: Environment, text: str, expected: list[tuple[str, str, str]]) -> None:
    assert [(m.kind, m.name, m.reason) for m in assess(text, (), {}, env)] == expected


def test_kev_product_names_reach_the_team(env: Environment) -> None:
    kev = {"CVE-2026-1111": ("Fortinet", "FortiOS and FortiProxy")}
    text = "Exploitation of CVE-2026-1111 was seen last week. Nothing else is named."
    assert assess(text, (), kev, env) == (RelevanceMatch(
        "product", "Fortinet FortiOS 7.2",
        "CVE-2026-1111 is listed in CISA's KEV for Fortinet FortiOS and FortiProxy, which you run "
        "(Fortinet FortiOS 7.2)", "Exploitation of CVE-2026-1111 was seen last week."),)
    # another vendor's product of the same name is not yours
    assert assess(text, (), {"CVE-2026-1111": ("Acme", "FortiOS")}, env) == ()


def test_demo_kev_catalog_product_names() -> None:
    products = load_kev_products(package_data("demo", "kev.json"))
    assert products["CVE-2026-28114"] == ("Halvard Networks", "SecureEdge SSL VPN")


def test_rubric_relevance_lines_and_strictness(tmp_path: Path) -> None:
    rubric = load_rubric()
    assert rubric.relevance == {"product": 2.0, "sector": 1.0, "region": 0.5}
    bad = tmp_path / "rubric.yaml"
    text = package_data("rubric.yaml").read_text(encoding="utf-8") + "  colour: 1\n"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        load_rubric(bad)
    assert err.value.where == f"{bad}:{text.count(chr(10))}" and "not 'colour'" in err.value.message


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return Knowledge.load(kev_path=package_data("demo", "kev.json"))


def _article(name: str) -> object:
    raw = package_data("demo", "site", "posts", name).read_text(encoding="utf-8")
    return document_article(document_text(raw, ""), url=f"https://demo.example/{name}", doc_id=name)


def test_no_environment_no_section_no_change(kb: Knowledge) -> None:
    article = _article("halvard-secureedge-vpn.html")
    plain = analyse(article, kb)  # type: ignore[arg-type]
    assert plain.relevance is None
    assert "relevance" not in json.loads(json_profile.render(plain))
    assert "Relevance to us" not in markdown.render(plain) and "For you" not in markdown.render(plain)
    assert not any(r.startswith("Relevance") for r in plain.score.reasons)


def test_demo_environment_on_a_demo_article(kb: Knowledge) -> None:
    demo = load_environment(package_data("demo", "environment", "environment.toml"))
    kb_env = replace(kb, environment=demo, kev_products=load_kev_products(package_data("demo", "kev.json")))
    article = _article("halvard-secureedge-vpn.html")
    plain = analyse(article, kb)  # type: ignore[arg-type]
    seen = analyse(article, kb_env)  # type: ignore[arg-type]
    assert seen.relevance is not None and seen.relevance.affects_us
    assert [(m.kind, m.name) for m in seen.relevance.matches] == [
        ("product", "Halvard Networks SecureEdge OS 9.1"), ("region", "Norvane")]
    assert seen.score.points == pytest.approx(plain.score.points + 2.5)
    assert "Relevance to you (product): Halvard Networks SecureEdge OS 9.1: names SecureEdge OS 9.1, which you run" in " ".join(
        seen.score.reasons)
    md = markdown.render(seen)
    assert "## Relevance to us" in md and "_For you:_ **" in md
    back = json_profile.profile_from_dict(json.loads(json_profile.render(seen)))
    assert back.relevance == seen.relevance


def test_analyze_takes_the_environment_from_flag_or_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from huntfeed.cli import cli

    env_file = tmp_path / "team.toml"
    env_file.write_text(ENV, encoding="utf-8")
    text = "Attackers breached FortiGate firewalls at two hospitals in Germany and ran powershell -enc."
    runner = CliRunner()
    flagged = runner.invoke(cli, ["analyze", "-", "--format", "json", "--environment", str(env_file)], input=text)
    assert flagged.exit_code == 0, flagged.output
    rel = json.loads(flagged.stdout)["relevance"]
    assert [m["kind"] for m in rel["matches"]] == ["product", "sector", "region"] and rel["affects_us"] is True
    monkeypatch.setenv("HUNTFEED_ENVIRONMENT", str(env_file))
    by_var = runner.invoke(cli, ["analyze", "-", "--format", "json"], input=text)
    assert json.loads(by_var.stdout)["relevance"]["matches"] == rel["matches"]
    monkeypatch.delenv("HUNTFEED_ENVIRONMENT")
    assert "relevance" not in json.loads(runner.invoke(cli, ["analyze", "-", "--format", "json"], input=text).stdout)
