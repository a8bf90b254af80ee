"""The static HTML report and the JSON/CSV exports, over a real SQLite store."""

# ruff: noqa: F811 - test parameters named web_db receive the fixture imported from test_web_fixtures
from __future__ import annotations

import csv
import json
import re
from collections import Counter
from html import unescape
from pathlib import Path

from storyline.group.compare import UNKNOWN_OUTLET
from storyline.report.export import FORMULA_START, TABLES, export_csv, export_json, neutralise
from storyline.report.html import anchor, write_report
from storyline.store import SQLiteStore
from test_web_fixtures import (  # noqa: F401 - web_db is a fixture
    FORMULA,
    HOSTILE_OUTLET,
    HOSTILE_TITLE,
    SampleIds,
    build_sample_store,
    web_db,
)


def _report(db: Path, out: Path) -> str:
    with SQLiteStore(db, readonly=True) as store:
        path = write_report(store, out)
    assert path == out
    return out.read_text(encoding="utf-8")


def test_report_is_one_self_contained_file(web_db: SampleIds, tmp_path: Path) -> None:
    html = _report(web_db.db, tmp_path / "sub" / "report.html")
    assert list((tmp_path / "sub").iterdir()) == [tmp_path / "sub" / "report.html"]
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", html), "no external resource at view time"
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)
    assert csp and unescape(csp.group(1)).startswith("default-src 'none';"), "the file may fetch nothing"
    assert "<style>" in html and ".statement" in html, "the stylesheet is inlined"
    external = re.findall(r'href="(https?://[^"]+)"', html)
    assert external == ["https://www.rt.com/russia/519612-peskov/"], "only the articles' own source links"


def test_report_has_the_story_event_and_quote_views(web_db: SampleIds, tmp_path: Path) -> None:
    html = _report(web_db.db, tmp_path / "report.html")
    assert "The Kremlin on Russia–US relations" in html
    assert html.count('<svg class="timeline"') == 1 and '<svg class="spark"' in html
    positions = [html.index(f'id="{anchor("event", web_db.events[k])}"') for k in ("E2", "E1", "E3")]
    assert positions == sorted(positions), "events of the story in date order"
    assert f'href="#{anchor("event", web_db.events["E1"])}"' in html, "timeline and list link to the event"
    assert 'id="' + anchor("event", web_db.events["E4"]) + '"' in html, "events outside stories are shown too"
    assert "Никто не позволит Америке разговаривать с Россией с позиции силы" in html
    assert f'href="#{anchor("entity", "per:dmitry peskov")}"' in html, "speaker links go to the speaker section"
    assert "first report" in html and "Story Code : 924469" in html


def test_report_lists_the_outlets_with_their_figures(web_db: SampleIds, tmp_path: Path) -> None:
    html = _report(web_db.db, tmp_path / "report.html")
    assert 'href="#outlets"' in html and 'id="outlets"' in html
    section = html[html.index('id="outlets"'):]
    with SQLiteStore(web_db.db, readonly=True) as store:
        outlets = {r[0] for r in store.conn.execute("SELECT DISTINCT outlet FROM articles WHERE outlet IS NOT NULL")}
    shown = {unescape(m) for m in re.findall(r"<tr><td>([^<]*)</td>", section)}
    assert outlets <= shown and HOSTILE_OUTLET in outlets, "every publisher, the hostile name escaped"
    assert "first</em>: events it reported first" in section


def test_report_escapes_hostile_content(web_db: SampleIds, tmp_path: Path) -> None:
    html = _report(web_db.db, tmp_path / "report.html")
    assert "<script>alert" not in html and "<img src=x" not in html and "<b onmouseover" not in html
    assert 'href="javascript:' not in html.lower()
    assert len(re.findall(r"<script", html)) == 1, "only our own inline script"
    assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;" in html
    assert "&lt;b onmouseover=alert(2)&gt;evil&lt;/b&gt;" in html


def test_report_is_deterministic_and_handles_an_empty_store(web_db: SampleIds, tmp_path: Path) -> None:
    assert _report(web_db.db, tmp_path / "a.html") == _report(web_db.db, tmp_path / "b.html")
    SQLiteStore(tmp_path / "empty.db").close()
    empty = _report(tmp_path / "empty.db", tmp_path / "empty.html")
    assert "No stories yet." in empty and "0 articles" in empty


