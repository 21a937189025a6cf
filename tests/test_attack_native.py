"""The ATT&CK classifier's C kernels (``_native/attack_kernels.c``) against their Python twins.

`hashing.raw_counts` and `margins.product` use the kernels where they are built and the twins
(`hashing.twin_counts`, `margins.DenseRows`' NumPy path) under ``HUNTFEED_PURE=1``: both give the
same arrays and the same floats, bit for bit. Inputs in, exact outputs out, then hostile inputs
(no crash: an exception of the right type).
"""

from __future__ import annotations

import json
from types import ModuleType, SimpleNamespace

import mmh3
import numpy as np
import pytest
import scipy.sparse as sp

from huntfeed._native import load
from huntfeed.attack import hashing, margins
from huntfeed.attack.classifier import CHAR_NGRAMS, SentenceModel
from huntfeed.attack.engine import AttackEngine
from huntfeed.attack.text import split_sentences
from huntfeed.feeds.article import document_text
from huntfeed.paths import package_data
from tests.conftest import shared_path


@pytest.fixture(scope="module")
def native() -> ModuleType:
    module = load("attack_kernels")
    if module is None:
        pytest.skip("huntfeed._native.attack_kernels is not built (no C compiler?) or HUNTFEED_PURE=1")
    return module


def _counts(native: ModuleType, texts: list[str], lo: int = 3, hi: int = 5) -> tuple[list[int], list[int], list[float]]:
    indptr, indices, counts = native.term_counts(texts, lo, hi)
    return (np.frombuffer(indptr, np.int32).tolist(), np.frombuffer(indices, np.int32).tolist(),
            np.frombuffer(counts, np.float32).tolist())


def _demo_texts() -> list[str]:
    return [document_text(p.read_text(encoding="utf-8"), "") for p in sorted(package_data("demo").rglob("*.html"))]


