"""Speed work must not change a profile: the demo's JSON profiles against a snapshot of the code before it.

``tests/golden/demo_profiles.json`` was first produced by the code as it stood before the compiled
hunt knowledge and the lazy imports (main at 611caea), and regenerated when the accuracy, environment,
campaign and hardening work was merged (their output changes are meant; speed changes must keep it). When output changes on purpose, regenerate
it with ``UPDATE_GOLDEN=1`` and check the diff is what was meant.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.demo_snapshot import demo_profiles, dump

pytestmark = [pytest.mark.integration, pytest.mark.slow]

GOLDEN = Path(__file__).with_name("golden") / "demo_profiles.json"


def test_demo_profiles_identical_to_the_snapshot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUNTFEED_CACHE", str(tmp_path / "cache"))
    actual = demo_profiles(tmp_path / "out")  # a cold query cache: every rule converted
    assert list((tmp_path / "cache").glob("hunt-queries-*.json"))
    assert demo_profiles(tmp_path / "again") == actual  # a warm one: every query read back from disk
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(dump(actual), encoding="utf-8")
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert sorted(actual) == sorted(expected)
    for url, profile in expected.items():
        for key in sorted(set(profile) | set(actual[url])):
            assert actual[url].get(key) == profile.get(key), f"{url}: {key} differs from the snapshot"
