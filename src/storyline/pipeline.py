"""The storyline pipeline as one readable sequence.

    ingest → clean → extract (title, date, outlet, language) → annotate (entities, quotes)
           → store articles → reconcile entity names over the store (keys, speakers)
           → represent + group (duplicates, events, statements, stories) → store groups

:func:`run_pipeline` is the whole job; each stage is a plain function of another module and can be run
alone (the CLI has one verb per stage). Articles are processed in batches of ``config.batch_size`` and
written with their rejects in one transaction per batch, so a crash (even ``kill -9``) loses at most the
batch in flight and a re-run skips what is stored (document hashes, see
:func:`storyline.extract.document_hash`). Grouping runs over the whole store in canonical order (date, id)
and writes duplicates, events, stories and statements in one transaction, so a reader never sees events of
one grouping with stories of another. Input paths are read in sorted order and folders in name order, so
neither the order of the arguments nor the number of workers or the batch size changes the store.

Bad input never stops a run: what cannot become an article is a *reject* and an article stored with a
caveat (a future date dropped, an unsupported language, hidden characters removed) gets a *note*; both are
one line naming the file (and line), kept in the ``rejects`` table and in :class:`RunSummary`.

:func:`ingest_incremental` is the other way to group (``storyline ingest --incremental``): only the new articles
are assigned to events (a live stream in the transaction that stores each batch, files once stored, oldest first),
with stable event ids and a cost that does not grow with the store (:mod:`storyline.group.incremental`); a later
:func:`regroup` is the reference result. Regroup
caches each article's embedding in the store (``features``), so it embeds only articles it has not seen.

The helpers here are internal; the stable API is :func:`run_pipeline`, :func:`ingest_paths`,
:func:`ingest_stream`, :func:`ingest_incremental`, :func:`regroup` and :class:`Models`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from storyline.config import Config
from storyline.model import Article, Event, RawDocument, Reject, Story, stable_id
from storyline.store.sqlite import SQLiteStore

if TYPE_CHECKING:
    from storyline.group.incremental import LiveEvents

log = logging.getLogger(__name__)

Progress = Callable[[str, int], None]  # (stage, items done so far)
BatchHook = Callable[[list[Article]], Any]  # called with the articles a batch stored, inside its transaction


@dataclass
class RunSummary:
    """What a run did, for the terminal and the ``runs`` table."""

    documents: int = 0
    new_articles: int = 0
    already_stored: int = 0
    rejects: list[Reject] = field(default_factory=list)
    notes: list[Reject] = field(default_factory=list)  # articles kept with a caveat, one line each
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
            "notes": len(self.notes),
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
    on_batch: BatchHook | None = None,
) -> RunSummary:
    """Read, clean, extract and annotate new articles; store them batch by batch with the rejects.

    Paths are read in sorted order (as a folder's entries are), so the arguments' order cannot change
    which of two same-id articles is the first version. ``on_batch`` (see :func:`ingest_stream`).
    """
    from storyline.ingest import IngestStats, field_keys, iter_documents

    stats = IngestStats()
    ordered = sorted(paths, key=str)
    documents = iter_documents(ordered, stdin=stdin, stats=stats, keys=field_keys(config.record_fields))
    summary = ingest_stream(documents, store, config, models=models,
                            progress=progress, on_batch=on_batch)
    summary.skipped = dict(stats.skipped)
    return summary


def ingest_stream(
    stream: Iterable[RawDocument | Reject],
    store: SQLiteStore,
    config: Config,
    *,
    models: Models | None = None,
    progress: Progress | None = None,
    on_batch: BatchHook | None = None,
) -> RunSummary:
    """The body of ingest for any source of documents (files, records given by the API, feeds).

    With ``config.workers > 1`` the per-batch work (clean, extract, annotate) runs in worker processes, each
    with its own models; results come back in input order, so the store is the same for any worker count.
    ``on_batch`` receives the articles each batch stored, inside that batch's transaction (incremental
    grouping writes its assignment there, so a crash keeps a batch with its events or neither).
    """
    summary = RunSummary()
    batches = (_split_new(batch, store, summary) for batch in _batched(stream, config.batch_size))
    if config.workers > 1:
        import multiprocessing

        with multiprocessing.get_context("spawn").Pool(
            config.workers, initializer=_init_worker, initargs=(config,)
        ) as pool:
            for docs_rejects, (articles, failed, notes) in _pool_map(pool, batches):
                _store_batch(store, docs_rejects[1], articles, failed, notes, summary, progress, on_batch)
    else:
        models = models or Models(config)
        for docs, rejects in batches:
            articles, failed, notes = process_batch(docs, config, models)
            _store_batch(store, rejects, articles, failed, notes, summary, progress, on_batch)
    return summary


def _split_new(
    batch: list[RawDocument | Reject], store: SQLiteStore, summary: RunSummary
) -> tuple[list[RawDocument], list[Reject]]:
    """Documents not stored yet (by document hash, also within the batch), and the readers' rejects."""
    from storyline.extract import document_hash

    docs = [_storable(item) for item in batch if isinstance(item, RawDocument)]
    rejects = [_storable(item) for item in batch if isinstance(item, Reject)]
    summary.documents += len(docs)
    digests = [document_hash(doc) for doc in docs]
    known = store.known_hashes(digests)
    fresh: list[RawDocument] = []
    seen: set[str] = set()
    for doc, digest in zip(docs, digests, strict=True):
        if digest in known or digest in seen:
            summary.already_stored += 1
            continue
        seen.add(digest)
        fresh.append(doc)
    return fresh, rejects


