"""The embedded store: one SQLite file in WAL mode, so a web server can read while ingest writes.

Writes go through a few batch methods, each one transaction (fast, and a crash leaves either the
whole batch or none of it); :meth:`SQLiteStore.transaction` joins several of them into one, which is how
the pipeline stores a batch with its rejects and a regrouping with its stories. Write transactions start
``IMMEDIATE``: the write lock is taken (waiting up to ``timeout``) before the first read, so two writers
never interleave a check and an insert, and a reader in another process sees the state before or after a
transaction, never half of it. Reads return the dataclasses of :mod:`storyline.model`.

>>> from storyline.store import SQLiteStore
>>> with SQLiteStore(":memory:") as store:
...     store.count_articles()
0
"""

from __future__ import annotations

import contextlib
import itertools
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from storyline.model import (
    Article,
    DateGuess,
    Entity,
    Event,
    Mention,
    Quote,
    Reject,
    RemovedSpan,
    Story,
    annotation_digest,
    distinct_roles,
)
from storyline.store.base import Store
from storyline.store.schema import MIGRATIONS

IN_BATCH = 500  # ids per ``IN (…)`` query (see _chunks)
_ARTICLE_COLUMNS = (
    "id, content_hash, origin, url, outlet, credited_source, lang, title, body, raw, "
    "published, date_iso, date_confidence, date_source, utc_offset, duplicate_of, event_id"
)


