"""``storyline run --engine spark``: ingest → clean → extract → represent → group on Apache Spark.

The stage functions are the local engine's, applied per partition (:mod:`storyline.scale.sources`).
Events (default ``grouping="linkage"``) are those of ``storyline run``: near-copies, furniture, profiles,
blocked pairs, scores and average linkage of :func:`storyline.group.events.group_events`, computed from
global statistics and per connected component (:mod:`storyline.scale.linkage`), so on the same input
they are the same sets of articles with the same ids. ``grouping="graph"`` keeps the pair graph of
:mod:`storyline.group.graph` (:mod:`storyline.scale.graph`; equal to ``group_events_graph``). Outputs are
Parquet tables under ``out_dir`` — ``articles`` (with ``duplicate_of``), ``events``, ``stories``,
``quotes``, ``rejects``, ``evidence`` — and, optionally, a load into the SQLite store for the CLI, report
and web UI.

>>> summary = run_spark(["corpus/"], Config(fast=True), out_dir="out", master="local[2]")   # doctest: +SKIP
>>> summary.events                                                                        # doctest: +SKIP
41

What differs from ``storyline run`` (local engine): stories are the event-level pair graph
(``group_stories_graph`` over the events), not ``link_stories``; quotes are not grouped into
statements; the evidence table keeps each article's strongest link only.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storyline.config import Config
from storyline.group.graph import STORY_MEMBERS, Item, event_item, event_params, story_params
from storyline.model import Article, Entity, Mention
from storyline.scale.load import load_into_store

GROUPINGS = ("linkage", "graph")
FAR_FUTURE = "9999-12-31 00:00:00"  # sorts undated events last, like datetime.max locally


@dataclass
class SparkSummary:
    """What a Spark run did; ``as_dict`` is printed by the CLI and the bench."""

    documents: int = 0
    articles: int = 0
    duplicates: int = 0
    rejects: int = 0
    notes: int = 0
    events: int = 0
    stories: int = 0
    quotes: int = 0
    copies: int = 0  # near-copies marked (``duplicate_of``), as ``storyline run`` marks them
    seconds: float = 0.0
    out_dir: str = ""
    loaded_into: str | None = None
    skipped: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def describe(self) -> str:
        lines = [
            f"{self.documents} documents read: {self.articles} articles ({self.duplicates} repeated input), "
            f"{self.rejects} rejected, {self.notes} notes; {self.events} events, {self.stories} stories, "
            f"{self.quotes} quotes ({self.seconds:.1f} s, spark)",
            f"parquet: {self.out_dir}",
        ]
        if self.skipped:
            lines.append("skipped: " + ", ".join(f"{k} {v}" for k, v in self.skipped.items()))
        if self.loaded_into:
            lines.append(f"store:  {Path(self.loaded_into).resolve()}")
        return "\n".join(lines)


def spark_session(master: str | None = "local[2]", *, conf: dict[str, str] | None = None) -> Any:
    """A session with quiet defaults for storyline (no UI, few shuffle partitions, UTC, naive timestamps).

    ``master=None`` and settings given to ``spark-submit`` (or in ``spark-defaults.conf``) are kept; ``conf``
    overrides everything. Worker Python is this interpreter unless ``PYSPARK_PYTHON`` says otherwise, so
    workers import the same storyline.
    """
    from pyspark import SparkConf
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:  # e.g. the test session: its settings stand
        return active
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName("storyline")
    if master:
        builder = builder.master(master)
    defaults = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": "8",
        "spark.sql.session.timeZone": "UTC",
        "spark.python.worker.reuse": "true",
    }
    submitted = SparkConf()  # what spark-submit --conf or spark-defaults.conf set wins over our defaults
    settings = {k: v for k, v in defaults.items() if not submitted.contains(k)} | dict(conf or {})
    settings["spark.sql.timestampType"] = "TIMESTAMP_NTZ"  # the tables' times are naive, as in the model
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def run_spark(
    paths: Iterable[str | Path],
    config: Config | None = None,
    *,
    out_dir: str | Path,
    master: str | None = "local[2]",
    parquet_inputs: Iterable[str | Path] = (),
    db: str | Path | None = None,
    spark: Any = None,
    partitions: int | None = None,
    grouping: str = "linkage",
) -> SparkSummary:
    """Run the whole job on Spark; write Parquet under ``out_dir``; load into the store ``db`` when given.

    ``spark``: an existing session (kept open); else one is made for ``master`` and stopped at the end.
    ``partitions``: tasks per shuffle (default: twice the default parallelism).
    ``grouping``: ``"linkage"`` (the events of ``storyline run``: :mod:`storyline.scale.linkage`) or
    ``"graph"`` (the pair graph of :func:`storyline.group.graph.group_events_graph`).
    """
    from pyspark.sql import SparkSession

    if grouping not in GROUPINGS:
        raise ValueError(f"grouping must be one of {', '.join(GROUPINGS)}, got {grouping!r}")
    config = config or Config()
    own = spark is None and SparkSession.getActiveSession() is None  # never stop a caller's session
    spark = spark or spark_session(master)
    try:
        return _run(spark, [*paths, *parquet_inputs], config, str(out_dir), db, partitions, grouping)
    finally:
        if own:
            spark.stop()


def _run(
    spark: Any, paths: Sequence[str | Path], config: Config, out: str, db: str | Path | None, partitions: int | None,
    grouping: str = "linkage",
) -> SparkSummary:
    from pyspark.sql import functions as F

    from storyline.scale.sources import list_units

    clock = time.perf_counter()
    summary = SparkSummary(out_dir=out)
    parts = partitions or max(2, 2 * spark.sparkContext.defaultParallelism)
    units, parquet, walk_rejects, skipped = list_units(paths)
    _stage(spark, units, parquet, walk_rejects, config, out, parts)
    summary.timings["ingest"] = time.perf_counter() - clock

    staging = spark.read.parquet(f"{out}/_staging")
    articles, rejects = _deduplicate(staging)
    articles.write.mode("overwrite").parquet(f"{out}/_articles")
    articles = spark.read.parquet(f"{out}/_articles")
    if config.use_ner:  # entity keys across all articles, as regroup reconciles them across the store
        from storyline.scale.names import spark_reconcile_names

        articles = spark_reconcile_names(spark, articles, config, f"{out}/_reconciled")
    summary.timings["deduplicate"] = time.perf_counter() - clock

    if grouping == "linkage":
        from storyline.scale.linkage import spark_group_events

        labels, edges, copies = spark_group_events(articles, config, partitions=parts)
        summary.copies = copies.count()
    else:
        labels, edges = _cluster_events(articles, config, parts)
        copies = spark.createDataFrame([], "id string, duplicate_of string")
    events = _described(_events(articles, labels), articles, labels, copies).localCheckpoint()
    summary.timings["events"] = time.perf_counter() - clock

    stories, story_of = _stories(articles, labels, events, config, parts)
    stories.write.mode("overwrite").parquet(f"{out}/stories")
    events = events.join(story_of, "id", "left")
    events.drop("day", "label").write.mode("overwrite").parquet(f"{out}/events")
    summary.timings["stories"] = time.perf_counter() - clock

    assigned = labels.join(events.select("label", F.col("id").alias("event_id"), "story_id"), "label")
    final = articles.join(assigned.select("id", "event_id", "story_id"), "id").join(copies, "id", "left")
    final.drop("kind", "reason", "line", "quotes").write.mode("overwrite").parquet(f"{out}/articles")
    quotes = final.select(F.explode("quotes").alias("q")).select("q.*")
    quotes = quotes.select(_quote_id().alias("id"), "*")
    quotes.write.mode("overwrite").parquet(f"{out}/quotes")
    rejects.write.mode("overwrite").parquet(f"{out}/rejects")
    _evidence(edges, articles, assigned).write.mode("overwrite").parquet(f"{out}/evidence")
    summary.timings["write"] = time.perf_counter() - clock

    _count(spark, out, staging, rejects, summary, skipped)
    if db is not None:
        load_into_store(spark, out, db)
        summary.loaded_into = str(db)
        summary.timings["load"] = time.perf_counter() - clock
    for name in ("_raw", "_staging", "_articles", "_reconciled"):
        _delete(spark, f"{out}/{name}")
    summary.seconds = time.perf_counter() - clock
    return summary


# ---------------------------------------------------------------------------------------------- stages
def _stage(
    spark: Any, units: list[Any], parquet: list[str], walk_rejects: list[tuple[int, Any]], config: Config,
    out: str, parts: int,
) -> None:
    """Read and process every input into one staging table (articles, rejects, notes, skipped counts).

    Every document is processed where it is read: annotation is a function of one article (names are
    reconciled across articles later, over the whole corpus, by :mod:`storyline.scale.names`).
    """
    from storyline.scale.records import reject_row, staging_schema

    sc = spark.sparkContext
    walked = sc.parallelize([reject_row(r, index << 32, None) for index, r in walk_rejects], 1)
    from storyline.scale.sources import process_parquet_rows, process_units

    rdds = [walked, *_read(spark, units, parquet, parts, process_units, process_parquet_rows, config)]
    staged = spark.createDataFrame(sc.union(rdds), staging_schema(), verifySchema=False)
    staged.write.mode("overwrite").parquet(f"{out}/_staging")


def _read(spark: Any, units: list[Any], parquet: list[str], parts: int, on_units: Any, on_rows: Any,
          config: Config | None) -> list[Any]:
    """RDDs of ``on_units(units)`` over the files and ``on_rows(rows, first unit)`` over the Parquet rows."""
    from pyspark.sql import functions as F

    sc = spark.sparkContext
    extra = () if config is None else (config,)
    rdds = []
    if units:
        slices = min(len(units), max(parts, 4 * sc.defaultParallelism))
        rdds.append(sc.parallelize(units, slices).mapPartitions(lambda part: on_units(part, *extra)))
    if parquet:
        table = spark.read.parquet(*parquet)
        names = sorted(r[0] for r in table.select("_metadata.file_path").distinct().collect())
        index = F.create_map(*[x for i, name in enumerate(names) for x in (F.lit(name), F.lit(i))])
        rows = table.select("*", index[F.col("_metadata.file_path")].alias("_file"),
                            F.col("_metadata.file_path").alias("_origin"), F.col("_metadata.row_index").alias("_row"))
        first = max([u.index for u in units], default=-1) + 1
        rdds.append(rows.rdd.mapPartitions(lambda part: on_rows(part, *extra, first)))
    return rdds


def _deduplicate(staging: Any) -> tuple[Any, Any]:
    """The local store's rules: first document of a hash wins; a taken id becomes ``id~2``, ``id~3``…"""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    hashed = staging.where(F.col("doc_hash").isNotNull())
    winners = hashed.groupBy("doc_hash").agg(F.min("order").alias("winner"))
    articles = (
        staging.where(F.col("kind") == "article").join(winners, "doc_hash")
        .where(F.col("order") == F.col("winner")).drop("winner")
    )
    version = F.row_number().over(Window.partitionBy("id").orderBy("order"))
    articles = articles.withColumn("version", version).withColumn(
        "id", F.when(F.col("version") == 1, F.col("id")).otherwise(F.concat("id", F.lit("~"), "version"))
    ).drop("version")
    articles = articles.withColumn("quotes", F.transform("quotes", lambda q: q.withField("article_id", F.col("id"))))
    others = staging.where(F.col("kind").isin("reject", "note")).join(winners, "doc_hash", "left")
    rejects = others.where(F.col("doc_hash").isNull() | (F.col("order") == F.col("winner"))).select(
        "origin", "line", "reason", (F.col("kind") == "note").alias("kept"), "order")
    return articles, rejects


