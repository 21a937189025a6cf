"""Newcomer-facing CLI behaviour: read-only commands never create a store; pipes get TSV."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.hostile, pytest.mark.timeout(120)]

READ_ONLY = [["profiles", "list"], ["profiles", "show", "0123456789abcdef"], ["feeds", "list"], ["feeds", "export"],
             ["export", "--format", "json"], ["digest"]]


@pytest.mark.parametrize("args", READ_ONLY, ids=lambda a: " ".join(a))
def test_read_only_commands_never_create_a_store(args: list[str], tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "dir" / "x.db"
    proc = subprocess.run([sys.executable, "-m", "huntfeed", *args, "--db", f"sqlite:///{target}"],
                          capture_output=True, text=True, timeout=100)
    assert proc.returncode == 2, proc.stderr
    assert "no store here" in proc.stderr
    assert not (tmp_path / "no").exists()


def test_read_only_commands_still_read_an_existing_store(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    run = [sys.executable, "-m", "huntfeed"]
    assert subprocess.run([*run, "feeds", "add", "https://example.org/feed.xml", "--db", db], capture_output=True,
                          timeout=100).returncode == 0
    proc = subprocess.run([*run, "feeds", "list", "--db", db], capture_output=True, text=True, timeout=100)
    assert proc.returncode == 0 and "example.org" in proc.stdout


def test_usecases_list_to_a_pipe_is_tab_separated() -> None:
    proc = subprocess.run([sys.executable, "-m", "huntfeed", "usecases", "list"], capture_output=True, text=True,
                          timeout=100)
    lines = proc.stdout.splitlines()
    assert proc.returncode == 0 and lines[0] == "id\tphase\tconfidence\ttechniques"
    assert len(lines) > 5 and all(line.count("\t") == 3 for line in lines)
    assert "use cases;" in proc.stderr and "use cases;" not in proc.stdout
