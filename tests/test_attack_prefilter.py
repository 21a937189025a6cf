"""The evidence filter's literal prefilter: the same reasons as searching every pattern, for any sentence."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huntfeed.attack import evidence, prefilter
from huntfeed.attack.evidence import REASONS, EvidenceRules, default_rules
from huntfeed.attack.text import split_sentences
from huntfeed.feeds.article import document_text
from huntfeed.paths import package_data
from tests.conftest import SHARED


def reference(rules: EvidenceRules, text: str) -> str | None:
    """EvidenceRules.reason without the prefilter: the alternation, then each section in turn."""
    ids = len(evidence._ANY_ID.findall(text))
    if ids >= 2 and len(evidence._WORDS.findall(evidence._ANY_ID.sub(" ", text))) < evidence._WORDS_PER_ID * ids:
        return "list"
    if rules.combined is not None and not rules.combined.search(text):
        return None
    for name in REASONS:
        for rx in rules.patterns.get(name, ()):
            if rx.search(text):
                return name
    return None


def _sentences() -> list[str]:
    pages = sorted(package_data("demo").rglob("*.html"))
    texts = [document_text(p.read_text(encoding="utf-8"), "") for p in pages]
    dev = SHARED / "eval" / "reports_dev.jsonl"
    if dev.is_file():
        texts += [json.loads(line)["full_text"] for line in dev.open(encoding="utf-8")]
    return [s.text for t in texts for s in split_sentences(t)]


CRAFTED = [
    "",
    "| --- | --- |",
    "---",
    "There is no evidence of lateral movement.",
    "THERE IS NO EVIDENCE OF LATERAL MOVEMENT.",
    "There iſ no evidence that it did.",  # long s: folds to s only outside ASCII
    "The attacker did not use PowerShell.",
    "Organisations should patch; we recommend MFA.",
    "Unlike ransomware, it keeps no key.",
    "This rule identifies the loader.",
    "The \u212aelvin sign and ǅ digraph.",  # Kelvin sign folds to k
    "We decoded the payload and looked at the strings.",
    "| SHA256 | 44d88612fea8a8f36de82e1278abb02f |",
    "ATT&CK mapping: T1059.001",
    "![screenshot](a.png)",
    "$x = 1",
]


def test_every_demo_and_development_sentence_gets_the_same_reason() -> None:
    rules = default_rules()
    for text in _sentences() + CRAFTED:
        assert rules.reason(text) == reference(rules, text), text


_WORDS = sorted(
    {w for rx in default_rules().combined.pattern.split("|") for w in re.findall(r"[a-z&']{2,}", rx)}  # type: ignore[union-attr]
    | {"the", "we", "|", ":", "-", "T1059", "ſ", "K", "İ", "if", "you", "no", "not", "a", "an", "```", "title=",
       "naïve", "\u2014", "\u201cquoted\u201d", "caf\u00e9", "\u00e9t\u00e9"}
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), max_size=14), st.sampled_from([" ", "  ", ", ", " | ", "\t"]))
def test_random_sentences_of_the_patterns_own_words_get_the_same_reason(words: list[str], sep: str) -> None:
    rules = default_rules()
    text = sep.join(words)
    assert rules.reason(text) == reference(rules, text)


@pytest.mark.parametrize(
    ("pattern", "clauses"),
    [
        (r"\bno (?:way|means|attempt)s? to\b", [{"no "}, {"way", "means", "attempt"}, {" to"}]),
        (r"\bsold (?:to|on)\b", [{"sold "}, {"to", "on"}]),
        (r"^[\s|:+=*#`-]*$", []),  # requires no literal: always a candidate
        (r"(?:ab)+c?", [{"ab"}]),
        (r"x(?:y)*z", [{"x"}, {"z"}]),
        (r"caf\u00e9 au lait", []),  # a run with a non-ASCII letter requires nothing (folding)
        (r"(?:foo|\w+)bar", [{"bar"}]),  # one alternative without a literal: the group requires nothing
    ],
)
def test_requirements_table(pattern: str, clauses: list[set[str]]) -> None:
    got = prefilter.requirements(re.compile(pattern, re.IGNORECASE))
    assert [set(c) for c in got] == clauses


def test_a_back_reference_or_a_character_that_folds_to_ascii_gets_no_answer() -> None:
    rx = re.compile(r"(\w)\1", re.IGNORECASE)
    assert prefilter.build([rx]).candidates("aa") is None
    pf = prefilter.build([re.compile(r"\bnot\b", re.IGNORECASE)])
    assert pf.candidates("did not") == [0] and pf.candidates("did nothing") == [0] and pf.candidates("did") == []
    assert pf.candidates("naïve not") == [0] and pf.candidates("naïve \u201cmove\u201d") == []  # others stand for themselves
    assert pf.candidates("\u017fo not") is None and pf.candidates("NO\u212a") is None
    assert pf.pointed("naïve not") == [0] and pf.pointed("naïve move") == [] and pf.pointed("NO\u212a") is None


def test_the_characters_that_fold_to_ascii_are_every_such_code_point() -> None:
    import sys

    rx = re.compile(r"[a-z0-9]", re.IGNORECASE)  # the prefilter's literals are lower-case ASCII
    assert {chr(c) for c in range(128, sys.maxunicode + 1) if rx.match(chr(c))} == prefilter.FOLDS_TO_ASCII


def _every_clause_met(pf: prefilter.Prefilter, text: str) -> list[int]:
    """The candidates by the definition: every pattern all of whose clauses have a literal in the text."""
    assert pf.automaton is not None
    present = {lit for _, lit in pf.automaton.iter(text.lower())}
    return [i for i, cnf in enumerate(pf.clauses) if all(c & present for c in cnf)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([w for w in _WORDS if w.isascii()]), max_size=14))
def test_the_key_clause_index_gives_the_candidates_of_the_definition(words: list[str]) -> None:
    # candidates() checks only the patterns whose key clause a literal of the text points at
    ordered = [rx for name in REASONS for rx in default_rules().patterns.get(name, ())]
    pf = prefilter.build(ordered)
    text = " ".join(words)
    assert pf.candidates(text) == _every_clause_met(pf, text)
    # pointed() skips the other clauses' test: the same and more, never fewer, and no pattern whose key
    # clause is unmet
    pointed = pf.pointed(text)
    assert pointed is not None and set(pointed) >= set(_every_clause_met(pf, text)) and pointed == sorted(pointed)
    keyed_met = {i for lit, pats in pf.keyed.items() if lit in {v for _, v in pf.automaton.iter(text.lower())} for i in pats}  # type: ignore[union-attr]
    assert set(pointed) == keyed_met | set(pf.always)


def test_the_key_clause_is_the_one_with_the_longest_shortest_literal() -> None:
    pf = prefilter.build([re.compile(r"\bx\b.*\bloader\b"), re.compile(r"^\s*$"), re.compile(r"run(?:s|ning)? (?:it|this)")])
    lit = {w: i for w, i in pf.automaton.items()}  # type: ignore[union-attr]
    assert pf.always == (1,)
    assert dict(pf.keyed) == {lit["loader"]: (0,), lit["run"]: (2,)}
    assert pf.candidates("x loader") == [0, 1] and pf.candidates("loader") == [1] and pf.candidates("running it") == [1, 2]
    assert pf.pointed("x loader") == [0, 1] and pf.pointed("loader") == [0, 1] and pf.pointed("x") == [1]


# --- whole-text scans from the leading words (prefilter.finditer) ---------------------------------


def _phrase_regexes() -> list[re.Pattern[str]]:
    from huntfeed.attack.rules import RuleMatcher, load_rules

    return [rx for rx, _ in RuleMatcher(load_rules())._regexes]


def _spans(matches: object) -> list[tuple[tuple[int, int], tuple[str | None, ...]]]:
    return [(m.span(), m.groups()) for m in matches]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("pattern", "leads"),
    [
        (r"\bcmd(?:\.exe)?\s+/c\b", {"cmd"}),
        (r"(?<![\w-])Certutil\b", {"certutil"}),  # look-arounds and \b are zero-width; lower-cased
        (r"\b(?:saved|stored) passwords", {"saved", "stored"}),  # parsed as "s", then a group
        (r"\b(?:fake|bogus) calls?", {"fake", "bogus"}),
        (r"(phone|call)ed", {"phone", "call"}),
        (r"\b(?:fake|\w+) calls?", None),  # an alternative without a leading word
        (r"\bx\s+y", None),  # a one-letter lead is no gain
        (r"[ab]cd", None),
        (r"(?:ab)?cd", None),
        (r"caf\u00e9s", {"caf"}),  # the ASCII start of the run
    ],
)
def test_leads_table(pattern: str, leads: set[str] | None) -> None:
    got = prefilter.leads(re.compile(pattern, re.IGNORECASE))
    assert (None if got is None else set(got)) == leads
    assert prefilter.leads(re.compile(pattern)) is None  # only case-insensitive patterns (the rules' own)


def test_every_phrase_regex_finds_what_finditer_finds_in_the_demo_and_development_reports() -> None:
    regexes = _phrase_regexes()
    assert sum(prefilter.leads(rx) is not None for rx in regexes) >= len(regexes) - 3  # most are led by a word
    pages = sorted(package_data("demo").rglob("*.html"))
    texts = [document_text(p.read_text(encoding="utf-8"), "") for p in pages]
    dev = SHARED / "eval" / "reports_dev.jsonl"
    if dev.is_file():
        texts += [json.loads(line)["full_text"] for line in dev.open(encoding="utf-8")]
    found = 0
    for text in texts:
        for rx in regexes:
            want = _spans(rx.finditer(text))
            assert _spans(prefilter.finditer(rx, text)) == want, rx.pattern
            found += len(want)
    assert found > 50  # the comparison saw many matches (76 at this writing), not only empty answers


_SCAN_WORDS = sorted(
    {w for rx in _phrase_regexes() for w in re.findall(r"[a-z&/.]{2,}", rx.pattern)}
    | {"CMD", "Sc", "the", "a", "\u017fc", "\u212a", "\u0130", "\u0131", "caf\u00e9", "\u201c", "-", "_", "\n"}
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_SCAN_WORDS), max_size=16), st.sampled_from([" ", "", "-", "  ", "\t", "."]))
def test_random_texts_of_the_regexes_own_words_give_the_same_matches(words: list[str], sep: str) -> None:
    text = sep.join(words)
    for rx in _phrase_regexes():
        assert _spans(prefilter.finditer(rx, text)) == _spans(rx.finditer(text)), (rx.pattern, text)


def test_a_character_that_folds_or_a_longer_lower_case_scans_the_whole_text() -> None:
    rx = re.compile(r"\bsc\s+create\b", re.IGNORECASE)
    for text in ("\u017fc create", "\u0130 sc create", "SC CREATE", "x\u00e9 sc create"):
        assert _spans(prefilter.finditer(rx, text)) == _spans(rx.finditer(text)) != []


def test_a_lead_inside_a_match_starts_no_match_of_its_own() -> None:
    # finditer goes on after each match: the "sc"s inside the first match are not tried again
    rx = re.compile(r"\bsc(?:\s+sc)*\b", re.IGNORECASE)
    text = "sc sc SC, then sc"
    assert _spans(prefilter.finditer(rx, text)) == _spans(rx.finditer(text)) == [((0, 8), ()), ((15, 17), ())]