def _dev_texts() -> list[str]:
    path = shared_path("eval", "reports_dev.jsonl")  # skips with a message where ../shared is absent
    return [json.loads(line)["full_text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _assert_twin(native: ModuleType, texts: list[str], char_ngrams: tuple[int, int] = CHAR_NGRAMS) -> None:
    got, want = hashing.native_counts(native, texts, char_ngrams), hashing.twin_counts(texts, char_ngrams)
    for name in ("indptr", "indices", "data"):
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == b.dtype and np.array_equal(a, b), name


# ---- term counts: exact outputs ----

TABLE = [
    # "ab": its token, then char_wb " ab", "ab " and the whole padded " ab " (4 <= 5: once, no longer n)
    (["ab"], ([0, 4], [10401, 1222456, 1582991, 1922686], [1.0] * 4)),
    # two tokens, their bigram "a b", each one-letter word's padded " a " / " b "
    (["a b"], ([0, 5], [98813, 311165, 354738, 1287096, 1392347], [1.0] * 5)),
    # NUL is no word character and no whitespace: no token, one char_wb gram " \x00 "
    (["\x00"], ([0, 1], [1337119], [1.0])),
    # non-BMP letter (4 UTF-8 bytes): its token and its padded word
    (["\U0001d518"], ([0, 2], [33289, 2080283], [1.0, 1.0])),
    ([], ([0], [], [])),
    (["", " \t\n "], ([0, 0, 0], [], [])),
    # the same word three times: three counts per column
    (["ab ab ab"], ([0, 5], [10401, 55557, 1222456, 1582991, 1922686], [3.0, 2.0, 3.0, 3.0, 3.0])),
]


@pytest.mark.parametrize(("texts", "want"), TABLE)
def test_term_counts_table(native: ModuleType, texts: list[str], want: tuple[list[int], list[int], list[float]]) -> None:
    assert _counts(native, texts) == want


def test_a_token_and_its_grams_hash_as_mmh3_of_their_utf8() -> None:
    assert abs(mmh3.hash("ab")) % 2**20 == 10401
    assert sorted(2**20 + abs(mmh3.hash(g)) % 2**20 for g in (" ab", "ab ", " ab ")) == [1222456, 1582991, 1922686]
    assert abs(mmh3.hash("ab ab")) % 2**20 == 55557


def test_the_token_pattern_ends_after_the_last_word_character_of_a_run(native: ModuleType) -> None:
    # (?u)\b\w[\w.-]*\w\b|\b\w\b: "x.y-" gives the token "x.y"; "a.-" gives "a"; "-.-" none
    assert _counts(native, ["x.y-"], 9, 9)[1][:1] == [abs(mmh3.hash("x.y")) % 2**20]
    assert _counts(native, ["a.-"], 9, 9)[1][:1] == [abs(mmh3.hash("a")) % 2**20]
    assert _counts(native, ["-.-"], 9, 9) == ([0, 1], [2**20 + abs(mmh3.hash(" -.- ")) % 2**20], [1.0])


# ---- term counts: the twin on real text ----


def test_term_counts_equal_the_twin_on_the_demo_corpus_sentences(native: ModuleType) -> None:
    texts = _demo_texts()
    assert texts
    for text in texts:
        _assert_twin(native, [s.text for s in split_sentences(text)])
    _assert_twin(native, texts)  # whole documents: long rows, many repeats


def test_term_counts_equal_the_twin_on_the_development_reports(native: ModuleType) -> None:
    for text in _dev_texts():
        _assert_twin(native, [s.text for s in split_sentences(text)])


@pytest.mark.parametrize("char_ngrams", [(1, 1), (1, 3), (2, 4), (4, 4), (3, 5), (6, 9)])
def test_term_counts_equal_the_twin_for_every_ngram_range(native: ModuleType, char_ngrams: tuple[int, int]) -> None:
    texts = ["İstanbul ΣΊΣΥΦΟΣ ﬁle straße", "a b.c-d _e_ 🔥🔥 e\u0301", "x" * 300, "\x00\x01 \x1c\x1d ok", ""]
    _assert_twin(native, texts, char_ngrams)


# ---- term counts: hostile input ----


def test_term_counts_on_huge_and_binary_strings_does_not_crash(native: ModuleType) -> None:
    huge = "w" * 3_000_000  # one token of 3 MB and its grams
    indptr, indices, counts = _counts(native, [huge])
    assert indptr == [0, len(indices)] and sum(counts) == 1 + 3 * (3_000_000 + 2) - (3 + 4 + 5) + 3
    noise = bytes(range(256)).decode("latin-1") * 200 + "".join(map(chr, range(0x2000, 0x2100)))
    _assert_twin(native, [noise, noise[::-1], "\x00" * 1000])
    many = ["a"] * 50_000
    assert _counts(native, many)[0][-1] == 2 * 50_000


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("abc", 3, 5), TypeError),  # not a list
        (([b"abc"], 3, 5), TypeError),
        (([1], 3, 5), TypeError),
        ((["a", None], 3, 5), TypeError),
        ((["a"], 0, 5), ValueError),
        ((["a"], 5, 3), ValueError),
        ((["a"], 3, 65), ValueError),
        ((["a"], "3", 5), TypeError),
        ((["bad \ud800 text"], 3, 5), UnicodeEncodeError),
    ],
)
def test_term_counts_rejects_wrong_input(native: ModuleType, args: tuple[object, ...], error: type) -> None:
    with pytest.raises(error):
        native.term_counts(*args)


def test_raw_counts_rejects_a_text_that_is_not_a_string_on_both_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(TypeError):
        hashing.raw_counts(["ok", 3], CHAR_NGRAMS)  # type: ignore[list-item]
    monkeypatch.setenv("HUNTFEED_PURE", "1")
    with pytest.raises(TypeError):
        hashing.raw_counts(["ok", 3], CHAR_NGRAMS)  # type: ignore[list-item]


# ---- the product ----


def _weights(rng: np.random.Generator, features: int, labels: int) -> sp.csr_matrix:
    """Rows of every kind `DenseRows` knows: heavy (>= 100 labels), light, empty; some stored zeros."""
    rows = []
    for f in range(features):
        k = [labels, 120, 100, 99, 3, 1, 0][f % 7]
        cols = np.sort(rng.choice(labels, size=k, replace=False))
        vals = rng.standard_normal(k).astype(np.float32)
        vals[::17] = 0.0
        rows.append((cols, vals))
    indptr = np.concatenate(([0], np.cumsum([len(c) for c, _ in rows]))).astype(np.int32)
    indices = np.concatenate([c for c, _ in rows]).astype(np.int32)
    data = np.concatenate([v for _, v in rows]).astype(np.float32)
    return sp.csr_matrix((data, indices, indptr), shape=(features, labels))


