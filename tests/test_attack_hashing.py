"""The classifier's hashed counts without scikit-learn: the same CSR matrix as its vectorizers, array for array."""

from __future__ import annotations

import json

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
    want, got = _reference(texts, char_ngrams), hashing.raw_counts(texts, char_ngrams)
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


def test_a_full_cache_starts_again_and_gives_the_same_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hashing, "_CACHE_MAX", 3)
    monkeypatch.setattr(hashing, "_HASHERS", {})
    _assert_same(CRAFTED)
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
