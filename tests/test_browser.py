"""Real headless Chromium (Debian's, through Playwright) over the live web app and the file:// report."""

# ruff: noqa: F811 - test parameters named web_db receive the fixture imported from test_web_fixtures
from __future__ import annotations

import os
import re
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn

from storyline.report.html import write_report
from storyline.store import SQLiteStore
from storyline.web.app import create_app, path_id
from test_web_fixtures import HOSTILE_TITLE, SampleIds, web_db  # noqa: F401 - web_db is a fixture

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]

pytestmark = [
    pytest.mark.browser,
    # Outside CI a machine without Chromium skips with the reason; in CI (CI=true) the browser fixture fails instead.
    pytest.mark.skipif(not CHROMIUM.exists() and not os.environ.get("CI"),
                       reason="/usr/bin/chromium is absent (apt-get install chromium chromium-driver)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _serving(db: Path) -> Iterator[str]:
    """The real app under uvicorn on a free loopback port, in a thread, for as long as the block runs."""
    port = _free_port()
    config = uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(web_db: SampleIds) -> Iterator[str]:
    with _serving(web_db.db) as url:
        yield url


@pytest.fixture(scope="module")
def sample_server(sample_store_path: Path) -> Iterator[str]:
    """The app over the store the real pipeline built from the bundled sample corpus."""
    with _serving(sample_store_path) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("CI must run the browser tests: /usr/bin/chromium is absent (make system-deps installs it)")

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield chromium
        chromium.close()


class Watch:
    """Console errors, uncaught exceptions, dialogs (an alert() would mean injected script ran) and requests."""

    def __init__(self, page: object) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("request", lambda r: self.requests.append(r.url))


def test_click_through_stories_event_article_speaker_and_search(browser: object, server: str, web_db: SampleIds,
                                                                tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    watch = Watch(page)
    page.goto(server + "/")
    assert page.locator("li.story svg.spark polyline").count() == 1, "each story has a sparkline"
    page.screenshot(path=str(tmp_path / "1-stories.png"), full_page=True)

    page.click("text=The Kremlin on Russia–US relations")
    page.wait_for_url(f"**/stories/{web_db.story}")
    assert page.locator("svg.timeline .marker").count() == 3
    page.hover(f'svg.timeline .marker[data-event="{web_db.events["E1"]}"] circle')
    assert "hl" in (page.get_attribute(f"#event-row-{web_db.events['E1']}", "class") or ""), "our script runs"
    page.screenshot(path=str(tmp_path / "2-story.png"), full_page=True)

    page.click(f"#event-row-{web_db.events['E1']} >> text=Peskov: no one will talk to Russia")
    page.wait_for_url(f"**/events/{web_db.events['E1']}")
    assert page.locator(".badge.first").count() == 1
    assert page.locator(".speaker-block").count() == 1, "Peskov's two statements under his name once"
    assert page.locator(".speaker-block ul.variants li").count() == 3, "three more outlets worded one of them"
    removed = page.locator("details.removed").first
    assert not removed.evaluate("d => d.open"), "removed spans start collapsed"
    removed.locator("summary").click()
    assert removed.evaluate("d => d.open")
    page.screenshot(path=str(tmp_path / "3-event.png"), full_page=True)

    page.click("a.compare-link")
    page.wait_for_url(f"**/events/{web_db.events['E1']}/compare")
    assert page.locator(".first-reporter").count() == 1 and page.locator("ul.copies li").count() >= 2
    assert page.locator(".only-here li").count() >= 1
    page.go_back()
    page.wait_for_url(f"**/events/{web_db.events['E1']}")

    page.click(".headlines >> text=Putin won't allow US to lecture Russia")
    page.wait_for_url(f"**/articles/{web_db.articles['rt']}")
    assert page.locator("#body mark.quote").count() == 1
    page.click("#original summary")
    assert page.locator("#original pre").is_visible(), "the original text is one click away"
    page.screenshot(path=str(tmp_path / "4-article.png"), full_page=True)

    page.click("#body a.ent >> text=Dmitry Peskov")
    page.wait_for_url("**/entities/per%3Admitry%20peskov")
    assert page.locator(".statement").count() == 4
    page.screenshot(path=str(tmp_path / "5-speaker.png"), full_page=True)

    page.fill("header input[name=q]", "позиции силы")
    page.press("header input[name=q]", "Enter")
    page.wait_for_url("**/search?q=*")
    assert page.locator("ol.results li.article").count() == 1 and page.locator("ol.results li.quote").count() == 1
    assert page.locator("ol.results mark").first.inner_text().lower() == "позиции"
    page.screenshot(path=str(tmp_path / "6-search.png"), full_page=True)

    page.goto(f"{server}/articles/{web_db.articles['hostile']}")
    assert page.locator("h1").inner_text() == HOSTILE_TITLE, "the hostile title is shown as text"
    page.screenshot(path=str(tmp_path / "7-hostile.png"), full_page=True)

    assert watch.errors == [] and watch.dialogs == []
    assert {urlsplit(u).netloc for u in watch.requests} == {urlsplit(server).netloc}, "no request leaves the app"
    assert len(list(tmp_path.glob("*.png"))) == 7


def test_malformed_search_shows_a_message(browser: object, server: str) -> None:
    page = browser.new_page()
    watch = Watch(page)
    response = page.goto(server + '/search?q=%22unclosed')
    assert response is not None and response.status == 400
    assert "closing double quote" in page.locator(".error").inner_text()
    assert all("status of 400" in e for e in watch.errors), watch.errors  # the browser logs the 400 itself


def test_report_opens_from_a_file_url(browser: object, web_db: SampleIds, tmp_path: Path) -> None:
    with SQLiteStore(web_db.db, readonly=True) as store:
        path = write_report(store, tmp_path / "report.html")
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    watch = Watch(page)
    page.goto(path.resolve().as_uri())
    assert page.locator("svg.timeline").count() == 1
    page.click("ol.report-toc >> text=The Kremlin on Russia–US relations")
    page.hover(f'svg.timeline .marker[data-event="{web_db.events["E1"]}"] circle')
    assert "hl" in (page.get_attribute(f"#event-row-{web_db.events['E1']}", "class") or ""), "inline script runs"
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert page.evaluate(BROKEN_ANCHORS) == [], "every in-page link has its target"
    assert watch.errors == [] and watch.dialogs == []
    assert all(u.startswith(("file://", "data:")) for u in watch.requests), watch.requests


@pytest.mark.parametrize("target", ["/static/../app.py", "/static/../../storyline/model.py", "/static/..%2fapp.py",
                                    "/static/%2e%2e/%2e%2e/config.py", "/static/....//app.py"])
def test_raw_traversal_requests_to_the_live_server_get_nothing(server: str, target: str) -> None:
    """Sent byte for byte (no client-side path normalisation), as an attacker would."""
    host, port = urlsplit(server).hostname, urlsplit(server).port
    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    status = reply.split(b"\r\n", 1)[0]
    assert b" 404 " in status or b" 400 " in status, (target, status)
    assert b"import" not in reply and b"def " not in reply


# ---------------------------------------------------------------------- the sample corpus through the real pipeline
BROKEN_ANCHORS = """() => [...document.querySelectorAll('a[href^="#"]')]
    .map(a => decodeURIComponent(a.getAttribute('href').slice(1)))
    .filter(id => id && !document.getElementById(id))"""


def _walk(base: str) -> tuple[str, str, str, str]:
    """A story, one of its dated events, a headline article of it with an attributed quote, and that speaker.

    Picked through the JSON API, so the walk follows whatever the pipeline grouped; a sample store where no
    such path exists fails here, since the corpus is full of attributed quotes.
    """
    with httpx.Client(base_url=base, timeout=30) as client:
        for story in client.get("/api/stories").json()["items"]:
            for event in client.get(f"/api/stories/{story['id']}").json()["events"]:
                if not event["start"]:
                    continue
                for headline in client.get(f"/api/events/{event['id']}").json()["headlines"]:
                    article = client.get(f"/api/articles/{headline['id']}").json()
                    marked = {s["quote"] for s in article["segments"] if s["quote"]}
                    speakers = [q["speaker"] for q in article["quotes"] if q["speaker"] and q["id"] in marked]
                    if speakers:
                        return story["id"], event["id"], article["id"], speakers[0]
    raise AssertionError("no story → event → article with an attributed quote on the first page of stories")


def _word(db: Path, lang: str) -> str:
    """The longest word of the first titled article in ``lang``, read straight from the store."""
    with sqlite3.connect(db) as conn:
        title = conn.execute("SELECT title FROM articles WHERE lang = ? AND title <> '' ORDER BY id",
                             (lang,)).fetchone()[0]
    return max(re.findall(r"\w{5,}", title), key=len)


def test_sample_corpus_stories_event_article_speaker_and_search(browser: object, sample_server: str,
                                                                sample_store_path: Path, tmp_path: Path) -> None:
    story_id, event_id, article_id, speaker = _walk(sample_server)
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    watch = Watch(page)

    page.goto(sample_server + "/")
    n_stories = page.locator("li.story").count()
    assert n_stories >= 1 and page.locator("li.story svg.spark").count() == n_stories, "a sparkline per story"
    page.screenshot(path=str(tmp_path / "1-stories.png"), full_page=True)
    page.select_option("select[name=lang]", "ru")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/?*lang=ru*")
    assert "matching the filters" in page.locator("main > p.muted").first.inner_text()
    assert 1 <= page.locator("li.story").count() <= n_stories
    assert page.locator("select[name=lang]").input_value() == "ru", "the form keeps the filter"
    page.screenshot(path=str(tmp_path / "2-stories-ru.png"), full_page=True)

    page.goto(sample_server + "/")
    page.click(f'li.story a.title[href="/stories/{story_id}"]')
    page.wait_for_url(f"**/stories/{story_id}")
    dated = [d for d in page.locator("li.event-row .date").all_inner_texts() if d != "undated"]
    assert page.locator("svg.timeline").count() == 1 and page.locator("svg.timeline rect").count() >= 1
    assert page.locator("svg.timeline .marker").count() == len(dated) >= 1, "a marker per dated event"
    page.hover(f'svg.timeline .marker[data-event="{event_id}"] circle')
    assert "hl" in (page.get_attribute(f"#event-row-{event_id}", "class") or ""), "our script runs"
    page.screenshot(path=str(tmp_path / "3-story.png"), full_page=True)

    page.click(f"#event-row-{event_id} a")
    page.wait_for_url(f"**/events/{event_id}")
    assert page.locator(".headline").count() == page.locator(".outlet-block").count() >= 1, "a headline per outlet"
    assert page.locator(".badge.first").count() == 1, "exactly one first reporter"
    assert page.locator("details.evidence").count() >= 1, "why each article is in the event"
    for details in page.locator("details").all():
        assert not details.evaluate("d => d.open"), "copies, evidence and removed spans start collapsed"
    removed = page.locator("details.removed")
    if removed.count():
        removed.first.locator("summary").click()
        assert removed.first.locator(".removed-text").first.is_visible()
    page.screenshot(path=str(tmp_path / "4-event.png"), full_page=True)

    page.click(f'.headlines a[href="/articles/{article_id}"]')
    page.wait_for_url(f"**/articles/{article_id}")
    assert page.locator("#body mark.quote").count() >= 1, "quotes highlighted in the text"
    assert not page.locator("#original pre").is_visible()
    page.click("#original summary")
    assert page.locator("#original pre").is_visible(), "the original text is one click away"
    page.screenshot(path=str(tmp_path / "5-article.png"), full_page=True)

    page.locator(f'ul.quotes a[href="/entities/{path_id(speaker)}"]').first.click()
    page.wait_for_url(f"**/entities/{path_id(speaker)}")
    assert page.locator(".statement").count() >= 1 and page.locator("ol.events li").count() >= 1
    page.screenshot(path=str(tmp_path / "6-speaker.png"), full_page=True)

    for lang in ("ru", "en"):
        word = _word(sample_store_path, lang)
        page.fill("header input[name=q]", word)
        page.press("header input[name=q]", "Enter")
        page.wait_for_url("**/search?q=*")
        assert page.locator("ol.results li").count() >= 1, word
        marked = {m.lower() for m in page.locator("ol.results mark").all_inner_texts()}
        assert word.lower() in marked, (word, marked)  # with the other script's forms of a name the store knows
        page.screenshot(path=str(tmp_path / f"7-search-{lang}.png"), full_page=True)
    page.fill("header input[name=q]", '"' + _word(sample_store_path, "ru"))
    page.press("header input[name=q]", "Enter")
    page.wait_for_url("**/search?q=*")
    assert "closing double quote" in page.locator(".error").inner_text()
    page.screenshot(path=str(tmp_path / "8-search-malformed.png"), full_page=True)

    page.goto(sample_server + "/docs")
    assert "/api/search" in page.locator("main").inner_text(), "the API docs render offline"
    errors = [e for e in watch.errors if "status of 400" not in e]  # the browser logs the malformed search's 400
    assert errors == [] and watch.dialogs == []
    assert {urlsplit(u).netloc for u in watch.requests} == {urlsplit(sample_server).netloc}, "no request leaves"
    assert len(list(tmp_path.glob("*.png"))) == 9


def test_sample_corpus_report_opens_from_a_file_url(browser: object, sample_store_path: Path,
                                                    tmp_path: Path) -> None:
    with SQLiteStore(sample_store_path, readonly=True) as store:
        path = write_report(store, tmp_path / "report.html")
        n_stories = int(store.conn.execute("SELECT COUNT(*) FROM stories").fetchone()[0])
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    watch = Watch(page)
    page.goto(path.resolve().as_uri())
    assert page.locator("ol.report-toc li").count() == min(n_stories, 100) >= 1
    assert page.locator("svg.timeline").count() == page.locator("section.report-story").count() >= 1
    assert page.evaluate(BROKEN_ANCHORS) == [], "every in-page link has its target"
    page.screenshot(path=str(tmp_path / "report-top.png"))
    second = page.locator("ol.report-toc li a").nth(min(n_stories, 2) - 1)
    target = second.get_attribute("href")
    second.click()
    assert page.evaluate("location.hash") == target and page.locator(target).is_visible()
    marker = page.locator(f"{target} svg.timeline .marker").first
    row = f"#event-row-{marker.get_attribute('data-event')}"
    marker.locator("circle").hover()
    assert "hl" in (page.get_attribute(row, "class") or ""), "the inline script runs from file://"
    page.screenshot(path=str(tmp_path / "report-story.png"))
    assert page.locator("#speakers .statement").count() >= 1, "the speakers section shows statements"
    assert watch.errors == [] and watch.dialogs == []
    assert all(u.startswith(("file://", "data:")) for u in watch.requests), watch.requests


def test_events_page_filters_by_outlet_size_and_order(browser: object, sample_server: str,
                                                     sample_store_path: Path) -> None:
    """The analyst's way in when stories are not built: the Events form narrows and orders the list."""
    with sqlite3.connect(sample_store_path) as conn:
        expected = [r[0] for r in conn.execute(
            "SELECT id FROM events WHERE json_array_length(outlets) >= 3 "
            "ORDER BY json_array_length(outlets) DESC, start IS NULL, start, id")]
    assert expected
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    watch = Watch(page)
    page.goto(sample_server + "/events")
    everything = page.locator("li.event-row").count()
    page.fill("input[name=min_outlets]", "3")
    page.select_option("select[name=order]", "outlets")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/events?**min_outlets=3**")
    rows = page.locator("li.event-row > a:not(.muted)")  # the event, not its story link
    shown = [href.rsplit("/", 1)[-1] for href in rows.evaluate_all("links => links.map(a => a.getAttribute('href'))")]
    assert shown == expected[: len(shown)] and 0 < len(shown) < everything
    assert page.input_value("input[name=min_outlets]") == "3"
    assert f"{len(expected)} events of {everything} matching the filters" in page.inner_text("main")
    assert watch.errors == [] and watch.dialogs == []
    page.close()


def _from_menu(browser: object, server: str, label: str, path: str) -> tuple[object, Watch]:
    """A watched page opened on the stories page, then on ``label`` of the top menu (at ``/path``)."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    watch = Watch(page)
    page.goto(server + "/")
    page.click(f"header nav >> text={label}")
    page.wait_for_url(f"**/{path}")
    return page, watch


def test_outlets_page_ranks_publishers_and_opens_an_outlets_events(browser: object, sample_server: str) -> None:
    """From the top menu: outlets with the most articles first; ordered by first reports; an outlet's page
    shows its figures and events, and an event opens from it."""
    page, watch = _from_menu(browser, sample_server, "Outlets", "outlets")
    counts = [int(c) for c in page.locator("table.outlets-list tbody td.num:nth-child(2)").all_inner_texts()]
    assert len(counts) >= 8 and counts == sorted(counts, reverse=True)
    page.select_option("select[name=sort]", "first")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/outlets?**sort=first**")
    firsts = [int(c.split()[0]) for c in page.locator("table.outlets-list tbody td.num:nth-child(5)").all_inner_texts()]
    assert firsts == sorted(firsts, reverse=True) and firsts[0] > 0
    top = page.locator("table.outlets-list tbody a").first
    name = top.inner_text()
    top.click()
    page.wait_for_url("**/outlets/*")
    assert page.inner_text("h1") == name
    assert int(page.inner_text("dd.first-reports")) == firsts[0]
    page.locator("ol.outlet-events a").first.click()
    page.wait_for_url("**/events/e*")
    assert name in page.locator("a[href^='/outlets/']").all_inner_texts()  # its coverage block leads back
    assert watch.errors == [] and watch.dialogs == []
    page.close()


def test_entities_page_lists_who_is_in_the_news_and_filters_by_name(browser: object, sample_server: str) -> None:
    """From the top menu: the most mentioned first; a Russian name narrows the list to the English-named person,
    whose page opens from it."""
    page, watch = _from_menu(browser, sample_server, "Entities", "entities")
    counts = [int(c) for c in page.locator("table.entities tbody td.num:nth-child(3)").all_inner_texts()]
    assert len(counts) > 10 and counts == sorted(counts, reverse=True)
    page.fill("input[name=name]", "Калниньш")
    page.select_option("select[name=kind]", "PER")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/entities?**kind=PER**")
    assert page.locator("table.entities tbody tr").count() == 1
    page.click("table.entities tbody a")
    page.wait_for_url("**/entities/per%3Aandris*")
    assert page.inner_text("h1").startswith("Andris Kalnins")
    assert watch.errors == [] and watch.dialogs == []
    page.close()
