"""Score huntfeed's extractor on ../shared/eval/ioc_cases.jsonl and list its mistakes."""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

from huntfeed.extract import extract
from huntfeed.extract.evaluate import CORE_TYPES, load_cases, score

ROOT = Path(__file__).resolve().parents[1]
# ../shared beside the clone; a git worktree under <main>/../wt/<name> finds it one level up.
SHARED = next(
    (p for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared") if p.is_dir()), ROOT.parent / "shared"
)


def predict(text: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for ind in extract(text, all=True):
        out[ind.type.value].add(ind.value)
    return out


def main() -> None:
    cases = load_cases(SHARED / "eval" / "ioc_cases.jsonl")
    result = score(cases, predict)
    for t in CORE_TYPES:
        c = result.per_type[t]
        print(f"{t:8} P={c.precision:.3f} R={c.recall:.3f} F1={c.f1:.3f} tp={c.tp} fp={c.fp} fn={c.fn}")
    m = result.micro
    print(f"micro    P={m.precision:.4f} R={m.recall:.4f} F1={m.f1:.4f}")
    if "-v" in sys.argv:
        for err in result.errors:
            print(*err, sep="\t")


if __name__ == "__main__":
    main()
