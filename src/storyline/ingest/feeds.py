"""Follow news feeds: RSS 2.0, Atom, (news) sitemaps and Telegram channels (``https://t.me/s/<channel>``) in, new
articles, events and stories out.

One round (:func:`watch_once`) reads the feed list, fetches every feed conditionally (ETag /
Last-Modified from the previous round), records items it has not seen before as *pending*, fetches the
pending pages politely, and hands them to :func:`storyline.pipeline.ingest_stream` followed by
:func:`storyline.pipeline.regroup`, so events and stories grow as the day goes on.

What is remembered lives in the store file, in two small tables (``watch_feeds``: validators and
failures per feed; ``watch_items``: every item URL/guid seen and what became of it). Because an item is
recorded before its page is fetched, a page that fails for a transient reason (timeout, 5xx) is retried
in later rounds up to :data:`MAX_ATTEMPTS` times even when its feed answers 304; a page that fails for good
(404, not HTML, too large, disallowed by robots.txt) is never asked for again. A failing feed is reported
in :class:`WatchReport` and simply asked again next round; the other feeds go on.

>>> report = watch_once(Path("feeds.txt"), store, Config(fast=True))   # doctest: +SKIP
>>> report.articles_added, sorted(report.feeds_failed)                  # doctest: +SKIP
(12, ['https://example.org/broken.xml'])
"""

from __future__ import annotations

import gzip
import io
import itertools
import logging
import re
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin

import feedparser
from lxml import etree

from storyline.config import Config
from storyline.ingest.decode import SAMPLE_BYTES, UndecodableError
from storyline.ingest.feedfile import struct_iso
from storyline.ingest.fetch import Fetcher, FetchResult, canonical_url, decode_page, site_of
from storyline.ingest.telegram import is_channel_page, iter_channel_page
from storyline.model import RawDocument, Reject, stable_id
from storyline.pipeline import Models, group_pending, ingest_stream, regroup
from storyline.store.sqlite import SQLiteStore

log = logging.getLogger(__name__)

#: Attempts at a page that keeps failing transiently before it is given up for good.
MAX_ATTEMPTS = 3
#: Child sitemaps followed from one sitemap index per round (news sites list thousands of archives).
MAX_CHILD_SITEMAPS = 50
#: Pages fetched per round; the rest stay pending for the next rounds (newest items go first).
MAX_PAGES_PER_ROUND = 1000
#: Pages fetched, then ingested, at a time: bounds the memory a round holds.
PAGES_PER_BATCH = 64
_MAX_FEED_BYTES = 50 * 1024 * 1024  # a gzipped sitemap is inflated at most this far
_FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
_PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
_SITEMAP_ROOT = re.compile(rb"<(?:[\w.-]+:)?(urlset|sitemapindex)[\s>]")

class FeedError(ValueError):
    """A feed's body is not RSS, Atom or a sitemap we can read; ``str()`` is the reason for the report."""


@dataclass(slots=True)
class FeedItem:
    """One entry of a feed: the link to fetch and what the feed says about it."""

    url: str
    feed_url: str
    guid: str | None = None
    title: str | None = None
    date: str | None = None
    site_name: str | None = None


@dataclass(slots=True)
class ParsedFeed:
    """Items of a feed, and the child sitemaps of a sitemap index."""

    kind: str  # "rss20", "atom10", … as feedparser names them, "sitemap" / "sitemapindex", or "telegram"
    items: list[FeedItem] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    posts: list[RawDocument | Reject] = field(default_factory=list)  # a Telegram channel page holds its posts


@dataclass
class WatchReport:
    """What one round did. Failures map a URL to a one-line reason.

    ``items_seen`` counts the distinct items of the feeds read this round (a feed answering 304 lists
    none); ``items_new`` those never seen before; ``articles_added`` the articles the store gained;
    ``grouping`` how they got their events ("regroup", or "incremental" with ``watch --incremental``, "incremental
    + stories" with ``--stories`` too).
    """

    feeds_ok: int = 0
    feeds_failed: dict[str, str] = field(default_factory=dict)
    items_seen: int = 0
    items_new: int = 0
    pages_failed: dict[str, str] = field(default_factory=dict)
    articles_added: int = 0
    grouping: str = ""  # how the new articles got events: "regroup" (the whole store) or "incremental"

    def summary(self) -> str:
        lines = [
            f"feeds ok {self.feeds_ok}, failed {len(self.feeds_failed)}; items {self.items_seen}, new "
            f"{self.items_new}; pages failed {len(self.pages_failed)}; articles added {self.articles_added}"
            + (f" ({self.grouping})" if self.grouping else "")
        ]
        lines += [f"  feed {url}: {why}" for url, why in sorted(self.feeds_failed.items())]
        lines += [f"  page {url}: {why}" for url, why in sorted(self.pages_failed.items())]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["feeds_failed"] = dict(sorted(self.feeds_failed.items()))
        data["pages_failed"] = dict(sorted(self.pages_failed.items()))
        return data


