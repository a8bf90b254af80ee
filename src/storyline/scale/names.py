"""Entity names reconciled across a Spark run's articles, as ``regroup`` reconciles them across the store.

Workers annotate each article on its own (keys from that article alone, raw NER finds kept in the
``ner_names`` column); :func:`spark_reconcile_names` then runs the local engine's
:func:`~storyline.extract.reconcile.reconcile_articles` over all articles, so Spark and ``storyline run``
give the same keys, mentions and quote speakers. It runs on the driver: the articles' bodies and finds are
streamed there (``toLocalIterator``) and held in memory, which bounds the corpus by the driver's memory —
a distributed version (one broadcast table per reconciliation step) is left to do.
"""

from __future__ import annotations

import json
from typing import Any

from storyline.config import Config
from storyline.model import Article, Entity, Mention, Quote, annotation_digest


def spark_reconcile_names(spark: Any, articles: Any, config: Config, path: str) -> Any:
    """``articles`` (a deduplicated articles frame) with reconciled ``entities``, ``mentions`` and ``quotes``,
    written to ``path`` and read back."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    from storyline.extract.reconcile import reconcile_articles
    from storyline.scale.records import _quote_tuple, staging_schema

    columns = ("id", "title", "body", "lang", "outlet", "credited_source", "ner_names", "entities", "mentions",
               "quotes")  # the outlet too: its name in the text is an organisation
    corpus = [_article(row) for row in articles.where(F.col("ner_names").isNotNull()).select(*columns)
              .toLocalIterator()]
    digests = {a.id: annotation_digest(a.entities, a.mentions) for a in corpus}
    changed = reconcile_articles(corpus, digests, config)
    fields = {f.name: f for f in staging_schema().fields}
    schema = StructType([StructField("id", StringType(), False), *(
        StructField(f"_{name}", fields[name].dataType) for name in ("entities", "mentions", "quotes"))])
    update = spark.createDataFrame([
        (a.id, [(e.key, e.name, e.kind, list(e.aliases), list(e.roles)) for e in a.entities],
         [(m.entity_key, m.text, m.start, m.end) for m in a.mentions], [_quote_tuple(q) for q in a.quotes])
        for a in changed
    ], schema)
    joined = articles.join(update, "id", "left")
    for name in ("entities", "mentions", "quotes"):
        joined = joined.withColumn(name, F.coalesce(F.col(f"_{name}"), F.col(name))).drop(f"_{name}")
    joined.write.mode("overwrite").parquet(path)
    return spark.read.parquet(path)


def _article(row: Any) -> Article:
    return Article(
        id=row["id"], title=row["title"] or "", body=row["body"] or "", lang=row["lang"], outlet=row["outlet"],
        credited_source=row["credited_source"], ner_names=[(k, n, s, int(a), int(b)) for k, n, s, a, b in json.loads(row["ner_names"])],
        entities=[Entity(e["key"], e["name"], e["kind"], list(e["aliases"] or ()), list(e["roles"] or ()))
                  for e in row["entities"] or ()],
        mentions=[Mention(m["entity_key"], m["text"], m["start"], m["end"]) for m in row["mentions"] or ()],
        quotes=[Quote(**q.asDict()) for q in row["quotes"] or ()],
    )
