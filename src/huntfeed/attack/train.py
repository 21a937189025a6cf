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

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

from huntfeed.attack.catalog import Catalog
from huntfeed.attack.classifier import SentenceModel, raw_counts
from huntfeed.attack.combine import FEATURES, Combiner, empty_features, features_for
from huntfeed.attack.labelled import Labelled, LabelledDoc, clean_stix_text
from huntfeed.attack.text import sentence_ends, split_sentences

Log = Callable[[str], None]

# Combiner weights fitted on the TRAM2 train split (5-fold out-of-fold signals); used when
# `attack train` runs without labelled reports, so confidences keep roughly the same meaning.
FALLBACK = Combiner(
    weights=(3.0, 0.9, 0.4, 1.4, 0.6, 0.4, 0.3, 0.3, -0.2), bias=-1.5, floor=0.45, expected_f1=True
)


@dataclass(frozen=True)
class TrainConfig:
    """Knobs of the training run (the defaults are the measured ones)."""

    c: float = 0.5
    min_examples: int = 2
    keep_per_class: int = 5000
    min_df: int = 2
    folds: int = 5
    n_jobs: int = 2
    max_precision_floor: float = 0.78
    seed: int = 0
    description_sentences: int = 2


@dataclass
class Corpus:
    """Rows for the sentence classifier."""

    texts: list[str] = field(default_factory=list)
    labels: list[set[str]] = field(default_factory=list)

    def add(self, text: str, labels: set[str]) -> None:
        if len(text) >= 12:
            self.texts.append(text)
            self.labels.append(labels)


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
            out.add(sent.text, _current(labels, catalog))
    for text, labels in labelled.sentences:
        out.add(text, _current(labels, catalog))


def _current(labels: set[str], catalog: Catalog) -> set[str]:
    return {cur for t in labels if (cur := catalog.resolve(t))}


def _fit_one(x: sp.csr_matrix, y: np.ndarray, c: float, keep: int) -> tuple[np.ndarray, np.ndarray, float]:
    clf = LinearSVC(C=c, tol=1e-3, max_iter=400)
    clf.fit(x, y)
    w = clf.coef_.ravel()
    idx = np.argpartition(-np.abs(w), keep)[:keep] if keep < w.size else np.arange(w.size)
    idx = idx[w[idx] != 0]
    return idx.astype(np.int64), w[idx].astype(np.float32), float(clf.intercept_[0])


def fit_sentence_model(
    corpus: Corpus, cfg: TrainConfig, classes: Sequence[str] | None = None, log: Log | None = None
) -> SentenceModel:
    """One-vs-rest linear classifiers over hashed TF-IDF features, pruned to sparse weights."""
    t0 = time.time()
    counts: dict[str, int] = {}
    for labels in corpus.labels:
        for t in labels:
            counts[t] = counts.get(t, 0) + 1
    wanted = sorted(classes) if classes is not None else sorted(t for t, n in counts.items())
    wanted = [t for t in wanted if counts.get(t, 0) >= cfg.min_examples]
    x = raw_counts(corpus.texts)
    df = np.bincount(x.indices, minlength=x.shape[1])
    n = x.shape[0]
    idf = np.where(df >= cfg.min_df, np.log((1 + n) / (1 + df)) + 1.0, 0.0).astype(np.float32)
    x = normalize(x.multiply(idf.reshape(1, -1)).tocsr())
    if log:
        log(f"vectorised {n} texts in {time.time() - t0:.1f}s; fitting {len(wanted)} techniques")
    ys = [np.fromiter((t in labels for labels in corpus.labels), dtype=bool, count=n) for t in wanted]
    parts = Parallel(n_jobs=cfg.n_jobs, prefer="threads")(
        delayed(_fit_one)(x, y, cfg.c, cfg.keep_per_class) for y in ys
    )
    rows = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, dtype=np.int64)
    cols = np.concatenate([np.full(p[0].size, j) for j, p in enumerate(parts)]) if parts else rows
    vals = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, dtype=np.float32)
    weights = sp.csr_matrix((vals, (rows, cols)), shape=(x.shape[1], len(wanted)), dtype=np.float32)
    bias = np.array([p[2] for p in parts], dtype=np.float32)
    if log:
        log(f"fitted in {time.time() - t0:.1f}s; {weights.nnz} weights kept")
    return SentenceModel(
        labels=list(wanted),
        idf=idf,
        weights=weights,
        bias=bias,
        combiner=FALLBACK,
        meta={"classes": len(wanted), "texts": n},
    )


@dataclass
class DocSignals:
    """Out-of-fold feature rows of one labelled document: technique -> features."""

    doc: LabelledDoc
    feats: dict[str, list[float]]
    n_sentences: int


def doc_features(engine: object, text: str) -> tuple[dict[str, list[float]], int]:
    """Features of every candidate technique of a text, through the engine's own signal path."""
    sentences = split_sentences(text)
    ends = sentence_ends(sentences)
    sig = engine.signals(text, sentences)  # type: ignore[attr-defined]
    return {tid: features_for(s, sentences, ends) for tid, s in sig.items()}, len(sentences)


def fold_of(doc_id: str, folds: int) -> int:
    """Stable fold assignment from the document id (independent of file order)."""
    h = 0
    for ch in doc_id.encode("utf-8"):
        h = (h * 131 + ch) % 1_000_003
    return h % folds


def out_of_fold_signals(
    catalog: Catalog,
    base: Corpus,
    labelled: Labelled,
    cfg: TrainConfig,
    engine_factory: Callable[[SentenceModel], object],
    log: Log | None = None,
) -> list[DocSignals]:
    """Signals for every labelled document from a model that never saw it (k-fold by document)."""
    label_space = sorted({t for d in labelled.docs for t in _current(d.labels, catalog)})
    out: list[DocSignals] = []
    for k in range(cfg.folds):
        train_docs = [d for d in labelled.docs if fold_of(d.id, cfg.folds) != k]
        test_docs = [d for d in labelled.docs if fold_of(d.id, cfg.folds) == k]
        if not test_docs:
            continue
        corpus = Corpus(list(base.texts), list(base.labels))
        add_labelled(corpus, labelled, catalog, train_docs)
        model = fit_sentence_model(corpus, cfg, classes=label_space, log=log)
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
    """Logistic regression over the combiner features."""
    lr = LogisticRegression(C=1.0, max_iter=2000)
    lr.fit(x, y)
    return tuple(float(v) for v in lr.coef_.ravel()), float(lr.intercept_[0])


def assert_features() -> None:
    """Guard: the fallback weights match the feature list."""
    assert len(FALLBACK.weights) == len(FEATURES)
