"""The classifier's per-document arithmetic (attack/margins.py) against the code it replaced, value for value."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp

from huntfeed.attack import margins
from huntfeed.attack.classifier import _MIN_CHARS, _TOP_SENTENCES, SentenceModel, raw_counts
from huntfeed.attack.combine import CLF_KEEP
from huntfeed.attack.engine import AttackEngine
from huntfeed.attack.text import Sentence, split_sentences
from huntfeed.feeds.article import document_text
from huntfeed.paths import package_data
from tests.conftest import SHARED


@pytest.fixture(scope="module")
def engine() -> AttackEngine:
    return AttackEngine.load()


def _texts() -> list[str]:
    pages = sorted(package_data("demo").rglob("*.html"))
    texts = [document_text(p.read_text(encoding="utf-8"), "") for p in pages]
    dev = SHARED / "eval" / "reports_dev.jsonl"
    if dev.is_file():
        texts += [json.loads(line)["full_text"] for line in dev.open(encoding="utf-8")][:40]
    return texts


def _reference_window(model: SentenceModel, texts: list[str], width: int) -> tuple[np.ndarray, list[int]]:
    """window_decision as it was written before margins.py (SciPy's operators throughout)."""
    n = len(texts)
    x = raw_counts(texts, model.char_ngrams).multiply(model.idf.reshape(1, -1)).tocsr()
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    safe = np.where(norms > 0, norms, 1.0)
    raw = np.asarray(((sp.diags(1.0 / safe) @ x) @ model.weights).toarray(), dtype=np.float64)
    unnorm = raw * norms.reshape(-1, 1)
    rows, owners = [raw], list(range(n))
    dots = {lag: np.asarray(x[:-lag].multiply(x[lag:]).sum(axis=1)).ravel() for lag in range(1, width)}
    for size in range(2, width + 1):
        m = n - size + 1
        if m <= 0:
            break
        num = sum(unnorm[k : k + m] for k in range(size))
        sq = sum(norms[k : k + m] ** 2 for k in range(size))
        for lag in range(1, size):
            for k in range(size - lag):
                sq = sq + 2.0 * dots[lag][k : k + m]
        rows.append(num / np.sqrt(np.maximum(sq, 1e-12)).reshape(-1, 1))
        owners.extend(range(m))
    return (np.vstack(rows) + model.bias.reshape(1, -1)).astype(np.float32), owners


def _reference_scores(engine: AttackEngine, sentences: list[Sentence]) -> dict[str, object]:
    """sentence_scores as it was: a loop over every margin above the keep floor (then each margin named
    by the sentence that carries it, as `classifier._carriers` does)."""
    model = engine.model
    assert model is not None
    keep = [i for i, s in enumerate(sentences) if len(s.text) >= _MIN_CHARS]
    texts = [sentences[i].text for i in keep]
    if not texts:
        return {}
    scores, first = _reference_window(model, texts, int(model.meta.get("windows") or 1))  # type: ignore[call-overload]
    owners = [keep[j] for j in first]
    out: dict[str, dict[int, float]] = {}
    rows, cols = np.nonzero(scores > CLF_KEEP)
    for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
        per = out.setdefault(model.labels[c], {})
        idx, val = owners[r], float(scores[r, c])
        if val > per.get(idx, CLF_KEEP):
            per[idx] = val
    result: dict[str, object] = {}
    for label, per in out.items():
        tid = engine.catalog.resolve(label)
        if tid is None or tid in result:
            continue
        vals = sorted(((v, i) for i, v in per.items()), reverse=True)
        c = model.labels.index(label)
        width = int(model.meta.get("windows") or 1)  # type: ignore[call-overload]
        top = [
            (v, _carrier(scores, keep, i, c, v, width) if k == 0 or v >= 0 else i)
            for k, (v, i) in enumerate(vals[:_TOP_SENTENCES])
        ]
        result[tid] = (top, len(vals), sum(1 for v, _ in vals if v > 0))
    return result


def _carrier(scores: np.ndarray, keep: list[int], i: int, c: int, v: float, width: int) -> int:
    """The sentence that carries margin v of label c credited to sentence i: i itself where v is its own
    margin, else the member of its longest run with the best own margin (the first on ties).  Only a
    label's best margin and positive ones are renamed (the others are neither shown nor support)."""
    r = keep.index(i)
    if scores[r, c] >= v:
        return i
    members = range(r, min(r + width, len(keep)))
    return keep[max(members, key=lambda j: (float(scores[j, c]), -j))]


def test_sentence_scores_equal_the_per_margin_loop_on_the_demo_and_dev_reports(engine: AttackEngine) -> None:
    model = engine.model
    assert model is not None and model.meta.get("window_mode") != "exact"
    for text in _texts():
        sentences = split_sentences(text)
        want = _reference_scores(engine, sentences)
        got = model.sentence_scores(sentences, engine.catalog)
        assert list(got.items()) == list(want.items())  # the same values, ties and id order


def test_window_margins_are_the_same_floats(engine: AttackEngine) -> None:
    model = engine.model
    assert model is not None
    for text in _texts()[:12]:
        texts = [s.text for s in split_sentences(text) if len(s.text) >= _MIN_CHARS]
        want, want_first = _reference_window(model, texts, 3)
        got, got_first = model.window_decision(texts, 3)
        assert got_first == want_first
        assert np.array_equal(got, want)


def test_scale_rows_lays_out_and_multiplies_as_diags_times_x() -> None:
    rng = np.random.default_rng(7)
    x = sp.random(40, 300, density=0.05, format="csr", dtype=np.float32, random_state=rng)
    x.data[x.indptr[3] : x.indptr[4]] = 0.0  # an empty row
    x.eliminate_zeros()
    factors = rng.random(40).astype(np.float32) + np.float32(0.1)
    factors[5] = 0.0  # a zero factor: SciPy's product stores nothing for that row
    want, got = sp.diags(factors) @ x, margins.scale_rows(x, factors)
    for name in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(got, name), getattr(want, name)), name


