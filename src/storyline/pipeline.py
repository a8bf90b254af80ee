"""The storyline pipeline as one readable sequence.

    ingest → clean → extract (title, date, outlet, language) → annotate (entities, quotes)
           → store articles → represent + group (duplicates, events, statements, stories) → store groups

:func:`run_pipeline` is the whole job; each stage is a plain function of another module and can be run
alone (the CLI has one verb per stage). Articles are processed in batches of ``config.batch_size`` and
written in one transaction per batch, so a crash loses at most the batch in flight and a re-run skips
what is stored (content hashes). Grouping runs over the whole store in canonical order (date, id), which
makes events independent of the order files were read in.

The helpers here are internal; the stable API is :func:`run_pipeline`, :func:`ingest_paths`,
:func:`ingest_stream`, :func:`regroup` and :class:`Models`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

from storyline.config import Config
from storyline.model import Article, RawDocument, Reject, stable_id
from storyline.store.sqlite import SQLiteStore

log = logging.getLogger(__name__)

Progress = Callable[[str, int], None]  # (stage, items done so far)


@dataclass
class RunSummary:
    """What a run did, for the terminal and the ``runs`` table."""

    documents: int = 0
    new_articles: int = 0
    already_stored: int = 0
    rejects: list[Reject] = field(default_factory=list)
    events: int = 0
    stories: int = 0
    quotes: int = 0
    seconds: float = 0.0
    skipped: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "new_articles": self.new_articles,
            "already_stored": self.already_stored,
            "rejects": len(self.rejects),
            "events": self.events,
            "stories": self.stories,
            "quotes": self.quotes,
            "skipped": dict(sorted(self.skipped.items())),
        }


class Models:
    """The heavy models, loaded on first use and shared by all stages of a run (no global cache)."""

    def __init__(self, config: Config) -> None:
        self.config = config

    @cached_property
    def embedder(self):  # noqa: ANN201 - Embedder | None
        if not self.config.use_embeddings:
            return None
        from storyline.represent.embed import Embedder

        return Embedder()

    @cached_property
    def recognizer(self):  # noqa: ANN201 - EntityRecognizer | None
        if not self.config.use_ner:
            return None
        from storyline.extract.entities import EntityRecognizer

        return EntityRecognizer(self.config)


def run_pipeline(
    paths: Iterable[str | Path],
    store: SQLiteStore,
    config: Config | None = None,
    *,
    stdin: BinaryIO | None = None,
    progress: Progress | None = None,
    command: str = "run",
) -> RunSummary:
    """Ingest ``paths`` into ``store`` and regroup: the whole job behind ``storyline run``."""
    config = config or Config()
    models = Models(config)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    clock = time.perf_counter()
    summary = ingest_paths(paths, store, config, models=models, stdin=stdin, progress=progress)
    regroup(store, config, models=models, summary=summary, progress=progress)
    summary.seconds = time.perf_counter() - clock
    run_id = stable_id("run", started, command, str(summary.documents))
    store.record_run(run_id, started, datetime.now(UTC).isoformat(timespec="seconds"), command, summary.as_dict())
    return summary


def ingest_paths(
    paths: Iterable[str | Path],
    store: SQLiteStore,
    config: Config,
    *,
    models: Models | None = None,
    stdin: BinaryIO | None = None,
    progress: Progress | None = None,
) -> RunSummary:
    """Read, clean, extract and annotate new articles; store them batch by batch with the rejects."""
    from storyline.ingest import IngestStats, iter_documents

    stats = IngestStats()
    summary = ingest_stream(iter_documents(paths, stdin=stdin, stats=stats), store, config, models=models,
                            progress=progress)
    summary.skipped = dict(stats.skipped)
    return summary


def ingest_stream(
    stream: Iterable[RawDocument | Reject],
    store: SQLiteStore,
    config: Config,
    *,
    models: Models | None = None,
    progress: Progress | None = None,
) -> RunSummary:
    """The body of ingest for any source of documents (files, records given by the API, feeds)."""
    models = models or Models(config)
    summary = RunSummary()
    for batch in _batched(stream, config.batch_size):
        docs = [item for item in batch if isinstance(item, RawDocument)]
        rejects = [item for item in batch if isinstance(item, Reject)]
        summary.documents += len(docs)
        articles, failed = build_articles(docs, store, config, summary)
        rejects += failed
        annotate(articles, config, models, rejects)
        inserted = set(store.add_articles(articles))
        summary.new_articles += len(inserted)
        summary.already_stored += len(articles) - len(inserted)
        summary.quotes += sum(len(a.quotes) for a in articles if a.id in inserted)
        store.add_rejects(rejects)
        summary.rejects += rejects
        if progress:
            progress("ingest", summary.documents)
    return summary


def build_articles(
    docs: Sequence[RawDocument], store: SQLiteStore, config: Config, summary: RunSummary
) -> tuple[list[Article], list[Reject]]:
    """Clean and extract each new document; one bad document becomes a reject, never an exception."""
    from storyline.extract import build_article
    from storyline.model import content_hash

    known = store.known_hashes(content_hash(d.content) for d in docs)
    articles: list[Article] = []
    rejects: list[Reject] = []
    seen: set[str] = set()
    for doc in docs:
        digest = content_hash(doc.content)
        if digest in known or digest in seen:
            summary.already_stored += 1
            continue
        seen.add(digest)
        try:
            article = build_article(doc, config)
        except Exception as exc:  # noqa: BLE001 - one bad article must not stop the batch
            log.warning("%s: could not process: %s", doc.origin, exc)
            rejects.append(Reject(doc.origin, f"could not process article {doc.doc_id!r}: {type(exc).__name__}: {exc}"))
            continue
        if not article.body.strip():
            rejects.append(Reject(doc.origin, f"article {doc.doc_id!r} has no text left after cleaning"))
            continue
        articles.append(article)
    return articles, rejects


def annotate(articles: Sequence[Article], config: Config, models: Models, rejects: list[Reject]) -> None:
    """Entities then quotes (quotes need the entities to name speakers). Skipped in ``--fast`` mode."""
    if not articles:
        return
    if models.recognizer is not None:
        models.recognizer.annotate(articles)
    if config.extract_quotes:
        from storyline.extract.quotes import extract_quotes

        for article in articles:
            try:
                article.quotes = extract_quotes(article)
            except Exception as exc:  # noqa: BLE001 - keep the article, report the failure
                rejects.append(Reject(article.origin, f"quotes of {article.id!r} skipped: {type(exc).__name__}: {exc}"))
                article.quotes = []


def regroup(
    store: SQLiteStore,
    config: Config,
    *,
    models: Models | None = None,
    summary: RunSummary | None = None,
    progress: Progress | None = None,
) -> RunSummary:
    """Duplicates, events, statements and stories over every stored article, in canonical order."""
    from storyline.group.dedup import find_duplicates
    from storyline.group.events import group_events
    from storyline.group.stories import link_stories

    models = models or Models(config)
    summary = summary or RunSummary()
    articles = list(store.iter_articles())
    by_id = {a.id: a for a in articles}

    duplicates = find_duplicates(articles, config)
    store.set_duplicates({a.id: duplicates.get(a.id) for a in articles})
    for article in articles:
        article.duplicate_of = duplicates.get(article.id)
    if progress:
        progress("duplicates", len(articles))

    events, evidence = group_events(articles, config, models.embedder)
    if progress:
        progress("events", len(events))
    stories = link_stories(events, by_id, config, models.embedder)
    story_of = {eid: story.id for story in stories for eid in story.event_ids}
    for event in events:
        event.story_id = story_of.get(event.id)
    store.save_events(events, evidence)
    store.save_stories(stories)

    if config.extract_quotes:
        from storyline.group.statements import group_statements

        quotes = [q for a in articles for q in a.quotes]
        store.set_statements(group_statements(quotes, by_id, models.embedder))
    summary.events = len(events)
    summary.stories = len(stories)
    return summary


def _batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
