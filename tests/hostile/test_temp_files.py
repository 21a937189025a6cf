"""A process killed mid-write leaves its hidden temporary file; the next run removes it, and
only it: a live writer's file and anything not named like ours stay."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, cast

import pytest

from huntfeed.render.files import TEMP_SUFFIX, atomic_write, clean_stale_temp_files
from huntfeed.runner import Runner
from huntfeed.store import Store

pytestmark = [pytest.mark.hostile, pytest.mark.timeout(60)]

# A writer that stops for good inside atomic_write, after the temporary file exists.
_STUCK_WRITER = """
import os, sys, time
from pathlib import Path
from huntfeed.render import files
os.fsync = lambda fd: (print("writing", flush=True), time.sleep(120))
files.atomic_write(Path(sys.argv[1]) / "0123456789abcdef.md", "x" * 100_000)
"""


def _killed_mid_write(out: Path) -> Path:
    proc = subprocess.Popen([sys.executable, "-c", _STUCK_WRITER, str(out)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")})
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    (left,) = [p for p in out.iterdir() if p.name.endswith(TEMP_SUFFIX)]
    assert left.name.startswith(".0123456789abcdef.md.") and left.stat().st_size == 100_000
    return left


def test_next_run_removes_what_a_killed_write_left(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    left = _killed_mid_write(out)
    (out / "aaaaaaaaaaaaaaaa.md").write_text("a profile")
    progress: list[tuple[str, str]] = []
    store = Store(f"sqlite:///{tmp_path / 'h.db'}")
    Runner(store, cast(Any, None), cast(Any, None), out, lambda e, d: progress.append((e, d))).run()
    assert not left.exists()
    assert [p.name for p in out.iterdir()] == ["aaaaaaaaaaaaaaaa.md"]
    assert progress == [("clean", f"removed {left.name}, left by an interrupted write")]


def test_only_stale_temp_files_of_our_own_go(tmp_path: Path) -> None:
    atomic_write(tmp_path / "real.md", "kept")
    left = _killed_mid_write(tmp_path)
    mine = tmp_path / f".live.md.{left.name.split('.')[3].split('-')[0]}-{os.getpid()}.abc{TEMP_SUFFIX}"
    mine.write_text("a write of this very process, in progress")
    other_host = tmp_path / f".remote.md.00000000-1.abc{TEMP_SUFFIX}"  # a worker elsewhere: pid means nothing here
    other_host.write_text("a worker on another host")
    old_other_host = tmp_path / f".old.md.00000000-1.abc{TEMP_SUFFIX}"
    old_other_host.write_text("stale whoever wrote it")
    hour_ago = time.time() - 3600
    os.utime(old_other_host, (hour_ago, hour_ago))
    foreign = [tmp_path / ".notes.tmp", tmp_path / f"visible.md.00000000-1.abc{TEMP_SUFFIX}",
               tmp_path / ".x.md.k2j3h4l5"]  # a user's dotfile, a name without the dot, the old tempfile style
    for path in foreign:
        path.write_text("not ours")
        os.utime(path, (hour_ago, hour_ago))
    (tmp_path / f".dir.00000000-1.abc{TEMP_SUFFIX}").mkdir()
    os.utime(tmp_path / f".dir.00000000-1.abc{TEMP_SUFFIX}", (hour_ago, hour_ago))

    removed = clean_stale_temp_files(tmp_path)

    assert sorted(removed) == sorted([left, old_other_host])
    assert not left.exists() and not old_other_host.exists()
    for path in (mine, other_host, *foreign, tmp_path / f".dir.00000000-1.abc{TEMP_SUFFIX}"):
        assert path.exists(), path
    assert (tmp_path / "real.md").read_text() == "kept"
    assert clean_stale_temp_files(tmp_path / "missing") == []


def test_a_failed_write_leaves_no_temp_file(tmp_path: Path) -> None:
    with pytest.raises(UnicodeEncodeError):
        atomic_write(tmp_path / "bad.md", "lone surrogate \ud800")
    assert list(tmp_path.iterdir()) == []