class SQLiteStore(Store):
    """SQLite implementation of :class:`Store`. ``path`` may be ``":memory:"`` for tests and eval."""

    def __init__(self, path: str | Path, *, readonly: bool = False, timeout: float = 30.0) -> None:
        self.path = str(path)
        if readonly and self.path != ":memory:":
            uri = f"file:{Path(self.path).resolve()}?mode=ro"
            self.conn = sqlite3.connect(uri, uri=True, timeout=timeout, check_same_thread=False)
        else:
            self.conn = sqlite3.connect(self.path, timeout=timeout, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        self._depth = 0  # nesting of transaction()
        self.conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        self.conn.execute("PRAGMA foreign_keys = ON")
        if not readonly:
            if self.path != ":memory:":
                self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = NORMAL")
            self._migrate()

    # ------------------------------------------------------------------ lifecycle
    def _migrate(self) -> None:
        """Run the pending migrations in one transaction, statement by statement.

        ``executescript`` would commit after each statement, so a process killed mid-migration left a
        half-applied one that could not run again (``ALTER TABLE ... ADD COLUMN`` twice fails). In one
        ``IMMEDIATE`` transaction a migration is all or nothing, and a second process opening a new store at
        the same moment waits, then finds the schema current.
        """
        if self._current():
            return
        with self.transaction():
            self.conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            version = self.schema_version
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in _statements(script):
                    self.conn.execute(statement)
                self.conn.execute(
                    "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)", (str(number),)
                )

    def _current(self) -> bool:
        try:
            return self.schema_version >= len(MIGRATIONS)
        except sqlite3.OperationalError:  # no meta table yet
            return False

    @property
    def schema_version(self) -> int:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self.conn.close()

    def defer_search_merges(self) -> None:
        """Stop merging the full-text index on each commit (FTS5 ``automerge``) until :meth:`merge_search_index`.

        Why: merging index segments is work done inside whichever commit crosses a threshold; in a store of a
        million articles it put 10 ms on the p99 of adding one article. FTS5's crisis merge (16 segments on a
        level) still bounds the number of segments meanwhile, so searches stay fast.
        """
        with self.transaction():
            self.conn.execute("INSERT INTO search_fts(search_fts, rank) VALUES ('automerge', 0)")

    def merge_search_index(self, pages: int = 2000) -> None:
        """Do the merge work :meth:`defer_search_merges` put off, and merge on commit again (the default 4)."""
        with self.transaction():
            self.conn.execute("INSERT INTO search_fts(search_fts, rank) VALUES ('automerge', 4)")
        while True:  # FTS5 writes fewer than 2 rows when no merge is left to do
            before = self.conn.total_changes
            with self.transaction():
                self.conn.execute("INSERT INTO search_fts(search_fts, rank) VALUES ('merge', ?)", (pages,))
            if self.conn.total_changes - before < 2:
                break

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction around the block; a nested call joins the enclosing one.

        Committed when the outermost block ends, rolled back if it raises (a killed process leaves the
        store as it was before the block).

        >>> with SQLiteStore(":memory:") as store:
        ...     with store.transaction():
        ...         store.add_rejects([Reject("a.txt", "empty file")])
        ...         store.add_rejects([Reject("b.txt", "empty file")])
        ...     len(store.rejects())
        2
        """
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        if not self.conn.in_transaction:  # else join the caller's implicit transaction, committed here as before
            self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self.conn.rollback()
            raise
        else:
            self.conn.commit()
        finally:
            self._depth = 0

    # ------------------------------------------------------------------ articles
    def known_hashes(self, hashes: Iterable[str]) -> set[str]:
        sql = "SELECT content_hash FROM articles WHERE content_hash IN ({})"
        return {r[0] for chunk, marks in _chunks(list(hashes)) for r in self.conn.execute(sql.format(marks), chunk)}

    def add_articles(self, articles: Sequence[Article]) -> list[str]:
        """Insert new articles with their spans, entities, mentions and quotes in one transaction.

        An article whose content hash is already stored is skipped (re-ingest is a no-op). An
        article whose id is taken by different content is kept as a new version ``id~N``.
        Returns the ids actually inserted.
        """
        inserted: list[str] = []
        with self.transaction():
            for article in articles:
                if self.conn.execute(
                    "SELECT 1 FROM articles WHERE content_hash = ?", (article.content_hash,)
                ).fetchone():
                    continue
                version_of = None
                if self.conn.execute("SELECT 1 FROM articles WHERE id = ?", (article.id,)).fetchone():
                    version_of = article.id
                    article.id = self._next_version_id(article.id)
                    for quote in article.quotes:
                        quote.article_id = article.id
                self._insert_article(article, version_of)
                inserted.append(article.id)
        return inserted

    def _next_version_id(self, base: str) -> str:
        number = 2
        while self.conn.execute("SELECT 1 FROM articles WHERE id = ?", (f"{base}~{number}",)).fetchone():
            number += 1
        return f"{base}~{number}"

    def _insert_article(self, a: Article, version_of: str | None) -> None:
        published = a.published.isoformat(timespec="minutes") if a.published else None
        self.conn.execute(
            f"INSERT INTO articles ({_ARTICLE_COLUMNS}, version_of) VALUES ({','.join('?' * 18)})",
            (
                a.id, a.content_hash, a.origin, a.url, a.outlet, a.credited_source, a.lang, a.title, a.body,
                a.raw, published, a.date.iso if a.date else None, a.date.confidence if a.date else None,
                a.date.source if a.date else None, a.date.utc_offset if a.date else None, a.duplicate_of, None,
                version_of,
            ),
        )
        self.conn.executemany(
            "INSERT INTO removed_spans(article_id, seq, start, rule, text) VALUES (?,?,?,?,?)",
            [(a.id, i, s.start, s.rule, s.text) for i, s in enumerate(a.removed)],
        )
        self._upsert_entities(a.entities)
        self.conn.executemany(
            "INSERT OR IGNORE INTO mentions(article_id, entity_key, start, end, text) VALUES (?,?,?,?,?)",
            [(a.id, m.entity_key, m.start, m.end, m.text) for m in a.mentions],
        )
        self._insert_quotes(a.quotes)
        if a.ner_names is not None:
            self.conn.execute(
                "INSERT OR REPLACE INTO ner_names(article_id, names, digest) VALUES (?,?,?)",
                (a.id, json.dumps(a.ner_names, ensure_ascii=False), annotation_digest(a.entities, a.mentions)),
            )
        self.conn.execute(
            "INSERT INTO search_fts(kind, ref, title, body) VALUES ('article', ?, ?, ?)", (a.id, a.title, a.body)
        )

    def _insert_quotes(self, quotes: Iterable[Quote]) -> None:
        rows = [
            (q.id, q.article_id, q.start, q.end, q.text, q.speaker, q.speaker_name, q.cue, q.confidence, q.kind,
             q.statement_id)
            for q in quotes
        ]
        self.conn.executemany(
            "INSERT OR REPLACE INTO quotes(id, article_id, start, end, text, speaker, speaker_name, cue, confidence,"
            " kind, statement_id) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        self.conn.executemany(
            "INSERT INTO search_fts(kind, ref, title, body) VALUES ('quote', ?, ?, ?)",
            [(r[0], r[6] or "", r[4]) for r in rows],
        )

    def _upsert_entities(self, entities: Iterable[Entity]) -> None:
        for entity in entities:
            row = self.conn.execute("SELECT aliases, roles FROM entities WHERE key = ?", (entity.key,)).fetchone()
            if row:
                aliases = sorted(set(json.loads(row[0])) | set(entity.aliases))
                roles = distinct_roles([*json.loads(row[1]), *entity.roles])
                self.conn.execute(
                    "UPDATE entities SET aliases = ?, roles = ? WHERE key = ?",
                    (json.dumps(aliases, ensure_ascii=False), json.dumps(roles, ensure_ascii=False), entity.key),
                )
            else:
                self.conn.execute(
                    "INSERT INTO entities(key, name, kind, aliases, roles) VALUES (?,?,?,?,?)",
                    (entity.key, entity.name, entity.kind, json.dumps(sorted(set(entity.aliases)), ensure_ascii=False),
                     json.dumps(distinct_roles(entity.roles), ensure_ascii=False)),
                )

    def count_articles(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0])

    def count_events(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])

    def article_ids(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT id FROM articles ORDER BY id")]

    def iter_articles(self, ids: Iterable[str] | None = None, *, with_annotations: bool = True,
                      with_text: bool = True) -> Iterator[Article]:
        """Articles in id order (or the given ids), with spans, mentions and quotes when asked; without
        ``with_text`` their body and raw text are left empty (grouping profiled elsewhere needs neither)."""
        columns = _ARTICLE_COLUMNS if with_text else _ARTICLE_COLUMNS.replace("body, raw", "'' AS body, '' AS raw")
        if ids is None:
            cursor = self.conn.execute(f"SELECT {columns} FROM articles ORDER BY id")
            rows: Iterable[sqlite3.Row] = cursor
        else:  # in the given order, IN_BATCH ids per query (see _chunks)
            wanted = list(dict.fromkeys(ids))
            found: dict[str, sqlite3.Row] = {}
            for chunk, marks in _chunks(wanted):
                found.update((row["id"], row) for row in self.conn.execute(
                    f"SELECT {columns} FROM articles WHERE id IN ({marks})", chunk))
            rows = [found[i] for i in wanted if i in found]
        for row in rows:
            yield self._article_from_row(row, with_annotations)

    def article(self, article_id: str) -> Article | None:
        return next(self.iter_articles([article_id]), None)

    def _article_from_row(self, row: sqlite3.Row, with_annotations: bool) -> Article:
        date = None
        if row["date_iso"]:
            date = parse_date_guess(row["date_iso"], row["date_confidence"], row["date_source"], row["utc_offset"])
        article = Article(
            id=row["id"], title=row["title"], body=row["body"], origin=row["origin"], raw=row["raw"],
            url=row["url"], outlet=row["outlet"], credited_source=row["credited_source"], lang=row["lang"],
            date=date, content_hash=row["content_hash"], duplicate_of=row["duplicate_of"],
        )
        if with_annotations:
            article.removed = [
                RemovedSpan(text=r["text"], rule=r["rule"], start=r["start"])
                for r in self.conn.execute(
                    "SELECT * FROM removed_spans WHERE article_id = ? ORDER BY seq", (article.id,)
                )
            ]
            article.mentions = [
                Mention(entity_key=r["entity_key"], text=r["text"], start=r["start"], end=r["end"])
                for r in self.conn.execute("SELECT * FROM mentions WHERE article_id = ? ORDER BY start", (article.id,))
            ]
            keys = sorted({m.entity_key for m in article.mentions})
            article.entities = [e for k in keys if (e := self.entity(k))]
            article.quotes = self.quotes(article_id=article.id)
        return article

    def event_of(self, article_id: str) -> str | None:
        row = self.conn.execute("SELECT event_id FROM articles WHERE id = ?", (article_id,)).fetchone()
        return row[0] if row else None

    def event_assignments(self) -> dict[str, str | None]:
        """Every article's event id (``None`` until grouped), in id order: one query, not one per article."""
        return dict(self.conn.execute("SELECT id, event_id FROM articles ORDER BY id").fetchall())

    def set_outlets(self, outlets: dict[str, tuple[str | None, str | None]]) -> None:
        """Set articles' (publisher, credited source)."""
        with self.transaction():
            self.conn.executemany("UPDATE articles SET outlet = ?, credited_source = ? WHERE id = ?",
                                  [(outlet, credited, article_id) for article_id, (outlet, credited) in outlets.items()])

    def set_duplicates(self, pairs: dict[str, str | None]) -> None:
        """Mark articles as near-copies of another (``None`` clears the mark)."""
        with self.transaction():
            self.conn.executemany(
                "UPDATE articles SET duplicate_of = ? WHERE id = ?", [(v, k) for k, v in pairs.items()]
            )

    def repoint_copies(self, replaced: Sequence[tuple[str, str]]) -> None:
        """For each (old root, new root) in order: the old root and its copies become copies of the new one."""
        with self.transaction():
            for old, new in replaced:
                self.conn.execute("UPDATE articles SET duplicate_of = ? WHERE duplicate_of = ? OR id = ?",
                                  (new, old, old))

    # ------------------------------------------------------------------ annotations
    def _delete_quotes(self, article_ids: Sequence[str]) -> None:
        """Quotes of ``article_ids`` and their search rows, set-based: the FTS table has no index on ``ref``, so
        each ``DELETE … WHERE ref …`` scans it whole, and one scan per article made a store-wide rewrite
        quadratic (40 s of a 10k-article regroup)."""
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS doomed_articles(id TEXT PRIMARY KEY)")
        self.conn.execute("DELETE FROM doomed_articles")
        self.conn.executemany("INSERT OR IGNORE INTO doomed_articles(id) VALUES (?)", [(i,) for i in article_ids])
        self.conn.execute("DELETE FROM search_fts WHERE kind = 'quote' AND ref IN "
                          "(SELECT q.id FROM quotes q JOIN doomed_articles d ON q.article_id = d.id)")
        self.conn.execute("DELETE FROM quotes WHERE article_id IN (SELECT id FROM doomed_articles)")
        self.conn.execute("DELETE FROM doomed_articles")

    def set_statements(self, assignment: dict[str, str]) -> None:
        """quote id -> statement id."""
        with self.transaction():
            self.conn.executemany(
                "UPDATE quotes SET statement_id = ? WHERE id = ?", [(s, q) for q, s in assignment.items()]
            )

    def merge_statements(self, merged: Mapping[str, str]) -> None:
        """Every quote of an absorbed statement (absorbed id → kept id) into the kept one."""
        with self.transaction():
            self.conn.executemany("UPDATE quotes SET statement_id = ? WHERE statement_id = ?",
                                  [(kept, absorbed) for absorbed, kept in merged.items()])

    def quotes_of_speaker(self, speaker: str, *, since: str | None = None, until: str | None = None,
                          limit: int | None = None) -> list[Quote]:
        """The quotes of one speaker key (from articles published between ``since`` and ``until``, ISO, inclusive,
        when given), in no particular order: with ``limit`` the scan stops there (an ordered one would read all of
        a prolific speaker's quotes to sort them first)."""
        sql = "SELECT q.* FROM quotes q JOIN articles a ON a.id = q.article_id WHERE q.speaker = ?"
        params: list[Any] = [speaker]
        if since is not None or until is not None:
            sql += " AND a.published BETWEEN ? AND ?"
            params += [since or "", until or "9999"]
        sql += " LIMIT ?" if limit is not None else ""
        return [_quote_from_row(r) for r in self.conn.execute(sql, [*params, *([limit] if limit is not None else [])])]

    def quotes(
        self, *, article_id: str | None = None, speaker: str | None = None, event_id: str | None = None,
        also_keys: Sequence[str] = (),
    ) -> list[Quote]:
        """Quotes in date order; ``speaker`` is a speaker key or part of a speaker's name, ``also_keys`` more
        speaker keys that count as that speaker (the key of a name's translation)."""
        sql = "SELECT q.* FROM quotes q JOIN articles a ON a.id = q.article_id WHERE 1=1"
        params: list[Any] = []
        if article_id is not None:
            sql += " AND q.article_id = ?"
            params.append(article_id)
        if speaker is not None:
            keys = [speaker, *also_keys]
            sql += f" AND (q.speaker IN ({', '.join('?' * len(keys))}) OR lower(q.speaker_name) LIKE ?)"
            params += [*keys, f"%{speaker.lower()}%"]
        if event_id is not None:
            sql += " AND a.event_id = ?"
            params.append(event_id)
        sql += " ORDER BY a.published, q.article_id, q.start"
        return [_quote_from_row(r) for r in self.conn.execute(sql, params)]

    def ner_names(self, ids: Iterable[str] | None = None) -> dict[str, tuple[list[tuple[str, str, str, int, int]], str]]:
        """Article id → (raw NER finds, digest of its stored entities and mentions), for every annotated article
        (or those of ``ids``)."""
        if ids is None:
            rows = self.conn.execute("SELECT article_id, names, digest FROM ner_names ORDER BY article_id")
        else:
            wanted = sorted(set(ids))
            rows = [r for chunk, marks in _chunks(wanted) for r in self.conn.execute(
                f"SELECT article_id, names, digest FROM ner_names WHERE article_id IN ({marks}) ORDER BY article_id",
                chunk)]
        return {r[0]: ([(k, n, s, int(a), int(b)) for k, n, s, a, b in json.loads(r[1])], r[2]) for r in rows}

    def entity_keys(self) -> Iterator[str]:
        return (r[0] for r in self.conn.execute("SELECT key FROM entities ORDER BY key"))

    def articles_mentioning(self, keys: Iterable[str], *, per_key: int, exclude: Iterable[str] = ()) -> list[str]:
        """Up to ``per_key`` articles mentioning each of ``keys``, not in ``exclude``: those with the highest ids
        (a choice that does not depend on the order articles were stored in), in id order."""
        skip = set(exclude)
        found: set[str] = set()
        for key in sorted(set(keys)):
            cursor = self.conn.execute(  # walks the (entity_key, article_id) index backwards; stops early
                "SELECT DISTINCT article_id FROM mentions WHERE entity_key = ? ORDER BY article_id DESC", (key,))
            found.update(itertools.islice((r[0] for r in cursor if r[0] not in skip), per_key))
            cursor.close()
        return sorted(found)

    def update_annotations(self, articles: Sequence[Article], previous_keys: Iterable[str]) -> list[str]:
        """Replace the mentions and quotes of ``articles`` with their reconciled ones, in one transaction (the
        incremental path's name reconciliation). Their entities join the stored rows (a stored name and kind
        stay, aliases and roles are added); a key in ``previous_keys`` that no article mentions any more is
        dropped. Returns the dropped keys."""
        with self.transaction():
            self._rewrite_mentions(articles)
            for article in articles:
                self._upsert_entities(article.entities)
            dropped = [key for key in sorted(set(previous_keys)) if not self.conn.execute(
                "SELECT 1 FROM mentions WHERE entity_key = ? LIMIT 1", (key,)).fetchone()]
            self.conn.executemany("DELETE FROM entities WHERE key = ?", [(k,) for k in dropped])
        return dropped

    def _rewrite_mentions(self, articles: Sequence[Article]) -> None:
        self.conn.executemany("DELETE FROM mentions WHERE article_id = ?", [(a.id,) for a in articles])
        self.conn.executemany(
            "INSERT OR IGNORE INTO mentions(article_id, entity_key, start, end, text) VALUES (?,?,?,?,?)",
            [(a.id, m.entity_key, m.start, m.end, m.text) for a in articles for m in a.mentions],
        )
        self._delete_quotes([a.id for a in articles])
        self._insert_quotes([q for a in articles for q in a.quotes])
        self.conn.executemany("UPDATE ner_names SET digest = ? WHERE article_id = ?",
                              [(annotation_digest(a.entities, a.mentions), a.id) for a in articles])

    def rewrite_annotations(self, articles: Sequence[Article], entities: Sequence[Entity]) -> None:
        """Replace the mentions and quotes of ``articles`` and make ``entities`` the rows for their keys, in one
        transaction (store-wide name reconciliation). Entity rows no mention or given entity uses are dropped."""
        with self.transaction():
            self._rewrite_mentions(articles)
            stored = {e.key: e for e in self.entities()}
            wanted = {e.key: e for e in entities}
            self.conn.executemany(
                "DELETE FROM entities WHERE key = ?",
                [(k,) for k in stored if k not in wanted and not self.conn.execute(
                    "SELECT 1 FROM mentions WHERE entity_key = ? LIMIT 1", (k,)).fetchone()],
            )
            self.conn.executemany(
                "INSERT OR REPLACE INTO entities(key, name, kind, aliases, roles) VALUES (?,?,?,?,?)",
                [(e.key, e.name, e.kind, json.dumps(sorted(set(e.aliases)), ensure_ascii=False),
                  json.dumps(distinct_roles(e.roles), ensure_ascii=False))
                 for e in wanted.values() if stored.get(e.key) != e],
            )

    def entity(self, key: str) -> Entity | None:
        row = self.conn.execute("SELECT * FROM entities WHERE key = ?", (key,)).fetchone()
        return _entity_from_row(row) if row else None

    def entities(self, keys: Iterable[str] | None = None) -> list[Entity]:
        """Every entity row, or those of ``keys``, in key order."""
        if keys is None:
            return [_entity_from_row(r) for r in self.conn.execute("SELECT * FROM entities ORDER BY key")]
        rows = [r for chunk, marks in _chunks(sorted(set(keys)))
                for r in self.conn.execute(f"SELECT * FROM entities WHERE key IN ({marks})", chunk)]
        return sorted((_entity_from_row(r) for r in rows), key=lambda e: e.key)

    # ------------------------------------------------------------------ features
    def put_features(self, kind: str, items: Iterable[tuple[str, bytes]]) -> None:
        with self.transaction():
            self.conn.executemany(
                "INSERT OR REPLACE INTO features(article_id, kind, data) VALUES (?, ?, ?)",
                [(aid, kind, data) for aid, data in items],
            )

    def get_features(self, kind: str, ids: Iterable[str]) -> dict[str, bytes]:
        """Stored features of ``kind`` for the ``ids`` that have them (500 ids per query: a regroup asks for all)."""
        out: dict[str, bytes] = {}
        wanted = list(dict.fromkeys(ids))
        for chunk, marks in _chunks(wanted):
            for row in self.conn.execute(
                f"SELECT article_id, data FROM features WHERE kind = ? AND article_id IN ({marks})", (kind, *chunk)
            ):
                out[row[0]] = row[1]
        return out

    # ------------------------------------------------------------------ events and stories
    def save_events(self, events: Sequence[Event], evidence: dict[str, dict[str, Any]] | None = None) -> None:
        """Replace the event table with ``events`` (ids are content-derived, so unchanged events keep theirs)."""
        evidence = evidence or {}
        with self.transaction():
            self.conn.execute("DELETE FROM events")
            self.conn.execute("UPDATE articles SET event_id = NULL")
            for event in events:
                self._write_event(event)
            if evidence:
                self.conn.execute("DELETE FROM event_evidence")
                self.conn.executemany(
                    "INSERT INTO event_evidence(article_id, event_id, score, evidence) VALUES (?,?,?,?)",
                    [
                        (aid, ev.get("event_id", ""), ev.get("score"), json.dumps(ev, ensure_ascii=False, default=str))
                        for aid, ev in sorted(evidence.items())
                    ],
                )

    def upsert_events(self, events: Sequence[Event]) -> None:
        """Insert or update some events (online mode) without touching the others."""
        with self.transaction():
            for event in events:
                self._write_event(event)

    def _write_event(self, event: Event) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO events(id, title, start, end, size, outlets, story_id, summary) "
            "VALUES (?,?,?,?,?,?,?,?)",
            (event.id, event.title, _iso(event.start), _iso(event.end), len(event.article_ids),
             json.dumps(sorted(event.outlets), ensure_ascii=False), event.story_id, event.summary or None),
        )
        self.conn.executemany(
            "UPDATE articles SET event_id = ? WHERE id = ?", [(event.id, aid) for aid in event.article_ids]
        )

    def describe_events(self, events: Iterable[Event]) -> None:
        """Store each event's title and summary (its members and id as they are)."""
        with self.transaction():
            self.conn.executemany("UPDATE events SET title = ?, summary = ? WHERE id = ?",
                                  [(e.title, e.summary or None, e.id) for e in events])

    def events(self, *, story_id: str | None = None) -> list[Event]:
        sql = "SELECT * FROM events"
        params: tuple[Any, ...] = ()
        if story_id is not None:
            sql += " WHERE story_id = ?"
            params = (story_id,)
        sql += " ORDER BY start IS NULL, start, id"
        return [self._event_from_row(r) for r in self.conn.execute(sql, params)]

    def partial_days(self, event_ids: Sequence[str] | None = None) -> dict[str, str]:
        """:func:`partial_days` of this store."""
        return partial_days(self.conn, event_ids)

    def event(self, event_id: str) -> Event | None:
        row = self.conn.execute("SELECT * FROM events WHERE id = ?", (event_id,)).fetchone()
        return self._event_from_row(row) if row else None

    def iter_events(self, ids: Iterable[str] | None = None) -> Iterator[Event]:
        """Events one at a time: every event in id order, or those of ``ids`` in their order, so a listing or an
        export of 400k events never holds them all."""
        return map(self._event_from_row, self._rows("events", ids))

    def _rows(self, table: str, ids: Iterable[str] | None) -> Iterator[sqlite3.Row]:
        """Rows of ``table`` (events or stories) in id order, or those of ``ids`` in their order, 500 at a time."""
        if ids is None:
            yield from self.conn.execute(f"SELECT * FROM {table} ORDER BY id")
            return
        wanted = list(ids)
        for chunk, marks in _chunks(wanted):
            rows = {r["id"]: r for r in self.conn.execute(f"SELECT * FROM {table} WHERE id IN ({marks})", chunk)}
            yield from (rows[i] for i in chunk if i in rows)

    def _event_from_row(self, row: sqlite3.Row) -> Event:
        ids = [r[0] for r in self.conn.execute("SELECT id FROM articles WHERE event_id = ? ORDER BY id", (row["id"],))]
        return Event(
            id=row["id"], article_ids=ids, title=row["title"], start=_dt(row["start"]), end=_dt(row["end"]),
            outlets=json.loads(row["outlets"]), story_id=row["story_id"], summary=row["summary"] or "",
        )

    def evidence(self, article_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for aid in article_ids:
            row = self.conn.execute("SELECT evidence FROM event_evidence WHERE article_id = ?", (aid,)).fetchone()
            if row:
                out[aid] = json.loads(row[0])
        return out

    def save_stories(self, stories: Sequence[Story]) -> None:
        with self.transaction():
            self.conn.execute("DELETE FROM stories")
            for story in stories:
                self.conn.execute(
                    "INSERT INTO stories(id, title, start, end, entities, event_ids) VALUES (?,?,?,?,?,?)",
                    (story.id, story.title, _iso(story.start), _iso(story.end),
                     json.dumps(story.entities, ensure_ascii=False), json.dumps(story.event_ids)),
                )
                self.conn.executemany(
                    "UPDATE events SET story_id = ? WHERE id = ?", [(story.id, eid) for eid in story.event_ids]
                )

    def stories(self) -> list[Story]:
        return [self._story_from_row(r) for r in self.conn.execute("SELECT * FROM stories ORDER BY start, id")]

    def undated_events(self) -> dict[str, int]:
        """Per story, its events without a full date: a story's start and end come from the others only."""
        return dict(self.conn.execute(
            "SELECT story_id, COUNT(*) FROM events WHERE start IS NULL AND story_id IS NOT NULL GROUP BY story_id"))

    def story(self, story_id: str) -> Story | None:
        row = self.conn.execute("SELECT * FROM stories WHERE id = ?", (story_id,)).fetchone()
        return self._story_from_row(row) if row else None

    def iter_stories(self, ids: Iterable[str] | None = None) -> Iterator[Story]:
        """Stories one at a time: all in id order, or those of ``ids`` in their order."""
        return map(self._story_from_row, self._rows("stories", ids))

    def _story_from_row(self, row: sqlite3.Row) -> Story:
        event_ids = json.loads(row["event_ids"])
        marks = ",".join("?" * len(event_ids)) or "''"
        article_ids = [
            r[0] for r in self.conn.execute(f"SELECT id FROM articles WHERE event_id IN ({marks}) ORDER BY id", event_ids)
        ]
        return Story(
            id=row["id"], event_ids=event_ids, title=row["title"], start=_dt(row["start"]), end=_dt(row["end"]),
            entities=json.loads(row["entities"]), article_ids=article_ids,
        )

    # ------------------------------------------------------------------ rejects and runs
    def add_rejects(self, rejects: Iterable[Reject], run_id: str | None = None, *, kept: bool = False) -> None:
        """Record inputs that did not become articles, or (``kept=True``) notes on articles stored with a caveat.

        The same (origin, line, reason) is recorded once, so a re-run after a crash adds nothing twice.
        """
        with self.transaction():
            self.conn.executemany(
                "INSERT OR IGNORE INTO rejects(origin, line, reason, run_id, kept) VALUES (?,?,?,?,?)",
                [(r.origin, r.line, r.reason, run_id, int(kept)) for r in rejects],
            )

    def rejects(self, *, kept: bool | None = False) -> list[Reject]:
        """Rejected inputs (default), notes on kept articles (``kept=True``) or both (``kept=None``)."""
        where, params = ("", ()) if kept is None else (" WHERE kept = ?", (int(kept),))
        return [
            Reject(origin=r["origin"], reason=r["reason"], line=r["line"])
            for r in self.conn.execute(f"SELECT * FROM rejects{where} ORDER BY origin, line, id", params)
        ]

    def notes(self) -> list[Reject]:
        """Articles stored with a caveat, each with its one-line reason (see :meth:`add_rejects`)."""
        return self.rejects(kept=True)

    def record_run(self, run_id: str, started: str, finished: str, command: str, summary: dict[str, Any]) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT OR REPLACE INTO runs(id, started, finished, command, summary) VALUES (?,?,?,?,?)",
                (run_id, started, finished, command, json.dumps(summary, ensure_ascii=False, sort_keys=True)),
            )