def _storable(item: Any) -> Any:
    """The document or reject with every string encodable as UTF-8 (lone surrogates from a JSON escape, a file
    name that is not UTF-8 or an API caller would make SQLite fail the whole batch)."""
    from dataclasses import fields, replace

    from storyline.ingest.decode import scrub_name, scrub_text

    changes = {}
    for spec in fields(item):
        value = getattr(item, spec.name)
        if isinstance(value, str) and value != (clean := scrub_text(value)):
            changes[spec.name] = scrub_name(value) if spec.name in ("origin", "doc_id") else clean
    return replace(item, **changes) if changes else item


def _store_batch(
    store: SQLiteStore, rejects: list[Reject], articles: list[Article], failed: list[Reject], notes: list[Reject],
    summary: RunSummary, progress: Progress | None, on_batch: BatchHook | None = None,
) -> None:
    """Articles, rejects and notes of one batch in one transaction: a crash keeps all of them or none."""
    rejects = rejects + failed
    with store.transaction():
        inserted = set(store.add_articles(articles))
        store.add_rejects(rejects)
        store.add_rejects(notes, kept=True)
        if on_batch is not None and inserted:
            on_batch([a for a in articles if a.id in inserted])
    summary.new_articles += len(inserted)
    summary.already_stored += len(articles) - len(inserted)
    summary.quotes += sum(len(a.quotes) for a in articles if a.id in inserted)
    summary.rejects += rejects
    summary.notes += notes
    if progress:
        progress("ingest", summary.documents)


def process_batch(
    docs: Sequence[RawDocument], config: Config, models: Models
) -> tuple[list[Article], list[Reject], list[Reject]]:
    """Clean, extract and annotate one batch: a pure function of the documents (runs in any process).

    Returns the articles, the documents that failed, and notes on articles kept with a caveat.
    """
    notes: list[Reject] = []
    articles, rejects = build_articles(docs, config, notes=notes)
    annotate(articles, config, models, notes)
    return articles, rejects, notes


_WORKER_MODELS: dict[str, Any] = {}  # one Models per worker process, set by the pool initializer


def _init_worker(config: Config) -> None:
    _WORKER_MODELS["models"] = Models(config)
    _WORKER_MODELS["config"] = config


def _work(docs: list[RawDocument]) -> tuple[list[Article], list[Reject], list[Reject]]:
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


def build_articles(
    docs: Sequence[RawDocument], config: Config, *, notes: list[Reject] | None = None
) -> tuple[list[Article], list[Reject]]:
    """Clean and extract each document; one bad document becomes a reject, never an exception.

    ``notes``, when given, receives one line per article kept with a caveat (see :func:`article_note`).
    """
    from storyline.extract import extract_article

    articles: list[Article] = []
    rejects: list[Reject] = []
    for doc in docs:
        try:
            article, clean = extract_article(doc, config)
        except Exception as exc:  # noqa: BLE001 - one bad article must not stop the batch
            log.warning("%s: could not process: %s", doc.origin, exc)
            rejects.append(_at(doc.origin, f"could not process article {doc.doc_id!r}: {type(exc).__name__}: "
                                           f"{_one_line(exc)}"))
            continue
        if not any(ch.isalnum() for ch in article.body):  # nothing a reader could read: no letter, no digit
            why = "no readable text, only undecodable bytes" if "\ufffd" in article.body else "no text left after cleaning"
            rejects.append(_at(doc.origin, f"article {doc.doc_id!r} has {why}"))
            continue
        articles.append(article)
        note = article_note(doc, article, clean.meta, config)
        if note is not None and notes is not None:
            notes.append(note)
    return articles, rejects


