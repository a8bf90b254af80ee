"""`storyline watch` against a real HTTP server on loopback: two rounds, failures of every kind.

The server (tests/test_watch_site.py) answers for two outlets (``127.0.0.1`` and ``localhost``), plus a slow
host on its own port and a closed port. Nothing here reaches beyond 127.0.0.1.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

import pytest

from storyline.config import Config
from storyline.ingest.feeds import WatchReport, read_feed_list, watch, watch_once
from storyline.ingest.fetch import Fetcher
from storyline.store import SQLiteStore
from test_watch_site import (
    AIRPORT,
    BRIDGE_1,
    BRIDGE_2,
    STRIKE_1,
    STRIKE_2,
    STRIKE_3,
    Route,
    Site,
    article_html,
    atom,
    news_sitemap,
    rss,
    serve,
)

SITEMAP_DATE = "Tue, 05 Mar 2024 12:00:00 GMT"


@dataclass
class Web:
    site: Site
    port: int
    slow_port: int
    closed_port: int
    feeds: Path

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _page(story: tuple[str, list[str]], encoding: str = "utf-8", *, meta: bool = False, header: bool = True) -> Route:
    html = article_html(story[0], story[1], meta_charset=encoding if meta else None)
    content_type = f"text/html; charset={encoding}" if header else "text/html"
    return Route(html.encode(encoding), content_type=content_type)


def _rss_items(web_port: int, *, round_two: bool) -> list[tuple[str, str, str, str]]:
    base, other = f"http://127.0.0.1:{web_port}", f"http://localhost:{web_port}"
    items = [
        (f"{base}/old/strike-1?utm_source=rss", STRIKE_1[0], "Tue, 05 Mar 2024 09:00:00 +0000", "strike-1"),
        (f"{base}/news/bridge-cp1251", BRIDGE_1[0], "Tue, 05 Mar 2024 10:00:00 +0000", "bridge-1"),
        (f"{base}/private/secret", "Members only", "Tue, 05 Mar 2024 10:30:00 +0000", "secret"),
        (f"{base}/news/huge", "A very long page", "Tue, 05 Mar 2024 11:00:00 +0000", "huge"),
        (f"{base}/news/flaky", AIRPORT[0], "Wed, 06 Mar 2024 08:00:00 +0000", "airport"),
    ]
    if round_two:
        items.insert(0, (f"{other}/news/strike-3", STRIKE_3[0], "Wed, 06 Mar 2024 09:00:00 +0000", "strike-3"))
    return items


@pytest.fixture()
def web(tmp_path: Path) -> Web:
    site = Site()
    slow = Site(routes={"/feed.xml": Route(rss("Slow", []), content_type="application/rss+xml", delay=3.0)})
    with serve(site) as port, serve(slow) as slow_port:
        other = f"http://localhost:{port}"
        site.routes.update({
            "/robots.txt": Route(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"),
            "/rss.xml": Route(rss("Loopback Courier", _rss_items(port, round_two=False)),
                              content_type="application/rss+xml; charset=utf-8", etag='"rss-1"'),
            "/atom.xml": Route(atom("Localhost Ledger", [(f"{other}/news/strike-2", STRIKE_2[0],
                                                          "2024-03-05T09:30:00Z")]),
                               content_type="application/atom+xml", etag='"atom-1"'),
            "/sitemap-news.xml": Route(news_sitemap([
                (f"{other}/news/bridge-koi8", BRIDGE_2[0], "2024-03-05T11:00:00+00:00"),
                (f"{other}/files/report.pdf", "Annual report", "2024-03-05T11:30:00+00:00"),
            ]), content_type="application/xml", last_modified=SITEMAP_DATE),
            "/broken.xml": Route(b"<?xml version='1.0'?><rss version='2.0'><channel><title>Broken</title><item>"
                                 b"<title>Half an it", content_type="application/rss+xml"),
            "/old/strike-1": Route(b"", status=301, headers={"Location": "/news/strike-1"}),
            "/news/strike-1": _page(STRIKE_1),
            "/news/strike-2": _page(STRIKE_2),
            "/news/bridge-cp1251": _page(BRIDGE_1, "cp1251"),  # charset in the HTTP header only
            "/news/bridge-koi8": _page(BRIDGE_2, "koi8-r", meta=True, header=False),  # in a meta tag only
            "/news/flaky": Route(_page(AIRPORT).body, fail_first=1),
            "/news/huge": Route(article_html("Huge", ["word " * 300_000]).encode(), send_length=False),
            "/private/secret": _page(("Secret", ["Nobody should fetch this page."])),
            "/files/report.pdf": Route(b"%PDF-1.4 not really", content_type="application/pdf"),
        })
        feeds = tmp_path / "feeds.txt"
        closed = _closed_port()
        feeds.write_text(
            "# the outlets we follow\n"
            f"http://127.0.0.1:{port}/rss.xml\n\n"
            f"{other}/atom.xml   # Atom\n"
            f"http://127.0.0.1:{port}/sitemap-news.xml\n"
            f"http://127.0.0.1:{port}/missing.xml\n"
            f"http://127.0.0.1:{port}/broken.xml\n"
            f"http://127.0.0.1:{slow_port}/feed.xml\n"
            f"http://127.0.0.1:{closed}/feed.xml\n"
            f"http://127.0.0.1:{port}/rss.xml\n",
            encoding="utf-8",
        )
        yield Web(site, port, slow_port, closed, feeds)


def _fetcher() -> Fetcher:
    """Short timeout for the slow host, no retries within a round (a loaded CI machine answers in well under 1s)."""
    return Fetcher(timeout=1.0, retries=0, delay=0.0, max_bytes=512 * 1024)


def _events_by_path(store: SQLiteStore) -> dict[str, tuple[str, ...]]:
    """Event id → the URL paths of its articles: what a reader of the events sees."""
    path_of = {a.id: a.url.split(":", 2)[2].split("/", 1)[1] for a in store.iter_articles(with_annotations=False)}
    return {e.id: tuple(sorted(path_of[i] for i in e.article_ids)) for e in store.events()}


def test_feed_list_skips_comments_blanks_and_repeats(web: Web) -> None:
    urls = read_feed_list(web.feeds)
    assert len(urls) == 7
    assert urls[0] == web.url("/rss.xml")
    assert urls[1] == web.url("/atom.xml", "localhost")
    assert all(not u.startswith("#") for u in urls)


def test_two_rounds_grow_the_events_and_survive_every_failure(web: Web, tmp_path: Path) -> None:
    config = Config(fast=True)
    with SQLiteStore(tmp_path / "watch.db") as store, _fetcher() as fetcher:
        first = watch_once(web.feeds, store, config, fetcher=fetcher)

        assert first.feeds_ok == 3
        assert sorted(first.feeds_failed) == sorted([
            web.url("/missing.xml"), web.url("/broken.xml"),
            f"http://127.0.0.1:{web.slow_port}/feed.xml", f"http://127.0.0.1:{web.closed_port}/feed.xml",
        ])
        assert first.feeds_failed[web.url("/missing.xml")] == "HTTP 404"
        assert first.feeds_failed[web.url("/broken.xml")].startswith("malformed feed")
        assert "timed out" in first.feeds_failed[f"http://127.0.0.1:{web.slow_port}/feed.xml"]
        assert "could not connect" in first.feeds_failed[f"http://127.0.0.1:{web.closed_port}/feed.xml"]

        assert first.items_seen == first.items_new == 8
        assert first.pages_failed[web.url("/private/secret")] == "disallowed by robots.txt"
        assert first.pages_failed[web.url("/news/huge")].startswith("too large")
        assert first.pages_failed[web.url("/news/flaky")] == "HTTP 503"
        assert first.pages_failed[web.url("/files/report.pdf", "localhost")].startswith("not an HTML page")
        assert len(first.pages_failed) == 4
        assert first.articles_added == 4
        assert web.site.requests_for("/private/secret") == []

        articles = {a.url: a for a in store.iter_articles(with_annotations=False)}
        strike_1 = articles[web.url("/news/strike-1")]  # the redirect's target, tracking parameter gone
        assert strike_1.outlet == "127.0.0.1"
        assert strike_1.published is not None and strike_1.published.date().isoformat() == "2024-03-05"
        assert articles[web.url("/news/strike-2", "localhost")].outlet == "localhost"
        for path, story in (("/news/bridge-cp1251", BRIDGE_1), ("/news/bridge-koi8", BRIDGE_2)):
            host = "localhost" if "koi8" in path else "127.0.0.1"
            body = articles[web.url(path, host)].body
            assert story[1][0][:40] in body, f"{path} decoded wrongly: {body[:80]!r}"

        events = _events_by_path(store)
        assert sorted(events.values()) == [
            ("news/bridge-cp1251", "news/bridge-koi8"),
            ("news/strike-1", "news/strike-2"),
        ]
        strike_event = next(e for e, paths in events.items() if "news/strike-1" in paths)

        # between the rounds: a follow-up story appears in the RSS feed (new ETag); Atom and sitemap unchanged
        web.site.routes["/news/strike-3"] = _page(STRIKE_3)
        web.site.routes["/rss.xml"].body = rss("Loopback Courier", _rss_items(web.port, round_two=True))
        web.site.routes["/rss.xml"].etag = '"rss-2"'
        second = watch_once(web.feeds, store, config, fetcher=fetcher)

        assert second.items_seen == 6  # the RSS feed only: Atom and sitemap answered 304
        assert second.items_new == 1
        assert second.articles_added == 2  # the follow-up, and the page that failed with 503 last round
        assert second.pages_failed == {}
        assert sorted(second.feeds_failed) == sorted(first.feeds_failed)  # retried, still failing
        assert len(web.site.requests_for("/missing.xml")) == 2

        rss_requests = web.site.requests_for("/rss.xml")
        assert rss_requests[-1][0].get("if-none-match") == '"rss-1"' and rss_requests[-1][1] == 200
        atom_requests = web.site.requests_for("/atom.xml")
        assert atom_requests[-1][0].get("if-none-match") == '"atom-1"' and atom_requests[-1][1] == 304
        sitemap_requests = web.site.requests_for("/sitemap-news.xml")
        assert sitemap_requests[-1][0].get("if-modified-since") == SITEMAP_DATE and sitemap_requests[-1][1] == 304
        assert len(web.site.requests_for("/news/strike-1")) == 1  # seen items are not fetched again
        assert len(web.site.requests_for("/old/strike-1")) == 1

        events = _events_by_path(store)
        assert sorted(events.values()) == [
            ("news/bridge-cp1251", "news/bridge-koi8"),
            ("news/flaky",),
            ("news/strike-1", "news/strike-2", "news/strike-3"),
        ]
        assert events[strike_event] == ("news/strike-1", "news/strike-2", "news/strike-3")  # the id is stable

        third = watch_once(web.feeds, store, config, fetcher=fetcher)
        assert (third.items_new, third.articles_added, third.pages_failed) == (0, 0, {})
        assert store.count_articles() == 6

    agents = {headers.get("user-agent", "") for _, _, headers, _ in web.site.log}
    assert agents and all(agent.startswith("storyline/") for agent in agents)


def test_incremental_rounds_add_new_articles_to_events_that_keep_their_ids(web: Web, tmp_path: Path) -> None:
    """`watch --incremental`: the first round (a store never grouped) regroups once, later rounds only assign the
    new articles; the events and their ids are those the regrouping watch arrives at."""
    config = Config(fast=True)
    with SQLiteStore(tmp_path / "live.db") as store, _fetcher() as fetcher:
        first = watch_once(web.feeds, store, config, fetcher=fetcher, incremental=True)
        assert (first.articles_added, first.grouping) == (4, "regroup")
        before = _events_by_path(store)
        strike_event = next(e for e, paths in before.items() if "news/strike-1" in paths)

        web.site.routes["/news/strike-3"] = _page(STRIKE_3)
        web.site.routes["/rss.xml"].body = rss("Loopback Courier", _rss_items(web.port, round_two=True))
        web.site.routes["/rss.xml"].etag = '"rss-2"'
        second = watch_once(web.feeds, store, config, fetcher=fetcher, incremental=True)
        assert (second.articles_added, second.grouping) == (2, "incremental")
        assert "articles added 2 (incremental)" in second.summary()
        events = _events_by_path(store)
        assert sorted(events.values()) == [
            ("news/bridge-cp1251", "news/bridge-koi8"),
            ("news/flaky",),
            ("news/strike-1", "news/strike-2", "news/strike-3"),
        ]
        assert events[strike_event] == ("news/strike-1", "news/strike-2", "news/strike-3")
        assert all(before[e] == events[e] for e in before if e != strike_event)  # untouched events stay as they were
        assert store.conn.execute("SELECT COUNT(*) FROM articles WHERE event_id IS NULL").fetchone()[0] == 0

        third = watch_once(web.feeds, store, config, fetcher=fetcher, incremental=True)
        assert (third.articles_added, third.grouping) == (0, "")

    with SQLiteStore(tmp_path / "regrouped.db") as store, _fetcher() as fetcher:  # the same feeds, regrouping
        for _ in range(2):
            watch_once(web.feeds, store, config, fetcher=fetcher)
        assert _events_by_path(store) == events


def test_incremental_rounds_with_stories_leave_no_event_without_a_story(web: Web, tmp_path: Path) -> None:
    """`watch --incremental --stories`: a round that assigned articles links stories again, so the new strike
    article's event and every other event have a story, and the events are those of a round without stories."""
    config = Config(fast=True)
    with SQLiteStore(tmp_path / "live.db") as store, _fetcher() as fetcher:
        first = watch_once(web.feeds, store, config, fetcher=fetcher, incremental=True, stories=True)
        assert (first.articles_added, first.grouping) == (4, "regroup")  # a regroup links stories anyway
        web.site.routes["/news/strike-3"] = _page(STRIKE_3)
        web.site.routes["/rss.xml"].body = rss("Loopback Courier", _rss_items(web.port, round_two=True))
        web.site.routes["/rss.xml"].etag = '"rss-2"'
        second = watch_once(web.feeds, store, config, fetcher=fetcher, incremental=True, stories=True)
        assert (second.articles_added, second.grouping) == (2, "incremental + stories")
        assert "articles added 2 (incremental + stories)" in second.summary()
        events = store.events()
        assert events and all(e.story_id for e in events)
        assert sorted(e for s in store.stories() for e in s.event_ids) == sorted(e.id for e in events)
        assert sorted(_events_by_path(store).values()) == [
            ("news/bridge-cp1251", "news/bridge-koi8"),
            ("news/flaky",),
            ("news/strike-1", "news/strike-2", "news/strike-3"),
        ]


