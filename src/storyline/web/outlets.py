"""Outlets of a store: how much each publishes, how often it reports first, how late it follows, whom it
republishes (:mod:`storyline.group.outlets` computes the figures).

The figures need every article's outlet, date, event and copy link (no bodies), read one event at a time: a
million articles in 45 s and 180 MB on the 2-core machine (300,000: 7–9 s, 93 MB). Any filter of ``storyline
events`` narrows them to the events that pass, whose articles are read through the event index: who was first
in March, or on the events naming Peskov, or among the events TASS covered. The web app keeps that read per
store state and filters (:class:`~storyline.web.stories.TableCaches` of :class:`OutletTable`, the last eight
filters); ``storyline outlets`` and :meth:`storyline.Corpus.outlets` read it once per call. A name is an outlet
as stored ("Baltic Wire"), any case of it, a domain or alias of a known outlet ("tass.ru", "ТАСС"), or part of
one name.

>>> table = OutletTable.load(conn)                      # doctest: +SKIP
>>> list_outlets(conn, sort="first", table=table)["items"][0]["outlet"]   # doctest: +SKIP
'Baltic Wire'
"""

from __future__ import annotations

import itertools
import sqlite3
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from storyline.extract.outlet import canonical_outlet
from storyline.group.compare import UNKNOWN_OUTLET
from storyline.group.outlets import OutletProfile, OutletTally
from storyline.model import Article
from storyline.store.sqlite import EventFilters, EventQuery, parse_date_guess
from storyline.web.queries import event_rows, ids_newest_first, page_count

OUTLET_PAGE_SIZE = 50
MEMO_OUTLETS = 32  # outlet pages whose event order, speakers and names a table keeps
#: Orders of the outlet list: key of the figure, highest first (ties: name).
OUTLET_ORDERS = {"articles": "articles", "events": "events", "first": "first reports", "exclusive": "exclusive events",
                 "name": "name"}


@dataclass(slots=True)
class OutletTable:
    profiles: dict[str, OutletProfile]
    filters: EventFilters | None = None  # the events counted (None: all, and articles in no event)
    passing: EventQuery | None = None  # the filters as SQL, worked out once (entity names resolved)
    # per outlet shown: its events newest first, speakers and names (read once while the table lives)
    pages: dict[str, tuple[list[str], list[dict[str, Any]], list[dict[str, Any]]]] = field(default_factory=dict)

    @classmethod
    def load(cls, conn: sqlite3.Connection, filters: EventFilters | None = None, *,
             passing: EventQuery | None = None) -> OutletTable:
        """The profiles over every article, or with ``filters`` (any of ``storyline events``: dates, an outlet that
        covered the event, language, a name it mentions…) over the articles of the events that pass; ``passing``:
        the filters' query when the caller has worked it out already (its names resolved)."""
        if passing is None:
            filters = filters if filters is not None and filters.active() else None
            passing = EventQuery(conn, filters) if filters else None
        else:
            filters = passing.filters
        grouped, params = "WHERE event_id IS NOT NULL", ()
        if passing is not None:  # the passing events' articles through the event index, not a scan of all
            grouped, params = f"WHERE event_id IN (SELECT e.id FROM events e{passing.condition})", tuple(passing.params)
        counted = grouped if passing is not None else ""
        sizes = dict(conn.execute(f"SELECT COALESCE(NULLIF(outlet, ''), ?), count(*) FROM articles {counted} GROUP BY 1",
                                  (UNKNOWN_OUTLET, *params)).fetchall())
        origins = {a.id: a for a in map(_lean, conn.execute(
            f"{_LEAN} WHERE id IN (SELECT duplicate_of FROM articles WHERE duplicate_of IS NOT NULL)"))}
        tally = OutletTally(sizes, origins)
        for event_id, group in itertools.groupby(conn.execute(f"{_LEAN} {grouped} ORDER BY event_id", params),
                                                 key=itemgetter(1)):
            tally.insert(event_id, [_lean(row) for row in group])
        if passing is None:  # an article in no event is an event of its own
            for row in conn.execute(f"{_LEAN} WHERE event_id IS NULL ORDER BY id"):
                tally.insert("", [_lean(row)])
        return cls(tally.profiles(), filters, passing)

    def order(self, sort: str = "articles") -> list[str]:
        if sort not in OUTLET_ORDERS:
            raise ValueError(f"unknown order {sort!r}; choose one of {', '.join(OUTLET_ORDERS)}")
        if sort == "name":
            return sorted(self.profiles, key=lambda n: (n == UNKNOWN_OUTLET, n.casefold(), n))
        figure = {"articles": lambda p: (p.articles, p.events), "events": lambda p: (p.events, p.articles),
                  "first": lambda p: (p.first_reports, p.shared), "exclusive": lambda p: (p.exclusive, p.events)}[sort]
        return sorted(self.profiles, key=lambda n: (tuple(-x for x in figure(self.profiles[n])), n.casefold(), n))

    def find(self, name: str) -> str | None:
        """The outlet ``name`` means: as stored, in another case, a known outlet's domain or alias, or the one
        outlet whose name contains it."""
        if name in self.profiles:
            return name
        folded = " ".join(name.split()).casefold()
        same = [n for n in self.profiles if n.casefold() == folded]
        if same:
            return same[0]
        known = canonical_outlet(name)
        if known in self.profiles:
            return known
        containing = [n for n in self.profiles if folded and folded in n.casefold()]
        return containing[0] if len(containing) == 1 else None

    def matching(self, name: str | None, sort: str = "articles") -> list[str]:
        names = self.order(sort)
        folded = " ".join((name or "").split()).casefold()
        if not folded:
            return names
        exact = self.find(name or "")
        return [n for n in names if folded in n.casefold() or n == exact]


