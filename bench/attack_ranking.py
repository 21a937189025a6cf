"""Experiments on what an author lists: ranking signals and a nearest-neighbour method (not shipped).

Measures, on two sets scored against authors' own ATT&CK tables (the TRAM2 reports with a table,
read by the fold model that never saw them, table cut out: the "vendor-table stand-in" of
bench/attack_eval.py; and the 14 dev reports, `narrative_text` read by the shipped model):

* ``salience``: how well each candidate signal separates listed from unlisted techniques among
  the reported ones (AUC), fitted nowhere;
* ``budget``: precision and F1 of the top k reported techniques per report;
* ``family``: rules for parent/sub-technique pairs (collapse, add the parent, drop one of them);
* ``rerank``: a logistic "listed" model over salience signals fitted on the stand-in, applied to
  the dev set (global cut-offs);
* ``knn``: nearest neighbours over ATT&CK's procedure examples (TF-IDF word 1-2-grams, top k
  neighbours per evidence sentence, votes by cosine) as two extra combiner features, with the
  TRAM2 cross-validation rerun and the refitted combiner applied to both sets.

    python bench/attack_ranking.py --models DIR [--cache PICKLE] [--skip knn]

``--models`` is the fold-model folder of ``bench/attack_eval.py --models DIR`` (reused, not
refitted); ``--cache`` the out-of-fold signal pickle of ``bench/attack_eval.py --cache``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import pickle
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import attack_eval as ae  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from huntfeed.attack.build import collect_oof, golds, label_space  # noqa: E402
from huntfeed.attack.catalog import load_bundle  # noqa: E402
from huntfeed.attack.classifier import SentenceModel  # noqa: E402
from huntfeed.attack.combine import Combiner, empty_features  # noqa: E402
from huntfeed.attack.engine import AttackEngine  # noqa: E402
from huntfeed.attack.evaluate import roll_up, tune_floor  # noqa: E402
from huntfeed.attack.labelled import load_labelled  # noqa: E402
from huntfeed.attack.specificity import support_of  # noqa: E402
from huntfeed.attack.text import sentence_ends, sentence_index, split_sentences  # noqa: E402
from huntfeed.attack.train import TrainConfig, fold_of  # noqa: E402

SHARED = ae.SHARED
Row = dict[str, Any]


def documents(cat: Any, labelled: Any, models: Path) -> list[tuple[str, str, set[str], AttackEngine]]:
    """(set, text, author table, engine) for the stand-in and the dev reports."""
    cfg = TrainConfig()
    space = label_space(labelled, cat)
    shipped = dataclasses.replace(AttackEngine.load(Path(tempfile.mkdtemp())), catalog=cat)
    folds: dict[int, Any] = {}
    out = []
    for doc in labelled.docs:
        text, gold = ae.strip_tables(doc.text, cat)
        if not 5 <= len(gold) <= 80:
            continue
        k = fold_of(doc.id, cfg.folds)
        if k not in folds:
            f = SentenceModel.load(models / f"fold{k}of{cfg.folds}.npz")
            f.meta["windows"], f.meta["window_mode"] = cfg.windows, cfg.window_mode
            folds[k] = dataclasses.replace(shipped, model=ae._Merged(f, shipped.model, space))
        out.append(("stand-in", text, gold, folds[k]))
    for line in (SHARED / "eval" / "reports_dev_attack.jsonl").open():
        r = json.loads(line)
        out.append(("dev", r["narrative_text"], set(r["expected_techniques_current"]), shipped))
    return out


def candidate_rows(cat: Any, docs: list[tuple[str, str, set[str], AttackEngine]]) -> list[Row]:
    """One row per reported technique with its salience signals and whether the table lists it."""
    uses: dict[str, int] = defaultdict(int)
    for tids in cat.uses.values():
        for p in {t.split(".")[0] for t in tids}:
            uses[p] += 1
    n_ent = max(len(cat.uses), 1)
    rows: list[Row] = []
    for n, (kind, text, gold, engine) in enumerate(docs):
        sents = split_sentences(text)
        ends = sentence_ends(sents)
        sig, _, view = engine.features(text, sents)
        n_view = sum(1 for s in view if s.text) or 1
        for h in engine.infer(text).observed:
            s = sig.get(h.id) or next((sig[t] for t in sorted(sig) if t.split(".")[0] == h.id), None)
            sup = sorted(set(support_of(s, view, ends, engine.combiner.clf_floor))) if s else []
            rule_sents = {sentence_index(view, a, ends) for a, _, _ in s.rule_spans} if s else set()
            rows.append({
                "set": kind, "doc": n, "id": h.id, "gold": h.id in gold, "n_gold": len(gold),
                "confidence": h.confidence,
                "both methods": float("phrase-rule" in h.methods and "classifier" in h.methods),
                "classifier only": float(h.methods == ("classifier",)),
                "rule sentences": len(rule_sents),
                "positive sentences": s.clf_pos if s else 0,
                "supporting share": len(sup) / n_view,
                "early (1 - first position)": 1.0 - (min(sup) / len(view) if sup else 1.0),
                "in a heading or short line": float(any(view[i].text.lstrip().startswith("#")
                                                        or len(view[i].text.split()) <= 8 for i in sup)),
                "rarity (1 - ATT&CK use share)": 1.0 - uses[h.id.split(".")[0]] / n_ent,
                "sub-technique": float("." in h.id),
                "discovery tactic": float("discovery" in h.tactics),
                "defense-evasion tactic": float("defense-evasion" in h.tactics),
            })
    return rows


def auc(xs: list[float], ys: list[bool]) -> float:
    pos = [x for x, y in zip(xs, ys, strict=True) if y]
    neg = [x for x, y in zip(xs, ys, strict=True) if not y]
    wins = sum((p > q) + 0.5 * (p == q) for p in pos for q in neg)
    return wins / max(len(pos) * len(neg), 1)


def micro(pairs: list[tuple[set[str], set[str]]]) -> str:
    tp = sum(len(g & p) for g, p in pairs)
    n, g = sum(len(p) for _, p in pairs), sum(len(g) for g, _ in pairs)
    return f"P {tp / max(n, 1):.3f} R {tp / max(g, 1):.3f} F1 {2 * tp / max(n + g, 1):.3f} ({n / len(pairs):.1f}/report)"


def by_doc(rows: list[Row], kind: str) -> dict[int, list[Row]]:
    out: dict[int, list[Row]] = defaultdict(list)
    for r in rows:
        if r["set"] == kind:
            out[r["doc"]].append(r)
    return out


def salience(rows: list[Row]) -> None:
    names = [k for k in rows[0] if k not in ("set", "doc", "id", "gold", "n_gold")]
    print("\n### Salience signals: AUC of listed vs unlisted among reported techniques\n")
    print("| signal | stand-in | dev |\n|---|---|---|")
    for k in names:
        vals = [f"{auc([r[k] for r in rows if r['set'] == s], [r['gold'] for r in rows if r['set'] == s]):.3f}"
                for s in ("stand-in", "dev")]
        print(f"| {k} | {vals[0]} | {vals[1]} |")


def budget(rows: list[Row], gold: dict[tuple[str, int], set[str]]) -> None:
    print("\n### Per-report budget: top k by confidence\n\n| k | stand-in | dev |\n|---|---|---|")
    for k in (3, 5, 7, 9, 12, 15, 99):
        cells = []
        for kind in ("stand-in", "dev"):
            pairs = [(gold[(kind, d)], {r["id"] for r in sorted(v, key=lambda r: -r["confidence"])[:k]})
                     for d, v in by_doc(rows, kind).items()]
            cells.append(micro(pairs))
        print(f"| {k if k < 99 else 'all'} | {cells[0]} | {cells[1]} |")


def _family(pred: set[str], mode: str) -> set[str]:
    fam: dict[str, set[str]] = defaultdict(set)
    for t in pred:
        fam[t.split(".")[0]].add(t)
    out: set[str] = set()
    for p, ts in fam.items():
        subs = {t for t in ts if "." in t}
        if mode == "two or more sub-techniques -> parent" and len(subs) >= 2:
            out.add(p)
        elif mode == "add the parent of every sub-technique" and subs:
            out |= ts | {p}
        elif mode == "parent and sub-technique -> sub-technique" and subs and p in ts:
            out |= subs
        elif mode == "parent and sub-technique -> parent" and subs and p in ts:
            out.add(p)
        else:
            out |= ts
    return out


def family(rows: list[Row], gold: dict[tuple[str, int], set[str]]) -> None:
    print("\n### Parent / sub-technique rules\n\n| rule | stand-in | dev |\n|---|---|---|")
    for mode in ("as reported", "two or more sub-techniques -> parent", "add the parent of every sub-technique",
                 "parent and sub-technique -> sub-technique", "parent and sub-technique -> parent"):
        cells = [micro([(gold[(kind, d)], _family({r["id"] for r in v}, mode)) for d, v in by_doc(rows, kind).items()])
                 for kind in ("stand-in", "dev")]
        print(f"| {mode} | {cells[0]} | {cells[1]} |")


def rerank(rows: list[Row]) -> None:
    """A listed-or-not model fitted on the stand-in, ranking the dev set's reported techniques."""
    def logit(p: float) -> float:
        p = min(max(p, 1e-3), 1 - 1e-3)
        return math.log(p / (1 - p))

    sets = {
        "confidence": lambda r: [logit(r["confidence"])],
        "+ rarity": lambda r: [logit(r["confidence"]), r["rarity (1 - ATT&CK use share)"]],
        "+ rarity, both methods, positive sentences": lambda r: [
            logit(r["confidence"]), r["rarity (1 - ATT&CK use share)"], r["both methods"],
            math.log1p(r["positive sentences"])],
    }
    train = [r for r in rows if r["set"] == "stand-in"]
    dev = [r for r in rows if r["set"] == "dev"]
    n_gold = sum({r["doc"]: r["n_gold"] for r in dev}.values())
    print("\n### Listed-or-not model fitted on the stand-in, dev set ranked by it (global cut-off)\n")
    print("| features | best dev F1 over cut-offs (P, kept) | P of the top 40 |\n|---|---|---|")
    for name, f in sets.items():
        lr = LogisticRegression(max_iter=2000).fit(np.array([f(r) for r in train]), [r["gold"] for r in train])
        order = sorted(zip(lr.decision_function(np.array([f(r) for r in dev])), [r["gold"] for r in dev],
                           strict=True), key=lambda x: -x[0])
        tp, best = 0, (0.0, 0.0, 0)
        for i, (_, y) in enumerate(order, 1):
            tp += y
            best = max(best, (2 * tp / (i + n_gold), tp / i, i))
        top = sum(y for _, y in order[:40]) / 40
        print(f"| {name} | {best[0]:.3f} (P {best[1]:.3f}, {best[2]} kept) | {top:.3f} |")