def _chunks(ids: Sequence[str]) -> Iterator[tuple[Sequence[str], str]]:
    """``ids`` ``IN_BATCH`` at a time, each with the ``?,?,…`` of its ``IN (…)`` list: one query per id was a tenth
    of incremental grouping, and SQLite caps the parameters of one statement."""
    for lo in range(0, len(ids), IN_BATCH):
        chunk = ids[lo : lo + IN_BATCH]
        yield chunk, ",".join("?" * len(chunk))


def entity_names(conn: sqlite3.Connection, keys: Iterable[str]) -> dict[str, str]:
    """key → name of the stored entities among ``keys`` ("per:irina sokolova" → "Irina Sokolova"); the CLI and the
    read-only web app both ask here."""
    wanted = sorted(set(keys))
    out: dict[str, str] = {}
    for chunk, marks in _chunks(wanted):
        out.update(conn.execute(f"SELECT key, name FROM entities WHERE key IN ({marks})", chunk))
    return out


@dataclass(frozen=True)
class EventFilters:
    """What an events listing keeps: ``storyline events``, the web app's Events page and ``/api/events``.

    ``since``/``until`` (YYYY-MM-DD) keep the events whose span meets the range and leave out the undated ones
    (their day is unknown, not out of range); ``outlets`` match as :func:`outlet_matcher` says; ``lang`` keeps events
    with an article in that language, ``entity`` those naming it (:func:`entity_keys`: "Песков" finds Peskov).
    """

    since: str | None = None
    until: str | None = None
    outlets: tuple[str, ...] = ()
    min_articles: int = 1
    min_outlets: int = 1
    lang: str | None = None  # an article in this language
    entity: str | None = None  # naming this entity: a key, or a name in either language (entity_keys)

    def active(self) -> dict[str, str]:
        """The filters that filter, as query-string values."""
        values = {"since": self.since, "until": self.until, "outlet": ",".join(self.outlets),
                  "min_articles": self.min_articles if self.min_articles > 1 else None,
                  "min_outlets": self.min_outlets if self.min_outlets > 1 else None,
                  "lang": self.lang, "entity": self.entity}
        return {k: str(v) for k, v in values.items() if v}


