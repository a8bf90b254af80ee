"""The web app over a real SQLite store: every page and API route, escaping, search errors, traversal."""

# ruff: noqa: F811 - test parameters named web_db receive the fixture imported from test_web_fixtures
from __future__ import annotations

import html as html_module
import itertools
import json
import re
import sqlite3
import threading
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape

from storyline.store import SQLiteStore
from storyline.web import queries, search, stories
from storyline.web.app import create_app, path_id, safe_url
from test_web_fixtures import (  # noqa: F401 - web_db is a fixture
    HOSTILE_OUTLET,
    HOSTILE_QUOTE,
    HOSTILE_TITLE,
    SampleIds,
    sample_articles,
    web_db,
)

PESKOV = "per:dmitry peskov"


@pytest.fixture(scope="module")
def client(web_db: SampleIds) -> TestClient:
    return TestClient(create_app(web_db.db), raise_server_exceptions=False)


def _pages(ids: SampleIds) -> list[str]:
    return [
        "/", "/events", f"/stories/{ids.story}", *(f"/events/{e}" for e in ids.events.values()),
        *(f"/articles/{a}" for a in ids.articles.values()), f"/entities/{path_id(PESKOV)}", "/entities",
        "/entities?kind=PER&name=%D0%9F%D0%B5%D1%81%D0%BA%D0%BE%D0%B2",
        "/search?q=Peskov", "/search?q=%D0%9F%D0%B5%D1%81%D0%BA%D0%BE%D0%B2", "/docs",
    ]


def test_every_page_renders_with_security_headers(client: TestClient, web_db: SampleIds) -> None:
    for url in _pages(web_db):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith("text/html"), url
        assert "script-src 'self'" in response.headers["content-security-policy"], url
        assert response.headers["x-content-type-options"] == "nosniff"


def test_every_api_route_returns_the_page_data(client: TestClient, web_db: SampleIds) -> None:
    stories = client.get("/api/stories").json()
    assert [s["id"] for s in stories["items"]] == [web_db.story]
    assert stories["items"][0]["size"] == 8 and stories["items"][0]["n_events"] == 3
    story = client.get(f"/api/stories/{web_db.story}").json()
    assert [e["id"] for e in story["events"]] == [web_db.events[k] for k in ("E2", "E1", "E3")]
    assert story["volume"]["2021-03-30"] == {"newsfront.example": 1, "ria.ru": 1, "rt.com": 1}
    events = client.get("/api/events").json()
    assert events["total"] == 4 and events["items"][0]["id"] == web_db.events["E3"]
    event = client.get(f"/api/events/{web_db.events['E1']}").json()
    assert event["n_articles"] == 5
    article = client.get(f"/api/articles/{web_db.articles['ria']}").json()
    assert article["lang"] == "ru" and article["quotes"][0]["statement_id"] == "st-strength"
    entity = client.get(f"/api/entities/{path_id(PESKOV)}").json()
    assert entity["name"] == "Dmitry Peskov"
    assert {e["id"] for e in entity["events"]} == {web_db.events[k] for k in ("E1", "E2", "E3")}
    found = client.get("/api/search", params={"q": "strength"}).json()
    assert {i["kind"] for i in found["items"]} == {"article", "quote"}
    schema = client.get("/openapi.json").json()
    api_paths = {p for p in schema["paths"] if p.startswith("/api/")}
    assert api_paths == {"/api/stories", "/api/events", "/api/stories/{story_id}", "/api/events/{event_id}",
                         "/api/events/{event_id}/compare", "/api/entities", "/api/entities/{key}",
                         "/api/articles/{article_id}", "/api/search", "/api/outlets", "/api/outlets/{name}"}
    outlets = {o["outlet"]: o for o in client.get("/api/outlets").json()["items"]}
    assert outlets["ria.ru"]["first_reports"] >= 1 and outlets["newsfront.example"]["copies"] == 1
    assert client.get("/api/outlets/rt.com").json()["copied_by"] == [{"outlet": "newsfront.example", "count": 1}]
    people = client.get("/api/entities", params={"kind": "PER"}).json()
    assert people["items"][0]["key"] == PESKOV and people["items"][0]["statements"] > 0
    docs = client.get("/docs").text
    assert all(path in docs for path in api_paths)
    assert "cdn" not in docs.lower() and "<script src=\"http" not in docs


def test_event_page_shows_coverage_first_reporter_copies_statements(client: TestClient,
                                                                    web_db: SampleIds) -> None:
    event = client.get(f"/api/events/{web_db.events['E1']}").json()
    top_level = [a["id"] for c in event["coverage"] for a in c["articles"]]
    assert web_db.articles["rt_copy"] not in top_level, "a syndicated copy is folded under its origin"
    rt = next(a for c in event["coverage"] for a in c["articles"] if a["id"] == web_db.articles["rt"])
    assert [c["id"] for c in rt["copies"]] == [web_db.articles["rt_copy"]]
    firsts = [a["id"] for c in event["coverage"] for a in c["articles"] if a["first_reporter"]]
    assert firsts == [web_db.articles["ria"]], "ria.ru published at 09:00, before rt.com at 11:49"
    assert event["coverage"][0]["outlet"] == "ria.ru"
    strength = next(s for s in event["statements"] if s["id"] == "st-strength")
    assert sorted(w["outlet"] for w in strength["wordings"]) == [
        "newsfront.example", "ria.ru", "rt.com", "russia-islworld.ru"]
    assert strength["speaker"] == PESKOV
    assert [(g["speaker"], [st["id"] for st in g["statements"]]) for g in event["speakers"]] == [
        (PESKOV, ["st-strength", "st-neither"])], "one speaker, named once, his statements in the order made"
    assert {h["outlet"] for h in event["headlines"]} == {"ria.ru", "rt.com", "iqna.ir", "russia-islworld.ru"}
    html = client.get(f"/events/{web_db.events['E1']}").text
    assert html.count('class="statement speaker-block"') == 1 and html.count('<ul class="variants"') == 1
    removed = "".join(re.findall(r'<details class="removed">.*?</details>', html, re.S))
    assert "Story Code : 924469" in removed and "READ MORE" in removed, "removed spans are shown, collapsed"
    assert '<details class="evidence">' in html and "shares entities with E1" in html
    evidence = "".join(re.findall(r'<details class="evidence">.*?</details>', html, re.S))
    assert "days_apart 3.5" in evidence and "time_factor 0.81" in evidence, "a nested link reads as key value"
    assert re.search(r'<dt>linked_across_days</dt><dd><span class="kv">article <a href="/articles/[^"]+">', evidence)
    assert re.search(r'<dt>similar_to</dt><dd><a href="/articles/[^"]+">', evidence), "linked ids are links"
    assert "['" not in html_module.unescape(evidence) and "per:dmitry peskov" in evidence, "a list reads as text"
    why = re.search(r'<ul class="why">(.*?)</ul>', evidence, re.S)
    assert "<li>shared names: Dmitry Peskov, Kremlin</li>" in evidence, "names as the article writes them"
    assert "<li>shared entities: Dmitry Peskov</li>" in evidence, "entities by name, not key"
    assert why and re.search(r'<li>closest report: <a href="/articles/[^"]+">', why.group(1)), "the evidence in words"
    assert re.search(r'<li>across days: <a href="/articles/[^"]+">[^<]+</a>, 3.5 days apart \(time factor 0.81\)</li>',
                     why.group(1))
    assert re.search(r'<li>closest elsewhere: <a href="/articles/[^"]+">[^<]+</a> in <a href="/events/[^"]+">[^<]+</a>: '
                     r'pair score 0.09 \(lexical 0.15, time factor 0.60, counts differ: somal: 26 / 23\)</li>', evidence)
    assert html.count("<details class=\"copies\">") == 1
    assert "Никто не позволит Америке" in html and "speak with Russia from a position of strength" in html


