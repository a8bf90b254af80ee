"""Incremental grouping: new articles join the stored events without regrouping the whole store.

``storyline ingest PATH --incremental`` (and :func:`storyline.pipeline.ingest_incremental`) assigns new articles
to events with :class:`LiveEvents` — a live stream batch by batch in the transaction that stores it, an archive of
files after storing it, oldest first (:meth:`LiveEvents.catch_up`): an
:class:`~storyline.group.events.EventIndex` rebuilt from the store's *hot window* (articles within
``config.horizon_days`` of the newest stored date, with their stored event ids) plus what the store keeps
so that starting up and adding one article cost the same in a store of a thousand or a million articles:

* ``term_df`` / ``meta.term_df_docs``: document frequencies of the grouping terms over every stored article
  (the IDF a batch regroup would use), read lazily per term and updated per batch;
* ``postings``: the ``STORED_POSTINGS`` heaviest terms of each article with its day, an inverted index that
  lets a *late* article (older than the horizon) find the retired events of its date window and re-open
  one — a bounded range query per term, never a scan;
* the event of each article (``articles.event_id``), the event sizes (``events.size``), and the embedding
  of each article (``features``, :class:`~storyline.represent.embed.CachedEmbedder`).

A full :func:`storyline.pipeline.regroup` (``storyline run``, plain ``storyline ingest``, ``storyline
regroup``) rewrites all of it and stays the reference. How the two relate: the incremental assignment is
the online step of :class:`~storyline.group.events.EventIndex` with the batch's pair scores — each batch's
articles join events or one another by average linkage, best pair first (members outside the index count 0)
— so it can split what average linkage over the whole store would merge (it never merges two existing events,
and it does not link stories). Each batch's near-copies are marked first, by the regroup's rule against the hot window's
articles (:class:`~storyline.group.dedup.CopyIndex`; a late original takes over the copies stored before it), its
entity names are reconciled with the store's (:class:`~storyline.extract.reconcile.NameReconciler`) and its quotes
join the statements of stored quotes by the same speakers (:meth:`LiveEvents._join_statements`). A regroup is the consolidation: it recomputes
everything, and events keep their ids when their earliest member is unchanged. The incremental path keeps
every id it has given out, even when a late article becomes an event's earliest member. On the sample
corpus, half stored by a regroup and half added incrementally agrees with the batch result at BCubed F1
≥ 0.9 (``tests/test_incremental.py``).

With ``--workers 2`` an archive uses both cores while it is grouped too: a :class:`ProfileFeed` process
profiles batch k+1 (furniture, terms, weights, blocking keys) while this one links batch k, with the same
result as one process.
"""

from __future__ import annotations

import gc
import json
import math
import multiprocessing
import queue
import sys
import traceback
import weakref
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from storyline.config import Config
from storyline.extract.reconcile import NameReconciler
from storyline.group.dedup import CopyIndex
from storyline.group.events import EventIndex, IndexKeys, index_keys, posted_terms
from storyline.group.statements import MAX_UNDATED_BLOCK, RECALL_DAYS, WINDOW_DAYS, join_statements, recalls
from storyline.model import Article, Quote
from storyline.represent.embed import CachedEmbedder, Embedder, cached
from storyline.represent.features import DocumentFrequencies
from storyline.represent.furniture import FurnitureFilter
from storyline.represent.pairs import (
    NEIGHBOURS,
    VECTOR_TERMS,
    Profile,
    Profiler,
    canonical_key,
    day_of,
    embed_profiles,
)
from storyline.store.sqlite import SQLiteStore

STORED_POSTINGS = 10  # terms per article in the ``postings`` table (a late article looks up its block terms)
RECALL_TERMS = 10  # a late article looks up its heaviest block terms (and its name skeletons) ...
RECALL_PER_SIDE = NEIGHBOURS  # ... and takes this many stored articles before and after it per term
STATE_VERSION = "1"
WAL_PAGES = 10_000
ARCHIVE_WAL_PAGES = 40_000  # while catching up on an archive, see LiveEvents.catch_up
THAW_EVERY = 200_000  # articles added between two full collections of the frozen heap (see LiveEvents._settle)


