"""Online event grouping: each article joins the most similar live event or opens a new one.

An event is *who, what, where, when*. The score of an article against an event is

    score = lexical × time_factor + embedding bonus

* **lexical**: cosine between the article's streaming TF-IDF vector (title and lead weigh more,
  capitalised names, name pairs and numbers get extra features, see :mod:`storyline.represent.tokens`)
  and the event centroid. Rare shared names dominate, which separates two shootings or two
  earthquakes of the same week.
* **time_factor**: 1 while the article falls within ``config.event_window_days`` of the event's
  span, then decays (half-life ``DECAY_DAYS``) towards ``TIME_FLOOR``; follow-ups months later
  (trials, funerals) can still join on strong name overlap. No date on either side: no penalty.
  The span grows as articles arrive.
* **embedding** (optional, multilingual USE): a small bonus above ``EMBED_BASE`` breaks ties, and
  across languages, where words cannot match, it is the bridge (``CROSS_LANG_*``).

Candidates come from an inverted index over each event's heaviest terms plus, with an embedder, a
random-hyperplane LSH over lead embeddings — never an n×n matrix. Events idle for more than
``config.horizon_days`` (of article time) leave the hot index; their records stay.

Determinism: :func:`group_events` sorts by (date or +inf, id) before inserting, so the same set of
articles gives the same events in any input order. Event ids are
``stable_id("e", earliest article id by (date, id))``.

>>> index = EventIndex(Config(fast=True))
>>> assignment = index.insert(articles)          # doctest: +SKIP
>>> index.evidence()[article_id]["shared_terms"]  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from storyline.config import Config
from storyline.model import Article, Event, stable_id
from storyline.represent.embed import Embedder
from storyline.represent.features import DocumentFrequencies, SparseVector, add_into, dot, top_shared, truncate
from storyline.represent.tokens import terms_of

QUERY_TERMS = 24  # heaviest article terms used to look up candidate events
POSTED_TERMS = 16  # heaviest terms of each member article posted for its event
MAX_POSTINGS = 400  # a term shared by more live events than this is too common to find candidates
CENTROID_TERMS = 400
EVIDENCE_MEMBERS = 24  # member vectors kept per event to name the closest article in `--why`
DECAY_DAYS = 20.0
MEMBER_WEIGHT = 0.9  # best single member counts too: events grow along a thread of reports
TIME_FLOOR = 0.55
EMBED_WEIGHT = 0.25
EMBED_BASE = 0.55
CROSS_LANG_BASE = 0.55
CROSS_LANG_SCALE = 1.6
LSH_BITS = 12
LSH_BANDS = 4
EMBED_CHARS = 300
MAX_IDLE_INSERTS = 200_000  # undated events leave the hot index after this many later articles
_NO_DATE = math.inf


@dataclass
class _LiveEvent:
    key: int
    first: tuple[float, str]
    article_ids: list[str] = field(default_factory=list)
    centroid: SparseVector = field(default_factory=dict)
    mass: float = 0.0
    norm: float = 0.0
    start: float | None = None
    end: float | None = None
    langs: set[str] = field(default_factory=set)
    posted: set[str] = field(default_factory=set)
    members: list[tuple[str, SparseVector]] = field(default_factory=list)
    embedding: np.ndarray | None = None
    lsh_keys: set[tuple[int, int]] = field(default_factory=set)
    last_seq: int = 0


@dataclass
class _Record:
    """What is kept of every event, hot or retired: enough to build :class:`Event`."""

    first: tuple[float, str]
    article_ids: list[str] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)
    dates: list[datetime] = field(default_factory=list)
    outlets: set[str] = field(default_factory=set)


def article_day(article: Article) -> float | None:
    """Publication time in days (fractional), or ``None`` when the year is unknown."""
    published = article.published
    if published is None:
        return None
    return published.toordinal() + (published.hour * 60 + published.minute) / 1440.0


def canonical_key(article: Article) -> tuple[float, str]:
    day = article_day(article)
    return (day if day is not None else _NO_DATE, article.id)


def script_language(article: Article) -> str:
    """``article.lang`` when known, else a guess from the alphabet of the title and lead."""
    if article.lang:
        return article.lang
    sample = article.lead
    cyrillic = sum(1 for ch in sample if "\u0400" <= ch <= "\u04ff")
    latin = sum(1 for ch in sample if ch.isascii() and ch.isalpha())
    return "ru" if cyrillic > latin else "en"


class EventIndex:
    """The hot index of live events; ``insert`` assigns a batch of articles online.

    ``embedder=None`` (``--fast``) groups on lexical evidence alone. ``seed`` (``config.seed``) fixes
    the LSH hyperplanes. State lives in the object; two indexes never share anything.
    """

    def __init__(self, config: Config, embedder: Embedder | None = None) -> None:
        self.config = config
        self.embedder = embedder if config.use_embeddings else None
        self.threshold = config.event_threshold
        self.frequencies = DocumentFrequencies()
        self._live: dict[int, _LiveEvent] = {}
        self._records: dict[int, _Record] = {}
        self._postings: dict[str, set[int]] = defaultdict(set)
        self._lsh: dict[tuple[int, int], set[int]] = defaultdict(set)
        self._event_of: dict[str, int] = {}
        self._evidence: dict[str, dict[str, Any]] = {}
        self._next_key = 0
        self._seq = 0
        self._clock: float | None = None
        rng = np.random.default_rng(config.seed)
        self._planes = rng.standard_normal((512, LSH_BITS * LSH_BANDS)).astype(np.float32)

    # ------------------------------------------------------------------ public verbs
    def insert(self, articles: Sequence[Article]) -> dict[str, str]:
        """Assign each article (in the given order) to an event; returns article id → event id."""
        fresh = [a for a in articles if a.id not in self._event_of]
        term_counts = [terms_of(a) for a in fresh]
        self.frequencies.add(term_counts)
        vectors = [self.frequencies.vector(t) for t in term_counts]
        embeddings = self._embed(fresh)
        for i, article in enumerate(fresh):
            self._assign(article, vectors[i], None if embeddings is None else embeddings[i])
        self._retire_idle()
        ids = self._event_ids()
        return {a.id: ids[self._event_of[a.id]] for a in articles if a.id in self._event_of}

    def similarity(self, first: Article, second: Article) -> float:
        """The score ``first`` would get against an event holding only ``second`` (IDF as seen so far)."""
        vectors = [self.frequencies.vector(terms_of(a)) for a in (first, second)]
        embeddings = self._embed([first, second])
        probe = _LiveEvent(key=-1, first=canonical_key(second))
        day = article_day(second)
        probe.centroid, probe.norm = dict(vectors[1]), 1.0 if vectors[1] else 0.0
        probe.start = probe.end = day
        probe.langs = {script_language(second)}
        probe.embedding = None if embeddings is None else embeddings[1]
        score, _ = self._score(probe, vectors[0], None if embeddings is None else embeddings[0],
                               article_day(first), script_language(first))
        return score

    def __contains__(self, article_id: str) -> bool:
        return article_id in self._event_of

    def __len__(self) -> int:
        return len(self._records)

    def events(self) -> list[Event]:
        """Every event seen (hot and retired), sorted by (start, id)."""
        ids = self._event_ids()
        out = []
        for key, record in self._records.items():
            first_title = record.titles.get(record.first[1], "")
            out.append(
                Event(
                    id=ids[key],
                    article_ids=sorted(record.article_ids),
                    title=first_title,
                    start=min(record.dates) if record.dates else None,
                    end=max(record.dates) if record.dates else None,
                    outlets=sorted(record.outlets),
                )
            )
        return sorted(out, key=lambda e: (e.start or datetime.max, e.id))

    def evidence(self) -> dict[str, dict[str, Any]]:
        """Per article: the event it joined and why (scores, closest member, shared terms/names, days)."""
        ids = self._event_ids()
        return {
            aid: {**ev, "event_id": ids[self._event_of[aid]]} for aid, ev in sorted(self._evidence.items())
        }

    # ------------------------------------------------------------------ assignment
    def _assign(self, article: Article, vector: SparseVector, embedding: np.ndarray | None) -> None:
        self._seq += 1
        day = article_day(article)
        if day is not None:
            self._clock = day if self._clock is None else max(self._clock, day)
        lang = script_language(article)
        origin = article.duplicate_of
        best: tuple[float, int] | None = None
        details: dict[str, Any] = {}
        if origin and origin in self._event_of and self._event_of[origin] in self._live:
            best = (1.0, self._event_of[origin])
            details = {"duplicate_of": origin}
        else:
            for key in self._candidates(vector, embedding):
                score, parts = self._score(self._live[key], vector, embedding, day, lang)
                if score >= self.threshold and (best is None or (score, -key) > (best[0], -best[1])):
                    best, details = (score, key), parts
        if best is None:
            event = self._open(article)
            self._evidence[article.id] = {"score": None, "new_event": True, "similar_to": None,
                                          "shared_terms": [], "shared_entities": [], "days_apart": None,
                                          "embedding_sim": None, "lexical_sim": None}
        else:
            event = self._live[best[1]]
            self._evidence[article.id] = self._explain(event, vector, best[0], details)
        self._add(event, article, vector, embedding, day, lang)

    def _candidates(self, vector: SparseVector, embedding: np.ndarray | None) -> list[int]:
        found: set[int] = set()
        for term, _ in sorted(vector.items(), key=lambda kv: (-kv[1], kv[0]))[:QUERY_TERMS]:
            posting = self._postings.get(term)
            if posting and len(posting) <= MAX_POSTINGS:
                found |= posting
        if embedding is not None:
            for lsh_key in self._lsh_keys(embedding):
                posting = self._lsh.get(lsh_key)
                if posting and len(posting) <= MAX_POSTINGS:
                    found |= posting
        return sorted(found)

    def _score(
        self, event: _LiveEvent, vector: SparseVector, embedding: np.ndarray | None, day: float | None, lang: str
    ) -> tuple[float, dict[str, Any]]:
        lexical = dot(vector, event.centroid) / event.norm if event.norm else 0.0
        if MEMBER_WEIGHT and len(event.members) > 1:
            lexical = max(lexical, MEMBER_WEIGHT * max(dot(vector, m[1]) for m in event.members))
        gap = None
        factor = 1.0
        if day is not None and event.start is not None and event.end is not None:
            gap = max(0.0, event.start - day, day - event.end)
            over = max(0.0, gap - self.config.event_window_days)
            factor = TIME_FLOOR + (1.0 - TIME_FLOOR) * 0.5 ** (over / DECAY_DAYS)
        score = lexical * factor
        similarity = None
        if embedding is not None and event.embedding is not None:
            norm = float(np.linalg.norm(event.embedding))
            similarity = float(embedding @ event.embedding) / norm if norm else 0.0
            if lang not in event.langs:
                score = max(score, (similarity - CROSS_LANG_BASE) * CROSS_LANG_SCALE * factor)
            score += EMBED_WEIGHT * max(0.0, similarity - EMBED_BASE) * factor
        return score, {"lexical_sim": round(lexical, 4), "embedding_sim": None if similarity is None
                       else round(similarity, 4), "days_apart": None if gap is None else round(gap, 2)}

    def _explain(self, event: _LiveEvent, vector: SparseVector, score: float, parts: dict[str, Any]) -> dict[str, Any]:
        closest = max(event.members, key=lambda m: (dot(vector, m[1]), m[0]), default=None)
        shared = top_shared(vector, event.centroid, 12)
        return {
            "score": round(score, 4),
            "new_event": False,
            "similar_to": closest[0] if closest else None,
            "shared_terms": [t for t in shared if not t.startswith(("n:", "e:"))][:8],
            "shared_entities": [t.split(":", 1)[1] for t in shared if t.startswith(("n:", "e:"))][:8],
            "lexical_sim": parts.get("lexical_sim"),
            "embedding_sim": parts.get("embedding_sim"),
            "days_apart": parts.get("days_apart"),
            **({"duplicate_of": parts["duplicate_of"]} if "duplicate_of" in parts else {}),
        }

    # ------------------------------------------------------------------ state updates
    def _open(self, article: Article) -> _LiveEvent:
        key = self._next_key
        self._next_key += 1
        first = canonical_key(article)
        self._live[key] = _LiveEvent(key=key, first=first)
        self._records[key] = _Record(first=first)
        return self._live[key]

    def _add(
        self, event: _LiveEvent, article: Article, vector: SparseVector, embedding: np.ndarray | None,
        day: float | None, lang: str,
    ) -> None:
        self._event_of[article.id] = event.key
        event.article_ids.append(article.id)
        event.last_seq = self._seq
        event.langs.add(lang)
        add_into(event.centroid, vector)
        if len(event.centroid) > CENTROID_TERMS * 2:
            event.centroid = truncate(event.centroid, CENTROID_TERMS)
        event.norm = math.sqrt(sum(v * v for v in event.centroid.values()))
        if day is not None:
            event.start = day if event.start is None else min(event.start, day)
            event.end = day if event.end is None else max(event.end, day)
        if len(event.members) < EVIDENCE_MEMBERS:
            event.members.append((article.id, vector))
        for term, _ in sorted(vector.items(), key=lambda kv: (-kv[1], kv[0]))[:POSTED_TERMS]:
            if term not in event.posted:
                event.posted.add(term)
                self._postings[term].add(event.key)
        if embedding is not None and np.any(embedding):
            event.embedding = embedding.copy() if event.embedding is None else event.embedding + embedding
            for lsh_key in self._lsh_keys(embedding):
                if lsh_key not in event.lsh_keys:
                    event.lsh_keys.add(lsh_key)
                    self._lsh[lsh_key].add(event.key)
        record = self._records[event.key]
        record.article_ids.append(article.id)
        record.titles[article.id] = article.title
        if article.published is not None:
            record.dates.append(article.published)
        if article.outlet:
            record.outlets.add(article.outlet)
        key = canonical_key(article)
        if key < record.first:
            record.first = event.first = key

    def _retire_idle(self) -> None:
        """Drop events idle beyond the horizon from the hot index (their records stay)."""
        horizon = self.config.horizon_days
        stale = [
            e.key for e in self._live.values()
            if (e.end is not None and self._clock is not None and self._clock - e.end > horizon)
            or (e.end is None and self._seq - e.last_seq > MAX_IDLE_INSERTS)
        ]
        for key in stale:
            event = self._live.pop(key)
            for term in event.posted:
                self._discard(self._postings, term, key)
            for lsh_key in event.lsh_keys:
                self._discard(self._lsh, lsh_key, key)

    @staticmethod
    def _discard(index: dict[Any, set[int]], term: Any, key: int) -> None:
        posting = index.get(term)
        if posting is not None:
            posting.discard(key)
            if not posting:
                del index[term]

    # ------------------------------------------------------------------ helpers
    def _embed(self, articles: Sequence[Article]) -> np.ndarray | None:
        if self.embedder is None or not articles:
            return None
        texts = [f"{a.title}. {a.body[:EMBED_CHARS]}" if a.title else a.body[:EMBED_CHARS] for a in articles]
        return self.embedder.encode(texts)

    def _lsh_keys(self, embedding: np.ndarray) -> list[tuple[int, int]]:
        bits = (embedding @ self._planes) > 0
        keys = []
        for band in range(LSH_BANDS):
            chunk = bits[band * LSH_BITS : (band + 1) * LSH_BITS]
            keys.append((band, int(np.packbits(chunk, bitorder="little").view(np.uint16)[0])))
        return keys

    def _event_ids(self) -> dict[int, str]:
        return {key: stable_id("e", record.first[1]) for key, record in self._records.items()}


def group_events(
    articles: Sequence[Article], config: Config, embedder: Embedder | None = None
) -> tuple[list[Event], dict[str, dict[str, Any]]]:
    """Batch grouping: canonical order (date, id), then one online pass of :class:`EventIndex`."""
    index = EventIndex(config, embedder)
    ordered = sorted(articles, key=canonical_key)
    for lo in range(0, len(ordered), config.batch_size):
        index.insert(ordered[lo : lo + config.batch_size])
    return index.events(), index.evidence()
