"""ATT&CK Navigator layers (layer format 4.5) scored by how many profiles cite each technique."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from huntfeed.model import Profile
from huntfeed.render.ioc_format import web_url

LAYER_VERSION = "4.5"
NAVIGATOR_VERSION = "5.1.0"
DEFAULT_ATTACK_VERSION = "18"


def technique_counts(profiles: Sequence[Profile]) -> dict[str, list[Profile]]:
    """Technique id -> the profiles that cite it as observed (each profile counted once)."""
    cited: dict[str, list[Profile]] = defaultdict(list)
    for p in profiles:
        for tid in dict.fromkeys(h.id for h in p.techniques):
            cited[tid].append(p)
    return dict(cited)


def _attack_major(profiles: Sequence[Profile]) -> str:
    versions = [p.inference.attack_version for p in profiles if p.inference.attack_version]
    return max(versions, key=lambda v: [int(x) for x in v.split(".") if x.isdigit()]).split(".")[0] \
        if versions else DEFAULT_ATTACK_VERSION


def build_layer(profiles: Sequence[Profile], *, name: str = "") -> dict[str, Any]:
    """The Navigator layer for ``profiles`` as a dict."""
    cited = technique_counts(profiles)
    names = {h.id: h.name for p in profiles for h in p.techniques}
    top = max((len(v) for v in cited.values()), default=1)
    techniques: list[dict[str, Any]] = []
    for tid in sorted(cited):
        ps = cited[tid]
        techniques.append({
            "techniqueID": tid,
            "score": len(ps),
            "color": "",
            "comment": f"{names.get(tid, tid)}: cited by {len(ps)} profile(s)",
            "enabled": True,
            "metadata": [{"name": "profile", "value": f"[{p.severity.value}] {p.title}"} for p in ps[:20]],
            "links": [{"label": p.title[:80] or url, "url": url} for p in ps[:20] if (url := web_url(p.url))],
            "showSubtechniques": False,
        })
    # A scored sub-technique is only visible when its parent is expanded.
    parents = sorted({tid.split(".")[0] for tid in cited if "." in tid} - set(cited))
    techniques += [{"techniqueID": pid, "enabled": True, "showSubtechniques": True, "metadata": [],
                    "links": []} for pid in parents]
    for t in techniques:
        if "." not in t["techniqueID"] and any(x.startswith(t["techniqueID"] + ".") for x in cited):
            t["showSubtechniques"] = True
    if len(profiles) == 1:
        default_name = f"huntfeed: {profiles[0].title}"[:120]
        description = f"Techniques observed in {profiles[0].url}"
    else:
        default_name = f"huntfeed: {len(profiles)} profiles"
        description = "Score = number of huntfeed profiles citing the technique."
    return {
        "name": name or default_name,
        "versions": {"attack": _attack_major(profiles), "navigator": NAVIGATOR_VERSION, "layer": LAYER_VERSION},
        "domain": "enterprise-attack",
        "description": description,
        "filters": {"platforms": ["Windows", "Linux", "macOS", "Network Devices", "PRE", "Containers",
                                  "IaaS", "SaaS", "Office Suite", "Identity Provider", "ESXi"]},
        "sorting": 3,
        "layout": {"layout": "side", "aggregateFunction": "max", "showID": True, "showName": True,
                   "showAggregateScores": False, "countUnscored": False, "expandedSubtechniques": "annotated"},
        "hideDisabled": False,
        "techniques": techniques,
        "gradient": {"colors": ["#fff7ec", "#fc8d59", "#b30000"], "minValue": 0, "maxValue": max(top, 1)},
        "legendItems": [],
        "metadata": [{"name": "generator", "value": "huntfeed"}],
        "links": [],
        "showTacticRowBackground": False,
        "tacticRowBackground": "#dddddd",
        "selectTechniquesAcrossTactics": True,
        "selectSubtechniquesWithParent": False,
        "selectVisibleTechniques": False,
    }


def render(profiles: Sequence[Profile]) -> str:
    """The Navigator layer JSON for ``profiles``."""
    return json.dumps(build_layer(profiles), indent=2, ensure_ascii=False) + "\n"