#: Orders of an events listing; "newest" is the web app's, "oldest" the CLI's.
EVENT_ORDERS = {
    "newest": "e.start IS NULL, e.start DESC, e.id",
    "oldest": "e.start IS NULL, e.start, e.id",
    "articles": "e.size DESC, e.start IS NULL, e.start, e.id",
    "outlets": "json_array_length(e.outlets) DESC, e.start IS NULL, e.start, e.id",
}


def outlet_matcher(wanted: Iterable[str]) -> Callable[[str], bool]:
    """Whether an outlet's name is one of ``wanted``: by canonical name ("tass.com", "ТАСС" and "TASS" are one
    outlet) or, from four letters on, by part of the name ("ledger": Northern Ledger). One rule for every outlet
    filter: ``storyline events|stories|export`` and the web app's Events and Stories pages."""
    from storyline.extract.outlet import canonical_outlet

    names = {n.casefold() for raw in wanted if raw.strip() for n in (raw.strip(), canonical_outlet(raw) or raw.strip())}

    def matches(outlet: str) -> bool:
        folded = outlet.casefold()
        return any(folded == name or (len(name) >= 4 and name in folded) for name in names)

    return matches


class EventQuery:
    """The events that pass ``filters``, as SQL over the events table (sizes and outlets are stored with each
    event), so a store of 400k events is filtered without loading them. The conditions are worked out once (the
    outlet names a filter matches, the keys an entity name means); ``ids`` and ``count`` each run one query, and
    a listing asks for the count only when it shows one."""

    def __init__(self, conn: sqlite3.Connection, filters: EventFilters | None = None) -> None:
        self.conn = conn
        self.filters = filters = filters or EventFilters()
        where: list[str] = []
        self.params: list[Any] = []
        if filters.min_articles > 1:
            where.append("e.size >= ?")
            self.params.append(filters.min_articles)
        if filters.min_outlets > 1:
            where.append("json_array_length(e.outlets) >= ?")
            self.params.append(filters.min_outlets)
        if filters.since:
            where.append("e.start IS NOT NULL AND COALESCE(e.end, e.start) >= ?")
            self.params.append(filters.since)
        if filters.until:
            where.append("e.start IS NOT NULL AND e.start <= ?")
            self.params.append(f"{filters.until}T99")
        if filters.outlets:
            matches = outlet_matcher(filters.outlets)
            names = [name for (name,) in conn.execute("SELECT DISTINCT outlet FROM articles WHERE outlet IS NOT NULL")
                     if matches(name)]
            where.append(f"EXISTS (SELECT 1 FROM json_each(e.outlets) j WHERE j.value IN ({','.join('?' * len(names))}))"
                         if names else "0")
            self.params.extend(names)
        if filters.lang:
            where.append("EXISTS (SELECT 1 FROM articles a WHERE a.event_id = e.id AND a.lang = ?)")
            self.params.append(filters.lang)
        if filters.entity:
            keys = entity_keys(conn, filters.entity)
            where.append("e.id IN (SELECT a.event_id FROM mentions m JOIN articles a ON a.id = m.article_id "
                         f"WHERE m.entity_key IN ({','.join('?' * len(keys))}))")
            self.params.extend(keys)
        self.condition = f" WHERE {' AND '.join(where)}" if where else ""  # none: newest first is read off the index

    def ids(self, order: str = "newest", *, limit: int | None = None, offset: int = 0) -> list[str]:
        """The ids in ``order`` (:data:`EVENT_ORDERS`), one page of them with ``limit`` and ``offset``."""
        return [r[0] for r in self.conn.execute(
            f"SELECT e.id FROM events e{self.condition} ORDER BY {EVENT_ORDERS[order]} LIMIT ? OFFSET ?",
            (*self.params, -1 if limit is None else limit, offset))]

    def count(self) -> int:
        return int(self.conn.execute(f"SELECT COUNT(*) FROM events e{self.condition}", self.params).fetchone()[0])


