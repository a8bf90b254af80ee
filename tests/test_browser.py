"""Real headless Chromium (Debian's, through Playwright) over the live web app and the file:// report."""

# ruff: noqa: F811 - test parameters named web_db receive the fixture imported from test_web_fixtures
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn

from storyline.report.html import write_report
from storyline.store import SQLiteStore
from storyline.web.app import create_app
from test_web_fixtures import HOSTILE_TITLE, SampleIds, web_db  # noqa: F401 - web_db is a fixture

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent (apt-get install chromium)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(web_db: SampleIds) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(create_app(web_db.db), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

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
    removed = page.locator("details.removed").first
    assert not removed.evaluate("d => d.open"), "removed spans start collapsed"
    removed.locator("summary").click()
    assert removed.evaluate("d => d.open")
    page.screenshot(path=str(tmp_path / "3-event.png"), full_page=True)

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
