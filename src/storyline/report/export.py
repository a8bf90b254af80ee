"""JSON and CSV export of what the store holds: articles, events, stories and quotes.

Both exports are deterministic (records sorted by id, lists sorted) so two stores with the same content
export identically, which is how the determinism tests compare runs. CSV cells that a spreadsheet would
run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) get a leading
apostrophe: the text is kept, the formula is not executed (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from storyline.store.sqlite import SQLiteStore

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ARTICLE_FIELDS = ("id", "title", "outlet", "credited_source", "lang", "url", "published", "date", "date_source",
                  "duplicate_of", "event_id", "origin", "body")


def neutralise(value: Any) -> Any:
    """A cell value a spreadsheet will show as text, never evaluate; numbers and None pass through."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _articles(store: SQLiteStore) -> list[dict[str, Any]]:
    conn = store.conn
    removed: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in conn.execute("SELECT article_id, start, rule, text FROM removed_spans ORDER BY article_id, seq"):
        removed[r[0]].append({"rule": r[2], "text": r[3], "start": r[1]})
    entities: dict[str, list[str]] = defaultdict(list)
    for r in conn.execute("SELECT DISTINCT article_id, entity_key FROM mentions ORDER BY article_id, entity_key"):
        entities[r[0]].append(r[1])
    return [
        {"id": r["id"], "title": r["title"], "outlet": r["outlet"], "credited_source": r["credited_source"],
         "lang": r["lang"], "url": r["url"], "published": r["published"], "date": r["date_iso"],
         "date_source": r["date_source"], "duplicate_of": r["duplicate_of"], "event_id": r["event_id"],
         "origin": r["origin"], "body": r["body"], "removed": removed.get(r["id"], []),
         "entities": entities.get(r["id"], [])}
        for r in conn.execute(
            "SELECT id, title, outlet, credited_source, lang, url, published, date_iso, date_source, duplicate_of, "
            "event_id, origin, body FROM articles ORDER BY id")
    ]


def _quotes(store: SQLiteStore) -> list[dict[str, Any]]:
    return [
        dict(r) for r in store.conn.execute(
            "SELECT id, article_id, start, end, text, speaker, speaker_name, cue, confidence, kind, statement_id "
            "FROM quotes ORDER BY article_id, start, id")
    ]


def export_json(store: SQLiteStore) -> dict[str, Any]:
    """The store as one JSON-ready dict: ``{"articles", "events", "stories", "quotes"}``, each sorted by id."""
    events = sorted((e.to_json() for e in store.events()), key=lambda e: e["id"])
    stories = sorted((s.to_json() for s in store.stories()), key=lambda s: s["id"])
    return {"articles": _articles(store), "events": events, "stories": stories, "quotes": _quotes(store)}


def _write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_MINIMAL)
        writer.writerow(header)
        writer.writerows([[neutralise(v) for v in row] for row in rows])
    return path


def export_csv(store: SQLiteStore, out_dir: str | Path) -> list[Path]:
    """Write ``articles.csv``, ``events.csv``, ``stories.csv`` and ``quotes.csv`` into ``out_dir``.

    List fields (article ids, outlets, entities) are joined with ``;``. Files are UTF-8 without BOM.
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    data = export_json(store)
    paths = [
        _write_csv(folder / "articles.csv", [*ARTICLE_FIELDS, "entities", "removed"],
                   [[a[f] for f in ARTICLE_FIELDS] + [";".join(a["entities"]),
                                                      json.dumps(a["removed"], ensure_ascii=False)]
                    for a in data["articles"]]),
        _write_csv(folder / "events.csv",
                   ["id", "title", "summary", "start", "end", "story_id", "size", "outlets", "article_ids"],
                   [[e["id"], e["title"], e["summary"], e["start"], e["end"], e["story_id"], len(e["article_ids"]),
                     ";".join(e["outlets"]), ";".join(e["article_ids"])] for e in data["events"]]),
        _write_csv(folder / "stories.csv", ["id", "title", "start", "end", "event_ids", "entities", "size"],
                   [[s["id"], s["title"], s["start"], s["end"], ";".join(s["event_ids"]), ";".join(s["entities"]),
                     len(s["article_ids"])] for s in data["stories"]]),
        _write_csv(folder / "quotes.csv", ["id", "article_id", "start", "end", "text", "speaker", "speaker_name", "cue",
                                           "confidence", "kind", "statement_id"],
                   [[q["id"], q["article_id"], q["start"], q["end"], q["text"], q["speaker"], q["speaker_name"],
                     q["cue"], q["confidence"], q["kind"], q["statement_id"]] for q in data["quotes"]]),
    ]
    return paths