def test_story_page_draws_the_timeline_and_lists_events_in_date_order(client: TestClient,
                                                                      web_db: SampleIds) -> None:
    html = client.get(f"/stories/{web_db.story}").text
    svg = re.search(r'<svg class="timeline".*?</svg>', html, re.S)
    assert svg, "the story page has a timeline chart"
    markers = re.findall(r'<a href="/events/([a-z0-9]+)" class="marker"', svg.group(0))
    assert sorted(markers) == sorted(web_db.events[k] for k in ("E1", "E2", "E3"))
    assert "<rect" in svg.group(0), "article volume bars"
    rows = re.findall(r'id="event-row-([a-z0-9]+)"', html)
    assert rows == [web_db.events[k] for k in ("E2", "E1", "E3")]


def test_stories_filters(client: TestClient, web_db: SampleIds) -> None:
    def ids(**params: str) -> list[str]:
        return [s["id"] for s in client.get("/api/stories", params=params).json()["items"]]

    assert ids(lang="ru") == [web_db.story]
    assert ids(lang="de") == []
    assert ids(outlet="rbc.ru") == [web_db.story]
    assert ids(outlet="lsm.lv") == [], "the Riga event belongs to no story"
    assert ids(entity=PESKOV) == [web_db.story]
    assert ids(entity="per:nobody") == []
    assert ids(date_from="2023-01-01") == []
    assert ids(date_from="2021-01-01", date_to="2021-02-01") == [web_db.story]
    assert ids(date_to="2020-12-31") == []
    for sort in ("rank", "recent", "size", "bogus"):
        assert ids(sort=sort) == [web_db.story]
    assert client.get("/api/stories", params={"date_from": "30/03/2021"}).status_code == 400
    page = client.get("/", params={"date_from": "yesterday"})
    assert page.status_code == 400 and "YYYY-MM-DD" in page.text
    html = client.get("/").text
    assert '<svg class="spark"' in html and "<polyline" in html


def test_entity_page_shows_statements_over_time(client: TestClient, web_db: SampleIds) -> None:
    entity = client.get(f"/api/entities/{path_id(PESKOV)}").json()
    firsts = [s["first"] for s in entity["statements"] if s["first"]]
    assert firsts == sorted(firsts), "statements in time order"
    assert entity["n_statements"] == 4  # strength, neither, dialogue, hegemonism
    html = client.get(f"/entities/{path_id(PESKOV)}").text
    assert "Kremlin spokesman" in html and "Америка должна отказаться от гегемонизма" in html
    heads = re.findall(r'<div class="speaker">(.*?)<span class="muted">', html, re.S)
    assert len(heads) == 4 and not any(h.strip() for h in heads), "his own page does not repeat his name per card"


def test_entity_statements_and_events_are_paged_with_counts_over_all_of_them(client: TestClient,
                                                                             web_db: SampleIds) -> None:
    conn = queries.connect_readonly(web_db.db)
    whole = queries.entity_detail(conn, PESKOV)  # one page (100) holds everything here
    pages = [queries.entity_detail(conn, PESKOV, page=n, events_page=n, limit=1) for n in (1, 2, 3, 4, 5)]
    assert [len(p["statements"]) for p in pages] == [1, 1, 1, 1, 0]
    assert [s["id"] for p in pages for s in p["statements"]] == [s["id"] for s in whole["statements"]]
    assert [e["id"] for p in pages for e in p["events"]] == [e["id"] for e in whole["events"]][:5]
    assert all((p["n_statements"], p["pages"], p["per_day"]) == (4, 4, whole["per_day"]) for p in pages)
    assert all(p["n_events"] == whole["n_events"] for p in pages)
    assert sum(n for _, n in whole["per_day"]) == 4

    second = client.get(f"/api/entities/{path_id(PESKOV)}?page=2").json()
    assert second["page"] == 2 and second["statements"] == [] and second["n_statements"] == 4
    html = client.get(f"/entities/{path_id(PESKOV)}?page=2").text
    assert "No statements on this page." in html
    assert f'href="/entities/{path_id(PESKOV)}?events_page=1&amp;page=1"' in html  # back to the first page
    assert client.get(f"/entities/{path_id(PESKOV)}?events_page=0").status_code == 400  # a clear error page