def _sentences(rng: np.random.Generator, n: int, features: int, order: str) -> sp.csr_matrix:
    indptr, indices, data = [0], [], []
    for r in range(n):
        cols = np.sort(rng.choice(features, size=int(rng.integers(0, 40)), replace=False))
        if order == "descending" or (order == "mixed" and r % 3 == 0):
            cols = cols[::-1]
        elif order == "mixed":
            rng.shuffle(cols)
        indices += cols.tolist()
        data += (rng.random(len(cols)) * 0.3).astype(np.float32).tolist()
        indptr.append(len(indices))
    x = sp.csr_matrix((np.array(data, np.float32), np.array(indices, np.int32), np.array(indptr, np.int32)),
                      shape=(n, features))
    x.has_sorted_indices = False
    return x


@pytest.mark.parametrize("order", ["descending", "ascending", "mixed"])
def test_the_product_is_the_twins_and_scipys_float_for_float(order: str, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    w = _weights(rng, 300, 150)
    x = _sentences(rng, 80, 300, order)
    got = margins.product(x, w)
    monkeypatch.setenv("HUNTFEED_PURE", "1")
    twin = margins.product(x, w)
    ref = (x @ w).toarray()
    assert got.tobytes() == twin.tobytes() == ref.astype(np.float32).tobytes()


def _product_args(x: sp.csr_matrix, w: sp.csr_matrix) -> list[np.ndarray]:
    d = margins.dense_rows(w)
    return [x.indptr, x.indices, x.data, d.kind, d.rows, w.indptr, w.indices, w.data,
            np.zeros((x.shape[0], w.shape[1]), dtype=np.float32)]


def test_the_product_of_no_sentences_and_empty_rows(native: ModuleType) -> None:
    w = _weights(np.random.default_rng(1), 50, 120)
    for n in (0, 3):
        x = sp.csr_matrix((n, 50), dtype=np.float32)
        args = _product_args(x, w)
        assert native.product(*args) is None
        assert not args[-1].any()


@pytest.mark.parametrize(
    ("position", "bad", "error"),
    [
        (1, "out of range index", ValueError),  # a sentence term past the features
        (0, "broken indptr", ValueError),
        (2, np.zeros(3, dtype=np.float64), TypeError),  # values not float32
        (3, np.zeros(50, dtype=np.int64), TypeError),  # kinds not int16/int32
        (6, "out of range label", ValueError),
        (8, "read-only out", (TypeError, ValueError, BufferError)),
        (8, np.zeros((2, 2), dtype=np.float32), ValueError),  # out of the wrong shape
        (4, "no buffer", TypeError),
    ],
)
def test_the_product_rejects_wrong_input(native: ModuleType, position: int, bad: object, error: type) -> None:
    rng = np.random.default_rng(3)
    w = _weights(rng, 50, 120)
    x = _sentences(rng, 4, 50, "descending")
    args: list[object] = list(_product_args(x, w))
    if isinstance(bad, str) and bad == "out of range index":
        bad = x.indices.copy()
        bad[0] = 50
    elif isinstance(bad, str) and bad == "broken indptr":
        bad = x.indptr.copy()
        bad[-1] += 1
    elif isinstance(bad, str) and bad == "out of range label":  # in a light row the sentences read (feature 4)
        assert 4 in x.indices.tolist() and int(margins.dense_rows(w).kind[4]) == margins.LIGHT
        bad = w.indices.copy()
        bad[w.indptr[4]] = 120
    elif isinstance(bad, str) and bad == "read-only out":
        bad = np.zeros((4, 120), dtype=np.float32)
        bad.flags.writeable = False
    elif isinstance(bad, str) and bad == "no buffer":
        bad = [1.0, 2.0]
    args[position] = bad
    with pytest.raises(error):
        native.product(*args)


# ---- the whole classifier: HUNTFEED_PURE=1 gives the same margins ----


def test_pure_python_gives_the_same_margins_on_the_demo_corpus(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = AttackEngine.load()
    model = engine.model
    assert model is not None
    views = [engine.evidence.view(split_sentences(text)) for text in _demo_texts()]

    def margins_now() -> list[str]:
        return [repr(model.sentence_scores(v, engine.catalog)) for v in views]

    fast = margins_now()
    monkeypatch.setenv("HUNTFEED_PURE", "1")
    assert margins_now() == fast


# ---- the window margins ----


def _window_inputs(rng: np.random.Generator, n: int, labels: int, width: int) -> tuple[np.ndarray, ...]:
    product = rng.standard_normal((n, labels)).astype(np.float32)
    norms = (rng.random(n) * 3).astype(np.float32)
    norms[::5] = 0.0  # empty sentences: the floor 1e-12 under the square root
    dots = tuple((rng.random(max(n - lag, 0)) * 2 - 0.5).astype(np.float32) for lag in range(1, width))
    bias = rng.standard_normal(labels).astype(np.float32)
    return product, norms, dots, bias


def _rows(n: int, width: int) -> int:
    return sum(max(0, n - size + 1) for size in range(1, width + 1))


@pytest.mark.parametrize(("n", "width"), [(0, 3), (1, 3), (2, 3), (3, 3), (40, 1), (40, 2), (57, 3), (30, 5)])
def test_the_window_margins_are_the_twins_float_for_float(native: ModuleType, n: int, width: int) -> None:
    rng = np.random.default_rng(n * 10 + width)
    product, norms, dots, bias = _window_inputs(rng, n, 37, width)
    got = np.full((_rows(n, width), 37), np.nan, dtype=np.float32)
    want = got.copy()
    native.windows(product, norms, dots, bias, width, got)
    SentenceModel._windows(SimpleNamespace(bias=bias), product, norms, dict(enumerate(dots, 1)), width, want)  # type: ignore[arg-type]
    assert got.tobytes() == want.tobytes()


def test_window_margins_keep_nan_and_inf_as_numpy_does(native: ModuleType) -> None:
    rng = np.random.default_rng(5)
    product, norms, dots, bias = _window_inputs(rng, 6, 4, 3)
    product[1, 2], product[3, 0], norms[4], dots[0][2] = np.nan, np.inf, np.nan, -np.inf
    got, want = (np.zeros((_rows(6, 3), 4), dtype=np.float32) for _ in range(2))
    with np.errstate(all="ignore"):
        native.windows(product, norms, dots, bias, 3, got)
        SentenceModel._windows(SimpleNamespace(bias=bias), product, norms, dict(enumerate(dots, 1)), 3, want)  # type: ignore[arg-type]
    assert got.tobytes() == want.tobytes()


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"dots": ()}, TypeError),  # not width - 1 arrays
        ({"dots": [np.zeros(5, np.float32), np.zeros(4, np.float32)]}, TypeError),  # a list
        ({"dots": (np.zeros(5, np.float32), np.zeros(3, np.float32))}, ValueError),
        ({"norms": np.zeros(6, np.float64)}, TypeError),
        ({"bias": np.zeros(5, np.float32)}, ValueError),
        ({"out": np.zeros((14, 4), np.float32)}, ValueError),
        ({"out": np.zeros(60, np.float32)}, ValueError),
        ({"width": 0}, ValueError),
        ({"width": 100}, ValueError),
        ({"raw": "text"}, TypeError),
    ],
)
def test_window_margins_reject_wrong_input(native: ModuleType, change: dict[str, object], error: type) -> None:
    product, norms, dots, bias = _window_inputs(np.random.default_rng(2), 6, 4, 3)
    args: dict[str, object] = {"raw": product, "norms": norms, "dots": dots, "bias": bias, "width": 3,
                               "out": np.zeros((_rows(6, 3), 4), np.float32)}
    args.update(change)
    with pytest.raises(error):
        native.windows(*args.values())
