"""The polite fetcher and the feed parsers on their own, against a real loopback server."""

from __future__ import annotations

import gzip
import time

from storyline.ingest.feeds import parse_feed
from storyline.ingest.fetch import USER_AGENT, Fetcher, FetchResult, canonical_url, decode_page, site_of
from test_watch_site import BRIDGE_1, Route, Site, article_html, rss, serve


def test_per_host_concurrency_is_capped() -> None:
    site = Site(routes={f"/p{i}": Route(b"<html><body>x</body></html>", delay=0.3) for i in range(6)})
    with serve(site) as port, Fetcher(per_host=2, delay=0.0, robots=False) as fetcher:
        results = fetcher.fetch_many([f"http://127.0.0.1:{port}/p{i}" for i in range(6)])
    assert all(r.ok for r in results)
    assert [r.final_url for r in results] == [f"http://127.0.0.1:{port}/p{i}" for i in range(6)]
    assert site.max_in_flight == 2


def test_requests_to_one_host_are_spaced_by_the_delay() -> None:
    site = Site(routes={f"/p{i}": Route(b"ok", content_type="text/plain") for i in range(3)})
    with serve(site) as port, Fetcher(per_host=4, delay=0.25, robots=False) as fetcher:
        started = time.monotonic()
        fetcher.fetch_many([f"http://127.0.0.1:{port}/p{i}" for i in range(3)])
        elapsed = time.monotonic() - started
    assert elapsed >= 0.5


def test_crawl_delay_from_robots_txt_is_obeyed_up_to_the_cap() -> None:
    site = Site(routes={"/robots.txt": Route(b"User-agent: *\nCrawl-delay: 100\n", content_type="text/plain")})
    site.routes.update({f"/p{i}": Route(b"ok", content_type="text/plain") for i in range(3)})
    with serve(site) as port, Fetcher(per_host=4, delay=0.0, max_delay=0.3) as fetcher:
        started = time.monotonic()
        fetcher.fetch_many([f"http://127.0.0.1:{port}/p{i}" for i in range(3)])
        elapsed = time.monotonic() - started
    assert 0.6 <= elapsed < 5
    assert len(site.requests_for("/robots.txt")) == 1  # cached per host in the fetcher


def test_transient_errors_are_retried_with_back_off_then_succeed() -> None:
    site = Site(routes={"/p": Route(b"<html><body>fine</body></html>", fail_first=2)})
    with serve(site) as port, Fetcher(retries=2, backoff=0.05, delay=0.0, robots=False) as fetcher:
        result = fetcher.fetch(f"http://127.0.0.1:{port}/p")
    assert result.ok and result.content.endswith(b"fine</body></html>")
    assert [status for _, status in site.requests_for("/p")] == [503, 503, 200]


def test_client_errors_are_not_retried_and_never_raise() -> None:
    site = Site()
    with serve(site) as port, Fetcher(retries=3, backoff=0.05, delay=0.0, robots=False) as fetcher:
        missing = fetcher.fetch(f"http://127.0.0.1:{port}/gone")
        bad = fetcher.fetch("ftp://127.0.0.1/file")
    assert (missing.error, missing.transient) == ("HTTP 404", False)
    assert len(site.requests_for("/gone")) == 1
    assert bad.error is not None and bad.error.startswith("bad URL")


def test_declared_and_streamed_sizes_are_both_limited() -> None:
    big = b"<html><body>" + b"x" * 200_000 + b"</body></html>"
    site = Site(routes={"/declared": Route(big), "/streamed": Route(big, send_length=False)})
    with serve(site) as port, Fetcher(max_bytes=100_000, delay=0.0, robots=False) as fetcher:
        declared, streamed = fetcher.fetch_many([f"http://127.0.0.1:{port}/declared",
                                                 f"http://127.0.0.1:{port}/streamed"])
    assert declared.error is not None and "declared" in declared.error
    assert streamed.error is not None and streamed.error.startswith("too large")
    assert declared.content == streamed.content == b""


def test_redirects_are_followed_and_loops_stopped() -> None:
    site = Site(routes={
        "/a": Route(b"", status=302, headers={"Location": "/b"}),
        "/b": Route(b"<html><body>b</body></html>"),
        "/loop": Route(b"", status=301, headers={"Location": "/loop"}),
    })
    with serve(site) as port, Fetcher(delay=0.0, robots=False, max_redirects=3) as fetcher:
        moved = fetcher.fetch(f"http://127.0.0.1:{port}/a")
        loop = fetcher.fetch(f"http://127.0.0.1:{port}/loop")
    assert moved.ok and moved.final_url == f"http://127.0.0.1:{port}/b" and moved.url == f"http://127.0.0.1:{port}/a"
    assert loop.error == "more than 3 redirects"


