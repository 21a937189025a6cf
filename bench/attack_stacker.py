"""Sixth-session experiment (issue 18): a learned "listed by the author" stacker over reported techniques.

Not shipped; it measures whether several features of a reported technique at once separate what authors
list better than the engine's confidence.  Reads the dump of ``bench/attack_salience.py --dump JSON``
(the dev set, the vendor-table stand-in and the TRAM2 folds with each reported technique's support).

Features: confidence, number of supporting sentences (log), their spread and first position in the
report, support in the first tenth, shadowed by a higher-confidence technique of another family,
sub-technique, explicit id, classifier only, first tactic (one-hot), and (unless ``--no-rate``) the
technique's listing rate on the stand-in, shrunk to the base rate.  A logistic model is fitted on the
stand-in's reported techniques, out-of-fold by report (4 folds, the listing rate out-of-fold too);
the model fitted on all 44 stand-in reports scores the dev set and the TRAM2 folds.  Rules drop a
technique when the stacker's probability is below t and its confidence below c (an id in prose is kept).

    python bench/attack_stacker.py --dump JSON [--no-rate]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import attack_salience as sal  # noqa: E402

from huntfeed.attack.catalog import load_bundle  # noqa: E402

TACTICS = ("discovery", "defense-evasion", "execution", "persistence", "command-and-control", "collection",
           "credential-access", "initial-access", "impact", "exfiltration", "lateral-movement",
           "privilege-escalation")
BASE = 0.35  # shrinkage target of the listing rate: about the stand-in's precision
Doc = dict[str, Any]


def features(d: Doc, t: dict[str, Any], rate: dict[str, float] | None) -> list[float]:
    n = max(len(d["text"]), 1)
    pos = [a / n for a, _ in t["sup"]] or [1.0]
    head = max(600, n // 10)
    f = [t["conf"], float(np.log1p(len(t["sup"]))), max(pos) - min(pos), min(pos),
         float(any(a < head for a, _ in t["sup"])), float(t["shadowed_higher"]), float("." in t["id"]),
         float(t["explicit"]), (rate or {}).get(t["id"], BASE),
         float("classifier" in t["methods"] and "phrase-rule" not in t["methods"])]
    return f + [float(t["tactic"] == x) for x in TACTICS]


def rates(docs: list[Doc]) -> dict[str, float]:
    right: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for d in docs:
        for t in d["techs"]:
            seen[t["id"]] += 1
            right[t["id"]] += t["id"] in d["gold"]
    return {k: (right[k] + 3 * BASE) / (seen[k] + 3) for k in seen}


def fit(docs: list[Doc], rate: dict[str, float] | None) -> LogisticRegression:
    x = [features(d, t, rate) for d in docs for t in d["techs"]]
    y = [t["id"] in d["gold"] for d in docs for t in d["techs"]]
    return LogisticRegression(C=1.0, max_iter=2000).fit(np.array(x), np.array(y))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dump", type=Path, required=True, help="bench/attack_salience.py --dump output")
    ap.add_argument("--no-rate", action="store_true", help="leave the per-technique listing rate out")
    args = ap.parse_args()
    cat = load_bundle(sal.SHARED / "attack" / "enterprise-attack-18.1.json.gz")
    docs = json.loads(args.dump.read_text(encoding="utf-8"))
    sal.annotate(docs, cat)
    standin = [d for d in docs if d["set"] == "standin"]
    for k in range(4):
        train = [d for i, d in enumerate(standin) if i % 4 != k]
        rate = None if args.no_rate else rates(train)
        model = fit(train, rate)
        for d in standin[k::4]:
            for t in d["techs"]:
                t["p"] = float(model.predict_proba(np.array([features(d, t, rate)]))[0, 1])
    rate = None if args.no_rate else rates(standin)
    model = fit(standin, rate)
    print("weights (first ten features):", np.round(model.coef_[0][:10], 2).tolist())
    for d in docs:
        if d["set"] != "standin":
            for t in d["techs"]:
                t["p"] = float(model.predict_proba(np.array([features(d, t, rate)]))[0, 1])
    print("\n| set | AUC stacker | AUC confidence |\n|---|---|---|")
    for kind in ("standin", "dev", "tram"):
        rows = [(d, t) for d in docs if d["set"] == kind for t in d["techs"]]
        y = [bool(set(t["roll"]) & set(d["gold"])) if kind == "tram" else t["id"] in d["gold"] for d, t in rows]
        auc_p = roc_auc_score(y, [t["p"] for _, t in rows])
        auc_c = roc_auc_score(y, [t["conf"] for _, t in rows])
        print(f"| {kind} | {auc_p:.3f} | {auc_c:.3f} |")
    print("\n| drop when | dev P / R / F1 | stand-in P / R / F1 | TRAM2 folds per-doc F1 (micro P) |\n|---|---|---|---|")
    for cmax in (0.5, 0.6, 1.01):
        for thr in (0.0, 0.2, 0.25, 0.3):
            r = sal.scores(docs, lambda d, t, thr=thr, cmax=cmax: t["p"] < thr and t["conf"] < cmax)
            dv, si, tr = r["dev"], r["standin"], r["tram"]
            print(f"| p < {thr}, confidence < {cmax} | {dv[0]:.3f} / {dv[1]:.3f} / {dv[2]:.3f} "
                  f"| {si[0]:.3f} / {si[1]:.3f} / {si[2]:.3f} | {tr[3]:.3f} ({tr[0]:.3f}) |")


if __name__ == "__main__":
    main()
