"""CPU per report of ``huntfeed analyze --jsonl`` in process, median over many reports and rounds.

    python bench/per_report.py [--rounds 5] [--tree SRC ...]

The whole-process figure of ``bench/throughput.py --real`` subtracts a one-report run from a
21-report one; both move with the machine's load, so the difference (per report) moves by a
quarter between neighbouring runs. Here each round is a fresh process per tree (trees taken in
turn, round-robin, so a slow spell of the machine touches them alike): the knowledge loaded and
the heap settled as ``analyze --jsonl`` does, the first report untimed (its words fill the caches,
the warning lists load), then every other report timed alone by the process's CPU clock through the
command's own line handler (parsing, analysis, JSON written to /dev/null). The median of all those
reports and rounds is printed per tree, with the load average before and after.

A tree is a ``src`` folder (this checkout's by default; a ``git archive`` of another commit for a
before/after pair), put first on the child's ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _child(path: Path) -> None:
    """One round in this process: print the CPU seconds of each report after the first, as JSON."""
    from huntfeed.cli import analyze_cmds
    from huntfeed.pipeline import Knowledge, settle_heap

    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kb = Knowledge.load()
    settle_heap()
    real, sink = sys.stdout, open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the whole round
    times = []
    try:
        for k, line in enumerate(lines):
            sys.stdout = sink
            started = time.process_time()
            analyze_cmds._jsonl(io.StringIO(line), kb, ())
            if k:
                times.append(time.process_time() - started)
    finally:
        sys.stdout = real
    print(json.dumps({"tree": __import__("huntfeed").__file__, "seconds": times}))


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def per_report(trees: list[Path], rounds: int, docs: Path, cpu: int | None) -> dict[Path, list[float]]:
    """Every timed report's CPU seconds per tree, the trees run in turn each round."""
    out: dict[Path, list[float]] = {t: [] for t in trees}
    preexec = (lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None
    for _ in range(rounds):
        for tree in trees:
            env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tree), str(ROOT)]), "OMP_NUM_THREADS": "1",
                   "OPENBLAS_NUM_THREADS": "1"}
            done = subprocess.run([sys.executable, __file__, "--child", str(docs)], env=env, capture_output=True,
                                  text=True, check=True, preexec_fn=preexec)
            row = json.loads(done.stdout.strip().splitlines()[-1])
            if not row["tree"].startswith(str(tree.resolve())):
                raise RuntimeError(f"{tree}: the child imported huntfeed from {row['tree']}")
            out[tree] += row["seconds"]
    return out


def main() -> None:
    sys.path[:0] = [str(ROOT / "bench")]
    import real_reports as rr

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="fresh processes per tree")
    parser.add_argument("--tree", type=Path, action="append", help="a src folder (repeatable; default: this one)")
    parser.add_argument("--size", type=int, default=30_000, help="characters per report (at least)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child)
        return
    shared = rr.shared_dir()
    if shared is None:
        print("skipped: ../shared/eval/reports_dev.jsonl not found (set HUNTFEED_SHARED)")
        return
    trees = [t.resolve() for t in (args.tree or [ROOT / "src"])]
    reports = rr.real_reports(rr.dev_texts(shared), args.size, 1)
    kb = sum(len(r.encode("utf-8")) for r in reports) / len(reports) / 1000
    core = min(os.sched_getaffinity(0))
    import tempfile

    with tempfile.TemporaryDirectory(prefix="huntfeed-per-report-") as tmp:
        docs = rr.write_jsonl(Path(tmp) / "all.jsonl", reports)
        before = load()
        got = per_report(trees, args.rounds, docs, core)
    print(f"analysis CPU per report in process, {len(reports)} reports of {kb:.1f} KB on average, the first "
          f"untimed; {args.rounds} rounds, trees in turn, pinned to core {core}; load average {before} -> {load()}")
    for tree, secs in got.items():
        med = statistics.median(secs)
        q = statistics.quantiles(secs, n=4)
        print(f"  {tree}: median {med * 1000:.1f} ms = {1 / med:.1f} reports/s ({kb / med:.0f} KB/s; quartiles "
              f"{q[0] * 1000:.1f} / {q[2] * 1000:.1f} ms; {len(secs)} timed reports; target <= 66.7 ms, 15/s)")
    first = got[trees[0]]
    for tree in trees[1:]:
        # The same report in the same round on both trees: the report mix and most of a round's spell cancel.
        ratios = [b / a for a, b in zip(first, got[tree], strict=True) if a > 0]
        print(f"  {tree} / {trees[0]}: median ratio per report {statistics.median(ratios):.3f} "
              f"(quartiles {' / '.join(f'{v:.3f}' for v in statistics.quantiles(ratios, n=4)[::2])})")


if __name__ == "__main__":
    main()
