"""The classifier's hashed counts without scikit-learn: the same CSR matrix as its vectorizers, array for array."""

from __future__ import annotations

import json

import mmh3
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from huntfeed.attack import hashing
from huntfeed.attack.classifier import CHAR_NGRAMS, make_vectorizers, raw_counts
from huntfeed.attack.text import split_sentences
from huntfeed.feeds.article import document_text
from huntfeed.paths import package_data
from tests.conftest import SHARED

CRAFTED = [
    "",
    " ",
    "a",
    "I",
    "ab",
    "abc",
    "The actor ran PowerShell -enc with IEX (New-Object Net.WebClient).DownloadString(...)",
    "tabs\tand\nnew lines\r\nand  double  spaces\x0b\x0cand\x1c\x1d\x1e\x1fseparators",
    "no-break\u00a0space, en\u2002space, ideographic\u3000space and\u2028line separator",
    "İstanbul DİKKAT ǅemal ß straße ΣΊΣΥΦΟΣ ﬁle Ωmega",  # lower-casing that changes length or letters
    "漢字のテキスト と 한국어 텍스트 and عربى mixed with ascii",
    "emoji 🔥🔥 and combining e\u0301 marks, zero\u200bwidth joiner",
    "C:\\Windows\\System32\\rundll32.exe payload.dll,DllRegisterServer 10.0.0.1:443 evil-domain.co.uk",
    "x" * 700,
    "a b c d e f g h i j k l m n o p q r s t u v w x y z 0 1 2 3 4 5 6 7 8 9 _ __ ___",
    "repeat repeat repeat repeat repeat repeat. Repeat! REPEAT? repeat...",
    "T1059.001 T1059/001 and v1.2.3-beta a.b a-b .a. -a- _a_",
]


def _reference(texts: list[str], char_ngrams: tuple[int, int]) -> sp.csr_matrix:
    """What the model was trained on: scikit-learn's two HashingVectorizers, side by side."""
    word, char = make_vectorizers(char_ngrams)
    x = sp.hstack([word.transform(texts), char.transform(texts)], format="csr", dtype=np.float32)
    x.data = 1.0 + np.log(x.data)
    return x


def _assert_same(texts: list[str], char_ngrams: tuple[int, int] = CHAR_NGRAMS) -> None:
    """`raw_counts` (the C kernel where it is built) and the Python twin both give scikit-learn's matrix."""
    want = _reference(texts, char_ngrams)
    twin = hashing.twin_counts(texts, char_ngrams)
    twin.data = 1.0 + np.log(twin.data)
    for got in (hashing.raw_counts(texts, char_ngrams), twin):
        assert got.shape == want.shape
        for name in ("indptr", "indices", "data"):
            a, b = getattr(got, name), getattr(want, name)
            assert a.dtype == b.dtype, name
            assert np.array_equal(a, b), name


def _corpus() -> list[str]:
    pages = sorted(package_data("demo").rglob("*.html"))
    texts = [document_text(p.read_text(encoding="utf-8"), "") for p in pages]
    dev = SHARED / "eval" / "reports_dev.jsonl"
    if dev.is_file():
        texts += [json.loads(line)["full_text"] for line in dev.open(encoding="utf-8")]
    return texts


def test_the_demo_corpus_and_the_development_reports_give_scikit_learns_matrix() -> None:
    texts = _corpus()
    for text in texts:
        _assert_same([s.text for s in split_sentences(text)])
    _assert_same(texts[:20])  # whole documents too: long rows, many repeats


@pytest.mark.parametrize("char_ngrams", [CHAR_NGRAMS, (2, 4), (1, 3), (4, 4)])
def test_crafted_text_gives_scikit_learns_matrix_for_every_ngram_range(char_ngrams: tuple[int, int]) -> None:
    _assert_same(CRAFTED, char_ngrams)
    _assert_same(CRAFTED, char_ngrams)  # again, from the caches


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=80), min_size=1, max_size=6))
def test_random_text_gives_scikit_learns_matrix(texts: list[str]) -> None:
    _assert_same(texts)


# A batch is joined into one string around a cut mark (a control character absent from the batch):
# texts holding such characters, every one of them (one text at a time then), empty texts, and
# lower-casing whose result depends on the neighbours (final sigma) at the texts' ends.
BATCHES = [
    ["a\x00b c\x01d", "\x00", "x\x02 \x03y", "plain words here", ""],
    ["".join(map(chr, [*range(0x00, 0x09), *range(0x0E, 0x1C)])) + " all the cut marks", "and a second text", "x"],
    ["ΟΔΟΣ", "Σ", "ΑΣ\u0301", "\u0301Σα", "ΑΣ'", "'Σ", "ΣΣ ΣΑ"],
    ["", "", "one", "", "two words", ""],
    ["ends with a dot.", "-starts with a dash", "a.b.", ".", "-", "_"],
]


@pytest.mark.parametrize("texts", BATCHES)
def test_a_batch_joined_around_a_cut_mark_gives_scikit_learns_matrix(texts: list[str]) -> None:
    _assert_same(texts)
    _assert_same(texts[::-1])


def test_a_full_cache_starts_again_and_gives_the_same_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hashing, "_CACHE_MAX", 3)
    monkeypatch.setattr(hashing, "_HASHERS", {})
    _assert_same(CRAFTED[:9])
    _assert_same(CRAFTED)  # some words cached, then the cache starts again
    _assert_same(CRAFTED[5:])
    h = hashing.hasher(CHAR_NGRAMS)
    assert len(h._words) <= 3 and len(h._chars) <= 3


def test_no_text_gives_an_empty_matrix_and_classifier_raw_counts_is_this() -> None:
    # (scikit-learn raises StopIteration on no text; the classifier never asks it for none)
    assert hashing.raw_counts([], CHAR_NGRAMS).shape == (0, hashing.N_TOTAL)
    x = raw_counts(["PowerShell downloads a payload"])
    assert x.shape == (1, hashing.N_TOTAL) and x.nnz > 0


def test_a_lone_surrogate_fails_as_in_scikit_learn() -> None:
    with pytest.raises(UnicodeEncodeError):
        _reference(["bad \ud800 text"], CHAR_NGRAMS)
    with pytest.raises(UnicodeEncodeError):
        hashing.raw_counts(["bad \ud800 text"], CHAR_NGRAMS)
    with pytest.raises(UnicodeEncodeError):
        hashing.twin_counts(["bad \ud800 text"], CHAR_NGRAMS)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=14), min_size=1, max_size=20))
def test_the_array_murmur3_is_mmh3(keys: list[bytes]) -> None:
    for length in sorted({len(k) for k in keys}):
        same = [k for k in keys if len(k) == length]
        buf = np.frombuffer(b"".join(same), dtype=np.uint8)
        starts = np.arange(len(same), dtype=np.int64) * length
        assert hashing.murmur3_abs(buf, starts, length).tolist() == [abs(mmh3.hash(k)) for k in same]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=14), min_size=1, max_size=20))
def test_the_array_murmur3_of_keys_of_mixed_lengths_is_mmh3(keys: list[bytes]) -> None:
    buf = np.frombuffer(b"".join(keys), dtype=np.uint8)
    lengths = np.array([len(k) for k in keys], dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    assert hashing.murmur3_abs(buf, starts, lengths).tolist() == [abs(mmh3.hash(k)) for k in keys]
