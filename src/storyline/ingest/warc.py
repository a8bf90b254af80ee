"""Web archives (WARC, WARC.gz) to documents: successful HTML captures only, everything else counted.

A news crawl holds requests, redirects, images and scripts beside the pages; those are not errors, so
they are tallied in ``skipped`` (``warc:status-404``, ``warc:non-html``, ``warc:request`` ...) rather than
rejected. A page's id comes from its URL so re-crawls of the same page collapse downstream.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord

from storyline.ingest.decode import UndecodableError, declared_html_charset, decode_bytes
from storyline.model import RawDocument, Reject, stable_id

_HTML_TYPES = ("text/html", "application/xhtml+xml")


def iter_warc(
    stream: BinaryIO, *, origin: str, max_bytes: int, skip: Callable[[str], None]
) -> Iterator[RawDocument | Reject]:
    """Yield HTML 200 responses (and HTML resource records); ``skip(reason)`` is called for every other record."""
    number = 0
    try:
        for record in ArchiveIterator(stream):
            number += 1
            document = _record_document(record, origin=origin, number=number, max_bytes=max_bytes, skip=skip)
            if document is not None:
                yield document
    except (ArchiveLoadFailed, OSError, EOFError, ValueError, AttributeError, TypeError) as error:
        # warcio fails on malformed headers with whatever error its parser hits; all mean a damaged archive, and
        # a parser's AttributeError ("'NoneType' object has no attribute …") says nothing to whoever holds it
        if isinstance(error, (AttributeError, TypeError)):
            reason = f"malformed header of record {number + 1}"
        else:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        yield Reject(origin, f"unreadable WARC after record {number}: {reason[:200]}", number + 1)


def _record_document(
    record: ArcWarcRecord, *, origin: str, number: int, max_bytes: int, skip: Callable[[str], None]
) -> RawDocument | Reject | None:
    rec_type = record.rec_type
    if rec_type not in ("response", "resource"):
        skip(f"warc:{rec_type}")
        return None
    http = record.http_headers
    if rec_type == "response":
        if http is None:
            skip("warc:no-http-headers")
            return None
        status = http.get_statuscode()
        if status != "200":
            skip(f"warc:status-{status}")
            return None
        content_type = http.get_header("Content-Type") or ""
    else:
        content_type = record.rec_headers.get_header("Content-Type") or ""
    if not content_type.lower().lstrip().startswith(_HTML_TYPES):
        skip("warc:non-html")
        return None
    url = record.rec_headers.get_header("WARC-Target-URI") or ""
    body = record.content_stream().read(max_bytes + 1)
    if len(body) > max_bytes:
        return Reject(origin, f"WARC record {url or number}: page too large (> {max_bytes // 2**20} MB limit)", number)
    if not body.strip():
        return Reject(origin, f"WARC record {url or number}: empty page", number)
    try:
        decoded = decode_bytes(body, declared=_charset(content_type) or declared_html_charset(body))
    except UndecodableError as error:
        return Reject(origin, f"WARC record {url or number}: {error}", number)
    extra: dict[str, object] = {"warc_record": number}
    if missing := _missing_bytes(record):
        extra["reader_note"] = f"WARC record {number} truncated: {missing} of its {record.length} bytes missing"
    return RawDocument(
        origin=f"{origin}:{number}",
        doc_id=stable_id("w", url) if url else stable_id("w", origin, str(number)),
        content=decoded.text,
        fmt="html",
        date=record.rec_headers.get_header("WARC-Date"),
        url=url or None,
        encoding=decoded.encoding,
        extra=extra,
    )


def _missing_bytes(record: ArcWarcRecord) -> int:
    """Bytes the record's Content-Length promised that the archive does not hold (a crawl cut short), once its
    content has been read to the end; 0 for a whole record."""
    remaining = getattr(record.raw_stream, "limit", 0)
    return remaining if isinstance(remaining, int) and remaining > 0 else 0


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None
