"""Technique inference: explicit ids, phrase rules, actors, associated techniques, evidence offsets."""

from __future__ import annotations

from pathlib import Path

import pytest
from attack_fixtures import write_bundle

from huntfeed.attack import AttackEngine
from huntfeed.attack.actors import ActorRecognizer
from huntfeed.attack.catalog import load_bundle
from huntfeed.attack.explicit import find_ids
from huntfeed.attack.rules import RuleMatcher, load_rules
from huntfeed.attack.text import split_sentences
from huntfeed.errors import DataFileError


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> AttackEngine:
    # an empty data folder: the offline package bundle and the shipped model are used
    return AttackEngine.load(tmp_path_factory.mktemp("home"))


def test_explicit_ids_are_remapped_and_unknown_ids_dropped(tmp_path: Path) -> None:
    cat = load_bundle(write_bundle(tmp_path / "b.json"))
    text = "Seen: T1086, T1059/001, T1064, T9999, T1059.999 and XT1055 but also (T1055)."
    found = [(tid, text[s:e]) for tid, s, e in find_ids(text, cat)]
    assert found == [("T1059.001", "T1086"), ("T1059.001", "T1059/001"), ("T1055", "T1055")]


def test_phrase_rules_file_is_valid_and_covers_150_techniques(engine: AttackEngine) -> None:
    rules = load_rules()
    techniques = {r.technique for r in rules}
    assert len(techniques) >= 150
    assert all(engine.catalog.resolve(t) for t in techniques), "every rule id must exist in the catalog"


def test_phrase_matching_respects_word_boundaries_and_wildcards() -> None:
    matcher = RuleMatcher(load_rules())
    hits = {(h.rule.technique, "x") for h in matcher.find("The implant logs keystrokes via a keylogger.")}
    assert ("T1056.001", "x") in hits
    assert not [h for h in matcher.find("unscheduled tasks") if h.rule.technique == "T1053.005"]
    assert [h for h in matcher.find("It created a Scheduled Task.") if h.rule.technique == "T1053.005"]


def test_rule_loader_reports_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "p.txt"
    bad.write_text("T1059.001 PowerShell\n    powershell\n    /(unclosed/\n")
    with pytest.raises(DataFileError, match=r"p\.txt:3"):
        load_rules(bad)
    bad.write_text("    orphan phrase\n")
    with pytest.raises(DataFileError, match=r"p\.txt:1"):
        load_rules(bad)


def test_infer_explicit_and_rule_hits_with_evidence(engine: AttackEngine) -> None:
    text = (
        "During the second week the operators ran T1086 on the first host to list the domain users.\n"
        "Afterwards the dropper deletes itself from disk.\n"
        "Persistence came from a scheduled task named GoogleUpdater."
    )
    inf = engine.infer(text)
    by_id = {h.id: h for h in inf.observed}
    assert "T1059.001" in by_id and "explicit-id" in by_id["T1059.001"].methods
    assert "T1053.005" in by_id and "phrase-rule" in by_id["T1053.005"].methods
    for hit in inf.observed:
        assert 0.0 <= hit.confidence <= 1.0
        assert hit.methods and hit.evidence, hit
        for ev in hit.evidence:
            assert text[ev.start : ev.end] == ev.text
    assert [h.confidence for h in inf.observed] == sorted((h.confidence for h in inf.observed), reverse=True)
    assert inf.attack_version == engine.catalog.version
    assert "exploitation" in inf.kill_chain_phases and "installation" in inf.kill_chain_phases
    assert list(inf.kill_chain_phases) == sorted(
        inf.kill_chain_phases,
        key=[
            "reconnaissance",
            "weaponization",
            "delivery",
            "exploitation",
            "installation",
            "command-and-control",
            "actions-on-objectives",
        ].index,
    )


def test_nonexistent_ids_never_emitted(engine: AttackEngine) -> None:
    inf = engine.infer("Mapped to T9999 and T1234.567 in the appendix.")
    assert all(engine.catalog.technique(h.id) for h in inf.observed)
    assert not [h for h in inf.observed if h.id in ("T9999", "T1234.567")]


