"""Events: articles that report the same happening, found by average-linkage clustering of a sparse pair graph.

An event is *who, what, where, when*. :mod:`storyline.represent.pairs` turns each article into a profile
(TF-IDF of title, lead and body without page furniture, with capitalised names, numbers and years as extra
features; publication day; language; optional multilingual embedding), finds candidate pairs by blocking
(never an n×n matrix) and scores them: lexical cosine, raised by the embedding (a tie-breaker, and the only
bridge across languages), times a time factor that lets follow-ups weeks later still join on strong names.

Two ways to use it, one score:

* :func:`group_events` (what ``storyline run`` and ``storyline eval`` use): average linkage over the scored
  pairs of the whole corpus — two groups merge while the mean score over all their cross pairs (missing
  pairs count 0) reaches ``config.event_threshold``. A roundup that mentions ten incidents cannot glue them
  together, because it is one pair among many. The result is a function of the set of articles: profiles
  are built over everything first and the agglomeration breaks ties by canonical order (date, id).
* :class:`EventIndex` (a stream): ``insert`` puts each new article into the live event with the best
  average score to its members, or opens a new one; ``consolidate`` merges live events whose average
  linkage reaches the threshold and records each merge. Ids never change on insert.

Event ids are ``stable_id("e", <earliest member by (date, id)>)``, so an event keeps its id as later reports
join, and the same corpus gives the same ids in any order. Per article, ``evidence`` says why it is there:
the most similar member, the parts of that pair's score, shared terms and names, dates, shared quotes.

>>> events, evidence = group_events(articles, Config(fast=True))          # doctest: +SKIP
>>> evidence[article_id]["similar_to"], evidence[article_id]["shared_names"]   # doctest: +SKIP
"""

from __future__ import annotations

import heapq
import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np

from storyline.config import Config
from storyline.model import Article, Event, stable_id
from storyline.represent.embed import Embedder
from storyline.represent.features import top_shared
from storyline.represent.pairs import (
    PairScores,
    Profile,
    Profiler,
    article_day,
    candidate_pairs,
    canonical_key,
    score_pairs,
    script_language,
)

__all__ = ["EventIndex", "article_day", "average_linkage", "canonical_key", "group_events", "script_language"]

EDGE_FLOOR = 0.02  # pair scores below this are dropped from the graph (they barely move an average)
DUPLICATE_SCORE = 1.0


def average_linkage(
    n: int, pairs: np.ndarray, scores: np.ndarray, threshold: float, initial: Sequence[int] | None = None
) -> list[int]:
    """Cluster labels (the smallest member index) by average linkage over a sparse graph.

    ``pairs`` are index pairs with ``scores``; absent pairs score 0. ``initial`` optionally gives starting
    groups (labels per item), which are only ever merged. Ties break on the smaller index pair, so with
    items in canonical order the result does not depend on input order.
    """
    label = list(range(n)) if initial is None else [int(x) for x in initial]
    roots = sorted(set(label))
    size = {r: 0 for r in roots}
    for x in label:
        size[x] += 1
    links: dict[int, dict[int, float]] = {r: {} for r in roots}
    for (i, j), score in zip(pairs.tolist(), scores.tolist(), strict=True):
        a, b = label[i], label[j]
        if a != b:
            links[a][b] = links[a].get(b, 0.0) + score
            links[b][a] = links[b].get(a, 0.0) + score
    version = dict.fromkeys(roots, 0)
    heap = [(-s / (size[a] * size[b]), a, b, 0, 0) for a in roots for b, s in links[a].items() if a < b]
    heap = [h for h in heap if -h[0] >= threshold]
    heapq.heapify(heap)
    parent = {r: r for r in roots}
    while heap:
        _, a, b, va, vb = heapq.heappop(heap)
        if parent[a] != a or parent[b] != b or version[a] != va or version[b] != vb:
            continue
        keep, drop = min(a, b), max(a, b)
        links[keep].pop(drop, None)
        links[drop].pop(keep, None)
        for other, s in links.pop(drop).items():
            del links[other][drop]
            links[keep][other] = links[keep].get(other, 0.0) + s
            links[other][keep] = links[keep][other]
        parent[drop] = keep
        size[keep] += size.pop(drop)
        version[keep] += 1
        for other, s in links[keep].items():
            mean = s / (size[keep] * size[other])
            if mean >= threshold:
                x, y = min(keep, other), max(keep, other)
                heapq.heappush(heap, (-mean, x, y, version[x], version[y]))

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    return [find(x) for x in label]


class _Graph:
    """Profiles, scored pairs and adjacency: what evidence and clustering read."""

    def __init__(self, articles: list[Article], profiles: list[Profile], scored: PairScores) -> None:
        self.articles = articles
        self.profiles = profiles
        self.scored = scored
        self.adjacent: dict[int, list[tuple[float, int, int]]] = defaultdict(list)  # i -> (score, j, row)
        for row, ((i, j), score) in enumerate(zip(scored.pairs.tolist(), scored.score.tolist(), strict=True)):
            self.adjacent[i].append((score, j, row))
            self.adjacent[j].append((score, i, row))


