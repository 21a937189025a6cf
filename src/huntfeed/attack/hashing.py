"""The classifier's hashed term counts, computed without scikit-learn and with per-word caches.

`classifier.make_vectorizers` defines the features (scikit-learn's ``HashingVectorizer``: word
1-2 grams and ``char_wb`` n-grams, MurmurHash3 modulo 2**20, no sign, no norm).  Computing them
through scikit-learn costs most of the ATT&CK inference time (a Python loop over every
character n-gram of every sentence) and 1.2 s of imports per process.  Here the same features
come from the same hash (MurmurHash3 x86 32-bit of the UTF-8 bytes, via ``mmh3``), with every
word's character n-grams hashed once per process instead of once per occurrence: a ``char_wb``
n-gram never crosses a word, so a sentence's character features are the sum of its words'.
The result is the same CSR matrix, array for array (``tests/test_attack_hashing.py`` compares
it with scikit-learn's on the demo corpus, the development reports and crafted text).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Sequence
from typing import Final

import mmh3
import numpy as np
import scipy.sparse as sp

N_WORD: Final = 2**20
N_CHAR: Final = 2**20
N_TOTAL: Final = N_WORD + N_CHAR
# The vectorizers' own patterns (classifier.make_vectorizers; scikit-learn's whitespace rule).
_TOKEN = re.compile(r"(?u)\b\w[\w.-]*\w\b|\b\w\b")
_WHITE = re.compile(r"\s\s+")
_CACHE_MAX = 1 << 17  # entries per cache; a full cache starts again, so memory stays bounded (~30 MB)


def _column(gram: str, offset: int, n_features: int) -> int:
    # scikit-learn's FeatureHasher: abs(signed hash) % n_features (its special case for -2**31
    # gives the same number).  Encoding first raises UnicodeEncodeError on a lone surrogate, as
    # scikit-learn does (mmh3 given such a str would crash).
    return offset + int(abs(mmh3.hash(gram.encode("utf-8")))) % n_features


def _char_wb(word: str, lo: int, hi: int) -> list[str]:
    """scikit-learn's ``_char_wb_ngrams`` for one whitespace-free word, in its order."""
    w = " " + word + " "
    w_len = len(w)
    out: list[str] = []
    for n in range(lo, hi + 1):
        offset = 0
        out.append(w[offset : offset + n])
        while offset + n < w_len:
            offset += 1
            out.append(w[offset : offset + n])
        if offset == 0:  # a short word counts once
            break
    return out


class TermHasher:
    """Column ids of one text's features as packed int32 bytes, with bounded per-word caches."""

    def __init__(self, char_ngrams: tuple[int, int]) -> None:
        self.lo, self.hi = char_ngrams
        self._words: dict[str, bytes] = {}  # word token or "a b" bigram -> its column
        self._chars: dict[str, bytes] = {}  # whitespace-free word -> its n-grams' columns

    def _word(self, token: str) -> bytes:
        col = self._words.get(token)
        if col is None:
            if len(self._words) >= _CACHE_MAX:
                self._words.clear()
            col = self._words[token] = struct.pack("<i", _column(token, 0, N_WORD))
        return col

    def _char(self, word: str) -> bytes:
        cols = self._chars.get(word)
        if cols is None:
            if len(self._chars) >= _CACHE_MAX:
                self._chars.clear()
            grams = _char_wb(word, self.lo, self.hi)
            packed = [_column(g, N_WORD, N_CHAR) for g in grams]
            cols = self._chars[word] = struct.pack(f"<{len(packed)}i", *packed)
        return cols

    def row(self, text: str) -> bytes:
        """Every feature occurrence of the text (repeats included), as little-endian int32."""
        low = text.lower()
        tokens = _TOKEN.findall(low)
        word: Callable[[str], bytes] = self._word
        parts = [word(t) for t in tokens]
        parts.extend(word(a + " " + b) for a, b in zip(tokens, tokens[1:], strict=False))
        char = self._char
        parts.extend(char(w) for w in _WHITE.sub(" ", low).split())
        return b"".join(parts)


_HASHERS: dict[tuple[int, int], TermHasher] = {}


def hasher(char_ngrams: tuple[int, int]) -> TermHasher:
    """The process's hasher for a character n-gram range (its caches are shared by every call)."""
    found = _HASHERS.get(char_ngrams)
    if found is None:
        found = _HASHERS[char_ngrams] = TermHasher(char_ngrams)
    return found


def raw_counts(texts: Sequence[str], char_ngrams: tuple[int, int]) -> sp.csr_matrix:
    """Sub-linear term counts (1 + log count) over both hashed spaces: `classifier.raw_counts`."""
    h = hasher(char_ngrams)
    rows = [h.row(t) for t in texts]
    lengths = np.fromiter((len(r) // 4 for r in rows), dtype=np.int64, count=len(rows))
    cols = np.frombuffer(b"".join(rows), dtype="<i4").astype(np.int64)
    keys = np.repeat(np.arange(len(rows), dtype=np.int64), lengths) * N_TOTAL + cols
    uniq, counts = np.unique(keys, return_counts=True)  # sorted: row by row, columns ascending
    indptr = np.zeros(len(rows) + 1, dtype=np.int32)
    np.cumsum(np.bincount(uniq // N_TOTAL, minlength=len(rows)), out=indptr[1:])
    data = 1.0 + np.log(counts.astype(np.float32))
    indices = (uniq % N_TOTAL).astype(np.int32)
    return sp.csr_matrix((data, indices, indptr), shape=(len(rows), N_TOTAL))
