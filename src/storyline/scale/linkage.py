"""The default event grouping (:func:`storyline.group.events.group_events`) as Spark jobs.

Average linkage over a sparse graph merges two groups only when a pair between them reaches the
threshold (a mean never exceeds the largest of its terms), so it decomposes exactly over the connected
components of the above-threshold edges: clustering each component alone, its items in canonical
order and its edges in the same relative order, gives the clusters of the global run. Everything
before that is a function of global statistics that Spark counts with ``reduceByKey``:

=============================  ===============================================================================
local (``regroup``)            Spark (:func:`spark_group_events`)
=============================  ===============================================================================
``find_duplicates``            MinHash per partition; ``groupByKey(band)`` → earlier candidates; the first
                               that passes (canonical order) is the parent; a copy's origin is its tree's root,
                               the earliest node (parents are collected: copies are few; then broadcast)
``FurnitureFilter.add``        4-grams and title segments of origins, ``reduceByKey`` (the pruning of
                               ``prune_every`` replayed per 4-gram on canonical ranks when it would happen)
``DocumentFrequencies``        ``reduceByKey`` over terms; broadcast (terms seen once have df 1)
``Profiler.profiles``          :func:`~storyline.represent.pairs.article_terms` and
                               :func:`~storyline.represent.pairs.make_profile` per partition; embeddings in
                               the local engine's batches (canonical ranks // ``batch_size``), since USE
                               vectors change in their last bits with the company they are batched in
``candidate_pairs``            ``groupByKey(block term)``, members in canonical order, the same
                               ``_posting_pairs`` rule; LSH buckets likewise; copies paired with their origin
``score_pairs``                the same function on chunks of pairs (scores are quantized to 2⁻³⁰, so the
                               company a pair is scored in cannot change its score); copies forced to
                               ``DUPLICATE_SCORE``; ``EDGE_FLOOR``
``average_linkage``            components of the edges ``>= event_threshold`` (union-find on the driver up to
                               ``MAX_DRIVER_EDGES``, else :func:`storyline.scale.graph.propagate` as joins),
                               then ``average_linkage`` per component (``cogroup`` of members and edges)
=============================  ===============================================================================

Event labels are the earliest member's id, hence the same ``stable_id("e", …)`` as locally.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from itertools import chain
from operator import add
from typing import Any

import numpy as np

from storyline.config import Config
from storyline.model import Article, DateGuess

__all__ = ["grouping_article", "pruned_count", "spark_group_events"]

#: Pairs scored together by one ``score_pairs`` call in a worker.
SCORE_CHUNK = 20_000
_DOCUMENTS = "\x00documents"  # counted with the terms; no term holds a NUL
#: Up to this many edges at or above the threshold, their components are found on the driver (union-find);
#: beyond, by label propagation as joins (:func:`storyline.scale.graph.propagate`).
MAX_DRIVER_EDGES = 2_000_000
GROUPING_COLUMNS = ("id", "title", "body", "lang", "date_value", "date_confidence", "date_source", "date_has_time",
            "date_year_known")


def grouping_article(row: Any) -> Article:
    """The fields of an articles row that grouping reads, as an :class:`Article`."""
    return Article(id=row["id"], title=row["title"] or "", body=row["body"] or "", lang=row["lang"], date=row_date(row))


def row_date(row: Any) -> DateGuess | None:
    """The publication date of an articles row (its ``date_*`` columns)."""
    if row["date_value"] is None:
        return None
    return DateGuess(row["date_value"], row["date_confidence"], row["date_source"],
                     has_time=bool(row["date_has_time"]), year_known=bool(row["date_year_known"]))


class _Lookup:
    """A read-only view of a broadcast count table with a default for absent keys."""

    def __init__(self, table: dict[Any, int], default: int) -> None:
        self.table = table
        self.default = default

    def get(self, key: Any, default: Any = None) -> int:  # noqa: ARG002 - DocumentFrequencies.idf's call
        return self.table.get(key, self.default)

    def __getitem__(self, key: Any) -> int:
        return self.table.get(key, self.default)


def spark_group_events(frame: Any, config: Config, *, partitions: int) -> tuple[Any, Any, Any]:
    """Events of the articles in ``frame`` (an articles table) exactly as ``regroup`` finds them locally.

    Returns DataFrames ``labels`` (``id``, ``label``: the id of the event's earliest article), ``edges``
    (``a``, ``b``, ``score``: the scored pairs inside an event, ``a`` first in canonical order) and
    ``copies`` (``id``, ``duplicate_of``).
    """
    from pyspark import StorageLevel

    spark = frame.sparkSession
    sc = spark.sparkContext
    rows = frame.select(*GROUPING_COLUMNS)
    if rows.rdd.getNumPartitions() < partitions:
        rows = rows.repartition(partitions)
    keep = StorageLevel.MEMORY_AND_DISK
    articles = rows.rdd.map(grouping_article).persist(keep)
    origin_of = sc.broadcast(_copies(articles, config, partitions))
    marked = articles.map(lambda a: _mark(a, origin_of.value.get(a.id))).persist(keep)
    profiles, termed = _profiles(marked, config, partitions)
    profiles = profiles.persist(keep)
    pairs = _candidates(marked, profiles, config, partitions)
    edges = _score(pairs, profiles, config, partitions).persist(keep)
    found = _linkage(spark, edges, profiles, config, partitions).persist(keep)
    labels_df = spark.createDataFrame(found.filter(lambda r: r[0] == "L").map(lambda r: (r[1], r[2])),
                                      "id string, label string").localCheckpoint()
    edges_df = spark.createDataFrame(found.filter(lambda r: r[0] == "E").map(lambda r: r[1]),
                                     "a string, b string, score double").localCheckpoint()
    copies_df = spark.createDataFrame(sorted(origin_of.value.items()),
                                      "id string, duplicate_of string").localCheckpoint()
    for rdd in (articles, marked, termed, profiles, edges, found):
        rdd.unpersist()
    return labels_df, edges_df, copies_df


def _mark(article: Article, origin: str | None) -> Article:
    article.duplicate_of = origin
    return article


# ------------------------------------------------------------------------------------------ copies
def _copies(articles: Any, config: Config, parts: int) -> dict[str, str]:
    """Copy id → origin id, as :func:`storyline.group.dedup.find_duplicates` maps them (collected: copies are
    a fraction of the corpus, and the list is broadcast to mark them)."""
    from storyline.group.dedup import MIN_WORDS, _bands, _plausible_copy
    from storyline.represent.minhash import MinHasher, jaccard
    from storyline.represent.pairs import canonical_key

    bands, rows = _bands(config.minhash_perm, config.dedup_threshold)
    threshold = config.dedup_threshold

    def sign(part: Iterable[Article]) -> Iterator[tuple[str, tuple[Any, ...]]]:
        hasher = MinHasher(num_perm=config.minhash_perm, seed=config.seed)
        for a in part:
            if len(a.body.split()) >= MIN_WORDS:
                yield a.id, (canonical_key(a), hasher.signature(f"{a.title}\n{a.body}"), a)

    def keys(item: tuple[str, tuple[Any, ...]]) -> Iterator[tuple[tuple[int, bytes], tuple[Any, str]]]:
        key, signature, _ = item[1]
        for band in range(bands):
            yield (band, signature[band * rows : (band + 1) * rows].tobytes()), (key, item[0])

    def later_earlier(members: Iterable[tuple[Any, str]]) -> Iterator[tuple[str, str]]:
        ordered = sorted(members)
        for x, (_, later) in enumerate(ordered):
            for _, earlier in ordered[:x]:
                yield later, earlier

    def passes(pair: Any) -> Iterator[tuple[str, tuple[Any, str]]]:
        earlier, ((later, (_, late_sig, late)), (early_key, early_sig, early)) = pair
        if jaccard(late_sig, early_sig) >= threshold and _plausible_copy(late, early):
            yield later, (early_key, earlier)

    signed = articles.mapPartitions(sign).persist()
    candidates = signed.flatMap(keys).groupByKey(numPartitions=parts) \
        .flatMap(lambda bucket: later_earlier(bucket[1])).distinct(numPartitions=parts)
    parents = (
        candidates.join(signed, numPartitions=parts)
        .map(lambda p: (p[1][0], (p[0], p[1][1])))
        .join(signed, numPartitions=parts)
        .flatMap(passes)
        .reduceByKey(min, numPartitions=parts)  # the first candidate that passes, in canonical order
        .map(lambda p: (p[0], p[1][1]))
        .collect()
    )
    signed.unpersist()
    # each copy's parent is earlier, so following parents ends at its tree's earliest node: the origin
    return _roots(parents)


def _roots(parents: list[tuple[str, str]]) -> dict[str, str]:
    """Each child's root in a forest given as (child, parent) pairs (a copy count fits the driver)."""
    parent = dict(parents)
    roots: dict[str, str] = {}
    for child in parent:
        path, node = [], child
        while node in parent and node not in roots:
            path.append(node)
            node = parent[node]
        root = roots.get(node, node)
        for visited in path:
            roots[visited] = root
    return roots


# ------------------------------------------------------------------------------------------ profiles
def _profiles(marked: Any, config: Config, parts: int) -> tuple[Any, Any]:
    """Profiles (RDD of :class:`~storyline.represent.pairs.Profile`) as ``Profiler`` builds them over the corpus,
    and the persisted RDD they are computed from (for the caller to release)."""
    from storyline.represent.features import DocumentFrequencies
    from storyline.represent.furniture import FurnitureFilter
    from storyline.represent.pairs import (
        VECTOR_TERMS,
        NamedDays,
        article_terms,
        canonical_key,
        embed_text,
        make_profile,
        named_days,
    )

    sc = marked.context
    counter = FurnitureFilter()
    origins = marked.filter(lambda a: not a.duplicate_of)
    counted = origins.map(lambda a: (canonical_key(a), counter.counted(a.title, a.body)))
    min_docs = counter.min_docs
    tables: dict[str, dict[Any, int]] = {"n": {}, "g": {}, "s": {}}
    for (kind, key), count in (
        counted.flatMap(lambda c: chain([(("n", 0), 1)], ((("g", g), 1) for g in c[1][0]),
                                        ((("s", s), 1) for s in c[1][1])))
        .reduceByKey(add, numPartitions=parts).filter(lambda kv: kv[0][0] == "n" or kv[1] >= min_docs).collect()
    ):
        tables[kind][key] = count
    n_origins = tables["n"].get(0, 0)
    if n_origins >= counter.prune_every:  # replay the local pruning: ranks of origins in canonical order
        ranked = counted.sortBy(lambda c: c[0], numPartitions=parts).zipWithIndex()
        tables["g"] = dict(
            ranked.flatMap(lambda r: ((g, r[1]) for g in r[0][1][0])).groupByKey(numPartitions=parts)
            .mapValues(lambda ranks: pruned_count(sorted(ranks), counter.prune_every, n_origins))
            .filter(lambda g: g[1] >= min_docs).collect())
    furniture_grams = sc.broadcast(tables["g"])
    furniture_segments = sc.broadcast(tables["s"])

    def terms(part: Iterable[Article]) -> Iterator[tuple[Article, Counter[str], str, NamedDays]]:
        furniture = FurnitureFilter()
        furniture.grams = Counter(furniture_grams.value)
        furniture.segments = Counter(furniture_segments.value)
        for a in part:
            found, title, body = article_terms(furniture, a)
            yield a, found, embed_text(title, body), named_days(a, title, body)

    termed = marked.mapPartitions(terms).persist()
    table = dict(
        termed.flatMap(lambda t: chain([(_DOCUMENTS, 1)], ((k, 1) for k in t[1])))
        .reduceByKey(add, numPartitions=parts).filter(lambda t: t[1] >= 2 or t[0] == _DOCUMENTS).collect())
    n_docs = table.pop(_DOCUMENTS, 0)
    shared = sc.broadcast(table)

    def profile(part: Iterable[tuple[Article, Counter[str], str, NamedDays]]) -> Iterator[Any]:
        frequencies = DocumentFrequencies(max_terms=VECTOR_TERMS)
        frequencies.df = _Lookup(shared.value, 1)  # type: ignore[assignment] - a term of one article has df 1
        frequencies.n_docs = n_docs
        for a, found, _, days in part:
            yield make_profile(a, frequencies.vector(found), days)

    profiles = termed.mapPartitions(profile)
    if config.use_embeddings:
        vectors = _embeddings(termed, parts)
        profiles = profiles.map(lambda p: (p.id, p)).leftOuterJoin(vectors, numPartitions=parts) \
            .map(lambda pair: _embedded(*pair[1]))
    return profiles, termed


def pruned_count(ranks: list[int], every: int, total: int) -> int:
    """A 4-gram's count in a ``FurnitureFilter`` fed ``total`` origins in canonical order, given the sorted
    ranks of those that have it: after every ``every``-th article, 4-grams seen once are forgotten."""
    count, last = 0, -1
    for rank in [*ranks, total]:
        if count == 1 and rank // every > last // every:
            count = 0
        if rank < total:
            count += 1
            last = rank
    return count


def _embedded(profile: Any, vector: np.ndarray | None) -> Any:
    profile.embedding = vector if vector is not None and np.any(vector) else None
    return profile


_EMBEDDER: Any = None


def _embedder() -> Any:
    """One embedder per Python worker (the model loads once)."""
    global _EMBEDDER  # noqa: PLW0603 - a per-process model cache
    if _EMBEDDER is None:
        from storyline.represent.embed import Embedder

        _EMBEDDER = Embedder()
    return _EMBEDDER


def _embeddings(termed: Any, parts: int) -> Any:
    """``(id, vector)`` computed in the batches ``Embedder.encode`` forms over the whole corpus locally:
    non-empty texts in canonical order, ``batch_size`` at a time."""
    from storyline.represent.embed import Embedder
    from storyline.represent.pairs import canonical_key

    size = Embedder().batch_size

    def encode(batch: tuple[int, Iterable[tuple[int, str, str]]]) -> Iterator[tuple[str, np.ndarray]]:
        members = sorted(batch[1])
        vectors = _embedder().encode([text for _, _, text in members])
        yield from ((article_id, vectors[k]) for k, (_, article_id, _) in enumerate(members))

    texts = termed.filter(lambda t: bool(t[2] and t[2].strip())).map(lambda t: (canonical_key(t[0]), t[2]))
    ranked = texts.sortBy(lambda t: t[0], numPartitions=parts).zipWithIndex()
    return ranked.map(lambda r: (r[1] // size, (r[1], r[0][0][1], r[0][1]))).groupByKey(numPartitions=parts) \
        .flatMap(encode)


# ------------------------------------------------------------------------------------------ pairs
def _candidates(marked: Any, profiles: Any, config: Config, parts: int) -> Any:
    """``((first id, second id), is_copy)`` as ``candidate_pairs`` (plus copies) finds them, first before second."""
    from storyline.represent.pairs import (
        LSH_BANDS,
        LSH_BITS,
        MAX_BUCKET,
        MAX_POSTING,
        _posting_pairs,
        block_terms,
    )

    sc = profiles.context

    def counted(p: Any) -> Iterator[tuple[tuple[str, Any], int]]:
        for term in chain(p.vector, (t for t in p.anchors if t.startswith("x:"))):
            yield ("t", term), 1
        yield ("l", p.lang), 1
        if p.embedding is not None:
            yield ("e", p.lang), 1
            yield ("d", int(p.embedding.shape[0])), 1

    stats = profiles.flatMap(counted).reduceByKey(add, numPartitions=parts) \
        .filter(lambda kv: kv[0][0] != "t" or kv[1] >= 2).collect()
    shared = sc.broadcast({key: count for (kind, key), count in stats if kind == "t"})
    multilingual = len([key for (kind, key), _ in stats if kind == "l"]) > 1
    embedded_langs = [key for (kind, key), _ in stats if kind == "e"]
    dims = [key for (kind, key), _ in stats if kind == "d"]

    def post(part: Iterable[Any]) -> Iterator[tuple[str, tuple[Any, str]]]:
        lookup = _Lookup(shared.value, 0)
        for p in part:
            for term in block_terms(p, lookup, multilingual):  # type: ignore[arg-type]
                yield term, (p.key, p.id)

    def posting(members: Iterable[tuple[Any, str]]) -> Iterator[tuple[tuple[str, str], bool]]:
        ordered = sorted(members)
        if not 2 <= len(ordered) <= MAX_POSTING:
            return
        for i, j in _posting_pairs(np.arange(len(ordered), dtype=np.int64)).tolist():
            yield (ordered[i][1], ordered[j][1]), False

    pairs = profiles.mapPartitions(post).groupByKey(numPartitions=parts).flatMap(lambda kv: posting(kv[1]))
    if len(embedded_langs) > 1:
        planes = sc.broadcast(np.random.default_rng(config.seed).standard_normal((dims[0], LSH_BITS * LSH_BANDS)))
        weights = 1 << np.arange(LSH_BITS)

        def buckets(p: Any) -> Iterator[tuple[tuple[int, int], tuple[Any, str, str]]]:
            bits = (p.embedding @ planes.value) > 0
            for band in range(LSH_BANDS):
                yield (band, int(bits[band * LSH_BITS : (band + 1) * LSH_BITS] @ weights)), (p.key, p.id, p.lang)

        def bucket_pairs(members: Iterable[tuple[Any, str, str]]) -> Iterator[tuple[tuple[str, str], bool]]:
            rows = sorted(members)
            if 1 < len(rows) <= MAX_BUCKET:
                for x, (_, a, lang_a) in enumerate(rows):
                    for _, b, lang_b in rows[x + 1 :]:
                        if lang_a != lang_b:
                            yield (a, b), False

        lsh = profiles.filter(lambda p: p.embedding is not None).flatMap(buckets) \
            .groupByKey(numPartitions=parts).flatMap(lambda kv: bucket_pairs(kv[1]))
        pairs = pairs.union(lsh)
    from storyline.represent.pairs import canonical_key

    copies = marked.filter(lambda a: a.duplicate_of and a.duplicate_of != a.id) \
        .map(lambda a: (a.duplicate_of, (canonical_key(a), a.id))) \
        .join(profiles.map(lambda p: (p.id, p.key)), numPartitions=parts) \
        .map(lambda j: (tuple(x for _, x in sorted([j[1][0], (j[1][1], j[0])])), True))
    return pairs.union(copies).reduceByKey(lambda x, y: x or y, numPartitions=parts)


def _score(pairs: Any, profiles: Any, config: Config, parts: int) -> Any:
    """``(first, second, score)`` of the pairs at or above ``EDGE_FLOOR``, as ``_build`` keeps them."""
    from storyline.group.events import DUPLICATE_SCORE, EDGE_FLOOR
    from storyline.represent.pairs import score_pairs

    by_id = profiles.map(lambda p: (p.id, p))

    def score(part: Iterable[tuple[Any, Any, bool]]) -> Iterator[tuple[str, str, float]]:
        chunk: list[tuple[Any, Any, bool]] = []
        for item in chain(part, [None]):
            if item is not None:
                chunk.append(item)
            if chunk and (item is None or len(chunk) >= SCORE_CHUNK):
                index: dict[str, int] = {}
                listed = []
                for first, second, _ in chunk:
                    for p in (first, second):
                        if p.id not in index:
                            index[p.id] = len(listed)
                            listed.append(p)
                rows = np.array([(index[a.id], index[b.id]) for a, b, _ in chunk], dtype=np.int64).reshape(-1, 2)
                scores = score_pairs(listed, rows, config).score
                for (a, b, copy), value in zip(chunk, scores.tolist(), strict=True):
                    value = max(value, DUPLICATE_SCORE) if copy else value
                    if value >= EDGE_FLOOR:
                        yield a.id, b.id, value
                chunk = []

    return (
        pairs.map(lambda p: (p[0][0], (p[0][1], p[1])))
        .join(by_id, numPartitions=parts)
        .map(lambda j: (j[1][0][0], (j[1][1], j[1][0][1])))
        .join(by_id, numPartitions=parts)
        .map(lambda j: (j[1][0][0], j[1][1], j[1][0][1]))
        .mapPartitions(score)
    )


# ------------------------------------------------------------------------------------------ linkage
def _linkage(spark: Any, edges: Any, profiles: Any, config: Config, parts: int) -> Any:
    """Average linkage per component of the above-threshold edges: ``("L", id, label)`` for every article
    (``label``: its event's earliest article) and ``("E", (a, b, score))`` for every edge inside an event."""
    from storyline.group.events import average_linkage
    from storyline.scale.graph import propagate

    threshold = config.event_threshold
    keys = profiles.map(lambda p: (p.id, p.key))
    strong = edges.filter(lambda e: e[2] >= threshold).map(lambda e: (e[0], e[1]))

    def cluster(group: tuple[Any, tuple[Iterable[tuple[Any, str]], Iterable[tuple[str, str, float]]]]
                ) -> Iterator[tuple[Any, ...]]:
        members, links = group[1]
        ordered = sorted(members)
        position = {article_id: k for k, (_, article_id) in enumerate(ordered)}
        listed = sorted((position[a], position[b], s) for a, b, s in links)
        pairs = np.array([(i, j) for i, j, _ in listed], dtype=np.int64).reshape(-1, 2)
        scores = np.array([s for _, _, s in listed], dtype=np.float64)
        labels = average_linkage(len(ordered), pairs, scores, threshold)
        for k, (_, article_id) in enumerate(ordered):
            yield "L", article_id, ordered[labels[k]][1]
        for i, j, score in listed:
            if labels[i] == labels[j]:
                yield "E", (ordered[i][1], ordered[j][1], score)

    found = strong.take(MAX_DRIVER_EDGES + 1)
    if len(found) <= MAX_DRIVER_EDGES:  # small enough: components by union-find on the driver, broadcast
        component = spark.sparkContext.broadcast(_components(found))
        members = keys.filter(lambda k: k[0] in component.value).map(lambda k: (component.value[k[0]], (k[1], k[0])))
        inside = edges.filter(lambda e: component.value.get(e[0], e[0]) == component.value.get(e[1], e[1])) \
            .map(lambda e: (component.value[e[0]], e))
        alone = keys.filter(lambda k: k[0] not in component.value).map(lambda k: ("L", k[0], k[0]))
        return members.cogroup(inside, numPartitions=parts).flatMap(cluster).union(alone)
    frame = spark.createDataFrame(strong, "a string, b string")
    nodes = spark.createDataFrame(keys.map(lambda k: (k[0], k[1][0])), "id string, k double")
    components = propagate(frame, nodes).rdd.map(lambda r: (r["v"], r["li"]))
    members = components.join(keys, numPartitions=parts).map(lambda j: (j[1][0], (j[1][1], j[0])))
    inside = (
        edges.map(lambda e: (e[0], (e[1], e[2]))).join(components, numPartitions=parts)
        .map(lambda j: (j[1][0][0], (j[0], j[1][0][1], j[1][1]))).join(components, numPartitions=parts)
        .filter(lambda j: j[1][0][2] == j[1][1]).map(lambda j: (j[1][1], (j[1][0][0], j[0], j[1][0][1])))
    )
    alone = keys.leftOuterJoin(components, numPartitions=parts).filter(lambda j: j[1][1] is None) \
        .map(lambda j: ("L", j[0], j[0]))
    return members.cogroup(inside, numPartitions=parts).flatMap(cluster).union(alone)


def _components(edges: list[tuple[str, str]]) -> dict[str, str]:
    """Node → a representative of its connected component (union-find; any fixed representative will do:
    it only names the group that is clustered together)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {node: find(node) for node in {x for edge in edges for x in edge}}
