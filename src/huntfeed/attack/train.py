"""Build the sentence classifier and the combiner from a bundle plus optional labelled reports.

Training text: every ATT&CK procedure example (the `uses` relationship prose) and the opening of
each technique description, plus the sentences of labelled reports (a sentence takes the labels
of the annotated spans it overlaps; the rest are negatives).  With labelled reports the combiner
is fitted on out-of-fold signals, so its confidences are calibrated on text the model never saw.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

from huntfeed.attack.catalog import Catalog
from huntfeed.attack.classifier import CHAR_NGRAMS, SentenceModel, raw_counts
from huntfeed.attack.combine import Combiner, empty_features
from huntfeed.attack.labelled import Labelled, LabelledDoc, clean_stix_text
from huntfeed.attack.text import split_sentences, unwrap

Log = Callable[[str], None]

# Combiner weights fitted on the TRAM2 train split (5-fold out-of-fold signals); used when
# `attack train` runs without labelled reports, so confidences keep roughly the same meaning.
FALLBACK = Combiner(
    weights=(-0.07, 0.42, 1.74, 2.35, 0.49, 1.07, 0.51, -0.77, -0.44, 0.50),
    bias=1.39,
    floor=0.30,
    expected_f1=True,
)


@dataclass(frozen=True)
class TrainConfig:
    """Knobs of the training run (the defaults are the measured ones)."""

    c: float = 0.5
    tol: float = 1e-3  # liblinear's stopping tolerance
    min_examples: int = 2
    keep_per_class: int = 5000
    keep_sampled: int = 2500  # weights kept for classes trained on a negative sample
    min_df: int = 2
    folds: int = 5
    n_jobs: int = 2
    max_precision_floor: float = 0.75
    seed: int = 0
    negative_sample: int = 16000  # rows besides its positives that a technique outside full_rows sees
    windows: int = 3  # also score runs of up to this many neighbouring sentences
    window_mode: str = "fast"  # "exact": vectorise each run's text; "fast": derive from its sentences
    description_sentences: int = 2
    # Stored in the model.  (3, 3) cross-validates the same with a third of the non-zeros (twice
    # as fast to train and to run) but its refitted combiner is harsher on one-sentence texts.
    char_ngrams: tuple[int, int] = CHAR_NGRAMS


@dataclass
class Corpus:
    """Rows for the sentence classifier."""

    texts: list[str] = field(default_factory=list)
    labels: list[set[str]] = field(default_factory=list)
    groups: list[str | None] = field(default_factory=list)  # labelled document a row came from

    def add(self, text: str, labels: set[str], group: str | None = None) -> None:
        if len(text) >= 12:
            self.texts.append(text)
            self.labels.append(labels)
            self.groups.append(group)

    def without(self, groups: set[str]) -> list[int]:
        """Indices of the rows that come from none of these documents (order kept)."""
        return [i for i, g in enumerate(self.groups) if g is None or g not in groups]

    def subset(self, rows: Sequence[int]) -> Corpus:
        """The given rows as a corpus of their own."""
        return Corpus([self.texts[i] for i in rows], [self.labels[i] for i in rows], [self.groups[i] for i in rows])


def catalog_corpus(catalog: Catalog, cfg: TrainConfig) -> Corpus:
    """Procedure examples and technique description openings, labelled with current ids."""
    out = Corpus()
    for proc in catalog.procedures:
        tid = catalog.resolve(proc.technique)
        if tid:
            out.add(clean_stix_text(proc.text), {tid})
    for tech in catalog.techniques.values():
        if tech.deprecated or not tech.description:
            continue
        sents = [s.text for s in split_sentences(clean_stix_text(tech.description))]
        out.add(" ".join(sents[: cfg.description_sentences]), {tech.id})
    return out


def add_labelled(out: Corpus, labelled: Labelled, catalog: Catalog, docs: Sequence[LabelledDoc]) -> None:
    """Append labelled report sentences (and loose labelled sentences) to a corpus."""
    for doc in docs:
        for sent, labels in doc.sentences():
            out.add(sent.text, _current(labels, catalog), doc.id)
    for text, labels in labelled.sentences:
        out.add(text, _current(labels, catalog))


def _current(labels: set[str], catalog: Catalog) -> set[str]:
    return {cur for t in labels if (cur := catalog.resolve(t))}


# Technique -> rows of the corpus to start its working set with (see `_fit_one`).
Hints = dict[str, np.ndarray]
_NEAR = 0.1  # rows within this of the margin in one fit start the working set of the next
_STRIDE = 8  # without such a start, every 8th row (and the positives) start it
_ROUNDS = 8


def _fit_one(
    x: sp.csr_matrix,
    y: np.ndarray,
    weight: np.ndarray,
    cfg: TrainConfig,
    sample: tuple[np.ndarray, sp.csr_matrix] | None,
    start: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, float, np.ndarray | None]:
    """One technique's pruned weights and bias, and (full-row fits) its rows near or inside the margin.

    The problem is every row, or with ``sample`` (row indices and those rows of ``x``) the
    positives plus those rows.  It is solved on a working set: the ``start`` rows (a mask; default
    every `_STRIDE`-th row) plus the positives, refitted with every row of the problem outside the
    set that violates the margin until none does.  A row outside the margin has no loss and no
    gradient, so the result is the whole problem's optimum, at a fraction of the cost: the fold
    models start from the rows near the margin of the model trained on everything.
    """
    clf = LinearSVC(C=cfg.c, tol=cfg.tol, max_iter=400, random_state=0)  # same data, same model
    sign = np.where(y, 1.0, -1.0)
    if sample is not None:
        pool, pool_x = sample  # the positives are always in the set: only these rows can violate
        begin = pool[::_STRIDE]
    else:
        pool, pool_x = np.arange(y.size), x
        begin = np.flatnonzero(start) if start is not None else pool[::_STRIDE]
    ws = np.union1d(begin, np.flatnonzero(y))
    if y[ws].all():
        ws = np.union1d(ws, pool)
    for _ in range(_ROUNDS):
        clf.fit(x[ws], y[ws], sample_weight=weight[ws])
        margin = sign[pool] * (pool_x @ clf.coef_.ravel() + clf.intercept_[0])
        violators = pool[(margin < 1.0) & ~np.isin(pool, ws, assume_unique=True)]
        if not violators.size:
            break
        ws = np.union1d(ws, violators)
    w = clf.coef_.ravel()
    keep = cfg.keep_per_class
    idx = np.argpartition(-np.abs(w), keep)[:keep] if keep < w.size else np.arange(w.size)
    idx = idx[w[idx] != 0]
    near = margin < 1.0 + _NEAR if sample is None else None
    return idx.astype(np.int64), w[idx].astype(np.float32), float(clf.intercept_[0]), near


def unique_rows(corpus: Corpus) -> tuple[list[int], np.ndarray, np.ndarray]:
    """First index of every distinct (text, labels) row, how many times it occurs, and each row's distinct index.

    For liblinear's loss a row of weight k is exactly k copies of it, and headings and
    boilerplate repeat across reports, so fits run on the distinct rows only.
    """
    seen: dict[tuple[str, frozenset[str]], int] = {}
    first: list[int] = []
    counts: list[float] = []
    inverse = np.zeros(len(corpus.texts), dtype=np.int64)
    for i, (text, labels) in enumerate(zip(corpus.texts, corpus.labels, strict=True)):
        j = seen.setdefault((text, frozenset(labels)), len(first))
        inverse[i] = j
        if j == len(first):
            first.append(i)
            counts.append(1.0)
        else:
            counts[j] += 1.0
    return first, np.array(counts), inverse


def tfidf_rows(raw: sp.csr_matrix, min_df: int) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """L2-normalised TF-IDF rows over only the columns that survive ``min_df``.

    Returns the compact float64 matrix (what liblinear wants, so no fit copies it), the hashed
    column of each compact column, and the idf over the whole hashed space (0 for dropped columns).
    Dropping the empty and rare columns up front makes every per-technique fit touch a vector a
    few times smaller than the hashed space.
    """
    n = raw.shape[0]
    df = np.bincount(raw.indices, minlength=raw.shape[1])
    idf = np.where(df >= min_df, np.log((1 + n) / (1 + df)) + 1.0, 0.0).astype(np.float32)
    used = np.flatnonzero(df >= min_df)
    remap = np.full(raw.shape[1], -1, dtype=np.int64)
    remap[used] = np.arange(used.size)
    cols = remap[raw.indices]
    keep = cols >= 0
    indptr = np.concatenate([[0], np.cumsum(keep)])[raw.indptr]
    data = raw.data[keep].astype(np.float64) * idf[raw.indices[keep]]
    x = sp.csr_matrix((data, cols[keep].astype(np.int32), indptr), shape=(n, used.size))
    return normalize(x, copy=False), used, idf


def fit_sentence_model(
    corpus: Corpus,
    cfg: TrainConfig,
    classes: Sequence[str] | None = None,
    log: Log | None = None,
    full_rows: set[str] | None = None,
    raw: sp.csr_matrix | None = None,
) -> SentenceModel:
    """One-vs-rest linear classifiers over hashed TF-IDF features, pruned to sparse weights.

    Classes in ``full_rows`` (default: all) see every negative; the others see their positives
    plus a fixed random sample of ``cfg.negative_sample`` rows, which keeps training time low.
    ``raw`` is `raw_counts(corpus.texts)` where the caller already has it (fold models share one).
    """
    return fit_with_hints(corpus, cfg, classes, log, full_rows, raw)[0]


def fit_with_hints(
    corpus: Corpus,
    cfg: TrainConfig,
    classes: Sequence[str] | None = None,
    log: Log | None = None,
    full_rows: set[str] | None = None,
    raw: sp.csr_matrix | None = None,
    start: Hints | None = None,
) -> tuple[SentenceModel, Hints]:
    """`fit_sentence_model`, starting full-row fits from ``start`` and returning their near-margin rows."""
    t0 = time.time()
    counts: dict[str, int] = {}
    for labels in corpus.labels:
        for t in labels:
            counts[t] = counts.get(t, 0) + 1
    wanted = sorted(classes) if classes is not None else sorted(t for t, n in counts.items())
    wanted = [t for t in wanted if counts.get(t, 0) >= cfg.min_examples]
    if raw is None:
        raw = raw_counts(corpus.texts, cfg.char_ngrams)
    x, used, idf = tfidf_rows(raw, cfg.min_df)  # idf over every row, duplicates included
    n = x.shape[0]
    first, weight, inverse = unique_rows(corpus)
    x = x[first]
    if log:
        log(
            f"vectorised {n} texts ({len(first)} distinct) in {time.time() - t0:.1f}s; fitting {len(wanted)} techniques"
        )
    index = {t: j for j, t in enumerate(wanted)}
    ys = np.zeros((len(wanted), len(first)), dtype=bool)
    for r, i in enumerate(first):
        for t in corpus.labels[i]:
            if t in index:
                ys[index[t], r] = True
    rng = np.random.default_rng(cfg.seed)
    sample = np.sort(rng.choice(len(first), size=min(len(first), cfg.negative_sample), replace=False))
    sampled = (sample, x[sample])
    start = start or {}
    parts = Parallel(n_jobs=cfg.n_jobs, prefer="threads")(
        delayed(_fit_one)(
            x,
            y,
            weight,
            cfg,
            None if full_rows is None or t in full_rows else sampled,
            start[t][first] if t in start else None,
        )
        for t, y in zip(wanted, ys, strict=True)
    )
    rows = np.concatenate([used[p[0]] for p in parts]) if parts else np.zeros(0, dtype=np.int64)
    cols = np.concatenate([np.full(p[0].size, j) for j, p in enumerate(parts)]) if parts else rows
    vals = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, dtype=np.float32)
    weights = sp.csr_matrix((vals, (rows, cols)), shape=(raw.shape[1], len(wanted)), dtype=np.float32)
    bias = np.array([p[2] for p in parts], dtype=np.float32)
    hints = {t: p[3][inverse] for t, p in zip(wanted, parts, strict=True) if p[3] is not None}
    if log:
        log(f"fitted in {time.time() - t0:.1f}s; {weights.nnz} weights kept")
    model = SentenceModel(
        labels=list(wanted),
        idf=idf,
        weights=weights,
        bias=bias,
        combiner=FALLBACK,
        meta={
            "classes": len(wanted),
            "texts": n,
            "windows": cfg.windows,
            "window_mode": cfg.window_mode,
            "char_ngrams": list(cfg.char_ngrams),
        },
    )
    return model, hints


@dataclass
class DocSignals:
    """Out-of-fold feature rows of one labelled document: technique -> features."""

    doc: LabelledDoc
    feats: dict[str, list[float]]
    n_sentences: int


def doc_features(engine: object, text: str) -> tuple[dict[str, list[float]], int]:
    """Features of every candidate technique of a text, through the engine's own signal path."""
    text = unwrap(text)  # as AttackEngine.infer reads it
    sentences = split_sentences(text)
    _, table, _ = engine.features(text, sentences)  # type: ignore[attr-defined]
    return table, len(sentences)


