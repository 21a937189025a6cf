"""Actor and software names that are also words or products match only as proper names (issue 17).

tests/data/actor_words.txt holds ordinary sentences (written for this test) that use ATT&CK names
as words: none may yield an actor or software match. The demo corpus keeps its true mentions.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from huntfeed.attack.actors import ActorRecognizer
from huntfeed.attack.engine import _default_root, load_catalog
from huntfeed.attack.text import split_sentences
from huntfeed.feeds.article import html_to_text
from huntfeed.paths import package_data

WORDS = Path(__file__).parent / "data" / "actor_words.txt"


@pytest.fixture(scope="module")
def recognizer() -> ActorRecognizer:
    return ActorRecognizer(load_catalog(_default_root()))


def _names(rec: ActorRecognizer, text: str) -> set[str]:
    return {a.matched for a in rec.find(text, split_sentences(text))}


def test_ordinary_sentences_name_no_actor(recognizer: ActorRecognizer) -> None:
    lines = [ln.strip() for ln in WORDS.read_text(encoding="utf-8").splitlines()]
    sentences = [ln for ln in lines if ln and not ln.startswith("#")]
    assert len(sentences) >= 300
    hits = {s: _names(recognizer, s) for s in sentences}
    assert {s: h for s, h in hits.items() if h} == {}
    # The whole set as one document, too: sentence boundaries must not lend context across lines.
    assert _names(recognizer, " ".join(sentences)) == set()


PROPER = [
    ("The Patchwork group sent spear-phishing e-mails to embassies.", "Patchwork"),
    ("We attribute this intrusion to Sidewinder, which reused its loader.", "Sidewinder"),
    ("Machete malware was delivered in a ZIP archive.", "Machete"),
    ("The operators deployed Silence backdoor variants in the bank.", "Silence"),
    ("Activity tracked as GALLIUM targeted telecom providers.", "GALLIUM"),
    ("CHROMIUM, also known as Earth Lusca, scanned the servers.", "CHROMIUM"),
]


@pytest.mark.parametrize(("text", "name"), PROPER, ids=[p[1] for p in PROPER])
def test_proper_names_with_actor_context_still_match(recognizer: ActorRecognizer, text: str, name: str) -> None:
    assert name in _names(recognizer, text)


# Every true actor or software mention of the demo corpus, by article (names as written there).
DEMO = {
    "hollowgrain-ransomware-intrusion": {"AdFind", "ScreenConnect", "PsExec", "Rclone"},
    "hollowgrain-advisory-republished": {"AdFind", "PsExec", "Rclone"},  # the campaign's advisory and its copy
    "hollowgrain-municipalities-advisory": {"AdFind", "PsExec", "Rclone"},
    "lanternbeacon-https-c2": {"Cobalt Strike"},
    "lsass-credential-dumping": {"Mimikatz"},
    "seo-poisoning-pdf-converter": {"Cobalt Strike"},
}


def test_demo_corpus_mentions_kept_and_words_dropped(recognizer: ActorRecognizer) -> None:
    found = {}
    for path in sorted(package_data("demo").glob("*/posts/*.html")):
        names = _names(recognizer, html_to_text(path.read_text(encoding="utf-8")))
        if names:
            found[path.stem] = names
    assert found == DEMO