class Neighbours:
    """TF-IDF over the procedure examples; per technique, the best sentence's vote and top-1 count."""

    def __init__(self, cat: Any, k: int) -> None:
        texts, self.labels = [], []
        for p in cat.procedures:
            if cur := cat.resolve(p.technique):
                texts.append(p.text)
                self.labels.append(cur)
        self.vec = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2, stop_words="english",
                                   dtype=np.float32)
        self.index = self.vec.fit_transform(texts)
        self.k = k
        self.rules = AttackEngine.load(with_model=False, catalog=cat).evidence

    def features(self, text: str) -> dict[str, list[float]]:
        sents = [s.text for s in self.rules.view(split_sentences(text)) if s.text]
        if not sents:
            return {}
        sims = (self.vec.transform(sents) @ self.index.T).toarray()
        top = np.argpartition(-sims, self.k, axis=1)[:, : self.k]
        out: dict[str, list[float]] = {}
        for r in range(sims.shape[0]):
            votes: dict[str, float] = defaultdict(float)
            for j in top[r]:
                if sims[r, j] > 0:
                    votes[self.labels[j]] += float(sims[r, j])
            best = max(votes.values(), default=0.0)
            for t, v in votes.items():
                a = out.setdefault(t, [0.0, 0.0])
                a[0] = max(a[0], 10 * v / self.k)
                a[1] += v == best
        return {t: [a[0], math.log1p(a[1])] for t, a in out.items()}


