"""JSON and CSV export of what the store holds: articles, events, stories, quotes, entities and outlets.

Both exports are deterministic (records sorted by id, lists sorted) so two stores with the same content
export identically, which is how the determinism tests compare runs. CSV cells that a spreadsheet would
run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) get a leading
apostrophe: the text is kept, the formula is not executed (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import itertools
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any, TextIO

from storyline.store.sqlite import EventFilters, EventQuery, SQLiteStore

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ARTICLE_FIELDS = ("id", "title", "outlet", "credited_source", "lang", "url", "published", "date", "date_source",
                  "utc_offset", "duplicate_of", "event_id", "origin", "body")  # utc_offset: minutes, when stated


def neutralise(value: Any) -> Any:
    """A cell value a spreadsheet will show as text, never evaluate; numbers and None pass through."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


TABLES = ("articles", "events", "stories", "quotes", "entities", "outlets")


class _Grouped:
    """Rows of a cursor ordered by their first column, handed out per key as the articles (in the same order)
    come by: a merge join that keeps one article's rows in memory, not the table's."""

    def __init__(self, rows: Iterable[Sequence[Any]]) -> None:
        self._rows = iter(rows)
        self._next = next(self._rows, None)

    def take(self, key: str) -> list[Sequence[Any]]:
        while self._next is not None and self._next[0] < key:
            self._next = next(self._rows, None)
        out = []
        while self._next is not None and self._next[0] == key:
            out.append(self._next)
            self._next = next(self._rows, None)
        return out


def _articles(store: SQLiteStore, events: set[str] | None) -> Iterator[dict[str, Any]]:
    conn = store.conn
    removed = _Grouped(conn.execute("SELECT article_id, start, rule, text FROM removed_spans ORDER BY article_id, seq"))
    entities = _Grouped(conn.execute(
        "SELECT DISTINCT article_id, entity_key FROM mentions ORDER BY article_id, entity_key"))
    for r in conn.execute("SELECT id, title, outlet, credited_source, lang, url, published, date_iso, date_source, "
                          "utc_offset, duplicate_of, event_id, origin, body FROM articles ORDER BY id"):
        if events is not None and r["event_id"] not in events:
            continue
        yield {"id": r["id"], "title": r["title"], "outlet": r["outlet"], "credited_source": r["credited_source"],
               "lang": r["lang"], "url": r["url"], "published": r["published"], "date": r["date_iso"],
               "date_source": r["date_source"], "utc_offset": r["utc_offset"], "duplicate_of": r["duplicate_of"],
               "event_id": r["event_id"],
               "origin": r["origin"], "body": r["body"],
               "removed": [{"rule": rule, "text": text, "start": start} for _, start, rule, text in removed.take(r["id"])],
               "entities": [key for _, key in entities.take(r["id"])]}


def _events(store: SQLiteStore, events: set[str] | None) -> Iterator[dict[str, Any]]:
    return (event.to_json() for event in store.iter_events(None if events is None else sorted(events)))


def _stories(store: SQLiteStore, events: set[str] | None) -> Iterator[dict[str, Any]]:
    stories = None if events is None else sorted({story for (story, eid) in store.conn.execute(
        "SELECT story_id, id FROM events WHERE story_id IS NOT NULL") if eid in events})
    return (story.to_json() for story in store.iter_stories(stories))


QUOTE_FIELDS = ("id", "article_id", "start", "end", "text", "speaker", "speaker_name", "cue", "confidence", "kind",
                "statement_id")


def _quotes(store: SQLiteStore, events: set[str] | None) -> Iterator[dict[str, Any]]:
    columns = ", ".join(f"q.{name}" for name in QUOTE_FIELDS)
    for *values, event_id in store.conn.execute(
            f"SELECT {columns}, a.event_id FROM quotes q JOIN articles a ON a.id = q.article_id "
            "ORDER BY q.article_id, q.start, q.id"):
        if events is None or event_id in events:
            yield dict(zip(QUOTE_FIELDS, values, strict=True))


ENTITY_FIELDS = ("key", "name", "kind", "aliases", "roles", "articles", "statements")


def _entities(store: SQLiteStore, events: set[str] | None) -> Iterator[dict[str, Any]]:
    """Each entity the exported articles name, with the Entities page's figures over them: articles naming it,
    statements it made (distinct across outlets and translations)."""
    from storyline.web.entities import entity_counts

    conn = store.conn
    if events is None:
        articles, statements = entity_counts(conn)
    else:
        rows = conn.execute("SELECT m.entity_key, a.event_id, m.article_id FROM mentions m "
                            "JOIN articles a ON a.id = m.article_id ORDER BY m.entity_key")
        articles = {key: len({article for _, event, article in group if event in events})
                    for key, group in itertools.groupby(rows, key=itemgetter(0))}
        said: dict[str, set[str]] = defaultdict(set)
        for speaker, event, statement in conn.execute(
                "SELECT q.speaker, a.event_id, COALESCE(q.statement_id, q.id) FROM quotes q "
                "JOIN articles a ON a.id = q.article_id WHERE q.speaker IS NOT NULL"):
            if event in events:
                said[speaker].add(statement)
        statements = {speaker: len(ids) for speaker, ids in said.items()}
    for key, name, kind, aliases, roles in conn.execute("SELECT key, name, kind, aliases, roles FROM entities "
                                                        "ORDER BY key"):
        if articles.get(key) or statements.get(key):
            yield {"key": key, "name": name, "kind": kind, "aliases": json.loads(aliases or "[]"),
                   "roles": json.loads(roles or "[]"), "articles": articles.get(key, 0),
                   "statements": statements.get(key, 0)}


