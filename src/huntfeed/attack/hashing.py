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
from array import array
from collections.abc import Sequence
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
_INT32 = struct.Struct("=i")  # native order, as array("i") and np.intc
_CACHE_MAX = 1 << 17  # entries per cache; a full cache starts again, so memory stays bounded (~30 MB)


def _column(gram: str, offset: int, n_features: int) -> int:
    # scikit-learn's FeatureHasher: abs(signed hash) % n_features (its special case for -2**31
    # gives the same number).  mmh3 hashes a str as its UTF-8 bytes; `TermHasher.rows` has
    # checked that the text encodes (a lone surrogate would crash mmh3).
    return offset + int(abs(mmh3.hash(gram))) % n_features


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


def murmur3_abs(buf: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """``abs`` of MurmurHash3 x86 32-bit (seed 0, as a signed int) of every key ``buf[s : s + length]``.

    The reference algorithm (Appleby's MurmurHash3_x86_32, which mmh3 and scikit-learn run)
    written over arrays, so the thousands of n-grams of a report's new words are hashed at once.
    """
    u32 = np.uint32
    h = np.zeros(len(starts), dtype=u32)
    for block in range(length // 4):
        p = starts + 4 * block
        k = buf[p].astype(u32) | buf[p + 1].astype(u32) << u32(8) | buf[p + 2].astype(u32) << u32(16)
        k |= buf[p + 3].astype(u32) << u32(24)
        h ^= _rotl(k * _C1, 15) * _C2
        h = _rotl(h, 13) * u32(5) + u32(0xE6546B64)
    if length & 3:
        p = starts + 4 * (length // 4)
        k = np.zeros(len(starts), dtype=u32)
        for t in range(length & 3):
            k ^= buf[p + t].astype(u32) << u32(8 * t)
        h ^= _rotl(k * _C1, 15) * _C2
    h ^= u32(length)
    h ^= h >> u32(16)
    h *= u32(0x85EBCA6B)
    h ^= h >> u32(13)
    h *= u32(0xC2B2AE35)
    h ^= h >> u32(16)
    return np.abs(h.view(np.int32).astype(np.int64))


_C1, _C2 = np.uint32(0xCC9E2D51), np.uint32(0x1B873593)


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    out: np.ndarray = (x << np.uint32(r)) | (x >> np.uint32(32 - r))
    return out


def _spans(counts: np.ndarray) -> np.ndarray:
    """0..c-1 for each count c, concatenated."""
    out: np.ndarray = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    return out


class TermHasher:
    """Column ids of texts' features as packed int32 bytes, with bounded per-word caches."""

    def __init__(self, char_ngrams: tuple[int, int]) -> None:
        self.lo, self.hi = char_ngrams
        self._words: dict[str, bytes] = {}  # word token or "a b" bigram -> its column
        self._chars: dict[str, bytes] = {}  # whitespace-free word -> its n-grams' columns

    def _char_one(self, word: str) -> bytes:
        h = mmh3.hash
        return array("i", [N_WORD + abs(h(g)) % N_CHAR for g in _char_wb(word, self.lo, self.hi)]).tobytes()

    def _char_ascii(self, words: list[str]) -> list[bytes]:
        """`_char_one` of many ASCII words at once (one character, one byte).

        scikit-learn's loop gives, for a padded word of w characters, every n-gram of each length
        n < w in the range, and the whole padded word once when w <= the largest n.
        """
        padded = [" " + w + " " for w in words]
        wl = np.fromiter(map(len, padded), dtype=np.int64, count=len(padded))
        off = np.cumsum(wl) - wl
        buf = np.frombuffer("".join(padded).encode("ascii"), dtype=np.uint8)
        hashes, owners = [], []
        for n in range(self.lo, self.hi + 1):
            sel = np.nonzero(wl > n)[0]
            counts = wl[sel] - n + 1
            hashes.append(murmur3_abs(buf, np.repeat(off[sel], counts) + _spans(counts), n))
            owners.append(np.repeat(sel, counts))
        for n in np.unique(wl[wl <= self.hi]).tolist():
            sel = np.nonzero(wl == n)[0]
            hashes.append(murmur3_abs(buf, off[sel], n))
            owners.append(sel)
        owner = np.concatenate(owners)
        order = np.argsort(owner, kind="stable")
        cols = (N_WORD + np.concatenate(hashes)[order] % N_CHAR).astype(np.intc).tobytes()
        ends = (np.cumsum(np.bincount(owner, minlength=len(words))) * 4).tolist()
        return [cols[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]

    def _chars_for(self, words: set[str]) -> dict[str, bytes]:
        """Column bytes of words not in the cache."""
        ascii_words = [w for w in words if w.isascii()]
        fresh = dict(zip(ascii_words, self._char_ascii(ascii_words), strict=True)) if ascii_words else {}
        fresh.update((w, self._char_one(w)) for w in words if not w.isascii())
        return fresh

    def rows(self, texts: Sequence[str]) -> list[bytes]:
        """Every feature occurrence of each text (repeats included), as native int32."""
        grams, char_words = [], []
        pair = " ".join  # a bigram is "a b"; map over tuples is a third faster than a + " " + b in a loop
        for text in texts:
            text.encode("utf-8")  # a lone surrogate raises UnicodeEncodeError here, as in scikit-learn
            low = text.lower()
            tokens = _TOKEN.findall(low)
            grams.append(tokens + list(map(pair, zip(tokens, tokens[1:], strict=False))))
            char_words.append(_WHITE.sub(" ", low).split())
        out = self._word_rows(grams)
        known = self._chars
        fresh = self._chars_for(set().union(*char_words).difference(known))
        known.update(fresh)
        look = known.__getitem__
        rows = [row + b"".join(map(look, ws)) for row, ws in zip(out, char_words, strict=True)]
        if len(known) > _CACHE_MAX:  # full: start again with this call's words, so memory stays bounded
            known.clear()
            if len(fresh) <= _CACHE_MAX:
                known.update(fresh)
        return rows

    def _word_rows(self, grams: list[list[str]]) -> list[bytes]:
        """The word and bigram columns of each text: the new ones hashed once, then one lookup per occurrence."""
        words = self._words
        missing = set().union(*grams).difference(words)
        if len(words) + len(missing) > _CACHE_MAX:  # full: start again, so memory stays bounded
            words.clear()
            missing = set().union(*grams)
        pack, h = _INT32.pack, mmh3.hash
        words.update({g: pack(abs(h(g)) % N_WORD) for g in missing})  # _column(g, 0, N_WORD), without a call per gram
        look = words.__getitem__
        out = [b"".join(map(look, row)) for row in grams]
        if len(words) > _CACHE_MAX:  # one call with more distinct words than the cache holds
            words.clear()
        return out


_HASHERS: dict[tuple[int, int], TermHasher] = {}


def hasher(char_ngrams: tuple[int, int]) -> TermHasher:
    """The process's hasher for a character n-gram range (its caches are shared by every call)."""
    found = _HASHERS.get(char_ngrams)
    if found is None:
        found = _HASHERS[char_ngrams] = TermHasher(char_ngrams)
    return found


def raw_counts(texts: Sequence[str], char_ngrams: tuple[int, int]) -> sp.csr_matrix:
    """Sub-linear term counts (1 + log count) over both hashed spaces: `classifier.raw_counts`."""
    rows = hasher(char_ngrams).rows(texts)
    lengths = np.fromiter((len(r) // 4 for r in rows), dtype=np.int64, count=len(rows))
    cols = np.frombuffer(b"".join(rows), dtype=np.intc).astype(np.int64)
    keys = np.repeat(np.arange(len(rows), dtype=np.int64), lengths) * N_TOTAL + cols
    uniq, counts = _unique_counts(keys)  # sorted: row by row, columns ascending
    indptr = np.zeros(len(rows) + 1, dtype=np.int32)
    np.cumsum(np.bincount(uniq // N_TOTAL, minlength=len(rows)), out=indptr[1:])
    data = 1.0 + np.log(counts.astype(np.float32))
    indices = (uniq % N_TOTAL).astype(np.int32)
    return sp.csr_matrix((data, indices, indptr), shape=(len(rows), N_TOTAL))


def _unique_counts(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(keys, return_counts=True)`` by a stable sort: timsort profits from keys that come row by row."""
    keys = np.sort(keys, kind="stable")
    if keys.size == 0:
        return keys, np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    return keys[starts], np.diff(np.append(starts, keys.size))
