"""Loading a Spark run's Parquet tables into the SQLite store, for the CLI, the report and the web UI.

The articles stream through the driver in reading order (``toLocalIterator``), a batch per transaction;
events, their evidence and stories replace the store's. Meant for corpora a SQLite file can hold: for
tens of millions of articles keep the Parquet tables (``storyline run --engine spark --no-load``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from storyline.model import Article, Event, Story


def load_into_store(spark: Any, out: str | Path, db: str | Path, *, batch: int = 500) -> None:
    """Load a Spark run's Parquet output into a SQLite store (articles, quotes, rejects, events, stories).

    Re-loading the same output is a no-op for articles (content hashes) and replaces events and stories.
    A store that holds articles this run does not have is refused: events would not cover them.
    """
    from pyspark.sql import functions as F

    from storyline.scale.records import quote_struct, row_article, row_reject
    from storyline.store import SQLiteStore

    out = str(out)
    articles = spark.read.parquet(f"{out}/articles")
    quotes = spark.read.parquet(f"{out}/quotes")
    nested = quotes.groupBy("article_id").agg(F.collect_list(F.struct(*quote_struct().names)).alias("quotes"))
    rows = articles.join(nested, articles["id"] == nested["article_id"], "left").drop("article_id").orderBy("order")
    with SQLiteStore(db) as store:
        hashes = [r[0] for r in articles.select("doc_hash").toLocalIterator()]
        known = set()
        for lo in range(0, len(hashes), 5000):
            known |= store.known_hashes(hashes[lo:lo + 5000])
        if store.count_articles() > len(known):
            raise ValueError(f"{db} holds {store.count_articles() - len(known)} articles that are not in this Spark "
                             "run; the Spark engine groups only its input: load into a new --db")
        pending: list[Article] = []
        for row in rows.toLocalIterator():
            if row["doc_hash"] in known:
                continue
            pending.append(row_article(row))
            if len(pending) >= batch:
                store.add_articles(pending)
                pending = []
        store.add_articles(pending)
        rejects = spark.read.parquet(f"{out}/rejects").orderBy("order").collect()
        store.add_rejects([row_reject(r) for r in rejects if not r["kept"]])
        store.add_rejects([row_reject(r) for r in rejects if r["kept"]], kept=True)
        events = [_event(r) for r in spark.read.parquet(f"{out}/events").toLocalIterator()]
        evidence = {
            r["article_id"]: {"event_id": r["event_id"], "engine": "spark", "score": r["score"],
                              "new_event": r["similar_to"] is None, "similar_to": r["similar_to"],
                              "days_apart": r["days_apart"], "shared_terms": [], "shared_entities": []}
            for r in spark.read.parquet(f"{out}/evidence").toLocalIterator()
        }
        store.save_events(events, evidence)
        store.save_stories([_story(r) for r in spark.read.parquet(f"{out}/stories").toLocalIterator()])


def _event(row: Any) -> Event:
    return Event(id=row["id"], article_ids=list(row["article_ids"]), title=row["title"] or "", start=row["start"],
                 end=row["end"], outlets=list(row["outlets"]), story_id=row["story_id"],
                 summary=row["summary"] or "")


def _story(row: Any) -> Story:
    return Story(id=row["id"], event_ids=list(row["event_ids"]), title=row["title"], start=row["start"],
                 end=row["end"], entities=list(row["entities"]), article_ids=list(row["article_ids"]))