def test_cli_watch_once_incremental_says_how_it_grouped(web: Web, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from storyline.cli import main

    feeds = tmp_path / "one-feed.txt"
    feeds.write_text(web.url("/rss.xml") + "\n", encoding="utf-8")
    args = ["watch", str(feeds), "--once", "--incremental", "--fast", "--db", str(tmp_path / "cli.db")]
    assert main(args) == 0
    assert "articles added 4 (regroup)" in capsys.readouterr().out  # a new store is grouped as a whole once
    web.site.routes["/news/strike-3"] = _page(STRIKE_3)
    web.site.routes["/rss.xml"].body = rss("Loopback Courier", _rss_items(web.port, round_two=True))
    web.site.routes["/rss.xml"].etag = '"rss-2"'
    assert main(args) == 0
    assert "articles added 1 (incremental)" in capsys.readouterr().out
    with SQLiteStore(tmp_path / "cli.db") as store:
        assert store.conn.execute("SELECT COUNT(*) FROM articles WHERE event_id IS NULL").fetchone()[0] == 0


def test_a_new_fetcher_reads_validators_and_seen_items_from_the_store(web: Web, tmp_path: Path) -> None:
    """State lives in the store file: a cron job running `--once` twice behaves like one long watch."""
    config = Config(fast=True)
    reports: list[WatchReport] = []
    for _ in range(2):
        with SQLiteStore(tmp_path / "cron.db") as store:
            watch(web.feeds, store, config, once=True, fetcher=_fetcher(), on_round=reports.append)
    assert [r.articles_added for r in reports] == [4, 1]  # round two: only the page that failed with 503
    assert reports[1].items_new == 0
    assert web.site.requests_for("/atom.xml")[-1][1] == 304


def test_watch_loop_runs_the_requested_rounds(web: Web, tmp_path: Path) -> None:
    reports: list[WatchReport] = []
    with SQLiteStore(tmp_path / "loop.db") as store:
        watch(web.feeds, store, Config(fast=True), every_seconds=0.01, max_rounds=3, fetcher=_fetcher(),
              on_round=reports.append)
        rows = store.conn.execute("SELECT status, COUNT(*) FROM watch_items GROUP BY status").fetchall()
    assert len(reports) == 3
    assert [r.articles_added for r in reports] == [4, 1, 0]
    # given up for good: robots.txt, too large, not HTML; everything else was fetched
    assert dict((row[0], row[1]) for row in rows) == {"fetched": 5, "failed": 3}


def test_default_config_builds_events_with_real_models(tmp_path: Path) -> None:
    """The full pipeline (embeddings, entities, quotes) behind a feed, once."""
    site = Site()
    with serve(site) as port:
        base = f"http://127.0.0.1:{port}"
        site.routes.update({
            "/robots.txt": Route(b"", status=404),
            "/feed.xml": Route(atom("Loopback", [
                (f"{base}/a/strike-1", STRIKE_1[0], "2024-03-05T09:00:00Z"),
                (f"{base}/a/strike-2", STRIKE_2[0], "2024-03-05T09:30:00Z"),
                (f"{base}/a/airport", AIRPORT[0], "2024-03-06T08:00:00Z"),
            ]), content_type="application/atom+xml"),
            "/a/strike-1": _page(STRIKE_1),
            "/a/strike-2": _page(STRIKE_2),
            "/a/airport": _page(AIRPORT),
        })
        feeds = tmp_path / "feeds.txt"
        feeds.write_text(f"{base}/feed.xml\n", encoding="utf-8")
        with SQLiteStore(tmp_path / "full.db") as store:
            report = watch_once(feeds, store, Config(), fetcher=_fetcher())
            assert report.articles_added == 3 and not report.feeds_failed and not report.pages_failed
            events = _events_by_path(store)
            strike = next(a for a in store.iter_articles() if a.url.endswith("/a/strike-1"))
    assert sorted(events.values()) == [("a/airport",), ("a/strike-1", "a/strike-2")]
    assert strike.lang == "en"
    assert any("Riga" in e.name for e in strike.entities)


def test_a_telegram_channel_is_followed_like_a_feed(tmp_path: Path) -> None:
    """`https://t.me/s/<channel>` in the feed list: its page holds the posts, read whole each round; a later round
    adds only the posts that are new, and a post without text is recorded as a reject, not retried as a page."""
    from test_ingest_exports import CHANNEL_PAGE

    site = Site()
    with serve(site) as port:
        site.routes["/s/kremlin_watch"] = Route(CHANNEL_PAGE.encode(), content_type="text/html; charset=utf-8")
        feeds = tmp_path / "feeds.txt"
        feeds.write_text(f"http://127.0.0.1:{port}/s/kremlin_watch\n", encoding="utf-8")
        with SQLiteStore(tmp_path / "tg.db") as store:
            first = watch_once(feeds, store, Config(fast=True), fetcher=_fetcher())
            assert (first.feeds_ok, first.items_seen, first.articles_added, first.feeds_failed) == (1, 2, 2, {})
            again = watch_once(feeds, store, Config(fast=True), fetcher=_fetcher())  # the same page: nothing new
            assert (again.items_seen, again.articles_added) == (2, 0)
            site.routes["/s/kremlin_watch"] = Route(CHANNEL_PAGE.replace("kremlin_watch/103", "kremlin_watch/104").replace(
                """<a class="tgme_widget_message_photo_wrap" href="https://t.me/kremlin_watch/104" style="background-image:url('x.jpg')"></a>""",
                '<div class="tgme_widget_message_text">Лавров прибыл в Анкару на переговоры с Турцией.</div>').encode(),
                content_type="text/html; charset=utf-8")
            second = watch_once(feeds, store, Config(fast=True), fetcher=_fetcher())
            assert (second.items_seen, second.articles_added) == (3, 1)
            articles = {a.id: a for a in store.iter_articles(with_annotations=False)}
            assert sorted(articles) == ["tg-kremlin_watch-101", "tg-kremlin_watch-102", "tg-kremlin_watch-104"]
            assert articles["tg-kremlin_watch-102"].credited_source == "TASS"
            assert articles["tg-kremlin_watch-101"].outlet == "Кремлёвский обозреватель"
            reasons = [r[0] for r in store.conn.execute("SELECT reason FROM rejects")]
            assert reasons.count("Telegram post https://t.me/kremlin_watch/103 has no text") == 1
