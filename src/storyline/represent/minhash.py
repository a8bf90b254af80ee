"""MinHash signatures over word shingles, vectorised with numpy and seeded explicitly.

Syndicated copies and re-publications share long runs of words even after another outlet's
boilerplate is added; Jaccard similarity of word 5-shingles captures that, and MinHash estimates it
in constant space. Hashes are ``(a·x + b) mod p`` over 32-bit shingle hashes (CRC-32, so stable
across processes unlike ``hash``), with ``a, b`` drawn from ``numpy.random.default_rng(seed)``:
signatures made with different seeds must never be compared (datasketch's rule).

>>> hasher = MinHasher(num_perm=64, seed=1)
>>> a = hasher.signature("the quick brown fox jumps over the lazy dog again and again")
>>> b = hasher.signature("the quick brown fox jumps over the lazy dog again and again!")
>>> round(float(jaccard(a, b)), 2)
1.0
"""

from __future__ import annotations

import re
import zlib

import numpy as np

_PRIME = np.uint64((1 << 61) - 1)
_MAX_HASH = np.uint64((1 << 32) - 1)
_WORD = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, size: int = 5, max_words: int = 3000) -> set[str]:
    """Word ``size``-grams of the lower-cased text (the whole text as one shingle if it is shorter)."""
    words = _WORD.findall(text.lower())[:max_words]
    if len(words) < size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def _shingle_hashes(text: str, size: int, max_words: int = 3000) -> np.ndarray:
    """CRC-32 of each of :func:`shingles` (repeats included: they change no minimum), without making the strings.

    The words joined by single spaces are encoded once; a shingle is the bytes from its first word's start to its
    last word's end, since no word holds a space.
    """
    words = _WORD.findall(text.lower())[:max_words]
    if not words:
        return np.empty(0, dtype=np.uint64)
    joined = " ".join(words).encode("utf-8")
    if len(words) < size:
        return np.array([zlib.crc32(joined)], dtype=np.uint64)
    spaces = np.flatnonzero(np.frombuffer(joined, dtype=np.uint8) == 32)
    starts = [0, *(spaces + 1).tolist()][: len(words) - size + 1]
    ends = [*spaces.tolist(), len(joined)][size - 1 :]
    view = memoryview(joined)
    crc = zlib.crc32
    return np.fromiter((crc(view[lo:hi]) for lo, hi in zip(starts, ends, strict=True)), dtype=np.uint64,
                       count=len(starts))


class MinHasher:
    """Seeded hash family; ``signature`` gives a ``(num_perm,)`` uint32 array."""

    def __init__(self, num_perm: int = 128, seed: int = 1, shingle_size: int = 5) -> None:
        rng = np.random.default_rng(seed)
        self.num_perm = num_perm
        self.seed = seed
        self.shingle_size = shingle_size
        self.a = rng.integers(1, (1 << 32) - 1, size=num_perm, dtype=np.uint64)
        self.b = rng.integers(0, (1 << 32) - 1, size=num_perm, dtype=np.uint64)

    def signature(self, text: str) -> np.ndarray:
        values = _shingle_hashes(text, self.shingle_size)
        if not len(values):
            return np.full(self.num_perm, _MAX_HASH, dtype=np.uint32)
        hashed = (values[:, None] * self.a[None, :] + self.b[None, :]) % _PRIME & _MAX_HASH
        return hashed.min(axis=0).astype(np.uint32)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures of the same :class:`MinHasher`."""
    return float(np.mean(a == b))