def fold_of(doc_id: str, folds: int) -> int:
    """Stable fold assignment from the document id (independent of file order)."""
    h = 0
    for ch in doc_id.encode("utf-8"):
        h = (h * 131 + ch) % 1_000_003
    return h % folds


def training_corpus(catalog: Catalog, labelled: Labelled, cfg: TrainConfig) -> tuple[Corpus, sp.csr_matrix]:
    """Catalog text plus every labelled sentence, and their raw counts, vectorised once for all fits."""
    corpus = catalog_corpus(catalog, cfg)
    add_labelled(corpus, labelled, catalog, labelled.docs)
    return corpus, raw_counts(corpus.texts, cfg.char_ngrams)


def out_of_fold_signals(
    catalog: Catalog,
    full: Corpus,
    raw: sp.csr_matrix,
    labelled: Labelled,
    cfg: TrainConfig,
    engine_factory: Callable[[SentenceModel], object],
    log: Log | None = None,
    model_cache: Path | None = None,
    hints: Hints | None = None,
) -> list[DocSignals]:
    """Signals for every labelled document from a model that never saw it (k-fold by document).

    ``full`` and ``raw`` come from `training_corpus`; each fold drops the rows of its own
    documents, so the text is vectorised once however many folds there are.  ``hints`` (from a
    fit of the label space on all of ``full``; made here if not given) start each fold's
    working sets, which makes fold fits several times cheaper without changing them.  With
    ``model_cache`` (a folder) fold models are saved there and reused on the next run, so rules
    and combiner can be re-evaluated without refitting the classifier.
    """
    label_space = sorted({t for d in labelled.docs for t in _current(d.labels, catalog)})
    if hints is None and not (
        model_cache and all((model_cache / f"fold{k}of{cfg.folds}.npz").exists() for k in range(cfg.folds))
    ):
        hints = fit_with_hints(full, cfg, classes=label_space, raw=raw)[1]
    out: list[DocSignals] = []
    for k in range(cfg.folds):
        test_docs = [d for d in labelled.docs if fold_of(d.id, cfg.folds) == k]
        if not test_docs:
            continue
        cached = model_cache / f"fold{k}of{cfg.folds}.npz" if model_cache else None
        if cached is not None and cached.exists():
            model = SentenceModel.load(cached)
            model.meta["windows"] = cfg.windows
            model.meta["window_mode"] = cfg.window_mode
        else:
            rows = full.without({d.id for d in test_docs})
            start = {t: m[rows] for t, m in (hints or {}).items()}
            model, _ = fit_with_hints(full.subset(rows), cfg, label_space, log, raw=raw[rows], start=start)
            if cached is not None:
                model.save(cached)
        engine = engine_factory(model)
        for doc in test_docs:
            out.append(DocSignals(doc, *doc_features(engine, doc.text)))
        if log:
            log(f"fold {k + 1}/{cfg.folds}: {len(test_docs)} documents scored")
    return out


def combiner_rows(
    signals: Sequence[DocSignals], catalog: Catalog
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, str]]]:
    """Feature matrix over (document, technique in the label space); y says whether it is labelled."""
    space = sorted({t for s in signals for t in _current(s.doc.labels, catalog)})
    xs, ys, keys = [], [], []
    for i, s in enumerate(signals):
        gold = _current(s.doc.labels, catalog)
        empty = empty_features(s.n_sentences)
        for t in space:
            xs.append(s.feats.get(t, empty))
            ys.append(t in gold)
            keys.append((i, t))
    return np.array(xs, dtype=np.float64), np.array(ys, dtype=bool), keys


def fit_combiner_weights(x: np.ndarray, y: np.ndarray) -> tuple[tuple[float, ...], float]:
    """Logistic regression over the combiner features (the fallback weights if y is one-sided)."""
    if y.all() or not y.any():
        return FALLBACK.weights, FALLBACK.bias
    lr = LogisticRegression(C=1.0, max_iter=2000)
    lr.fit(x, y)
    return tuple(float(v) for v in lr.coef_.ravel()), float(lr.intercept_[0])
