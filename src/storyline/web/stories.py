"""The Stories page: every story ranked by recency and size, filtered, one page at a time.

Ranking needs every story's size and dates; on a 100k-article store reading them takes a few hundred
milliseconds, too slow to repeat per request. :class:`StoryIndex` keeps that read (a :class:`StoryTable`)
until the store changes, and the table caches its sort orders and filter hits. The story page itself
(:func:`story_detail`) reads only the one story's rows.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from storyline.store.sqlite import entity_keys, entity_names, outlet_matcher
from storyline.web.queries import (
    PAGE_SIZE,
    connect_readonly,
    day_number,
    event_summary,
    marks,
    newest_first,
    page_count,
)

T = TypeVar("T")
K = TypeVar("K")


@dataclass(frozen=True, slots=True)
class StoryFilters:
    """Filters of the stories page; empty fields do not filter."""

    date_from: str | None = None
    date_to: str | None = None
    lang: str | None = None
    outlet: str | None = None
    entity: str | None = None

    def active(self) -> dict[str, str]:
        return {k: v for k, v in (("date_from", self.date_from), ("date_to", self.date_to), ("lang", self.lang),
                                  ("outlet", self.outlet), ("entity", self.entity)) if v}


@dataclass(slots=True)
class StoryTable:
    """Every story's dates, size, event count and outlets, read in one pass over the events table.

    Ranking 20k+ stories needs all of them; reading them takes a few hundred milliseconds on a 100k-article
    store, so the web app keeps one table per store state (see :class:`StoryIndex`) instead of per request.
    ``hits`` caches the story ids matching a language or entity filter for this same state.
    """

    rows: dict[str, tuple[str | None, str | None, int, int]]  # id -> (start, end, size, events)
    outlets: dict[str, set[str]]
    orders: dict[str, list[str]] = field(default_factory=dict)
    hits: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    choices: dict[str, list[Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, conn: sqlite3.Connection) -> StoryTable:
        sizes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        outlets: dict[str, set[str]] = defaultdict(set)
        for story_id, size, names in conn.execute("SELECT story_id, size, outlets FROM events "
                                                  "WHERE story_id IS NOT NULL"):
            sizes[story_id][0] += int(size)
            sizes[story_id][1] += 1
            outlets[story_id].update(json.loads(names or "[]"))
        rows = {r[0]: (r[1], r[2], *sizes.get(r[0], (0, 0))) for r in conn.execute("SELECT id, start, end FROM stories")}
        return cls(rows=rows, outlets=dict(outlets))

    def order(self, sort: str) -> list[str]:
        """Story ids in the order asked for (computed once per table)."""
        if sort not in self.orders:
            newest = max((day_number(r[1] or r[0] or "") for r in self.rows.values()), default=0)

            def key(item: tuple[str, tuple[str | None, str | None, int, int]]) -> tuple[Any, ...]:
                sid, (start, end, size, _) = item
                when = end or start or ""
                if sort == "size":
                    return (-size, newest_first(when), sid)
                if sort == "recent":
                    return (newest_first(when), -size, sid)
                age = newest - day_number(when) if when else 3650
                return (-(size / (1.0 + age / 30.0)), newest_first(when), sid)

            self.orders[sort] = [sid for sid, _ in sorted(self.rows.items(), key=key)]
        return self.orders[sort]

    def matching(self, conn: sqlite3.Connection, filters: StoryFilters) -> set[str] | None:
        """Stories with an article in the language, from the outlet and mentioning the entity asked for."""
        result: set[str] | None = None
        if filters.outlet:
            matches = outlet_matcher(o for o in filters.outlet.split(","))
            result = {sid for sid, names in self.outlets.items() if any(map(matches, names))}
        for kind, value in (("lang", filters.lang), ("entity", filters.entity)):
            if not value:
                continue
            if (kind, value) not in self.hits:
                self.hits[(kind, value)] = frozenset(_story_ids_with(conn, kind, value))
            found = self.hits[(kind, value)]
            result = set(found) if result is None else result & found
        return result

    def passing(self, conn: sqlite3.Connection, filters: StoryFilters, ids: Iterable[str]) -> list[str]:
        """Those of ``ids`` (in their order) that pass ``filters``: a span meeting the dates, an article in the
        language, from the outlet (:func:`~storyline.store.sqlite.outlet_matcher`) and naming the entity."""
        allowed = self.matching(conn, filters)
        low, high = filters.date_from or "", (filters.date_to + "T99") if filters.date_to else None

        def keep(sid: str) -> bool:
            if sid not in self.rows or (allowed is not None and sid not in allowed):
                return False
            start, end, _, _ = self.rows[sid]
            if low and (end or start or "") < low:
                return False
            return not (high and (start is None or start > high))

        return [sid for sid in ids if keep(sid)]


class TableCache(Generic[T]):
    """Keeps a table read from a store file (``load(conn)``) and reloads it when the store has changed.

    A change is noticed through ``PRAGMA data_version`` on a connection the cache keeps open. While an
    ingest writes continuously, reloading on every change would cost every request the full read, so a
    table younger than ``min_age`` seconds is kept: the page built on it may lag an ingest by that much.
    """

    def __init__(self, db_path: str, load: Callable[[sqlite3.Connection], T], *, min_age: float = 10.0) -> None:
        self.db_path = db_path
        self.load = load
        self.min_age = min_age
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._table: T | None = None
        self._version: int | None = None
        self._loaded_at = 0.0

    def table(self) -> T:
        with self._lock:
            if self._conn is None:
                self._conn = connect_readonly(self.db_path)
            version = int(self._conn.execute("PRAGMA data_version").fetchone()[0])
            stale = self._table is None or (version != self._version
                                             and time.monotonic() - self._loaded_at >= self.min_age)
            if stale:
                self._table = self.load(self._conn)
                self._version, self._loaded_at = version, time.monotonic()
            assert self._table is not None
            return self._table

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


class TableCaches(Generic[K, T]):
    """A :class:`TableCache` per key (``load(conn, key)``), the ``size`` most recently used kept: the outlet
    figures of the filters a reader is moving around in (the list, an outlet's page, the next page, back) are
    read once, not on every request."""

    def __init__(self, db_path: str, load: Callable[[sqlite3.Connection, K], T], *, size: int = 8,
                 min_age: float = 10.0) -> None:
        self.db_path = db_path
        self.load = load
        self.size = size
        self.min_age = min_age
        self._lock = threading.Lock()
        self._caches: dict[K, TableCache[T]] = {}  # least recently used first

    def table(self, key: K) -> T:
        with self._lock:
            cache = self._caches.pop(key, None) or TableCache(self.db_path, lambda conn: self.load(conn, key),
                                                             min_age=self.min_age)
            self._caches[key] = cache
            evicted = [self._caches.pop(old) for old in list(self._caches)[: max(0, len(self._caches) - self.size)]]
        for old in evicted:
            old.close()
        return cache.table()

    def close(self) -> None:
        with self._lock:
            caches, self._caches = list(self._caches.values()), {}
        for cache in caches:
            cache.close()


class StoryIndex(TableCache[StoryTable]):
    """The :class:`StoryTable` of a store file, read again when the store has changed (:class:`TableCache`)."""

    def __init__(self, db_path: str, *, min_age: float = 10.0) -> None:
        super().__init__(db_path, StoryTable.load, min_age=min_age)


def list_stories(
    conn: sqlite3.Connection, filters: StoryFilters | None = None, *, page: int = 1, sort: str = "rank",
    page_size: int = PAGE_SIZE, table: StoryTable | None = None,
) -> dict[str, Any]:
    """Stories ranked by recency and size (``sort``: ``rank`` | ``recent`` | ``size``), one page of them.

    ``rank`` discounts size by age relative to the newest story in the store (not the wall clock), so
    the order is the same whenever the page is opened. Pass the ``table`` of a :class:`StoryIndex` to
    skip re-reading every story.
    """
    filters = filters or StoryFilters()
    table = table or StoryTable.load(conn)
    ordered = table.passing(conn, filters, table.order(sort))
    total = len(ordered)
    page = max(page, 1)
    chosen = ordered[(page - 1) * page_size: page * page_size]
    details = _stories_by_id(conn, chosen)
    spark = _articles_per_day(conn, chosen)
    items = []
    for sid in chosen:
        if sid not in details:
            continue  # removed since the table was read
        story = details[sid]
        story["size"], story["n_events"] = table.rows[sid][2], table.rows[sid][3]
        story["per_day"] = spark.get(sid, [])
        items.append(story)
    return {"items": items, "total": total, "page": page, "pages": page_count(total, page_size),
            "sort": sort, "filters": filters.active()}


def _story_ids_with(conn: sqlite3.Connection, kind: str, value: str) -> set[str]:
    """Stories with at least one article in language ``value`` (kind ``lang``) or mentioning entity ``value``."""
    if kind == "lang":
        sql = ("SELECT DISTINCT e.story_id FROM articles a JOIN events e ON e.id = a.event_id "
               "WHERE a.lang = ? AND e.story_id IS NOT NULL")
        return {r[0] for r in conn.execute(sql, (value,))}
    keys = entity_keys(conn, value)
    sql = ("SELECT DISTINCT e.story_id FROM mentions m JOIN articles a ON a.id = m.article_id "
           f"JOIN events e ON e.id = a.event_id WHERE m.entity_key IN ({marks(keys)}) AND e.story_id IS NOT NULL")
    return {r[0] for r in conn.execute(sql, keys)}


def _stories_by_id(conn: sqlite3.Connection, ids: list[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    rows = conn.execute(f"SELECT * FROM stories WHERE id IN ({marks(ids)})", ids)
    stories = {r["id"]: {"id": r["id"], "title": r["title"] or "(untitled story)", "start": r["start"],
                         "end": r["end"], "entities": json.loads(r["entities"] or "[]")} for r in rows}
    names = entity_names(conn, (k for s in stories.values() for k in s["entities"] if isinstance(k, str)))
    for story in stories.values():
        story["entity_names"] = [{"key": k, "name": names.get(k, k)} for k in story["entities"] if isinstance(k, str)]
    return stories


def _articles_per_day(conn: sqlite3.Connection, story_ids: list[str]) -> dict[str, list[tuple[str, int]]]:
    if not story_ids:
        return {}
    out: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for r in conn.execute(
        "SELECT e.story_id, substr(a.published, 1, 10) AS day, COUNT(*) FROM events e "
        f"JOIN articles a ON a.event_id = e.id WHERE e.story_id IN ({marks(story_ids)}) AND a.published IS NOT NULL "
        "GROUP BY e.story_id, day ORDER BY e.story_id, day", story_ids,
    ):
        out[r[0]].append((r[1], int(r[2])))
    return dict(out)


def filter_choices(conn: sqlite3.Connection, table: StoryTable, limit: int = 300) -> dict[str, list[Any]]:
    """Values for the filter drop-downs: the store's languages and the outlets of stories (cached per table)."""
    if "langs" not in table.choices:
        table.choices["langs"] = [r[0] for r in conn.execute(
            "SELECT DISTINCT lang FROM articles WHERE lang IS NOT NULL ORDER BY lang")]
        table.choices["outlets"] = sorted({o for names in table.outlets.values() for o in names})[:limit]
        counts: Counter[str] = Counter()
        for (keys,) in conn.execute("SELECT entities FROM stories"):
            counts.update(k for k in json.loads(keys or "[]") if isinstance(k, str))
        top = [k for k, _ in counts.most_common(limit)]
        names = entity_names(conn, top)
        table.choices["entities"] = sorted({names.get(k, k) for k in top}, key=str.casefold)
    return table.choices


def story_detail(conn: sqlite3.Connection, story_id: str, *, page: int = 1, page_size: int = 100) -> dict[str, Any] | None:
    """A story with its events in timeline order and the article volume per day and outlet.

    Timeline order is the story's own (``stories.event_ids``): dated events by date, and an event known only by
    month and day where the story's nearest dated event puts it, not last with the undated ones."""
    found = _stories_by_id(conn, [story_id])
    if not found:
        return None
    story = found[story_id]
    total = conn.execute("SELECT COUNT(*) FROM events WHERE story_id = ?", (story_id,)).fetchone()[0]
    rows = conn.execute(
        "SELECT e.* FROM events e LEFT JOIN (SELECT value AS id, CAST(key AS INTEGER) AS position "
        "FROM json_each((SELECT event_ids FROM stories WHERE id = ?))) AS timeline ON timeline.id = e.id "
        "WHERE e.story_id = ? ORDER BY timeline.position IS NULL, timeline.position, e.start IS NULL, e.start, e.id "
        "LIMIT ? OFFSET ?",
        (story_id, story_id, page_size, (max(page, 1) - 1) * page_size),
    ).fetchall()
    events = [event_summary(conn, r) for r in rows]
    volume: dict[str, dict[str, int]] = defaultdict(dict)
    for r in conn.execute(
        "SELECT substr(a.published, 1, 10) AS day, COALESCE(a.outlet, '(unknown)') AS outlet, COUNT(*) "
        "FROM events e JOIN articles a ON a.event_id = e.id WHERE e.story_id = ? AND a.published IS NOT NULL "
        "GROUP BY day, outlet ORDER BY day, outlet", (story_id,),
    ):
        volume[r[0]][r[1]] = int(r[2])
    story.update(events=events, n_events=int(total), volume=dict(volume), page=max(page, 1),
                 pages=page_count(int(total), page_size), size=sum(e["size"] for e in events))
    return story


