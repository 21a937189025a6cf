"""ATT&CK inference benchmark: document-level cross-validation on TRAM2, by method and combined.

Reads ../shared/eval/ttp_train.jsonl (TRAM2 train split, 120 reports) and the v18.1 bundle from
../shared/attack ($HUNTFEED_SHARED overrides the folder).  Scores are computed inside TRAM2's label
space with sub-techniques rolled up to a labelled parent.  Also scores held-out ATT&CK procedure
examples (ttp_attack_procedures.jsonl), the dev set of real reports (reports_dev_attack.jsonl:
`huntfeed analyze` on each `narrative_text`, scored by ../shared/eval/score_ttps.py --set e2e, exact
and --parent) and measures load time and throughput.

    python bench/attack_eval.py [--folds 5] [--skip tram,tables,procedures,dev,speed]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from huntfeed.attack.build import collect_oof, evaluate_methods, fit_combiner, label_space  # noqa: E402
from huntfeed.attack.catalog import load_bundle  # noqa: E402
from huntfeed.attack.classifier import SentenceModel  # noqa: E402
from huntfeed.attack.combine import Combiner  # noqa: E402
from huntfeed.attack.engine import AttackEngine  # noqa: E402
from huntfeed.attack.evaluate import score  # noqa: E402
from huntfeed.attack.explicit import find_ids, in_prose  # noqa: E402
from huntfeed.attack.labelled import Labelled, load_labelled  # noqa: E402
from huntfeed.attack.offline import load_offline  # noqa: E402
from huntfeed.attack.train import (  # noqa: E402
    FALLBACK,
    TrainConfig,
    add_labelled,
    catalog_corpus,
    fit_sentence_model,
    fold_of,
)

SHARED = Path(os.environ.get("HUNTFEED_SHARED") or ROOT.parent / "shared")
HEADER = "| method | per-doc F1 | micro P | micro R | micro F1 | predicted / doc |\n|---|---|---|---|---|---|"


def _log(msg: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def tram_cv(cat: object, labelled: Labelled, cfg: TrainConfig, cache: Path | None, models: Path | None) -> Combiner:
    t0 = time.time()
    if cache is not None and cache.exists():
        signals = pickle.loads(cache.read_bytes())
    else:
        signals = collect_oof(cat, labelled, cfg, log=_log, model_cache=models)  # type: ignore[arg-type]
        if cache is not None:
            cache.write_bytes(pickle.dumps(signals))
    space = label_space(labelled, cat)  # type: ignore[arg-type]
    res = evaluate_methods(signals, cat, cfg, space)  # type: ignore[arg-type]
    print(f"\n### TRAM2 train split, {cfg.folds}-fold document cross-validation ({len(signals)} reports)\n")
    print(HEADER)
    for name, (sc, note) in res.items():
        print(sc.row(f"{name} ({note})"))
    _fixed_setting(signals, cat, cfg, space)
    print(f"\n(cross-validation took {time.time() - t0:.0f}s)")
    comb, oof = fit_combiner(signals, cat, cfg)  # type: ignore[arg-type]
    print(f"chosen setting: floor {comb.floor}, expected-F1 selection {comb.expected_f1}")
    _tram_false_positives(signals, cat, cfg, space)
    return comb


def _fixed_setting(signals: list[object], cat: object, cfg: TrainConfig, space: set[str]) -> None:
    """The combined row at the shipped model's setting, which the tuner's flips between settings within
    0.001 of each other do not move: a rule's own effect shows here (compare like with like)."""
    from huntfeed.attack.build import golds
    from huntfeed.attack.evaluate import oof_probabilities, roll_up, select_all

    shipped = AttackEngine.load(Path(tempfile.mkdtemp())).combiner
    gold = [roll_up(g, space) for g in golds(signals, cat)]  # type: ignore[arg-type]
    probs = oof_probabilities(signals, cat, cfg.folds)  # type: ignore[arg-type]
    sc = score(gold, select_all(probs, shipped.floor, shipped.expected_f1, space))
    print(sc.row(f"combined at the shipped setting (floor {shipped.floor}, expected-F1 {shipped.expected_f1})"))


def _tram_false_positives(signals: list[object], cat: object, cfg: TrainConfig, space: set[str]) -> None:
    """The ten techniques with the most out-of-fold false positives at the tuned floor."""
    from collections import Counter

    from huntfeed.attack.build import golds
    from huntfeed.attack.evaluate import oof_probabilities, roll_up, select_all, tune_floor

    gold = [roll_up(g, space) for g in golds(signals, cat)]  # type: ignore[arg-type]
    probs = oof_probabilities(signals, cat, cfg.folds)  # type: ignore[arg-type]
    floor, ef1, _ = tune_floor(probs, gold, space, cfg.max_precision_floor)
    fp = Counter(t for g, p in zip(gold, select_all(probs, floor, ef1, space), strict=True) for t in p - g)
    _print_false_positives("TRAM2 out-of-fold", fp)


