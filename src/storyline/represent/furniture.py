"""Page furniture the cleaner missed, found by repetition across articles and left out of grouping features.

Scraped news carries sentences that belong to the site, not the story: "Your notification has been saved.",
"We have sent you a verification email…", "Close Get email notifications on Kim Bell daily!", and title
suffixes such as " - WCAX.COM Local Vermont News, Weather and Sports". Two reports of different shootings from
one site then look alike, because their most repeated text is the same. A sentence is *furniture* when most of
its word 4-grams occur in at least ``min_docs`` distinct articles; a title segment (split on `` - ``, `` | ``,
`` :: ``) when the segment itself does and another segment is left. Counting 4-grams rather than whole sentences
catches furniture that embeds a varying name ("… on Kim Bell daily!").

The trade-off is the threshold: ``min_docs=3`` also drops a sentence that three independent outlets quote
verbatim, so copies found by :func:`storyline.group.dedup.find_duplicates` should be counted once (pass
only origins to :meth:`FurnitureFilter.add`). Only the head and the tail of each body are scanned (furniture
sits there), and 4-grams seen once are pruned every ``prune_every`` articles, so memory stays bounded on a
stream of millions; counts depend on the order of ``add`` calls only through that pruning.

>>> furniture = FurnitureFilter(min_docs=2)
>>> furniture.add(["Storm hits coast. Sign up for our newsletter today.", "Fire in town. Sign up for our newsletter today."])
>>> furniture.body("Fire in town. Sign up for our newsletter today.")
'Fire in town. '
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from zlib import crc32

_SENTENCE_END = re.compile(r"[.!?]+\s*|\n\s*")
_WORD = re.compile(r"\w+")
_TITLE_SEPARATOR = re.compile(r"\s+(?:[-–—|:]{1,2})\s+|\s*\|\s*")

HEAD_CHARS = 2000
TAIL_CHARS = 800
SHINGLE = 4


@lru_cache(maxsize=1 << 16)
def _grams(sentence: str) -> tuple[int, ...]:
    """Hashes of the word 4-grams, the same in every process (never stored).

    Words become CRC-32s and a 4-gram the hash of a tuple of ints, which Python does not randomise per process
    as it does for strings: counts made in another process (a :class:`~storyline.group.incremental.ProfileFeed`,
    a Spark worker) mean the same 4-grams here. Memoised: a scanned sentence is hashed when it is counted and
    again when it is filtered, and an outlet's furniture recurs in every article of it.
    """
    words = [crc32(word.encode()) for word in _WORD.findall(sentence.lower())]
    if len(words) < SHINGLE:
        return (hash(tuple(words)),) if words else ()
    return tuple(map(hash, zip(words, words[1:], words[2:], words[3:], strict=False)))


def sentences(text: str) -> list[str]:
    """``text`` cut after each sentence end or line break; the pieces join back to ``text`` exactly."""
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        pieces.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def _segment_key(segment: str) -> str:
    return " ".join(_WORD.findall(segment.lower()))


def title_segments(title: str) -> list[str]:
    return [s.strip() for s in _TITLE_SEPARATOR.split(title) if s.strip()]


class FurnitureFilter:
    """Counts of 4-grams and title segments over articles seen; ``body``/``title`` return text without furniture."""

    def __init__(self, *, min_docs: int = 3, share: float = 0.7, prune_every: int = 20_000) -> None:
        self.min_docs = min_docs
        self.share = share
        self.prune_every = prune_every
        self.grams: Counter[int] = Counter()
        self.segments: Counter[str] = Counter()
        self._since_prune = 0

    def add(self, texts: Iterable[str | tuple[str, str]]) -> None:
        """Count the bodies (or ``(title, body)`` pairs) of some articles, each article once."""
        for item in texts:
            title, body = item if isinstance(item, tuple) else ("", item)
            grams, segments = self.counted(title, body)
            self.grams.update(grams)
            if segments:
                self.segments.update(segments)
            self._since_prune += 1
            if self._since_prune >= self.prune_every:
                self._prune()

    def counted(self, title: str, body: str) -> tuple[set[int], set[str]]:
        """What :meth:`add` counts for one article: its distinct scanned 4-grams and title segment keys.

        Public so that the Spark engine can count them with ``reduceByKey`` (the 4-gram hashes are the same in
        every process, see :func:`_grams`).
        """
        grams: set[int] = set()
        for sentence in self._sentences(body):
            grams.update(_grams(sentence))
        segments = title_segments(title)
        return grams, ({_segment_key(s) for s in segments} if len(segments) > 1 else set())

    def body(self, text: str) -> str:
        """``text`` without furniture sentences in its scanned head and tail."""
        if not self.grams:
            return text
        head, middle, tail = self._split(text)
        return "".join(s for s in sentences(head) if not self._is_furniture(s)) + middle + "".join(
            s for s in sentences(tail) if not self._is_furniture(s))

    def title(self, title: str) -> str:
        """The title without segments that many other titles share (site names, section labels)."""
        segments = title_segments(title)
        if len(segments) < 2:
            return title
        kept = [s for s in segments if self.segments[_segment_key(s)] < self.min_docs]
        return " - ".join(kept) if kept else max(segments, key=len)

    def _is_furniture(self, sentence: str) -> bool:
        grams = _grams(sentence)
        if not grams:
            return False
        counts, least = self.grams, self.min_docs
        common = sum(1 for g in grams if counts.get(g, 0) >= least)
        return common >= self.share * len(grams)

    def _sentences(self, body: str) -> list[str]:
        head, _, tail = self._split(body)
        return sentences(head) + sentences(tail)

    @staticmethod
    def _split(text: str) -> tuple[str, str, str]:
        if len(text) <= HEAD_CHARS + TAIL_CHARS:
            return text, "", ""
        return text[:HEAD_CHARS], text[HEAD_CHARS:-TAIL_CHARS], text[-TAIL_CHARS:]

    def _prune(self) -> None:
        self.grams = Counter({g: c for g, c in self.grams.items() if c > 1})
        self._since_prune = 0
