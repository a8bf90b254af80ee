"""Read-only queries behind the web app, the JSON API and the HTML report.

Every function takes an open ``sqlite3.Connection`` (row factory :class:`sqlite3.Row`) and returns
plain dicts and lists, so the same data feeds Jinja templates and ``/api`` JSON alike. Queries walk the
store's indexes (``events.story_id``, ``articles.event_id``, ``articles.outlet``, ``mentions.entity_key``,
``quotes.speaker``) and page with LIMIT/OFFSET, which keeps each page fast on a 100k-article store. Data
that other stages fill (stories, statements, evidence, removed spans) may be absent: every view then
shows what there is rather than failing.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from storyline.group.compare import usual_offset
from storyline.group.events import readable_evidence
from storyline.represent.tokens import BODY_CHARS
from storyline.store.sqlite import EventFilters, EventQuery, entity_names, parse_date_guess, partial_days

if TYPE_CHECKING:
    from storyline.group.compare import Embed
    from storyline.model import Event
    from storyline.store.sqlite import SQLiteStore

PAGE_SIZE = 20
EVENT_ARTICLE_LIMIT = 500
EVIDENCE_TEXT_CHARS = BODY_CHARS  # of an article's body, to write its evidence's stemmed names as it does (all the grouping reads)
COMPARE_ARTICLE_LIMIT = 100


def page_count(total: int, page_size: int) -> int:
    """Pages needed for ``total`` items (at least one, so an empty list still has its page 1)."""
    return max(1, -(-total // page_size))


def connect_readonly(db_path: str) -> sqlite3.Connection:
    """A read-only connection: the viewer can never change the store, even through a bug."""
    from pathlib import Path

    uri = f"file:{Path(db_path).resolve()}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=30.0, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA query_only = ON")
    return conn


def newest_first(text: str) -> str:
    """Sort key that orders ISO strings newest first inside an ascending sort."""
    return "".join(chr(0x10FFFF - ord(c)) for c in text)


def day_number(iso: str) -> int:
    try:
        return date.fromisoformat(iso[:10]).toordinal()
    except ValueError:
        return 0


def event_summary(conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    """An event row with its summary: the one a full regroup stored, else its earliest article's lead (read only
    when the row lacks a summary or a title)."""
    title, summary = row["title"], _stored_summary(row)
    if not (title and summary):
        lead = conn.execute(
            "SELECT id, title, body FROM articles WHERE event_id = ? AND duplicate_of IS NULL "
            "ORDER BY published IS NULL, published, id LIMIT 1", (row["id"],),
        ).fetchone()
        if lead is not None:
            title = title or lead["title"]
            summary = summary or _lead_sentence(lead["body"], lead["title"])
    return {
        "id": row["id"], "title": title or "(untitled event)",
        "start": row["start"], "end": row["end"], "size": int(row["size"]),
        "date": row["start"] or partial_days(conn, [row["id"]]).get(row["id"]),
        "outlets": json.loads(row["outlets"] or "[]"), "story_id": row["story_id"], "summary": summary,
    }


def _stored_summary(row: sqlite3.Row) -> str:
    """The summary a full regroup wrote (none for events made or grown on the incremental path, nor in a
    store older than schema 6, which the read-only app does not migrate)."""
    return (row["summary"] or "") if "summary" in row.keys() else ""  # noqa: SIM118 (`in row` tests values)


def _lead_sentence(body: str, title: str | None = None, limit: int = 280) -> str:
    """The start of ``body``, cut at a sentence end; a headline the body repeats first is skipped."""
    text = " ".join(body.split())
    heading = " ".join((title or "").split())
    if heading and text.startswith(heading) and len(text) > len(heading):
        text = text[len(heading):].lstrip(" .:—-")
    if len(text) <= limit:
        return text
    cut = text.rfind(". ", 0, limit)
    return text[: cut + 1] if cut > 80 else text[:limit].rstrip() + "…"


def list_events(conn: sqlite3.Connection, filters: EventFilters | None = None, *, order: str = "newest",
                page: int = 1, page_size: int = PAGE_SIZE) -> dict[str, Any]:
    """Events, newest first unless ``order`` says otherwise, those passing ``filters`` (dates, outlets, sizes):
    the way in when stories have not been built."""
    filters = filters or EventFilters()
    query = EventQuery(conn, filters)
    ids, total = query.ids(order, limit=page_size, offset=(max(page, 1) - 1) * page_size), query.count()
    rows = {r["id"]: r for r in conn.execute(f"SELECT * FROM events WHERE id IN ({marks(ids)})", ids)} if ids else {}
    return {"items": [event_summary(conn, rows[i]) for i in ids], "total": total, "page": max(page, 1),
            "pages": page_count(total, page_size), "filters": filters.active(), "order": order,
            "stored": int(conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]) if filters.active() else total}


def outlet_names(conn: sqlite3.Connection, limit: int = 300) -> list[str]:
    """The outlets of the stored articles, for a filter's suggestions (from the outlet index alone)."""
    return [r[0] for r in conn.execute(
        "SELECT DISTINCT outlet FROM articles WHERE outlet IS NOT NULL ORDER BY outlet LIMIT ?", (limit,))]


