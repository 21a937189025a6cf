"""Sentence-level technique classifier stored as a compact npz of our own.

Features are hashed word 1-2 grams and character 3-5 grams with TF-IDF weighting; each technique
has a sparse linear scorer (pruned one-vs-rest weights).  Storing the hashed model as arrays
keeps it small, avoids pickle and loads in a fraction of a second.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from huntfeed._native import load
from huntfeed.attack import hashing, margins
from huntfeed.attack.catalog import Catalog
from huntfeed.attack.combine import CLF_KEEP, Combiner
from huntfeed.attack.text import Sentence
from huntfeed.errors import ConfigError

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import HashingVectorizer

N_WORD = hashing.N_WORD
N_CHAR = hashing.N_CHAR
_TOP_SENTENCES = 5
_MIN_CHARS = 12  # shorter lines (headings, bullets) carry no behaviour
# Sentences scored at once: the margins are a dense (sentences x windows x labels) matrix, so a text
# of 20,000 one-line sentences took 600 MB in one piece; blocks bound it at a few tens of MB.
_BLOCK = 1000
CHAR_NGRAMS = (3, 5)  # what models without a "char_ngrams" entry were trained with


def make_vectorizers(char_ngrams: tuple[int, int] = CHAR_NGRAMS) -> tuple[HashingVectorizer, HashingVectorizer]:
    """The two hashing vectorizers; their settings are part of the model format.

    `raw_counts` computes the same features without them (`hashing`, tested against them).
    """
    from sklearn.feature_extraction.text import HashingVectorizer  # only for training and that test

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
        ngram_range=char_ngrams,
        alternate_sign=False,
        norm=None,
        lowercase=True,
    )
    return word, char


def raw_counts(texts: Sequence[str], char_ngrams: tuple[int, int] = CHAR_NGRAMS) -> sp.csr_matrix:
    """Sub-linear term counts over both hashed spaces, side by side (`make_vectorizers`' features)."""
    return hashing.raw_counts(texts, char_ngrams)


@dataclass
class SentenceModel:
    """Hashed TF-IDF features times a sparse (features x techniques) weight matrix."""

    labels: list[str]
    idf: np.ndarray
    weights: sp.csr_matrix
    bias: np.ndarray
    combiner: Combiner
    meta: dict[str, object]
    # The labels' ids in the last catalog (sentence_scores): (catalog, labels, ids), by identity.
    _ids: tuple[Catalog, list[str], list[str | None]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def char_ngrams(self) -> tuple[int, int]:
        """The character n-gram range this model's features use."""
        value = self.meta.get("char_ngrams")
        if not isinstance(value, list | tuple) or len(value) != 2:
            return CHAR_NGRAMS
        return int(value[0]), int(value[1])

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF rows, L2-normalised."""
        from sklearn.preprocessing import normalize  # the "exact" window mode and training only

        x = raw_counts(texts, self.char_ngrams)
        x = x.multiply(self.idf.reshape(1, -1)).tocsr()
        return normalize(x)

    def decision(self, texts: Sequence[str]) -> np.ndarray:
        """Raw margins, one row per text, one column per label."""
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        scores = (self.transform(texts) @ self.weights).toarray()
        return np.asarray(scores + self.bias.reshape(1, -1), dtype=np.float32)

    def window_decision(self, texts: Sequence[str], width: int) -> tuple[np.ndarray, list[int]]:
        """Margins of each text and of every run of 2..width consecutive texts.

        A run's margin is derived from its members' margins, norms and pairwise dot products
        (its TF-IDF vector is taken as the sum of theirs), so runs cost no extra vectorising or
        matrix product.  Returns the margins and, per row, the index of the run's first text.
        """
        n = len(texts)
        if n == 0:
            return np.zeros((0, len(self.labels)), dtype=np.float32), []
        x = margins.tfidf(raw_counts(texts, self.char_ngrams), self.idf)  # (counts * idf), zeros dropped
        norms = np.sqrt(margins.row_sums(x, x.data * x.data))  # the norms of x.multiply(x).sum(axis=1)
        safe = np.where(norms > 0, norms, 1.0)
        xn = margins.scale_rows(x, 1.0 / safe)  # sp.diags(1.0 / safe) @ x, the same values and order
        product = margins.product(xn, self.weights)  # (xn @ weights).toarray(), float32
        sizes = [max(0, n - size + 1) for size in range(1, width + 1)]
        scores = np.empty((sum(sizes), len(self.labels)), dtype=np.float32)
        owners = [j for m in sizes for j in range(m)]
        dots = {lag: margins.neighbour_dots(x, lag) for lag in range(1, width)}
        native = load("attack_kernels")
        if native is not None and width <= 64 and self.bias.dtype == norms.dtype == x.dtype == np.float32:
            # The same float64 and float32 steps as below, in one pass (attack_kernels.c `windows`).
            native.windows(product, norms, tuple(dots[lag] for lag in range(1, width)), self.bias, width, scores)
            return scores, owners
        self._windows(product, norms, dots, width, scores)
        return scores, owners

    def _windows(self, product: np.ndarray, norms: np.ndarray, dots: dict[int, np.ndarray], width: int,
                 scores: np.ndarray) -> None:
        """`window_decision`'s margins from the product, in NumPy (the C kernel's twin)."""
        n = len(norms)
        raw = np.asarray(product, dtype=np.float64)
        unnorm = raw * norms.reshape(-1, 1)  # W.x for the unnormalised vectors
        bias = self.bias.reshape(1, -1)
        np.add(raw, bias, out=scores[:n], casting="unsafe")  # in float64, then rounded to float32
        at, num = n, unnorm
        for size in range(2, width + 1):
            m = n - size + 1
            if m <= 0:
                break
            # The members' sum, added left to right as before: the previous size's sums plus the next member.
            num = num[:m] + unnorm[size - 1 : size - 1 + m]
            sq = sum(norms[k : k + m] ** 2 for k in range(size))
            for lag in range(1, size):
                for k in range(size - lag):
                    sq = sq + 2.0 * dots[lag][k : k + m]
            den = np.sqrt(np.maximum(sq, 1e-12)).reshape(-1, 1)
            np.add(num / den, bias, out=scores[at : at + m], casting="unsafe")
            at += m

    def _window_scores(self, texts: list[str], width: int) -> tuple[np.ndarray, list[int]]:
        """Margins of every text and run of up to ``width`` texts, with each row's first text."""
        if self.meta.get("window_mode") != "exact":
            return self.window_decision(texts, width)
        runs, first = list(texts), list(range(len(texts)))
        for size in range(2, width + 1):
            for j in range(len(texts) - size + 1):
                runs.append(" ".join(texts[j : j + size]))
                first.append(j)
        return self.decision(runs), first

    def sentence_scores(
        self, sentences: Sequence[Sentence], catalog: Catalog | None = None, *, block: int = _BLOCK
    ) -> dict[str, tuple[list[tuple[float, int]], int, int]]:
        """Per label: best sentence margins with indices, sentences above the keep floor, positives.

        With ``meta["windows"] = n`` runs of 2..n neighbouring sentences are scored too (credited to
        the first), because reports often spread one behaviour over several sentences. Sentences are
        scored ``block`` at a time (the margins of a block are a dense matrix), with the same results.
        """
        keep = [i for i, s in enumerate(sentences) if len(s.text) >= _MIN_CHARS]
        width = int(self.meta.get("windows") or 1)  # type: ignore[call-overload]
        texts = [sentences[i].text for i in keep]
        n = len(texts)
        if n == 0:
            return {}
        # Per label and sentence the best margin of the runs credited to it, above the keep floor;
        # labels in the order a row-by-row scan of all margins (sentences, then each run length)
        # first meets them (two labels may resolve to one id).
        best = np.full((n, len(self.labels)), CLF_KEEP, dtype=np.float32)
        own = np.empty_like(best)  # each sentence's own margins, to name the sentence that carries a run
        first_hit = np.full(len(self.labels), np.iinfo(np.int64).max, dtype=np.int64)
        for start in range(0, n, block):
            # Runs starting in this block may reach width - 1 sentences into the next one.
            scores, first = self._window_scores(texts[start : start + block + width - 1], width)
            owners = np.asarray(first, dtype=np.int64)
            mine = owners < block  # runs starting in the next block are scored there in full
            rows = _global_rows(owners, n, start, width)
            if not mine.all():  # (a copy of the block's margins: only when a next block exists)
                rows, scores, owners = rows[mine], scores[mine], owners[mine]
            size = min(block, n - start)
            own[start : start + size] = scores[:size]
            best[start : start + size] = margins.best_margins(scores, owners, size, CLF_KEEP)
            above = scores > CLF_KEEP
            seen = np.nonzero(above.any(axis=0))[0]
            hit = rows[np.argmax(above[:, seen], axis=0)]
            first_hit[seen] = np.minimum(first_hit[seen], hit)
        cols = np.nonzero(first_hit < np.iinfo(np.int64).max)[0]
        order = cols[np.lexsort((cols, first_hit[cols]))]
        summaries = _carriers(margins.label_summaries(best, keep, CLF_KEEP, _TOP_SENTENCES), own, keep, width)
        ids = self._label_ids(catalog)
        result: dict[str, tuple[list[tuple[float, int]], int, int]] = {}
        for c in order.tolist():
            tid = ids[c]
            if tid is None or tid in result:
                continue
            result[tid] = summaries[c]
        return result

    def _label_ids(self, catalog: Catalog | None) -> list[str | None]:
        """Each label's current technique id in ``catalog`` (the labels themselves without one), kept for
        the last catalog: resolving 600 labels for every report took half a millisecond."""
        if catalog is None:
            return list(self.labels)
        cached = self._ids
        if cached is None or cached[0] is not catalog or cached[1] is not self.labels:
            cached = self._ids = (catalog, self.labels, [catalog.resolve(label) for label in self.labels])
        return cached[2]

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
                weights = sp.csr_matrix((z["w_data"].astype(np.float32), z["w_indices"], z["w_indptr"]), shape=shape)
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


def _carriers(
    summaries: dict[int, tuple[list[tuple[float, int]], int, int]], own: np.ndarray, keep: Sequence[int], width: int
) -> dict[int, tuple[list[tuple[float, int]], int, int]]:
    """The same margins, each named by the sentence that carries it rather than the first of its run.

    A run of neighbouring sentences is credited to its first sentence, so a lead-in ("The file
    corruptor:", own margin -0.93) stood as the evidence of what the lines after it describe (issue
    18, fourth session: 28 of the 54 classifier evidence sentences on the dev reports).  Where a
    sentence's margin is not its own, the member of its longest run with the best own margin for
    that label is named instead.  Margins and counts are unchanged (the combiner reads only those).
    Negative margins after a label's best are neither shown nor support, and keep their index.
    """
    if width <= 1 or not summaries:
        return summaries
    tops = [top for top, _, _ in summaries.values()]
    sizes = [len(t) for t in tops]
    flat = np.fromiter(chain.from_iterable(chain.from_iterable(tops)), np.float64, 2 * sum(sizes)).reshape(-1, 2)
    cols = np.repeat(np.fromiter(summaries, dtype=np.int64, count=len(tops)), sizes)  # (margin, sentence) rows
    rows = np.searchsorted(np.asarray(keep, dtype=np.int64), flat[:, 1].astype(np.int64))
    where = np.cumsum([0, *sizes])  # entry number -> (label's list, position in it)
    first = np.zeros(len(flat), dtype=bool)
    first[where[:-1]] = True
    # Margins that are not the sentence's own, among those the engine shows or counts as support (a
    # label's best, and positive ones: the combiner's method floor is 0); the others keep their index.
    moved = np.nonzero((own[rows, cols] < flat[:, 0].astype(np.float32)) & (first | (flat[:, 0] >= 0.0)))[0]
    if moved.size == 0:
        return summaries
    span = np.minimum(rows[moved, None] + np.arange(width)[None, :], len(keep) - 1)  # clipped at the last sentence
    pick = span[np.arange(moved.size), np.argmax(own[span, cols[moved, None]], axis=1)]
    label_at = (np.searchsorted(where, moved, side="right") - 1).tolist()
    at = (moved - where[label_at]).tolist()
    for t, k, r in zip(label_at, at, pick.tolist(), strict=True):
        tops[t][k] = (tops[t][k][0], keep[r])
    return summaries


def _global_rows(owners: np.ndarray, n: int, start: int, width: int) -> np.ndarray:
    """Row numbers, in the margins of all ``n`` texts at once, of a block's rows (texts from ``start``).

    Rows come as the texts, then the runs of 2, 3, ... texts; a new group starts where the first
    text stops growing by one.
    """
    sizes = np.cumsum(np.concatenate(([1], (np.diff(owners) != 1).astype(np.int64))))
    offsets = np.concatenate(([0], np.cumsum([max(0, n - s + 1) for s in range(1, width + 1)])))
    return np.asarray(offsets[sizes - 1] + start + owners, dtype=np.int64)