class StateMissing(LookupError):
    """The store has articles but no incremental state yet (never regrouped by this version)."""


class RecordingProfiler(Profiler):
    """A :class:`Profiler` that remembers each profile's stored postings (a regroup saves them).

    Kept compact (one tuple of interned terms per article): a regroup of a million articles holds them all.
    """

    def __init__(self, embedder: object | None = None) -> None:
        super().__init__(embedder)
        self.postings: list[tuple[str, float, tuple[str, ...]]] = []

    def profiles(self, articles: Sequence[Article], *, embed: bool = True) -> list[Profile]:
        out = super().profiles(articles, embed=embed)
        df = self.frequencies.df
        self.postings.extend((p.id, p.day, tuple(sys.intern(t) for t in posted_terms(p, df, STORED_POSTINGS)))
                             for p in out if p.day is not None)
        return out


def save_state(store: SQLiteStore, profiler: RecordingProfiler) -> None:
    """Replace the incremental state with what a whole-store grouping gathered (inside its transaction)."""
    conn = store.conn
    with store.transaction():
        conn.execute("DELETE FROM term_df")
        conn.executemany("INSERT INTO term_df(term, df) VALUES (?, ?)", profiler.frequencies.df.items())
        conn.execute("DELETE FROM postings")
        conn.executemany("INSERT OR IGNORE INTO postings(term, day, article_id) VALUES (?, ?, ?)",
                         ((term, day, aid) for aid, day, terms in profiler.postings for term in terms))
        _set_meta(store, term_df_docs=str(profiler.frequencies.n_docs), incremental_state=STATE_VERSION,
                  incremental_articles=str(store.count_articles()))


class _StoredCounts(dict):
    """Document frequencies read from ``term_df`` on first use (0 when absent)."""

    def __init__(self, store: SQLiteStore) -> None:
        super().__init__()
        self._conn = store.conn

    def __missing__(self, term: str) -> int:
        row = self._conn.execute("SELECT df FROM term_df WHERE term = ?", (term,)).fetchone()
        value = self[term] = int(row[0]) if row else 0
        return value


class StoredFrequencies(DocumentFrequencies):
    """:class:`DocumentFrequencies` backed by the store: startup reads nothing, ``flush`` writes the increments."""

    def __init__(self, store: SQLiteStore) -> None:
        super().__init__(max_terms=VECTOR_TERMS)
        self.store = store
        self.df = _StoredCounts(store)  # type: ignore[assignment]
        self.n_docs = int(_get_meta(store, "term_df_docs") or 0)
        self._pending: Counter[str] = Counter()

    def add(self, documents: Iterable[Mapping[str, float]]) -> None:
        for terms in documents:
            self.n_docs += 1
            for term in terms:
                self.df[term] += 1
                self._pending[term] += 1
        self._idf = {}

    def idf(self, term: str) -> float:
        value = self._idf.get(term)
        if value is None:
            value = self._idf[term] = math.log((self.n_docs + 1) / (self.df[term] + 1)) + 1.0
        return value

    def take_pending(self) -> Counter[str]:
        """The counts added since the last take (what a :class:`ProfileFeed` hands to the grouping process)."""
        pending, self._pending = self._pending, Counter()
        return pending

    def absorb(self, fed: FedProfiles) -> None:
        """Take over the counts a :class:`ProfileFeed` added for one batch, as if :meth:`add` had run here
        (a term not read yet is read from the store, where :meth:`flush` puts them)."""
        df = self.df
        for term, count in fed.pending.items():
            if term in df:
                df[term] += count
        self._pending.update(fed.pending)
        self.n_docs = fed.n_docs
        self._idf = {}

    def flush(self) -> None:
        """Write the counts added since the last flush (inside the caller's transaction)."""
        if self._pending:
            self.store.conn.executemany(
                "INSERT INTO term_df(term, df) VALUES (?, ?) ON CONFLICT(term) DO UPDATE SET df = df + excluded.df",
                sorted(self._pending.items()))
            self._pending = Counter()
        _set_meta(self.store, term_df_docs=str(self.n_docs))


