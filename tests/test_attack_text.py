"""Hard-wrapped prose read whole (text.unwrap) and headings kept out of the evidence shown (outline.is_heading)."""

from __future__ import annotations

import pytest

from huntfeed.attack import AttackEngine
from huntfeed.attack.outline import is_heading
from huntfeed.attack.text import split_sentences, unwrap


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> AttackEngine:
    return AttackEngine.load(tmp_path_factory.mktemp("home"))


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        # a paragraph wrapped at a fixed width is one sentence
        ("The loader then creates a scheduled\ntask that starts the implant at logon.",
         ["The loader then creates a scheduled task that starts the implant at logon."]),
        # a sentence end, a colon or an upper-case start is a real line break
        ("The loader ran once.\nit was not seen again.", ["The loader ran once.", "it was not seen again."]),
        ("The implant supports these commands:\nscreenshot and upload", None),
        ("The loader then creates a scheduled\nTask Scheduler entry", None),
        # commands stay one per line: a switch, a path or an operator on either side, or a short line
        ("bcdedit /set {default} recoveryenabled no\nwmic shadowcopy delete", None),
        ("wmic shadowcopy delete\nwbadmin delete catalog", None),
        ("The operator then ran the following command line\nnet use \\\\fs01\\c$", None),
        ("It collects the list of installed programs and\n-s switches", None),
        # nothing inside a fenced block is joined
        ("```\nThe loader then creates a scheduled\ntask that starts\n```", None),
        # headings, tables, quotes and list items are not prose
        ("## The loader then creates a scheduled\ntask", None),
        ("The loader then creates a scheduled\n- task that starts the implant", None),
        ("| The loader then creates a scheduled |\ntask that starts the implant", None),
        # a Markdown link's target and an inline code span are not code: the line around them is prose (ninth session)
        ("Using the data analyzer from the [CyberChef](https://gchq.github.io/CyberChef/) project,\nwe decoded the HTML entities.",
         ["Using the data analyzer from the [CyberChef](https://gchq.github.io/CyberChef/) project, we decoded the HTML entities."]),
        ("* Copies the binary from the system folder of the local machine\n  into the user's `%TEMP%` directory.",
         ["* Copies the binary from the system folder of the local machine   into the user's `%TEMP%` directory."]),
        # ... and a line of only a link continues a wrapped sentence on both sides
        ("This action leverages the copied file for\n  [process hollowing](https://example.com/a-b)\n  by launching it suspended.",
         ["This action leverages the copied file for   [process hollowing](https://example.com/a-b)   by launching it suspended."]),
        # a code span with a command is still code outside it; short plain lines after a wrap stay apart
        ("The loader runs the following command line `whoami`\nnet use \\\\fs01\\c$", None),
        ("The operator cleared the logs with these commands\nwevtutil cl security\nwevtutil cl system",
         ["The operator cleared the logs with these commands wevtutil cl security", "wevtutil cl system"]),
        # a bullet that wraps continues on the next line
        ("- copies the browser databases into a temporary\n  folder and uploads them", ["- copies the browser databases into a temporary   folder and uploads them"]),
    ],
)
def test_unwrap(text: str, lines: list[str] | None) -> None:
    out = unwrap(text)
    assert len(out) == len(text)  # every offset holds
    assert [s.text for s in split_sentences(out)] == (lines if lines is not None else [s.text for s in split_sentences(text)])


def test_a_phrase_across_a_soft_wrap_is_found(engine: AttackEngine) -> None:
    text = "After the first login the operators created a scheduled\ntask named UpdateCheck that runs the loader."
    hit = next(h for h in engine.infer(text).observed if h.id == "T1053.005")
    assert hit.evidence[0].start == 0 and hit.evidence[0].end == len(text)


@pytest.mark.parametrize(
    ("text", "heading"),
    [
        ("How the tunnel works", True),
        ("Initial access", True),
        ("Days 7-8: exfiltration with rclone", True),
        ("### Sandbox detection", True),
        ("The command line was:", True),
        ("The implant then:", True),
        ("The operators used a renamed rclone binary to copy the records:", False),  # a sentence, not a lead-in
        ("vssadmin delete shadows /all /quiet", False),  # a command
        ("wmic shadowcopy delete", False),  # lower-case: a command, not a heading
        ("The malware deletes itself.", False),
        ("Halden Logistics attack used DRIFTGLASS wiper disguised as a software update, investigators say", False),
        ("- adds the attacker's SSH key", False),
    ],
)
def test_is_heading(text: str, heading: bool) -> None:
    doc = f"Intro sentence here.\n{text}\nNext line."
    s = next(x for x in split_sentences(doc) if x.text == text)
    assert is_heading(s, doc) is heading


def test_a_sentence_inside_a_paragraph_is_never_a_heading() -> None:
    doc = "It stopped. Initial access\nNext."
    s = next(x for x in split_sentences(doc) if x.text == "Initial access")
    assert not is_heading(s, doc)


def test_headings_are_not_shown_as_evidence(engine: AttackEngine) -> None:
    text = (
        "Persistence through a scheduled task\n"
        "The loader creates a scheduled task named UpdateCheck that launches it at every logon.\n"
    )
    hit = next(h for h in engine.infer(text).observed if h.id == "T1053.005")
    assert [e.text for e in hit.evidence] == [text.split("\n")[1]]


def test_a_lead_in_that_ends_a_line_is_a_heading_even_inside_a_paragraph() -> None:
    doc = "They renamed rclone. The command line was:\nsvchst.exe copy \\\\fs01\\share remote:/up"
    s = next(x for x in split_sentences(doc) if x.text == "The command line was:")
    assert is_heading(s, doc)