def article_note(doc: RawDocument, article: Article, meta: dict[str, Any], config: Config) -> Reject | None:
    """One line on what was dropped or degraded in a kept article, or ``None`` when nothing was."""
    caveats = [str(doc.extra["reader_note"])] if doc.extra.get("reader_note") else []  # e.g. a truncated record
    caveats += [str(meta[key]) for key in ("date_note", "html_note", "hidden_note") if meta.get(key)]
    replaced = doc.content.count("\ufffd")
    if replaced:
        caveats.append(f"{replaced} undecodable byte sequence{'s' if replaced > 1 else ''} shown as U+FFFD")
    if not _supported(article, config):
        caveats.append(f"language {article.lang!r} is not supported ({', '.join(config.languages)}): "
                       "grouped by its text only, no entities or quotes")
    if not caveats:
        return None
    return _at(doc.origin, f"article {article.id!r} kept: {'; '.join(caveats)}")


def _supported(article: Article, config: Config) -> bool:
    """Entities and quotes are extracted for the configured languages and for text too short to tell."""
    return not article.lang or article.lang == "und" or article.lang in config.languages


def _at(origin: str, reason: str) -> Reject:
    """A reject or note for a document whose origin may be ``path:line`` (records): line kept apart."""
    path, _, line = origin.rpartition(":")
    if path and line.isdigit():
        return Reject(path, reason, int(line))
    return Reject(origin, reason)


def _one_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:200] if text else type(error).__name__


def annotate(articles: Sequence[Article], config: Config, models: Models, notes: list[Reject]) -> None:
    """Entities then quotes (quotes need the entities to name speakers). Skipped in ``--fast`` mode.

    Articles in a language outside ``config.languages`` are left out: the models would read them as English.
    """
    articles = [article for article in articles if _supported(article, config)]
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
                notes.append(_at(article.origin, f"article {article.id!r} kept, its quotes skipped: "
                                                 f"{type(exc).__name__}: {_one_line(exc)}"))
                article.quotes = []


def ingest_incremental(
    paths: Iterable[str | Path],
    store: SQLiteStore,
    config: Config,
    *,
    models: Models | None = None,
    stdin: BinaryIO | None = None,
    progress: Progress | None = None,
    documents: Iterable[RawDocument | Reject] | None = None,
    stories: bool = False,
) -> RunSummary:
    """Ingest and assign only the new articles to events (``storyline ingest --incremental``).

    Existing events keep their ids and members; an unmatched article opens an event; a late article can
    re-open a retired one (:class:`storyline.group.incremental.LiveEvents`); each batch's names are reconciled
    with the store's and its quotes join statements. Duplicates and stories are left as they are until the next
    :func:`regroup`. A store without incremental state (never
    regrouped by this version, or changed by another writer) is regrouped once first.

    Files are an archive: they are stored first, then grouped in date order (:meth:`LiveEvents.catch_up`),
    which is faster and independent of the order of the files. Standard input is a live stream: each batch
    is grouped in the transaction that stores it, so its articles have events as soon as they are stored;
    ``documents`` (what :meth:`storyline.Corpus.add_records` makes of its dicts), read instead of paths, are one too.
    A run stopped between storing and grouping leaves articles without events, and the next run groups them.
    ``stories``: the run ends with :func:`relink_stories` (``--stories``; one pass over the store).
    """
    models = models or Models(config)
    live = open_live_events(store, config, models, progress)
    clock = time.perf_counter()
    streaming = stdin is not None or documents is not None
    if streaming:  # a live stream: no article pays for merging the search index, done at the end
        store.defer_search_merges()
    try:
        if documents is not None:
            summary = ingest_stream(documents, store, config, models=models, progress=progress, on_batch=live.add)
        else:
            summary = ingest_paths(paths, store, config, models=models, stdin=stdin, progress=progress,
                                   on_batch=live.add if streaming else None)
        live.catch_up(config.batch_size, progress)
    finally:  # the deferred index merges and WAL copy, whatever stopped the run
        live.checkpoint()
    if stories:
        relink_stories(store, config, models=models, progress=progress)
    summary.seconds = time.perf_counter() - clock
    summary.events = int(store.conn.execute("SELECT count(*) FROM events").fetchone()[0])
    summary.stories = int(store.conn.execute("SELECT count(*) FROM stories").fetchone()[0])
    return summary


def open_live_events(store: SQLiteStore, config: Config, models: Models, progress: Progress | None = None) -> LiveEvents:
    """The store's :class:`~storyline.group.incremental.LiveEvents`; a store without incremental state (never
    regrouped by this version, or changed by another writer) is regrouped once first."""
    from storyline.group.incremental import LiveEvents, StateMissing

    try:
        return LiveEvents(store, config, models.embedder)
    except StateMissing:
        log.info("no incremental state in %s: regrouping the store once", store.path)
        regroup(store, config, models=models, progress=progress)
        return LiveEvents(store, config, models.embedder)