def _build(articles: Sequence[Article], config: Config, embedder: Embedder | None) -> _Graph:
    """Profiles over the whole set (canonical order), blocked pairs, scores; copies tied to their origin."""
    ordered = sorted(articles, key=canonical_key)
    profiler = Profiler(embedder if config.use_embeddings else None)
    profiler.observe(ordered)
    profiles = profiler.profiles(ordered)
    pairs = candidate_pairs(profiles, seed=config.seed)
    position = {a.id: i for i, a in enumerate(ordered)}
    copies = sorted({(min(i, j), max(i, j)) for a in ordered if a.duplicate_of in position
                     for i, j in [(position[a.id], position[a.duplicate_of])] if i != j})
    if copies:
        pairs = np.unique(np.vstack([pairs, np.array(copies, dtype=np.int64)]), axis=0)
    scored = score_pairs(profiles, pairs, config)
    if copies:
        is_copy = {tuple(p) for p in copies}
        forced = np.array([tuple(p) in is_copy for p in scored.pairs.tolist()])
        scored.score = np.where(forced, np.maximum(scored.score, DUPLICATE_SCORE), scored.score)
    keep = scored.score >= EDGE_FLOOR
    scored = PairScores(scored.pairs[keep], scored.lexical[keep], scored.embedding[keep], scored.factor[keep],
                        scored.gap[keep], scored.score[keep])
    return _Graph(ordered, profiles, scored)


def group_events(
    articles: Sequence[Article], config: Config, embedder: Embedder | None = None
) -> tuple[list[Event], dict[str, dict[str, Any]]]:
    """Events of a whole corpus and per-article evidence; independent of input order and batch size."""
    if not articles:
        return [], {}
    graph = _build(articles, config, embedder)
    labels = average_linkage(len(graph.articles), graph.scored.pairs, graph.scored.score, config.event_threshold)
    members: dict[int, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        members[label].append(index)
    events = [_event([graph.articles[i] for i in group]) for group in members.values()]
    evidence = {}
    for group in members.values():
        event_id = stable_id("e", graph.articles[group[0]].id)
        for index in group:
            evidence[graph.articles[index].id] = _explain(graph, index, set(group), event_id)
    return sorted(events, key=lambda e: (e.start or datetime.max, e.id)), dict(sorted(evidence.items()))


def _event(members: Sequence[Article]) -> Event:
    """An Event from member articles (canonical order); the first one names and titles it."""
    first = min(members, key=canonical_key)
    dates = [a.published for a in members if a.published is not None]
    return Event(id=stable_id("e", first.id), article_ids=sorted(a.id for a in members), title=first.title,
                 start=min(dates) if dates else None, end=max(dates) if dates else None,
                 outlets=sorted({a.outlet for a in members if a.outlet}))


def _explain(graph: _Graph, index: int, group: set[int], event_id: str) -> dict[str, Any]:
    """Why article ``index`` is in its event: its best link inside the event and that link's parts."""
    article = graph.articles[index]
    links = [(score, other, row) for score, other, row in graph.adjacent.get(index, ()) if other in group]
    out: dict[str, Any] = {"event_id": event_id, "score": None, "new_event": len(group) == 1, "similar_to": None,
                           "date": article.date.iso if article.date else None, "duplicate_of": article.duplicate_of}
    if len(group) > 1:
        out["score"] = round(sum(s for s, _, _ in links) / (len(group) - 1), 4)
        out["first_report"] = min(group) == index
    if not links:
        return out
    score, other, row = max(links, key=lambda x: (x[0], -x[1]))
    s, peer, mine = graph.scored, graph.articles[other], graph.profiles[index]
    shared = top_shared(mine.vector, graph.profiles[other].vector, 24)
    embedding = float(s.embedding[row])
    out.update({
        "similar_to": peer.id,
        "pair_score": round(score, 4),
        "lexical_sim": round(float(s.lexical[row]), 4),
        "embedding_sim": None if np.isnan(embedding) else round(embedding, 4),
        "time_factor": round(float(s.factor[row]), 4),
        "days_apart": None if np.isnan(s.gap[row]) else round(float(s.gap[row]), 2),
        "similar_date": peer.date.iso if peer.date else None,
        "shared_terms": [t for t in shared if ":" not in t][:8],
        "shared_names": sorted({t.split(":", 1)[1].replace("_", " ") for t in shared if t.startswith("n:")})[:8],
        "shared_entities": sorted({e.key for e in article.entities} & {e.key for e in peer.entities})[:12],
        "shared_quotes": _shared_quotes(article, peer),
    })
    return out


_QUOTE_WORD = re.compile(r"\w+")


def _shared_quotes(first: Article, second: Article) -> list[str]:
    """Quotes of ``first`` whose words mostly reappear in a quote of ``second`` (translations rarely do)."""
    theirs = [set(_QUOTE_WORD.findall(q.text.lower())) for q in second.quotes]
    out = []
    for quote in first.quotes:
        words = set(_QUOTE_WORD.findall(quote.text.lower()))
        if len(words) >= 4 and any(len(words & other) >= 0.6 * len(words) for other in theirs):
            out.append(quote.text[:160])
    return out[:5]