def _article_item(row: Any) -> Item:
    """The graph item of an articles row: :func:`storyline.group.graph.item_of` on the row's fields."""
    return Item(row["id"], row["day"], _article_terms(row))


def _article_terms(row: Any) -> dict[str, float]:
    """``terms_of`` the article as the local engine groups it: read back from its store, where entities
    come with their mentions (an entity named only in the title is not stored, so it is not used here)."""
    from storyline.represent.tokens import terms_of

    return dict(terms_of(_keyed_article(row)))


def _keyed_article(row: Any) -> Article:
    """Title, body and entity keys of an articles row, as the local engine reads them back from its store."""
    mentions = [Mention(m["entity_key"], "", 0, 0) for m in row["mentions"] or ()]
    keys = {m.entity_key for m in mentions}
    return Article(
        id=row["id"], title=row["title"] or "", body=row["body"] or "", mentions=mentions,
        entities=[Entity(e["key"], "", "") for e in row["entities"] or () if e["key"] in keys],
    )


def _cluster_events(articles: Any, config: Config, parts: int) -> tuple[Any, Any]:
    from storyline.scale.graph import spark_cluster

    frame = articles.select("id", "day", "title", "body", "entities", "mentions")
    return spark_cluster(frame, _article_item, event_params(config), partitions=parts)