def group_pending(store: SQLiteStore, config: Config, *, models: Models | None = None,
                  progress: Progress | None = None, stories: bool = False) -> int:
    """Assign the stored articles that have no event yet, as ``ingest --incremental`` does: existing events keep
    their ids and members, nothing else is regrouped (``storyline watch --incremental``). Returns how many
    articles were assigned (0 when a store without incremental state was regrouped instead, which linked its
    stories); ``stories``: when some were, :func:`relink_stories` follows."""
    models = models or Models(config)
    live = open_live_events(store, config, models, progress)
    try:
        assigned = live.catch_up(config.batch_size, progress)
    finally:
        live.checkpoint()
    if stories and assigned:
        relink_stories(store, config, models=models, progress=progress)
    return assigned


def regroup(
    store: SQLiteStore,
    config: Config,
    *,
    models: Models | None = None,
    summary: RunSummary | None = None,
    progress: Progress | None = None,
) -> RunSummary:
    """Outlet names as today's rules give them and entity names reconciled across the store, then duplicates,
    events, statements and stories over every stored article, in canonical order.

    Everything is computed first and written in one transaction, so a crash or a concurrent reader sees
    the previous grouping or the new one, never events of one with stories of the other.
    """
    from storyline.extract.reconcile import reconcile_store
    from storyline.group.dedup import find_duplicates
    from storyline.group.events import group_events
    from storyline.group.incremental import RecordingProfiler, save_state
    from storyline.represent.embed import cached

    models = models or Models(config)
    summary = summary or RunSummary()
    articles = list(store.iter_articles())
    _restate_outlets(store, articles)
    reconcile_store(store, articles, config)  # entity keys and speakers over the whole store, not per batch
    by_id = {a.id: a for a in articles}

    duplicates = find_duplicates(articles, config)
    for article in articles:
        article.duplicate_of = duplicates.get(article.id)
    if progress:
        progress("duplicates", len(articles))

    embedder = cached(models.embedder, store)  # stored articles are embedded once, then read from the store
    profiler = RecordingProfiler(embedder if config.use_embeddings else None)  # keeps the incremental state
    events, evidence = group_events(articles, config, embedder, profiler=profiler)
    stories = _describe_and_link(events, by_id, config, embedder, progress)  # reads the vectors the grouping stored
    story_of = {eid: story.id for story in stories for eid in story.event_ids}
    for event in events:
        event.story_id = story_of.get(event.id)

    statements = None
    if config.extract_quotes:
        from storyline.group.statements import group_statements

        quotes = [q for a in articles for q in a.quotes]
        statements = group_statements(quotes, by_id, models.embedder)
    with store.transaction():
        store.set_duplicates({a.id: duplicates.get(a.id) for a in articles})
        store.save_events(events, evidence)
        store.save_stories(stories)
        if statements is not None:
            store.set_statements(statements)
        save_state(store, profiler)
    summary.events = len(events)
    summary.stories = len(stories)
    return summary


def _restate_outlets(store: SQLiteStore, articles: Sequence[Article]) -> None:
    """Outlets stored by an older storyline, named as a new ingest would (:func:`storyline.extract.outlet.restated`)."""
    from storyline.extract.outlet import restated

    changed = {}
    for article in articles:
        outlet, credited = restated(article.outlet, article.credited_source, article.url)
        if (outlet, credited) != (article.outlet, article.credited_source):
            article.outlet, article.credited_source = changed[article.id] = (outlet, credited)
    if changed:
        log.info("%d articles' outlets named as the current rules name them", len(changed))
        store.set_outlets(changed)


def relink_stories(
    store: SQLiteStore,
    config: Config,
    *,
    models: Models | None = None,
    progress: Progress | None = None,
) -> RunSummary:
    """Stories over the stored events as they are, and each event's headline and summary; events keep their ids
    and members, near-copies and statements are untouched.

    For a store grown with ``ingest --incremental``, which links no stories: a regroup would link them too, but it
    also regroups the events (the batch result, not the stream's), which a reader following event ids may not
    want, and costs the whole event grouping. Stories read the stored article vectors (no model call for articles
    the incremental path embedded). Written in one transaction.
    """
    from storyline.represent.embed import cached

    models = models or Models(config)
    summary = RunSummary()
    articles = {a.id: a for a in store.iter_articles()}
    events = store.events()
    stories = _describe_and_link(events, articles, config, cached(models.embedder, store), progress)
    with store.transaction():
        store.describe_events(events)
        store.save_stories(stories)
    summary.events = len(events)
    summary.stories = len(stories)
    return summary


def _describe_and_link(events: list[Event], articles: Mapping[str, Article], config: Config, embedder: Any,
                       progress: Progress | None) -> list[Story]:
    """Each event's headline and summary (in place), then the stories over the events: a story takes its title
    from its central event, so the events are described first."""
    from storyline.group.stories import link_stories
    from storyline.group.timeline import describe_events

    describe_events(events, articles)
    if progress:
        progress("events", len(events))
    return link_stories(events, articles, config, embedder)


def _batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