# ---------------------------------------------------------------------- the loop
def watch(
    feed_list: Path,
    store: SQLiteStore,
    config: Config,
    *,
    every_seconds: float = 600,
    once: bool = False,
    max_rounds: int | None = None,
    fetcher: Fetcher | None = None,
    on_round: Callable[[WatchReport], None] | None = None,
    incremental: bool = False,
    stories: bool = False,
) -> None:
    """Run rounds every ``every_seconds`` (measured start to start) until interrupted, or once.

    Models and the fetcher (with its robots.txt cache) are kept across rounds. Each round's report goes
    to ``on_round``; by default a summary is printed, which is what ``storyline watch`` shows. When
    watching without end, a round that fails as a whole (say, the store locked by another writer) is
    logged and the next round goes ahead; with ``once`` the error propagates, so cron sees it.
    ``incremental`` and ``stories``: see :func:`watch_once`.
    """
    if every_seconds <= 0 and not once and max_rounds is None:
        raise ValueError("every_seconds must be > 0 when watching without end")
    on_round = on_round or _print_report
    models = Models(config)
    own_fetcher = fetcher is None
    fetcher = fetcher or Fetcher()
    rounds = 0
    try:
        while True:
            started = time.monotonic()
            try:
                on_round(watch_once(feed_list, store, config, fetcher=fetcher, models=models,
                                    incremental=incremental, stories=stories))
            except (sqlite3.OperationalError, OSError) as exc:
                if once:
                    raise
                log.error("watch round failed, trying again next round: %s", exc)
            rounds += 1
            if once or (max_rounds is not None and rounds >= max_rounds):
                return
            time.sleep(max(0.0, every_seconds - (time.monotonic() - started)))
    finally:
        if own_fetcher:
            fetcher.close()


def watch_once(
    feed_list: Path,
    store: SQLiteStore,
    config: Config,
    *,
    fetcher: Fetcher | None = None,
    models: Models | None = None,
    incremental: bool = False,
    stories: bool = False,
) -> WatchReport:
    """One pass: feeds → new items → pages → ingest → events. Never raises for a bad feed or page.

    By default the round's new articles are grouped by regrouping the whole store (near-copies, events,
    statements, stories: the reference grouping, at a cost that grows with the store: minutes at 100k articles). ``incremental`` assigns only
    the new articles, as ``ingest --incremental`` does: existing events keep their ids and members, the cost
    does not grow with the store, near-copies, names and statements are joined as they arrive, and stories wait
    for the next ``regroup`` — or, with ``stories``, are linked again over the stored events after a round that
    assigned articles (:func:`~storyline.pipeline.relink_stories`: event ids kept, one pass over the store).
    """
    report = WatchReport()
    started = _now()
    own_fetcher = fetcher is None
    fetcher = fetcher or Fetcher()
    try:
        items, outcomes, posts = _poll_feeds(read_feed_list(feed_list), store, fetcher, report)
        report.items_seen = len(items) + sum(isinstance(post, RawDocument) for post in posts)
        with store.conn:  # new items and the validators that make their feed answer 304: together or not at all
            report.items_new = _record_new_items(store, items, started)
            for url, result in outcomes:
                _remember_feed(store, url, result, report.feeds_failed.get(url))
        pending = _pending_items(store)
        if pending or posts:
            models = models or Models(config)
            origins: dict[str, str] = {}
            pages = _fetched_pages(pending, store, fetcher, report, origins) if pending else iter(())
            summary = ingest_stream(itertools.chain(posts, pages), store, config, models=models)
            report.articles_added = summary.new_articles
            _settle_rejects(store, summary.rejects, origins, report)
    finally:
        if own_fetcher:
            fetcher.close()
    if report.articles_added:
        models = models or Models(config)
        if incremental:  # a store never grouped incrementally is regrouped once instead (0 assigned)
            assigned = group_pending(store, config, models=models, stories=stories)
            report.grouping = ("incremental + stories" if stories else "incremental") if assigned else "regroup"
        else:
            regroup(store, config, models=models)
            report.grouping = "regroup"
    run_id = stable_id("run", started, "watch", str(feed_list))
    store.record_run(run_id, started, _now(), "watch", report.as_dict())
    return report


