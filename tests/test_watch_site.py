"""A small news web on loopback for the watch tests: feeds, pages in several encodings, and failures.

Two outlets share one server: ``127.0.0.1:PORT`` and ``localhost:PORT`` are different hosts to storyline
(and different outlets). A second server plays the slow host. Every request is logged with its headers so
tests can assert what storyline asked for (conditional GET, User-Agent, robots.txt obeyed).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape


@dataclass
class Route:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0
    fail_first: int = 0  # answer 503 to this many requests, then serve normally
    send_length: bool = True


@dataclass
class Site:
    """Routes by path (shared by every host name of the server) and the log of requests received."""

    routes: dict[str, Route] = field(default_factory=dict)
    log: list[tuple[str, str, dict[str, str], int]] = field(default_factory=list)  # host, path, headers, status
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: int = 0
    max_in_flight: int = 0  # the most requests the server was answering at once

    def requests_for(self, path: str) -> list[tuple[dict[str, str], int]]:
        with self.lock:
            return [(headers, status) for _, p, headers, status in self.log if p == path]


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            route = site.routes.get(self.path.split("?")[0])
            headers = {k.lower(): v for k, v in self.headers.items()}
            status = 404 if route is None else route.status
            if route is not None and route.fail_first > 0:
                route.fail_first -= 1
                status = 503
            elif route is not None and route.status == 200 and (
                (route.etag and headers.get("if-none-match") == route.etag)
                or (route.last_modified and headers.get("if-modified-since") == route.last_modified)
            ):
                status = 304
            with site.lock:
                site.log.append((headers.get("host", ""), self.path, headers, status))
                site.in_flight += 1
                site.max_in_flight = max(site.max_in_flight, site.in_flight)
            try:
                if route is not None and route.delay:
                    time.sleep(route.delay)
                self._answer(route, status)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                pass
            finally:
                with site.lock:
                    site.in_flight -= 1

        def _answer(self, route: Route | None, status: int) -> None:
            self.send_response(status)
            if route is None or status in (304, 503, 404):
                self.send_header("Content-Length", "0")
                if route is not None and route.etag:
                    self.send_header("ETag", route.etag)
                self.end_headers()
                return
            self.send_header("Content-Type", route.content_type)
            for name, value in route.headers.items():
                self.send_header(name, value)
            if route.etag:
                self.send_header("ETag", route.etag)
            if route.last_modified:
                self.send_header("Last-Modified", route.last_modified)
            if route.send_length:
                self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            self.wfile.write(route.body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet test output
            return

    return Handler


@contextmanager
def serve(site: Site) -> Iterator[int]:
    """Serve ``site`` on 127.0.0.1 at a free port in a background thread; yields the port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------------- documents
def article_html(title: str, paragraphs: list[str], *, meta_charset: str | None = None) -> str:
    """A news page with the furniture real pages have around the story (menus, related links, footer)."""
    meta = f'<meta charset="{meta_charset}">' if meta_charset else ""
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html><head>{meta}<title>{escape(title)}</title></head>
<body>
<header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav></header>
<main><article>
<h1>{escape(title)}</h1>
{body}
</article></main>
<aside><h3>Most read</h3><ul><li><a href="/x">Weather for the weekend</a></li></ul></aside>
<footer>© The Daily Loopback. All rights reserved. <a href="/privacy">Privacy</a></footer>
</body></html>"""


def rss(title: str, items: list[tuple[str, str, str, str]]) -> bytes:
    """RSS 2.0 with (link, title, RFC 822 date, guid) items."""
    entries = "\n".join(
        f"<item><title>{escape(t)}</title><link>{escape(link)}</link><pubDate>{d}</pubDate>"
        f'<guid isPermaLink="false">{escape(g)}</guid></item>'
        for link, t, d, g in items
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>{escape(title)}</title><link>http://example.invalid/</link>
<description>news</description>
{entries}
</channel></rss>""".encode()