@pytest.mark.parametrize("n", [0, 1, 2, 3, 40])
def test_neighbour_dots_are_scipys_floats(n: int) -> None:
    rng = np.random.default_rng(n)
    x = sp.random(n, 300, density=0.08, format="csr", dtype=np.float32, random_state=rng)
    if n > 5:
        x.data[x.indptr[3] : x.indptr[5]] = 0.0  # empty rows, neighbours of each other
        x.eliminate_zeros()
    x.data = (x.data - np.float32(0.5)) * np.float32(3.0)  # cancellations
    for lag in (1, 2, 3):
        want = np.asarray(x[:-lag].multiply(x[lag:]).sum(axis=1)).ravel()[: max(n - lag, 0)]
        got = margins.neighbour_dots(x, lag)
        assert got.dtype == want.dtype and got.tobytes() == want.tobytes()


@pytest.mark.parametrize("rows", [0, 1, 7, 2500])  # 2500: more than one kernel call
def test_product_is_scipys_product(rows: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(rows)
    x = sp.random(rows, 500, density=0.03, format="csr", dtype=np.float32, random_state=rng)
    w = sp.random(500, 37, density=0.2, format="csr", dtype=np.float32, random_state=rng)
    want = (x @ w).toarray() if rows else np.zeros((0, 37), np.float32)
    assert np.array_equal(margins.product(x, w), want)
    monkeypatch.setattr(margins, "csr_matmat", None)  # the public operator's path
    monkeypatch.setattr(margins, "csc_matvecs", None)
    assert np.array_equal(margins.product(x, w), want)


@pytest.mark.parametrize(("heavy", "slots"), [(1000, 4096), (30, 4096), (30, 64), (0, 64), (30, 3)])
def test_product_by_dense_rows_adds_the_same_floats(heavy: int, slots: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # heavy rows dense for good, the others per chunk; few slots: many chunks; 3 slots: rows with
    # more light terms than slots go to the sparse kernel. Every case gives SciPy's floats exactly.
    monkeypatch.setattr(margins, "HEAVY_LABELS", heavy)
    monkeypatch.setattr(margins, "LIGHT_SLOTS", slots)
    rng = np.random.default_rng(heavy + slots)
    x = sp.random(300, 2000, density=0.02, format="csr", dtype=np.float32, random_state=rng)
    w = sp.random(2000, 120, density=0.05, format="csr", dtype=np.float32, random_state=rng)
    common = rng.choice(2000, 200, replace=False)  # rows with most labels, as the common n-grams have
    dense = w.toarray()
    dense[common] = rng.standard_normal((200, 120)).astype(np.float32) * (rng.random((200, 120)) < 0.6)
    dense[rng.choice(2000, 300, replace=False)] = 0.0  # features with no weights at all
    w = sp.csr_matrix(dense)
    x.data = (x.data - np.float32(0.3)) * np.float32(3.0)  # negative terms too: cancellations
    want = (x @ w).toarray()
    got = margins.product(x, w)
    assert got.tobytes() == want.tobytes()  # bit for bit (no -0.0 where SciPy stores nothing)
    # Rows stored in ascending and in descending column order (scale_rows' layout, the pipeline's)
    # both take the feature-by-feature kernel; rows in no order, SciPy's sparse kernel.
    x.sort_indices()
    flipped = margins.scale_rows(x, np.ones(x.shape[0], dtype=np.float32))
    assert (np.diff(flipped.indices)[np.diff(flipped.indices) != 0] < 0).any()  # really reversed
    shuffled = x.copy()
    for r in range(0, 300, 7):
        a, b = shuffled.indptr[r], shuffled.indptr[r + 1]
        perm = a + rng.permutation(b - a)
        shuffled.indices[a:b], shuffled.data[a:b] = shuffled.indices[perm], shuffled.data[perm]
    for layout in (x, flipped, shuffled):
        assert margins.product(layout, w).tobytes() == (layout @ w).toarray().tobytes()
    assert margins.dense_rows(w).n_heavy == int((np.diff(w.indptr) >= heavy).sum())
    assert not margins.dense_rows(w).chunk.any()  # the buffer is emptied


def test_a_weight_that_is_not_finite_empties_the_buffer_by_zeroing(monkeypatch: pytest.MonkeyPatch) -> None:
    # light rows are emptied by adding their negated weights, which leaves nan where a weight is inf
    monkeypatch.setattr(margins, "HEAVY_LABELS", 30)
    rng = np.random.default_rng(5)
    x = sp.random(50, 400, density=0.05, format="csr", dtype=np.float32, random_state=rng)
    w = sp.random(400, 60, density=0.05, format="csr", dtype=np.float32, random_state=rng)
    w.data[::97] = np.inf
    got, want = margins.product(x, w), (x @ w).toarray()
    assert np.array_equal(got, want, equal_nan=True)
    assert not margins.dense_rows(w).finite and not margins.dense_rows(w).chunk.any()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tfidf_and_norms_are_scipys(seed: int) -> None:
    rng = np.random.default_rng(seed)
    counts = sp.random(60, 400, density=0.06, format="csr", dtype=np.float32, random_state=rng)
    counts.data = np.float32(1.0) + np.log(np.ceil(counts.data * 4).astype(np.float32))
    for r in (0, 7, 8, 59):  # empty rows, first and last among them
        counts.data[counts.indptr[r] : counts.indptr[r + 1]] = 0.0
    counts.eliminate_zeros()
    idf = (rng.random(400) * 5).astype(np.float32)
    idf[rng.choice(400, 120, replace=False)] = 0.0  # features the model never saw
    want = counts.multiply(idf.reshape(1, -1)).tocsr()
    x = margins.tfidf(counts, idf)
    assert np.array_equal(x.toarray(), want.toarray()) and not (x.data == 0).any()
    assert np.array_equal(margins.row_sums(x, x.data * x.data), np.asarray(want.multiply(want).sum(axis=1)).ravel())


def test_best_per_sentence_and_summaries_on_a_table() -> None:
    keep = CLF_KEEP
    # rows: sentences 0..2, then runs credited to sentences 0..1
    scores = np.array(
        [[-2.0, 0.5, -1.0], [0.25, -3.0, -0.5], [-1.5, -1.5, -2.0], [-0.75, 0.5, -4.0], [0.3, -2.0, -5.0]],
        dtype=np.float32,
    )
    best, order = margins.best_per_sentence(scores, [0, 1, 2, 0, 1], 3, keep)
    assert best.tolist() == [[-0.75, 0.5, -1.0], [0.30000001192092896, -1.0, -0.5], [-1.0, -1.0, -1.0]]
    assert order.tolist() == [1, 0, 2]  # label 1 meets the floor in row 0, labels 0 and 2 in row 1
    got = margins.label_summaries(best, [4, 9, 11], keep, 5)
    assert got == {
        0: ([(0.30000001192092896, 9), (-0.75, 4)], 2, 1),
        1: ([(0.5, 4)], 1, 1),
        2: ([(-0.5, 9)], 1, 0),
    }
    tie = margins.label_summaries(np.array([[0.5], [0.5]], dtype=np.float32), [0, 1], keep, 1)
    assert tie == {0: ([(0.5, 1)], 2, 2)}  # a tie: the later sentence first, as sorted(reverse=True)


@pytest.mark.parametrize("block", [1, 7, 64])
def test_sentence_scores_in_blocks_equal_one_block(engine: AttackEngine, block: int) -> None:
    # blocks bound the memory of long texts; runs that start in one block and reach into the next
    # are scored there, so the result is the same whatever the block size
    model = engine.model
    assert model is not None
    for text in _texts()[:8]:
        sentences = split_sentences(text)
        assert list(model.sentence_scores(sentences, engine.catalog, block=block).items()) == list(
            model.sentence_scores(sentences, engine.catalog, block=100_000).items()
        )


@pytest.mark.parametrize("top", [1, 2**16 - 1, 2**16, 2**21, 2**33, 2**50])
def test_stable_order_is_numpys_stable_argsort(top: int) -> None:
    rng = np.random.default_rng(top)
    for size in (0, 1, 7, 5000):
        keys = rng.integers(0, top, size, endpoint=True)
        keys[: size // 3] = keys[size // 2 : size // 2 + size // 3]  # many ties: their order is the point
        for dtype in (np.int32, np.int64):
            if top < 2**31 or dtype is np.int64:
                k = keys.astype(dtype)
                assert np.array_equal(margins.stable_order(k), np.argsort(k, kind="stable"))
    assert np.array_equal(margins.stable_order(np.array([3, -1, 3, 0])), [1, 3, 0, 2])
