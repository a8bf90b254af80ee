"""Near-duplicate detection: syndicated copies and re-publications, found with MinHash LSH.

Copies are *marked*, not dropped: the copy stays in its event (the same event as its origin) so a
reader sees every outlet that ran the story, while counts of independent reports stay honest.
The origin of a group of copies is its earliest member by (date, id), so the answer does not depend
on input order. Banding (``bands × rows = num_perm``) finds candidate pairs in linear time; every
candidate is then checked against ``config.dedup_threshold`` on the full signature.

Two guards keep page furniture from passing for a copy. Scrapes that caught only a site's furniture
("We have sent you a verification email…") share nearly all their words, yet report different things:
a candidate must also share a content word of its title with the origin (when both have titles), and
copies are published within ``MAX_GAP_DAYS`` of each other (when both are dated). On the GVA
development file these guards remove 7 of 12 false copies and 3 of 21 true ones (re-publications
more than two months later, or retitled; the event grouping still joins them on their text).

:func:`find_duplicates` marks a whole corpus (a regroup); :class:`CopyIndex` is the same rule for a stream
(``storyline ingest --incremental``): articles go in batch by batch and are marked against the ones it keeps.

>>> copies = find_duplicates(articles, Config())   # doctest: +SKIP
>>> copies["copy-id"]                               # doctest: +SKIP
'origin-id'
"""

from __future__ import annotations

import heapq
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from storyline.config import Config
from storyline.model import Article
from storyline.represent.minhash import MinHasher, jaccard
from storyline.represent.pairs import article_day, canonical_key
from storyline.represent.tokens import STOPWORDS, stem

MIN_WORDS = 30  # below this a shared lead is not a copy, just a short wire snippet
MAX_GAP_DAYS = 60.0
_TITLE_WORD = re.compile(r"[^\W\d_]{3,}")


def _bands(num_perm: int, threshold: float) -> tuple[int, int]:
    """(bands, rows) whose S-curve threshold (1/b)^(1/r) is closest below ``threshold``."""
    best = (num_perm, 1)
    best_gap = float("inf")
    for rows in range(1, num_perm + 1):
        if num_perm % rows:
            continue
        bands = num_perm // rows
        knee = (1.0 / bands) ** (1.0 / rows)
        gap = threshold - knee
        if 0 <= gap < best_gap:
            best, best_gap = (bands, rows), gap
    return best


def title_words(title: str) -> set[str]:
    return {stem(w) for w in _TITLE_WORD.findall(title.lower()) if w not in STOPWORDS}


def _plausible_copy(copy: Article, origin: Article) -> bool:
    """Same title words (if both have titles) and close in time (if both are dated)."""
    return _plausible(title_words(copy.title or ""), article_day(copy), title_words(origin.title or ""),
                      article_day(origin))


def _plausible(words: set[str], day: float | None, other_words: set[str], other_day: float | None) -> bool:
    if words and other_words and not words & other_words:
        return False
    return day is None or other_day is None or abs(day - other_day) <= MAX_GAP_DAYS


def copy_signature(article: Article, hasher: MinHasher) -> np.ndarray | None:
    """The article's MinHash signature, or ``None`` when it is too short to count as a copy (``MIN_WORDS``)."""
    if len(article.body.split()) < MIN_WORDS:
        return None
    return hasher.signature(f"{article.title}\n{article.body}")


@dataclass(slots=True)
class _Kept:
    """What the index keeps of an article: enough to test a later one against it, no text."""

    key: tuple[float, str]
    signature: np.ndarray
    title_words: set[str]
    day: float | None
    origin: str | None  # the root of its group of copies (``None``: it is a root)


