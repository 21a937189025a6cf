"""Content fingerprints: MinHash (datasketch) over word shingles, with LSH band keys for the store index.

Two publications of one story (a syndicated copy with other boilerplate, a truncated or lightly
rewritten news item) share most of their word n-grams; unrelated articles, even on the same topic,
share almost none. The MinHash signature estimates the Jaccard similarity of two shingle sets;
its LSH bands (``b`` bands of ``r`` rows, sized by datasketch for ``lsh_threshold``) are what the
store indexes, so finding the candidates for a new article is a handful of index look-ups, not a
comparison with every stored article.
"""

from __future__ import annotations

import base64
import hashlib
import re
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from datasketch import MinHash, MinHashLSH

from huntfeed.errors import DataFileError
from huntfeed.paths import package_data

_WORD = re.compile(r"[a-z0-9]+(?:['.][a-z0-9]+)*")
_SEED = 1  # fixed: every stored signature depends on it


@dataclass(frozen=True, slots=True)
class DedupSettings:
    """The analyst's knobs (data/campaigns/dedup.yaml)."""

    shingle_size: int = 3
    num_perm: int = 128
    threshold: float = 0.35
    containment: float = 0.8
    lsh_threshold: float = 0.25
    min_shingles: int = 60
    fuller_margin: float = 0.15


_FIELDS = {"fuller_margin": float, "shingle_size": int, "num_perm": int, "threshold": float, "containment": float,
           "lsh_threshold": float, "min_shingles": int}


def load_settings(path: Path | None = None) -> DedupSettings:
    """Strict loader: every key known, typed and in range."""
    path = path or package_data("campaigns", "dedup.yaml")
    try:
        raw: Any = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DataFileError(f"cannot read: {exc}", where=str(path)) from exc
    if not isinstance(raw, dict) or set(raw) - set(_FIELDS):
        raise DataFileError(f"expected a mapping with keys {sorted(_FIELDS)}", where=str(path))
    values: dict[str, Any] = {}
    for key, kind in _FIELDS.items():
        if key in raw:
            if not isinstance(raw[key], int | float) or isinstance(raw[key], bool):
                raise DataFileError(f"{key}: expected a number", where=str(path))
            values[key] = kind(raw[key])
    s = DedupSettings(**values)
    if not (1 <= s.shingle_size <= 10 and 16 <= s.num_perm <= 1024 and s.min_shingles >= 1
            and 0 <= s.fuller_margin <= 10
            and all(0 < v <= 1 for v in (s.threshold, s.containment, s.lsh_threshold))):
        raise DataFileError("a value is out of range (shingle_size 1-10, num_perm 16-1024, ratios in (0, 1])",
                            where=str(path))
    return s


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """A text's MinHash signature (uint64 values as bytes) and its number of distinct shingles."""

    signature: bytes
    n_shingles: int

    def encode(self) -> str:
        return base64.b64encode(self.signature).decode("ascii")

    @classmethod
    def decode(cls, text: str, n_shingles: int) -> Fingerprint:
        return cls(base64.b64decode(text), n_shingles)

    def values(self) -> np.ndarray[Any, np.dtype[np.uint64]]:
        return np.frombuffer(self.signature, dtype=np.uint64)


def shingles(text: str, k: int) -> set[bytes]:
    """Distinct k-word shingles of the lower-cased text (punctuation and markup-free words)."""
    words = _WORD.findall(text.lower())
    if len(words) < k:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + k]).encode() for i in range(len(words) - k + 1)}


@lru_cache(maxsize=8)
def _template(num_perm: int) -> MinHash:
    # Drawing the permutations costs more than hashing an article: draw them once per process.
    # crc32 is stable across processes (unlike hash()) and is what makes fingerprinting cheap.
    return MinHash(num_perm=num_perm, seed=_SEED, hashfunc=zlib.crc32)


def fingerprint(text: str, settings: DedupSettings) -> Fingerprint:
    """The text's fingerprint."""
    grams = shingles(text, settings.shingle_size)
    t = _template(settings.num_perm)
    mh = MinHash(num_perm=settings.num_perm, hashfunc=zlib.crc32, permutations=t.permutations, scheme=t.scheme)
    if grams:
        mh.update_batch(list(grams))
    return Fingerprint(mh.hashvalues.astype(np.uint64).tobytes(), len(grams))


@lru_cache(maxsize=8)
def band_shape(settings: DedupSettings) -> tuple[int, int]:
    """(bands, rows per band) that datasketch's LSH picks for the threshold and signature length."""
    lsh = MinHashLSH(threshold=settings.lsh_threshold, num_perm=settings.num_perm)
    return int(lsh.b), int(lsh.r)


def band_keys(fp: Fingerprint, settings: DedupSettings) -> list[tuple[int, str]]:
    """(band number, bucket) pairs: two texts sharing any pair are candidates."""
    b, r = band_shape(settings)
    values = fp.values()
    return [(i, hashlib.blake2b(values[i * r : (i + 1) * r].tobytes(), digest_size=8).hexdigest())
            for i in range(b)]


def jaccard(a: Fingerprint, b: Fingerprint) -> float:
    """Estimated Jaccard similarity of the two shingle sets."""
    va, vb = a.values(), b.values()
    return float(np.count_nonzero(va == vb)) / len(va) if len(va) == len(vb) and len(va) else 0.0


def same_story(a: Fingerprint, b: Fingerprint, settings: DedupSettings) -> tuple[bool, float]:
    """Whether two texts are publications of one story, and their estimated similarity.

    Jaccard alone misses a truncated copy (a news site running the first half of a post), so the
    share of the shorter text found in the longer, estimated from Jaccard and the set sizes, counts too.
    """
    if min(a.n_shingles, b.n_shingles) < settings.min_shingles:
        return False, 0.0
    j = jaccard(a, b)
    inter = j * (a.n_shingles + b.n_shingles) / (1 + j)
    contained = inter / min(a.n_shingles, b.n_shingles)
    return j >= settings.threshold or contained >= settings.containment, round(j, 3)