def read_feed_list(path: Path) -> list[str]:
    """Feed URLs, one per line; blank lines and ``#`` comments ignored, duplicates dropped (first kept)."""
    urls: list[str] = []
    for line in Path(path).read_text(encoding="utf-8-sig").splitlines():
        url = line.split(" #", 1)[0].strip()
        if url and not url.startswith("#") and url not in urls:
            urls.append(url)
    return urls


# ---------------------------------------------------------------------- feeds
def _poll_feeds(
    feed_urls: Sequence[str], store: SQLiteStore, fetcher: Fetcher, report: WatchReport
) -> tuple[list[FeedItem], list[tuple[str, FetchResult]], list[RawDocument | Reject]]:
    """Fetch feeds conditionally (and the child sitemaps of sitemap indexes); items in feed-list order, and the
    posts of Telegram channel pages (read whole: the page is the feed and the articles)."""
    items: dict[str, FeedItem] = {}
    posts: list[RawDocument | Reject] = []
    outcomes: list[tuple[str, FetchResult]] = []
    queue = list(feed_urls)
    done: set[str] = set()
    depth = 0
    while queue and depth < 2:
        queue = [url for url in queue if url not in done]
        done.update(queue)
        validators = _feed_validators(store, queue)
        children: list[str] = []
        for url, result in zip(queue, fetcher.fetch_many(queue, validators, accept=_FEED_ACCEPT), strict=True):
            parsed = _read_feed(url, result, report)
            outcomes.append((url, result))
            if parsed is None:
                continue
            report.feeds_ok += 1
            posts += parsed.posts
            for item in parsed.items:
                items.setdefault(item.url, item)
            children += parsed.children[:MAX_CHILD_SITEMAPS]
        queue = children
        depth += 1
    return list(items.values()), outcomes, posts


def _read_feed(url: str, result: FetchResult, report: WatchReport) -> ParsedFeed | None:
    if result.not_modified:
        return ParsedFeed("not-modified")
    if not result.ok:
        report.feeds_failed[url] = result.error or f"HTTP {result.status}"
        return None
    try:
        return parse_feed(result.content, result.final_url)
    except FeedError as exc:
        report.feeds_failed[url] = str(exc)
        return None


def parse_feed(content: bytes, url: str) -> ParsedFeed:
    """Items of an RSS/Atom feed or a (news) sitemap, links made absolute; raises :class:`FeedError`."""
    if content[:2] == b"\x1f\x8b":
        content = _gunzip(content)
    if _SITEMAP_ROOT.search(content[:4096]):
        return parse_sitemap(content, url)
    if is_channel_page(content[:SAMPLE_BYTES]):  # https://t.me/s/<channel>: its posts, whole
        try:
            return ParsedFeed("telegram", posts=list(iter_channel_page(content, origin=url)))
        except UndecodableError as exc:
            raise FeedError(str(exc)) from exc
    parsed = feedparser.parse(content, response_headers={"content-location": url})
    site_name = (parsed.feed.get("title") or "").strip() or None
    items: list[FeedItem] = []
    for entry in parsed.entries:
        link = entry.get("link") or _guid_link(entry.get("id"))
        if not link:
            continue
        items.append(
            FeedItem(
                url=canonical_url(urljoin(url, link.strip())),
                feed_url=url,
                guid=(entry.get("id") or "").strip() or None,
                title=(entry.get("title") or "").strip() or None,
                date=struct_iso(entry.get("published_parsed") or entry.get("updated_parsed")),
                site_name=site_name,
            )
        )
    if not items and (parsed.bozo or not parsed.version):
        why = parsed.get("bozo_exception") or "no RSS, Atom or sitemap root element"
        raise FeedError(f"malformed feed: {why}")
    return ParsedFeed(parsed.version or "feed", items)


