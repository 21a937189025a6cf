"""huntfeed extract on real third-party reports, scored the way the project is judged.

Runs `huntfeed extract - --jsonl` (the command a user runs; high-fidelity output only) on the
`full_text` of every row of ../shared/eval/reports_dev.jsonl, writes the predictions in the
shape the shared scorer reads, and scores them with ../shared/eval/score_iocs.py --e2e: once on
all rows, then once per publisher (the same scorer on that publisher's rows), and prints both.

    python bench/ioc_real.py                 # tables
    python bench/ioc_real.py --errors        # also every false positive / negative, per report
    python bench/ioc_real.py --cases other.jsonl   # any file with the reports_dev.jsonl fields

Skips with a message when ../shared (or $HUNTFEED_SHARED) is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _shared() -> Path:
    env = os.environ.get("HUNTFEED_SHARED")
    if env:
        return Path(env)
    return next(
        (p for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared") if p.is_dir()), ROOT.parent / "shared"
    )


def predict(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """One `huntfeed extract --jsonl` run over every row; {"id", "iocs": {type: [values]}} per row."""
    docs = "".join(json.dumps({"id": r["id"], "text": r["full_text"]}) + "\n" for r in rows)
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(
        [sys.executable, "-m", "huntfeed", "extract", "-", "--jsonl"],
        input=docs, capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    if proc.returncode:
        sys.exit(f"huntfeed extract failed ({proc.returncode}):\n{proc.stderr}")
    out = []
    for line in proc.stdout.splitlines():
        doc = json.loads(line)
        iocs: dict[str, list[str]] = defaultdict(list)
        for ind in doc["indicators"]:
            iocs[ind["type"]].append(ind["value"])
        out.append({"id": doc["id"], "iocs": iocs})
    return out


def score(scorer: Path, rows: list[dict[str, object]], preds: list[dict[str, object]], tmp: Path) -> str:
    """The shared scorer's table for these rows (its own output, unchanged)."""
    ids = {r["id"] for r in rows}
    cases, pred = tmp / "cases.jsonl", tmp / "pred.jsonl"
    cases.write_text("".join(json.dumps(r) + "\n" for r in rows))
    pred.write_text("".join(json.dumps(p) + "\n" for p in preds if p["id"] in ids))
    proc = subprocess.run(
        [sys.executable, str(scorer), str(cases), str(pred), "--e2e"], capture_output=True, text=True, check=True
    )
    return proc.stdout


def _micro(table: str) -> str:
    return table.strip().splitlines()[-1]


def _type_f1(table: str) -> dict[str, float]:
    out = {}
    for line in table.strip().splitlines()[1:-1]:
        parts = line.split()
        if len(parts) == 7:
            out[parts[0]] = float(parts[6])
    return out


def errors(rows: list[dict[str, object]], preds: list[dict[str, object]]) -> None:
    """Per report, what the scorer would count wrong (same neutral rules as --e2e)."""
    by_id = {p["id"]: p["iocs"] for p in preds}
    for r in rows:
        exp = {t: {v.lower() for v in vs} for t, vs in r["expected_iocs"].items()}  # type: ignore[attr-defined]
        neu = {t: {v.lower() for v in vs} for t, vs in (r.get("iocs_outside_ioc_section") or {}).items()}  # type: ignore[attr-defined]
        urls = exp.get("url", set()) | neu.get("url", set())
        hosts = {u.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] for u in urls}
        got = {t: {v.lower() for v in vs} for t, vs in by_id.get(r["id"], {}).items()}  # type: ignore[attr-defined]
        lines = []
        for t in sorted(set(exp) | set(got)):
            if t not in exp and t not in ("ipv4", "ipv6", "domain", "url", "email", "md5", "sha1", "sha256"):
                continue
            g = got.get(t, set())
            gs = g | {x.split("://", 1)[1] for x in g if "://" in x} if t == "url" else g
            skip = neu.get(t, set()) | (hosts if t in ("domain", "ipv4") else set())
            fp = {x for x in g - exp.get(t, set()) - skip if x.split("://", 1)[-1] not in exp.get(t, set()) | skip}
            fn = exp.get(t, set()) - gs
            lines += [f"  FP {t:7} {v}" for v in sorted(fp)] + [f"  FN {t:7} {v}" for v in sorted(fn)]
        if lines:
            print(r["id"], *lines, sep="\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=Path, default=None, help="reports file (default: shared reports_dev.jsonl)")
    ap.add_argument("--errors", action="store_true", help="list every false positive / negative")
    args = ap.parse_args()
    shared = _shared()
    cases_path = args.cases or shared / "eval" / "reports_dev.jsonl"
    scorer = shared / "eval" / "score_iocs.py"
    if not cases_path.is_file() or not scorer.is_file():
        print(f"skipped: {cases_path} or {scorer} not found (set HUNTFEED_SHARED)")
        return
    rows = [json.loads(line) for line in cases_path.open(encoding="utf-8") if line.strip()]
    preds = predict(rows)
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        total = score(scorer, rows, preds, tmp)
        print(f"## all {len(rows)} reports: {scorer.name} --e2e\n{total}")
        groups: dict[str, list[dict[str, object]]] = defaultdict(list)
        for r in rows:
            groups[str(r.get("publisher") or str(r["id"]).split(":", 1)[0])].append(r)
        print(f"{'publisher':44} {'rows':>4}  micro (per-type F1 below 0.90)")
        for pub, sub in sorted(groups.items()):
            table = score(scorer, sub, preds, tmp)
            weak = ", ".join(f"{t} {f:.2f}" for t, f in _type_f1(table).items() if f < 0.9)
            print(f"{pub[:44]:44} {len(sub):4}  {_micro(table)}  {weak}")
    if args.errors:
        print()
        errors(rows, preds)


if __name__ == "__main__":
    main()
