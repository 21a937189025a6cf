"""Navigator layer: current layer format fields and scores = citing profiles."""

from __future__ import annotations

import json
import re

from huntfeed.render import navigator
from tests.fixtures_profiles import all_profiles, vuln_profile


def test_layer_has_current_format_fields() -> None:
    layer = json.loads(navigator.render(all_profiles()))
    assert layer["versions"] == {"attack": "18", "navigator": navigator.NAVIGATOR_VERSION, "layer": "4.5"}
    assert layer["domain"] == "enterprise-attack"
    for key in ("name", "description", "filters", "sorting", "layout", "hideDisabled", "techniques",
                "gradient", "legendItems", "metadata", "links", "showTacticRowBackground",
                "tacticRowBackground", "selectTechniquesAcrossTactics", "selectSubtechniquesWithParent"):
        assert key in layer
    assert re.fullmatch(r"#[0-9a-f]{6}", layer["gradient"]["colors"][0])
    for t in layer["techniques"]:
        assert re.fullmatch(r"T\d{4}(\.\d{3})?", t["techniqueID"])
        assert isinstance(t["enabled"], bool)


def test_score_counts_profiles_citing_each_technique() -> None:
    layer = json.loads(navigator.render(all_profiles()))
    scores = {t["techniqueID"]: t.get("score") for t in layer["techniques"]}
    assert scores["T1059.001"] == 2  # cited by the APT profile and the PSIRT profile
    assert scores["T1190"] == 1 and scores["T1566.001"] == 1
    assert layer["gradient"]["maxValue"] == 2
    # Parents of scored sub-techniques are listed unscored and expanded so the cells show.
    parent = next(t for t in layer["techniques"] if t["techniqueID"] == "T1059")
    assert "score" not in parent and parent["showSubtechniques"] is True


def test_single_profile_layer_links_the_article() -> None:
    layer = json.loads(navigator.render([vuln_profile()]))
    t1190 = next(t for t in layer["techniques"] if t["techniqueID"] == "T1190")
    assert t1190["links"] == [{"label": vuln_profile().title, "url": vuln_profile().url}]
    assert layer["name"].startswith("huntfeed: PAN-OS")
