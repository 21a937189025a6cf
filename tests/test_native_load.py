"""`huntfeed._native.load`: the switch between a C accelerator and its pure-Python twin."""

import pytest

from huntfeed._native import load


def test_missing_accelerator_is_none() -> None:
    assert load("no_such_accelerator") is None


def test_pure_switch_wins_over_a_built_module(monkeypatch: pytest.MonkeyPatch) -> None:
    # `_native` itself always imports, so the switch is what makes this None.
    monkeypatch.setenv("HUNTFEED_PURE", "1")
    assert load("__init__") is None
    monkeypatch.delenv("HUNTFEED_PURE")
    assert load("__init__") is not None
