"""Every miss and every false positive of the dev set, with what the engine saw for it.

For each of the 14 narratives of ``reports_dev_attack.jsonl`` (shipped engine, authors' tables, exact
ids as ``score_ttps.py --set e2e``) this prints, per listed id the engine did not report, the signals
it had (combiner confidence, phrase hits, best classifier margin and its sentence, a relative that was
reported instead), and per reported id the authors did not list, its confidence, methods and first
evidence sentence.  A first cause is assigned mechanically where the signals decide it (a relative
reported instead, a candidate below the floor, an id only in a list); the rest ("no signal") need a
reading of the text, which docs/attack.md records.

    python bench/attack_misses.py [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from attack_eval import SHARED  # noqa: E402

from huntfeed.attack.engine import AttackEngine  # noqa: E402
from huntfeed.attack.text import split_sentences, unwrap  # noqa: E402


def _relative(tid: str, ids: set[str]) -> str | None:
    """A reported id of the same family (parent, sub-technique or sibling), if any."""
    fam = tid.split(".")[0]
    rel = sorted(t for t in ids if t != tid and t.split(".")[0] == fam)
    return rel[0] if rel else None


def _miss_cause(tid: str, reported: set[str], prob: float | None, sig: object, floor: float) -> str:
    if _relative(tid, reported):
        return "a relative reported instead"
    if sig is None:
        return "no signal"
    if sig.explicit and not sig.rule_spans and not (sig.clf and sig.clf[0][0] > 0):  # type: ignore[attr-defined]
        return "listed id not confirmed"
    if prob is not None and prob >= 0.1:
        return "candidate below selection"
    if sig.rule_spans:  # type: ignore[attr-defined]
        return "phrase hit, low confidence"
    return "no phrase, classifier margin only"


def analyse(engine: AttackEngine) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    floor = engine.combiner.clf_floor
    for line in (SHARED / "eval" / "reports_dev_attack.jsonl").open():
        r = json.loads(line)
        gold = set(r["expected_techniques_current"])
        text = unwrap(r["narrative_text"])
        inf = engine.infer(r["narrative_text"])
        hits = {h.id: h for h in inf.observed}
        sentences = split_sentences(text)
        sig, table, view = engine.features(text, sentences)
        probs = {t: engine.combiner.confidence(t, f) for t, f in table.items()}
        for tid in sorted(gold - hits.keys()):
            s = sig.get(tid)
            best = s.clf[0] if s and s.clf else None
            out.append({
                "doc": r["id"], "id": tid, "kind": "miss",
                "cause": _miss_cause(tid, set(hits), probs.get(tid), s, floor),
                "relative": _relative(tid, set(hits)),
                "conf": round(probs.get(tid, 0.0), 3),
                "phrases": sorted({text[a:b] for a, b, _ in s.rule_spans}) if s else [],
                "clf": round(best[0], 2) if best else None,
                "clf_sentence": view[best[1]].text[:200] if best else "",
            })
        for tid in sorted(hits.keys() - gold):
            h = hits[tid]
            out.append({
                "doc": r["id"], "id": tid, "kind": "fp",
                "cause": "a relative of a listed id" if _relative(tid, gold) else "",
                "relative": _relative(tid, gold), "conf": h.confidence, "methods": list(h.methods),
                "evidence": [e.text[:220] for e in h.evidence],
            })
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--json", type=Path, help="write every miss and false positive here")
    args = ap.parse_args()
    engine = AttackEngine.load(Path(tempfile.mkdtemp()))
    data = analyse(engine)
    for row in data:
        print(json.dumps(row))
    for kind in ("miss", "fp"):
        c = Counter(str(r["cause"]) or "(read the text)" for r in data if r["kind"] == kind)
        print(f"\n{kind}: {sum(c.values())}; " + ", ".join(f"{k} {n}" for k, n in c.most_common()))
    if args.json:
        args.json.write_text(json.dumps(data, indent=1))


if __name__ == "__main__":
    main()