def _events(articles: Any, labels: Any) -> Any:
    """Event rows as :func:`storyline.group.graph.make_event` builds them; ``label`` is the earliest article."""
    from pyspark.sql import functions as F

    from storyline.scale.graph import order_key

    members = articles.select("id", "title", "published", "outlet", "day").join(labels, "id")
    return members.groupBy("label").agg(
        F.min_by("title", F.struct(order_key(), F.col("id"))).alias("title"),
        F.min("published").alias("start"),
        F.max("published").alias("end"),
        F.count("*").alias("size"),
        F.array_sort(F.collect_set("outlet")).alias("outlets"),
        F.array_sort(F.collect_list("id")).alias("article_ids"),
        F.min("day").alias("day"),
    ).select(_stable_id("e", "label").alias("id"), "label", "title", "start", "end", "size", "outlets",
             "article_ids", "day")


def _described(events: Any, articles: Any, labels: Any, copies: Any) -> Any:
    """Events with their representative headline as title and their summary, as a full regroup writes them
    (:func:`storyline.group.timeline.describe_event` over each event's members in id order, in the workers)."""
    from pyspark.sql import functions as F

    from storyline.scale.linkage import GROUPING_COLUMNS

    members = (articles.select(*GROUPING_COLUMNS, "outlet", "entities", "mentions")
               .join(labels, "id").join(copies, "id", "left"))
    described = members.rdd.map(lambda row: (row["label"], row)).groupByKey().map(_describe)
    frame = articles.sparkSession.createDataFrame(described, "label string, headline string, summary string")
    headline = F.coalesce(F.col("headline"), F.lit(""))
    return (events.join(frame, "label", "left")
            .withColumn("title", F.when(headline != "", headline).otherwise(F.col("title")))
            .drop("headline"))


