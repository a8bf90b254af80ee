"""Parquet schemas of the Spark engine's outputs and the conversions between rows and model records.

One row per :class:`~storyline.model.Article` keeps everything the SQLite store keeps (removed spans,
entities, mentions, quotes), so a Spark run can be loaded into a store without re-reading the input.
Times are ``TIMESTAMP_NTZ`` (naive, as in the model): no session time zone can shift a publication date.
``day`` is :func:`storyline.group.events.article_day`, computed once by the worker that built the article.

This module imports pyspark lazily (schemas are built by functions), so it is importable without the extra.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from storyline.group.events import article_day
from storyline.model import Article, DateGuess, Entity, Mention, Quote, Reject, RemovedSpan

#: Columns of the staging table: one row per document outcome (an article, or a reject/note).
KINDS = ("article", "reject", "note")


def staging_schema() -> Any:
    from pyspark.sql.types import (
        ArrayType,
        BooleanType,
        DoubleType,
        IntegerType,
        LongType,
        StringType,
        StructField,
        StructType,
        TimestampNTZType,
    )

    strings = ArrayType(StringType())
    removed = ArrayType(StructType([StructField("text", StringType()), StructField("rule", StringType()),
                                    StructField("start", IntegerType())]))
    entities = ArrayType(StructType([StructField("key", StringType()), StructField("name", StringType()),
                                     StructField("kind", StringType()), StructField("aliases", strings),
                                     StructField("roles", strings)]))
    mentions = ArrayType(StructType([StructField("entity_key", StringType()), StructField("text", StringType()),
                                     StructField("start", IntegerType()), StructField("end", IntegerType())]))
    return StructType([
        StructField("kind", StringType(), False),
        StructField("order", LongType(), False),  # input unit << 32 | position in the unit: the reading order
        StructField("doc_hash", StringType()),  # document_hash of the input; None for reader rejects
        StructField("id", StringType()),
        StructField("title", StringType()),
        StructField("body", StringType()),
        StructField("origin", StringType()),
        StructField("raw", StringType()),
        StructField("url", StringType()),
        StructField("outlet", StringType()),
        StructField("credited_source", StringType()),
        StructField("lang", StringType()),
        StructField("published", TimestampNTZType()),
        StructField("day", DoubleType()),
        StructField("date_value", TimestampNTZType()),
        StructField("date_confidence", DoubleType()),
        StructField("date_source", StringType()),
        StructField("date_has_time", BooleanType()),
        StructField("date_year_known", BooleanType()),
        StructField("date_utc_offset", IntegerType()),
        StructField("removed", removed),
        StructField("entities", entities),
        StructField("mentions", mentions),
        StructField("quotes", ArrayType(quote_struct())),
        StructField("reason", StringType()),
        StructField("line", LongType()),
        StructField("ner_names", StringType()),  # JSON of ``Article.ner_names``: reconciled across the corpus later
    ])


def quote_struct() -> Any:
    from pyspark.sql.types import DoubleType, IntegerType, StringType, StructField, StructType

    return StructType([
        StructField("article_id", StringType()), StructField("text", StringType()),
        StructField("start", IntegerType()), StructField("end", IntegerType()),
        StructField("speaker", StringType()), StructField("speaker_name", StringType()),
        StructField("cue", StringType()), StructField("confidence", DoubleType()),
        StructField("kind", StringType()), StructField("statement_id", StringType()),
    ])


def article_row(article: Article, order: int) -> tuple[Any, ...]:
    date = article.date
    return (
        "article", order, article.content_hash, article.id, article.title, article.body, article.origin,
        article.raw, article.url, article.outlet, article.credited_source, article.lang, article.published,
        article_day(article),
        date.value if date else None, float(date.confidence) if date else None, date.source if date else None,
        date.has_time if date else None, date.year_known if date else None, date.utc_offset if date else None,
        [(s.text, s.rule, s.start) for s in article.removed],
        [(e.key, e.name, e.kind, list(e.aliases), list(e.roles)) for e in article.entities],
        [(m.entity_key, m.text, m.start, m.end) for m in article.mentions],
        [_quote_tuple(q) for q in article.quotes],
        None, None,
        None if article.ner_names is None else json.dumps(article.ner_names, ensure_ascii=False),
    )


def reject_row(reject: Reject, order: int, doc_hash: str | None, *, kind: str = "reject") -> tuple[Any, ...]:
    """A reject (``kind="reject"``) or a note on a kept article (``kind="note"``) as a staging row."""
    return (kind, order, doc_hash, None, None, None, reject.origin, *((None,) * 17), reject.reason, reject.line, None)


def _quote_tuple(q: Quote) -> tuple[Any, ...]:
    return (q.article_id, q.text, q.start, q.end, q.speaker, q.speaker_name, q.cue, float(q.confidence), q.kind,
            q.statement_id)


def row_article(row: Any) -> Article:
    """An :class:`Article` back from an articles row (with its quotes when the row has them)."""
    date = None
    if row["date_value"] is not None:
        date = DateGuess(row["date_value"], row["date_confidence"], row["date_source"],
                         has_time=bool(row["date_has_time"]), year_known=bool(row["date_year_known"]),
                         utc_offset=row["date_utc_offset"])
    article = Article(
        id=row["id"], title=row["title"], body=row["body"], origin=row["origin"], raw=row["raw"] or "",
        url=row["url"], outlet=row["outlet"], credited_source=row["credited_source"], lang=row["lang"], date=date,
        content_hash=row["doc_hash"],
        removed=[RemovedSpan(s["text"], s["rule"], s["start"]) for s in row["removed"] or ()],
        entities=[Entity(e["key"], e["name"], e["kind"], list(e["aliases"] or ()), list(e["roles"] or ()))
                  for e in row["entities"] or ()],
        mentions=[Mention(m["entity_key"], m["text"], m["start"], m["end"]) for m in row["mentions"] or ()],
    )
    fields = row.asDict() if hasattr(row, "asDict") else dict(row)
    if fields.get("ner_names") is not None:
        article.ner_names = [(k, n, s, int(a), int(b)) for k, n, s, a, b in json.loads(fields["ner_names"])]
    article.duplicate_of = fields.get("duplicate_of")
    article.quotes = [
        Quote(article_id=q["article_id"], text=q["text"], start=q["start"], end=q["end"], speaker=q["speaker"],
              speaker_name=q["speaker_name"], cue=q["cue"], confidence=q["confidence"], kind=q["kind"],
              statement_id=q["statement_id"])
        for q in fields.get("quotes") or ()
    ]
    return article


def row_reject(row: Any) -> Reject:
    return Reject(row["origin"], row["reason"], row["line"])


def as_datetime(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else None
