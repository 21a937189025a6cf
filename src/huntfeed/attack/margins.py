"""The classifier's per-document arithmetic, done with fewer passes and the same floating-point results.

`classifier.SentenceModel.window_decision` multiplies the sentences' TF-IDF rows by the weight
matrix, and `sentence_scores` keeps, per label, each sentence's best margin.  Here:

* `product` runs SciPy's own sparse kernel (``csr_matmat``: the same additions in the same order,
  so the same float32 sums) into a buffer sized for a dense result, skipping the counting pass
  SciPy runs first to size its output (40 % of the product's time on real reports);
* `scale_rows` is ``diags(v) @ x`` as one multiplication per stored value (the same products);
* `best_per_sentence` and `label_summaries` replace a Python loop over every margin above the
  keep floor (thousands per report) with array operations that give the same values, ties and
  label order.

``tests/test_attack_margins.py`` checks each against the code it replaces.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

try:  # SciPy's kernel behind ``csr @ csr``; without it the public operator gives the same numbers
    from scipy.sparse._sparsetools import csr_matmat
except ImportError:  # pragma: no cover - a SciPy that moved it
    csr_matmat = None

_CHUNK_ROWS = 2048  # rows per kernel call: bounds the dense-sized buffers (~15 MB at 600 labels)


def product(x: sp.csr_matrix, w: sp.csr_matrix) -> np.ndarray:
    """``(x @ w).toarray()`` as float32, computed by the same kernel on the same stored order."""
    n, labels = x.shape[0], w.shape[1]
    out = np.zeros((n, labels), dtype=np.float32)
    arrays = (x.indptr, x.indices, w.indptr, w.indices)
    if csr_matmat is None or x.dtype != np.float32 or w.dtype != np.float32 or any(a.dtype != np.int32 for a in arrays):
        if n:
            out[:] = (x @ w).toarray()
        return out
    for a in range(0, n, _CHUNK_ROWS):
        b = min(n, a + _CHUNK_ROWS)
        p0, p1 = int(x.indptr[a]), int(x.indptr[b])
        cap = (b - a) * labels
        cp = np.empty(b - a + 1, dtype=np.int32)
        cj = np.empty(cap, dtype=np.int32)
        cx = np.empty(cap, dtype=np.float32)
        indptr = x.indptr[a : b + 1] - np.int32(p0)
        csr_matmat(b - a, labels, indptr, x.indices[p0:p1], x.data[p0:p1], w.indptr, w.indices, w.data, cp, cj, cx)
        nnz = int(cp[-1])
        rows = np.repeat(np.arange(a, b), np.diff(cp))
        out[rows, cj[:nnz]] = cx[:nnz]
    return out


def scale_rows(x: sp.csr_matrix, factors: np.ndarray) -> sp.csr_matrix:
    """``sp.diags(factors) @ x`` for a CSR ``x`` without duplicate entries, laid out as SciPy's product lays it out.

    Every stored value is multiplied by its row's factor once (the same products); SciPy's kernel
    emits each row's columns in reverse order, and the weight product that follows adds its terms
    in stored order, so the same order is kept here for the same float32 sums.
    """
    lengths = np.diff(x.indptr).astype(np.int64)
    starts = np.repeat(x.indptr[:-1].astype(np.int64), lengths)
    ends = np.repeat(x.indptr[1:].astype(np.int64), lengths)
    perm = starts + ends - 1 - np.arange(x.nnz, dtype=np.int64)  # each row reversed
    dtype = np.result_type(x.dtype, factors.dtype)
    scaled = x.data[perm].astype(dtype, copy=False) * np.repeat(factors.astype(dtype, copy=False), lengths)
    out = sp.csr_matrix((scaled, x.indices[perm], x.indptr.copy()), shape=x.shape)
    out.has_sorted_indices = False
    out.eliminate_zeros()
    return out


def best_per_sentence(scores: np.ndarray, first: Sequence[int], n: int, keep: float) -> tuple[np.ndarray, np.ndarray]:
    """Per sentence and label: the best margin of the runs starting there, and the label order of first hits.

    ``scores`` rows are the n sentences and then runs of neighbours; ``first[r]`` is the sentence a
    row is credited to.  Margins at or below ``keep`` are dropped (they come out as ``keep``).  The
    label order is the order in which a row-by-row scan of ``scores`` first meets each label above
    ``keep`` (the order the per-margin loop created its entries in).
    """
    owners = np.asarray(first, dtype=np.int64)
    best = np.full((n, scores.shape[1]), keep, dtype=np.float32)
    # Rows come in runs credited to consecutive sentences (the sentences, then each run length):
    # one element-wise maximum per run of rows instead of one per row.
    cuts = [0, *(np.nonzero(np.diff(owners) != 1)[0] + 1).tolist(), len(owners)]
    for a, b in zip(cuts, cuts[1:], strict=False):
        if b > a:
            o = int(owners[a])
            np.maximum(best[o : o + b - a], scores[a:b], out=best[o : o + b - a])
    above = scores > keep
    seen = above.any(axis=0)
    first_row = np.argmax(above, axis=0)
    cols = np.nonzero(seen)[0]
    order = cols[np.lexsort((cols, first_row[cols]))]
    return best, order


def label_summaries(
    best: np.ndarray, index: Sequence[int], keep: float, top: int
) -> dict[int, tuple[list[tuple[float, int]], int, int]]:
    """Per label column with a margin above ``keep``: its best ``top`` (margin, sentence) pairs, descending
    (ties: the later sentence first), how many sentences passed ``keep``, how many were positive.

    ``index[j]`` is the sentence number reported for row j (rows are the kept sentences, in order).
    """
    above = np.greater(best.T, keep)
    cols, rows = np.nonzero(above)  # by label, then by row
    if cols.size == 0:
        return {}
    vals = best[rows, cols]
    ranked = np.lexsort((-rows, -vals.astype(np.float64), cols))  # label, margin desc, row desc
    cols, rows, vals = cols[ranked], rows[ranked], vals[ranked]
    labels, starts, counts = np.unique(cols, return_index=True, return_counts=True)
    positive = np.add.reduceat((vals > 0).astype(np.int64), starts)
    sentence = np.asarray(index, dtype=np.int64)[rows].tolist()
    margin = vals.tolist()
    out: dict[int, tuple[list[tuple[float, int]], int, int]] = {}
    for c, a, k, p in zip(labels.tolist(), starts.tolist(), counts.tolist(), positive.tolist(), strict=True):
        b = a + min(k, top)
        out[c] = (list(zip(margin[a:b], sentence[a:b], strict=True)), k, p)
    return out