def knn(cat: Any, labelled: Any, signals: list[Any], docs: list[Any], k: int) -> None:
    """Neighbour votes as two more combiner features: TRAM2 CV, then both author-table sets."""
    c0 = time.process_time()
    nn = Neighbours(cat, k)
    print(f"\n### Nearest neighbours over procedure examples (k={k}; index built in "
          f"{time.process_time() - c0:.1f} s CPU)\n")
    c0 = time.process_time()
    tram = [nn.features(s.doc.text) for s in signals]
    kb = sum(len(s.doc.text) for s in signals) / 1000
    print(f"neighbour votes: {1000 * (time.process_time() - c0) / kb:.2f} ms CPU per KB of TRAM2 text\n")
    space = label_space(labelled, cat)
    gold = golds(signals, cat)
    labels = sorted(space)
    tables = []
    for kind, text, g, engine in docs:
        sents = split_sentences(text)
        tables.append((kind, engine.features(text, sents)[1], g, len(sents), nn.features(text)))

    def rows(feats: dict[str, list[float]], votes: dict[str, list[float]], n: int, use: bool,
             cands: list[str]) -> np.ndarray:
        e = empty_features(n)
        return np.array([list(feats.get(t, e)) + (votes.get(t, [0.0, 0.0]) if use else []) for t in cands])

    def fit(idx: list[int], use: bool) -> LogisticRegression:
        x = np.vstack([rows(signals[i].feats, tram[i], signals[i].n_sentences, use, labels) for i in idx])
        y = np.concatenate([[t in gold[i] for t in labels] for i in idx])
        return LogisticRegression(max_iter=3000).fit(x, y)

    def probs(lr: LogisticRegression, feats: dict[str, list[float]], votes: dict[str, list[float]], n: int,
              use: bool) -> dict[str, float]:
        cands = sorted(feats)
        if not cands:
            return {}
        x = rows(feats, votes, n, use, cands)
        p = lr.predict_proba(x)[:, 1]
        return {t: max(pi, 0.85) if xi[0] >= 1.0 else max(pi, 0.6) if xi[0] >= 0.75 else pi
                for t, pi, xi in zip(cands, p, x, strict=True)}

    print("| combiner features | TRAM2 CV per-doc F1 (P, R) | stand-in | dev |\n|---|---|---|---|")
    for use in (False, True):
        oof: list[dict[str, float]] = [{} for _ in signals]
        for f in range(5):
            lr = fit([i for i, s in enumerate(signals) if fold_of(s.doc.id, 5) != f], use)
            for i, s in enumerate(signals):
                if fold_of(s.doc.id, 5) == f:
                    oof[i] = probs(lr, s.feats, tram[i], s.n_sentences, use)
        floor, ef1, sc = tune_floor(oof, [roll_up(g, space) for g in gold], space, 0.75)
        lr = fit(list(range(len(signals))), use)
        comb = Combiner(weights=(), bias=0.0, floor=floor, expected_f1=ef1)
        cells = [micro([(g, comb.select(probs(lr, feats, v, n, use))) for kd, feats, g, n, v in tables if kd == kind])
                 for kind in ("stand-in", "dev")]
        name = "10 shipped + 2 neighbour votes" if use else "10 shipped (refitted here)"
        print(f"| {name} | {sc.per_doc_f1:.3f} ({sc.precision:.3f}, {sc.recall:.3f}) | {cells[0]} | {cells[1]} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--models", type=Path, required=True, help="fold models of bench/attack_eval.py --models")
    ap.add_argument("--cache", type=Path, help="out-of-fold signals of bench/attack_eval.py --cache")
    ap.add_argument("--k", type=int, default=10, help="neighbours per sentence")
    ap.add_argument("--skip", default="", help="comma list of: salience,budget,family,rerank,knn")
    args = ap.parse_args()
    skip = set(args.skip.split(","))
    tram_path = SHARED / "eval" / "ttp_train.jsonl"
    if not tram_path.exists():
        print(f"skipped: {tram_path} not found (set HUNTFEED_SHARED)")
        return
    cat = load_bundle(SHARED / "attack" / "enterprise-attack-18.1.json.gz")
    labelled = load_labelled(tram_path)
    docs = documents(cat, labelled, args.models)
    rows = candidate_rows(cat, docs)
    gold = {}
    for n, (kind, _, g, _) in enumerate(docs):
        gold[(kind, n)] = g
    print(f"{sum(1 for d in docs if d[0] == 'stand-in')} stand-in reports, {sum(1 for d in docs if d[0] == 'dev')} dev "
          f"reports, {len(rows)} reported techniques")
    if "salience" not in skip:
        salience(rows)
    if "budget" not in skip:
        budget(rows, gold)
    if "family" not in skip:
        family(rows, gold)
    if "rerank" not in skip:
        rerank(rows)
    if "knn" not in skip:
        if args.cache and args.cache.exists():
            signals = pickle.loads(args.cache.read_bytes())
        else:
            signals = collect_oof(cat, labelled, TrainConfig(), model_cache=args.models)
        knn(cat, labelled, signals, docs, args.k)


if __name__ == "__main__":
    main()
