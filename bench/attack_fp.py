"""Where the false positives come from: the dev set of real reports and the TRAM2 folds, as classes.

Every technique the engine reports is counted as right or wrong and sorted by the method behind it
(explicit id, source mapping, phrase and classifier, a phrase alone at confidence 0.6 or more (a
strong phrase or a confident combination), a phrase alone below, the classifier alone), by its
confidence band and by the kind of its first evidence sentence (wording classes the evidence filter
lets through: modal / hypothetical, third party, background about the family, negation, a list,
a command or code line, an outline line, plain narrative).

* Dev: the 14 narratives of ``reports_dev_attack.jsonl`` through the shipped engine, against the
  authors' tables (exact ids, as ``score_ttps.py --set e2e``).
* TRAM2: each of the 120 train reports read by the fold model that never saw it (TRAM2's label space;
  the shipped model for other techniques) through a combiner fitted on the other folds' out-of-fold
  rows, scored inside TRAM2's label space (sub-techniques rolled up), as the cross-validation does.
  Needs the fold models that ``bench/attack_eval.py --models DIR --cache PICKLE`` leaves behind.

    python bench/attack_fp.py --models DIR --cache PICKLE [--json OUT]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pickle
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from attack_eval import SHARED, _Merged  # noqa: E402

from huntfeed.attack.build import label_space  # noqa: E402
from huntfeed.attack.catalog import load_bundle  # noqa: E402
from huntfeed.attack.classifier import SentenceModel  # noqa: E402
from huntfeed.attack.combine import Combiner  # noqa: E402
from huntfeed.attack.engine import AttackEngine  # noqa: E402
from huntfeed.attack.evaluate import roll_up  # noqa: E402
from huntfeed.attack.labelled import load_labelled  # noqa: E402
from huntfeed.attack.train import combiner_rows, fit_combiner_weights, fold_of  # noqa: E402
from huntfeed.model import TechniqueHit  # noqa: E402

# Wording of the first evidence sentence, first match wins (these sentences passed the evidence filter).
KINDS = (
    ("outline line", r"^\s*(?:#{1,6}\s|\||[-+\u2022]\s|\*\s|\d{1,3}[.)]\s)"),
    ("command or code", r"(?:^\s*[\w.\\/:%-]+\.exe\b|^\s*(?:cmd|powershell|/bin/\w+)\b|[{};=]\s*$|^\s*[\w.]+\(|`)"),
    ("negation", r"\b(?:not|no|never|without|unlike|neither|nor)\b"),
    ("modal / hypothetical", r"\b(?:could|might|may|can|would|should|if|possibl\w*|potential\w*|likely)\b"),
    ("third party", r"\b(?:researchers?|reported|reports?|vendors?|according|published|documented|other)\b"),
    ("background about the family", r"\b(?:typically|usually|often|commonly|generally|known for|families|variants?|versions?|previous(?:ly)?|historically)\b"),
    ("list", r"(?:,[^,]*){4,}"),
)
BANDS = ((0.85, ">= 0.85"), (0.6, "0.60-0.85"), (0.45, "0.45-0.60"), (0.0, "< 0.45"))


def kind(text: str) -> str:
    for name, rx in KINDS:
        if re.search(rx, text, re.IGNORECASE):
            return name
    return "plain narrative"


def band(conf: float) -> str:
    return next(name for lo, name in BANDS if conf >= lo)


def method(h: TechniqueHit) -> str:
    m = set(h.methods)
    if "source-mapping" in m:
        return "source mapping"
    if "explicit-id" in m:
        return "explicit id"
    if "phrase-rule" in m and "classifier" in m:
        return "phrase + classifier"
    if "phrase-rule" in m:
        return "phrase alone, conf >= 0.6" if h.confidence >= 0.6 else "phrase alone, conf < 0.6"
    return "classifier alone"


def rows(engine: AttackEngine, text: str, gold: set[str], space: set[str] | None, doc: str) -> Iterable[dict[str, object]]:
    for h in engine.infer(text).observed:
        ids = roll_up({h.id}, space) if space is not None else {h.id}
        if not ids:
            continue  # outside TRAM2's label space: not scored there
        ev = h.evidence[0].text if h.evidence else ""
        yield {"doc": doc, "id": h.id, "right": bool(ids & gold), "conf": h.confidence, "method": method(h),
               "band": band(h.confidence), "kind": kind(ev) if ev else "none", "evidence": ev[:160]}


def dev_rows(engine: AttackEngine) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for line in (SHARED / "eval" / "reports_dev_attack.jsonl").open():
        r = json.loads(line)
        out += rows(engine, r["narrative_text"], set(r["expected_techniques_current"]), None, r["id"])
    return out


def tram_rows(engine: AttackEngine, cat: object, models: Path, cache: Path) -> list[dict[str, object]]:
    labelled = load_labelled(SHARED / "eval" / "ttp_train.jsonl")
    space = label_space(labelled, cat)  # type: ignore[arg-type]
    signals = pickle.loads(cache.read_bytes())
    out: list[dict[str, object]] = []
    for k in range(5):
        x, y, _ = combiner_rows([s for s in signals if fold_of(s.doc.id, 5) != k], cat)  # type: ignore[arg-type]
        w, b = fit_combiner_weights(x, y)
        comb = dataclasses.replace(engine.combiner, weights=w, bias=b)  # the shipped floor and selection
        fold = SentenceModel.load(models / f"fold{k}of5.npz")
        fold.meta["windows"], fold.meta["window_mode"] = 3, "fast"
        eng = dataclasses.replace(engine, catalog=cat, model=_Merged(fold, engine.model, space), combiner=comb)  # type: ignore[arg-type]
        for d in labelled.docs:
            if fold_of(d.id, 5) == k:
                gold = roll_up({cat.resolve(t) or t for t in d.labels}, space)  # type: ignore[attr-defined]
                out += rows(eng, d.text, gold, space, d.id)
    return out


def table(title: str, data: list[dict[str, object]], key: str) -> None:
    c = Counter((str(r[key]), bool(r["right"])) for r in data)
    names = sorted({k for k, _ in c}, key=lambda k: -c[(k, False)])
    print(f"\n{title} by {key}\n\n| {key} | false positives | right | precision |\n|---|---|---|---|")
    for n in names:
        fp, tp = c[(n, False)], c[(n, True)]
        print(f"| {n} | {fp} | {tp} | {tp / max(1, fp + tp):.2f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--models", type=Path, required=True, help="fold models from bench/attack_eval.py --models")
    ap.add_argument("--cache", type=Path, required=True, help="out-of-fold signals from bench/attack_eval.py --cache")
    ap.add_argument("--json", type=Path, help="write every reported technique with its class here")
    args = ap.parse_args()
    if not (SHARED / "eval" / "reports_dev_attack.jsonl").exists():
        print("skipped: ../shared/eval not found (set HUNTFEED_SHARED)")
        return
    cat = load_bundle(SHARED / "attack" / "enterprise-attack-18.1.json.gz")
    engine = AttackEngine.load(Path(tempfile.mkdtemp()))
    assert isinstance(engine.combiner, Combiner)
    sets = {"Dev set (14 real reports, authors' tables)": dev_rows(engine),
            "TRAM2 folds (120 reports, label space)": tram_rows(engine, cat, args.models, args.cache)}
    for title, data in sets.items():
        right = sum(bool(r["right"]) for r in data)
        print(f"\n### {title}: {len(data)} reported, {right} right, {len(data) - right} false positives, "
              f"precision {right / max(1, len(data)):.3f}")
        for key in ("method", "band", "kind"):
            table(title, data, key)
        fp = Counter(str(r["id"]) for r in data if not r["right"])
        print("\nmost false positives: " + ", ".join(f"{t} {n}" for t, n in fp.most_common(10)))
    if args.json:
        args.json.write_text(json.dumps(sets, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
