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
import re
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

PAGE_SIZE = 20
EVENT_ARTICLE_LIMIT = 500
SNIPPET_OPEN, SNIPPET_CLOSE = "\x02", "\x03"  # match markers that cannot come from stored text after escaping


class SearchSyntaxError(ValueError):
    """The user's search text is not a valid query; the message says how to fix it."""


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


def connect_readonly(db_path: str) -> sqlite3.Connection:
    """A read-only connection: the viewer can never change the store, even through a bug."""
    from pathlib import Path

    uri = f"file:{Path(db_path).resolve()}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=30.0, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA query_only = ON")
    return conn


# ---------------------------------------------------------------------- stories
def list_stories(
    conn: sqlite3.Connection, filters: StoryFilters | None = None, *, page: int = 1, sort: str = "rank",
    page_size: int = PAGE_SIZE,
) -> dict[str, Any]:
    """Stories ranked by recency and size (``sort``: ``rank`` | ``recent`` | ``size``), one page of them.

    ``rank`` discounts size by age relative to the newest story in the store (not the wall clock), so
    the order is the same whenever the page is opened.
    """
    filters = filters or StoryFilters()
    sizes = {r[0]: (int(r[1]), int(r[2])) for r in conn.execute(
        "SELECT story_id, SUM(size), COUNT(*) FROM events WHERE story_id IS NOT NULL GROUP BY story_id")}
    sql = "SELECT id, start, end FROM stories WHERE 1=1"
    params: list[Any] = []
    if filters.date_from:
        sql += " AND COALESCE(end, start) >= ?"
        params.append(filters.date_from)
    if filters.date_to:
        sql += " AND start <= ?"
        params.append(filters.date_to + "T99")
    allowed = _story_ids_matching(conn, filters)
    rows = [r for r in conn.execute(sql, params) if allowed is None or r["id"] in allowed]
    newest = max((_day_number(r["end"] or r["start"]) for r in rows if r["end"] or r["start"]), default=0)

    def key(row: sqlite3.Row) -> tuple[Any, ...]:
        size = sizes.get(row["id"], (0, 0))[0]
        when = row["end"] or row["start"] or ""
        if sort == "size":
            return (-size, _neg(when), row["id"])
        if sort == "recent":
            return (_neg(when), -size, row["id"])
        age = newest - _day_number(when) if when else 3650
        return (-(size / (1.0 + age / 30.0)), _neg(when), row["id"])

    rows.sort(key=key)
    total = len(rows)
    page = max(page, 1)
    chosen = [r["id"] for r in rows[(page - 1) * page_size: page * page_size]]
    details = _stories_by_id(conn, chosen)
    spark = _articles_per_day(conn, chosen)
    items = []
    for sid in chosen:
        story = details[sid]
        story["size"], story["n_events"] = sizes.get(sid, (0, 0))
        story["per_day"] = spark.get(sid, [])
        items.append(story)
    return {"items": items, "total": total, "page": page, "pages": max(1, -(-total // page_size)),
            "sort": sort, "filters": filters.active()}


def _neg(text: str) -> str:
    """Sort key that orders ISO strings newest first inside an ascending sort."""
    return "".join(chr(0x10FFFF - ord(c)) for c in text)


def _day_number(iso: str) -> int:
    try:
        return date.fromisoformat(iso[:10]).toordinal()
    except ValueError:
        return 0


def _story_ids_matching(conn: sqlite3.Connection, filters: StoryFilters) -> set[str] | None:
    """Stories with at least one article of the language/outlet/entity asked for (None: no such filter)."""
    clauses = []
    if filters.lang:
        clauses.append(("SELECT DISTINCT e.story_id FROM articles a JOIN events e ON e.id = a.event_id "
                        "WHERE a.lang = ? AND e.story_id IS NOT NULL", filters.lang))
    if filters.outlet:
        clauses.append(("SELECT DISTINCT e.story_id FROM articles a JOIN events e ON e.id = a.event_id "
                        "WHERE a.outlet = ? AND e.story_id IS NOT NULL", filters.outlet))
    if filters.entity:
        clauses.append(("SELECT DISTINCT e.story_id FROM mentions m JOIN articles a ON a.id = m.article_id "
                        "JOIN events e ON e.id = a.event_id WHERE m.entity_key = ? AND e.story_id IS NOT NULL",
                        filters.entity))
    result: set[str] | None = None
    for sql, value in clauses:
        found = {r[0] for r in conn.execute(sql, (value,))}
        result = found if result is None else result & found
    return result


def _stories_by_id(conn: sqlite3.Connection, ids: list[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    rows = conn.execute(f"SELECT * FROM stories WHERE id IN ({_marks(ids)})", ids)
    return {r["id"]: {"id": r["id"], "title": r["title"] or "(untitled story)", "start": r["start"], "end": r["end"],
                      "entities": json.loads(r["entities"] or "[]")} for r in rows}


def _articles_per_day(conn: sqlite3.Connection, story_ids: list[str]) -> dict[str, list[tuple[str, int]]]:
    if not story_ids:
        return {}
    out: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for r in conn.execute(
        "SELECT e.story_id, substr(a.published, 1, 10) AS day, COUNT(*) FROM events e "
        f"JOIN articles a ON a.event_id = e.id WHERE e.story_id IN ({_marks(story_ids)}) AND a.published IS NOT NULL "
        "GROUP BY e.story_id, day ORDER BY e.story_id, day", story_ids,
    ):
        out[r[0]].append((r[1], int(r[2])))
    return dict(out)


def filter_choices(conn: sqlite3.Connection, limit: int = 200) -> dict[str, list[Any]]:
    """Values for the filter drop-downs: languages and the busiest outlets."""
    langs = [r[0] for r in conn.execute("SELECT DISTINCT lang FROM articles WHERE lang IS NOT NULL ORDER BY lang")]
    outlets = [r[0] for r in conn.execute("SELECT DISTINCT outlet FROM articles WHERE outlet IS NOT NULL "
                                          "ORDER BY outlet LIMIT ?", (limit,))]
    return {"langs": langs, "outlets": outlets}


def story_detail(conn: sqlite3.Connection, story_id: str, *, page: int = 1, page_size: int = 100) -> dict[str, Any] | None:
    """A story with its events in date order and the article volume per day and outlet."""
    found = _stories_by_id(conn, [story_id])
    if not found:
        return None
    story = found[story_id]
    total = conn.execute("SELECT COUNT(*) FROM events WHERE story_id = ?", (story_id,)).fetchone()[0]
    rows = conn.execute(
        "SELECT * FROM events WHERE story_id = ? ORDER BY start IS NULL, start, id LIMIT ? OFFSET ?",
        (story_id, page_size, (max(page, 1) - 1) * page_size),
    ).fetchall()
    events = [_event_summary(conn, r) for r in rows]
    volume: dict[str, dict[str, int]] = defaultdict(dict)
    for r in conn.execute(
        "SELECT substr(a.published, 1, 10) AS day, COALESCE(a.outlet, '(unknown)') AS outlet, COUNT(*) "
        "FROM events e JOIN articles a ON a.event_id = e.id WHERE e.story_id = ? AND a.published IS NOT NULL "
        "GROUP BY day, outlet ORDER BY day, outlet", (story_id,),
    ):
        volume[r[0]][r[1]] = int(r[2])
    story.update(events=events, n_events=int(total), volume=dict(volume), page=max(page, 1),
                 pages=max(1, -(-int(total) // page_size)), size=sum(e["size"] for e in events))
    return story


def _event_summary(conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    """An event row plus its earliest article's lead, which stands in for a summary."""
    lead = conn.execute(
        "SELECT id, title, body FROM articles WHERE event_id = ? AND duplicate_of IS NULL "
        "ORDER BY published IS NULL, published, id LIMIT 1", (row["id"],),
    ).fetchone()
    return {
        "id": row["id"], "title": row["title"] or (lead["title"] if lead else "") or "(untitled event)",
        "start": row["start"], "end": row["end"], "size": int(row["size"]),
        "outlets": json.loads(row["outlets"] or "[]"), "story_id": row["story_id"],
        "summary": _lead_sentence(lead["body"]) if lead else "",
    }


def _lead_sentence(body: str, limit: int = 280) -> str:
    text = " ".join(body.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(". ", 0, limit)
    return text[: cut + 1] if cut > 80 else text[:limit].rstrip() + "…"


def list_events(conn: sqlite3.Connection, *, page: int = 1, page_size: int = PAGE_SIZE) -> dict[str, Any]:
    """All events, newest first: the way in when stories have not been built."""
    total = int(conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])
    rows = conn.execute(
        "SELECT * FROM events ORDER BY start IS NULL, start DESC, id LIMIT ? OFFSET ?",
        (page_size, (max(page, 1) - 1) * page_size),
    ).fetchall()
    return {"items": [_event_summary(conn, r) for r in rows], "total": total, "page": max(page, 1),
            "pages": max(1, -(-total // page_size))}


# ---------------------------------------------------------------------- events
def event_detail(conn: sqlite3.Connection, event_id: str) -> dict[str, Any] | None:
    """An event's coverage: outlets with their articles, copies folded, statements, entities, evidence."""
    row = conn.execute("SELECT * FROM events WHERE id = ?", (event_id,)).fetchone()
    if row is None:
        return None
    event = _event_summary(conn, row)
    articles = [dict(r) for r in conn.execute(
        "SELECT id, title, outlet, credited_source, lang, url, published, date_iso, duplicate_of "
        "FROM articles WHERE event_id = ? ORDER BY published IS NULL, published, id LIMIT ?",
        (event_id, EVENT_ARTICLE_LIMIT),
    )]
    ids = [a["id"] for a in articles]
    first = next((a["id"] for a in articles if a["published"]), None)
    removed = _removed_spans(conn, ids)
    evidence = _evidence(conn, ids)
    for a in articles:
        a["first_reporter"] = a["id"] == first
        a["removed"] = removed.get(a["id"], [])
        a["evidence"] = evidence.get(a["id"])
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
    coverage = [{"outlet": name, "articles": items, "first": items[0]["published"]}
                for name, items in outlets.items()]
    coverage.sort(key=lambda c: (c["first"] is None, c["first"] or "", c["outlet"]))
    event.update(
        coverage=coverage, n_articles=int(row["size"]), shown=len(articles),
        headlines=[{"outlet": c["outlet"], "title": c["articles"][0]["title"], "id": c["articles"][0]["id"]}
                   for c in coverage],
        statements=_statements(conn, "a.event_id = ?", (event_id,)),
        entities=_event_entities(conn, event_id),
    )
    return event


def _removed_spans(conn: sqlite3.Connection, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for chunk in _chunks(ids):
        for r in conn.execute(
            f"SELECT article_id, rule, text FROM removed_spans WHERE article_id IN ({_marks(chunk)}) "
            "ORDER BY article_id, seq", chunk,
        ):
            out[r[0]].append({"rule": r[1], "text": r[2]})
    return dict(out)


def _evidence(conn: sqlite3.Connection, ids: list[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(ids):
        for r in conn.execute(
            f"SELECT article_id, score, evidence FROM event_evidence WHERE article_id IN ({_marks(chunk)})", chunk
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


# ---------------------------------------------------------------------- entities and speakers
def entity_detail(conn: sqlite3.Connection, key: str, *, limit: int = 100) -> dict[str, Any] | None:
    """A person or organisation: their statements over time and the events they appear in."""
    row = conn.execute("SELECT * FROM entities WHERE key = ?", (key,)).fetchone()
    statements = _statements(conn, "q.speaker = ?", (key,), limit=limit * 5)
    if row is None and not statements:
        return None
    entity = {"key": key, "name": row["name"] if row else (statements[0]["speaker_name"] or key),
              "kind": row["kind"] if row else "", "aliases": json.loads(row["aliases"]) if row else [],
              "roles": json.loads(row["roles"]) if row else []}
    event_ids = [r[0] for r in conn.execute(
        "SELECT DISTINCT a.event_id FROM mentions m JOIN articles a ON a.id = m.article_id "
        "WHERE m.entity_key = ? AND a.event_id IS NOT NULL", (key,))]
    event_ids = sorted(set(event_ids) | {s["event_id"] for s in statements if s["event_id"]})
    events = []
    for chunk in _chunks(event_ids):
        events += [dict(r) for r in conn.execute(
            f"SELECT id, title, start, size, story_id FROM events WHERE id IN ({_marks(chunk)})", chunk)]
    events.sort(key=lambda e: (_neg(e["start"] or ""), e["id"]))
    per_day: dict[str, int] = defaultdict(int)
    for s in statements:
        if s["first"]:
            per_day[s["first"][:10]] += 1
    entity.update(statements=statements[:limit], n_statements=len(statements), events=events[:limit],
                  n_events=len(events), per_day=sorted(per_day.items()))
    return entity


# ---------------------------------------------------------------------- articles
def article_detail(conn: sqlite3.Connection, article_id: str) -> dict[str, Any] | None:
    """One article with its body cut into segments marked as quote and/or entity mention."""
    row = conn.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
    if row is None:
        return None
    article = {k: row[k] for k in ("id", "title", "body", "raw", "outlet", "credited_source", "lang", "url",
                                   "published", "date_iso", "date_source", "duplicate_of", "event_id", "origin")}
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


# ---------------------------------------------------------------------- search
_TOKEN = re.compile(r'"[^"]*"|"[^"]*$|\(|\)|[^\s()"]+')
_OPERATORS = {"AND", "OR", "NOT"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # SQLite ends strings at NUL; no control character is a search term


def fts_query(text: str) -> str:
    """Turn what the user typed into an FTS5 query, quoting every bare term.

    Phrases in double quotes, ``AND``/``OR``/``NOT``, parentheses and a trailing ``*`` (prefix search,
    useful for Russian endings: ``Песков*``) keep their meaning; anything else (``-``, ``:``, ``^``, column
    names) is treated as text. Unbalanced quotes or parentheses and dangling operators raise
    :class:`SearchSyntaxError` with a hint, instead of reaching SQLite.
    """
    tokens = _TOKEN.findall(_CONTROL.sub(" ", text).strip())
    if not tokens:
        raise SearchSyntaxError("Type one or more words to search for.")
    out: list[str] = []
    depth = 0
    expect_term = True
    for token in tokens:
        if token == "(":
            if not expect_term:
                out.append("AND")
            depth += 1
            out.append("(")
            expect_term = True
        elif token == ")":
            if depth == 0 or expect_term:
                raise SearchSyntaxError("A closing parenthesis has no matching opening one, or encloses nothing.")
            depth -= 1
            out.append(")")
            expect_term = False
        elif token in _OPERATORS:
            if expect_term:
                raise SearchSyntaxError(f"{token} needs a word or phrase before and after it.")
            out.append(token)
            expect_term = True
        else:
            if token.startswith('"'):
                if len(token) < 2 or not token.endswith('"'):
                    raise SearchSyntaxError('A phrase is missing its closing double quote (").')
                phrase = token[1:-1].strip()
                if not phrase:
                    raise SearchSyntaxError("An empty phrase (\"\") matches nothing; put words between the quotes.")
                term = _quote(phrase)
            else:
                prefix = token.endswith("*") and len(token.rstrip("*")) > 0
                word = token.rstrip("*")
                if not word:
                    raise SearchSyntaxError("A * must follow the beginning of a word, as in Kreml*.")
                term = _quote(word) + ("*" if prefix else "")
            if not expect_term:
                out.append("AND")
            out.append(term)
            expect_term = False
    if depth:
        raise SearchSyntaxError("An opening parenthesis is never closed.")
    if expect_term:
        raise SearchSyntaxError(f"{out[-1] if out else 'The query'} needs a word or phrase after it.")
    return " ".join(out)


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def search(conn: sqlite3.Connection, text: str, *, page: int = 1, page_size: int = PAGE_SIZE) -> dict[str, Any]:
    """Full-text search over titles, bodies and quotes; raises :class:`SearchSyntaxError` for a bad query."""
    query = fts_query(text)
    page = max(page, 1)
    try:
        rows = conn.execute(
            "SELECT kind, ref, snippet(search_fts, 2, ?, ?, '…', 12) AS t, snippet(search_fts, 3, ?, ?, '…', 24) AS b "
            "FROM search_fts WHERE search_fts MATCH ? ORDER BY rank LIMIT ? OFFSET ?",
            (SNIPPET_OPEN, SNIPPET_CLOSE, SNIPPET_OPEN, SNIPPET_CLOSE, query, page_size + 1, (page - 1) * page_size),
        ).fetchall()
    except sqlite3.OperationalError as exc:
        raise SearchSyntaxError(f"This search could not be understood ({_fts_reason(exc)}). "
                                "Try plain words, or a phrase in double quotes.") from exc
    has_next = len(rows) > page_size
    rows = rows[:page_size]
    article_ids = [r["ref"] for r in rows if r["kind"] == "article"]
    quote_ids = [r["ref"] for r in rows if r["kind"] == "quote"]
    articles = {r["id"]: dict(r) for r in conn.execute(
        f"SELECT id, title, outlet, published, lang, event_id FROM articles WHERE id IN ({_marks(article_ids)})",
        article_ids)} if article_ids else {}
    quotes = {r["id"]: dict(r) for r in conn.execute(
        "SELECT q.id, q.article_id, q.speaker, q.speaker_name, a.title, a.outlet, a.published, a.event_id "
        f"FROM quotes q JOIN articles a ON a.id = q.article_id WHERE q.id IN ({_marks(quote_ids)})",
        quote_ids)} if quote_ids else {}
    items = []
    for r in rows:
        base = articles.get(r["ref"]) if r["kind"] == "article" else quotes.get(r["ref"])
        if base is None:
            continue  # index entry of a row that has since been replaced
        items.append({"kind": r["kind"], "ref": r["ref"], "title_snippet": r["t"], "body_snippet": r["b"],
                      "article_id": base.get("article_id", base["id"]), "title": base["title"],
                      "outlet": base["outlet"], "published": base["published"], "event_id": base["event_id"],
                      "speaker": base.get("speaker"), "speaker_name": base.get("speaker_name")})
    return {"query": text, "fts": query, "items": items, "page": page, "has_next": has_next}


def _fts_reason(exc: sqlite3.OperationalError) -> str:
    message = str(exc)
    return message.removeprefix("fts5: ") if len(message) < 120 else "syntax error"


# ---------------------------------------------------------------------- helpers
def _marks(values: list[Any]) -> str:
    return ",".join("?" * len(values))


def _chunks(values: list[str], size: int = 500) -> list[list[str]]:
    return [values[i: i + size] for i in range(0, len(values), size)]


def day_range(first: str, last: str) -> list[str]:
    """Every ISO day from ``first`` to ``last`` inclusive (charts need the empty days too)."""
    start, end = date.fromisoformat(first[:10]), date.fromisoformat(last[:10])
    return [date.fromordinal(n).isoformat() for n in range(start.toordinal(), end.toordinal() + 1)]


def parse_day(text: str | None) -> str | None:
    """A ``YYYY-MM-DD`` filter value, or None when empty; a malformed one raises ``ValueError``."""
    if not text:
        return None
    return datetime.strptime(text.strip(), "%Y-%m-%d").date().isoformat()
