"""Fifth-session experiments (issue 18): salience, sub-step and structure rules, and a less optimistic CV.

Nothing here is shipped; it measures ideas on the three sets at once:

* ``rules``: every technique the engine reports on the dev set (shipped engine, authors' tables), the
  vendor-table stand-in (TRAM2 reports with a table, table cut out, fold model, shipped combiner) and
  the TRAM2 folds (fold model, combiner fitted on the other folds, TRAM2's label space, sub-techniques
  rolled up) is kept with its supporting sentences; candidate post-selection rules (drop a technique
  when ...) are then scored on all three sets: micro P / R / F1 on the author-table sets, per-document
  F1 on TRAM2.
* ``private``: the TRAM2 cross-validation with each fold's *private* phrases removed while that fold
  is read: phrases whose right TRAM2 hits (the document is labelled with their technique) all lie in
  that fold's documents.  Such a phrase may have been written from that fold's errors, so the
  ordinary CV credits it on the documents it was fitted to; without them the CV is a pessimistic
  bound on what the phrase rules give unseen reports.

    python bench/attack_salience.py --models DIR --cache PICKLE [--skip rules,private] [--dump JSON]

``--models``/``--cache``: the fold models and out-of-fold signals of ``bench/attack_eval.py --models
DIR --cache PICKLE`` (reused, not refitted).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pickle
import re
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import attack_eval as ae  # noqa: E402

from huntfeed.attack.build import base_engine, evaluate_methods, label_space  # noqa: E402
from huntfeed.attack.catalog import load_bundle  # noqa: E402
from huntfeed.attack.classifier import SentenceModel  # noqa: E402
from huntfeed.attack.engine import AttackEngine  # noqa: E402
from huntfeed.attack.evaluate import roll_up  # noqa: E402
from huntfeed.attack.labelled import load_labelled  # noqa: E402
from huntfeed.attack.rules import RuleMatcher, load_rules  # noqa: E402
from huntfeed.attack.specificity import support_of  # noqa: E402
from huntfeed.attack.text import sentence_ends, sentence_index, split_sentences, unwrap  # noqa: E402
from huntfeed.attack.train import (  # noqa: E402
    TrainConfig,
    combiner_rows,
    fit_combiner_weights,
    fold_of,
    out_of_fold_signals,
    training_corpus,
)

SHARED = ae.SHARED
Doc = dict[str, Any]
HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*)$", re.M)
SUMMARY = re.compile(r"\b(?:key takeaways?|summary|overview|conclusions?|executive|highlights|at a glance)\b", re.I)
CODE = re.compile(r"`|^\s*[\w.\\/:%-]+\.exe\b|^\s*(?:cmd|powershell|/bin/\w+)\b|[{};=]\s*$|^\s*[\w.]+\(", re.I | re.M)
TICKS = re.compile(r"`[^`]+`")


def _doc(engine: Any, text: str, gold: set[str], kind: str, name: str, space: set[str] | None) -> Doc:
    text = unwrap(text)  # as AttackEngine.infer reads it
    sents = split_sentences(text)
    ends = sentence_ends(sents)
    sig, _, view = engine.features(text, sents)
    techs = []
    for h in engine.infer(text).observed:
        s = sig.get(h.id) or next((sig[t] for t in sorted(sig) if t.split(".")[0] == h.id), None)
        sup = sorted(set(support_of(s, view, ends, engine.combiner.clf_floor))) if s else []
        techs.append(
            {
                "id": h.id,
                "conf": h.confidence,
                "methods": list(h.methods),
                "sup": [(sents[i].start, sents[i].end) for i in sup],
                "roll": sorted(roll_up({h.id}, space)) if space is not None else [h.id],
            }
        )
    return {"set": kind, "doc": name, "text": text, "gold": sorted(gold), "techs": techs}


def dump(cat: Any, models: Path, cache: Path) -> list[Doc]:
    """Reported techniques of the dev set, the stand-in and the TRAM2 folds, with their support."""
    shipped = dataclasses.replace(AttackEngine.load(Path(tempfile.mkdtemp())), catalog=cat)
    labelled = load_labelled(SHARED / "eval" / "ttp_train.jsonl")
    space = label_space(labelled, cat)
    docs = []
    for line in (SHARED / "eval" / "reports_dev_attack.jsonl").open():
        r = json.loads(line)
        docs.append(_doc(shipped, r["narrative_text"], set(r["expected_techniques_current"]), "dev", r["id"], None))
    signals = pickle.loads(cache.read_bytes())
    for k in range(5):
        fold = SentenceModel.load(models / f"fold{k}of5.npz")
        fold.meta["windows"], fold.meta["window_mode"] = 3, "fast"
        merged = ae._Merged(fold, shipped.model, space)
        x, y, _ = combiner_rows([s for s in signals if fold_of(s.doc.id, 5) != k], cat)
        w, b = fit_combiner_weights(x, y)
        cv = dataclasses.replace(
            shipped, model=merged, combiner=dataclasses.replace(shipped.combiner, weights=w, bias=b)
        )
        standin = dataclasses.replace(shipped, model=merged)
        for d in labelled.docs:
            if fold_of(d.id, 5) != k:
                continue
            gold = roll_up({cat.resolve(t) or t for t in d.labels}, space)
            docs.append(_doc(cv, d.text, gold, "tram", d.id, space))
            text, table = ae.strip_tables(d.text, cat)
            if 5 <= len(table) <= 80:
                docs.append(_doc(standin, text, table, "standin", d.id, None))
    return docs


def annotate(docs: list[Doc], cat: Any) -> None:
    """Per reported technique: the signals the candidate rules read."""
    fam = lambda t: t.split(".")[0]  # noqa: E731
    for d in docs:
        per_tactic: dict[str, int] = defaultdict(int)
        for t in sorted(d["techs"], key=lambda t: -t["conf"]):
            tech = cat.techniques.get(t["id"])
            tactic = tech.tactics[0] if tech is not None and tech.tactics else ""
            per_tactic[tactic] += 1
            t["tactic"], t["tactic_rank"] = tactic, per_tactic[tactic]
        heads = [(m.start(), m.group(1)) for m in HEADING.finditer(d["text"])]
        d["has_summary"] = any(SUMMARY.search(h) for _, h in heads)
        sup = {t["id"]: {tuple(x) for x in t["sup"]} for t in d["techs"]}
        conf = {t["id"]: t["conf"] for t in d["techs"]}
        for t in d["techs"]:
            mine = sup[t["id"]]
            other = [u for u in d["techs"] if fam(u["id"]) != fam(t["id"])]
            higher = [u for u in other if u["conf"] > t["conf"]]
            t["explicit"] = bool({"explicit-id", "source-mapping"} & set(t["methods"]))
            t["shadowed"] = bool(mine) and all(any(x in sup[u["id"]] for u in other) for x in mine)
            t["shadowed_higher"] = bool(mine) and all(any(x in sup[u["id"]] for u in higher) for x in mine)
            t["in_summary"] = any(SUMMARY.search(_section(heads, a)) for a, _ in t["sup"])
            t["code_only"] = bool(mine) and all(CODE.search(d["text"][a:b]) for a, b in mine)
            t["ticks_only"] = bool(mine) and all(TICKS.search(d["text"][a:b]) for a, b in mine)
            p = fam(t["id"])
            t["sub_with_parent"] = "." in t["id"] and p in conf
            t["sub_under_parent"] = t["sub_with_parent"] and conf[p] >= t["conf"]


def _section(heads: list[tuple[int, str]], offset: int) -> str:
    cur = ""
    for start, h in heads:
        if start > offset:
            break
        cur = h
    return cur


def scores(docs: list[Doc], drop: Callable[[Doc, dict[str, Any]], bool]) -> dict[str, tuple[float, ...]]:
    out = {}
    for kind in ("dev", "standin", "tram"):
        tp = n = g = 0
        f1s = []
        for d in (d for d in docs if d["set"] == kind):
            gold = set(d["gold"])
            pred = set()
            for t in d["techs"]:
                if not drop(d, t) or t["explicit"]:
                    pred |= set(t["roll"])
            k = len(gold & pred)
            tp, n, g = tp + k, n + len(pred), g + len(gold)
            f1s.append(2 * k / max(len(pred) + len(gold), 1))
        out[kind] = (tp / max(n, 1), tp / max(g, 1), 2 * tp / max(n + g, 1), sum(f1s) / max(len(f1s), 1))
    return out


CANDIDATES: dict[str, Callable[[Doc, dict[str, Any]], bool]] = {
    "none (shipped)": lambda d, t: False,
    "(b) every supporting sentence also supports another family": lambda d, t: t["shadowed"],
    "(b) ... another family reported with higher confidence": lambda d, t: t["shadowed_higher"],
    "(b) ... higher confidence, and own confidence < 0.5": lambda d, t: t["shadowed_higher"] and t["conf"] < 0.5,
    "(b) ... higher confidence, and own confidence < 0.6": lambda d, t: t["shadowed_higher"] and t["conf"] < 0.6,
    "(a) report with a summary section: outside it, confidence < 0.5": (
        lambda d, t: d["has_summary"] and not t["in_summary"] and t["conf"] < 0.5
    ),
    "(a) report with a summary section: confidence < 0.5 (no exemption)": (
        lambda d, t: d["has_summary"] and t["conf"] < 0.5
    ),
    "(a) plain cut-off, confidence < 0.5 (every report)": lambda d, t: t["conf"] < 0.5,
    "every supporting line is code or a command": lambda d, t: t["code_only"],
    "(a) every supporting sentence quotes code in backticks (a code walk-through)": lambda d, t: t["ticks_only"],
    "per-tactic budget: at most 2 techniques of a first tactic": lambda d, t: t["tactic_rank"] > 2,
    "per-tactic budget: at most 2 discovery techniques": lambda d, t: (
        t["tactic"] == "discovery" and t["tactic_rank"] > 2
    ),
    "sub-technique whose parent is reported": lambda d, t: t["sub_with_parent"],
    "sub-technique whose parent is reported with at least its confidence": lambda d, t: t["sub_under_parent"],
}


def run_rules(docs: list[Doc], cat: Any) -> None:
    annotate(docs, cat)
    print("\n### Candidate rules (drop a reported technique when ...; an id in prose is always kept)\n")
    print("| rule | dev P / R / F1 | stand-in P / R / F1 | TRAM2 folds per-doc F1 (micro P) |\n|---|---|---|---|")
    for name, drop in CANDIDATES.items():
        r = scores(docs, drop)
        dv, si, tr = r["dev"], r["standin"], r["tram"]
        print(
            f"| {name} | {dv[0]:.3f} / {dv[1]:.3f} / {dv[2]:.3f} | {si[0]:.3f} / {si[1]:.3f} / {si[2]:.3f} "
            f"| {tr[3]:.3f} ({tr[0]:.3f}) |"
        )


def private_cv(cat: Any, models: Path) -> None:
    """CV with each fold's private phrases removed while that fold is read."""
    labelled = load_labelled(SHARED / "eval" / "ttp_train.jsonl")
    cfg = TrainConfig()
    space = label_space(labelled, cat)
    engine = base_engine(cat)
    rules = load_rules()
    right: dict[str, set[str]] = defaultdict(set)
    for d in labelled.docs:
        gold = {cat.resolve(t) or t for t in d.labels}
        gold |= {t.split(".")[0] for t in gold}
        view = engine.evidence.view(split_sentences(d.text))
        ends = sentence_ends(view)
        for hit in engine.matcher.find(d.text):
            i = sentence_index(view, hit.start, ends)
            tid = cat.resolve(hit.rule.technique) or hit.rule.technique
            if i is not None and view[i].text and (tid in gold or tid.split(".")[0] in gold):
                right[f"{tid}|{hit.rule.phrase}"].add(d.id)
    private: dict[int, set[str]] = defaultdict(set)
    for key, ids in right.items():
        folds = {fold_of(i, cfg.folds) for i in ids}
        if len(folds) == 1:
            private[folds.pop()].add(key)
    calls = [0]

    def factory(model: Any) -> Any:  # called once per fold, in fold order
        k = calls[0]
        calls[0] += 1
        kept = [
            r for r in rules if r.exclude or f"{cat.resolve(r.technique) or r.technique}|{r.phrase}" not in private[k]
        ]
        return dataclasses.replace(engine, model=model, matcher=RuleMatcher(kept))

    full, raw = training_corpus(cat, labelled, cfg)
    sig = out_of_fold_signals(cat, full, raw, labelled, cfg, factory, model_cache=models)
    n = sum(len(v) for v in private.values())
    print(f"\n### TRAM2 CV without each fold's private phrases ({n} of {len(rules)} phrases are private to one fold)\n")
    print(ae.HEADER)
    for name, (sc, note) in evaluate_methods(sig, cat, cfg, space).items():  # type: ignore[arg-type]
        print(sc.row(f"{name} ({note})"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--models", type=Path, required=True, help="fold models of bench/attack_eval.py --models")
    ap.add_argument("--cache", type=Path, required=True, help="out-of-fold signals of bench/attack_eval.py --cache")
    ap.add_argument("--skip", default="", help="comma list of: rules,private")
    ap.add_argument("--dump", type=Path, help="reuse (or write) the reported techniques here")
    args = ap.parse_args()
    if not (SHARED / "eval" / "reports_dev_attack.jsonl").exists():
        print("skipped: ../shared/eval not found (set HUNTFEED_SHARED)")
        return
    skip = set(args.skip.split(","))
    cat = load_bundle(SHARED / "attack" / "enterprise-attack-18.1.json.gz")
    if "rules" not in skip:
        if args.dump and args.dump.exists():
            docs = json.loads(args.dump.read_text(encoding="utf-8"))
        else:
            docs = dump(cat, args.models, args.cache)
            if args.dump:
                args.dump.write_text(json.dumps(docs), encoding="utf-8")
        run_rules(docs, cat)
    if "private" not in skip:
        private_cv(cat, args.models)


if __name__ == "__main__":
    main()