def parse_sitemap(content: bytes, url: str) -> ParsedFeed:
    """A ``urlset`` (with Google News ``<news:news>`` when present) or a ``sitemapindex``."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False, huge_tree=False)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        raise FeedError(f"malformed sitemap: {exc}") from None
    kind = etree.QName(root).localname
    if kind == "sitemapindex":
        children = [canonical_url(urljoin(url, loc)) for loc in (_child_text(e, "loc") for e in root) if loc]
        return ParsedFeed(kind, children=children)
    if kind != "urlset":
        raise FeedError(f"malformed sitemap: root element <{kind}>")
    items: list[FeedItem] = []
    for entry in root:
        loc = _child_text(entry, "loc")
        if not loc:
            continue
        news = _child(entry, "news")
        publication = _child(news, "publication") if news is not None else None
        items.append(
            FeedItem(
                url=canonical_url(urljoin(url, loc)),
                feed_url=url,
                title=_child_text(news, "title") if news is not None else None,
                date=(_child_text(news, "publication_date") if news is not None else None)
                or _child_text(entry, "lastmod"),
                site_name=_child_text(publication, "name") if publication is not None else None,
            )
        )
    return ParsedFeed("sitemap", items)


def _child(element: etree._Element, name: str) -> etree._Element | None:
    """First child with this local name, whatever its namespace (sitemaps in the wild mix them up)."""
    for child in element:
        if isinstance(child.tag, str) and etree.QName(child).localname == name:
            return child
    return None


def _child_text(element: etree._Element | None, name: str) -> str | None:
    child = _child(element, name) if element is not None else None
    text = (child.text or "").strip() if child is not None else ""
    return text or None


def _gunzip(content: bytes) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(content)) as handle:
            data = handle.read(_MAX_FEED_BYTES + 1)
    except (OSError, EOFError) as exc:
        raise FeedError(f"malformed gzip: {exc}") from None
    if len(data) > _MAX_FEED_BYTES:
        raise FeedError(f"too large: more than {_MAX_FEED_BYTES} bytes once inflated")
    return data


def _guid_link(guid: str | None) -> str | None:
    """RSS guids with ``isPermaLink`` are URLs; feedparser gives them as the id only."""
    return guid if guid and guid.startswith(("http://", "https://")) else None


def _feed_validators(store: SQLiteStore, urls: Iterable[str]) -> dict[str, tuple[str | None, str | None]]:
    found: dict[str, tuple[str | None, str | None]] = {}
    for url in urls:
        row = store.conn.execute("SELECT etag, last_modified FROM watch_feeds WHERE url = ?", (url,)).fetchone()
        if row:
            found[url] = (row[0], row[1])
    return found


def _remember_feed(store: SQLiteStore, url: str, result: FetchResult, error: str | None) -> None:
    """Validators only from a feed that was read: a 200 whose body failed to parse must be fetched in full again."""
    now = _now()
    store.conn.execute("INSERT OR IGNORE INTO watch_feeds(url) VALUES (?)", (url,))
    if error:
        store.conn.execute(
            "UPDATE watch_feeds SET last_checked = ?, failures = failures + 1, last_error = ? WHERE url = ?",
            (now, error, url),
        )
    elif result.ok:
        store.conn.execute(
            "UPDATE watch_feeds SET etag = ?, last_modified = ?, last_checked = ?, last_ok = ?, failures = 0,"
            " last_error = NULL WHERE url = ?",
            (result.etag, result.last_modified, now, now, url),
        )
    else:
        store.conn.execute(
            "UPDATE watch_feeds SET last_checked = ?, last_ok = ?, failures = 0, last_error = NULL WHERE url = ?",
            (now, now, url),
        )


# ---------------------------------------------------------------------- items and pages
def _record_new_items(store: SQLiteStore, items: Sequence[FeedItem], now: str) -> int:
    """Insert items never seen (by URL or guid) as pending; returns how many were new."""
    new = 0
    for item in items:
        seen = store.conn.execute("SELECT 1 FROM watch_items WHERE url = ?", (item.url,)).fetchone()
        if not seen and item.guid:
            seen = store.conn.execute("SELECT 1 FROM watch_items WHERE guid = ?", (item.guid,)).fetchone()
        if seen:
            continue
        store.conn.execute(
            "INSERT INTO watch_items(url, guid, feed_url, title, site_name, date, first_seen, status)"
            " VALUES (?,?,?,?,?,?,?,?)",
            (item.url, item.guid, item.feed_url, item.title, item.site_name, item.date, now, "pending"),
        )
        new += 1
    return new


def _pending_items(store: SQLiteStore) -> list[sqlite3.Row]:
    """Pages to fetch this round (new items and earlier transient failures), newest first, at most
    :data:`MAX_PAGES_PER_ROUND`: a site map listing 50,000 archive pages is worked off over many rounds."""
    return store.conn.execute(
        "SELECT url, title, site_name, date, feed_url FROM watch_items WHERE status = 'pending'"
        " ORDER BY date IS NULL, date DESC, url LIMIT ?",
        (MAX_PAGES_PER_ROUND,),
    ).fetchall()


def _fetched_pages(
    rows: Sequence[sqlite3.Row], store: SQLiteStore, fetcher: Fetcher, report: WatchReport, origins: dict[str, str]
) -> Iterator[RawDocument]:
    """Fetch pages :data:`PAGES_PER_BATCH` at a time, recording each outcome, and yield the documents.

    A generator, so the pipeline ingests while later pages are still to be fetched and a round holds one
    batch of pages in memory. ``origins`` fills with each document's origin → item URL, to settle the items
    whose page the pipeline then rejects.
    """
    for start in range(0, len(rows), PAGES_PER_BATCH):
        chunk = rows[start : start + PAGES_PER_BATCH]
        results = fetcher.fetch_many([row["url"] for row in chunk], accept=_PAGE_ACCEPT)
        docs: list[RawDocument] = []
        with store.conn:
            for row, result in zip(chunk, results, strict=True):
                doc, error, transient = _page_document(row, result)
                if doc is None:
                    report.pages_failed[row["url"]] = error or "unknown error"
                    _settle(store, row["url"], result.final_url, None, error, transient=transient)
                    continue
                _settle(store, row["url"], result.final_url, doc.doc_id, None)
                if doc.origin not in origins:  # two items redirecting to one page: ingest it once
                    origins[doc.origin] = row["url"]
                    docs.append(doc)
        yield from sorted(docs, key=lambda d: d.doc_id)


def _page_document(row: sqlite3.Row, result: FetchResult) -> tuple[RawDocument | None, str | None, bool]:
    """The page as a RawDocument, or why not and whether a later round may succeed."""
    if not result.ok:
        return None, result.error or f"HTTP {result.status}", result.transient
    if not result.is_html:
        return None, f"not an HTML page ({result.content_type or 'no content type'})", False
    try:
        text, encoding = decode_page(result)
    except UndecodableError as exc:
        return None, f"undecodable page: {exc}", False
    url = canonical_url(result.final_url)
    extra: dict[str, object] = {"feed": row["feed_url"], "item_url": row["url"]}
    if row["site_name"]:
        extra["site_name"] = row["site_name"]
    doc = RawDocument(
        origin=url,
        doc_id=stable_id("u", url),
        content=text,
        fmt="html",
        title=row["title"],
        date=row["date"],
        url=url,
        outlet=site_of(url),
        encoding=encoding,
        extra=extra,
    )
    return doc, None, False


def _settle(
    store: SQLiteStore, url: str, final_url: str, doc_id: str | None, error: str | None, *, transient: bool = False
) -> None:
    """Record a page's outcome; a transient failure stays pending until :data:`MAX_ATTEMPTS` is reached."""
    if error is None:
        status = "fetched"
    else:
        attempts = store.conn.execute("SELECT attempts FROM watch_items WHERE url = ?", (url,)).fetchone()[0]
        status = "pending" if transient and attempts + 1 < MAX_ATTEMPTS else "failed"
    store.conn.execute(
        "UPDATE watch_items SET status = ?, attempts = attempts + 1, final_url = ?, doc_id = ?, error = ?"
        " WHERE url = ?",
        (status, final_url, doc_id, error, url),
    )


def _settle_rejects(
    store: SQLiteStore, rejects: Sequence[Reject], origins: dict[str, str], report: WatchReport
) -> None:
    """Pages the pipeline could not turn into articles (e.g. no text left) are reported, not retried."""
    with store.conn:
        for reject in rejects:
            item_url = origins.get(reject.origin)
            if item_url is None:
                continue
            report.pages_failed[item_url] = reject.reason
            store.conn.execute(
                "UPDATE watch_items SET status = 'failed', error = ? WHERE url = ?", (reject.reason, item_url)
            )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _print_report(report: WatchReport) -> None:
    print(f"[{_now()}] {report.summary()}", file=sys.stdout, flush=True)


__all__ = [
    "FeedError",
    "FeedItem",
    "ParsedFeed",
    "WatchReport",
    "canonical_url",
    "parse_feed",
    "parse_sitemap",
    "read_feed_list",
    "site_of",
    "watch",
    "watch_once",
]
