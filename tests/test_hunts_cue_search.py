"""The hunt library's whole-word cue searches (cloud platforms, exploitation language) tried only where
their words occur (attack.prefilter.search) give rx.search's answer on real and crafted text."""

from __future__ import annotations

import json
import re

import pytest

from huntfeed.attack import prefilter
from huntfeed.feeds.article import document_text
from huntfeed.hunts import HuntLibrary
from huntfeed.paths import package_data
from tests.conftest import SHARED

CRAFTED = [
    "", "Azure", "AZURE AD tenant", "entra id", "~/.aws/credentials and AWS", "xaws aws- aws", "Kubectl ran",
    "ſ \u212a azure", "İ microsoft 365", "no exploitation has been observed", "NO EXPLOITATION HAS BEEN OBSERVED",
    "was exploited-ish was exploited", "office 365office 365", "G Suite\nGoogle Workspace", "okta.com okta",
]


def _texts() -> list[str]:
    pages = sorted(package_data("demo").rglob("*.html"))
    texts = [document_text(p.read_text(encoding="utf-8"), "") for p in pages]
    dev = SHARED / "eval" / "reports_dev.jsonl"
    if dev.is_file():
        texts += [json.loads(line)["full_text"] for line in dev.open(encoding="utf-8")]
    return texts + CRAFTED


@pytest.fixture(scope="module")
def patterns() -> list[re.Pattern[str]]:
    lib = HuntLibrary.load()
    found = [*lib.platforms.clouds.values(), lib.exploitation.not_observed, lib.exploitation.observed]
    assert all(prefilter.leads(rx) for rx in found)  # every one has lead words: the fast path is taken
    return found


def test_search_from_the_lead_words_equals_search(patterns: list[re.Pattern[str]]) -> None:
    hits = 0
    for text in _texts():
        for rx in patterns:
            want, got = rx.search(text), prefilter.search(rx, text)
            assert (got and got.span()) == (want and want.span()), (rx.pattern[:60], text[:60])
            hits += want is not None
    assert hits > 20  # real matches among them, not only misses