def test_export_json_holds_everything_sorted(web_db: SampleIds) -> None:
    with SQLiteStore(web_db.db, readonly=True) as store:
        data = export_json(store)
        again = export_json(store)
    assert list(data) == ["articles", "events", "stories", "quotes", "entities", "outlets"]
    assert json.dumps(data, ensure_ascii=False) == json.dumps(again, ensure_ascii=False)
    assert [a["id"] for a in data["articles"]] == sorted(web_db.articles.values())
    assert [e["id"] for e in data["events"]] == sorted(web_db.events.values())
    assert [s["id"] for s in data["stories"]] == [web_db.story]
    e1 = next(e for e in data["events"] if e["id"] == web_db.events["E1"])
    assert e1["story_id"] == web_db.story and len(e1["article_ids"]) == 5
    ria = next(a for a in data["articles"] if a["id"] == web_db.articles["ria"])
    assert ria["lang"] == "ru" and "per:dmitry peskov" in ria["entities"] and ria["event_id"] == web_db.events["E1"]
    iqna = next(a for a in data["articles"] if a["id"] == web_db.articles["iqna"])
    assert iqna["removed"] == [{"rule": "page-furniture", "text": "Story Code : 924469", "start": 10}]
    statements = {q["statement_id"] for q in data["quotes"]}
    assert "st-strength" in statements and len(data["quotes"]) == 8