def test_actors_and_associated_kept_apart(engine: AttackEngine) -> None:
    inf = engine.infer("We attribute the intrusion to APT29, which deployed Cobalt Strike beacons.")
    names = {a.name for a in inf.actors}
    assert {"APT29", "Cobalt Strike"} <= names
    assert inf.associated, "APT29 has ATT&CK uses relationships"
    observed = {h.id for h in inf.observed}
    assert all(h.id not in observed for h in inf.associated)
    assert all(m.startswith("associated:") for h in inf.associated for m in h.methods)
    # operating-system utilities are ATT&CK "tools" but naming them is not naming an adversary
    assert not engine.infer("The operators ran cmd.exe, certutil and schtasks on the server.").actors


def test_ambiguous_names_need_case_and_context(tmp_path: Path) -> None:
    cat = load_bundle(write_bundle(tmp_path / "b.json"))
    rec = ActorRecognizer(cat, ambiguous=frozenset({"snake"}))

    def names(text: str) -> set[str]:
        return {a.name for a in rec.find(text, split_sentences(text))}

    assert names("A snake crossed the road.") == set()
    assert names("Snake crossed the road.") == set()
    assert names("The Snake malware was found.") == {"Snake"}
    assert names("CE-29 returned; the Cozy Example operators.") == {"Cozy Example"}
    assert names("NOTCE-29x") == set()


def test_ids_in_tables_are_weaker_than_ids_in_prose() -> None:
    from huntfeed.attack.explicit import in_prose

    assert not in_prose("Command and Scripting Interpreter: PowerShell [T1059.001]")
    assert not in_prose("T1055.001 T1055.012 T1059.001 process injection and powershell used by the group")
    assert in_prose(
        "The operators then ran an encoded PowerShell command (T1059.001) to fetch the second stage."
    )


def test_strong_phrase_alone_reports_its_technique(tmp_path: Path, engine: AttackEngine) -> None:
    path = tmp_path / "p.txt"
    path.write_text("T1490 Inhibit System Recovery\n    !vssadmin\n    shadow copy\n")
    rules = load_rules(path)
    assert [(r.phrase, r.strong) for r in rules] == [("vssadmin", True), ("shadow copy", False)]
    inf = engine.infer("Later that day vssadmin was seen on the file server.")
    hit = {h.id: h for h in inf.observed}.get("T1490")
    assert hit is not None and hit.confidence >= 0.6 and "phrase-rule" in hit.methods


def test_a_name_that_is_also_a_context_word_does_not_vouch_for_itself(engine: AttackEngine) -> None:
    # ATT&CK has a malware called "Wiper" (S0041); a tag list saying "Wiper" is not a sighting of it.
    def names(text: str) -> set[str]:
        return {a.name for a in engine.infer(text).actors}

    assert "Wiper" not in names("Tags: Breaches Wiper Logistics")
    assert "Wiper" in names("Tags: Breaches Wiper malware Logistics")


def test_phrases_denied_in_their_clause_do_not_count(engine: AttackEngine) -> None:
    def observed(text: str) -> set[str]:
        return {h.id for h in engine.infer(text).observed}

    assert "T1486" not in observed("Unlike ransomware, the wiper keeps no key.")
    assert "T1486" not in observed("The intruders did not deploy ransomware on the file servers.")
    # the cue must sit in the same clause: a later sentence that affirms the phrase still counts
    assert "T1486" in observed("This was not a quiet intrusion. The group deployed ransomware across the domain.")
    assert "T1486" in observed("No data was stolen, but the operators deployed ransomware across the domain.")


def test_ids_the_article_lists_but_does_not_describe_are_kept_apart(engine: AttackEngine) -> None:
    text = ("The intruders added their key to authorized_keys on every build runner they reached, so they "
            "could log back in over SSH whenever they liked. Relevant ATT&CK techniques: T1195.001 (Compromise "
            "Software Dependencies and Development Tools), T1552.001 (Credentials In Files), T1567.004 "
            "(Exfiltration Over Webhook) and T1098.004 (SSH Authorized Keys).")
    inf = engine.infer(text)
    observed = {h.id for h in inf.observed}
    mapped = {h.id: h for h in inf.source_mapped}
    assert "T1098.004" in observed and "T1098.004" not in mapped
    assert {"T1195.001", "T1552.001", "T1567.004"} <= set(mapped)
    assert not observed & set(mapped)
    assert mapped["T1552.001"].methods == ("source-mapping",) and mapped["T1552.001"].name == "Credentials In Files"
    # the only sentence naming it is a list of ids: not evidence of behaviour, so none is shown
    assert mapped["T1552.001"].evidence == ()