def list_outlets(conn: sqlite3.Connection, *, name: str | None = None, sort: str = "articles", page: int = 1,
                 page_size: int = OUTLET_PAGE_SIZE, table: OutletTable | None = None) -> dict[str, Any]:
    """One page of outlets with their figures (:meth:`OutletProfile.summary`), most articles first or by
    ``sort`` (:data:`OUTLET_ORDERS`; anything else is a ValueError); ``name`` keeps the outlets it names."""
    table = table or OutletTable.load(conn)
    names = table.matching(name, sort)
    page = max(page, 1)
    items = [table.profiles[n].summary() for n in names[(page - 1) * page_size : page * page_size]]
    return {"items": items, "total": len(names), "page": page, "pages": page_count(len(names), page_size),
            "sort": sort, "name": name or "", "filters": table.filters.active() if table.filters else {}}


def outlet_detail(conn: sqlite3.Connection, name: str, *, page: int = 1, limit: int = 100,
                  table: OutletTable | None = None) -> dict[str, Any] | None:
    """An outlet's figures, company, copies and credits, the speakers it quotes and the names it mentions most,
    and its events newest first (``limit`` per ``page``), each with its place among the outlets covering it."""
    table = table or OutletTable.load(conn)
    found = table.find(name)
    if found is None:
        return None
    profile = table.profiles[found]
    coverage = {c.event_id: c for c in profile.coverage if c.event_id}
    if found not in table.pages:
        if len(table.pages) >= MEMO_OUTLETS:  # the first shown goes (another request may just have dropped it)
            table.pages.pop(next(iter(table.pages), ""), None)
        table.pages[found] = (ids_newest_first(conn, coverage), *_voices(conn, found, table.passing))
    ordered, speakers, entities = table.pages[found]
    page = max(page, 1)
    shown = event_rows(conn, ordered[(page - 1) * limit : page * limit])
    for e in shown:
        c = coverage[e["id"]]
        e.update(rank=c.rank, lag_hours=c.lag_hours, own_articles=c.articles, outlets=c.outlets)
    return {**profile.detail(), "speakers": speakers, "entities": entities, "event_list": shown,
            "page": page, "pages": page_count(len(ordered), limit),
            "filters": table.filters.active() if table.filters else {}}


#: What the figures read of an article (no bodies), as :func:`_lean` takes it.
_LEAN = ("SELECT id, event_id, outlet, credited_source, lang, date_iso, date_confidence, date_source, utc_offset, "
         "duplicate_of FROM articles")


def _lean(row: tuple[Any, ...]) -> Article:
    article_id, _, outlet, credited, lang, iso, confidence, source, offset, copy_of = row
    date = parse_date_guess(iso, confidence, source, offset) if iso else None
    return Article(article_id, "", "", outlet=outlet, credited_source=credited, lang=lang, date=date,
                   duplicate_of=copy_of)


def _voices(conn: sqlite3.Connection, name: str, passing: EventQuery | None
            ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The speakers an outlet quotes most and the names it mentions most, in the events ``passing`` keeps."""
    where, params = _articles_of(name)
    if passing is not None:  # the same events as the figures
        where += f" AND a.event_id IN (SELECT e.id FROM events e{passing.condition})"
        params = (*params, *passing.params)
    speakers = [dict(r) for r in conn.execute(
        "SELECT q.speaker AS key, COALESCE(en.name, MIN(q.speaker_name), q.speaker) AS name, "
        "count(DISTINCT COALESCE(q.statement_id, q.id)) AS statements FROM quotes q "
        f"JOIN articles a ON a.id = q.article_id LEFT JOIN entities en ON en.key = q.speaker WHERE {where} "
        "AND q.speaker IS NOT NULL GROUP BY q.speaker ORDER BY statements DESC, q.speaker LIMIT 10", params)]
    entities = [dict(r) for r in conn.execute(
        "SELECT m.entity_key AS key, COALESCE(en.name, m.entity_key) AS name, en.kind AS kind, "
        "count(DISTINCT m.article_id) AS articles FROM mentions m JOIN articles a ON a.id = m.article_id "
        f"LEFT JOIN entities en ON en.key = m.entity_key WHERE {where} GROUP BY m.entity_key "
        "ORDER BY articles DESC, m.entity_key LIMIT 15", params)]
    return speakers, entities


def _articles_of(name: str) -> tuple[str, tuple[str, ...]]:
    """SQL condition on ``articles a`` for the articles an outlet published, as the figures file them
    (:func:`storyline.group.outlets.publisher`: without a known publisher, the unknown outlet's)."""
    if name == UNKNOWN_OUTLET:
        return "a.outlet IS NULL", ()
    return "a.outlet = ?", (name,)
