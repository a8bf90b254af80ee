"""Streaming TF-IDF: document frequencies that grow with the corpus, sparse unit vectors as dicts.

A stream has no fixed vocabulary, so the IDF is computed from the documents seen so far (the
current batch included). Rare terms — a victim's name, a town, a street — weigh most, which is
what tells two events of the same kind apart. Vectors are plain ``dict[str, float]``: an article
has a few hundred terms, so dict dot products beat sparse-matrix plumbing at this size and keep the
index trivially picklable.

>>> weights = DocumentFrequencies()
>>> weights.add([{"fire": 1.0, "n:bastrop": 1.0}, {"fire": 1.0}])
>>> vec = weights.vector({"fire": 1.0, "n:bastrop": 1.0})
>>> vec["n:bastrop"] > vec["fire"]
True
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping

SparseVector = dict[str, float]


class DocumentFrequencies:
    """Counts of documents per term; ``vector`` turns term counts into an L2-unit TF-IDF vector.

    ``max_terms`` keeps only the heaviest terms of each vector: the tail adds little to a cosine and
    costs memory in a million-article index.
    """

    def __init__(self, *, max_terms: int = 150) -> None:
        self.df: Counter[str] = Counter()
        self.n_docs = 0
        self.max_terms = max_terms
        self._idf: dict[str, float] = {}  # memo, valid until the next ``add``

    def add(self, documents: Iterable[Mapping[str, float]]) -> None:
        for terms in documents:
            self.n_docs += 1
            self.df.update(terms.keys())
        self._idf = {}

    def idf(self, term: str) -> float:
        value = self._idf.get(term)
        if value is None:
            value = self._idf[term] = math.log((self.n_docs + 1) / (self.df.get(term, 0) + 1)) + 1.0
        return value

    def vector(self, terms: Mapping[str, float]) -> SparseVector:
        memo = self._idf
        for term in terms:
            if term not in memo:
                self.idf(term)
        log = math.log
        weighted = {t: (1.0 + log(c)) * memo[t] for t, c in terms.items() if c > 0} if terms else {}
        if len(weighted) > self.max_terms:
            weighted = truncate(weighted, self.max_terms)
        return normalize(weighted)


def normalize(vector: Mapping[str, float]) -> SparseVector:
    norm = math.sqrt(sum([v * v for v in vector.values()]))  # a list sums faster than a generator, same order
    if norm == 0.0:
        return {}
    return {t: v / norm for t, v in vector.items()}


def dot(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum([v * b[t] for t, v in a.items() if t in b])  # a list sums faster than a generator, same order


def top_shared(a: Mapping[str, float], b: Mapping[str, float], k: int = 8) -> list[str]:
    """The terms that contribute most to ``dot(a, b)``: the human-readable part of a similarity."""
    shared = [(a[t] * b[t], t) for t in a.keys() & b.keys()]
    return [t for _, t in sorted(shared, key=lambda x: (-x[0], x[1]))[:k]]


def add_into(target: dict[str, float], vector: Mapping[str, float], scale: float = 1.0) -> None:
    for t, v in vector.items():
        target[t] = target.get(t, 0.0) + v * scale


def truncate(vector: Mapping[str, float], k: int) -> SparseVector:
    """Keep the ``k`` heaviest entries (ties broken by term, so the result is deterministic)."""
    if len(vector) <= k:
        return dict(vector)
    return {t: -negative for negative, t in sorted([(-v, t) for t, v in vector.items()])[:k]}