def test_compare_page_shows_what_storyline_compare_prints(client: TestClient, web_db: SampleIds,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from storyline.cli import main

    e1 = web_db.events["E1"]
    assert main(["compare", e1, "--json", "--db", str(web_db.db)]) == 0
    printed = json.loads(capsys.readouterr().out)
    api = client.get(f"/api/events/{e1}/compare?meaning=true").json()
    assert {k: api[k] for k in printed} == printed, "the web app and the CLI share compare_event"
    assert main(["compare", e1, "--json", "--words-only", "--db", str(web_db.db)]) == 0
    by_words = json.loads(capsys.readouterr().out)
    api = client.get(f"/api/events/{e1}/compare").json()
    assert {k: api[k] for k in by_words} == by_words, "without ?meaning the page matches by words, as --words-only"
    assert (api["compared"], api["n_articles"]) == (5, 5)
    copies = {k["article_id"]: k["how"] for o in api["origins"] for k in o["copies"]}
    assert copies[web_db.articles["rt_copy"]] == "near-duplicate"
    assert copies[web_db.articles["islworld"]] == "credits TASS"

    html = client.get(f"/events/{e1}/compare").text
    assert api["cross_language"] == "words" and '<a href="?meaning=1">Match translations by meaning</a>' in html
    with_meaning = client.get(f"/events/{e1}/compare?meaning=1").text
    assert "translations matched by meaning" in with_meaning and "?meaning=1" not in with_meaning
    assert f'<a href="/articles/{web_db.articles["rt_copy"]}">' in html and "near-duplicate" in html
    assert "credits TASS" in html
    own = [s for o in api["only_here"] for s in o["sentences"]]
    assert own and all(str(escape(s)) in html for s in own)
    assert f'href="/events/{e1}/compare"' in client.get(f"/events/{e1}").text
    assert client.get("/events/e-no-such-event/compare").status_code == 404
    assert client.get("/api/events/e-no-such-event/compare").status_code == 404


def test_article_page_highlights_quotes_and_entities_and_keeps_the_original(client: TestClient,
                                                                            web_db: SampleIds) -> None:
    html = client.get(f"/articles/{web_db.articles['rt']}").text
    strength = "No one will allow America to speak with Russia from a position of strength"
    assert re.search(r'<mark class="quote" data-quote="q[0-9a-f]+">' + re.escape(strength) + "</mark>", html)
    assert f'<a class="ent" href="/entities/{path_id(PESKOV)}">Dmitry Peskov</a>' in html
    original = re.search(r'<details class="original" id="original"><summary>Original text</summary><pre>(.*?)</pre>',
                         html, re.S)
    assert original and original.group(1).startswith("icon bookmark-bicon"), "the raw input, one click away"


def test_segments_join_back_to_the_body_and_survive_bad_offsets() -> None:
    body = "Peskov said: “We are ready.” Peskov left."
    quotes = [{"id": "q1", "start": 14, "end": 27, "text": "We are ready."},
              {"id": "q2", "start": 500, "end": 510, "text": "not in the body"}]
    mentions = [{"entity_key": "per:p", "start": 0, "end": 6, "text": "Peskov"},
                {"entity_key": "per:p", "start": 3, "end": 9, "text": "Peskov"}]  # wrong offsets: re-found
    segments = queries.highlight_segments(body, quotes, mentions)
    assert "".join(s["text"] for s in segments) == body
    assert [s["text"] for s in segments if s["quote"]] == ["We are ready."]
    assert [s["text"] for s in segments if s["entity"]] == ["Peskov"]


@given(st.text(max_size=60), st.lists(st.tuples(st.integers(-5, 70), st.integers(-5, 70), st.text(max_size=8)),
                                      max_size=5))
@settings(max_examples=150, deadline=None)
def test_segments_always_cover_the_body_exactly(body: str, spans: list[tuple[int, int, str]]) -> None:
    quotes = [{"id": f"q{i}", "start": s, "end": e, "text": t} for i, (s, e, t) in enumerate(spans)]
    segments = queries.highlight_segments(body, quotes, [])
    assert "".join(s["text"] for s in segments) == body
    for s in segments:
        assert s["text"] or not body


def test_search_in_english_and_russian(client: TestClient, web_db: SampleIds) -> None:
    def refs(q: str) -> set[str]:
        response = client.get("/api/search", params={"q": q})
        assert response.status_code == 200, (q, response.text)
        return {i["article_id"] for i in response.json()["items"]}

    assert refs("position strength") >= {web_db.articles["rt"], web_db.articles["rt_copy"]}
    assert refs('"position of strength"') >= {web_db.articles["rt"]}
    assert refs("позиции силы") == {web_db.articles["ria"]}
    assert refs('"песков"') == {web_db.articles["ria"], web_db.articles["rbc"]}, "case-folded Cyrillic, as written"
    both = refs("песков")
    assert both > {web_db.articles["ria"], web_db.articles["rbc"]} and web_db.articles["rt"] in both, (
        "a name the store's entities write in both scripts is searched in both")
    assert client.get("/api/search", params={"q": "Песков"}).json()["names"] == ["Dmitry Peskov"]
    with sqlite3.connect(web_db.db) as conn:
        assert search.store_names(conn, "песков")("песков") == ("Dmitry Peskov", ["Dmitry Peskov"]), (
            "names only: the alias 'the Kremlin spokesman' is a description")
        assert search.store_names(conn, "Riga flood")("Riga") is None, "a name written one way only adds nothing"
    assert refs("гегемонизм*") == {web_db.articles["rbc"]}, "prefix search for Russian endings"
    assert refs("Riga OR гегемонизма") == {web_db.articles["riga"], web_db.articles["rbc"]}
    assert web_db.articles["riga"] not in refs("flood NOT Riga")
    html = client.get("/search", params={"q": "Riga"}).text
    assert "<mark>Riga</mark>" in html


@pytest.mark.parametrize("query", ['"unclosed phrase', "(Peskov", "Peskov)", "Peskov AND", "OR Peskov", "NOT",
                                  "()", '""', "*", "   "])
def test_malformed_search_is_a_friendly_400(client: TestClient, query: str) -> None:
    page = client.get("/search", params={"q": query})
    if not query.strip():
        assert page.status_code == 200, "an empty search box is just the search page"
        return
    assert page.status_code == 400
    assert '<p class="error" role="alert">' in page.text
    api = client.get("/api/search", params={"q": query})
    assert api.status_code == 400 and api.json()["detail"]


@pytest.mark.parametrize("query", ["title:Peskov", "-Peskov", "Peskov^2", "NEAR(a b)", "'; DROP TABLE articles; --",
                                   "a:b:c", "{title body}: x", "%", "\\", "\x00", "Песков*ов", "AND*"])
def test_odd_search_input_is_taken_as_text_and_never_breaks_the_query(client: TestClient, web_db: SampleIds,
                                                                     query: str) -> None:
    response = client.get("/api/search", params={"q": query})
    assert response.status_code in (200, 400), response.text
    with SQLiteStore(web_db.db, readonly=True) as store:
        assert store.count_articles() == len(web_db.articles)


@given(st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_any_text_becomes_a_valid_fts_query_or_a_syntax_error(text: str) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')")
    conn.execute("INSERT INTO t VALUES ('Peskov said no one will talk to Russia like this')")
    try:
        query = search.fts_query(text)
    except search.SearchSyntaxError:
        return
    conn.execute("SELECT * FROM t WHERE t MATCH ?", (query,)).fetchall()


def _assert_inert(html: str) -> None:
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "<b onmouseover" not in html
    assert 'href="javascript:' not in html.lower()
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/app.js">'], "only our own script"


def test_hostile_content_renders_as_text_everywhere(client: TestClient, web_db: SampleIds) -> None:
    hostile = web_db.articles["hostile"]
    pages = [f"/articles/{hostile}", f"/events/{web_db.events['E2']}", f"/stories/{web_db.story}", "/events",
             f"/entities/{path_id(PESKOV)}", "/search?q=alert", "/search?q=script", "/search?q=evil",
             "/search?q=%3Cscript%3Ealert(1)%3C/script%3E"]
    for url in pages:
        response = client.get(url)
        assert response.status_code in (200, 400), url
        _assert_inert(response.text)
    article = client.get(f"/articles/{hostile}").text
    assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;" in article
    assert "url: javascript:alert(3)" in article, "a javascript: URL is shown as text, not a link"
    event = client.get(f"/events/{web_db.events['E2']}").text
    assert "&lt;b onmouseover=alert(2)&gt;evil&lt;/b&gt;" in event
    assert "&lt;script&gt;alert(&#34;quote&#34;)&lt;/script&gt; is what they said" in event
    data = client.get(f"/api/articles/{hostile}").json()
    assert (data["title"], data["outlet"], data["quotes"][0]["text"]) == (HOSTILE_TITLE, HOSTILE_OUTLET, HOSTILE_QUOTE)


def test_safe_url_only_keeps_web_links() -> None:
    assert safe_url("https://www.rt.com/a") == "https://www.rt.com/a"
    assert safe_url(" http://x.org ") == "http://x.org"
    for bad in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "data:text/html,<b>",
                "vbscript:x", "//evil.example/x", "", None, "http://[::1"):
        assert safe_url(bad) is None, bad


@pytest.mark.parametrize("path", ["/static/%2e%2e/app.py", "/static/..%2fapp.py", "/static/%2e%2e%2f%2e%2e%2fmodel.py",
                                  "/static/..%5capp.py", "/static/%2e%2e/templates/base.html",
                                  "/static//etc/passwd", "/static/%2fetc%2fpasswd"])
def test_static_files_never_leave_the_static_folder(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404, path
    assert "import" not in response.text and "root:" not in response.text


def test_static_assets_are_served(client: TestClient) -> None:
    assert client.get("/static/style.css").status_code == 200
    assert "use strict" in client.get("/static/app.js").text


def test_unknown_ids_are_404_pages_and_json(client: TestClient) -> None:
    for kind in ("stories", "events", "articles", "entities"):
        page = client.get(f"/{kind}/nope")
        assert page.status_code == 404 and "Not found" in page.text
        api = client.get(f"/api/{kind}/nope")
        assert api.status_code == 404 and "No " in api.json()["detail"]
    assert client.get("/?page=0").status_code == 400
    assert client.get("/api/events?page=abc").status_code == 400


def test_app_refuses_a_missing_store(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        create_app(tmp_path / "absent.db")


def test_pages_work_on_an_empty_store(tmp_path: Path) -> None:
    SQLiteStore(tmp_path / "empty.db").close()
    client = TestClient(create_app(tmp_path / "empty.db"), raise_server_exceptions=False)
    for url in ("/", "/events", "/search?q=anything", "/docs", "/api/stories", "/api/events"):
        assert client.get(url).status_code == 200, url
    assert "all events" in client.get("/").text


def test_reading_while_an_ingest_writes_gives_no_errors(tmp_path: Path) -> None:
    """Issue 7 §3 in small: the app reads committed data while another connection keeps writing."""
    from test_web_fixtures import build_sample_store

    ids = build_sample_store(tmp_path / "busy.db")
    client = TestClient(create_app(ids.db), raise_server_exceptions=False)
    template = sample_articles()["riga"]
    stop = threading.Event()
    written: list[int] = []

    def write() -> None:
        with SQLiteStore(ids.db) as store:
            n = 0
            while not stop.is_set() and n < 400:
                batch = []
                for _ in range(5):
                    n += 1
                    copy = sample_articles()["riga"]
                    copy.id, copy.content_hash = f"{template.id}-{n}", f"{template.content_hash}-{n}"
                    batch.append(copy)
                store.add_articles(batch)
                written.append(n)

    writer = threading.Thread(target=write)
    writer.start()
    statuses = []
    try:
        for i in range(60):
            url = ("/", f"/events/{ids.events['E4']}", "/api/search?q=Riga", f"/articles/{ids.articles['riga']}")[i % 4]
            statuses.append(client.get(url).status_code)
    finally:
        stop.set()
        writer.join()
    assert written, "the writer made progress while the app was reading"
    assert set(statuses) == {200}


def test_story_index_reloads_after_the_store_changes(tmp_path: Path) -> None:
    from test_web_fixtures import build_sample_store

    ids = build_sample_store(tmp_path / "index.db")
    fresh, lagging = stories.StoryIndex(str(ids.db), min_age=0.0), stories.StoryIndex(str(ids.db), min_age=3600.0)
    try:
        assert list(fresh.table().rows) == [ids.story] == list(lagging.table().rows)
        same = fresh.table()
        assert fresh.table() is same, "no change, no reload"
        with SQLiteStore(ids.db) as store:
            store.save_stories([])
        assert list(fresh.table().rows) == [], "a change is noticed"
        assert list(lagging.table().rows) == [ids.story], "a young table is kept during an ingest"
    finally:
        fresh.close()
        lagging.close()


def test_tables_per_filter_are_read_once_and_the_least_recent_is_dropped(tmp_path: Path) -> None:
    """The outlet figures of a filter are read on its first request only (paging through the list, opening an
    outlet and coming back reuse them), while a store change and an evicted filter read them again."""
    from test_web_fixtures import build_sample_store

    ids = build_sample_store(tmp_path / "caches.db")
    reads: list[str] = []

    def load(conn: sqlite3.Connection, key: str) -> int:
        reads.append(key)
        return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])

    caches = stories.TableCaches(str(ids.db), load, size=2, min_age=0.0)
    try:
        counted = caches.table("march")
        assert caches.table("march") == counted and caches.table("april") == counted and caches.table("march")
        assert reads == ["march", "april"]
        caches.table("may")  # three filters, two kept: April, the least recently used, goes
        caches.table("march")
        caches.table("april")
        assert reads == ["march", "april", "may", "april"]
        with SQLiteStore(ids.db) as store, store.transaction():
            store.conn.execute("DELETE FROM articles WHERE id = ?", (ids.articles["ria"],))
        assert caches.table("april") == counted - 1 and reads[-1] == "april"
    finally:
        caches.close()


# ---------------------------------------------------------------------- the sample corpus through the real pipeline
@pytest.fixture(scope="module")
def sample_client(sample_store_path: Path) -> TestClient:
    return TestClient(create_app(sample_store_path), raise_server_exceptions=False)


def _all_story_ids(client: TestClient, **params: str) -> set[str]:
    found: set[str] = set()
    page = 1
    while True:
        data = client.get("/api/stories", params={**params, "page": str(page)}).json()
        found |= {s["id"] for s in data["items"]}
        if page >= data["pages"]:
            assert len(found) == data["total"], params
            return found
        page += 1


def test_sample_story_pages_show_the_timeline_headlines_and_summaries(sample_client: TestClient,
                                                                      sample_store_path: Path) -> None:
    """What `storyline timeline` prints for each event of a story is what its page shows, stored by the regroup."""
    import io
    from contextlib import redirect_stdout

    from storyline.cli import main

    story_ids = _all_story_ids(sample_client)
    checked = 0
    for story_id in sorted(story_ids):
        out = io.StringIO()
        with redirect_stdout(out):
            assert main(["timeline", story_id, "--db", str(sample_store_path), "--json"]) == 0
        entries = {e["event_id"]: e for e in json.loads(out.getvalue())["entries"]}
        shown = {e["id"]: e for e in sample_client.get(f"/api/stories/{story_id}").json()["events"]}
        assert set(shown) == set(entries)
        for event_id, entry in entries.items():
            assert (shown[event_id]["title"], shown[event_id]["summary"]) == (entry["headline"], entry["summary"])
            checked += bool(entry["summary"])
        html = sample_client.get(f"/stories/{story_id}").text
        assert all(str(escape(e["summary"])) in html for e in entries.values())
    assert checked >= 10, "most sample events have a summary"


def test_sample_store_filters_match_an_independent_query(sample_client: TestClient, sample_store_path: Path) -> None:
    """Each filter of the Stories page, checked against SQL written here over the real pipeline's store."""
    conn = sqlite3.connect(sample_store_path)

    def story_ids(sql: str, *params: str) -> set[str]:
        return {r[0] for r in conn.execute(sql, params) if r[0] is not None}

    every = story_ids("SELECT id FROM stories")
    assert every, "the sample corpus makes stories"
    assert _all_story_ids(sample_client) == every
    via_articles = ("SELECT DISTINCT e.story_id FROM articles a JOIN events e ON e.id = a.event_id "
                    "JOIN stories s ON s.id = e.story_id WHERE ")
    for lang in ("en", "ru"):
        expected = story_ids(via_articles + "a.lang = ?", lang)
        assert expected and expected < every, f"the sample corpus has {lang} and other stories"
        assert _all_story_ids(sample_client, lang=lang) == expected, lang
    outlet = conn.execute("SELECT a.outlet FROM articles a JOIN events e ON e.id = a.event_id WHERE a.outlet <> '' "
                          "AND e.story_id IS NOT NULL GROUP BY a.outlet ORDER BY COUNT(*) DESC, a.outlet").fetchone()[0]
    assert _all_story_ids(sample_client, outlet=outlet) == story_ids(via_articles + "a.outlet = ?", outlet)
    entity = conn.execute("SELECT entity_key FROM mentions GROUP BY entity_key ORDER BY COUNT(*) DESC, entity_key"
                          ).fetchone()[0]
    expected = story_ids(via_articles + "a.id IN (SELECT article_id FROM mentions WHERE entity_key = ?)", entity)
    assert expected and _all_story_ids(sample_client, entity=entity) == expected
    name = conn.execute("SELECT name FROM entities WHERE key = ?", (entity,)).fetchone()[0]
    named = [k for k, n, aliases in conn.execute("SELECT key, name, aliases FROM entities")
             if name.casefold() in {n.casefold(), *(a.casefold() for a in json.loads(aliases))}]
    expected = story_ids(via_articles + f"a.id IN (SELECT article_id FROM mentions WHERE entity_key IN "
                         f"({','.join('?' * len(named))}))", *named)
    assert _all_story_ids(sample_client, entity=name.upper()) == expected, "typed as a name, in any case"
    lithuania = story_ids(via_articles + "a.id IN (SELECT article_id FROM mentions WHERE entity_key = ?)",
                          "loc:lithuania")
    assert lithuania and all(_all_story_ids(sample_client, entity=typed) == lithuania
                             for typed in ("Lithuania", "Литва", "Литве")), "a translated name, in either language"
    spans = {r[0]: (r[1][:10], (r[2] or r[1])[:10]) for r in conn.execute("SELECT id, start, end FROM stories")}
    days = sorted({d for span in spans.values() for d in span})
    low, high = days[len(days) // 3], days[2 * len(days) // 3]
    expected = {sid for sid, (start, end) in spans.items() if end >= low and start <= high}
    assert expected and expected < every
    assert _all_story_ids(sample_client, date_from=low, date_to=high) == expected
    page = sample_client.get("/", params={"lang": "ru"}).text
    assert f"{len(story_ids(via_articles + 'a.lang = ?', 'ru'))} stor" in page and "matching the filters" in page
    conn.close()


def test_sample_store_every_page_and_api_mirror_answers(sample_client: TestClient, sample_store_path: Path) -> None:
    """Every story, event, article and speaker of the pipeline's store opens, as a page and as JSON."""
    conn = sqlite3.connect(sample_store_path)
    targets = [("stories", r[0]) for r in conn.execute("SELECT id FROM stories")]
    targets += [("events", r[0]) for r in conn.execute("SELECT id FROM events")]
    targets += [("articles", r[0]) for r in conn.execute("SELECT id FROM articles")]
    targets += [("entities", r[0]) for r in conn.execute("SELECT DISTINCT speaker FROM quotes WHERE speaker <> ''")]
    copies = conn.execute("SELECT id, duplicate_of, event_id FROM articles WHERE duplicate_of IS NOT NULL "
                          "AND event_id IS NOT NULL").fetchall()
    conn.close()
    assert {kind for kind, _ in targets} == {"stories", "events", "articles", "entities"}
    for kind, ident in targets:
        page = sample_client.get(f"/{kind}/{path_id(ident)}")
        assert page.status_code == 200 and "<h1>" in page.text, (kind, ident, page.status_code)
        data = sample_client.get(f"/api/{kind}/{path_id(ident)}")
        assert data.status_code == 200, (kind, ident)
        if kind != "entities":
            assert data.json()["id"] == ident
    for copy, origin, event in copies:
        html = sample_client.get(f"/events/{event}").text
        folded = re.search(rf'id="article-{origin}"(?:(?!id="article-).)*?<details class="copies">(.*?)</details>', html, re.S)
        if folded:  # the copy sits in the same event as its origin: it is folded under it, not listed again
            assert f"/articles/{copy}" in folded.group(1) and f'id="article-{copy}"' not in html


def test_sample_store_search_finds_english_and_russian_words(sample_client: TestClient,
                                                             sample_store_path: Path) -> None:
    conn = sqlite3.connect(sample_store_path)
    for lang in ("en", "ru"):
        article_id, title = conn.execute("SELECT id, title FROM articles WHERE lang = ? AND title <> '' ORDER BY id",
                                         (lang,)).fetchone()
        word = max(re.findall(r"\w{5,}", title), key=len)
        result = sample_client.get("/api/search", params={"q": word}).json()
        assert article_id in {r["article_id"] for r in result["items"]} or result["has_next"], (lang, word)
        html = sample_client.get("/search", params={"q": word.upper()}).text
        assert re.search(rf"<mark>{re.escape(word)}</mark>", html, re.I), "case-folded match, highlighted"
    conn.close()
    bad = sample_client.get("/search", params={"q": "(Jekabpils"})
    assert bad.status_code == 400 and "parenthesis" in bad.text
    assert sample_client.get("/api/search", params={"q": "(Jekabpils"}).status_code == 400


def test_sample_store_search_finds_a_place_in_both_languages(sample_client: TestClient,
                                                               sample_store_path: Path) -> None:
    conn = sqlite3.connect(sample_store_path)
    words = {"en": re.compile(r"\bLithuania\b"), "ru": re.compile(r"\bЛитв(?:а|ы|е|у|ой)\b")}  # not "Lithuanian"
    mentions = {lang: {article_id for article_id, text in conn.execute(
        "SELECT id, title || ' ' || body FROM articles WHERE lang = ?", (lang,)) if word.search(text)}
        for lang, word in words.items()}
    conn.close()
    assert mentions["en"] and mentions["ru"], "the sample corpus names Lithuania in both languages"

    def found(query: str) -> set[str]:
        ids: set[str] = set()
        for page in range(1, 20):
            result = sample_client.get("/api/search", params={"q": query, "page": str(page)}).json()
            ids |= {r["article_id"] for r in result["items"] if r["kind"] == "article"}
            if not result["has_next"]:
                return ids
        raise AssertionError("more pages than the corpus has articles")

    both = mentions["en"] | mentions["ru"]
    assert found("Lithuania") == found("Литве") == found("литва") == both
    assert found('"Lithuania"') == mentions["en"], "a quoted name is searched as written"
    html = sample_client.get("/search", params={"q": "Lithuania"}).text
    assert "Searched in English and Russian: Lithuania" in html


def test_timeline_legend_stays_inside_the_chart() -> None:
    from storyline.web import charts

    outlets = {f"a very long outlet name number {i:02d}": i + 1 for i in range(15)}
    svg = str(charts.timeline([{"id": "e1", "start": "2024-01-01", "title": "t", "size": 3}],
                              {"2024-01-01": outlets}, href=lambda e: "#" + e, width=900))
    xs = [float(x) for x in re.findall(r'<text x="([\d.]+)" y="\d+" font-size="10">', svg)]
    assert xs and max(xs) < 900 - 40
    assert "more</text>" in svg, "the outlets that do not fit are counted, not drawn off the edge"


def test_timeline_markers_of_one_day_do_not_cover_each_other() -> None:
    from storyline.web import charts

    events = [{"id": f"e{i}", "start": "2024-01-01" if i < 6 else "2024-01-09", "title": str(i), "size": 1}
              for i in range(7)]
    svg = str(charts.timeline(events, {"2024-01-01": {"x": 6}, "2024-01-09": {"x": 1}}, href=lambda e: "#" + e))
    centres = re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)" r="6"', svg)
    assert len(centres) == 7 and len(set(centres)) == 7
    points = [(float(x), float(y)) for x, y in centres]
    for a, b in itertools.combinations(points, 2):
        assert max(abs(a[0] - b[0]), abs(a[1] - b[1])) >= 12, "no marker covers another"
    assert 'pointer-events="none"' in svg, "the guide lines never catch the pointer"


def test_timeline_markers_of_a_crowded_last_day_stay_on_the_chart() -> None:
    from storyline.web import charts

    events = [{"id": f"e{i}", "start": "2024-01-09", "title": str(i), "size": 1} for i in range(30)]
    svg = str(charts.timeline(events, {"2024-01-01": {"x": 1}, "2024-01-09": {"x": 30}}, href=lambda e: "#" + e,
                              width=900))
    points = [(float(x), float(y)) for x, y in re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)" r="6"', svg)]
    assert len(points) == 30 and all(6 <= x <= 894 for x, _ in points)
    for a, b in itertools.combinations(points, 2):
        assert max(abs(a[0] - b[0]), abs(a[1] - b[1])) >= 12


def test_event_summary_skips_a_headline_the_body_repeats() -> None:
    body = "Ice jam floods Jekabpils\n\nJEKABPILS, March 18. Rescuers evacuated 420 residents. More later."
    assert queries._lead_sentence(body, "Ice jam floods Jekabpils").startswith("JEKABPILS, March 18.")
    assert queries._lead_sentence(body, "Another title").startswith("Ice jam floods Jekabpils JEKABPILS")
    assert queries._lead_sentence("Short title", "Short title") == "Short title", "never an empty summary"


def test_entity_filter_takes_a_name_or_an_alias(client: TestClient, web_db: SampleIds) -> None:
    def ids(entity: str) -> list[str]:
        return [s["id"] for s in client.get("/api/stories", params={"entity": entity}).json()["items"]]

    for typed in ("Dmitry Peskov", "dmitry  PESKOV", "Песков", "песков", PESKOV):
        assert ids(typed) == [web_db.story], typed
    assert ids("Peskov Dmitry") == [] and ids("per:") == []
    html = client.get("/").text
    assert '<datalist id="entities">' in html and '<option value="Dmitry Peskov">' in html


def test_events_are_filtered_by_dates_outlets_and_sizes_in_the_page_and_the_api(client: TestClient) -> None:
    everything = client.get("/api/events").json()
    items = everything["items"]
    assert everything["total"] == len(items) == 4 and everything["filters"] == {}

    def ids(query: str) -> list[str]:
        response = client.get(f"/api/events?{query}")
        assert response.status_code == 200, response.text
        return [e["id"] for e in response.json()["items"]]

    march = [e["id"] for e in items if e["start"] and e["start"][:10] <= "2021-03-31"
             and (e["end"] or e["start"])[:10] >= "2021-03-01"]
    assert march and ids("since=2021-03-01&until=2021-03-31") == march and len(march) < len(items)
    wide = [e for e in items if len(e["outlets"]) >= 3]
    assert wide and ids("min_outlets=3") == [e["id"] for e in wide]
    by_size = sorted(items, key=lambda e: (-e["size"], e["start"] is None, e["start"] or "", e["id"]))
    assert ids("order=articles") == [e["id"] for e in by_size]
    assert ids("min_articles=2&order=oldest") == [e["id"] for e in sorted(
        (e for e in items if e["size"] >= 2), key=lambda e: (e["start"] is None, e["start"] or "", e["id"]))]
    tass = [e["id"] for e in items if "tass.com" in e["outlets"]]
    assert tass and ids("outlet=TASS.COM") == tass  # a known outlet's domain, any case
    assert set(ids("outlet=lsm.lv,tass.com")) == {e["id"] for e in items if {"lsm.lv", "tass.com"} & set(e["outlets"])}
    assert ids("outlet=no-such-outlet") == []
    page = client.get("/events?since=2021-03-01&until=2021-03-31&order=oldest")
    assert page.status_code == 200
    assert 'value="2021-03-01"' in page.text and '<option value="oldest" selected>' in page.text
    assert f"{len(march)} event" in page.text and "of 4 matching the filters" in page.text
    assert client.get("/api/events?since=March").status_code == 400
    assert client.get("/api/events?order=random").status_code == 400
    assert client.get("/events?min_outlets=lots").status_code == 400


def test_stories_outlet_filter_matches_like_the_events_one(client: TestClient, web_db: SampleIds) -> None:
    """One outlet rule on both pages: a known outlet's other name, a domain or part of a name, any case."""
    for value in ("tass.com", "TASS", "Tass.Com"):
        found = client.get(f"/api/stories?outlet={value}").json()
        assert [s["id"] for s in found["items"]] == [web_db.story], value
    assert client.get("/api/stories?outlet=no-such-outlet").json()["items"] == []


def test_events_filter_by_language_and_entity(client: TestClient, web_db: SampleIds) -> None:
    russian = client.get("/api/events?lang=ru").json()
    assert {e["id"] for e in russian["items"]} == {web_db.events["E1"], web_db.events["E3"]}  # ria, rbc
    assert russian["filters"] == {"lang": "ru"}
    by_name = {e["id"] for e in client.get("/api/events?entity=Dmitry Peskov").json()["items"]}
    by_key = {e["id"] for e in client.get(f"/api/events?entity={PESKOV}").json()["items"]}
    assert by_name == by_key and web_db.events["E1"] in by_name and web_db.events["E4"] not in by_name
    page = client.get("/events?lang=ru&entity=Dmitry+Peskov")
    assert page.status_code == 200 and '<option value="ru" selected>' in page.text
    assert 'value="Dmitry Peskov"' in page.text


def test_statements_by_speaker_keep_the_order_they_were_made_and_put_the_unattributed_last() -> None:
    from storyline.web.queries import by_speaker

    def statement(ident: str, key: str | None, name: str | None) -> dict:
        return {"id": ident, "speaker": key, "speaker_name": name, "first": None, "wordings": []}

    made = [statement("1", None, None), statement("2", "per:b", "B"), statement("3", None, "a spokesman"),
            statement("4", "per:a", "A"), statement("5", "per:b", "B"), statement("6", None, None)]
    assert [(g["speaker"] or g["speaker_name"], [s["id"] for s in g["statements"]]) for g in by_speaker(made)] == [
        ("per:b", ["2", "5"]), ("a spokesman", ["3"]), ("per:a", ["4"]), (None, ["1", "6"])]


def test_entities_are_listed_most_mentioned_first_with_any_spelling_as_filter(sample_client: TestClient,
                                                                             sample_store_path: Path) -> None:
    """The sample corpus (real pipeline): who is in the news, counted from the mentions; a name typed in either
    language, in part or inflected, finds the entity; a bad kind is a 400 that says the choices."""
    with sqlite3.connect(sample_store_path) as conn:
        mentioned = dict(conn.execute("SELECT entity_key, count(DISTINCT article_id) FROM mentions GROUP BY entity_key"))
        kinds = dict(conn.execute("SELECT key, kind FROM entities"))
    listing = sample_client.get("/api/entities", params={"page": 1}).json()
    assert listing["total"] == len(kinds) and len(listing["items"]) == min(50, len(kinds))
    counts = [e["articles"] for e in listing["items"]]
    assert counts == sorted(counts, reverse=True) and counts[0] == max(mentioned.values())
    assert all(e["articles"] == mentioned.get(e["key"], 0) for e in listing["items"])
    people = sample_client.get("/api/entities", params={"kind": "per"}).json()
    assert people["total"] == sum(k == "PER" for k in kinds.values()) and {e["kind"] for e in people["items"]} == {"PER"}
    for typed in ("калниньш", "Kalnin", "Калниньша"):  # part of a spelling, other script, a case no article wrote
        found = sample_client.get("/api/entities", params={"name": typed, "kind": "PER"}).json()["items"]
        assert [e["key"] for e in found] == ["per:andris kalnins"], typed
    assert found[0]["statements"] > 0
    lithuania = sample_client.get("/api/entities", params={"name": "Литва"}).json()["items"]
    assert [e["key"] for e in lithuania] == ["loc:lithuania"]  # translated: no article writes "Литва" itself
    bad = sample_client.get("/api/entities", params={"kind": "XX"})
    assert bad.status_code == 400 and "choose one of PER, ORG, LOC" in bad.json()["detail"]
    page = sample_client.get("/entities", params={"name": "ktg"})
    assert page.status_code == 200 and 'href="/entities/org%3Akundzinsala%20terminal%20group"' in page.text
    assert "1 entity" in page.text and "KTG" in page.text
    none = sample_client.get("/entities", params={"name": "Nobody Anywhere"})
    assert "No entity is written “Nobody Anywhere”" in none.text


def test_outlets_pages_rank_publishers_and_link_their_events(sample_client: TestClient,
                                                              sample_store_path: Path) -> None:
    """The sample corpus (real pipeline): every publisher listed with its articles, sortable; a profile page with
    its figures and events, each linked; outlet names on an event's page lead to the outlet; unknown names are
    404 and a bad order is a 400 naming the choices."""
    with sqlite3.connect(sample_store_path) as conn:
        stored = dict(conn.execute("SELECT COALESCE(outlet, 'unknown outlet'), count(*) FROM articles GROUP BY 1"))
        events_of = dict(conn.execute("SELECT outlet, count(DISTINCT event_id) FROM articles WHERE outlet = 'РИБ'"))
        some_event = conn.execute("SELECT event_id FROM articles WHERE outlet = 'РИБ' ORDER BY id LIMIT 1").fetchone()[0]
    listing = sample_client.get("/api/outlets").json()
    assert {o["outlet"]: o["articles"] for o in listing["items"] if o["articles"]} == stored
    by_name = [o["outlet"] for o in sample_client.get("/api/outlets", params={"sort": "name"}).json()["items"]]
    assert by_name[-1] == "unknown outlet" and by_name[:-1] == sorted(by_name[:-1], key=str.casefold)
    rib = sample_client.get("/api/outlets/РИБ").json()
    assert rib["outlet"] == "РИБ" and rib["events"] == events_of["РИБ"] == len(rib["event_list"])
    assert some_event in {e["id"] for e in rib["event_list"]}
    page = sample_client.get("/outlets/%D0%A0%D0%98%D0%91")
    assert page.status_code == 200 and f'href="/events/{some_event}"' in page.text and "reported first" in page.text
    listed = sample_client.get("/outlets", params={"name": "wire"})
    assert listed.status_code == 200 and 'href="/outlets/Baltic%20Wire"' in listed.text and "1 outlet " in listed.text
    event_page = sample_client.get(f"/events/{some_event}")
    assert 'href="/outlets/%D0%A0%D0%98%D0%91"' in event_page.text
    assert sample_client.get("/outlets/Nowhere%20Gazette").status_code == 404
    april = {"since": "2024-04-01", "until": "2024-04-30"}
    kept = {e["id"] for e in sample_client.get("/api/events", params=april).json()["items"]}
    in_april = {o["outlet"]: o["events"] for o in sample_client.get("/api/outlets", params=april).json()["items"]}
    assert kept and sum(in_april.values()) == sum(len({a["outlet"] or "unknown outlet" for c in
                                                       sample_client.get(f"/api/events/{e}").json()["coverage"]
                                                       for a in c["articles"]}) for e in kept)
    filtered = sample_client.get("/outlets", params={**april, "sort": "first"})
    assert "counting only the events that pass: since 2024-04-01, until 2024-04-30" in filtered.text
    assert 'href="/outlets/Baltic%20Wire?since=2024-04-01&amp;until=2024-04-30"' in filtered.text
    wire = sample_client.get("/outlets/Baltic%20Wire", params=april)
    assert "Counting only the events that pass" in wire.text
    assert {e["id"] for e in sample_client.get("/api/outlets/Baltic Wire", params=april).json()["event_list"]} <= kept
    bad = sample_client.get("/api/outlets", params={"sort": "loudest"})
    assert bad.status_code == 400 and "articles, events, first, exclusive, name" in bad.json()["detail"]


def test_an_outlet_name_is_escaped_on_the_outlets_pages(client: TestClient) -> None:
    listing = client.get("/outlets")
    assert listing.status_code == 200 and "<b onmouseover" not in listing.text
    assert "&lt;b onmouseover=alert(2)&gt;evil&lt;/b&gt;" in listing.text
    profile = client.get("/outlets/" + quote(HOSTILE_OUTLET, safe=""))
    assert profile.status_code == 200 and "<b onmouseover" not in profile.text