def atom(title: str, items: list[tuple[str, str, str]]) -> bytes:
    """Atom 1.0 with (link, title, ISO date) entries."""
    entries = "\n".join(
        f'<entry><title>{escape(t)}</title><link rel="alternate" href="{escape(link)}"/><id>{escape(link)}</id>'
        f"<updated>{d}</updated></entry>"
        for link, t, d in items
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>{escape(title)}</title><id>urn:feed</id>
<updated>2024-03-06T00:00:00Z</updated>
{entries}
</feed>""".encode()


def news_sitemap(items: list[tuple[str, str, str]]) -> bytes:
    """A Google News sitemap with (loc, title, ISO date) entries."""
    entries = "\n".join(
        f"<url><loc>{escape(loc)}</loc><news:news><news:publication><news:name>Loopback Vestnik</news:name>"
        f"<news:language>ru</news:language></news:publication><news:publication_date>{d}</news:publication_date>"
        f"<news:title>{escape(t)}</news:title></news:news></url>"
        for loc, t, d in items
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
{entries}
</urlset>""".encode()


# Two reports of one strike in Riga (and a follow-up), two Russian reports of one bridge opening, and an
# unrelated airport closure: the events storyline must find.
STRIKE_1 = (
    "Riga dock workers strike over pay, halting container traffic",
    [
        "Dock workers at the Freeport of Riga walked out on Tuesday morning in a dispute over pay, halting "
        "container traffic at Latvia's largest port.",
        "The Latvian Dockworkers Union said about 900 members joined the strike after talks with the terminal "
        "operators on a new wage agreement collapsed last week.",
        "Union leader Janis Ozols told reporters at the port gates that the stoppage would continue until the "
        "operators return to the negotiating table with a better offer on wages and night shifts.",
        "Cranes at the container terminal stood idle and at least a dozen cargo ships were waiting at anchor "
        "in the Gulf of Riga, according to the port authority.",
    ],
)
STRIKE_2 = (
    "Strike by Riga port dockers stops container terminal",
    [
        "Container traffic at the Freeport of Riga came to a halt on Tuesday as dock workers walked out in a "
        "dispute over pay with the terminal operators.",
        "About 900 members of the Latvian Dockworkers Union joined the strike, the union said, after talks on a "
        "new wage agreement collapsed last week.",
        "Janis Ozols, the union leader, said the stoppage at Latvia's largest port would continue until the "
        "operators came back to the negotiating table with a better offer on wages and night shifts.",
        "The port authority said cranes at the container terminal stood idle and cargo ships were waiting at "
        "anchor in the Gulf of Riga.",
    ],
)
STRIKE_3 = (
    "Riga port strike enters second day as dockers and terminal operators stay apart",
    [
        "The strike by dock workers at the Freeport of Riga entered its second day on Wednesday, with container "
        "traffic at Latvia's largest port still halted and no talks scheduled.",
        "Janis Ozols, leader of the Latvian Dockworkers Union, said its 900 striking members would not return "
        "until the terminal operators improved their offer on wages and night shifts.",
        "More cargo ships joined those waiting at anchor in the Gulf of Riga, the port authority said, as "
        "cranes at the container terminal stood idle for a second day.",
    ],
)
AIRPORT = (
    "Helsinki airport closes runway after heavy snowstorm",
    [
        "Helsinki Airport closed one of its three runways on Wednesday after a heavy overnight snowstorm "
        "buried much of southern Finland under half a metre of snow.",
        "Finavia, the airport operator, said snow ploughs were working around the clock and that flights to "
        "Stockholm, Tallinn and Oslo faced delays of up to two hours.",
        "The Finnish Meteorological Institute warned of more snow and strong winds along the coast until "
        "Thursday evening.",
    ],
)
BRIDGE_1 = (
    "В Новосибирске открыли новый мост через Обь",
    [
        "В Новосибирске во вторник открыли движение по новому мосту через Обь, строительство которого "
        "продолжалось четыре года.",
        "Длина Центрального моста составляет почти полтора километра, по нему пройдут шесть полос "
        "движения, сообщили в мэрии Новосибирска.",
        "Губернатор Новосибирской области Андрей Травников заявил, что новый мост разгрузит старый "
        "Октябрьский мост и сократит пробки в центре города.",
    ],
)
BRIDGE_2 = (
    "Новый мост через Обь открыли в Новосибирске",
    [
        "Движение по новому Центральному мосту через Обь открыли во вторник в Новосибирске после четырёх лет "
        "строительства.",
        "Как сообщили в мэрии Новосибирска, длина моста почти полтора километра, на нём шесть полос движения.",
        "Губернатор Андрей Травников заявил, что мост разгрузит Октябрьский мост и сократит пробки в центре "
        "Новосибирска.",
    ],
)
