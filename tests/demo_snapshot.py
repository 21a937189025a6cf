"""The demo's JSON profiles in a form that compares across runs: what the identity tests check.

Each run serves the demo on a new loopback port, and the port is part of every article URL and so
of every profile id: the base address is replaced by ``{{BASE}}``, profiles are keyed by their URL
path, and the fields that change with time or port (``id``, ``analysed_at``, ``content_hash``) are
dropped. Each hunt query is replaced by its SHA-256, which keeps the golden file small while any
change to a query's text still shows up.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from huntfeed.cli import cli

DROPPED = ("id", "analysed_at", "content_hash")
_BASE = re.compile(r"http://127\.0\.0\.1:\d+")


def _digest(query: str) -> str:
    return "sha256:" + hashlib.sha256(query.encode("utf-8")).hexdigest()


def normalise(profile: dict[str, Any]) -> dict[str, Any]:
    """One profile without its run-dependent fields, queries as digests, base URL as ``{{BASE}}``."""
    text = _BASE.sub("{{BASE}}", json.dumps(profile, ensure_ascii=False, sort_keys=True))
    doc = json.loads(text)
    for key in DROPPED:
        doc.pop(key, None)
    for hunt in doc.get("hunts", []):
        hunt["queries"] = {target: _digest(q) for target, q in sorted(hunt.get("queries", {}).items())}
    return doc


def demo_profiles(out: Path, *, args: tuple[str, ...] = ()) -> dict[str, dict[str, Any]]:
    """Run ``huntfeed demo`` into ``out``; the normalised profiles it wrote, by URL path."""
    result = CliRunner().invoke(cli, ["demo", "--out", str(out), "--json", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    profiles = {}
    for path in sorted(out.glob("*.json")):
        doc = normalise(json.loads(path.read_text(encoding="utf-8")))
        profiles[doc["url"]] = doc
    return profiles


def dump(profiles: dict[str, dict[str, Any]]) -> str:
    return json.dumps(profiles, ensure_ascii=False, sort_keys=True, indent=1) + "\n"