def _print_false_positives(title: str, fp: object) -> None:
    print(f"\n{title}: {sum(fp.values())} false positives; most frequent: "  # type: ignore[attr-defined]
          + ", ".join(f"{t} {n}" for t, n in fp.most_common(10)))  # type: ignore[attr-defined]


def procedures_holdout(cat: object, labelled: Labelled, cfg: TrainConfig, n_test: int, comb: Combiner) -> None:
    rows = [json.loads(line) for line in (SHARED / "eval" / "ttp_attack_procedures.jsonl").open()]
    test = [r for r in rows if hash_of(r["id"]) % 5 == 0][:n_test]
    test_texts = {r["text"] for r in test}
    corpus = catalog_corpus(cat, cfg)  # type: ignore[arg-type]
    corpus = corpus.subset([i for i, t in enumerate(corpus.texts) if t not in test_texts])
    add_labelled(corpus, labelled, cat, labelled.docs)  # type: ignore[arg-type]
    model = fit_sentence_model(corpus, cfg, log=_log, full_rows=label_space(labelled, cat))  # type: ignore[arg-type]
    shipped = AttackEngine.load(Path(tempfile.mkdtemp()))
    comb = shipped.combiner
    engine = dataclasses.replace(shipped, catalog=cat, model=dataclasses.replace(model, combiner=comb), combiner=comb)
    gold: list[set[str]] = []
    pred: list[set[str]] = []
    for r in test:
        inf = engine.infer(r["text"])
        got = {h.id for h in inf.observed}
        g = {cat.resolve(t) or t for t in r["techniques"]}  # type: ignore[attr-defined]
        gold.append(g)
        pred.append(got)
    _exact_and_parent(f"ATT&CK procedure examples, {len(test)} held out (one sentence each, whole ATT&CK)",
                      gold, pred)


def strip_tables(text: str, cat: object) -> tuple[str, set[str]]:
    """A report without its ATT&CK mapping table, and the ids that table listed.

    Table lines are lines with ids that are not prose (`in_prose`); short lines between two table
    lines, and the two short lines after one (a technique's name under its id), go with the table;
    narrative lines between tagged paragraphs stay.
    """
    lines = text.split("\n")
    ids_at = [{t for t, _, _ in find_ids(ln, cat)} for ln in lines]  # type: ignore[arg-type]
    rows = [i for i, ids in enumerate(ids_at) if ids and not in_prose(lines[i])]
    gold = set().union(*(ids_at[i] for i in rows)) if rows else set()
    drop = set(rows)
    for a, b in zip(rows, rows[1:], strict=False):
        if b - a <= 6:
            drop.update(i for i in range(a + 1, b) if len(lines[i].split()) < 8)
    for a in rows:
        drop.update(i for i in range(a + 1, min(a + 3, len(lines))) if len(lines[i].split()) < 8)
    return "\n".join(ln for i, ln in enumerate(lines) if i not in drop), gold


class _Merged:
    """Fold model for TRAM2's label space, shipped model for every other technique."""

    def __init__(self, fold: object, shipped: object, space: set[str]) -> None:
        self.fold, self.shipped, self.space = fold, shipped, space

    def sentence_scores(self, sentences: object, catalog: object) -> dict[str, object]:
        out = {t: v for t, v in self.shipped.sentence_scores(sentences, catalog).items() if t not in self.space}  # type: ignore[attr-defined]
        out.update(self.fold.sentence_scores(sentences, catalog))  # type: ignore[attr-defined]
        return out


