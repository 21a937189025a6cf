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
from array import array
from collections.abc import Sequence
from functools import lru_cache
from itertools import compress
from types import ModuleType
from typing import Final

import mmh3
import numpy as np
import scipy.sparse as sp

from huntfeed._native import load

N_WORD: Final = 2**20
N_CHAR: Final = 2**20
N_TOTAL: Final = N_WORD + N_CHAR
# The vectorizers' own patterns (classifier.make_vectorizers; scikit-learn's whitespace rule).
_TOKEN = re.compile(r"(?u)\b\w[\w.-]*\w\b|\b\w\b")
_CACHE_MAX = 1 << 17  # entries per cache; a full cache starts again, so memory stays bounded (~30 MB)


def _column(gram: str, offset: int, n_features: int) -> int:
    # scikit-learn's FeatureHasher: abs(signed hash) % n_features (its special case for -2**31
    # gives the same number).  mmh3 hashes a str as its UTF-8 bytes; `TermHasher.entries` has
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


def murmur3_abs(buf: np.ndarray, starts: np.ndarray, length: int | np.ndarray) -> np.ndarray:
    """``abs`` of MurmurHash3 x86 32-bit (seed 0, as a signed int) of every key ``buf[s : s + length]``.

    The reference algorithm (Appleby's MurmurHash3_x86_32, which mmh3 and scikit-learn run)
    written over arrays, so the thousands of n-grams of a report's new words are hashed at once;
    ``length`` is one for all keys or one per key.
    """
    u32 = np.uint32
    lengths = np.broadcast_to(np.asarray(length, dtype=np.int64), starts.shape)
    padded = np.concatenate((buf, np.zeros(4, dtype=np.uint8))).astype(u32)
    # The little-endian 32-bit word at every byte offset: a block or a tail is one gather.
    word = padded[:-3] | padded[1:-2] << u32(8) | padded[2:-1] << u32(16) | padded[3:] << u32(24)
    h = np.zeros(len(starts), dtype=u32)
    blocks = lengths >> 2
    for block in range(int(blocks.max()) if blocks.size else 0):
        sel = np.flatnonzero(blocks > block)
        k = _rotl(word[starts[sel] + 4 * block] * _C1, 15) * _C2
        h[sel] = _rotl(h[sel] ^ k, 13) * u32(5) + u32(0xE6546B64)
    sel = np.flatnonzero(lengths & 3)
    if sel.size:
        mask = (u32(1) << ((lengths[sel] & 3).astype(u32) * u32(8))) - u32(1)
        h[sel] ^= _rotl((word[starts[sel] + 4 * blocks[sel]] & mask) * _C1, 15) * _C2
    h ^= lengths.astype(u32)
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


