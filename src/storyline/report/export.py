"""JSON and CSV export of what the store holds: articles, events, stories and quotes.

Both exports are deterministic (records sorted by id, lists sorted) so two stores with the same content
export identically, which is how the determinism tests compare runs. CSV cells that a spreadsheet would
run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) get a leading
apostrophe: the text is kept, the formula is not executed (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Sequence
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


TABLES = ("articles", "events", "stories", "quotes")


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


def export_records(store: SQLiteStore, filters: EventFilters | None = None) -> Iterator[tuple[str, Iterator[dict]]]:
    """``(table, records)`` for articles, events, stories and quotes, each sorted by id (quotes by article and
    place) and streamed from the store, so a million-article store exports in the memory of one record. With
    ``filters`` (:class:`~storyline.store.sqlite.EventFilters`): the events that pass, their articles and quotes,
    and the stories they belong to (whole). Consume each table's records before asking for the next table."""
    events = None
    if filters is not None and filters.active():
        events = set(EventQuery(store.conn, filters).ids())
    for table, records in zip(TABLES, (_articles, _events, _stories, _quotes), strict=True):
        yield table, records(store, events)


def export_json(store: SQLiteStore, filters: EventFilters | None = None) -> dict[str, Any]:
    """The store as one JSON-ready dict: ``{"articles", "events", "stories", "quotes"}``, each sorted by id (in
    memory: :func:`write_json` streams the same document to a file)."""
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
    """``articles.jsonl``, ``events.jsonl``, ``stories.jsonl`` and ``quotes.jsonl`` in ``out_dir``, one record per
    line (the fields of :func:`export_json`), streamed: the format for stores too big for one JSON document."""
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
}


def export_csv(store: SQLiteStore, out_dir: str | Path, filters: EventFilters | None = None) -> list[Path]:
    """Write ``articles.csv``, ``events.csv``, ``stories.csv`` and ``quotes.csv`` into ``out_dir``, streamed.

    List fields (article ids, outlets, entities) are joined with ``;``. Files are UTF-8 without BOM.
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for table, records in export_records(store, filters):
        header, row = _CSV[table]
        paths.append(_write_csv(folder / f"{table}.csv", header, map(row, records)))
    return paths