def _describe(pair: tuple[str, Iterable[Any]]) -> tuple[str, str, str]:
    from storyline.group.timeline import describe_event
    from storyline.scale.linkage import row_date

    members = []
    for row in pair[1]:
        article = _keyed_article(row)
        article.date, article.lang = row_date(row), row["lang"]
        article.outlet, article.duplicate_of = row["outlet"], row["duplicate_of"]
        members.append(article)
    headline, summary = describe_event(sorted(members, key=lambda a: a.id))
    return pair[0], headline.title.strip(), summary


def _event_terms(rows: Iterable[tuple[Any, Any]]) -> dict[str, float]:
    """:func:`storyline.group.graph.event_item` terms: the members' terms summed in canonical order."""
    ordered = sorted(rows, key=lambda pair: pair[0])
    return dict(event_item("", None, (_article_terms(row) for _, row in ordered)).terms)


def _stories(articles: Any, labels: Any, events: Any, config: Config, parts: int) -> tuple[Any, Any]:
    """Stories: the event-level pair graph (items: the first ``STORY_MEMBERS`` articles of each event)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from storyline.scale.graph import order_key, spark_cluster

    spark = articles.sparkSession
    position = F.row_number().over(Window.partitionBy("label").orderBy(order_key(), F.col("id")))
    first_members = (
        articles.select("id", "day", "title", "body", "entities", "mentions").join(labels, "id")
        .withColumn("position", position).where(F.col("position") <= STORY_MEMBERS)
    )
    terms = (
        first_members.repartition(parts).rdd.map(lambda row: (row["label"], ((_day_key(row["day"]), row["id"]), row)))
        .groupByKey(numPartitions=parts)
        .map(lambda pair: (pair[0], _event_terms(pair[1])))
    )
    terms_df = spark.createDataFrame(terms, "label string, terms map<string, double>")
    frame = events.select("id", "day", "label", "title", "size", "start", "end", "article_ids").join(
        terms_df, "label").localCheckpoint()
    story_labels, _ = spark_cluster(frame.select("id", "day", "terms"), _event_row_item, story_params(config),
                                    partitions=parts)
    members = frame.drop("label").join(story_labels, "id")
    start_key = F.coalesce("start", F.lit(FAR_FUTURE).cast("timestamp_ntz"))
    titled = F.when(F.trim("title") != "", F.struct(-F.col("size"), start_key, F.col("id")))
    stories = members.groupBy("label").agg(
        F.transform(F.array_sort(F.collect_list(F.struct(start_key.alias("k"), F.col("id").alias("i")))),
                    lambda s: s["i"]).alias("event_ids"),
        F.min_by(F.trim("title"), titled).alias("title"),
        F.least(F.min("start"), F.min("end")).alias("start"),
        F.greatest(F.max("start"), F.max("end")).alias("end"),
        F.array_sort(F.flatten(F.collect_list("article_ids"))).alias("article_ids"),
    ).withColumn("id", _stable_id("s", "label"))
    entity_counts = (
        members.select("label", F.explode(F.map_keys("terms")).alias("term"))
        .where(F.col("term").startswith("e:"))
        .groupBy("label", "term").count()
        .withColumn("place", F.row_number().over(
            Window.partitionBy("label").orderBy(F.col("count").desc(), F.col("term").asc())))
        .where(F.col("place") <= 8)
        .groupBy("label").agg(F.array_sort(F.collect_list(F.struct("place", F.expr("substring(term, 3)").alias("k"))))
                              .alias("ranked"))
    )
    stories = stories.join(entity_counts, "label", "left").select(
        "id", F.coalesce("title", F.lit("")).alias("title"), "start", "end",
        F.coalesce(F.transform("ranked", lambda s: s["k"]), F.array().cast("array<string>")).alias("entities"),
        "event_ids", "article_ids")
    story_of = members.select("id", _stable_id("s", "label").alias("story_id"))
    return stories, story_of


def _day_key(day: float | None) -> float:
    return day if day is not None else float("inf")


def _event_row_item(row: Any) -> Item:
    return Item(row["id"], row["day"], dict(row["terms"]))


def _evidence(edges: Any, articles: Any, assigned: Any) -> Any:
    """Per article: its strongest surviving edge (``similar_to``, ``score``, ``days_apart``) and event."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    both = edges.select(F.col("a").alias("src"), F.col("b").alias("dst"), "score").unionByName(
        edges.select(F.col("b").alias("src"), F.col("a").alias("dst"), "score"))
    best = both.withColumn("n", F.row_number().over(
        Window.partitionBy("src").orderBy(F.col("score").desc(), F.col("dst").asc()))).where("n = 1")
    days = articles.select("id", "day")
    out = (
        assigned.select("id", "event_id")
        .join(best, assigned["id"] == best["src"], "left")
        .join(days, "id")
        .join(days.select(F.col("id").alias("dst"), F.col("day").alias("other_day")), "dst", "left")
    )
    return out.select(
        F.col("id").alias("article_id"), "event_id", F.round("score", 4).alias("score"),
        F.col("dst").alias("similar_to"), F.round(F.abs(F.col("day") - F.col("other_day")), 2).alias("days_apart"))