def table_proxy(cat: object, labelled: Labelled, cfg: TrainConfig, models: Path, comb: Combiner) -> None:
    """Stand-in for the hidden vendor-report set: TRAM2 reports with their own ATT&CK table as truth.

    Reports whose mapping table lists 5 to 80 ids; the table is cut out of the text and the
    report is read by the fold model that never saw it (for techniques outside TRAM2's label
    space, whose classifiers never had a TRAM2 positive, by the shipped model).  Scored over the
    whole ATT&CK space, exact ids and parent techniques.
    """
    space = label_space(labelled, cat)  # type: ignore[arg-type]
    shipped = AttackEngine.load(Path(tempfile.mkdtemp()))
    assert shipped.model is not None
    golds: list[set[str]] = []
    preds: list[set[str]] = []
    for doc in labelled.docs:
        text, gold = strip_tables(doc.text, cat)
        if not 5 <= len(gold) <= 80:
            continue
        k = fold_of(doc.id, cfg.folds)
        fold = SentenceModel.load(models / f"fold{k}of{cfg.folds}.npz")
        fold.meta["windows"], fold.meta["window_mode"] = cfg.windows, cfg.window_mode
        model = _Merged(fold, shipped.model, space)
        engine = dataclasses.replace(shipped, catalog=cat, model=model, combiner=comb)  # type: ignore[arg-type]
        got = {h.id for h in engine.infer(text).observed}
        golds.append(gold)
        preds.append(got)
    _exact_and_parent(f"Vendor-table stand-in: {len(golds)} TRAM2 reports, own ATT&CK table as truth, table removed",
                      golds, preds)


def _exact_and_parent(title: str, golds: list[set[str]], preds: list[set[str]]) -> None:
    """Print the score table twice: exact ids, then every id rolled up to its parent technique."""
    def parents(sets: list[set[str]]) -> list[set[str]]:
        return [{t.split(".")[0] for t in ids} for ids in sets]

    print(f"\n### {title}\n")
    print(HEADER)
    print(score(golds, preds).row("combined, exact id"))
    print(score(parents(golds), parents(preds)).row("combined, parent technique"))


def hash_of(s: str) -> int:
    h = 0
    for ch in s.encode():
        h = (h * 257 + ch) % 2_147_483_647
    return h


def dev_reports(out_dir: Path | None = None) -> dict[str, str]:
    """Real reports with their authors' ATT&CK tables: `huntfeed analyze --jsonl` on the narratives.

    Runs the installed command line in a fresh data folder (so the shipped model and the offline
    bundle are used, as a new user has them) and scores with the project's own scorer.  Returns the
    scorer's last line per mode; writes the predictions and profiles to ``out_dir`` when given.
    """
    gold = SHARED / "eval" / "reports_dev_attack.jsonl"
    scorer = SHARED / "eval" / "score_ttps.py"
    work = out_dir or Path(tempfile.mkdtemp())
    work.mkdir(parents=True, exist_ok=True)
    inp, prof, pred = work / "dev_in.jsonl", work / "dev_profiles.jsonl", work / "dev_pred.jsonl"
    with inp.open("w") as f:
        for line in gold.open():
            r = json.loads(line)
            f.write(json.dumps({"id": r["id"], "text": r["narrative_text"]}) + "\n")
    env = {**os.environ, "HUNTFEED_HOME": tempfile.mkdtemp()}
    cmd = [sys.executable, "-m", "huntfeed", "analyze", "--jsonl", str(inp), "--format", "json"]
    with prof.open("w") as f:
        subprocess.run(cmd, stdout=f, env=env, check=True, cwd=ROOT)
    with pred.open("w") as f:
        for line in prof.open():
            r = json.loads(line)
            f.write(json.dumps({"id": r["id"], "techniques": [t["id"] for t in r["techniques"]]}) + "\n")
    print(f"\n### Dev set of real reports ({sum(1 for _ in gold.open())} narratives, authors' ATT&CK tables)\n")
    lines: dict[str, str] = {}
    for mode, extra in (("exact", []), ("parent", ["--parent"])):
        res = subprocess.run([sys.executable, str(scorer), str(gold), str(pred), "--set", "e2e", *extra],
                             capture_output=True, text=True, check=True)
        out = [ln for ln in res.stdout.splitlines() if ln.strip()]
        lines[mode] = out[-1]
        per_doc = next((ln for ln in out if ln.startswith("per-doc macro")), "")
        print(f"- {mode}: {out[-1]}; {per_doc}")
    from collections import Counter

    tables = {json.loads(ln)["id"]: set(json.loads(ln)["expected_techniques_current"]) for ln in gold.open()}
    fp = Counter(t for ln in pred.open() for t in json.loads(ln)["techniques"] if t not in tables[json.loads(ln)["id"]])
    _print_false_positives("Dev set", fp)
    counts = [len(json.loads(ln)["techniques"]) for ln in pred.open()]
    print(f"- predicted: {sum(counts)} techniques, {sum(counts) / max(1, len(counts)):.1f} per report")
    return lines


