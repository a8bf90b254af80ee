"""The local web app: server-rendered pages over the store, the same data as JSON under ``/api``.

Each request opens its own read-only SQLite connection, so the app never blocks or corrupts an ingest
writing the same file (WAL mode lets readers see the last committed state). Pages are Jinja2 templates
with autoescaping; a strict Content-Security-Policy (scripts and styles only from ``/static``) is a
second wall should anything ever slip past escaping. Static assets ship inside the package: nothing is
fetched from the network, not even for ``/docs``, which is rendered here from the OpenAPI schema.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode, urlsplit

import numpy as np
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storyline.group.compare import CROSS_LANGUAGE_NOTE, Embed
from storyline.model import day_label
from storyline.represent.embed import Embedder
from storyline.store.sqlite import EVENT_ORDERS, EventFilters
from storyline.web import charts, entities, outlets, queries, search, stories
from storyline.web.search import SNIPPET_CLOSE, SNIPPET_OPEN, SearchSyntaxError
from storyline.web.stories import StoryFilters

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
TEMPLATE_DIR = HERE / "templates"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def safe_url(value: str | None) -> str | None:
    """The URL if it is an http(s) link, else None: ``javascript:`` and ``data:`` never become links."""
    if not value:
        return None
    try:
        scheme = urlsplit(value.strip()).scheme.lower()
    except ValueError:
        return None
    return value.strip() if scheme in ("http", "https") else None


def mark_snippet(text: str | None) -> Markup:
    """Escape an FTS5 snippet, then turn its match markers into ``<mark>`` tags."""
    escaped = str(escape(text or ""))
    return Markup(escaped.replace(SNIPPET_OPEN, "<mark>").replace(SNIPPET_CLOSE, "</mark>"))


def path_id(value: str) -> str:
    """An id as one URL path segment (ids may hold ``:``, ``/`` or spaces: entity keys do)."""
    return quote(value, safe="")


_PAGES = {"article": "/articles/", "event": "/events/", "entity": "/entities/", "story": "/stories/",
          "outlet": "/outlets/"}


def web_url(kind: str, ident: str) -> str:
    """Where the web app shows an article, event, entity, story or outlet."""
    return _PAGES[kind] + path_id(ident)


def make_templates(directory: Path = TEMPLATE_DIR) -> Jinja2Templates:
    """Templates with the filters every page uses; the report renders with the same environment setup."""
    templates = Jinja2Templates(directory=str(directory))
    env = templates.env
    env.autoescape = True
    env.filters.update(safe_url=safe_url, snippet=mark_snippet, pid=path_id, day=day_label)
    env.globals.update(sparkline=charts.sparkline, timeline=charts.timeline, url=web_url)
    return templates


class SecurityHeaders:
    """Adds the CSP and friends to every response (plain ASGI: no per-request task, unlike ``@app.middleware``)."""

    HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
               "X-Frame-Options": "DENY"}

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(self.HEADERS)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def connection(request: Request) -> Iterator[sqlite3.Connection]:
    """One read-only connection per request, closed when the response is done."""
    conn = queries.connect_readonly(request.app.state.db_path)
    try:
        yield conn
    finally:
        conn.close()


Conn = Annotated[sqlite3.Connection, Depends(connection)]
Page = Annotated[int, Query(ge=1, le=1_000_000)]
PageNo = Annotated[int, Query(alias="page", ge=1, le=1_000_000)]


def create_app(db_path: str | Path) -> FastAPI:
    """The app over the store at ``db_path``, which must exist (the app only reads)."""
    db = Path(db_path)
    if not db.is_file():
        raise FileNotFoundError(f"no store at {db}")
    app = FastAPI(title="storyline", summary="Events, stories and quotes from news articles",
                  docs_url=None, redoc_url=None)
    app.state.db_path = str(db)
    app.state.stories = stories.StoryIndex(str(db))
    app.state.entities = stories.TableCache(str(db), entities.EntityTable.load)
    app.state.outlets = stories.TableCaches(str(db), outlets.OutletTable.load)
    app.state.embedder, app.state.embed_lock = None, threading.Lock()
    templates = make_templates()
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR), follow_symlink=False), name="static")

    def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return templates.TemplateResponse(request, name, context, status_code=status)

    def embedder(wanted: bool) -> Embed | None:
        """The app's one sentence encoder, loaded on first use (a second or two), or ``None``."""
        if not wanted:
            return None
        with app.state.embed_lock:
            if app.state.embedder is None:
                app.state.embedder = Embedder()
        encoder = app.state.embedder

        def encode(texts: Sequence[str]) -> np.ndarray:
            with app.state.embed_lock:  # one encoder, one core's worth of BLAS: callers take turns
                return encoder.encode(texts)
        return encode

    def found(value: dict[str, Any] | None, what: str) -> dict[str, Any]:
        if value is None:
            raise HTTPException(404, f"No {what} with this id.")
        return value

    def event_filters(since: str | None, until: str | None, outlet: str | None, min_articles: int,
                      min_outlets: int, lang: str | None, entity: str | None) -> EventFilters:
        try:
            return EventFilters(queries.parse_day(since), queries.parse_day(until),
                                tuple(o.strip() for o in (outlet or "").split(",") if o.strip()),
                                max(min_articles, 1), max(min_outlets, 1), lang or None,
                                (entity or "").strip() or None)
        except ValueError as exc:
            raise HTTPException(400, "Dates must be written YYYY-MM-DD, for example 2021-03-30.") from exc

    def event_order(order: str) -> str:
        if order not in EVENT_ORDERS:
            raise HTTPException(400, f"order must be one of: {', '.join(EVENT_ORDERS)}.")
        return order

    def story_filters(date_from: str | None, date_to: str | None, lang: str | None, outlet: str | None,
                      entity: str | None) -> StoryFilters:
        try:
            return StoryFilters(queries.parse_day(date_from), queries.parse_day(date_to), lang or None,
                                outlet or None, entity or None)
        except ValueError as exc:
            raise HTTPException(400, "Dates must be written YYYY-MM-DD, for example 2021-03-30.") from exc

    # ------------------------------------------------------------------ pages
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def stories_page(request: Request, conn: Conn, page_no: PageNo = 1,
                     sort: str = "rank", date_from: str | None = None, date_to: str | None = None,
                     lang: str | None = None, outlet: str | None = None, entity: str | None = None) -> HTMLResponse:
        filters = story_filters(date_from, date_to, lang, outlet, entity)
        table = app.state.stories.table()
        data = stories.list_stories(conn, filters, page=page_no, sort=_sort(sort), table=table)
        return render(request, "stories.html", data=data, choices=stories.filter_choices(conn, table))

    @app.get("/events", response_class=HTMLResponse, include_in_schema=False)
    def events_page(request: Request, conn: Conn, page_no: PageNo = 1, order: str = "newest",
                    since: str | None = None, until: str | None = None, outlet: str | None = None,
                    min_articles: int = 1, min_outlets: int = 1, lang: str | None = None,
                    entity: str | None = None) -> HTMLResponse:
        filters = event_filters(since, until, outlet, min_articles, min_outlets, lang, entity)
        data = queries.list_events(conn, filters, order=event_order(order), page=page_no)
        return render(request, "events.html", data=data, outlets=queries.outlet_names(conn),
                      choices=stories.filter_choices(conn, app.state.stories.table()))

    @app.get("/stories/{story_id}", response_class=HTMLResponse, include_in_schema=False)
    def story_page(request: Request, story_id: str, conn: Conn, page_no: PageNo = 1,
                   ) -> HTMLResponse:
        story = found(stories.story_detail(conn, story_id, page=page_no), "story")
        return render(request, "story.html", story=story, event_href=lambda eid: f"/events/{path_id(eid)}")

    @app.get("/events/{event_id}", response_class=HTMLResponse, include_in_schema=False)
    def event_page(request: Request, event_id: str, conn: Conn) -> HTMLResponse:
        return render(request, "event.html", event=found(queries.event_detail(conn, event_id), "event"))

    @app.get("/events/{event_id}/compare", response_class=HTMLResponse, include_in_schema=False)
    def compare_page(request: Request, event_id: str, meaning: bool = False) -> HTMLResponse:
        comparison = found(queries.event_comparison(app.state.db_path, event_id, embed=embedder(meaning)), "event")
        return render(request, "compare.html", c=comparison, note=CROSS_LANGUAGE_NOTE[comparison["cross_language"]])

    def entity_list(conn: sqlite3.Connection, kind: str | None, name: str | None, page_no: int) -> dict[str, Any]:
        try:
            return entities.list_entities(conn, kind=kind or None, name=name, page=page_no,
                                          table=app.state.entities.table())
        except ValueError as exc:
            raise HTTPException(400, f"{exc}.") from exc

    @app.get("/entities", response_class=HTMLResponse, include_in_schema=False)
    def entities_page(request: Request, conn: Conn, page_no: PageNo = 1, kind: str | None = None,
                      name: str | None = None) -> HTMLResponse:
        return render(request, "entities.html", data=entity_list(conn, kind, name, page_no), kinds=entities.KINDS)

    @app.get("/entities/{key:path}", response_class=HTMLResponse, include_in_schema=False)
    def entity_page(request: Request, key: str, conn: Conn, page_no: PageNo = 1, events_page: Page = 1) -> HTMLResponse:
        entity = found(queries.entity_detail(conn, key, page=page_no, events_page=events_page), "person or entity")
        return render(request, "entity.html", entity=entity, base=f"/entities/{path_id(key)}")

    def outlet_table(filters: EventFilters) -> outlets.OutletTable:
        """The table of the whole store, or of the events the filters keep, read once per store state and filters
        (the last few filters kept)."""
        return app.state.outlets.table(filters if filters.active() else EventFilters())

    def outlet_list(conn: sqlite3.Connection, name: str | None, sort: str, page_no: int,
                    filters: EventFilters) -> dict[str, Any]:
        if sort not in outlets.OUTLET_ORDERS:
            raise HTTPException(400, f"sort must be one of: {', '.join(outlets.OUTLET_ORDERS)}.")
        return outlets.list_outlets(conn, name=name, sort=sort, page=page_no, table=outlet_table(filters))

    def outlet_found(conn: sqlite3.Connection, name: str, page_no: int, filters: EventFilters) -> dict[str, Any]:
        return found(outlets.outlet_detail(conn, name, page=page_no, table=outlet_table(filters)), "outlet")

    @app.get("/outlets", response_class=HTMLResponse, include_in_schema=False)
    def outlets_page(request: Request, conn: Conn, page_no: PageNo = 1, sort: str = "articles",
                     name: str | None = None, since: str | None = None, until: str | None = None,
                     outlet: str | None = None, lang: str | None = None, entity: str | None = None) -> HTMLResponse:
        filters = event_filters(since, until, outlet, 1, 1, lang, entity)
        return render(request, "outlets.html", data=outlet_list(conn, name, sort, page_no, filters),
                      orders=outlets.OUTLET_ORDERS, query=urlencode(filters.active()))

    @app.get("/outlets/{name:path}", response_class=HTMLResponse, include_in_schema=False)
    def outlet_page(request: Request, name: str, conn: Conn, page_no: PageNo = 1, since: str | None = None,
                    until: str | None = None, outlet: str | None = None, lang: str | None = None,
                    entity: str | None = None) -> HTMLResponse:
        filters = event_filters(since, until, outlet, 1, 1, lang, entity)
        profile = outlet_found(conn, name, page_no, filters)
        query = urlencode(filters.active())
        return render(request, "outlet.html", o=profile, query=query,
                      base=f"/outlets/{path_id(profile['outlet'])}?" + (query + "&" if query else ""))

    @app.get("/articles/{article_id}", response_class=HTMLResponse, include_in_schema=False)
    def article_page(request: Request, article_id: str, conn: Conn) -> HTMLResponse:
        return render(request, "article.html", article=found(queries.article_detail(conn, article_id), "article"))

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def search_page(request: Request, conn: Conn, q: str = "", page_no: PageNo = 1,
                    ) -> HTMLResponse:
        if not q.strip():
            return render(request, "search.html", q=q, result=None, error=None)
        try:
            result = search.search(conn, q, page=page_no)
        except SearchSyntaxError as exc:
            return render(request, "search.html", status=400, q=q, result=None, error=str(exc))
        return render(request, "search.html", q=q, result=result, error=None)

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs_page(request: Request) -> HTMLResponse:
        schema = app.openapi()
        routes = [
            {"method": method.upper(), "path": path, "summary": op.get("summary", ""),
             "description": op.get("description", ""),
             "params": [(p["name"], p["in"], p.get("required", False)) for p in op.get("parameters", [])]}
            for path, ops in sorted(schema["paths"].items()) for method, op in sorted(ops.items())
        ]
        return render(request, "docs.html", routes=routes, title=schema["info"]["title"])

    # ------------------------------------------------------------------ JSON API
    @app.get("/api/stories", summary="Stories ranked by recency and size, with filters")
    def api_stories(conn: Conn, page: Page = 1, sort: str = "rank", date_from: str | None = None,
                    date_to: str | None = None, lang: str | None = None, outlet: str | None = None,
                    entity: str | None = None) -> dict[str, Any]:
        """Same data as the Stories page; ``per_day`` holds [day, articles] pairs for the sparkline."""
        filters = story_filters(date_from, date_to, lang, outlet, entity)
        return stories.list_stories(conn, filters, page=page, sort=_sort(sort), table=app.state.stories.table())

    @app.get("/api/events", summary="Events, newest first, with filters")
    def api_events(conn: Conn, page: Page = 1, order: str = "newest", since: str | None = None,
                   until: str | None = None, outlet: str | None = None, min_articles: int = 1,
                   min_outlets: int = 1, lang: str | None = None, entity: str | None = None) -> dict[str, Any]:
        """``since``/``until`` (YYYY-MM-DD) keep events whose span meets the range; ``outlet`` (comma-separated:
        any of them) matches a name, part of one (4+ letters) or a known domain; ``lang``: an article in that
        language; ``entity``: a name in either language or a key; ``order``: newest, oldest, articles, outlets."""
        filters = event_filters(since, until, outlet, min_articles, min_outlets, lang, entity)
        return queries.list_events(conn, filters, order=event_order(order), page=page)

    @app.get("/api/stories/{story_id}", summary="A story: events in timeline order, volume per day and outlet")
    def api_story(story_id: str, conn: Conn, page: Page = 1) -> dict[str, Any]:
        return found(stories.story_detail(conn, story_id, page=page), "story")

    @app.get("/api/events/{event_id}", summary="An event: coverage by outlet, statements, entities, evidence")
    def api_event(event_id: str, conn: Conn) -> dict[str, Any]:
        return found(queries.event_detail(conn, event_id), "event")

    @app.get("/api/events/{event_id}/compare",
             summary="How each outlet covered an event: first reporter, copies, what only one outlet says")
    def api_compare(event_id: str, meaning: bool = False) -> dict[str, Any]:
        """What `storyline compare EVENT_ID --json` prints, over the event's first 100 articles by date.
        ``meaning=true`` also matches translated sentences by meaning (the embedding model: seconds on a
        large bilingual event); without it, as `storyline compare --words-only`."""
        return found(queries.event_comparison(app.state.db_path, event_id, embed=embedder(meaning)), "event")

    @app.get("/api/entities", summary="People, organisations and places, most mentioned first")
    def api_entities(conn: Conn, page: Page = 1, kind: str | None = None, name: str | None = None) -> dict[str, Any]:
        """``kind``: PER, ORG or LOC; ``name``: part of any spelling in either language (else a translated or
        inflected form of one); each item counts the articles that mention it and the statements it made."""
        return entity_list(conn, kind, name, page)

    @app.get("/api/entities/{key:path}", summary="A speaker or entity: statements over time and events")
    def api_entity(key: str, conn: Conn, page: Page = 1, events_page: Page = 1) -> dict[str, Any]:
        """``page`` pages the statements (oldest first), ``events_page`` the events (newest first), 100 each."""
        return found(queries.entity_detail(conn, key, page=page, events_page=events_page), "person or entity")

    @app.get("/api/outlets", summary="Outlets: articles, events, first reports, lag, copies")
    def api_outlets(conn: Conn, page: Page = 1, sort: str = "articles", name: str | None = None,
                    since: str | None = None, until: str | None = None, outlet: str | None = None,
                    lang: str | None = None, entity: str | None = None) -> dict[str, Any]:
        """``sort``: articles, events, first (first reports), exclusive (events no other outlet covered) or name;
        ``name``: part of an outlet's name. ``first_reports`` counts the events another outlet covered too
        (``shared_events``) that this one reported first; ``median_lag_hours``: hours behind the first report
        where both give a time (``lag_measured`` events). ``since``, ``until``, ``outlet``, ``lang``, ``entity``
        (as for /api/events) count only the events that pass."""
        return outlet_list(conn, name, sort, page, event_filters(since, until, outlet, 1, 1, lang, entity))

    @app.get("/api/outlets/{name:path}", summary="An outlet: figures, company, copies, speakers, events")
    def api_outlet(name: str, conn: Conn, page: Page = 1, since: str | None = None, until: str | None = None,
                   outlet: str | None = None, lang: str | None = None, entity: str | None = None) -> dict[str, Any]:
        """``name``: as stored, any case, a known outlet's domain or alias, or part of one name. ``event_list``:
        100 events per ``page``, newest first, each with ``rank`` (1: reported first), ``lag_hours``,
        ``own_articles`` and ``outlets``; the filters as for /api/outlets."""
        return outlet_found(conn, name, page, event_filters(since, until, outlet, 1, 1, lang, entity))

    @app.get("/api/articles/{article_id}", summary="An article: clean text, highlights, original text")
    def api_article(article_id: str, conn: Conn) -> dict[str, Any]:
        return found(queries.article_detail(conn, article_id), "article")

    @app.get("/api/search", summary="Full-text search over titles, bodies and quotes (FTS5)")
    def api_search(conn: Conn, q: str, page: Page = 1) -> dict[str, Any]:
        """Bare words are ANDed; "phrases", AND/OR/NOT, parentheses and prefix* work; bad syntax is a 400."""
        try:
            return search.search(conn, q, page=page)
        except SearchSyntaxError as exc:
            raise HTTPException(400, str(exc)) from exc

    # ------------------------------------------------------------------ errors and headers
    def wants_json(request: Request) -> bool:
        return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if wants_json(request) or request.url.path.startswith("/static/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        return render(request, "error.html", status=exc.status_code, status_code=exc.status_code, message=exc.detail)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors())
        if wants_json(request):
            return JSONResponse({"detail": problems}, status_code=400)
        return render(request, "error.html", status=400, status_code=400, message=f"Bad request: {problems}")

    @app.exception_handler(sqlite3.OperationalError)
    async def store_busy(request: Request, exc: sqlite3.OperationalError) -> Response:
        message = "The store is busy or unreadable; try again in a moment."
        if wants_json(request):
            return JSONResponse({"detail": message}, status_code=503)
        return render(request, "error.html", status=503, status_code=503, message=message)

    app.add_middleware(SecurityHeaders)
    return app


def _sort(value: str) -> str:
    return value if value in ("rank", "recent", "size") else "rank"


def warm(app: FastAPI) -> None:
    """Read the stories and the filter choices once now, so the first page view is not the slow one."""
    conn = queries.connect_readonly(app.state.db_path)
    try:
        stories.filter_choices(conn, app.state.stories.table())
    finally:
        conn.close()


def upgrade_store(db_path: str | Path) -> bool:
    """Apply the store's pending schema migrations before serving (the app itself only reads, so a store written
    by an older storyline would miss the indexes its pages rely on). A file the user cannot write is served as it
    is, with a warning; returns whether the store is current."""
    from storyline.store import SQLiteStore

    try:
        SQLiteStore(db_path).close()
    except sqlite3.OperationalError as error:
        log.warning("%s: schema not upgraded (%s); serving it as it is", db_path, error)
        return False
    return True


def serve(db_path: str | Path, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the app with uvicorn until interrupted; binds to loopback unless told otherwise."""
    import uvicorn

    upgrade_store(db_path)
    app = create_app(db_path)
    warm(app)
    uvicorn.run(app, host=host, port=port, log_level="info")
