"""Golden files for the Markdown and JSON profiles. Regenerate with UPDATE_GOLDEN=1 after a deliberate change."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from huntfeed.model import TechniqueHit
from huntfeed.render import get_renderer, json_profile, markdown
from huntfeed.render.json_profile import profile_from_dict, profile_to_dict
from tests.golden_check import check_golden
from tests.profiles_fixture import sample_profile


def test_markdown_golden() -> None:
    check_golden("profile.md", markdown.render(sample_profile()))


def test_json_golden() -> None:
    check_golden("profile.json", json_profile.render(sample_profile()))


def test_json_round_trip() -> None:
    p = sample_profile()
    assert profile_from_dict(json.loads(json.dumps(profile_to_dict(p)))) == p
    listed = TechniqueHit(id="T1552.001", name="Credentials In Files", tactics=("credential-access",),
                          methods=("source-mapping",))
    q = replace(p, inference=replace(p.inference, source_mapped=(listed,)))
    assert profile_from_dict(json.loads(json.dumps(profile_to_dict(q)))) == q
    md = markdown.render(q)
    section = md.split("### Listed in the article's own ATT&CK mapping")[1].split("##")[0]
    assert "**T1552.001** — Credentials In Files" in section


REFERENCE_SECTIONS = (
    "**Source:**",
    "**Published:**",
    "**Article:**",
    "## Threat Profile",
    "## Indicators of Compromise (high-fidelity only)",
    "## MITRE ATT&CK Techniques",
    "## Kill chain phases observed",
    "## Recommended hunts",
    "**Splunk SPL (CIM):**",
    "**Defender KQL:**",
    "## Why this matters",
)


def test_markdown_has_every_reference_section_and_defangs() -> None:
    md = markdown.render(sample_profile())
    assert md.startswith("# [HIGH] ")
    for section in REFERENCE_SECTIONS:
        assert section in md, section
    assert "tally-update.example" not in md.split("## MITRE")[0].split("## Indicators")[1], "IOCs shown defanged"
    assert "attack.mitre.org" not in md.split("## Indicators")[1].split("## MITRE")[0], "low fidelity not listed"
    assert not re.search(r"(?<!\\)<script", md) and "\\<script>" in md  # every "<" escaped


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_registry_serves_lead_formats(fmt: str) -> None:
    out = get_renderer(fmt)([sample_profile(1), sample_profile(2)])
    assert "Trojanised TallyWorks" in out


def test_hostile_values_stay_inert_in_markdown() -> None:
    from dataclasses import replace

    from huntfeed.model import Hunt

    p = sample_profile()
    evil_hunt = Hunt("UC_X", "x", "delivery", "Low", {"kql": "Device\n```\n# injected heading\n```"})
    md = markdown.render(replace(p, hunts=(evil_hunt,), title="a\n# fake heading ``` [link](javascript:alert(1))"))
    assert "\n# fake heading" not in md and "\n# injected heading\n```\n\n" not in md
    assert "````kql\nDevice\n```\n# injected heading\n```\n````" in md
    assert "\\[link\\](javascript:alert(1))" in md
