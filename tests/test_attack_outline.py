"""Outline lines (bullets, table rows, headings) alone do not make a technique observed."""

from __future__ import annotations

import pytest

from huntfeed.attack import AttackEngine
from huntfeed.attack.outline import is_outline


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> AttackEngine:
    return AttackEngine.load(tmp_path_factory.mktemp("home"))


@pytest.mark.parametrize(
    ("line", "outline"),
    [
        ("- Browser cookies", True),
        ("* The current date and time of the beaconing event", True),
        ("+ Registry key data", True),
        ("\u2022 Screenshots of the desktop", True),
        ("3. Collect running processes", True),
        ("| 16 | Remove persistence and delete itself |", True),
        ("### Sandbox detection", True),
        ("**Terminating services** - the encryptor stops every database service.", False),
        ("The loader collects the running processes and sends them to its server.", False),
        ("#!/bin/bash -eu", False),
        ("- adds the attacker's SSH key to /root/.ssh/authorized_keys;", False),
        ("* collects the host name and the installed security products", False),
        ("2021 was the year the group moved to cloud storage.", False),
    ],
)
def test_is_outline(line: str, outline: bool) -> None:
    assert is_outline(line) is outline


CAPABILITIES = "### Command handlers\n\n- Collect running processes\n- Take screenshots\n"
# a lead-in sentence is not the evidence of the list under it: the classifier's run over both is named by
# the line that carries it (classifier._carriers), so the list stays a list
LEAD_IN = "The backdoor supports these commands:\n\n- Collect running processes\n- Take screenshots\n"
NARRATED = "Once installed, the backdoor collected the running processes and took screenshots of the desktop.\n"


@pytest.mark.parametrize(
    ("text", "observed"),
    [
        (CAPABILITIES, set()),
        (LEAD_IN, set()),
        (NARRATED, {"T1057", "T1113"}),
        (CAPABILITIES + "\n" + NARRATED, {"T1057", "T1113"}),
        # an id the author wrote next to a bullet is their own mapping
        ("### Command handlers\n\n- Collect running processes (T1057) and send them to the server\n", {"T1057"}),
    ],
)
def test_outline_only_techniques_are_not_observed(engine: AttackEngine, text: str, observed: set[str]) -> None:
    got = {h.id for h in engine.infer(text).observed}
    assert got & {"T1057", "T1113"} == observed