@dataclass(slots=True)
class FedProfiles:
    """One batch from a :class:`ProfileFeed`: its profiles and index keys (canonical order), the document
    frequencies it added and the embedding-cache rows it computed (written by the grouping process); or, every
    other batch with embeddings, the texts the grouping process embeds itself (``to_embed``)."""

    profiles: list[Profile]
    keys: list[IndexKeys]
    pending: Counter[str]
    n_docs: int
    features: list[tuple[str, bytes]]
    to_embed: list[str] | None = None
    copies: dict[str, str] = field(default_factory=dict)  # near-copies marked in the batch (:meth:`CopyIndex.mark`)
    repointed: list[tuple[str, str]] = field(default_factory=list)


class _HeldFeatures:
    """The embedding cache of a store the feed may only read: rows are read from it, new ones held back for the
    grouping process to write (:attr:`FedProfiles.features`)."""

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store
        self.rows: list[tuple[str, bytes]] = []

    def get_features(self, kind: str, ids: Iterable[str]) -> dict[str, bytes]:
        return self.store.get_features(kind, ids)

    def put_features(self, kind: str, items: Iterable[tuple[str, bytes]]) -> None:
        self.rows.extend(items)

    def take(self) -> list[tuple[str, bytes]]:
        rows, self.rows = self.rows, []
        return rows


class ProfileFeed:
    """The profiles of an archive's batches, computed one batch ahead in a second process.

    Why: profiling (furniture, terms, TF-IDF weights, blocking terms) is a third of :meth:`LiveEvents.catch_up`
    without embeddings (with them, embedding is most of it), linking the rest, and linking never changes the
    profiler's state. A process that starts from the index's profiler and reads the same batches in the same
    order computes the same profiles, so with ``--workers 2`` the grouping process links batch k while the feed
    profiles batch k+1; the result is identical (tests/test_incremental.py compares events, evidence, postings,
    frequencies and the embedding cache). With embeddings the feed embeds every other batch and hands the
    grouping process the texts of the others to embed itself (the same call on the same texts: the same vectors),
    which balances the two. 10k articles, grouping only: 3.7 -> 3.0 s with ``--fast``, 15.7 -> 11.4 s with
    embeddings.

    The feed owns the profiler state while it runs: :meth:`finish` hands its furniture counts back, and the
    embedding-cache rows it computes are written by the grouping process in each batch's transaction. It also marks
    each batch's near-copies before profiling it (furniture counts a copy once) with the grouping process's
    :class:`~storyline.group.dedup.CopyIndex`, sends the marks with the batch and hands the index back at the end.

    >>> feed = ProfileFeed(store, index.profiler, [["a1", "a2"], ["a3"]], copies=copies)  # doctest: +SKIP
    >>> first = feed.next()                                                # doctest: +SKIP
    >>> index.profiler.furniture, copies = feed.finish()                   # doctest: +SKIP
    """

    def __init__(self, store: SQLiteStore, profiler: Profiler, chunks: list[list[str]], *, copies: CopyIndex,
                 depth: int = 3) -> None:
        context = multiprocessing.get_context("spawn")  # never fork a process holding SQLite connections
        self._queue: Any = context.Queue(maxsize=depth)  # bounded: the feed stays at most ``depth`` batches ahead
        self._process = context.Process(target=_feed_profiles, name="storyline-profile-feed", daemon=True,
                                        args=(store.path, profiler.furniture, _embedding_spec(profiler), chunks,
                                              self._queue, copies))
        self._process.start()

    def next(self) -> FedProfiles:
        kind, payload = self._get()
        if kind != "batch":
            raise RuntimeError(f"the profile feed ended early ({kind})")
        return payload

    def finish(self) -> tuple[FurnitureFilter, CopyIndex]:
        """The feed's furniture counts and copy index after the last batch (the state linking does not have)."""
        kind, payload = self._get()
        if kind != "done":
            raise RuntimeError(f"the profile feed sent more batches than asked for ({kind})")
        self._process.join()
        return payload

    def stop(self) -> None:
        """End the feed process whatever state it is in (idempotent)."""
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._queue.close()

    def _get(self) -> tuple[str, Any]:
        while True:
            try:
                kind, payload = self._queue.get(timeout=1.0)
            except queue.Empty:
                if not self._process.is_alive():
                    raise RuntimeError(f"the profile feed died (exit code {self._process.exitcode})") from None
                continue
            if kind == "error":
                raise RuntimeError(f"the profile feed failed:\n{payload}")
            return kind, payload


