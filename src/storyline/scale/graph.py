"""The pair-graph grouping of :mod:`storyline.group.graph` as Spark jobs: the same functions, distributed.

=====================  ==========================================================================
local (``cluster``)    Spark (:func:`spark_cluster`)
=====================  ==========================================================================
canonical ranks        ``sortBy((day or +inf, id))`` + ``zipWithIndex`` (Python ordering, as locally)
document frequencies   ``flatMap((term, 1))`` + ``reduceByKey``; terms seen twice or more broadcast
features               :func:`~storyline.group.graph.weigh` + ``featurize`` per partition
postings → edges       ``groupByKey(blocking key)`` + :func:`~storyline.group.graph.posting_edges`
mutual top-k pruning   window ``row_number`` over (score desc, other rank asc), kept by both ends
components             min-label propagation as joins, with pointer jumping, until no label moves
=====================  ==========================================================================

Each step is a deterministic function of its inputs, and connected components are unique, so the
labels equal the local ones for any number of partitions. No GraphFrames or other package is fetched.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from operator import add
from typing import Any

from storyline.group.graph import (
    MUTUAL_K,
    GraphParams,
    Item,
    featurize,
    posting_edges,
    weigh,
)

MAX_ITERATIONS = 64


def spark_cluster(
    frame: Any, to_item: Callable[[Any], Item], params: GraphParams, *, partitions: int
) -> tuple[Any, Any]:
    """Label every row of ``frame`` (columns ``id``, ``day`` and whatever ``to_item`` reads).

    Returns ``labels`` (``id``, ``rank``, ``label``: the smallest rank of its group, ``first_id``: that
    row's id) and ``edges`` (``a``, ``b``, ``score``: the pruned edges, ranks ``a < b``).
    """
    from pyspark.sql import functions as F

    spark = frame.sparkSession
    sc = spark.sparkContext
    ranks = (
        frame.select("id", "day").rdd
        .map(lambda r: (r["day"] if r["day"] is not None else math.inf, r["id"]))
        .sortBy(lambda key: key, numPartitions=partitions)
        .zipWithIndex()
        .map(lambda pair: (pair[0][1], pair[1]))
    )
    ranks_df = spark.createDataFrame(ranks, "id string, rank long").localCheckpoint()
    n_items = ranks_df.count()

    items = frame.join(ranks_df, "id").rdd.map(lambda row: (row["rank"], to_item(row)))
    df = (
        items.flatMap(lambda pair: ((term, 1) for term in pair[1].terms))
        .reduceByKey(add, numPartitions=partitions)
        .filter(lambda pair: pair[1] >= 2)
        .collectAsMap()
    )
    shared_df = sc.broadcast(df)

    def features(pair: tuple[int, Item]) -> Any:
        rank, item = pair
        frequencies = shared_df.value
        return featurize(item, rank, weigh(item.terms, frequencies, n_items), frequencies)

    edges = (
        items.map(features)
        .flatMap(lambda f: ((key, f) for key in f.blocks))
        .groupByKey(numPartitions=partitions)
        .flatMap(lambda posting: posting_edges(posting[1], params))
        .map(lambda edge: ((edge[0], edge[1]), edge[2]))
        .reduceByKey(max, numPartitions=partitions)
        .map(lambda pair: (pair[0][0], pair[0][1], pair[1]))
    )
    scored = spark.createDataFrame(edges, "a long, b long, score double").localCheckpoint()
    shared_df.unpersist()
    kept = prune(scored).localCheckpoint()
    components = propagate(kept)
    labels = (
        ranks_df.join(components, ranks_df["rank"] == components["v"], "left")
        .select("id", "rank", F.coalesce("l", "rank").alias("label"))
    )
    first = ranks_df.select(F.col("rank").alias("label"), F.col("id").alias("first_id"))
    return labels.join(first, "label").localCheckpoint(), kept


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


def propagate(edges: Any) -> Any:
    """Connected components by min-label propagation: ``v`` → ``l``, the smallest rank reachable.

    Each round a node takes the smallest label among itself and its neighbours, then jumps to its
    label's label (labels are nodes of the same component, so this is safe and halves chains). Labels
    only decrease, so an unchanged sum means a fixed point, where every component carries its minimum.
    """
    from pyspark.sql import functions as F

    links = edges.select(F.col("a").alias("src"), F.col("b").alias("dst")).unionByName(
        edges.select(F.col("b").alias("src"), F.col("a").alias("dst"))).localCheckpoint()
    labels = links.select(F.col("src").alias("v")).distinct().withColumn("l", F.col("v")).localCheckpoint()
    total = labels.agg(F.sum("l")).first()[0]
    for _ in range(MAX_ITERATIONS):
        messages = links.join(labels, links["src"] == labels["v"]).select(F.col("dst").alias("v"), "l")
        lowest = labels.unionByName(messages).groupBy("v").agg(F.min("l").alias("l"))
        hop = lowest.select(F.col("v").alias("u"), F.col("l").alias("hop"))
        labels = lowest.join(hop, lowest["l"] == hop["u"]).select("v", F.col("hop").alias("l")).localCheckpoint()
        new_total = labels.agg(F.sum("l")).first()[0]
        if new_total == total:
            return labels
        total = new_total
    raise RuntimeError(f"label propagation did not converge in {MAX_ITERATIONS} rounds")