class CopyIndex:
    """Near-copies among articles that arrive over time, by the rule of :func:`find_duplicates`.

    :meth:`add` marks an article against the ones kept: its origin is the root of the earliest (by date, id)
    kept article it copies. An article that arrives after its copies (a late one, earlier by date) becomes
    their root instead, and :meth:`add` says which roots it replaced, so the caller can re-point their copies.
    Read in date order the answer is :func:`find_duplicates`'s; with ``window_days`` dated articles more than
    that far behind the newest are dropped (:meth:`retire`), which bounds memory and misses copies published
    further apart (a regroup finds them, up to ``MAX_GAP_DAYS``).

    >>> index = CopyIndex(Config(), window_days=30)                  # doctest: +SKIP
    >>> index.add(wire_story, index.signature(wire_story))           # doctest: +SKIP
    (None, [])
    >>> index.add(reprint, index.signature(reprint))                 # doctest: +SKIP
    ('wire-story-id', [])
    """

    def __init__(self, config: Config, *, window_days: float | None = None) -> None:
        self.hasher = MinHasher(num_perm=config.minhash_perm, seed=config.seed)
        self.threshold = config.dedup_threshold
        self.window_days = window_days
        self._bands, self._rows = _bands(config.minhash_perm, config.dedup_threshold)
        self._buckets: dict[tuple[int, bytes], list[str]] = defaultdict(list)
        self._kept: dict[str, _Kept] = {}
        self._copies: dict[str, set[str]] = defaultdict(set)  # root → its kept copies
        self._queue: list[tuple[float, str]] = []  # (day, id) of dated articles, for retirement
        self._stale = 0  # forgotten articles still in buckets
        self._clock = -np.inf

    def __contains__(self, article_id: str) -> bool:
        return article_id in self._kept

    def __len__(self) -> int:
        return len(self._kept)

    def signature(self, article: Article) -> np.ndarray | None:
        return copy_signature(article, self.hasher)

    def origin_of(self, article_id: str) -> str | None:
        kept = self._kept.get(article_id)
        return kept.origin if kept else None

    def mark(self, articles: Sequence[Article]) -> tuple[dict[str, str], list[tuple[str, str]]]:
        """Add a batch (in (date, id) order) and forget what falls out of the window: returns copy id → origin id
        for the batch and, in the order they happened, (old root, new root) for roots a late original replaced
        (their copies, kept or stored, now copy the new root)."""
        copies: dict[str, str] = {}
        repointed: list[tuple[str, str]] = []
        for article in sorted(articles, key=canonical_key):
            origin, replaced = self.add(article, self.signature(article))
            if origin is not None:
                copies[article.id] = origin
            repointed += [(old, origin or article.id) for old in replaced]
        for old, new in repointed:
            copies = {copy: new if origin == old else origin for copy, origin in copies.items()}
        self.retire()
        return copies, repointed

    def keep(self, article: Article, signature: np.ndarray | None) -> None:
        """Keep a stored article with the origin it was given (``article.duplicate_of``), unchecked: a restart
        over a store keeps its marks."""
        if signature is not None and article.id not in self._kept:
            self._insert(article.id, self._entry(article, signature, article.duplicate_of), self._band_keys(signature))

    def add(self, article: Article, signature: np.ndarray | None) -> tuple[str | None, list[str]]:
        """Keep ``article`` (``signature`` from :meth:`signature`); returns its origin (``None``: not a copy) and
        the roots it replaced — kept articles, later by (date, id), that it turns out to be copied from."""
        if signature is None or article.id in self._kept:
            return (self.origin_of(article.id), [])
        entry = self._entry(article, signature, None)
        keys = self._band_keys(signature)
        candidates = sorted({other for bucket in keys for other in self._buckets.get(bucket, ()) if other in self._kept},
                            key=lambda other: self._kept[other].key)
        matches = [other for other in candidates
                   if jaccard(signature, self._kept[other].signature) >= self.threshold
                   and _plausible(entry.title_words, entry.day, self._kept[other].title_words, self._kept[other].day)]
        earlier = [other for other in matches if self._kept[other].key < entry.key]
        origin = entry.origin = (self._kept[earlier[0]].origin or earlier[0]) if earlier else None
        root = origin or article.id
        replaced = [other for other in matches if self._kept[other].key > entry.key and self._kept[other].origin is None]
        for old in replaced:  # a late original: its copies' root becomes ours
            for member in [old, *sorted(self._copies.pop(old, ()))]:
                self._kept[member].origin = root
                self._copies[root].add(member)
        self._insert(article.id, entry, keys)
        return origin, replaced

    def _band_keys(self, signature: np.ndarray) -> list[tuple[int, bytes]]:
        raw, width = signature.tobytes(), self._rows * signature.itemsize  # bytes slices: cheaper than arrays'
        return [(band, raw[band * width : (band + 1) * width]) for band in range(self._bands)]

    @staticmethod
    def _entry(article: Article, signature: np.ndarray, origin: str | None) -> _Kept:
        return _Kept(canonical_key(article), signature, title_words(article.title or ""), article_day(article), origin)

    def _insert(self, article_id: str, entry: _Kept, keys: list[tuple[int, bytes]]) -> None:
        self._kept[article_id] = entry
        if entry.origin is not None:
            self._copies[entry.origin].add(article_id)
        for bucket in keys:
            self._buckets[bucket].append(article_id)
        if entry.day is not None:
            self._clock = max(self._clock, entry.day)
            if self.window_days is not None:
                heapq.heappush(self._queue, (entry.day, article_id))

    def retire(self) -> int:
        """Forget dated articles more than ``window_days`` behind the newest; returns how many. Their bucket
        entries are swept once they outnumber the kept articles (amortised: a stream adds one at a time)."""
        if self.window_days is None:
            return 0
        horizon = self._clock - self.window_days
        count = 0
        while self._queue and self._queue[0][0] < horizon:
            article_id = heapq.heappop(self._queue)[1]
            kept = self._kept.pop(article_id)
            count += 1
            if kept.origin is not None and kept.origin in self._copies:
                members = self._copies[kept.origin]
                members.discard(article_id)
                if not members:
                    del self._copies[kept.origin]
        self._stale += count
        if self._stale > max(1000, len(self._kept)):
            for bucket in list(self._buckets):
                ids = [i for i in self._buckets[bucket] if i in self._kept]
                if ids:
                    self._buckets[bucket] = ids
                else:
                    del self._buckets[bucket]
            self._stale = 0
        return count


def find_duplicates(articles: Sequence[Article], config: Config) -> dict[str, str]:
    """Map each near-copy's id to its origin's id (articles with no copy are absent)."""
    index = CopyIndex(config)
    origin_of: dict[str, str] = {}
    for article in sorted(articles, key=canonical_key):
        origin, _ = index.add(article, index.signature(article))
        if origin is not None:
            origin_of[article.id] = origin
    return origin_of
