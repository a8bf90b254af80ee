"""Saved RSS and Atom feeds as articles, one per item that carries text, without the network.

A feed saved to disk (``curl -o baltic.xml``, a folder of hourly snapshots) is read like a JSON lines file:
an item's content or description is its text, the channel's title its outlet, the item's date and link its
date and URL; its language is detected (the channel's, kept as ``feed_language``, may not speak for every item
of an aggregator). Ids come from the item's link (else its guid), so an item found again in the next snapshot
is already stored. An item with a title and a link but no text is reported, not guessed at (``storyline
watch`` fetches pages); a malformed feed keeps the items read before the error and reports where it is.

>>> docs = list(iter_feed(b'<rss><channel><title>Baltic Wire</title><item><title>Riga strike</title>'
...                       b'<link>https://bw.example/a</link><description>Dockers struck.</description>'
...                       b'</item></channel></rss>', origin="bw.xml", stem="bw"))
>>> [(d.title, d.content, d.outlet, d.url) for d in docs]
[('Riga strike', 'Dockers struck.', 'Baltic Wire', 'https://bw.example/a')]
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import feedparser

from storyline.ingest.decode import scrub_text
from storyline.ingest.records import language_code, looks_like_html
from storyline.model import RawDocument, Reject, stable_id

# the first element after the XML declaration, comments and a doctype names what the file is
_ROOT = re.compile(r"\A(?:\s|<\?[^>]*\?>|<!--.*?-->|<!DOCTYPE[^>]*>)*<([\w:.-]+)", re.DOTALL | re.IGNORECASE)
_FEED_ROOTS = frozenset({"rss", "feed", "rdf:rdf", "rdf"})
_SITEMAP_ROOTS = frozenset({"urlset", "sitemapindex"})
_DECLARATION = re.compile(rb"<\?xml\b")
_HARMLESS = ("CharacterEncodingOverride", "CharacterEncodingUnknown", "NonXMLContentType")


def xml_kind(head: str) -> str | None:
    """``"feed"`` (RSS, Atom, RSS 1.0), ``"sitemap"`` or ``None``, from the root element at the start of ``head``."""
    match = _ROOT.match(head)
    if not match:
        return None
    root = match.group(1).lower()
    local = root.rpartition(":")[2]
    if root in _FEED_ROOTS or local in ("rss", "feed"):
        return "feed"
    return "sitemap" if local in _SITEMAP_ROOTS else None


def iter_feed(data: bytes, *, origin: str, stem: str) -> Iterator[RawDocument | Reject]:
    """The items of one saved feed as documents (origin ``path#item-N``), and what could not be read."""
    parsed = feedparser.parse(data)  # bytes, never a URL: nothing is fetched
    # feedparser re-encodes to UTF-8 and puts its declaration on a line of its own when the file has none
    shift = 0 if _DECLARATION.match(data.removeprefix(b"\xef\xbb\xbf")) else 1
    feed = parsed.get("feed", {})
    outlet = _text(feed.get("title"))
    lang = language_code(_text(feed.get("language")))
    entries = parsed.get("entries", [])
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if problem is not None and type(problem).__name__ in _HARMLESS:
        problem = None
    if not entries:
        yield Reject(origin, "feed with no items" if problem is None
                     else f"malformed feed, no item read: {_one_line(problem, shift)}", _line_of(problem, shift))
        return
    items = [_item(entry, number, origin=origin, stem=stem, outlet=outlet, lang=lang)
             for number, entry in enumerate(entries, 1)]
    if problem is not None and isinstance(items[-1], Reject):
        items.pop()  # the item the error cut off: the report on the feed covers it
        entries = entries[:-1]
    yield from items
    if problem is not None:
        yield Reject(origin, f"malformed feed: {_one_line(problem, shift)}; {len(entries)} item"
                             f"{'s' if len(entries) != 1 else ''} read before it", _line_of(problem, shift))


def _item(entry: Any, number: int, *, origin: str, stem: str, outlet: str | None, lang: str | None
          ) -> RawDocument | Reject:
    where = f"{origin}#item-{number}"
    title = _text(entry.get("title"))
    bodies = [part.get("value", "") for part in entry.get("content") or []] + [entry.get("summary") or ""]
    text = scrub_text(max(bodies, key=len).replace("\x00", "")).strip()
    if not text or text == title:
        named = f" ({title!r})" if title else ""
        return Reject(where, f"item {number}{named} has no text of its own (`storyline watch` fetches the pages of "
                             "a feed's items)")
    link = _text(entry.get("link"))
    key = link or _text(entry.get("id"))
    return RawDocument(
        origin=where,
        doc_id=stable_id("f", key) if key else f"{stem}-{number}",
        content=text,
        fmt="html" if looks_like_html(text) else "text",
        title=title,
        date=_date(entry),
        url=link,
        outlet=outlet,
        # the channel's language is kept, not imposed: aggregators declare one and carry items in several
        extra={"feed_item": number, **({"feed_language": lang} if lang else {}),
               **({"guid": entry["id"]} if entry.get("id") else {})},
    )


def _date(entry: Any) -> str | None:
    """The item's date as ISO (UTC) when feedparser could read it, else the date as written."""
    for key in ("published", "updated", "created"):
        if iso := struct_iso(entry.get(f"{key}_parsed")):
            return iso
        if entry.get(key):
            return _text(entry[key])
    return None


def struct_iso(value: time.struct_time | None) -> str | None:
    """A date feedparser parsed (a UTC ``struct_time``) as ISO, or ``None``."""
    if not value:
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC).isoformat(timespec="seconds")
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str | None:
    return scrub_text(value.replace("\x00", "")).strip() or None if isinstance(value, str) else None


def _line_of(problem: BaseException | None, shift: int = 0) -> int | None:
    """The line of the file the parser stopped at (``shift``: lines feedparser put before the file's own)."""
    getter = getattr(problem, "getLineNumber", None)
    try:
        return max(1, int(getter()) - shift) if getter else None
    except (TypeError, ValueError):
        return None


def _one_line(problem: BaseException | None, shift: int = 0) -> str:
    """The parser's message with where it happened ("mismatched tag at line 2, column 188")."""
    if problem is None:
        return ""
    message = getattr(problem, "getMessage", None)
    text = " ".join((message() if message else str(problem)).split()) or type(problem).__name__
    column = getattr(problem, "getColumnNumber", None)
    line = _line_of(problem, shift)
    if line is not None and column is not None:
        text += f" at line {line}, column {column()}"
    return text[:200]
