"""Use-case slots: twins of one behaviour share a slot; audit-grade hunts rank last and leave severity."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from huntfeed.errors import DataFileError
from huntfeed.hunts import HuntLibrary
from huntfeed.hunts.match import Fired, fill_slots, rank
from huntfeed.hunts.usecase import Triggers, UseCase, load_usecase
from huntfeed.model import Hunt, Inference, TechniqueHit
from huntfeed.score import load_rubric, score

USECASE = """id: UC_TEST_SLOT
title: t
description: d
phase: installation
confidence: High
{extra}
techniques: [T1053.005]
triggers:
  techniques: [T1053.005]
sigma: |
  title: t
  logsource: {{category: process_creation, product: windows}}
  detection:
    sel: {{CommandLine|contains: schtasks}}
    condition: sel
"""


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("grade: loud", "grade 'loud' is not one of alert, audit"),
        ("group: Scheduled Tasks", "group 'Scheduled Tasks' must be a lower-case slug"),
        ("group: [a, b]", "group ['a', 'b'] must be a lower-case slug"),
    ],
)
def test_loader_rejects_bad_grade_and_group(tmp_path: Path, extra: str, message: str) -> None:
    path = tmp_path / "uc.yaml"
    path.write_text(USECASE.format(extra=extra))
    with pytest.raises(DataFileError, match=re.escape(message)) as err:
        load_usecase(path)
    assert f"{path}:6" in str(err.value)


def test_loader_defaults_and_reads_grade_and_group(tmp_path: Path) -> None:
    path = tmp_path / "uc.yaml"
    path.write_text(USECASE.format(extra=""))
    assert (load_usecase(path).grade, load_usecase(path).group) == ("alert", "")
    path.write_text(USECASE.format(extra="grade: audit\ngroup: scheduled-task-creation"))
    assert (load_usecase(path).grade, load_usecase(path).group) == ("audit", "scheduled-task-creation")


def _fired(uc_id: str, points: float, group: str = "", grade: str = "alert") -> Fired:
    uc = UseCase(uc_id, "t", "d", "installation", "High", ("T1000",), Triggers(techniques=("T1000",)), "s",
                 group=group, grade=grade)
    return Fired(uc, points, ())


# (use case, points, group, grade) in; the ids kept for 3 slots, in order, out.
@pytest.mark.parametrize(
    ("rows", "kept"),
    [
        # no groups: the 3 best
        ([("A", 5, "", "alert"), ("B", 4, "", "alert"), ("C", 3, "", "alert"), ("D", 2, "", "alert")], "ABC"),
        # B's twin E ranks last but follows B in B's slot; D still gets the third slot
        ([("A", 5, "", "alert"), ("B", 4, "g", "alert"), ("C", 3, "", "alert"), ("D", 2, "", "alert"),
          ("E", 1, "g", "alert")], "ABEC"),
        # a group's twins never push another behaviour out: three twins, one slot
        ([("A", 5, "g", "alert"), ("B", 5, "g", "alert"), ("C", 5, "g", "alert"), ("D", 4, "", "alert"),
          ("E", 3, "", "alert"), ("F", 2, "", "alert")], "ABCDE"),
        # an audit hunt ranks after every alert-grade one, whatever its points
        ([("X", 9, "", "audit"), ("A", 3, "", "alert"), ("B", 2, "", "alert"), ("C", 1, "", "alert")], "ABC"),
        # ... but rides in the slot of an alert-grade twin
        ([("X", 9, "g", "audit"), ("A", 3, "g", "alert"), ("B", 2, "", "alert"), ("C", 1, "", "alert"),
          ("D", 1, "", "alert")], "AXBC"),
    ],
)
def test_fill_slots(rows: list[tuple[str, float, str, str]], kept: str) -> None:
    ranked = rank([_fired(*row) for row in rows])
    assert "".join(f.usecase.id for f in fill_slots(ranked, 3)) == kept


@pytest.fixture(scope="module")
def lib() -> HuntLibrary:
    return HuntLibrary.load()


def inf(*ids: str) -> Inference:
    return Inference(observed=tuple(TechniqueHit(id=i, name=i) for i in ids))


def test_scheduled_task_twins_share_one_slot(lib: HuntLibrary) -> None:
    # Class of error: the Security-log and command-line scheduled-task hunts took two of the 8 slots
    # and pushed another behaviour out of four demo profiles.
    busy = ("T1053.005", "T1003.001", "T1059.001", "T1105", "T1547.001", "T1070.004", "T1082", "T1021.002",
            "T1486", "T1562.001", "T1218.011")
    text = "The loader registered a scheduled task with schtasks /create to run its payload."
    hunts = [h for h in lib.hunts_for(text, (), inf(*busy)) if h.kind in ("usecase", "audit")]
    ids = [h.use_case for h in hunts]
    slots = {lib.get(i).group or i for i in ids}
    assert len(slots) == 8
    assert {"UC_SCHTASKS_CREATE", "UC_SCHEDULED_TASK_SECURITY_LOG"} <= set(ids)
    a, b = ids.index("UC_SCHTASKS_CREATE"), ids.index("UC_SCHEDULED_TASK_SECURITY_LOG")
    assert abs(a - b) == 1
    # Without the group the twin takes a slot of its own: one behaviour fewer.
    split = HuntLibrary(tuple(replace(uc, group="") for uc in lib.usecases))
    alone = {h.use_case for h in split.hunts_for(text, (), inf(*busy)) if h.kind in ("usecase", "audit")}
    assert len(alone) == 8 and len(set(ids)) > 8


def test_log_clear_audit_hunt_follows_the_alert_grade_ones_and_leaves_severity() -> None:
    lib = HuntLibrary.load(imports=Path("/nonexistent/none.json"), packs=("audit",))
    text = "The operator then cleared the event logs with Mimikatz event::clear."
    hunts = lib.hunts_for(text, (), inf("T1070.001"))
    cases = [(h.use_case, h.kind) for h in hunts if h.kind in ("usecase", "audit")]
    # The group's slot: its alert-grade hunts first, the audit listing right after them.
    assert cases[:3] == [
        ("UC_EVENT_LOG_CLEARED_BY_SERVICE_ACCOUNT", "usecase"),  # 'event::clear' is one of its phrases
        ("UC_EVENT_LOG_CLEARED", "usecase"),
        ("UC_EVENT_LOG_CLEARED_EVENTS", "audit"),
    ]
    assert all(k == "usecase" for _, k in cases[3:])
    rubric = load_rubric()
    args = {"text": text, "indicators": (), "inference": inf("T1070.001"), "source_reliability": "C",
            "kev": frozenset()}
    without = tuple(h for h in hunts if h.kind != "audit")
    assert score(hunts=hunts, rubric=rubric, **args) == score(hunts=without, rubric=rubric, **args)  # type: ignore[arg-type]


def _uc(uc_id: str, techniques: tuple[str, ...], group: str, grade: str = "alert") -> UseCase:
    return UseCase(uc_id, "t", "d", "installation", "High", techniques, Triggers(techniques=techniques), "s",
                   path=f"{uc_id.lower()}.yaml", group=group, grade=grade)


# Class of error a group name can hide: a misspelt group (the twin takes its own slot again), two
# behaviours sharing one slot, a group that only ranks last.
@pytest.mark.parametrize(
    ("cases", "messages"),
    [
        ([("UC_A", ("T1053.005",), "tasks"), ("UC_B", ("T1053.005",), "tasks")], []),
        ([("UC_A", ("T1053.005",), "tasks"), ("UC_B", ("T1053.005",), "task")],
         ["group 'task' has no other member (a misspelt group?)", "group 'tasks' has no other member (a misspelt group?)"]),
        ([("UC_A", ("T1053.005",), "mix"), ("UC_B", ("T1003.001",), "mix")],
         ["group 'mix' members share no technique: UC_A, UC_B"]),
        ([("UC_A", ("T1070.001",), "clears", "audit"), ("UC_B", ("T1070.001",), "clears", "audit")],
         ["group 'clears' has no alert-grade member"]),
    ],
)
def test_lint_checks_groups(cases: list[tuple[str, ...]], messages: list[str]) -> None:
    from huntfeed.hunts.lint import group_problems

    ucs = tuple(_uc(c[0], c[1], c[2], *(c[3:] or ("alert",))) for c in cases)  # type: ignore[arg-type]
    assert sorted(p.message for p in group_problems(ucs)) == sorted(messages)


def test_library_groups_lint_clean(lib: HuntLibrary) -> None:
    from huntfeed.hunts.lint import group_problems

    assert group_problems(lib.usecases) == []
    assert len({uc.group for uc in lib.usecases if uc.group}) == 11


def _h(uc_id: str, confidence: str, group: str = "") -> Hunt:
    return Hunt(use_case=uc_id, title=uc_id.lower(), phase="installation", confidence=confidence, group=group)


def _usecase_reason(hunts: tuple[Hunt, ...]) -> str:
    verdict = score(text="", indicators=(), inference=Inference(), hunts=hunts, source_reliability="C",
                    rubric=load_rubric(), kev=frozenset())
    return verdict.reasons[0]


# Default rubric: 0.75 per use case, +0.25 when High, at most 5 counted.
# Class of error: severity counted a group's twins (one behaviour in two log sources) as two use cases,
# so a profile with both scheduled-task hunts scored a point more than one with either, and the twins
# took two of the 5 counted places.
@pytest.mark.parametrize(
    ("hunts", "reason"),
    [
        ((_h("UC_A", "High", "tasks"), _h("UC_B", "Medium", "tasks"), _h("UC_C", "Medium")),
         "3 use cases fired (2 behaviours: a group's twins count once): UC_A (uc_a, High confidence); "
         "UC_B (uc_b, Medium confidence); UC_C (uc_c, Medium confidence) (+1.75)."),
        ((_h("UC_A", "Medium", "tasks"), _h("UC_B", "High", "tasks")),  # the group is High when a twin is
         "2 use cases fired (1 behaviours: a group's twins count once): UC_A (uc_a, Medium confidence); "
         "UC_B (uc_b, High confidence) (+1)."),
        ((_h("UC_A", "High"), _h("UC_B", "Medium")),
         "2 use cases fired: UC_A (uc_a, High confidence); UC_B (uc_b, Medium confidence) (+1.75)."),
        # the cap (5) counts behaviours: three twins and four others are five behaviours, all counted
        ((_h("UC_T1", "Medium", "g"), _h("UC_T2", "Medium", "g"), _h("UC_T3", "Medium", "g"),
          *(_h(f"UC_S{i}", "Medium") for i in range(4))),
         "7 use cases fired (5 behaviours: a group's twins count once): UC_T1 (uc_t1, Medium confidence); "
         "UC_T2 (uc_t2, Medium confidence); UC_T3 (uc_t3, Medium confidence); UC_S0 (uc_s0, Medium confidence); "
         "UC_S1 (uc_s1, Medium confidence); UC_S2 (uc_s2, Medium confidence); UC_S3 (uc_s3, Medium confidence) (+3.75)."),
    ],
)
def test_severity_counts_a_group_once(hunts: tuple[Hunt, ...], reason: str) -> None:
    assert _usecase_reason(hunts) == reason


def test_library_hunts_carry_their_group(lib: HuntLibrary) -> None:
    text = "The loader registered a scheduled task with schtasks /create to run its payload."
    groups = {h.use_case: h.group for h in lib.hunts_for(text, (), inf("T1053.005")) if h.kind == "usecase"}
    assert groups["UC_SCHTASKS_CREATE"] == groups["UC_SCHEDULED_TASK_SECURITY_LOG"] == "scheduled-task-creation"