def evidence_filter() -> None:
    """How the evidence filter treats labelled sentences.

    TRAM2 lines with a technique label describe behaviour (the filter should keep them); lines
    without a label are mostly context, so they are dropped more often but are not all negatives.
    The hand-written set (tests/data/evidence_sentences.tsv, our own words) has a reason per line.
    """
    from collections import Counter

    from huntfeed.attack.evidence import default_rules
    from huntfeed.attack.text import split_sentences

    rules = default_rules()
    kept: Counter[str] = Counter()
    dropped: Counter[str] = Counter()
    for line in (SHARED / "eval" / "ttp_tram2_train_paragraphs.jsonl").open():
        r = json.loads(line)
        kind = "labelled" if r["techniques"] else "unlabelled"
        for sent in split_sentences(r["text"]):
            (dropped if rules.reason(sent.text) else kept)[kind] += 1
    print("\n### Evidence filter\n\n| sentences | kept | dropped | dropped share |\n|---|---|---|---|")
    for kind in ("labelled", "unlabelled"):
        n = kept[kind] + dropped[kind]
        print(f"| TRAM2 train lines, {kind} | {kept[kind]} | {dropped[kind]} | {dropped[kind] / max(n, 1):.3f} |")
    cases = [ln.split("\t", 1) for ln in (ROOT / "tests" / "data" / "evidence_sentences.tsv").read_text().splitlines()
             if ln.strip() and not ln.startswith("#")]
    right = sum((rules.reason(text) or "-") == want for want, text in cases)
    print(f"| hand-written set (reason right) | {right} of {len(cases)} | | |")


def speed(labelled: Labelled) -> None:
    """Load time and inference rate, in CPU seconds of this process (the machine is shared)."""
    c0 = time.process_time()
    engine = AttackEngine.load(Path(tempfile.mkdtemp()))
    load_cpu = time.process_time() - c0
    texts = [d.text for d in labelled.docs]
    chunks = [t[i : i + 5000] for t in texts for i in range(0, len(t), 5000)][:200]
    c0 = time.process_time()
    for c in chunks:
        engine.infer(c)
    cpu = time.process_time() - c0
    kb = sum(len(c) for c in chunks) / 1000
    print(
        f"\n### Speed (this machine, CPU time)\n\nload {load_cpu:.2f} s CPU (model {'yes' if engine.model else 'no'}); "
        f"{len(chunks) / cpu:.1f} documents of 5 KB per CPU second; {1000 * cpu / kb:.2f} ms CPU per KB"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--procedures", type=int, default=1000, help="held-out procedure examples to score")
    ap.add_argument("--cache", type=Path, help="pickle of out-of-fold signals to reuse (analysis only)")
    ap.add_argument("--models", type=Path, help="folder to keep/reuse fold models (analysis only)")
    ap.add_argument("--windows", type=int, default=3, help="score runs of up to N neighbouring sentences")
    ap.add_argument("--window-mode", default="fast", choices=["fast", "exact"])
    ap.add_argument("--skip", default="", help="comma list of: tram,tables,procedures,evidence,dev,speed")
    ap.add_argument("--shipped-stand-in", action="store_true",
                    help="score the stand-in a second time with the shipped combiner (not refitted)")
    ap.add_argument("--dev-out", type=Path, help="folder for the dev set's profiles and predictions")
    args = ap.parse_args()
    skip = set(args.skip.split(","))
    tram_path = SHARED / "eval" / "ttp_train.jsonl"
    if not tram_path.exists():
        print(f"skipped: {tram_path} not found (set HUNTFEED_SHARED)")
        return
    bundle = SHARED / "attack" / "enterprise-attack-18.1.json.gz"
    cat = load_bundle(bundle) if bundle.exists() else load_offline()
    labelled = load_labelled(tram_path)
    cfg = TrainConfig(folds=args.folds, windows=args.windows, window_mode=args.window_mode)
    print(f"ATT&CK {cat.version}; {len(labelled.docs)} TRAM2 reports")
    comb = FALLBACK
    models = args.models or Path(tempfile.mkdtemp())  # the vendor-table stand-in reuses the fold models
    if "tram" not in skip:
        comb = tram_cv(cat, labelled, cfg, args.cache, models)
    if "tables" not in skip and "tram" not in skip:
        table_proxy(cat, labelled, cfg, models, comb)
        if args.shipped_stand_in:  # the same reports through the shipped combiner: a rule's own effect
            table_proxy(cat, labelled, cfg, models, AttackEngine.load(Path(tempfile.mkdtemp())).combiner)
    if "procedures" not in skip:
        procedures_holdout(cat, labelled, cfg, args.procedures, comb)
    if "evidence" not in skip:
        evidence_filter()
    if "dev" not in skip:
        dev_reports(args.dev_out)
    if "speed" not in skip:
        speed(labelled)


if __name__ == "__main__":
    main()