def entity_keys(conn: sqlite3.Connection, value: str) -> list[str]:
    """The entities an entity filter means: a key as given, else every entity named so (name or alias, any case).

    People type names ("Peskov", "Песков"), not keys; a name shared by several entities (a person and an
    organisation) matches them all. A place or organisation of :mod:`storyline.extract.exonyms` is found by
    any of its names in either language, written or not in this store ("Литва", "США" → loc:lithuania, loc:united
    states). Failing those, the names reconciliation would join it to: another case or transliteration of the
    name, a lone surname's full names ("Калниньша" → per:andris kalnins). A value that names nothing is kept as a
    key, which then matches nothing.
    """
    if conn.execute("SELECT 1 FROM entities WHERE key = ?", (value,)).fetchone():
        return [value]
    wanted = " ".join(value.split()).casefold()
    keys = {
        key for key, name, aliases in conn.execute("SELECT key, name, aliases FROM entities")
        if wanted == (name or "").casefold() or wanted in {str(a).casefold() for a in json.loads(aliases or "[]")}
    }
    from storyline.extract.entities import translated_key

    translated = translated_key(value)
    if translated and conn.execute("SELECT 1 FROM entities WHERE key = ?", (translated,)).fetchone():
        keys.add(translated)
    if not keys:  # an inflected or transliterated spelling no article wrote: "Калниньша", "Andris Kalninsh"
        from storyline.extract.entities import NameIndex

        keys = NameIndex(r[0] for r in conn.execute("SELECT key FROM entities")).named(value)
    return sorted(keys) or [value]


