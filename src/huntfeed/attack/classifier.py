"""Sentence-level technique classifier stored as a compact npz of our own.

Features are hashed word 1-2 grams and character 3-5 grams with TF-IDF weighting; each technique
has a sparse linear scorer (pruned one-vs-rest weights).  Storing the hashed model as arrays
keeps it small, avoids pickle and loads in a fraction of a second.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.preprocessing import normalize

from huntfeed.attack.catalog import Catalog
from huntfeed.attack.combine import CLF_KEEP, Combiner
from huntfeed.attack.text import Sentence
from huntfeed.errors import ConfigError

N_WORD = 2**20
N_CHAR = 2**20
_TOP_SENTENCES = 5
_MIN_CHARS = 12  # shorter lines (headings, bullets) carry no behaviour


def make_vectorizers() -> tuple[HashingVectorizer, HashingVectorizer]:
    """The two hashing vectorizers; their settings are part of the model format."""
    word = HashingVectorizer(
        n_features=N_WORD,
        ngram_range=(1, 2),
        alternate_sign=False,
        norm=None,
        token_pattern=r"(?u)\b\w[\w.-]*\w\b|\b\w\b",
        lowercase=True,
    )
    char = HashingVectorizer(
        n_features=N_CHAR,
        analyzer="char_wb",
        ngram_range=(3, 5),
        alternate_sign=False,
        norm=None,
        lowercase=True,
    )
    return word, char


def raw_counts(texts: Sequence[str]) -> sp.csr_matrix:
    """Sub-linear term counts over both hashed spaces, side by side."""
    word, char = make_vectorizers()
    x = sp.hstack([word.transform(texts), char.transform(texts)], format="csr", dtype=np.float32)
    x.data = 1.0 + np.log(x.data)
    return x


@dataclass
class SentenceModel:
    """Hashed TF-IDF features times a sparse (features x techniques) weight matrix."""

    labels: list[str]
    idf: np.ndarray
    weights: sp.csr_matrix
    bias: np.ndarray
    combiner: Combiner
    meta: dict[str, object]

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF rows, L2-normalised."""
        x = raw_counts(texts)
        x = x.multiply(self.idf.reshape(1, -1)).tocsr()
        return normalize(x)

    def decision(self, texts: Sequence[str]) -> np.ndarray:
        """Raw margins, one row per text, one column per label."""
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        scores = (self.transform(texts) @ self.weights).toarray()
        return np.asarray(scores + self.bias.reshape(1, -1), dtype=np.float32)

    def sentence_scores(
        self, sentences: Sequence[Sentence], catalog: Catalog | None = None
    ) -> dict[str, tuple[list[tuple[float, int]], int, int]]:
        """Per label: best sentence margins with indices, sentences above the keep floor, positives."""
        keep = [i for i, s in enumerate(sentences) if len(s.text) >= _MIN_CHARS]
        scores = self.decision([sentences[i].text for i in keep])
        out: dict[str, list[tuple[float, int]]] = {}
        if scores.size == 0:
            return {}
        rows, cols = np.nonzero(scores > CLF_KEEP)
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            out.setdefault(self.labels[c], []).append((float(scores[r, c]), keep[r]))
        result: dict[str, tuple[list[tuple[float, int]], int, int]] = {}
        for label, vals in out.items():
            tid = catalog.resolve(label) if catalog is not None else label
            if tid is None or tid in result:
                continue
            vals.sort(reverse=True)
            result[tid] = (vals[:_TOP_SENTENCES], len(vals), sum(1 for v, _ in vals if v > 0))
        return result

    def save(self, path: Path) -> None:
        """Write the model as one compressed npz."""
        w = self.weights.tocsr()
        meta = dict(self.meta)
        meta["combiner"] = self.combiner.to_dict()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(
            tmp,
            labels=np.array(self.labels),
            idf=self.idf.astype(np.float16),
            w_data=w.data.astype(np.float16),
            w_indices=w.indices.astype(np.int32),
            w_indptr=w.indptr.astype(np.int64),
            w_shape=np.array(w.shape),
            bias=self.bias.astype(np.float32),
            meta=np.array(json.dumps(meta)),
        )
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> SentenceModel:
        """Read a model written by `save`."""
        try:
            with np.load(path, allow_pickle=False) as z:
                shape = tuple(int(v) for v in z["w_shape"])
                weights = sp.csr_matrix(
                    (z["w_data"].astype(np.float32), z["w_indices"], z["w_indptr"]), shape=shape
                )
                meta = json.loads(str(z["meta"]))
                combiner = Combiner.from_dict(meta.pop("combiner"))
                return cls(
                    labels=[str(v) for v in z["labels"]],
                    idf=z["idf"].astype(np.float32),
                    weights=weights,
                    bias=z["bias"].astype(np.float32),
                    combiner=combiner,
                    meta=meta,
                )
        except (OSError, KeyError, ValueError) as exc:
            raise ConfigError(f"cannot load ATT&CK model: {exc}", where=str(path)) from exc