# ---------------------------------------------------------------------------------------------- helpers
def _stable_id(prefix: str, column: str) -> Any:
    """:func:`storyline.model.stable_id` of one string column, in SQL (sha1 of its UTF-8 bytes)."""
    from pyspark.sql import functions as F

    return F.concat(F.lit(prefix), F.substring(F.sha1(F.col(column)), 1, 12))


def _quote_id() -> Any:
    """:attr:`storyline.model.Quote.id`: ``stable_id("q", article_id, start, end)``."""
    from pyspark.sql import functions as F

    joined = F.concat_ws("\x1f", "article_id", F.col("start").cast("string"), F.col("end").cast("string"))
    return F.concat(F.lit("q"), F.substring(F.sha1(joined), 1, 12))


def _count(spark: Any, out: str, staging: Any, rejects: Any, summary: SparkSummary, skipped: dict[str, int]) -> None:
    from pyspark.sql import functions as F

    counts = dict(skipped)
    for row in staging.where(F.col("kind") == "skipped").groupBy("reason").agg(F.sum("line")).collect():
        reason = row[0].removeprefix("skipped:")
        counts[reason] = counts.get(reason, 0) + int(row[1])
    summary.skipped = dict(sorted(counts.items()))
    inputs = staging.where(F.col("doc_hash").isNotNull()).agg(
        F.countDistinct("order").alias("documents"), F.countDistinct("doc_hash").alias("distinct")).first()
    summary.documents = inputs["documents"]
    summary.duplicates = inputs["documents"] - inputs["distinct"]
    notes = rejects.agg(F.count(F.when(F.col("kept"), 1)).alias("notes"), F.count("*").alias("all")).first()
    summary.notes, summary.rejects = notes["notes"], notes["all"] - notes["notes"]
    for name in ("articles", "events", "stories", "quotes"):
        setattr(summary, name, spark.read.parquet(f"{out}/{name}").count())


def _delete(spark: Any, path: str) -> None:
    """Remove a folder on whatever file system ``path`` is on (local, HDFS, S3…)."""
    jvm = spark.sparkContext._jvm
    target = jvm.org.apache.hadoop.fs.Path(path)
    target.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).delete(target, True)