def _cells(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_export_csv_neutralises_formulas(web_db: SampleIds, tmp_path: Path) -> None:
    with SQLiteStore(web_db.db, readonly=True) as store:
        paths = export_csv(store, tmp_path / "csv")
    assert [p.name for p in paths] == ["articles.csv", "events.csv", "stories.csv", "quotes.csv", "entities.csv",
                                       "outlets.csv"]
    articles = _cells(paths[0])
    assert len(articles) == len(web_db.articles)
    hostile = next(r for r in articles if r["id"] == web_db.articles["hostile"])
    assert hostile["credited_source"] == "'" + FORMULA, "the formula is kept as text"
    assert hostile["title"] == HOSTILE_TITLE and hostile["outlet"] == HOSTILE_OUTLET
    for path in paths:
        for row in _cells(path):
            for value in row.values():
                assert not value.startswith(FORMULA_START), (path.name, value)
    events = _cells(paths[1])
    e1 = next(r for r in events if r["id"] == web_db.events["E1"])
    assert e1["size"] == "5" and len(e1["article_ids"].split(";")) == 5


def test_exports_carry_each_events_headline_and_summary(sample_store_path: Path, tmp_path: Path) -> None:
    """The sample corpus through the real pipeline: the JSON and CSV exports give what the regroup stored."""
    with SQLiteStore(sample_store_path, readonly=True) as store:
        stored = {e.id: (e.title, e.summary) for e in store.events()}
        data = export_json(store)
        paths = export_csv(store, tmp_path / "csv")
    assert {e["id"]: (e["title"], e["summary"]) for e in data["events"]} == stored
    assert {r["id"]: (r["title"], r["summary"]) for r in _cells(paths[1])} == stored
    assert sum(bool(summary) for _, summary in stored.values()) >= len(stored) - 1


def test_neutralise() -> None:
    for risky in ("=1+1", "+1", "-2+3", "@SUM(A1)", "\t=x", "\r=x", "=cmd|' /C calc'!A0"):
        assert neutralise(risky) == "'" + risky
    for safe in ("Peskov", "", " =x is text", "1-2"):
        assert neutralise(safe) == safe
    assert neutralise(-3) == -3 and neutralise(None) is None and neutralise(0.5) == 0.5


def test_cli_report_and_export_use_these_functions(tmp_path: Path) -> None:
    from storyline.cli import main

    ids = build_sample_store(tmp_path / "cli.db")
    assert main(["report", "--db", str(ids.db), "--out", str(tmp_path / "r.html")]) == 0
    assert "The Kremlin on Russia–US relations" in (tmp_path / "r.html").read_text(encoding="utf-8")
    assert main(["export", "--db", str(ids.db), "--format", "json", "--out", str(tmp_path / "e.json")]) == 0
    assert set(json.loads((tmp_path / "e.json").read_text(encoding="utf-8"))) == {
        "articles", "events", "stories", "quotes", "entities", "outlets"}


def test_exports_stream_the_same_records_and_filter_by_event(sample_store_path: Path, tmp_path: Path) -> None:
    """The JSON document written record by record is byte for byte the in-memory one; JSON lines hold the same
    records; event filters keep the events that pass with their articles, quotes and (whole) stories."""
    import io

    from storyline.report.export import export_jsonl, write_json
    from storyline.store.sqlite import EventFilters

    with SQLiteStore(sample_store_path, readonly=True) as store:
        data = export_json(store)
        written = io.StringIO()
        write_json(store, written)
        lines = {p.stem: [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines()]
                 for p in export_jsonl(store, tmp_path / "all")}
        march = EventFilters(since="2024-03-01", until="2024-03-31")
        part = export_json(store, march)
        part_csv = export_csv(store, tmp_path / "march", march)
    assert written.getvalue() == json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"
    assert lines == data
    kept = [e for e in data["events"] if e["start"] and e["start"][:10] <= "2024-03-31"
            and (e["end"] or e["start"])[:10] >= "2024-03-01"]
    assert kept and len(kept) < len(data["events"]) and part["events"] == kept
    kept_ids = {e["id"] for e in kept}
    assert part["articles"] == [a for a in data["articles"] if a["event_id"] in kept_ids]
    articles = {a["id"] for a in part["articles"]}
    assert part["quotes"] == [q for q in data["quotes"] if q["article_id"] in articles] and part["quotes"]
    assert part["stories"] == [s for s in data["stories"] if set(s["event_ids"]) & kept_ids]
    assert [len(_cells(p)) for p in part_csv] == [len(part[t]) for t in TABLES]


def _figures_of(data: dict) -> tuple[dict, dict, dict]:
    """What an export's articles and quotes add up to: articles naming each entity, distinct statements per
    speaker, articles per publisher."""
    named = Counter(key for a in data["articles"] for key in a["entities"])
    said: dict[str, set[str]] = {}
    for q in data["quotes"]:
        if q["speaker"]:
            said.setdefault(q["speaker"], set()).add(q["statement_id"] or q["id"])
    published = Counter(a["outlet"] or UNKNOWN_OUTLET for a in data["articles"])
    return dict(named), {k: len(v) for k, v in said.items()}, dict(published)


def test_exported_entities_and_outlets_add_up_to_the_exported_articles(sample_store_path: Path, tmp_path: Path
                                                                      ) -> None:
    """Entities and outlets come with the figures of the Entities and Outlets pages, counted over the articles
    the export holds: all of them, or the events a filter keeps."""
    from storyline.store.sqlite import EventFilters
    from storyline.web.entities import list_entities
    from storyline.web.outlets import list_outlets

    with SQLiteStore(sample_store_path, readonly=True) as store:
        everything = export_json(store)
        march = export_json(store, EventFilters(since="2024-03-01", until="2024-03-31"))
        paths = export_csv(store, tmp_path / "march", EventFilters(since="2024-03-01", until="2024-03-31"))
        pages = {e["key"]: (e["articles"], e["statements"])
                 for e in list_entities(store.conn, page_size=10_000)["items"] if e["articles"] or e["statements"]}
        outlet_page = {o["outlet"]: o for o in list_outlets(store.conn, page_size=10_000)["items"]}
    assert {e["key"]: (e["articles"], e["statements"]) for e in everything["entities"]} == pages
    assert {o["outlet"]: {k: o[k] for k in outlet_page[o["outlet"]]} for o in everything["outlets"]} == outlet_page
    for data in (everything, march):
        named, said, published = _figures_of(data)
        assert {e["key"]: e["articles"] for e in data["entities"]} == named
        assert {e["key"]: e["statements"] for e in data["entities"] if e["statements"]} == said
        assert {o["outlet"]: o["articles"] for o in data["outlets"] if o["articles"]} == published
    assert 0 < len(march["entities"]) < len(everything["entities"]) and march["outlets"]
    rows = {r["key"]: r for r in _cells(paths[4])}
    assert {k: int(r["articles"]) for k, r in rows.items()} == {e["key"]: e["articles"] for e in march["entities"]}
    assert all(r["aliases"] == ";".join(e["aliases"]) for e in march["entities"] for r in [rows[e["key"]]])
    outlets = _cells(paths[5])
    assert [r["outlet"] for r in outlets] == [o["outlet"] for o in march["outlets"]]
    assert [json.loads(r["alongside"]) for r in outlets] == [o["alongside"] for o in march["outlets"]]
