"""Listing rules measured on all three sets at once: dev, the vendor-table stand-in and the TRAM2 folds.

A listing rule decides, after the combiner, whether a reported technique stays reported, from what
the combiner saw (technique, confidence, features, the document's sentence count).  Each rule in
RULES is scored on the dev set (the shipped engine), the stand-in (fold models, shipped combiner)
and the TRAM2 out-of-fold signals at the shipped setting, so that a rule tuned to one set shows its
cost on the others (issue 18, eighth session; docs/attack.md).

    python bench/attack_listing.py --models DIR --cache PICKLE

DIR and PICKLE are the fold models and out-of-fold signals `bench/attack_eval.py --models DIR
--cache PICKLE` leaves behind.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import pickle
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import attack_eval as ae  # noqa: E402

from huntfeed.attack.build import golds, label_space  # noqa: E402
from huntfeed.attack.catalog import load_bundle  # noqa: E402
from huntfeed.attack.classifier import SentenceModel  # noqa: E402
from huntfeed.attack.engine import AttackEngine  # noqa: E402
from huntfeed.attack.evaluate import oof_probabilities, roll_up, score  # noqa: E402
from huntfeed.attack.labelled import load_labelled  # noqa: E402
from huntfeed.attack.text import split_sentences, unwrap  # noqa: E402
from huntfeed.attack.train import TrainConfig, fold_of  # noqa: E402

Rule = Callable[[str, float, list[float], int], bool]  # keep the technique?
OVER = {"T1106", "T1140", "T1105", "T1082", "T1083", "T1057", "T1016", "T1033"}  # over-reported on dev


def _one_weak(f: list[float]) -> bool:
    """One phrase sentence, no strong phrase or id, no positive classifier sentence."""
    return f[0] < 0.75 and round(math.expm1(f[1])) <= 1 and f[7] == 0


RULES: dict[str, Rule] = {"as shipped": lambda t, p, f, n: True}
for _x in (0.6, 0.8, 0.9):
    RULES[f"T1106/T1140/T1105/discovery only at confidence >= {_x}"] = lambda t, p, f, n, x=_x: t not in OVER or p >= x
for _y in (0.45, 0.55):
    RULES[f"classifier-only techniques at confidence >= {_y}"] = (
        lambda t, p, f, n, y=_y: not (f[0] == 0 and f[1] == 0) or p >= y)
for _n in (150, 200, 300):
    RULES[f"one weak sentence in a report of > {_n} sentences: dropped"] = (
        lambda t, p, f, n, m=_n: not (n > m and _one_weak(f)))
    RULES[f"the same, T1106/T1140/T1105/discovery only, > {_n}"] = (
        lambda t, p, f, n, m=_n: not (n > m and t in OVER and _one_weak(f)))


def reported_rows(models: Path) -> list[dict[str, object]]:
    """(set, doc, technique, confidence, features, sentences, right) of what the engine reports."""
    cat = load_bundle(ae.SHARED / "attack" / "enterprise-attack-18.1.json.gz")
    shipped = AttackEngine.load(Path(tempfile.mkdtemp()))
    rows: list[dict[str, object]] = []

    def run(engine: AttackEngine, name: str, text: str, gold: set[str]) -> None:
        t = unwrap(text)
        sents = split_sentences(t)
        _, table, _ = engine.features(t, sents)
        for h in engine.infer(text).observed:
            rows.append({"set": name, "tid": h.id, "conf": h.confidence, "feats": table.get(h.id),
                         "n": len(sents), "right": h.id in gold})
        rows.append({"set": name, "tid": None, "gold": len(gold)})

    for line in (ae.SHARED / "eval" / "reports_dev_attack.jsonl").open():
        r = json.loads(line)
        run(shipped, "dev", r["narrative_text"], set(r["expected_techniques_current"]))
    labelled = load_labelled(ae.SHARED / "eval" / "ttp_train.jsonl")
    cfg, space = TrainConfig(folds=5), label_space(labelled, cat)
    for doc in labelled.docs:
        text, gold = ae.strip_tables(doc.text, cat)
        if not 5 <= len(gold) <= 80:
            continue
        fold = SentenceModel.load(models / f"fold{fold_of(doc.id, 5)}of5.npz")
        fold.meta["windows"], fold.meta["window_mode"] = cfg.windows, cfg.window_mode
        engine = dataclasses.replace(shipped, catalog=cat, model=ae._Merged(fold, shipped.model, space))
        run(engine, "stand-in", text, gold)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--models", type=Path, required=True)
    ap.add_argument("--cache", type=Path, required=True)
    args = ap.parse_args()
    rows = reported_rows(args.models)
    cat = load_bundle(ae.SHARED / "attack" / "enterprise-attack-18.1.json.gz")
    space = label_space(load_labelled(ae.SHARED / "eval" / "ttp_train.jsonl"), cat)
    sig = pickle.loads(args.cache.read_bytes())
    gold = [roll_up(g, space) for g in golds(sig, cat)]
    probs = oof_probabilities(sig, cat, 5)
    print("| listing rule | dev P / R / F1 | stand-in P / R / F1 | TRAM2 CV per-doc F1 (P, R), floor 0.35 |")
    print("|---|---|---|---|")
    for name, keep in RULES.items():
        cells = []
        for s in ("dev", "stand-in"):
            kept = [r for r in rows if r["set"] == s and r["tid"] and keep(r["tid"], r["conf"], r["feats"], r["n"])]  # type: ignore[arg-type]
            n_gold = sum(int(r["gold"]) for r in rows if r["set"] == s and not r["tid"])  # type: ignore[call-overload]
            tp = sum(bool(r["right"]) for r in kept)
            cells.append(f"{tp / max(len(kept), 1):.3f} / {tp / n_gold:.3f} / {2 * tp / (len(kept) + n_gold):.3f}")
        preds = [roll_up({t for t, p in pr.items() if p >= 0.35 and keep(t, p, d.feats[t], d.n_sentences)}, space)
                 for pr, d in zip(probs, sig, strict=True)]
        sc = score(gold, preds)
        print(f"| {name} | {cells[0]} | {cells[1]} | {sc.per_doc_f1:.3f} ({sc.precision:.3f}, {sc.recall:.3f}) |")


if __name__ == "__main__":
    main()
