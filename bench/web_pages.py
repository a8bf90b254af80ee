"""Time every web page on a 100k-article store: ``python bench/web_pages.py [--docs 100000] [--db FILE]``.

The store is built once (and reused while its article count matches) straight through
``SQLiteStore.add_articles`` / ``save_events`` / ``save_stories`` from the synthetic stream of
``bench/generate.py``: its gold events and stories become the store's events and stories, so sizes
follow that generator's heavy tail (a few events with dozens of articles, many singletons). Quotes,
speakers, entity mentions, removed page furniture, syndicated copies and evidence are derived from the
generated text, so every page has real work to do. The app runs under uvicorn on loopback and each page
is fetched with httpx: one first request (which may fill the app's story table, see ``StoryIndex``), then
``--repeat`` timed requests; the table shows the first, the median and the max.
The budget is 300 ms per page (issue 5).
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).parent))

import httpx  # noqa: E402
import uvicorn  # noqa: E402

from generate import ORGS, generate  # noqa: E402
from storyline.group.timeline import describe_events  # noqa: E402
from storyline.model import (  # noqa: E402
    Article,
    DateGuess,
    Entity,
    Event,
    Mention,
    Quote,
    RemovedSpan,
    Story,
    content_hash,
    stable_id,
)
from storyline.report.html import write_report  # noqa: E402
from storyline.store import SQLiteStore  # noqa: E402
from storyline.web.app import create_app, upgrade_store, warm  # noqa: E402

BUDGET_MS = 300.0
QUOTE = re.compile(r"[\"«]([^\"»]{8,})[\"»]")
PERSON = re.compile(r"\b([A-Z][a-z]{2,} [A-Z][a-z]{3,})\b")


def _entity_key(kind: str, name: str) -> str:
    return f"{kind}:{name.lower()}"


def _article(record: dict[str, str]) -> Article:
    """A stored article from one generated record: body without furniture, quotes, mentions."""
    lines = record["text"].split("\n")
    removed = []
    if len(lines) > 3 and lines[0] == lines[-1] and lines[0] != record["title"]:
        removed = [RemovedSpan(lines[0], "furniture", 0), RemovedSpan(lines[-1], "furniture", -1)]
        lines = lines[1:-1]
    body = "\n".join(lines[1:] if lines and lines[0] == record["title"] else lines)
    article_id = record["id"]
    people = sorted(set(PERSON.findall(body.split("\nBased on")[0])) - set(ORGS))
    speaker = people[0] if people else None
    quotes = [
        Quote(article_id, m.group(1), m.start(1), m.end(1), _entity_key("per", speaker) if speaker else None,
              speaker, "said", 0.8, statement_id=stable_id("st", record["event"], m.group(1)))
        for m in QUOTE.finditer(body)
    ]
    mentions, entities = [], {}
    for name in people:
        key = _entity_key("per", name)
        entities[key] = Entity(key, name, "PER")
        mentions += [Mention(key, name, m.start(), m.end()) for m in re.finditer(re.escape(name), body)]
    for org in ORGS:
        for m in re.finditer(re.escape(org), body):
            key = _entity_key("org", org)
            entities[key] = Entity(key, org, "ORG")
            mentions.append(Mention(key, org, m.start(), m.end()))
    mentions = sorted({(m.start, m.end): m for m in mentions}.values(), key=lambda m: m.start)
    return Article(
        id=article_id, title=record["title"], body=body, origin=f"bench:{article_id}", raw=record["text"],
        url=record["url"], outlet=record["outlet"], lang=record["lang"],
        date=DateGuess(datetime.fromisoformat(record["date"]), 0.9, "metadata", has_time=True),
        content_hash=content_hash(record["id"] + record["text"]), removed=removed,
        entities=sorted(entities.values(), key=lambda e: e.key), mentions=mentions, quotes=quotes,
    )


def build_store(path: Path, n_docs: int, batch: int = 2000) -> None:
    """Write ``n_docs`` generated articles with their gold events and stories into a new store."""
    path.unlink(missing_ok=True)
    members: dict[str, list[Article]] = defaultdict(list)
    story_of: dict[str, str] = {}
    started = time.perf_counter()
    with SQLiteStore(path) as store:
        pending: list[Article] = []
        first_body: dict[str, tuple[str, str]] = {}
        for record in generate(n_docs):
            article = _article(record)
            origin = first_body.setdefault(record["event"], (article.body.split("\nBased on")[0], article.id))
            if article.id != origin[1] and article.body.startswith(origin[0]):
                article.duplicate_of = origin[1]
            members[record["event"]].append(article)
            story_of[record["event"]] = record["story"]
            pending.append(article)
            if len(pending) == batch:
                store.add_articles(pending)
                pending = []
        store.add_articles(pending)
        print(f"articles written in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        events, evidence = [], {}
        items_of: dict[str, list[Article]] = {}
        by_story: dict[str, list[Event]] = defaultdict(list)
        for gold, items in members.items():
            dates = sorted(a.published for a in items if a.published)
            event = Event(stable_id("e", gold), sorted(a.id for a in items), items[0].title, dates[0], dates[-1],
                          sorted({a.outlet or "" for a in items}), story_id=stable_id("s", story_of[gold]))
            events.append(event)
            items_of[event.id] = items
            by_story[story_of[gold]].append(event)
            evidence.update({a.id: {"event_id": event.id, "score": 0.75, "shared": "title terms"} for a in items})
        describe_events(events, {a.id: a for items in members.values() for a in items})  # as a regroup does
        stories = []
        for gold, evs in by_story.items():
            evs.sort(key=lambda e: (e.start, e.id))
            people = Counter(m.entity_key for e in evs for a in items_of[e.id] for m in a.mentions)
            stories.append(Story(stable_id("s", gold), [e.id for e in evs], evs[0].title, evs[0].start, evs[-1].end,
                                 [k for k, _ in people.most_common(3)]))
        store.save_events(events, evidence)
        store.save_stories(stories)
    print(f"store built in {time.perf_counter() - started:.0f} s: {n_docs} articles, {len(events)} events, "
          f"{len(stories)} stories", file=sys.stderr)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pages(db: Path) -> list[tuple[str, str]]:
    """The pages to time, with ids picked from the store: biggest and typical story/event, busy entity."""
    with SQLiteStore(db, readonly=True) as store:
        conn = store.conn
        big_story = conn.execute("SELECT story_id FROM events GROUP BY story_id ORDER BY SUM(size) DESC LIMIT 1").fetchone()[0]
        big_event = conn.execute("SELECT id FROM events ORDER BY size DESC, id LIMIT 1").fetchone()[0]
        small_event = conn.execute("SELECT id FROM events WHERE size = 3 ORDER BY id LIMIT 1").fetchone()[0]
        article = conn.execute("SELECT article_id FROM quotes ORDER BY article_id LIMIT 1").fetchone()[0]
        busy = conn.execute("SELECT entity_key FROM mentions GROUP BY entity_key ORDER BY COUNT(*) DESC LIMIT 1").fetchone()[0]
        speaker = conn.execute("SELECT speaker FROM quotes WHERE speaker IS NOT NULL GROUP BY speaker "
                               "ORDER BY COUNT(*) DESC LIMIT 1").fetchone()[0]
        outlet = conn.execute("SELECT outlet FROM articles WHERE lang = 'ru' LIMIT 1").fetchone()[0]
        busy_name = conn.execute("SELECT name FROM entities WHERE key = ?", (busy,)).fetchone()[0]
    return [
        ("stories", "/"), ("stories page 50", "/?page=50"), ("stories by size", "/?sort=size"),
        ("stories lang=ru", "/?lang=ru"), ("stories outlet", "/?outlet=" + quote(outlet)),
        ("stories entity", "/?entity=" + quote(busy)), ("stories entity by name", "/?entity=" + quote(busy_name.upper())), ("stories 2021", "/?date_from=2021-01-01&date_to=2021-12-31"),
        ("events", "/events"), ("events page 500", "/events?page=500"),
        ("story (biggest)", f"/stories/{big_story}"), ("event (biggest)", f"/events/{big_event}"),
        ("event (3 articles)", f"/events/{small_event}"), ("compare (biggest event)", f"/events/{big_event}/compare"),
        ("article", f"/articles/{article}"),
        ("entity (busiest)", "/entities/" + quote(busy, safe="")),
        ("entity page 3", "/entities/" + quote(busy, safe="") + "?page=3&events_page=3"),
        ("speaker (busiest)", "/entities/" + quote(speaker, safe="")),
        ("search common", "/search?q=fire"), ("search phrase", "/search?q=%22fire+crews%22"),
        ("search ru", "/search?q=" + quote("пожар")), ("search prefix ru", "/search?q=" + quote("наводн*")),
        ("search page 20", "/search?q=fire&page=20"), ("search malformed (400)", "/search?q=%22fire"),
        ("search name EN+RU", "/search?q=Riga"), ("search name typed RU", "/search?q=" + quote("Вильнюсе")),
        ("api stories", "/api/stories"), ("api event", f"/api/events/{big_event}"),
        ("api search", "/api/search?q=fire"),
        ("entities", "/entities"), ("entities by name", "/entities?name=" + quote(busy_name[:5])),
        ("outlets", "/outlets"), ("outlets by first reports", "/outlets?sort=first"),
        ("outlet", "/outlets/" + quote(outlet, safe="")),
        ("outlets 2021", "/outlets?since=2021-01-01&until=2021-12-31"),
        ("outlet 2021", "/outlets/" + quote(outlet, safe="") + "?since=2021-01-01&until=2021-12-31"),
        ("outlets naming the busiest", "/outlets?entity=" + quote(busy)),
        ("api outlets", "/api/outlets"),
    ]


def time_startup(db: Path) -> float:
    """Milliseconds ``storyline serve`` spends reading every story once before it answers (see ``StoryIndex``)."""
    app = create_app(db)
    t0 = time.perf_counter()
    warm(app)
    return (time.perf_counter() - t0) * 1000


def time_report(db: Path, out: Path) -> tuple[float, int]:
    """Milliseconds to write the static report (capped at its story/event/speaker limits) and its size in bytes."""
    with SQLiteStore(db, readonly=True) as store:
        t0 = time.perf_counter()
        write_report(store, out)
        return (time.perf_counter() - t0) * 1000, out.stat().st_size


def time_pages(db: Path, repeat: int) -> list[tuple[str, str, int, float, float, float, int]]:
    """Each page: one first request, then ``repeat`` timed ones; the app is fresh, as ``create_app`` leaves it."""
    server = uvicorn.Server(uvicorn.Config(create_app(db), host="127.0.0.1", port=_free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{server.config.port}"
    rows = []
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            for name, url in pages(db):
                t0 = time.perf_counter()
                client.get(url)
                first = (time.perf_counter() - t0) * 1000
                times, response = [], None
                for _ in range(repeat):
                    t0 = time.perf_counter()
                    response = client.get(url)
                    times.append((time.perf_counter() - t0) * 1000)
                rows.append((name, url, response.status_code, first, statistics.median(times), max(times),
                             len(response.content)))
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/storyline-bench-web.db"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args(argv)
    need = args.rebuild or not args.db.exists()
    if not need:
        with SQLiteStore(args.db, readonly=True) as store:
            need = store.count_articles() != args.docs
    if need:
        build_store(args.db, args.docs)
    upgrade_store(args.db)  # as `storyline serve` does: a store built by an older version gains its indexes
    rows = time_pages(args.db, args.repeat)
    print(f"{'page':24} {'status':>6} {'first ms':>9} {'median ms':>10} {'max ms':>8} {'KB':>6}  url")
    for name, url, status, first, median, worst, size in rows:
        flag = "" if median <= BUDGET_MS else "  OVER BUDGET"
        print(f"{name:24} {status:>6} {first:>9.1f} {median:>10.1f} {worst:>8.1f} {size / 1024:>6.1f}  {url[:60]}{flag}")
    over = [r for r in rows if r[4] > BUDGET_MS]
    startup = time_startup(args.db)
    report_ms, report_bytes = time_report(args.db, args.db.with_suffix(".report.html"))
    print(f"\nstories and filter choices read once at startup (storyline serve does it before answering; "
          f"the bench's 'first' of / includes it): "
          f"{startup:.0f} ms")
    print(f"static report (storyline report): {report_ms:.0f} ms, {report_bytes / 1024 / 1024:.1f} MB")
    print(f"\n{len(rows)} pages, {len(over)} over the {BUDGET_MS:.0f} ms budget (median of {args.repeat})")
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
