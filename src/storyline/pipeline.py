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
    """The body of ingest for any source of documents (files, records given by the API, feeds).

    With ``config.workers > 1`` the per-batch work (clean, extract, annotate) runs in worker processes, each
    with its own models; results come back in input order, so the store is the same for any worker count.
    """
    summary = RunSummary()
    batches = (_split_new(batch, store, summary) for batch in _batched(stream, config.batch_size))
    if config.workers > 1:
        import multiprocessing

        with multiprocessing.get_context("spawn").Pool(
            config.workers, initializer=_init_worker, initargs=(config,)
        ) as pool:
            for docs_rejects, (articles, failed) in _pool_map(pool, batches):
                _store_batch(store, docs_rejects[1], articles, failed, summary, progress)
    else:
        models = models or Models(config)
        for docs, rejects in batches:
            articles, failed = process_batch(docs, config, models)
            _store_batch(store, rejects, articles, failed, summary, progress)
    return summary


def _split_new(
    batch: list[RawDocument | Reject], store: SQLiteStore, summary: RunSummary
) -> tuple[list[RawDocument], list[Reject]]:
    """Documents not stored yet (by content hash, also within the batch), and the readers' rejects."""
    from storyline.model import content_hash

    docs = [item for item in batch if isinstance(item, RawDocument)]
    rejects = [item for item in batch if isinstance(item, Reject)]
    summary.documents += len(docs)
    known = store.known_hashes(content_hash(d.content) for d in docs)
    fresh: list[RawDocument] = []
    seen: set[str] = set()
    for doc in docs:
        digest = content_hash(doc.content)
        if digest in known or digest in seen:
            summary.already_stored += 1
            continue
        seen.add(digest)
        fresh.append(doc)
    return fresh, rejects


def _store_batch(
    store: SQLiteStore, rejects: list[Reject], articles: list[Article], failed: list[Reject], summary: RunSummary,
    progress: Progress | None,
) -> None:
    rejects = rejects + failed
    inserted = set(store.add_articles(articles))
    summary.new_articles += len(inserted)
    summary.already_stored += len(articles) - len(inserted)
    summary.quotes += sum(len(a.quotes) for a in articles if a.id in inserted)
    store.add_rejects(rejects)
    summary.rejects += rejects
    if progress:
        progress("ingest", summary.documents)


def process_batch(docs: Sequence[RawDocument], config: Config, models: Models) -> tuple[list[Article], list[Reject]]:
    """Clean, extract and annotate one batch: a pure function of the documents (runs in any process)."""
    articles, rejects = build_articles(docs, config)
    annotate(articles, config, models, rejects)
    return articles, rejects


_WORKER_MODELS: dict[str, Any] = {}  # one Models per worker process, set by the pool initializer


def _init_worker(config: Config) -> None:
    _WORKER_MODELS["models"] = Models(config)
    _WORKER_MODELS["config"] = config


def _work(docs: list[RawDocument]) -> tuple[list[Article], list[Reject]]:
    return process_batch(docs, _WORKER_MODELS["config"], _WORKER_MODELS["models"])


def _pool_map(pool: Any, batches: Iterable[tuple[list[RawDocument], list[Reject]]]) -> Iterator[Any]:
    """Ordered map that keeps at most a few batches in flight (bounded memory)."""
    from collections import deque

    pending: deque[tuple[Any, Any]] = deque()
    for item in batches:
        pending.append((item, pool.apply_async(_work, (item[0],))))
        if len(pending) >= 2 * pool._processes:
            done, result = pending.popleft()
            yield done, result.get()
    while pending:
        done, result = pending.popleft()
        yield done, result.get()


def build_articles(docs: Sequence[RawDocument], config: Config) -> tuple[list[Article], list[Reject]]:
    """Clean and extract each document; one bad document becomes a reject, never an exception."""
    from storyline.extract import build_article

    articles: list[Article] = []
    rejects: list[Reject] = []
    for doc in docs:
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