def _embedding_spec(profiler: Profiler) -> tuple[dict[str, int], bool] | None:
    """How the feed builds the profiler's embedder: the model's settings and the cache's strictness (the model
    itself loads in the feed process), or ``None`` without embeddings."""
    cache = profiler.embedder
    if cache is None:
        return None
    model = cache.embedder
    return {"batch_size": model.batch_size, "max_chars": model.max_chars, "threads": model.threads}, cache.strict


def feedable_embedder(embedder: object | None) -> bool:
    """Whether a :class:`ProfileFeed` can rebuild this profiler embedder in its process (none, or the product's
    model behind the store's cache)."""
    return embedder is None or (isinstance(embedder, CachedEmbedder) and type(embedder.embedder) is Embedder)


def _feed_profiles(path: str, furniture: FurnitureFilter, embedding: tuple[dict[str, int], bool] | None,
                   chunks: list[list[str]], out: Any, copies: CopyIndex) -> None:
    """The body of a :class:`ProfileFeed` process: what :meth:`EventIndex.insert` would profile, batch by batch."""
    parent = multiprocessing.parent_process()

    def send(item: tuple[str, Any]) -> None:
        """Put ``item`` on the bounded queue; give up if the grouping process is gone (killed: nobody reads)."""
        while True:
            try:
                out.put(item, timeout=1.0)
                return
            except queue.Full:
                if parent is not None and not parent.is_alive():
                    out.cancel_join_thread()  # what is buffered for a dead reader is dropped, not waited on
                    sys.exit(1)

    try:
        with SQLiteStore(path, readonly=True) as store:
            held = _HeldFeatures(store)
            profiler = Profiler(None if embedding is None else
                                CachedEmbedder(Embedder(**embedding[0]), held, strict=embedding[1]))
            profiler.furniture = furniture
            # counts the store does not hold yet are exactly this feed's: every increment of this run is counted
            # here before the grouping process writes it, so a term read from the store was never counted here
            frequencies = StoredFrequencies(store)
            profiler.frequencies = frequencies
            for number, chunk in enumerate(chunks):
                fresh = sorted({a.id: a for a in store.iter_articles(chunk, with_annotations=False)}.values(),
                               key=canonical_key)
                marked, repointed = copies.mark(fresh)
                for article in fresh:  # before observing: furniture counts a copy's text once, as the grouping does
                    article.duplicate_of = marked.get(article.id)
                profiler.observe(fresh)
                # embedding is most of the work: the grouping process embeds every other batch itself (the same
                # call on the same texts, so the same vectors), else it would mostly wait for this one
                to_embed = profiler.embed_texts(fresh) if profiler.embedder is not None and number % 2 else None
                profiles = profiler.profiles(fresh, embed=to_embed is None)
                keys = [index_keys(p, frequencies.df) for p in profiles]
                send(("batch", FedProfiles(profiles, keys, frequencies.take_pending(), frequencies.n_docs, held.take(),
                                           to_embed, marked, repointed)))
            send(("done", (profiler.furniture, copies)))
    except Exception:  # the grouping process raises it; this process only reports
        send(("error", traceback.format_exc()))


def _weak_recall(owner: LiveEvents) -> Callable[[Profile, list[str], float, float], list[tuple[Article, str, int]]]:
    """``owner._recall`` for its index, without keeping ``owner`` alive."""
    ref = weakref.ref(owner)

    def recall(profile: Profile, terms: list[str], around: float, window: float) -> list[tuple[Article, str, int]]:
        live = ref()
        return live._recall(profile, terms, around, window) if live is not None else []

    return recall