# ---------------------------------------------------------------------- events
def event_detail(conn: sqlite3.Connection, event_id: str) -> dict[str, Any] | None:
    """An event's coverage: outlets with their articles, copies folded, statements, entities, evidence."""
    row = conn.execute("SELECT * FROM events WHERE id = ?", (event_id,)).fetchone()
    if row is None:
        return None
    event = event_summary(conn, row)
    articles = [dict(r) for r in conn.execute(
        "SELECT id, title, outlet, credited_source, lang, url, published, date_iso, utc_offset, duplicate_of, "
        f"substr(body, 1, {EVIDENCE_TEXT_CHARS}) AS lead FROM articles WHERE event_id = ? "
        "ORDER BY published IS NULL, published, id LIMIT ?",
        (event_id, EVENT_ARTICLE_LIMIT),
    )]
    ids = [a["id"] for a in articles]
    assumed = usual_offset(a["utc_offset"] for a in articles if a["published"])
    first = min((a for a in articles if a["published"]), key=lambda a: (moment(a, assumed), a["id"]),
                default={}).get("id")
    removed = _removed_spans(conn, ids)
    evidence = _evidence(conn, ids)
    names = entity_names(conn, (key for e in evidence.values() for key in e["detail"].get("shared_entities") or ()
                                if isinstance(key, str)))
    for a in articles:
        a["first_reporter"] = a["id"] == first
        a["removed"] = removed.get(a["id"], [])
        a["evidence"] = evidence.get(a["id"])
        lead = a.pop("lead") or ""
        if a["evidence"] is not None:  # names and terms as this article writes them, not as the grouping stems them
            a["evidence"]["detail"] = readable_evidence(a["evidence"]["detail"], f"{a['title'] or ''}\n{lead}",
                                                        names)
        a["copies"] = []
    by_id = {a["id"]: a for a in articles}
    originals = []
    for a in articles:
        origin = by_id.get(a["duplicate_of"] or "")
        if origin is not None and origin is not a:
            origin["copies"].append(a)
        else:
            originals.append(a)
    outlets: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in originals:
        outlets[a["outlet"] or "(unknown)"].append(a)
    earliest = {name: min((moment(a, assumed) for a in items if a["published"]), default=None)
                for name, items in outlets.items()}
    coverage = [{"outlet": name, "articles": items, "first": items[0]["published"]}
                for name, items in sorted(outlets.items(), key=lambda kv: (earliest[kv[0]] is None,
                                                                          earliest[kv[0]] or "", kv[0]))]
    event.update(
        coverage=coverage, n_articles=int(row["size"]), shown=len(articles),
        headlines=[{"outlet": c["outlet"], "title": c["articles"][0]["title"], "id": c["articles"][0]["id"]}
                   for c in coverage],
        statements=(statements := _statements(conn, "a.event_id = ?", (event_id,))),
        speakers=by_speaker(statements),
        entities=_event_entities(conn, event_id),
    )
    return event