def test_redirect_into_a_disallowed_path_is_not_followed() -> None:
    site = Site(routes={
        "/robots.txt": Route(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"),
        "/open": Route(b"", status=301, headers={"Location": "/private/page"}),
        "/private/page": Route(b"<html><body>secret</body></html>"),
    })
    with serve(site) as port, Fetcher(delay=0.0) as fetcher:
        result = fetcher.fetch(f"http://127.0.0.1:{port}/open")
    assert result.error == "disallowed by robots.txt"
    assert site.requests_for("/private/page") == []
    assert all(headers["user-agent"] == USER_AGENT for _, _, headers, _ in site.log)


def test_unreachable_robots_txt_disallows_the_site() -> None:
    site = Site(routes={"/robots.txt": Route(b"", status=500), "/p": Route(b"<html></html>")})
    with serve(site) as port, Fetcher(delay=0.0, retries=0) as fetcher:
        result = fetcher.fetch(f"http://127.0.0.1:{port}/p")
    assert result.error is not None and result.error.startswith("robots.txt unreachable") and result.transient
    assert site.requests_for("/p") == []


def test_decode_prefers_http_charset_then_meta_then_detection() -> None:
    html = article_html(*BRIDGE_1)
    meta = article_html(*BRIDGE_1, meta_charset="koi8-r")
    header = FetchResult("u", "u", 200, html.encode("cp1251"), "text/html", charset="windows-1251")
    in_meta = FetchResult("u", "u", 200, meta.encode("koi8-r"), "text/html")
    undeclared = FetchResult("u", "u", 200, html.encode("koi8-r"), "text/html")
    wrong_header = FetchResult("u", "u", 200, html.encode("utf-8"), "text/html", charset="ascii")
    assert decode_page(header) == (html, "cp1251")
    assert decode_page(in_meta) == (meta, "koi8-r")
    assert decode_page(undeclared)[0] == html
    assert decode_page(wrong_header) == (html, "utf-8")
    server_default = FetchResult("u", "u", 200, html.encode("cp1251"), "text/html", charset="ISO-8859-1")
    assert decode_page(server_default) == (html, "cp1251")
    french = "<html><body><p>Le café est fermé à Noël, déclare le préfet.</p></body></html>"
    latin = FetchResult("u", "u", 200, french.encode("latin-1"), "text/html", charset="ISO-8859-1")
    assert decode_page(latin) == (french, "iso8859-1")


def test_rss_links_are_made_absolute_and_guids_kept() -> None:
    feed = rss("Courier", [("/news/1?utm_medium=x&id=7#top", "One", "Tue, 05 Mar 2024 09:00:00 +0000", "g-1")])
    parsed = parse_feed(feed, "http://127.0.0.1:9/rss.xml")
    assert parsed.kind == "rss20"
    [item] = parsed.items
    assert (item.url, item.guid, item.title, item.date, item.site_name) == (
        "http://127.0.0.1:9/news/1?id=7", "g-1", "One", "2024-03-05T09:00:00+00:00", "Courier")


def test_gzipped_sitemap_index_lists_child_sitemaps() -> None:
    index = (b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
             b"<sitemap><loc>https://Example.org/s1.xml</loc></sitemap>"
             b"<sitemap><loc>/s2.xml</loc></sitemap></sitemapindex>")
    parsed = parse_feed(gzip.compress(index), "https://example.org/index.xml.gz")
    assert (parsed.kind, parsed.items, parsed.children) == (
        "sitemapindex", [], ["https://example.org/s1.xml", "https://example.org/s2.xml"])


def test_regular_sitemap_uses_lastmod_as_the_date() -> None:
    sitemap = (b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://ex.org/a</loc>'
               b"<lastmod>2024-03-05</lastmod></url><url><lastmod>2024-03-05</lastmod></url></urlset>")
    [item] = parse_feed(sitemap, "https://ex.org/sitemap.xml").items
    assert (item.url, item.date, item.title) == ("https://ex.org/a", "2024-03-05", None)


def test_urls_and_sites() -> None:
    assert canonical_url("HTTPS://WWW.Example.org/a?utm_source=x&b=1#frag") == "https://www.example.org/a?b=1"
    assert site_of("https://www.example.org:8443/a") == "example.org"
