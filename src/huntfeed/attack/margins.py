"""The classifier's per-document arithmetic, done with fewer passes and the same floating-point results.

`classifier.SentenceModel.window_decision` multiplies the sentences' TF-IDF rows by the weight
matrix, and `sentence_scores` keeps, per label, each sentence's best margin.  Here:

* `product` adds, for every margin, the same float32 terms as SciPy's sparse kernel (``csr_matmat``,
  behind ``x @ w``), the common n-grams' as whole rows of the weights: each term is one
  multiply-add over a dense weight row of every label (SciPy's ``csc_matvecs``, which the compiler
  vectorises, feature by feature), where the sparse kernel walks each stored weight with a
  branch.  The terms are added in another order than SciPy's, so a margin may differ from
  ``(x @ w).toarray()`` in its last bits (see `DenseRows`);
* `neighbour_dots` is ``x[:-lag].multiply(x[lag:]).sum(axis=1)`` without copying the slices (the same floats);
* `best_per_sentence` and `label_summaries` replace a Python loop over every margin above the
  keep floor (thousands per report) with array operations that give the same values, ties and
  label order.

``tests/test_attack_margins.py`` checks each against the code it replaces (the product within a
float32 rounding tolerance, the rest value for value).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

try:  # SciPy's kernels behind ``csr @ csr`` and ``csc @ dense``; without them the public operator
    from scipy.sparse._sparsetools import csc_matvecs, csr_elmul_csr, csr_matmat, csr_tocsc
except ImportError:  # pragma: no cover - a SciPy that moved them
    csc_matvecs = csr_elmul_csr = csr_matmat = csr_tocsc = None

_CHUNK_ROWS = 2048  # rows per sparse-kernel call: bounds the dense-sized buffers (~15 MB at 600 labels)
# Weight rows with this many labels or more are kept dense for the whole process: the common
# n-grams (6,700 rows of the shipped model, 16 MB) that carry most of a report's multiply-adds.
# The rest are walked weight by weight. (With the row-by-row kernel, 50 labels (28 MB) took 2-3 ms
# less per real report in process but no less in the whole one, and the analyze process's peak
# was 271 MB instead of 250.)
HEAVY_LABELS = 100
LIGHT, NONE = -1, -2  # `DenseRows.kind` of a feature that is not a heavy row
_BUILD_ROWS = 512  # heavy rows filled at a time when the buffer is built


def _spans(counts: np.ndarray) -> np.ndarray:
    """0..c-1 for each count c, concatenated."""
    out: np.ndarray = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    return out


class DenseRows:
    """One weight matrix's common rows as dense float32 rows for `product`, built on first use.

    The heavy rows (``HEAVY_LABELS`` labels or more) carry most of a report's multiply-adds and are
    added as whole rows, one vectorised multiply-add over every label per term; the light ones are
    walked weight by weight, which for a row of a few dozen labels is cheaper than a dense row of
    600 (and costs no buffer to fill and empty).
    """

    def __init__(self, w: sp.csr_matrix) -> None:
        self.w = w
        lengths = np.diff(w.indptr)
        heavy = np.nonzero(lengths >= HEAVY_LABELS)[0]
        self.n_heavy = len(heavy)
        # Per feature: its heavy row, LIGHT (stored weights, not heavy) or NONE (no weights: adds nothing).
        small = self.n_heavy < 2**15  # 2 bytes a feature instead of 4 (2 million features)
        self.kind = np.full(len(lengths), NONE, dtype=np.int16 if small else np.int32)  # (np.where: 16 MB of int64)
        self.kind[lengths > 0] = LIGHT
        self.kind[heavy] = np.arange(self.n_heavy)
        self.rows = np.zeros((self.n_heavy, w.shape[1]), dtype=np.float32)
        buffer = self.rows.ravel()
        # A few hundred rows at a time: the positions of all 1.5 million heavy weights at once took
        # 50 MB for a moment, which stayed the worker's peak memory.
        for a in range(0, self.n_heavy, _BUILD_ROWS):
            which = heavy[a : a + _BUILD_ROWS]
            starts = w.indptr[which].astype(np.int64)
            counts = w.indptr[which + 1].astype(np.int64) - starts
            src = np.repeat(starts, counts) + _spans(counts)
            at = np.arange(a, a + len(which), dtype=np.int64) * w.shape[1]
            buffer[np.repeat(at, counts) + w.indices[src]] = w.data[src]

    def product(self, x: sp.csr_matrix, out: np.ndarray) -> None:
        """``out += (x @ w).toarray()``, rounded differently: float32 sums in another order.

        The heavy terms go feature by feature (SciPy's ``csc_matvecs``: each heavy row is read once
        per call and added into every sentence that has the feature), the light ones through SciPy's
        sparse kernel (``csr_matmat``), whose sums are then added in. Each margin is the same terms
        as SciPy's product added in another order, so it may differ in its last bits (a few 1e-7
        relative); ``tests/test_attack_identity.py`` bounds that and pins every rendered output.
        """
        n, labels = x.shape[0], self.w.shape[1]
        assert out.flags.c_contiguous  # the kernels write through out's rows as one flat view
        kind = self.kind[x.indices]
        heavy = kind >= 0
        hp = _row_pointers(x.indptr, heavy)
        hj, hx = kind[heavy].astype(np.int32), x.data[heavy]
        colptr = np.empty(self.n_heavy + 1, dtype=np.int32)
        hrows, hdata = np.empty(len(hj), dtype=np.int32), np.empty(len(hj), dtype=np.float32)
        csr_tocsc(n, self.n_heavy, hp, hj, hx, colptr, hrows, hdata)  # heavy terms feature by feature
        csc_matvecs(n, self.n_heavy, labels, colptr, hrows, hdata, self.rows.ravel(), out.ravel())
        light = kind == LIGHT
        if light.any():
            lp = _row_pointers(x.indptr, light)
            _add_sparse(n, lp, x.indices[light], x.data[light], self.w, out)


def _row_pointers(indptr: np.ndarray, selected: np.ndarray) -> np.ndarray:
    """The row pointers of a CSR matrix's ``selected`` entries alone."""
    before = np.zeros(len(selected) + 1, dtype=np.int32)
    np.cumsum(selected, out=before[1:])
    out: np.ndarray = before[indptr]
    return out


