"""The pair-graph grouping of :mod:`storyline.group.graph` as Spark jobs: the same functions, distributed.

Used by ``run_spark(grouping="graph")`` and for its stories; :func:`propagate` (connected components) also
serves the default grouping of :mod:`storyline.scale.linkage`.

=====================  ==========================================================================
local (``cluster``)    Spark (:func:`spark_cluster`)
=====================  ==========================================================================
document frequencies   ``flatMap((term, 1))`` + ``reduceByKey``; terms seen twice or more broadcast
features               :func:`~storyline.group.graph.weigh` + ``featurize`` per partition
postings → edges       ``groupByKey(blocking key)`` + :func:`~storyline.group.graph.posting_edges`
mutual top-k pruning   window ``row_number`` over (score desc, other id asc), kept by both ends
components             min-label propagation as joins, with pointer jumping, until no label moves;
                       a label is the (day or +inf, id) of the earliest member, compared in SQL
=====================  ==========================================================================

Each step is a deterministic function of its inputs, and connected components are unique, so the
labels equal the local ones for any number of partitions. No GraphFrames or other package is fetched.
Spark compares strings by UTF-8 bytes, which orders them by code point as Python does.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import chain
from operator import add
from typing import Any

from storyline.group.graph import MUTUAL_K, GraphParams, Item, featurize, posting_edges, weigh

MAX_ITERATIONS = 64
#: Up to this many terms (seen twice or more) the document frequencies are broadcast to every worker;
#: beyond, each item gets its own by a join on the term (slower, but no worker holds the vocabulary).
MAX_BROADCAST_TERMS = 2_000_000


_COUNT = "\x00documents"  # counted with the terms; no term holds a NUL


def order_key(day: str = "day") -> Any:
    """The canonical order of :attr:`storyline.group.graph.Item.order` as a SQL column (day or +inf)."""
    from pyspark.sql import functions as F

    return F.coalesce(F.col(day), F.lit(math.inf))


def spark_cluster(
    frame: Any, to_item: Callable[[Any], Item], params: GraphParams, *, partitions: int
) -> tuple[Any, Any]:
    """Label every row of ``frame`` (columns ``id``, ``day`` and whatever ``to_item`` reads).

    Returns ``labels`` (``id``, ``label``: the id of the earliest item of its group) and ``edges``
    (``a``, ``b``, ``score``: the pruned edges, ``a`` before ``b`` in canonical order).
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    spark = frame.sparkSession
    if frame.rdd.getNumPartitions() < partitions:  # a small Parquet table is read as one or two splits
        frame = frame.repartition(partitions)
    items = frame.rdd.map(to_item)
    frequencies = (
        items.flatMap(lambda item: chain([(_COUNT, 1)], ((term, 1) for term in item.terms)))
        .reduceByKey(add, numPartitions=partitions)
        .filter(lambda pair: pair[1] >= 2 or pair[0] == _COUNT)  # absent terms have df 1
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    shared = None
    if frequencies.count() <= MAX_BROADCAST_TERMS + 1:
        table = dict(frequencies.collect())
        n_items = table.pop(_COUNT, 0)
        shared = spark.sparkContext.broadcast(table)

        def features(item: Item) -> Any:
            df = shared.value
            return featurize(item, weigh(item.terms, df, n_items), df)

        featured = items.map(features)
    else:  # each item's own document frequencies, by a join on the term
        n_items = sum(count for _, count in frequencies.filter(lambda pair: pair[0] == _COUNT).collect())
        own = (
            items.flatMap(lambda item: ((term, item.id) for term in item.terms))
            .join(frequencies, numPartitions=partitions)
            .map(lambda pair: (pair[1][0], (pair[0], pair[1][1])))
            .groupByKey(numPartitions=partitions)
            .mapValues(dict)
        )
        featured = items.map(lambda item: (item.id, item)).leftOuterJoin(own, numPartitions=partitions).map(
            lambda pair: featurize(pair[1][0], weigh(pair[1][0].terms, pair[1][1] or {}, n_items), pair[1][1] or {}))
    edges = (
        featured
        .flatMap(lambda f: ((key, f) for key in f.blocks))
        .groupByKey(numPartitions=partitions)
        .flatMap(lambda posting: posting_edges(posting[0], posting[1], params))
        .map(lambda edge: ((edge[0], edge[1]), edge[2]))
        .reduceByKey(max, numPartitions=partitions)
        .map(lambda pair: (pair[0][0], pair[0][1], pair[1]))
    )
    scored = spark.createDataFrame(edges, "a string, b string, score double")
    kept = prune(scored, params.mutual_k).localCheckpoint()
    frequencies.unpersist()
    if shared is not None:
        shared.unpersist()
    nodes = frame.select("id", order_key().alias("k"))
    components = propagate(kept, nodes)
    labels = nodes.join(components, nodes["id"] == components["v"], "left").select(
        "id", F.coalesce("li", "id").alias("label"))
    return labels, kept


def prune(edges: Any, k: int | None = None) -> Any:
    """Mutual top-``k``, as :func:`storyline.group.graph.prune`: ranked by (score desc, other rank asc)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    k = MUTUAL_K if k is None else k
    both = edges.select(F.col("a").alias("src"), F.col("b").alias("dst"), "score").unionByName(
        edges.select(F.col("b").alias("src"), F.col("a").alias("dst"), "score"))
    best = Window.partitionBy("src").orderBy(F.col("score").desc(), F.col("dst").asc())
    chosen = both.withColumn("position", F.row_number().over(best)).where(F.col("position") <= k)
    undirected = chosen.select(F.least("src", "dst").alias("a"), F.greatest("src", "dst").alias("b"), "score")
    return undirected.groupBy("a", "b").agg(F.count("*").alias("ends"), F.max("score").alias("score")) \
        .where(F.col("ends") == 2).select("a", "b", "score")


def propagate(edges: Any, nodes: Any) -> Any:
    """Connected components by min-label propagation: ``v`` → ``li``, the id of the earliest node reachable.

    A label is the struct (``lk``, ``li``) = (day or +inf, id), compared field by field as the local
    engine compares ``Item.order``. Each round, as joins: a node takes the smallest label among itself and
    its neighbours; its old label's node takes it too (hooking, as in Shiloach–Vishkin); then every node
    jumps to its label's label. A label is always a node of the same component, so no step can cross
    components; labels only decrease, and when none moves every component carries its minimum. Rounds
    grow with the logarithm of a component's diameter, not with the diameter.
    """
    from pyspark.sql import functions as F

    def smallest(frame: Any) -> Any:
        return frame.groupBy("v").agg(F.min(F.struct("lk", "li")).alias("m")).select(
            "v", F.col("m.lk").alias("lk"), F.col("m.li").alias("li"))

    links = edges.select(F.col("a").alias("src"), F.col("b").alias("dst")).unionByName(
        edges.select(F.col("b").alias("src"), F.col("a").alias("dst")))
    ends = links.select(F.col("src").alias("v")).distinct()
    labels = ends.join(nodes, ends["v"] == nodes["id"]).select("v", F.col("k").alias("lk"), F.col("id").alias("li"))
    links, labels = links.localCheckpoint(), labels.localCheckpoint()
    for _ in range(MAX_ITERATIONS):
        messages = links.join(labels, links["src"] == labels["v"]).select(F.col("dst").alias("v"), "lk", "li")
        lowest = smallest(labels.unionByName(messages))
        parents = labels.select(F.col("v").alias("child"), F.col("li").alias("parent"))
        hooks = lowest.join(parents, lowest["v"] == parents["child"]).select(F.col("parent").alias("v"), "lk", "li")
        hooked = smallest(lowest.unionByName(hooks))
        hop = hooked.select(F.col("v").alias("u"), F.col("lk").alias("hk"), F.col("li").alias("hi"))
        jumped = hooked.join(hop, hooked["li"] == hop["u"]).select("v", F.col("hk").alias("lk"), F.col("hi").alias("li"))
        previous = labels.select(F.col("v").alias("pv"), F.col("li").alias("was"))
        moved = jumped.join(previous, jumped["v"] == previous["pv"]).select(
            "v", "lk", "li", (F.col("li") != F.col("was")).alias("moved")).localCheckpoint()
        labels = moved.drop("moved")
        if not moved.where("moved").limit(1).count():
            return labels
    raise RuntimeError(f"label propagation did not converge in {MAX_ITERATIONS} rounds")
