"""The classifier's per-document arithmetic, done with fewer passes and the same floating-point results.

`classifier.SentenceModel.window_decision` multiplies the sentences' TF-IDF rows by the weight
matrix, and `sentence_scores` keeps, per label, each sentence's best margin.  Here:

* `product` adds, for every margin, the same float32 terms in the same order as SciPy's sparse
  kernel (``csr_matmat``, behind ``x @ w``), but as whole rows of the weights: each term of a
  sentence's row is one multiply-add over a dense weight row of every label (SciPy's
  ``csc_matvecs``, which the compiler vectorises, feature by feature), where the sparse kernel
  walks each stored weight with a branch.  A weight the sparse row does not store is a zero in the
  dense one and adds an exact zero, so every sum is the same float (see `DenseRows`);
* `scale_rows` is ``diags(v) @ x`` as one multiplication per stored value (the same products);
* `neighbour_dots` is ``x[:-lag].multiply(x[lag:]).sum(axis=1)`` without copying the slices (the same floats);
* `best_per_sentence` and `label_summaries` replace a Python loop over every margin above the
  keep floor (thousands per report) with array operations that give the same values, ties and
  label order.

``tests/test_attack_margins.py`` checks each against the code it replaces.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from huntfeed._native import load

try:  # SciPy's kernels behind ``csr @ csr`` and ``csc @ dense``; without them the public operator
    from scipy.sparse._sparsetools import csc_matvecs, csr_elmul_csr, csr_matmat, csr_row_index, csr_todense
except ImportError:  # pragma: no cover - a SciPy that moved them
    csc_matvecs = csr_elmul_csr = csr_matmat = csr_row_index = csr_todense = None

_CHUNK_ROWS = 2048  # rows per sparse-kernel call: bounds the dense-sized buffers (~15 MB at 600 labels)
# Weight rows with this many labels or more are kept dense for the whole process: the common
# n-grams (6,700 rows of the shipped model, 16 MB) that carry most of a report's multiply-adds.
# The rest are made dense per chunk of features, from their stored weights. (With the row-by-row
# kernel, 50 labels (28 MB) took 2-3 ms less per real report in process but no less in the whole
# one, and the analyze process's peak was 271 MB instead of 250.)
HEAVY_LABELS = 100
LIGHT_SLOTS = 2048  # features whose weight rows are put into the buffer at a time (5 MB)
LIGHT, NONE = -1, -2  # `DenseRows.kind` of a feature that is not a heavy row
_BUILD_ROWS = 512  # heavy rows filled at a time when the buffer is built


def _spans(counts: np.ndarray) -> np.ndarray:
    """0..c-1 for each count c, concatenated."""
    out: np.ndarray = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    return out


class DenseRows:
    """One weight matrix's rows as dense float32 rows for `product`: the heavy rows for good, and a
    buffer of ``LIGHT_SLOTS`` rows that each chunk of features fills (heavy rows copied, the others
    from their stored weights by SciPy's ``csr_row_index`` and ``csr_todense``) and empties again
    (heavy rows zeroed, the others by adding their negated weights: v + -v is +0.0 for finite v).

    The buffer is shared, so one chunk at a time uses it (a lock); it is built on first use.
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
            flat, values = self._entries(heavy[a : a + _BUILD_ROWS], a)
            buffer[flat] = values
        self.chunk = np.zeros((LIGHT_SLOTS, w.shape[1]), dtype=np.float32)
        self.lock = threading.Lock()
        self.finite = bool(np.isfinite(w.data).all())  # else light rows are emptied by zeroing whole rows

    def _entries(self, which: np.ndarray, first: int) -> tuple[np.ndarray, np.ndarray]:
        """Flat buffer positions and values of every stored weight of rows ``which``, put from buffer row ``first``."""
        return self._entries_at(which, np.arange(first, first + len(which), dtype=np.int64))

    def _entries_at(self, which: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Flat positions and values of every stored weight of rows ``which``, row ``which[j]`` put at row ``at[j]``."""
        w = self.w
        starts = w.indptr[which].astype(np.int64)
        counts = w.indptr[which + 1].astype(np.int64) - starts
        src = np.repeat(starts, counts) + _spans(counts)
        return np.repeat(at * w.shape[1], counts) + w.indices[src], w.data[src]

    def product(self, x: sp.csr_matrix, out: np.ndarray) -> None:
        """``out[:] = (x @ w).toarray()``, float for float; ``out`` is zeros.

        Feature by feature: SciPy's ``csc_matvecs`` adds, for each feature (a column of ``x``) in turn,
        its weight row times each sentence's value into that sentence's margins, so every weight row
        is read once per chunk instead of once per sentence that has it (memory traffic was the cost).
        A sentence's terms then arrive in the order its features are visited; visiting them in the
        order each row stores them (descending, as `scale_rows` lays rows out; or ascending) adds
        every margin's terms in the row-by-row kernel's order, so the floats are the same. Rows in
        any other order go to SciPy's sparse kernel, which adds the same terms in stored order.
        """
        n = x.shape[0]
        assert out.flags.c_contiguous  # the kernel writes through out's rows as one flat view
        native = load("attack_kernels")
        if native is not None:  # row by row in stored order, any order (the same floats; attack_kernels.c)
            w = self.w
            native.product(x.indptr, x.indices, x.data, self.kind, self.rows, w.indptr, w.indices, w.data, out)
            return
        slot = self.kind[x.indices]
        used = slot != NONE  # a term without weights adds nothing in either kernel
        rows = np.repeat(np.arange(n, dtype=np.int32), np.diff(x.indptr))[used]
        cols = x.indices[used]
        step = np.diff(cols)[rows[1:] == rows[:-1]]  # between neighbouring terms of one row
        descending = bool((step < 0).all())
        if not descending and not (step > 0).all():
            out[:] = _sparse_product(x, self.w)
            return
        order = stable_order(cols)
        if descending:
            order = order[::-1]
        cols = cols[order]
        new = np.empty(len(cols), dtype=bool)
        new[:1] = True
        np.not_equal(cols[1:], cols[:-1], out=new[1:])
        first = np.append(np.flatnonzero(new), len(cols))  # each feature's first term, in visiting order
        self._features(n, cols[first[:-1]], slot[used][order][first[:-1]], first, rows[order],
                       x.data[used][order], out)

    def _features(self, n: int, feats: np.ndarray, kinds: np.ndarray, first: np.ndarray, rows: np.ndarray,
                  data: np.ndarray, out: np.ndarray) -> None:
        """The kernel over chunks of ``LIGHT_SLOTS`` features: their rows put into the buffer, then emptied."""
        labels, size = self.w.shape[1], self.chunk.shape[0]
        flat_out, buffer = out.ravel(), self.chunk.ravel()
        with self.lock:
            for a in range(0, len(feats), size):
                b = min(len(feats), a + size)
                kind = kinds[a:b]
                heavy = np.flatnonzero(kind >= 0)
                self.chunk[heavy] = self.rows[kind[heavy]]
                slots, lp, lj, lx = self._light_rows(feats[a:b], kind < 0)
                csr_todense(b - a, labels, lp, lj, lx, buffer)  # (adds into the zeros)
                p0, p1 = int(first[a]), int(first[b])
                colptr = (first[a : b + 1] - p0).astype(np.int32)
                try:
                    csc_matvecs(n, b - a, labels, colptr, rows[p0:p1], data[p0:p1], buffer, flat_out)
                finally:
                    self.chunk[heavy] = 0.0
                    if self.finite:
                        csr_todense(b - a, labels, lp, lj, np.negative(lx), buffer)
                    else:
                        self.chunk[slots] = 0.0

    def _light_rows(self, feats: np.ndarray, light: np.ndarray) -> tuple[np.ndarray, ...]:
        """The stored weights of the ``light`` features as a CSR matrix over all of ``feats`` (the others empty)."""
        w = self.w
        slots = np.flatnonzero(light)
        which = feats[slots].astype(w.indptr.dtype)
        lengths = np.zeros(len(feats), dtype=w.indptr.dtype)
        lengths[slots] = w.indptr[which + 1] - w.indptr[which]
        indptr = np.zeros(len(feats) + 1, dtype=w.indptr.dtype)
        np.cumsum(lengths, out=indptr[1:])
        indices = np.empty(int(indptr[-1]), dtype=w.indices.dtype)
        values = np.empty(int(indptr[-1]), dtype=w.data.dtype)
        csr_row_index(len(which), which, w.indptr, w.indices, w.data, indices, values)
        return slots, indptr, indices, values


def stable_order(keys: np.ndarray) -> np.ndarray:
    """``np.argsort(keys, kind="stable")`` of non-negative integers, as radix passes over 16 bits at a time.

    NumPy sorts 16-bit integers stably by radix and wider ones by timsort: for the product's 37,000
    feature numbers (21 bits) per report two radix passes take 0.5 ms instead of 1.5-2.6 (the
    same permutation: each pass is stable, least significant digit first).
    """
    top = int(keys.max()) if keys.size else 0
    if keys.size == 0 or int(keys.min()) < 0 or top >= 2**48:
        return np.argsort(keys, kind="stable")
    order = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    shift = 16
    while top >> shift:
        order = order[np.argsort(((keys >> shift) & 0xFFFF).astype(np.uint16)[order], kind="stable")]
        shift += 16
    return order


_DENSE: dict[int, DenseRows] = {}


def dense_rows(w: sp.csr_matrix) -> DenseRows:
    """The process's `DenseRows` of ``w``, by identity: a process has one model; another one (a test,
    a reload) replaces it, so at most one set of buffers (21 MB) is kept."""
    found = _DENSE.get(id(w))
    if found is None or found.w is not w:
        _DENSE.clear()
        found = _DENSE[id(w)] = DenseRows(w)
    return found


def product(x: sp.csr_matrix, w: sp.csr_matrix) -> np.ndarray:
    """``(x @ w).toarray()`` as float32, with the same terms added in the same order (`DenseRows`)."""
    n, labels = x.shape[0], w.shape[1]
    out = np.zeros((n, labels), dtype=np.float32)
    arrays = (x.indptr, x.indices, w.indptr, w.indices)
    kernels = None not in (csc_matvecs, csr_matmat, csr_row_index, csr_todense)
    if not kernels or x.dtype != np.float32 or w.dtype != np.float32 or any(a.dtype != np.int32 for a in arrays):
        if n:
            out[:] = (x @ w).toarray()
        return out
    if n:
        dense_rows(w).product(x, out)
    return out


def _sparse_product(x: sp.csr_matrix, w: sp.csr_matrix) -> np.ndarray:
    """``(x @ w).toarray()`` by SciPy's sparse kernel, without the pass SciPy runs first to size its output."""
    n, labels = x.shape[0], w.shape[1]
    out = np.zeros((n, labels), dtype=np.float32)
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