def _outlets(store: SQLiteStore, passing: EventQuery | None) -> Iterator[dict[str, Any]]:
    """Each outlet's figures over the exported events: ``storyline outlets NAME --json`` without its speakers,
    names and events."""
    from storyline.web.outlets import OutletTable

    profiles = OutletTable.load(store.conn, passing=passing).profiles
    return (profiles[name].detail() for name in sorted(profiles))


def export_records(store: SQLiteStore, filters: EventFilters | None = None) -> Iterator[tuple[str, Iterator[dict]]]:
    """``(table, records)`` for articles, events, stories, quotes, entities and outlets, each sorted by id (quotes
    by article and place, outlets by name) and streamed from the store: articles, events, stories and quotes in
    the memory of one record, entities in a count per entity, outlets in their figures (~100 MB for a million
    articles). With ``filters`` (:class:`~storyline.store.sqlite.EventFilters`): the events that pass, their
    articles and quotes, the stories they belong to (whole), and the entities and outlets of those articles with
    figures counted over them. Consume each table's records before asking for the next table."""
    events, passing = None, None
    if filters is not None and filters.active():
        passing = EventQuery(store.conn, filters)
        events = set(passing.ids())
    readers = {"articles": _articles, "events": _events, "stories": _stories, "quotes": _quotes, "entities": _entities}
    for table in TABLES:
        if table == "outlets":  # the outlet figures read the passing events' articles themselves, event by event
            yield table, _outlets(store, passing)
        else:
            yield table, readers[table](store, events)


def export_json(store: SQLiteStore, filters: EventFilters | None = None) -> dict[str, Any]:
    """The store as one JSON-ready dict of :data:`TABLES` (articles, events, stories, quotes, entities, outlets),
    each sorted by id (in memory: :func:`write_json` streams the same document to a file)."""
    return {table: list(records) for table, records in export_records(store, filters)}


def write_json(store: SQLiteStore, handle: TextIO, filters: EventFilters | None = None) -> None:
    """:func:`export_json`'s document written record by record, byte for byte what ``json.dump(…, indent=2)``
    writes of it."""
    handle.write("{")
    for number, (table, records) in enumerate(export_records(store, filters)):
        handle.write(f'{"," if number else ""}\n  {json.dumps(table)}: [')
        empty = True
        for record in records:
            text = json.dumps(record, ensure_ascii=False, indent=2, default=str).replace("\n", "\n    ")
            handle.write(("\n    " if empty else ",\n    ") + text)
            empty = False
        handle.write("]" if empty else "\n  ]")
    handle.write("\n}\n")


def export_jsonl(store: SQLiteStore, out_dir: str | Path, filters: EventFilters | None = None) -> list[Path]:
    """``articles.jsonl``, ``events.jsonl``, ``stories.jsonl``, ``quotes.jsonl``, ``entities.jsonl`` and
    ``outlets.jsonl`` in ``out_dir``, one record per line (the fields of :func:`export_json`), streamed: the format
    for stores too big for one JSON document."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for table, records in export_records(store, filters):
        path = folder / f"{table}.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        paths.append(path)
    return paths


def _write_csv(path: Path, header: list[str], rows: Iterable[list[Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_MINIMAL)
        writer.writerow(header)
        writer.writerows([neutralise(v) for v in row] for row in rows)
    return path


OUTLET_FIELDS = ["outlet", "articles", "copies", "languages", "first_day", "last_day", "events", "shared_events",
                 "first_reports", "exclusive_events", "median_lag_hours", "lag_measured", "alongside", "copied_from",
                 "copied_by", "credits"]
_CSV = {
    "articles": ([*ARTICLE_FIELDS, "entities", "removed"],
                 lambda a: [a[f] for f in ARTICLE_FIELDS] + [";".join(a["entities"]),
                                                             json.dumps(a["removed"], ensure_ascii=False)]),
    "events": (["id", "title", "summary", "start", "end", "story_id", "size", "outlets", "article_ids"],
               lambda e: [e["id"], e["title"], e["summary"], e["start"], e["end"], e["story_id"],
                          len(e["article_ids"]), ";".join(e["outlets"]), ";".join(e["article_ids"])]),
    "stories": (["id", "title", "start", "end", "event_ids", "entities", "size"],
                lambda s: [s["id"], s["title"], s["start"], s["end"], ";".join(s["event_ids"]), ";".join(s["entities"]),
                           len(s["article_ids"])]),
    "quotes": (list(QUOTE_FIELDS), lambda q: [q[name] for name in QUOTE_FIELDS]),
    "entities": (list(ENTITY_FIELDS), lambda e: [";".join(e[f]) if f in ("aliases", "roles") else e[f]
                                                 for f in ENTITY_FIELDS]),
    "outlets": (OUTLET_FIELDS, lambda o: [json.dumps(o[f], ensure_ascii=False) if isinstance(o[f], dict | list)
                                          else o[f] for f in OUTLET_FIELDS]),
}


def export_csv(store: SQLiteStore, out_dir: str | Path, filters: EventFilters | None = None) -> list[Path]:
    """Write ``articles.csv``, ``events.csv``, ``stories.csv``, ``quotes.csv``, ``entities.csv`` and ``outlets.csv``
    into ``out_dir``, streamed.

    List fields (article ids, outlets, entities, aliases) are joined with ``;``; structured ones (removed spans,
    an outlet's languages and its lists of outlets with counts) are JSON. Files are UTF-8 without BOM.
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for table, records in export_records(store, filters):
        header, row = _CSV[table]
        paths.append(_write_csv(folder / f"{table}.csv", header, map(row, records)))
    return paths
