"""import-sigma on rules in SigmaHQ's shapes (written here): what each file gives, stored and reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from huntfeed.cli import cli
from huntfeed.hunts.import_sigma import import_dir, normalise

BASE = """title: {title}
id: {rid}
status: test
{extra}logsource: {{category: process_creation, product: windows}}
detection:
  sel:
    CommandLine|contains: '{word}'
  condition: sel
level: {level}
tags: [attack.execution, attack.t1059]
"""

RELATED = "related:\n    - id: 5b0f0f0e-0000-4000-8000-00000000000{n}\n      type: {kind}\n"

CORRELATION = """title: Many failed logons for one account
id: 9d1f3a55-0000-4000-8000-000000000001
status: test
tags: [attack.credential-access, attack.t1110]
correlation:
    type: event_count
    rules:
        - failed_logon_base
    group-by:
        - TargetUserName
    timespan: 5m
    condition:
        gte: 5
level: high
---
title: Failed logon
id: 9d1f3a55-0000-4000-8000-000000000002
name: failed_logon_base
status: test
tags: [attack.credential-access, attack.t1110]
logsource: {product: windows, service: security}
detection:
    selection:
        EventID: 4625
    condition: selection
level: informational
"""


def _rule(title: str, rid: str, *, extra: str = "", word: str = "whoami", level: str = "high") -> str:
    return BASE.format(title=title, rid=rid, extra=extra, word=word, level=level)


# Class of error: files SigmaHQ ships that the import dropped or stored wrongly (item 6 of issue 16).
# Each row: files written, then what the import must make of them.
@pytest.mark.parametrize(
    ("files", "imported", "skipped", "failed"),
    [
        # .YML / .YAML in upper case are rules like any other
        ({"a.YML": _rule("upper", "00000000-0000-4000-8000-00000000000a"),
          "b.YAML": _rule("upper2", "00000000-0000-4000-8000-00000000000b")}, ["upper", "upper2"], [], []),
        # the same rule id twice: stored once, the second listed as a duplicate
        ({"a.yml": _rule("first", "00000000-0000-4000-8000-00000000000c"),
          "b.yml": _rule("second", "00000000-0000-4000-8000-00000000000c")},
         ["first"], ["b.yml: duplicate rule id: SIGMA_00000000_0000_4000_8000_00000000000C also in"], []),
        # SigmaHQ's "obsoletes" relation (the specification says "obsolete") no longer fails the rule
        ({"o.yml": _rule("obsoleting", "00000000-0000-4000-8000-00000000000d",
                         extra=RELATED.format(n=1, kind="obsoletes"))}, ["obsoleting"], [], []),
        # a relation type nobody defines is still pySigma's error, listed with its reason
        ({"o.yml": _rule("odd", "00000000-0000-4000-8000-00000000000e", extra=RELATED.format(n=2, kind="eats"))},
         [], [], ["o.yml: invalid Sigma rule: eats is not a Sigma related valid type"]),
        # a correlation and its base rule: two imported rules, the correlation as Splunk stats
        ({"c.yml": CORRELATION}, ["Failed logon", "Many failed logons for one account"], [], []),
    ],
)
def test_import_handles_sigmahq_file_shapes(
    tmp_path: Path, files: dict[str, str], imported: list[str], skipped: list[str], failed: list[str]
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    report = import_dir(tmp_path)
    assert sorted(r.title for r in report.imported) == imported
    assert [f"{Path(f).name}: {why}"[: len(s)] for (f, why), s in zip(report.skipped, skipped, strict=True)] == skipped
    assert [f"{Path(f).name}: {why}" for f, why in report.failed] == failed


def test_duplicate_is_not_also_listed_as_partial(tmp_path: Path) -> None:
    rid = "00000000-0000-4000-8000-0000000000f5"
    for name in ("a.yml", "b.yml"):  # the Sentinel target fails on both: partly converted
        (tmp_path / name).write_text(_rule(name, rid).replace("process_creation", "pipe_created"))
    report = import_dir(tmp_path)
    assert [Path(f).name for f, _ in report.partial] == ["a.yml"]
    assert [Path(f).name for f, _ in report.skipped] == ["b.yml"]


def test_correlation_converts_to_splunk_stats_and_says_why_kusto_cannot(tmp_path: Path) -> None:
    (tmp_path / "c.yml").write_text(CORRELATION)
    report = import_dir(tmp_path)
    corr = next(r for r in report.imported if r.title.startswith("Many"))
    assert corr.queries["spl_raw"] == (
        'search source="WinEventLog:Security" EventCode=4625\n'
        "| bin _time span=5m\n"
        "| stats count as event_count by _time TargetUserName\n"
        "| search event_count >= 5"
    )
    assert corr.platform == "windows" and corr.techniques == ("T1110",)
    why = dict((f.split(" (", 1)[1].rstrip(")"), r) for f, r in report.partial)
    assert "kql: pySigma's Kusto backend converts no correlation rules" in why["Many failed logons for one account"]
    base = next(r for r in report.imported if r.title == "Failed logon")
    assert base.queries["spl_raw"] == 'search source="WinEventLog:Security" EventCode=4625'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("related:\n    - id: x\n      type: obsoletes\n", "related:\n    - id: x\n      type: obsolete\n"),
        ("related:\n    - type: obsoletes\n      id: x\n", "related:\n    - type: obsolete\n      id: x\n"),
        ("related:\n    - id: x\n      type: derived\n", "related:\n    - id: x\n      type: derived\n"),
        ("description: it obsoletes nothing\n", "description: it obsoletes nothing\n"),
    ],
)
def test_normalise_reads_obsoletes_as_obsolete(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_kusto_table_error_names_the_logsource(tmp_path: Path) -> None:
    # Class of error: pySigma's four-line "Unable to determine table name" message was cut to its first line.
    (tmp_path / "aws.yml").write_text(
        "title: trail stopped\nid: 00000000-0000-4000-8000-0000000000f1\nstatus: test\n"
        "logsource: {product: aws, service: cloudtrail}\n"
        "detection:\n  sel:\n    eventName: StopLogging\n  condition: sel\nlevel: medium\ntags: [attack.t1562.008]\n"
    )
    (_, why), = import_dir(tmp_path).partial
    assert "kql: no table for logsource (product: aws, service: cloudtrail): pySigma's Kusto pipelines choose " \
           "the table from the logsource category or the EventID, and know neither for this rule;" in why


def test_no_kql_says_so_not_kusto_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUNTFEED_HOME", str(tmp_path / "home"))
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "a.yml").write_text(_rule("a", "00000000-0000-4000-8000-0000000000f2"))
    out = CliRunner().invoke(cli, ["usecases", "import-sigma", str(tmp_path / "r"), "--no-kql", "--json"])
    assert out.exit_code == 0, out.output
    totals = json.loads(out.output)["summary"][5]
    assert totals.endswith("; KQL not analysed (--no-kql)") and "Kusto.Language not found" not in totals


def _stored(home: Path) -> list[str]:
    return sorted(r["title"] for r in json.loads((home / "sigma-imports.json").read_text())["rules"])


# Class of error: a second import (a subfolder, an empty folder) silently wiped the earlier ones.
# Each row: the folder imported second and its flags, then the counts and the titles stored.
@pytest.mark.parametrize(
    ("second", "flags", "store", "titles"),
    [
        ("sub", [], {"added": 0, "updated": 1, "kept": 2, "removed": 0}, ["a", "b2", "c"]),
        ("empty", [], {"added": 0, "updated": 0, "kept": 3, "removed": 0}, ["a", "b", "c"]),
        ("new", [], {"added": 1, "updated": 0, "kept": 3, "removed": 0}, ["a", "b", "c", "d"]),
        ("sub", ["--replace"], {"added": 0, "updated": 1, "kept": 0, "removed": 2}, ["b2"]),
        ("empty", ["--replace"], {"added": 0, "updated": 0, "kept": 0, "removed": 3}, []),
    ],
)
def test_reimport_merges_by_rule_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, second: str, flags: list[str], store: dict[str, int],
    titles: list[str],
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("HUNTFEED_HOME", str(home))
    first = tmp_path / "all"
    for d in (first / "sub", tmp_path / "empty", tmp_path / "new"):
        d.mkdir(parents=True)
    ids = {t: f"00000000-0000-4000-8000-0000000001{i:02d}" for i, t in enumerate("abcd")}
    (first / "a.yml").write_text(_rule("a", ids["a"]))
    (first / "sub" / "b.yml").write_text(_rule("b", ids["b"]))
    (first / "c.yml").write_text(_rule("c", ids["c"]))
    runner = CliRunner()
    assert runner.invoke(cli, ["usecases", "import-sigma", str(first), "--no-kql"]).exit_code == 0
    (first / "sub" / "b.yml").write_text(_rule("b2", ids["b"]))  # the same rule, edited
    (tmp_path / "new" / "d.yml").write_text(_rule("d", ids["d"]))
    folder = first / "sub" if second == "sub" else tmp_path / second
    out = runner.invoke(cli, ["usecases", "import-sigma", str(folder), "--no-kql", "--json", *flags])
    assert out.exit_code == 0, out.output
    got = json.loads(out.output)["store"]
    assert {k: (len(v) if isinstance(v, list) else v) for k, v in got.items() if k in store} == store
    assert got["stored"] == len(titles) and _stored(home) == titles


# Class of error: the severity opt-in was reachable only by editing the bundled rubric.yaml.
# Each row: the flags of two imports in a row, then whether fired imported rules count towards severity.
@pytest.mark.parametrize(
    ("first", "second", "counts"),
    [
        ([], [], False),
        (["--count-in-severity"], [], True),  # stored with the imports: a later import keeps it
        (["--count-in-severity"], ["--no-count-in-severity"], False),
        ([], ["--count-in-severity"], True),
    ],
)
def test_severity_opt_in_is_an_import_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: list[str], second: list[str], counts: bool
) -> None:
    from huntfeed.hunts.imported import severity_rubric
    from huntfeed.score import load_rubric

    monkeypatch.setenv("HUNTFEED_HOME", str(tmp_path / "home"))
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "a.yml").write_text(_rule("a", "00000000-0000-4000-8000-0000000000f3"))
    for flags in (first, second):
        out = CliRunner().invoke(cli, ["usecases", "import-sigma", str(tmp_path / "r"), "--no-kql", *flags])
        assert out.exit_code == 0, out.output
    assert ("counted towards severity" in out.output) is counts
    assert severity_rubric(load_rubric()).weights["imported_rules_count"] == (1.0 if counts else 0.0)


def test_severity_opt_in_changes_the_score(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from huntfeed.hunts import HuntLibrary
    from huntfeed.hunts.imported import ImportStore, save_store, severity_rubric
    from huntfeed.model import Inference, TechniqueHit
    from huntfeed.score import load_rubric, score

    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "a.yml").write_text(_rule("a", "00000000-0000-4000-8000-0000000000f4"))
    rules = tuple(import_dir(tmp_path / "r").imported)
    inference = Inference(observed=(TechniqueHit(id="T1059", name="Command and Scripting Interpreter"),))
    points = []
    for opt_in in (False, True):
        store = save_store(ImportStore(rules, opt_in), tmp_path / f"imports-{opt_in}.json")
        hunts = tuple(h for h in HuntLibrary.load(imports=store).hunts_for("whoami ran", (), inference)
                      if h.kind == "sigma-import")
        assert [h.title for h in hunts] == ["a"]
        rubric = severity_rubric(load_rubric(), store)
        points.append(score(text="whoami ran", indicators=(), inference=inference, hunts=hunts,
                            source_reliability="C", rubric=rubric, kev=frozenset()).points)
    assert points[1] > points[0]