def _add_sparse(n: int, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, w: sp.csr_matrix,
                out: np.ndarray) -> None:
    """``out += (x @ w).toarray()`` for the CSR ``x`` given by its arrays, by SciPy's sparse kernel,
    ``_CHUNK_ROWS`` rows at a time without the pass SciPy runs first to size its output."""
    labels = w.shape[1]
    flat = out.ravel()
    for a in range(0, n, _CHUNK_ROWS):
        b = min(n, a + _CHUNK_ROWS)
        p0, p1 = int(indptr[a]), int(indptr[b])
        cap = (b - a) * labels
        cp = np.empty(b - a + 1, dtype=np.int32)
        cj = np.empty(cap, dtype=np.int32)
        cx = np.empty(cap, dtype=np.float32)
        csr_matmat(b - a, labels, indptr[a : b + 1] - np.int32(p0), indices[p0:p1], data[p0:p1],
                   w.indptr, w.indices, w.data, cp, cj, cx)
        nnz = int(cp[-1])
        at = np.repeat(np.arange(a, b, dtype=np.int64) * labels, np.diff(cp)) + cj[:nnz]
        flat[at] += cx[:nnz]  # one entry per (row, label): no repeats within a call


_DENSE: dict[int, DenseRows] = {}


def dense_rows(w: sp.csr_matrix) -> DenseRows:
    """The process's `DenseRows` of ``w``, by identity: a process has one model; another one (a test,
    a reload) replaces it, so at most one set of dense rows (16 MB) is kept."""
    found = _DENSE.get(id(w))
    if found is None or found.w is not w:
        _DENSE.clear()
        found = _DENSE[id(w)] = DenseRows(w)
    return found


def product(x: sp.csr_matrix, w: sp.csr_matrix) -> np.ndarray:
    """``(x @ w).toarray()`` as float32: the same terms, added in another order (`DenseRows.product`)."""
    n, labels = x.shape[0], w.shape[1]
    out = np.zeros((n, labels), dtype=np.float32)
    arrays = (x.indptr, x.indices, w.indptr, w.indices)
    kernels = csc_matvecs is not None and csr_matmat is not None and csr_tocsc is not None
    if not kernels or x.dtype != np.float32 or w.dtype != np.float32 or any(a.dtype != np.int32 for a in arrays):
        if n:
            out[:] = (x @ w).toarray()
        return out
    if n:
        dense_rows(w).product(x, out)
    return out


def tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """``counts.multiply(idf.reshape(1, -1)).tocsr()`` (the same products) without its stored zeros.

    A feature the model never saw has idf 0; SciPy keeps those zeros, and every later step drops
    them (`row_sums` sees only the products SciPy's element-wise kernel stores).
    """
    data = counts.data * idf[counts.indices]
    keep = data != 0
    indptr = np.concatenate(([0], np.cumsum(keep)))[counts.indptr].astype(np.int32)  # kept entries before each row
    return sp.csr_matrix((data[keep], counts.indices[keep], indptr), shape=counts.shape)


def row_sums(x: sp.csr_matrix, values: np.ndarray) -> np.ndarray:
    """Per row of ``x``, the sum of ``values`` (one per stored entry) as SciPy's ``sum(axis=1)`` adds them."""
    out = np.zeros(x.shape[0], dtype=values.dtype)
    rows = np.flatnonzero(np.diff(x.indptr))
    if rows.size:
        out[rows] = np.add.reduceat(values, x.indptr[rows])
    return out


def neighbour_dots(x: sp.csr_matrix, lag: int) -> np.ndarray:
    """``x[:-lag].multiply(x[lag:]).sum(axis=1)`` for a CSR ``x`` with sorted indices, the same floats.

    SciPy's element-wise kernel run on the rows where they are (no copies of the two slices) and
    each row's products added in stored order, as ``sum(axis=1)`` adds them.
    """
    m = max(x.shape[0] - lag, 0)
    if csr_elmul_csr is None or not x.has_sorted_indices:  # SciPy's operators (their own order)
        return np.asarray(x[:-lag].multiply(x[lag:]).sum(axis=1)).ravel()[:m]
    a, b = x.indptr[: m + 1], x.indptr[lag : lag + m + 1]
    cap = int(a[-1] - a[0]) if m else 0  # a row's products are at most its stored entries
    cp = np.empty(m + 1, dtype=x.indptr.dtype)
    cj = np.empty(cap, dtype=x.indices.dtype)
    cx = np.empty(cap, dtype=x.dtype)
    csr_elmul_csr(m, x.shape[1], a, x.indices, x.data, b, x.indices, x.data, cp, cj, cx)
    out = np.zeros(m, dtype=x.dtype)
    rows = np.flatnonzero(np.diff(cp))
    if rows.size:
        out[rows] = np.add.reduceat(cx[: int(cp[-1])], cp[rows])
    return out


def best_per_sentence(scores: np.ndarray, first: Sequence[int], n: int, keep: float) -> tuple[np.ndarray, np.ndarray]:
    """Per sentence and label: the best margin of the runs starting there, and the label order of first hits.

    ``scores`` rows are the n sentences and then runs of neighbours; ``first[r]`` is the sentence a
    row is credited to.  Margins at or below ``keep`` are dropped (they come out as ``keep``).  The
    label order is the order in which a row-by-row scan of ``scores`` first meets each label above
    ``keep`` (the order the per-margin loop created its entries in).
    """
    best = best_margins(scores, np.asarray(first, dtype=np.int64), n, keep)
    above = scores > keep
    seen = above.any(axis=0)
    first_row = np.argmax(above, axis=0)
    cols = np.nonzero(seen)[0]
    order = cols[np.lexsort((cols, first_row[cols]))]
    return best, order


def best_margins(scores: np.ndarray, owners: np.ndarray, n: int, keep: float) -> np.ndarray:
    """`best_per_sentence`'s margins alone."""
    best = np.full((n, scores.shape[1]), keep, dtype=np.float32)
    # Rows come in runs credited to consecutive sentences (the sentences, then each run length):
    # one element-wise maximum per run of rows instead of one per row.
    cuts = [0, *(np.nonzero(np.diff(owners) != 1)[0] + 1).tolist(), len(owners)]
    for a, b in zip(cuts, cuts[1:], strict=False):
        if b > a:
            o = int(owners[a])
            np.maximum(best[o : o + b - a], scores[a:b], out=best[o : o + b - a])
    return best


def label_summaries(
    best: np.ndarray, index: Sequence[int], keep: float, top: int
) -> dict[int, tuple[list[tuple[float, int]], int, int]]:
    """Per label column with a margin above ``keep``: its best ``top`` (margin, sentence) pairs, descending
    (ties: the later sentence first), how many sentences passed ``keep``, how many were positive.

    ``index[j]`` is the sentence number reported for row j (rows are the kept sentences, in order).
    """
    rows, cols = np.nonzero(best > keep)  # row by row (contiguous); the sort below sets the order
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