def partial_days(conn: sqlite3.Connection, event_ids: Sequence[str] | None = None) -> dict[str, str]:
    """``--MM-DD`` of each event (all, or ``event_ids``) without a full date whose articles name month and day only
    (the earliest), so listings can show ``????-01-24`` rather than "undated". The CLI and the read-only web app
    (a bare connection) both ask here."""
    sql = ("SELECT a.event_id, MIN(a.date_iso) FROM events e JOIN articles a ON a.event_id = e.id "
           "WHERE e.start IS NULL AND a.date_iso LIKE '--%'")
    if event_ids is None:
        return dict(conn.execute(sql + " GROUP BY a.event_id"))
    wanted = list(event_ids)
    out: dict[str, str] = {}
    for chunk, marks in _chunks(wanted):
        out.update(conn.execute(sql + f" AND e.id IN ({marks}) GROUP BY a.event_id", chunk))
    return out


def _statements(script: str) -> Iterator[str]:
    """The SQL statements of a migration script, split where SQLite's own tokenizer says one is complete."""
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \t\n;"):
                yield pending
            pending = ""
    if pending.strip(" \t\n;"):
        yield pending


def _quote_from_row(r: sqlite3.Row) -> Quote:
    return Quote(article_id=r["article_id"], text=r["text"], start=r["start"], end=r["end"], speaker=r["speaker"],
                 speaker_name=r["speaker_name"], cue=r["cue"], confidence=r["confidence"], kind=r["kind"],
                 statement_id=r["statement_id"])


def _entity_from_row(row: sqlite3.Row) -> Entity:
    return Entity(
        key=row["key"], name=row["name"], kind=row["kind"], aliases=json.loads(row["aliases"]),
        roles=json.loads(row["roles"]),
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="minutes") if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def parse_date_guess(iso: str, confidence: float | None, source: str | None, utc_offset: int | None = None
                      ) -> DateGuess:
    """A stored date (``date_iso`` or ``published``, with its UTC offset) back as a :class:`DateGuess`."""
    if iso.startswith("--"):
        month, day = (int(x) for x in iso[2:].split("-"))
        return DateGuess(datetime(1900, month, day), confidence or 0.0, source or "", year_known=False)
    has_time = "T" in iso
    return DateGuess(datetime.fromisoformat(iso), confidence or 0.0, source or "", has_time=has_time,
                     utc_offset=utc_offset)
