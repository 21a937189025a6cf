"""Real-report inputs and whole-process timing shared by bench/throughput.py and bench/ioc_peers.py.

The development set's write-ups (``../shared/eval/reports_dev.jsonl``, ``full_text``) have a median
of about 6 KB; published vendor reports are nearer 30 KB. ``real_reports`` concatenates the
write-ups, in file order, into reports of at least ``size`` characters, and repeats the whole set
``repeat`` times, each pass rotated so no two reports are the same text (a tool that memoised
whole documents would otherwise gain from the repetition). The data is read from the shared
folder at run time and never written into the repository.

``timed_process`` runs one command and returns the CPU time (user + system) and peak memory of
that process alone, read with ``os.wait4``: start, imports, loading and the work all count, and
CPU time does not depend on what else the machine runs.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path | None:
    """``$HUNTFEED_SHARED``, else ``../shared`` beside the checkout (None when absent)."""
    env = os.environ.get("HUNTFEED_SHARED")
    candidates = [Path(env)] if env else [ROOT.parent / "shared", ROOT.parent.parent / "shared"]
    return next((p for p in candidates if (p / "eval" / "reports_dev.jsonl").is_file()), None)


def dev_texts(shared: Path) -> list[str]:
    """The ``full_text`` of every development write-up, in file order."""
    rows = [json.loads(line) for line in (shared / "eval" / "reports_dev.jsonl").open(encoding="utf-8")]
    return [r["full_text"] for r in rows if isinstance(r.get("full_text"), str) and r["full_text"].strip()]


def real_reports(texts: Sequence[str], size: int = 30_000, repeat: int = 3) -> list[str]:
    """Reports of at least ``size`` characters built from whole write-ups (the last one may be shorter)."""
    out: list[str] = []
    for k in range(repeat):
        shift = (k * len(texts)) // max(repeat, 1)
        order = list(texts[shift:]) + list(texts[:shift])
        current: list[str] = []
        length = 0
        for text in order:
            if current and length + len(text) > size * 3 // 2:  # a long write-up starts a report of its own
                out.append("\n\n".join(current))
                current, length = [], 0
            current.append(text)
            length += len(text) + 2
            if length >= size:
                out.append("\n\n".join(current))
                current, length = [], 0
        if current:
            out.append("\n\n".join(current))
    return out


def write_jsonl(path: Path, reports: Sequence[str]) -> Path:
    """``{"id", "text"}`` lines, the input of ``huntfeed extract --jsonl`` and ``huntfeed analyze --jsonl``."""
    with path.open("w", encoding="utf-8") as fh:
        for i, text in enumerate(reports):
            fh.write(json.dumps({"id": f"real-{i:03d}", "text": text}, ensure_ascii=False) + "\n")
    return path


@dataclass(frozen=True, slots=True)
class Run:
    """One finished process: CPU seconds (user + system), wall seconds, peak resident set in MB."""

    cpu: float
    wall: float
    rss_mb: float
    output_bytes: int


def timed_process(cmd: Sequence[str], *, stdin: Path | None = None, cpu: int | None = None,
                  env: dict[str, str] | None = None) -> Run:
    """Run ``cmd`` to completion; its own CPU time (``os.wait4``), wall time, peak RSS, output size.

    ``cpu`` pins the process to that core (a one-core figure is one core even on a busy machine).
    """
    preexec = (lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        src = stdin.open("rb") if stdin is not None else subprocess.DEVNULL
        try:
            started = time.perf_counter()
            proc = subprocess.Popen(list(cmd), stdin=src, stdout=out, stderr=err, preexec_fn=preexec,
                                    env=None if env is None else {**os.environ, **env})
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - started
        finally:
            if stdin is not None:
                src.close()  # type: ignore[union-attr]
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            tail = err.read().decode("utf-8", "replace")[-2000:]
            raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{tail}")
        size = out.seek(0, os.SEEK_END)
    return Run(usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024, size)


def median_run(runs: Sequence[Run]) -> Run:
    """The run with the median CPU time (its wall time and memory beside it)."""
    ordered = sorted(runs, key=lambda r: r.cpu)
    return ordered[len(ordered) // 2]


def spread(runs: Sequence[Run]) -> str:
    cpus = [r.cpu for r in runs]
    return f"min {min(cpus):.2f}, max {max(cpus):.2f}, sd {statistics.pstdev(cpus):.2f}"


def huntfeed_cmd() -> list[str]:
    """The ``huntfeed`` a user runs: the console script of the checkout's ``.venv`` (``make venv``).

    The peers live in a bench environment of their own, which lacks huntfeed's dependencies: run from
    there, ``python -m huntfeed`` would find no warninglist package and time a lighter extraction than
    the installed one (46 M fewer instructions on the 63 real reports, other output). Without a
    ``.venv``, the script beside this interpreter, else the module entry point.
    """
    for script in (ROOT / ".venv" / "bin" / "huntfeed", Path(sys.executable).with_name("huntfeed")):
        if script.exists():
            return [str(script)]
    return [sys.executable, "-m", "huntfeed"]


# A peer's whole process: this file run as a script, importing only the peer (never huntfeed), so
# its start, imports and work are timed the way `huntfeed extract` is. Each document's findings
# are written out as JSON, as `huntfeed extract --jsonl` writes its own.
def _peer(name: str) -> object:
    if name == "ioc-finder":
        from ioc_finder import find_iocs

        return lambda text: find_iocs(text)
    if name == "iocsearcher":
        from iocsearcher.searcher import Searcher

        searcher = Searcher()
        return lambda text: sorted((i.name, i.value) for i in searcher.search_data(text))
    raise SystemExit(f"unknown peer {name!r}")


PEERS = ("ioc-finder", "iocsearcher")


def peer_cmd(name: str, path: Path) -> list[str]:
    """The command that runs peer ``name`` over a JSONL file (or a plain text file) in its own process."""
    return [sys.executable, str(Path(__file__).resolve()), name, str(path)]


def peer_available(name: str) -> bool:
    import importlib.util

    module = {"ioc-finder": "ioc_finder", "iocsearcher": "iocsearcher"}[name]
    return importlib.util.find_spec(module) is not None


def _peer_main(name: str, path: str) -> None:
    run = _peer(name)
    with open(path, encoding="utf-8", errors="replace") as fh:
        if not path.endswith(".jsonl"):
            sys.stdout.write(json.dumps(run(fh.read()), default=list) + "\n")  # type: ignore[operator]
            return
        for line in fh:
            doc = json.loads(line)
            found = run(doc["text"])  # type: ignore[operator]
            sys.stdout.write(json.dumps({"id": doc["id"], "found": found}, default=list) + "\n")


if __name__ == "__main__":
    _peer_main(sys.argv[1], sys.argv[2])