class LiveEvents:
    """Assigns new articles to the store's events, batch by batch, with stable ids (see the module docstring).

    Build it once per process (cost: the hot window), then call :meth:`add` inside the transaction that
    stores each batch. Not for concurrent writers: one process adds at a time.
    """

    def __init__(self, store: SQLiteStore, config: Config, embedder: Any = None) -> None:
        stored = store.count_articles()
        covered = int(_get_meta(store, "incremental_articles") or 0)
        # articles stored without an event yet (an archive read before it is grouped, see :meth:`catch_up`)
        # are pending, not stale: anything else the state does not cover means another writer changed the store
        if stored and (_get_meta(store, "incremental_state") != STATE_VERSION
                       or covered + self._count_pending(store) != stored):
            raise StateMissing("the store's incremental state is missing or stale: regroup it once")
        self.store = store
        self.config = config
        # SQLite's automatic checkpoint (every 1000 WAL pages) copies the WAL into the database inside a commit:
        # measured on a 100k store, it made the p99 of adding one article 34 ms instead of 11 ms. A bigger WAL
        # (about 40 MB) checkpoints ten times less often; :func:`storyline.pipeline.ingest_incremental` ends with one.
        store.conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_PAGES}")
        # stored articles come back with the vectors the last regroup gave them (see CachedEmbedder)
        # the index reaches back through a weak reference: no cycle, so a dropped LiveEvents is freed at once
        self.index = EventIndex(config, cached(embedder, store, strict=False), recall=_weak_recall(self))
        self.frequencies = StoredFrequencies(store)
        self.index.profiler.frequencies = self.frequencies
        self.recalled = 0  # stored articles loaded for late articles (re-opening retired events)
        # each batch's entity names reconciled with the store's before it is grouped (evidence names entities)
        self.names = NameReconciler(store, config) if config.use_ner else None
        # new quotes join the statements of stored quotes by the same speaker (translations through the embedding)
        self.quote_embedder = embedder if config.use_embeddings else None
        # near-copies among the hot window's articles, as a regroup marks them (copies further apart wait for one)
        self.copies = CopyIndex(config, window_days=config.horizon_days)
        self._unfreeze = gc.get_freeze_count() == 0  # nobody else froze the heap: we may thaw it (see _settle)
        self._since_thaw = 0
        if self._unfreeze:
            weakref.finalize(self, gc.unfreeze)  # dropped without a checkpoint: the caller's heap is thawed anyway
        self._load_hot()
        gc.freeze()

    @staticmethod
    def _count_pending(store: SQLiteStore) -> int:
        return int(store.conn.execute("SELECT count(*) FROM articles WHERE event_id IS NULL").fetchone()[0])

    @staticmethod
    def _pending_ids(store: SQLiteStore) -> list[str]:
        """Stored articles without an event, in (date, id) order (undated last): the order they are grouped in."""
        return [r[0] for r in store.conn.execute(
            "SELECT id FROM articles WHERE event_id IS NULL ORDER BY published IS NULL, published, id")]

    def catch_up(self, batch_size: int, progress: Any = None) -> int:
        """Assign every stored article that has no event yet, oldest first, one transaction per batch.

        Why date order: an archive arrives in no particular order of time, and an article more than
        ``horizon_days`` older than the newest one seen is *late* (looked up in the store, slower and
        greedier). Read in date order, only articles older than the store's newest are late, and the result
        no longer depends on the order of the input files. Returns the number of articles assigned.
        """
        pending = self._pending_ids(self.store)
        chunks = [pending[lo : lo + batch_size] for lo in range(0, len(pending), batch_size)]
        feed = (ProfileFeed(self.store, self.index.profiler, chunks, copies=self.copies) if self._feedable(chunks)
                else None)
        if progress:
            progress("group", 0)
        # An archive's batches rewrite the same pages (frequencies, events) over and over; a WAL four times as large
        # copies each of them into the database four times less often (100k --fast: grouping 32.6 -> 30.6 s) and
        # stays bounded (about 160 MB). A live stream keeps the smaller WAL: its checkpoints fall inside one add.
        self.store.conn.execute(f"PRAGMA wal_autocheckpoint = {ARCHIVE_WAL_PAGES}")
        try:
            done = 0
            for chunk in chunks:
                fed = feed.next() if feed else None
                # --fast groups without entities and quotes: not read back; a fed batch needs text only for its
                # names and quotes (reconciled, joined to statements)
                articles = self.store.iter_articles(chunk, with_annotations=not self.config.fast,
                                                    with_text=not fed or self.names is not None
                                                    or self.config.extract_quotes)
                with self.store.transaction():
                    self.add(list(articles), fed)
                done += len(chunk)
                if progress:
                    progress("group", done)
            if feed:
                self.index.profiler.furniture, self.copies = feed.finish()
        finally:
            self.store.conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_PAGES}")
            if feed:
                feed.stop()
        return len(pending)

    def _feedable(self, chunks: list[list[str]]) -> bool:
        """Whether a :class:`ProfileFeed` may profile these batches: a second worker, more than one batch, a store
        in a file, an embedder the feed can rebuild, and no late article — a late article's stored neighbours are
        profiled while linking, with the profiler state the feed holds."""
        if (self.config.workers < 2 or len(chunks) < 2 or not feedable_embedder(self.index.profiler.embedder)
                or self.store.path == ":memory:"):  # another process cannot open this process's memory
            return False
        row = self.store.conn.execute(
            "SELECT min(published) FROM articles WHERE event_id IS NULL AND published IS NOT NULL").fetchone()
        oldest = day_of(datetime.fromisoformat(row[0])) if row and row[0] else math.inf
        return oldest >= self.index.clock - self.config.horizon_days  # pending in date order: none is late

    def checkpoint(self) -> None:
        """After a run of adds: merge the full-text index (see :meth:`SQLiteStore.defer_search_merges`, which a live
        stream uses), copy the WAL into the database (not blocking readers), thaw the heap (see :meth:`_settle`)."""
        self.store.merge_search_index()
        self.store.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        if self._unfreeze:
            gc.unfreeze()  # back into the oldest generation: a later full collection finds any cycle among them

    def _load_hot(self) -> None:
        row = self.store.conn.execute("SELECT max(published) FROM articles WHERE event_id IS NOT NULL").fetchone()
        if not row or not row[0]:
            return
        since = (datetime.fromisoformat(row[0]) - timedelta(days=self.config.horizon_days)).isoformat(timespec="minutes")
        rows = self.store.conn.execute(
            "SELECT id, event_id FROM articles WHERE published >= ? AND event_id IS NOT NULL ORDER BY published, id",
            (since,)).fetchall()
        event_of = {r[0]: r[1] for r in rows}
        articles = list(self.store.iter_articles(event_of, with_annotations=False))
        self.index.seed(articles, event_of, self._sizes(set(event_of.values())))
        for article in articles:  # stored marks kept as they are (nothing is matched: order does not matter)
            self.copies.keep(article, self.copies.signature(article))

    def _sizes(self, event_ids: Iterable[str]) -> dict[str, int]:
        wanted = sorted(event_ids)
        out: dict[str, int] = {}
        for lo in range(0, len(wanted), 500):
            chunk = wanted[lo : lo + 500]
            out.update(self.store.conn.execute(
                f"SELECT id, size FROM events WHERE id IN ({','.join('?' * len(chunk))})", chunk).fetchall())
        return out

    def _recall(self, profile: Profile, terms: list[str], around: float, window: float
                ) -> list[tuple[Article, str, int]]:
        """Stored articles near ``around`` (a late article's day, or the old day a follow-up names): per heavy block
        term, the nearest ``RECALL_PER_SIDE`` on each side in time within ``window`` days (two index range scans),
        that have an event."""
        ids: dict[str, None] = {}
        names = [t for t in terms if t.startswith("x:")]
        for term in [t for t in terms if not t.startswith("x:")][:RECALL_TERMS] + names:
            for sql in ("SELECT article_id FROM postings WHERE term = ? AND day <= ? AND day >= ? "
                        "ORDER BY day DESC LIMIT ?",
                        "SELECT article_id FROM postings WHERE term = ? AND day > ? AND day <= ? ORDER BY day LIMIT ?"):
                bound = around - window if "DESC" in sql else around + window
                ids.update((r[0], None) for r in self.store.conn.execute(sql, (term, around, bound, RECALL_PER_SIDE)))
        ids.pop(profile.id, None)
        found = [a for a in self.store.iter_articles(ids, with_annotations=False)]
        events = {a.id: self.store.event_of(a.id) for a in found}
        sizes = self._sizes({e for e in events.values() if e})
        self.recalled += len(found)
        return [(a, events[a.id], sizes.get(events[a.id], 1)) for a in found if events[a.id]]  # type: ignore[misc]

    def add(self, articles: Sequence[Article], fed: FedProfiles | None = None) -> dict[str, str]:
        """Assign stored ``articles`` to events and write the assignment (call inside the batch's transaction).

        ``fed``: the batch's profiles from a :class:`ProfileFeed` (then the index's profiler is not used).
        Returns article id → event id for the articles new to the index.
        """
        fresh = [a for a in articles if a.id not in self.index]
        if not fresh:
            return {}
        if fed is not None:
            self.frequencies.absorb(fed)
            if fed.features:  # the embedding-cache rows the feed computed, in this batch's transaction
                self.store.put_features(self.index.profiler.embedder.tag, fed.features)
            if fed.to_embed is not None:
                embed_profiles(fed.profiles, fed.to_embed, self.index.profiler.embedder)
        # near-copies before grouping, as in a regroup: furniture counts a copy once, a copy joins its origin
        copies, repointed = (fed.copies, fed.repointed) if fed is not None else self.copies.mark(fresh)
        for article in fresh:
            article.duplicate_of = copies.get(article.id)
        renamed: list[Article] = []  # stored articles whose speakers may have changed with the batch's names
        if self.names is not None:
            ids = {a.id for a in fresh}
            renamed = [a for a in self.names.reconcile(fresh) if a.id not in ids]
        assignment = self.index.insert(fresh, (fed.profiles, fed.keys) if fed is not None else None)
        with self.store.transaction():
            self.frequencies.flush()
            conn = self.store.conn
            rows = []
            for article in fresh:
                day = self.index.profile(article.id).day
                if day is not None:  # the heaviest of the terms the index posted it under
                    rows.extend((term, day, article.id) for term in self.index.keys(article.id).posted[:STORED_POSTINGS])
            rows.sort()  # in key order: the inserts walk the table's B-tree once instead of jumping about it
            conn.executemany("INSERT OR IGNORE INTO postings(term, day, article_id) VALUES (?, ?, ?)", rows)
            self.store.set_duplicates(copies)
            self.store.repoint_copies(repointed)
            self._write_events(fresh, assignment)
            if self.config.extract_quotes:
                self._join_statements([*fresh, *renamed])
            evidence = self.index.evidence([a.id for a in fresh])
            conn.executemany(
                "INSERT OR REPLACE INTO event_evidence(article_id, event_id, score, evidence) VALUES (?,?,?,?)",
                [(aid, ev["event_id"], ev.get("score"), json.dumps(ev, ensure_ascii=False, default=str))
                 for aid, ev in evidence.items()])
            covered = int(_get_meta(self.store, "incremental_articles") or 0) + len(fresh)
            _set_meta(self.store, incremental_state=STATE_VERSION, incremental_articles=str(covered))
        self._settle(len(fresh))
        return assignment

    def _settle(self, added: int) -> None:
        """Freeze what a batch leaves behind: long-lived index state, mostly small tuples and dicts.

        Frozen objects are out of the cyclic collector's full scans, whose cost grows with the index (100k
        archive with ``--fast``: grouping 56 -> 45 s; at 1M the p99 of adding a fresh article fell from 10.9 to
        4.2 ms). Collections of what later batches allocate go on. Every ``THAW_EVERY`` articles the heap is
        thawed and fully collected once, so a cycle left behind in a long stream is freed late, never leaked;
        :meth:`checkpoint` thaws it for good (unless the heap was already frozen by someone else when we began).
        """
        self._since_thaw += added
        if self._unfreeze and self._since_thaw >= THAW_EVERY:
            gc.unfreeze()
            gc.collect()
            self._since_thaw = 0
        gc.freeze()

    def _join_statements(self, articles: Sequence[Article]) -> None:
        """Give the quotes of ``articles`` (a batch, and stored articles whose speakers its names just changed)
        their statements: grouped with the stored quotes of the same speakers from ``WINDOW_DAYS`` around them
        (``RECALL_DAYS`` back where the article recalls earlier words) as a regroup would group them; stored
        statements keep their ids, except that two a new quote bridges become one
        (:func:`~storyline.group.statements.join_statements`). Quotes with no known speaker are grouped within the
        batch only."""
        new = [q for a in articles for q in a.quotes]
        if not new:
            return
        by_id = {a.id: a for a in articles}
        spans: dict[str, tuple[datetime, datetime]] = {}
        for quote in new:
            published = by_id[quote.article_id].published
            if quote.speaker and published is not None:
                back = RECALL_DAYS if recalls(quote, by_id[quote.article_id]) else WINDOW_DAYS
                lo, hi = published - timedelta(days=back), published + timedelta(days=WINDOW_DAYS)
                old = spans.get(quote.speaker)
                spans[quote.speaker] = (min(lo, old[0]), max(hi, old[1])) if old else (lo, hi)
        stored: list[Quote] = []
        for speaker in sorted({q.speaker for q in new if q.speaker}):
            # a speaker quoted rarely: all of their quotes, so that undated ones meet the block as in a regroup
            found = self.store.quotes_of_speaker(speaker, limit=MAX_UNDATED_BLOCK + 1)
            if len(found) > MAX_UNDATED_BLOCK:
                lo, hi = spans.get(speaker, (None, None))
                found = [] if lo is None else self.store.quotes_of_speaker(speaker, since=_iso(lo), until=_iso(hi))
            stored += [q for q in found if q.article_id not in by_id]
        context = {a.id: a for a in self.store.iter_articles(sorted({q.article_id for q in stored}),
                                                             with_annotations=False, with_text=False)}
        assignment, merged = join_statements(new, stored, {**context, **by_id}, self.quote_embedder)
        self.store.merge_statements(merged)
        self.store.set_statements(assignment)
        for quote in new:
            quote.statement_id = assignment[quote.id]

    def _write_events(self, articles: Sequence[Article], assignment: dict[str, str]) -> None:
        """Grow the stored events the articles joined, create the new ones, set each article's event."""
        conn = self.store.conn
        joined: dict[str, list[Article]] = defaultdict(list)
        for article in articles:
            joined[assignment[article.id]].append(article)
        for event_id, members in sorted(joined.items()):
            dates = [_iso(a.published) for a in members if a.published is not None]
            outlets = {a.outlet for a in members if a.outlet}
            row = conn.execute("SELECT start, end, size, outlets FROM events WHERE id = ?", (event_id,)).fetchone()
            if row is None:
                first = min(members, key=lambda a: (a.published is None, _iso(a.published) or "", a.id))
                conn.execute(
                    "INSERT INTO events(id, title, start, end, size, outlets, story_id) VALUES (?,?,?,?,?,?,NULL)",
                    (event_id, first.title, min(dates, default=None), max(dates, default=None), len(members),
                     json.dumps(sorted(outlets), ensure_ascii=False)))
            else:
                start, end, size, stored = row
                dates += [d for d in (start, end) if d]
                conn.execute("UPDATE events SET start = ?, end = ?, size = ?, outlets = ? WHERE id = ?",
                             (min(dates, default=None), max(dates, default=None), size + len(members),
                              json.dumps(sorted(outlets | set(json.loads(stored))), ensure_ascii=False), event_id))
            conn.executemany("UPDATE articles SET event_id = ? WHERE id = ?", [(event_id, a.id) for a in members])


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="minutes") if value else None


def _get_meta(store: SQLiteStore, key: str) -> str | None:
    row = store.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def _set_meta(store: SQLiteStore, **values: str) -> None:
    store.conn.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", sorted(values.items()))