def _gram_blocks(wl: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Per padded word of ``wl`` characters and per n in lo..hi: how many n-grams `_char_wb` gives, and their length.

    scikit-learn's loop gives, for a padded word of w characters, the w - n + 1 n-grams of each
    length n < w in the range, and the whole padded word once when w <= hi (at n = w, or at n = lo
    for a word shorter than lo), then no longer n. Word-major, (words, n) flattened.
    """
    ns = np.arange(lo, hi + 1, dtype=np.int64)[None, :]
    w = wl[:, None]
    whole = (ns == np.maximum(w, lo)) & (w <= hi)
    counts = np.where(whole, 1, np.where(ns < w, w - ns + 1, 0))
    return counts.ravel(), np.where(whole, w, ns).ravel()


# Marks the cut between two texts joined into one string: not a word character, not "." or "-" (so no
# token crosses it and the token pattern's word boundaries are those of the text's ends), not
# whitespace (so `str.split` keeps it as a word of its own), neither cased nor case-ignorable (so
# lower-casing every text at once gives each text's own lower case: the final-sigma rule looks past
# case-ignorable characters only), and one byte in UTF-8 and in the str (the joined text keeps its
# width). The first one absent from the texts is used.
_CUTS: Final = "".join(map(chr, [*range(0x00, 0x09), *range(0x0E, 0x1C)]))


@lru_cache(maxsize=len(_CUTS))
def _token_or_cut(cut: str) -> re.Pattern[str]:
    return re.compile(_TOKEN.pattern + "|" + re.escape(cut))


class TermHasher:
    """Every feature occurrence of a batch of texts as (text, column) arrays, with bounded per-word caches.

    The texts are joined into one string around a cut mark and tokenised, split and looked up in a
    few passes over the whole batch instead of a dozen Python calls per text.
    """

    def __init__(self, char_ngrams: tuple[int, int]) -> None:
        self.lo, self.hi = char_ngrams
        self._words: dict[str, int] = {}  # word token or "a b" bigram -> its column
        self._chars: dict[str, bytes] = {}  # whitespace-free word -> its n-grams' columns (native int32)

    def _char_one(self, word: str) -> bytes:
        h = mmh3.hash
        return array("i", [N_WORD + abs(h(g)) % N_CHAR for g in _char_wb(word, self.lo, self.hi)]).tobytes()

    def _char_ascii(self, words: list[str]) -> list[bytes]:
        """`_char_one` of many ASCII words at once (one character, one byte), each word's n-grams together."""
        padded = [" " + w + " " for w in words]
        wl = np.fromiter(map(len, padded), dtype=np.int64, count=len(padded))
        buf = np.frombuffer("".join(padded).encode("ascii"), dtype=np.uint8)
        counts, lengths = _gram_blocks(wl, self.lo, self.hi)
        owner_start = np.repeat(np.cumsum(wl) - wl, self.hi - self.lo + 1)
        starts = np.repeat(owner_start, counts) + _spans(counts)
        cols = (N_WORD + murmur3_abs(buf, starts, np.repeat(lengths, counts)) % N_CHAR).astype(np.intc).tobytes()
        ends = (np.cumsum(counts.reshape(len(words), -1).sum(axis=1)) * 4).tolist()
        return [cols[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]

    def _chars_for(self, words: set[str]) -> dict[str, bytes]:
        """Column bytes of words not in the cache."""
        ascii_words = [w for w in words if w.isascii()]
        fresh = dict(zip(ascii_words, self._char_ascii(ascii_words), strict=True)) if ascii_words else {}
        fresh.update((w, self._char_one(w)) for w in words if not w.isascii())
        return fresh

    def _columns(self, grams: list[str], cut: str | None) -> np.ndarray:
        """Each word gram's column (the cut mark: -1), the new ones hashed once."""
        words = self._words
        missing = set(grams).difference(words)
        if len(words) + len(missing) > _CACHE_MAX:  # full: start again, so memory stays bounded
            words.clear()
            missing = set(grams)
        if cut is not None:
            missing.discard(cut)
        h = mmh3.hash
        words.update({g: abs(h(g)) % N_WORD for g in missing})  # _column(g, 0, N_WORD), without a call per gram
        if cut is not None:
            words[cut] = -1
        out = np.fromiter(map(words.__getitem__, grams), dtype=np.int64, count=len(grams))
        if cut is not None:
            del words[cut]
        if len(words) > _CACHE_MAX:  # one call with more distinct grams than the cache holds
            words.clear()
        return out

    def _char_columns(self, words: list[str], cut: str | None) -> tuple[np.ndarray, np.ndarray]:
        """The n-gram columns of every whitespace-free word, and how many each has (the cut mark: none)."""
        known = self._chars
        fresh = self._chars_for(set(words).difference(known, (cut,)))
        known.update(fresh)
        if cut is not None:
            known[cut] = b""
        parts = list(map(known.__getitem__, words))
        if cut is not None:
            del known[cut]
        if len(known) > _CACHE_MAX:  # full: start again with this call's words, so memory stays bounded
            known.clear()
            if len(fresh) <= _CACHE_MAX:
                known.update(fresh)
        counts = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts)) >> 2
        return np.frombuffer(b"".join(parts), dtype=np.intc).astype(np.int64), counts

    def entries(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The text number and column of every feature occurrence (repeats included), in no particular order."""
        joined = "".join(texts)
        if not joined.isascii():
            joined.encode("utf-8")  # a lone surrogate raises UnicodeEncodeError here, as in scikit-learn
        cut = next((c for c in _CUTS if c not in joined), None) if len(texts) > 1 else None
        if len(texts) > 1 and cut is None:  # texts that hold every cut mark: one at a time
            parts = [self.entries([t]) for t in texts]
            return (np.concatenate([np.full(len(c), i, dtype=np.int64) for i, (_, c) in enumerate(parts)]),
                    np.concatenate([c for _, c in parts]))
        if cut is not None:
            joined = f" {cut} ".join(texts)
        low = joined.lower()
        tokens = (_TOKEN if cut is None else _token_or_cut(cut)).findall(low)
        uni = self._columns(tokens, cut)
        marks = uni < 0
        text_of = np.cumsum(marks)  # a token's text: how many cut marks come before it
        pairs_ok = ~(marks[:-1] | marks[1:])  # bigrams of neighbours in one text
        pairs = compress(zip(tokens, tokens[1:], strict=False), pairs_ok.tolist())
        bi = self._columns(list(map(" ".join, pairs)), None)
        chars, counts = self._char_columns(low.split(), cut)  # (scikit-learn's r"\s\s+" -> " " first changes no split)
        rows = np.concatenate((text_of[~marks], text_of[:-1][pairs_ok], np.repeat(np.cumsum(counts == 0), counts)))
        return rows, np.concatenate((uni[~marks], bi, chars))


_HASHERS: dict[tuple[int, int], TermHasher] = {}


def hasher(char_ngrams: tuple[int, int]) -> TermHasher:
    """The process's hasher for a character n-gram range (its caches are shared by every call)."""
    found = _HASHERS.get(char_ngrams)
    if found is None:
        found = _HASHERS[char_ngrams] = TermHasher(char_ngrams)
    return found


def raw_counts(texts: Sequence[str], char_ngrams: tuple[int, int]) -> sp.csr_matrix:
    """Sub-linear term counts (1 + log count) over both hashed spaces: `classifier.raw_counts`.

    By the C accelerator (``_native/attack_kernels.c``) where it is built, else by `TermHasher`
    (the twin: the same matrix, array for array).
    """
    if len(texts) == 0:
        return sp.csr_matrix((0, N_TOTAL), dtype=np.float32)
    native = load("attack_kernels")
    x = native_counts(native, texts, char_ngrams) if native is not None else twin_counts(texts, char_ngrams)
    x.data = 1.0 + np.log(x.data)
    return x


def native_counts(native: ModuleType, texts: Sequence[str], char_ngrams: tuple[int, int]) -> sp.csr_matrix:
    """The term counts (before the log) by the C kernel: each text lower-cased on its own, as scikit-learn does."""
    low = list(map(str.lower, texts))  # (a text that is not a str: TypeError, as the twin's join raises)
    indptr, indices, counts = native.term_counts(low, *char_ngrams)
    arrays = (np.frombuffer(bytearray(counts), dtype=np.float32), np.frombuffer(bytearray(indices), dtype=np.int32),
              np.frombuffer(bytearray(indptr), dtype=np.int32))
    x = sp.csr_matrix(arrays, shape=(len(texts), N_TOTAL))
    x.has_canonical_format = True  # sorted columns, no duplicates (the kernel counted them)
    return x


def twin_counts(texts: Sequence[str], char_ngrams: tuple[int, int]) -> sp.csr_matrix:
    """The term counts (before the log) in Python and NumPy: `TermHasher` and SciPy's per-row counting."""
    n = len(texts)
    rows, cols = hasher(char_ngrams).entries(texts)
    # Grouped by text (a radix sort of small ints), then each text's columns sorted and counted by
    # SciPy's per-row kernels: a third less time than one sort of all (text, column) keys.
    small = rows.astype(np.int16 if n < 2**15 else np.int32)
    order = np.argsort(small, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(small, minlength=n), out=indptr[1:])
    x = sp.csr_matrix((np.ones(len(order), dtype=np.float32), cols[order].astype(np.int32), indptr), shape=(n, N_TOTAL))
    x.sum_duplicates()  # sorted columns, each with its count (exact in float32)
    return x