def by_speaker(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Statements grouped by who made them, speakers in the order they first spoke, unattributed ones last.

    Why: an interview gives one speaker a dozen statements; one card each repeated the name a dozen times and
    hid the few other voices between them.
    """
    groups: dict[str, dict[str, Any]] = {}
    for statement in statements:
        key = statement["speaker"] or statement["speaker_name"] or ""
        group = groups.setdefault(key, {"speaker": statement["speaker"], "speaker_name": statement["speaker_name"],
                                        "first": statement["first"], "statements": []})
        group["statements"].append(statement)
    return sorted(groups.values(), key=lambda g: not (g["speaker"] or g["speaker_name"]))  # stable: order kept


def moment(article: Mapping[str, Any], assumed_offset: int = 0) -> str:
    """An article row's publication as a sortable UTC time ("2024-03-04T08:00"): "10:00+03:00" in Moscow comes
    before "08:30Z" in London; a time without a stated offset takes ``assumed_offset`` (the event's usual one,
    :func:`storyline.group.compare.usual_offset`); a day without a time stays as it is."""
    published = article["published"]
    if "T" not in published:
        return published
    return parse_date_guess(published, None, None, article.get("utc_offset")).moment(assumed_offset).isoformat(
        timespec="minutes")


def _removed_spans(conn: sqlite3.Connection, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for chunk in chunks(ids):
        for r in conn.execute(
            f"SELECT article_id, rule, text FROM removed_spans WHERE article_id IN ({marks(chunk)}) "
            "ORDER BY article_id, seq", chunk,
        ):
            out[r[0]].append({"rule": r[1], "text": r[2]})
    return dict(out)


def _evidence(conn: sqlite3.Connection, ids: list[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for chunk in chunks(ids):
        for r in conn.execute(
            f"SELECT article_id, score, evidence FROM event_evidence WHERE article_id IN ({marks(chunk)})", chunk
        ):
            try:
                data = json.loads(r[2] or "{}")
            except json.JSONDecodeError:
                data = {"raw": r[2]}
            out[r[0]] = {"score": r[1], "detail": data if isinstance(data, dict) else {"value": data}}
    return out


def _statements(conn: sqlite3.Connection, where: str, params: tuple[Any, ...], limit: int = 500) -> list[dict[str, Any]]:
    """Quotes grouped by statement (a quote without one is its own statement), each with every outlet's wording."""
    rows = conn.execute(
        "SELECT q.id, q.text, q.speaker, q.speaker_name, q.statement_id, q.kind, q.article_id, a.outlet, a.published, "
        f"a.event_id, a.title FROM quotes q JOIN articles a ON a.id = q.article_id WHERE {where} "
        "ORDER BY a.published IS NULL, a.published, q.article_id, q.start LIMIT ?", (*params, limit),
    ).fetchall()
    groups: dict[str, dict[str, Any]] = {}
    for r in rows:
        key = r["statement_id"] or r["id"]
        group = groups.setdefault(key, {
            "id": key, "speaker": r["speaker"], "speaker_name": r["speaker_name"], "first": r["published"],
            "event_id": r["event_id"], "wordings": [],
        })
        if not group["speaker_name"] and r["speaker_name"]:
            group["speaker"], group["speaker_name"] = r["speaker"], r["speaker_name"]
        group["wordings"].append({"quote_id": r["id"], "text": r["text"], "outlet": r["outlet"] or "(unknown)",
                                  "article_id": r["article_id"], "article_title": r["title"], "kind": r["kind"],
                                  "published": r["published"]})
    return list(groups.values())


def _event_entities(conn: sqlite3.Connection, event_id: str, limit: int = 50) -> list[dict[str, Any]]:
    return [
        {"key": r[0], "name": r[1] or r[0], "kind": r[2] or "", "mentions": int(r[3])}
        for r in conn.execute(
            "SELECT m.entity_key, en.name, en.kind, COUNT(*) AS n FROM articles a "
            "JOIN mentions m ON m.article_id = a.id LEFT JOIN entities en ON en.key = m.entity_key "
            "WHERE a.event_id = ? GROUP BY m.entity_key ORDER BY n DESC, m.entity_key LIMIT ?", (event_id, limit),
        )
    ]


def event_comparison(db_path: str, event_id: str, *, limit: int = COMPARE_ARTICLE_LIMIT,
                     embed: Embed | None = None) -> dict[str, Any] | None:
    """How each outlet covered the event (:func:`storyline.group.compare.compare_event`, what ``storyline compare``
    prints) over its first ``limit`` articles by date: who was first, who copied whom, what only one outlet says
    (with ``embed``, translations matched by meaning too).

    Why a limit: "only here" tests each sentence against every other outlet's, quadratic in the event's size;
    ``compared`` and ``n_articles`` say when an event was cut.
    """
    from storyline.store import SQLiteStore

    with SQLiteStore(db_path, readonly=True) as store:
        store.conn.execute("PRAGMA query_only = ON")
        event = store.event(event_id)
        if event is None:
            return None
        comparison = stored_comparison(store, event, limit=limit, embed=embed)
    return {**comparison, "n_articles": len(event.article_ids), "compared": comparison["articles"],
            "story_id": event.story_id}


def stored_comparison(store: SQLiteStore, event: Event, *, limit: int | None = None,
                      embed: Embed | None = None) -> dict[str, Any]:
    """:func:`~storyline.group.compare.compare_event` over a stored event's first ``limit`` articles by date (all
    of them without a limit): the one reading of an event's coverage behind the web app, the CLI and the API."""
    from storyline.group.compare import compare_event

    ids = event.article_ids
    if limit is not None:
        ids = [r[0] for r in store.conn.execute(
            "SELECT id FROM articles WHERE event_id = ? ORDER BY published IS NULL, published, id LIMIT ?",
            (event.id, limit))]
    articles = {a.id: a for a in store.iter_articles(ids)}
    duplicates = {a.id: a.duplicate_of for a in articles.values() if a.duplicate_of}
    return compare_event(event, articles, duplicates, embed=embed)


# ---------------------------------------------------------------------- entities and speakers
def entity_detail(conn: sqlite3.Connection, key: str, *, page: int = 1, events_page: int = 1,
                  limit: int = 100) -> dict[str, Any] | None:
    """A person or organisation: their statements over time and the events they appear in, ``limit`` of each
    per page (``page`` for statements, oldest first; ``events_page`` for events, newest first).

    Counts and the per-day sparkline cover every statement, not just the page shown: a statement counts on
    the day of its first quote.
    """
    row = conn.execute("SELECT * FROM entities WHERE key = ?", (key,)).fetchone()
    firsts = conn.execute(  # one row per statement of the speaker: (statement key, first publication)
        "SELECT COALESCE(q.statement_id, q.id) AS s, MIN(a.published) AS first FROM quotes q "
        "JOIN articles a ON a.id = q.article_id WHERE q.speaker = ? GROUP BY s "
        "ORDER BY first IS NULL, first, s", (key,)).fetchall()
    if row is None and not firsts:
        return None
    page, events_page = max(page, 1), max(events_page, 1)
    shown = [r["s"] for r in firsts[(page - 1) * limit : page * limit]]
    statements: list[dict[str, Any]] = []
    for chunk in chunks(shown):
        statements += _statements(conn, f"q.speaker = ? AND COALESCE(q.statement_id, q.id) IN ({marks(chunk)})",
                                  (key, *chunk), limit=1_000_000)
    order = {s: k for k, s in enumerate(shown)}
    statements.sort(key=lambda s: order[s["id"]])
    if row is not None:
        name = row["name"] or key
    else:  # a speaker without an entity row: the name of their earliest named quote, whatever the page
        named = conn.execute(
            "SELECT q.speaker_name FROM quotes q JOIN articles a ON a.id = q.article_id WHERE q.speaker = ? AND "
            "q.speaker_name IS NOT NULL ORDER BY a.published IS NULL, a.published, q.article_id, q.start LIMIT 1",
            (key,)).fetchone()
        name = named[0] if named else key
    entity = {"key": key, "name": name, "kind": row["kind"] if row else "",
              "aliases": json.loads(row["aliases"]) if row else [], "roles": json.loads(row["roles"]) if row else []}
    event_ids = {r[0] for r in conn.execute(
        "SELECT DISTINCT a.event_id FROM mentions m JOIN articles a ON a.id = m.article_id "
        "WHERE m.entity_key = ? AND a.event_id IS NOT NULL", (key,))}
    event_ids |= {r[0] for r in conn.execute(
        "SELECT DISTINCT a.event_id FROM quotes q JOIN articles a ON a.id = q.article_id "
        "WHERE q.speaker = ? AND a.event_id IS NOT NULL", (key,))}
    per_day: dict[str, int] = defaultdict(int)
    for r in firsts:
        if r["first"]:
            per_day[r["first"][:10]] += 1
    shown, n_events = events_page_of(conn, event_ids, events_page, limit)
    entity.update(statements=statements, n_statements=len(firsts), page=page, pages=page_count(len(firsts), limit),
                  events=shown, n_events=n_events,
                  events_page=events_page, events_pages=page_count(n_events, limit),
                  per_day=sorted(per_day.items()))
    return entity


def events_page_of(conn: sqlite3.Connection, event_ids: Iterable[str], page: int, limit: int
                   ) -> tuple[list[dict[str, Any]], int]:
    """One page of the stored events among ``event_ids``, newest first, ``limit`` per page (id, title, start, size,
    story_id and ``date``: the start's day, or the month and day when only those are known), and how many there
    are in all."""
    ordered = ids_newest_first(conn, event_ids)
    return event_rows(conn, ordered[(page - 1) * limit : page * limit]), len(ordered)


def ids_newest_first(conn: sqlite3.Connection, event_ids: Iterable[str]) -> list[str]:
    """The stored events among ``event_ids``, newest start first (undated last, then by id)."""
    starts: list[tuple[str, str]] = []
    for chunk in chunks(sorted(event_ids)):
        starts += conn.execute(f"SELECT start, id FROM events WHERE id IN ({marks(chunk)})", chunk).fetchall()
    return [event_id for _, event_id in sorted(starts, key=lambda row: (newest_first(row[0] or ""), row[1]))]


def event_rows(conn: sqlite3.Connection, event_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The events ``event_ids`` in that order, as :func:`events_page_of` lists them."""
    found = {}
    for chunk in chunks(list(event_ids)):  # a CLI page may be any size: at most 500 SQL variables per query
        found.update((r["id"], dict(r)) for r in conn.execute(
            f"SELECT id, title, start, size, story_id FROM events WHERE id IN ({marks(chunk)})", chunk))
    shown = [found[event_id] for event_id in event_ids if event_id in found]
    partial = partial_days(conn, [e["id"] for e in shown if not e["start"]])
    for e in shown:
        e["date"] = e["start"] or partial.get(e["id"])
    return shown


# ---------------------------------------------------------------------- articles
def article_detail(conn: sqlite3.Connection, article_id: str) -> dict[str, Any] | None:
    """One article with its body cut into segments marked as quote and/or entity mention."""
    row = conn.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
    if row is None:
        return None
    article = {k: row[k] for k in ("id", "title", "body", "raw", "outlet", "credited_source", "lang", "url",
                                   "published", "date_iso", "date_source", "utc_offset", "duplicate_of", "event_id",
                                   "origin")}
    if article["published"]:  # with its UTC offset when known: "…T14:50+02:00"
        article["published"] = parse_date_guess(article["published"], None, None, article["utc_offset"]).stamp
    quotes = [dict(r) for r in conn.execute(
        "SELECT id, start, end, text, speaker, speaker_name, statement_id, kind FROM quotes WHERE article_id = ? "
        "ORDER BY start", (article_id,))]
    mentions = [dict(r) for r in conn.execute(
        "SELECT m.entity_key, m.start, m.end, m.text, en.name, en.kind FROM mentions m "
        "LEFT JOIN entities en ON en.key = m.entity_key WHERE m.article_id = ? ORDER BY m.start", (article_id,))]
    event = conn.execute("SELECT id, title, story_id FROM events WHERE id = ?", (row["event_id"],)).fetchone()
    article.update(
        quotes=quotes, mentions=mentions, segments=highlight_segments(row["body"], quotes, mentions),
        removed=_removed_spans(conn, [article_id]).get(article_id, []),
        event=dict(event) if event else None,
    )
    return article


def highlight_segments(body: str, quotes: list[dict[str, Any]], mentions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Cut ``body`` at every quote and mention boundary; each piece says which quote/entity covers it.

    Offsets that do not point at their text (older extractors, edited bodies) are re-found by search or
    dropped, so a bad offset can never shift the highlighting onto the wrong words.
    """
    marks: list[tuple[int, int, str, str]] = []
    for q in quotes:
        span = _locate(body, q["start"], q["end"], q["text"])
        if span:
            marks.append((*span, "quote", q["id"]))
    for m in mentions:
        span = _locate(body, m["start"], m["end"], m["text"])
        if span:
            marks.append((*span, "entity", m["entity_key"]))
    cuts = sorted({0, len(body), *(s for s, _, _, _ in marks), *(e for _, e, _, _ in marks)})
    segments = []
    for left, right in zip(cuts, cuts[1:], strict=False):
        covering = [(kind, ref) for s, e, kind, ref in marks if s <= left and right <= e]
        segments.append({
            "text": body[left:right],
            "quote": next((ref for kind, ref in covering if kind == "quote"), None),
            "entity": next((ref for kind, ref in covering if kind == "entity"), None),
        })
    return segments


def _locate(body: str, start: int, end: int, text: str) -> tuple[int, int] | None:
    if 0 <= start < end <= len(body) and body[start:end] == text:
        return start, end
    if text and (found := body.find(text)) >= 0:
        return found, found + len(text)
    return None


# ---------------------------------------------------------------------- helpers
def marks(values: list[Any]) -> str:
    return ",".join("?" * len(values))


def chunks(values: list[str], size: int = 500) -> list[list[str]]:
    return [values[i: i + size] for i in range(0, len(values), size)]


def parse_day(text: str | None) -> str | None:
    """A ``YYYY-MM-DD`` filter value, or None when empty; a malformed one raises ``ValueError``."""
    if not text:
        return None
    return datetime.strptime(text.strip(), "%Y-%m-%d").date().isoformat()
