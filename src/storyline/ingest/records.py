"""Structured inputs (JSON, JSON lines, CSV/TSV) to documents, one record at a time.

Every reader takes a text stream and yields as it parses, so a 200 MB file costs the memory of one
record. A bad record becomes a :class:`Reject` naming its line and reading goes on; only a broken
JSON document (not lines) stops its file, because after a syntax error there is no safe place to resume.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

from storyline.ingest.decode import UndecodableError, decode_bytes, scrub_name, scrub_text
from storyline.ingest.telegram import telegram_records, telethon_record
from storyline.model import RawDocument, Reject

#: Longest JSON line / JSON record / CSV field accepted, in characters; longer ones are rejected and skipped.
MAX_RECORD_CHARS = 64 * 1024 * 1024

#: The record keys each field is read from, best first. Keys are compared without case, "_", "-" or spaces
#: ("publishedAt" is "published_at"), so one table reads the usual exports as they come: news-please (maintext,
#: date_publish, source_domain), trafilatura's JSON (sitename; its "source" is the page's URL), NewsAPI
#: (publishedAt, source.name), Media Cloud (publish_date, media_name, stories_id), schema.org NewsArticle
#: (headline, articleBody, datePublished, publisher.name, inLanguage), the NYT APIs (headline.main, pub_date,
#: web_url, lead_paragraph), MongoDB dumps (_id, {"$oid": …}), JSON Feed (content_html, date_published; the feed's
#: title is its items' outlet). Names a user gives
#: (``--field text=article_body``, :func:`field_keys`) are tried first.
RECORD_FIELDS: dict[str, tuple[str, ...]] = {
    "text": ("text", "body", "content", "contenthtml", "contenttext", "maintext", "articlebody", "articletext",
             "fulltext", "storytext",
             "rawtext", "description", "summary", "leadparagraph", "abstract", "snippet"),
    "title": ("title", "headline", "titlepage", "titlerss"),
    "id": ("id", "docid", "articleid", "storiesid", "uuid", "guid"),
    "date": ("date", "time", "published", "publishedat", "publishdate", "datepublished", "datepublish",
             "pubdate", "publicationdate", "publisheddate"),
    "url": ("url", "link", "canonicalurl", "weburl", "uri"),
    "outlet": ("outlet", "source", "sourcename", "publisher", "sitename", "medianame", "sourcedomain",
               "sourcehostname", "hostname", "domain"),
    "lang": ("lang", "language", "inlanguage", "languagecode"),
    "credited": ("credited", "creditedsource", "forwardedfrom"),
}
_WRAPPER_KEYS = ("articles", "items", "documents", "docs", "records", "data", "results")
_JSON_FEED = "https://jsonfeed.org/version/"  # https://www.jsonfeed.org/version/1.1/
_HTML_TAG = re.compile(
    r"<(?:p|div|br|html|body|article|section|span|h[1-6]|ul|ol|li|table|a\s|img|figure)\b[^>]*>", re.I
)
_CHUNK_CHARS = 1 << 16
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")  # bytes the file's codec could not decode (surrogateescape)


def looks_like_html(text: str) -> bool:
    """True when a text field holds markup (``<p>``, ``<div>`` ...) that the cleaner must extract from."""
    head = text[:20000]
    return "<" in head and _HTML_TAG.search(head) is not None


def language_code(tag: str | None) -> str | None:
    """The primary subtag of a declared language ("en-US", "ru_RU" → "en", "ru"); ``None`` when it is not one."""
    code = (tag or "").strip().lower().replace("_", "-").partition("-")[0]
    return code if 2 <= len(code) <= 3 and code.isalpha() else None


# keys read before the table grew: a wrong type here is the record's mistake and is reported; a wrong type under
# one of the newer alternatives ("link": {"href": …}) only means that key is something else, and is passed over
_STRICT_KEYS = frozenset({"text", "body", "content", "title", "id", "docid", "date", "time", "published", "url",
                          "outlet", "source", "lang"})
_NEWSAPI_CUT = re.compile(r"\s*(?:…|\.\.\.)?\s*\[\+\d+ chars\]\s*$")  # NewsAPI's "content" ends "… [+2117 chars]"


_FOLDED: dict[str, str] = {}  # key → folded key; the keys of one export repeat on every record


def _folded(key: str) -> str:
    folded = _FOLDED.get(key)
    if folded is None:
        folded = key.lower().replace("_", "").replace("-", "").replace(" ", "")
        if len(_FOLDED) < 100_000:
            _FOLDED[key] = folded
    return folded


_Candidate = tuple[str, str, bool, bool]  # name as given, folded, dotted path, reported on a wrong type


class FieldKeys(dict[str, tuple[str, ...]]):
    """Field → the record keys it is read from, best first; ``plan`` holds each key ready for lookup (folded,
    dotted or not, strict or not), worked out once for the table rather than once per record."""

    def __init__(self, table: Mapping[str, tuple[str, ...]]) -> None:
        super().__init__(table)
        self.plan: dict[str, tuple[_Candidate, ...]] = {}
        for role, names in self.items():
            named = set(names) - set(RECORD_FIELDS.get(role, ()))
            self.plan[role] = tuple((name, _folded(name), "." in name, name in named or _folded(name) in _STRICT_KEYS)
                                    for name in names)


def field_keys(names: Mapping[str, str] | Iterable[tuple[str, str]] | None = None) -> FieldKeys:
    """The key table with a user's own names tried first; a dotted name reads inside an object.

    >>> field_keys({"date": "meta.published_on"})["date"][:2]
    ('meta.published_on', 'date')
    """
    table = dict(RECORD_FIELDS)
    for role, key in dict(names or {}).items():
        if role not in table:
            raise ValueError(f"unknown record field {role!r}: expected one of {', '.join(table)}")
        if not key.strip():
            raise ValueError(f"record field {role!r} is mapped to an empty name")
        table[role] = (key.strip(), *table[role])
    return FieldKeys(table)


DEFAULT_KEYS = field_keys()


def _index(record: dict[str, Any]) -> dict[str, str]:
    """A record's keys by their folded form (the first of two that fold alike)."""
    index: dict[str, str] = {}
    for key in record:
        index.setdefault(_folded(str(key)), key)
    return index


def _lookup(record: dict[str, Any], index: dict[str, str], name: str, folded: str, dotted: bool
            ) -> tuple[str, Any] | None:
    """(the record's own key, its value) for a candidate name; ``None`` when absent or null."""
    key = name if name in record else index.get(folded)
    if key is not None:
        value = record[key]
        return (key, value) if value is not None else None
    if not dotted:
        return None
    head, _, rest = name.partition(".")
    outer = _lookup(record, index, head, _folded(head), "." in head)
    if outer is None or not isinstance(outer[1], dict):
        return None
    inner = _lookup(outer[1], _index(outer[1]), rest, _folded(rest), "." in rest)
    return (outer[0], inner[1]) if inner is not None else None


def record_to_document(
    record: Any, *, origin: str, line: int, default_id: str, encoding: str | None, keys: FieldKeys = DEFAULT_KEYS
) -> RawDocument | Reject:
    """Map one parsed record to a document; wrong shapes and types become a one-line reject.

    Each field is read from the first of its ``keys`` (:data:`RECORD_FIELDS`) that the record fills. The
    document's origin is ``path:line`` so an article can be traced to its record; a reject keeps ``origin`` and
    ``line`` apart for the rejects table. Keys not read are kept in ``extra``.
    """
    if not isinstance(record, dict):
        return Reject(origin, f"record is a JSON {_json_type(record)}, expected an object", line)
    if record.get("_") in ("Message", "MessageService"):
        record = telethon_record(record)
        if isinstance(record, Reject):
            return Reject(origin, record.reason, line)
    plan = keys.plan
    index = _index(record)
    values: dict[str, Any] = {}
    used: set[str] = set()
    for role in ("text", "title", "url", "outlet", "lang", "id", "date", "credited"):
        key, value, error = _field(record, index, role, plan[role])
        if error:
            return Reject(origin, error, line)
        if role == "outlet" and value and value.startswith(("http://", "https://")):
            # trafilatura's "source" is the page's URL: the address, and the outlet is read from it later
            if not values.get("url"):
                values["url"] = value
                used.add(key)
            key, value = _field(record, index, role, tuple(c for c in plan[role] if c[1] != _folded(key)))[:2]
        if key is not None:
            used.add(key)
        values[role] = value
    text = values["text"]
    if text is None:
        return Reject(origin, _no_text(record, keys), line)
    return RawDocument(
        origin=f"{origin}:{line}",
        doc_id=values["id"] or default_id,
        content=text,
        fmt="html" if looks_like_html(text) else "text",
        title=values["title"],
        date=values["date"],
        url=values["url"],
        outlet=values["outlet"],
        lang=values["lang"],
        encoding=encoding,
        extra={key: value for key, value in sorted(record.items()) if key not in used and value != ""},
        credited=values["credited"],
    )


def _field(record: dict[str, Any], index: dict[str, str], role: str, candidates: tuple[_Candidate, ...]
           ) -> tuple[str | None, Any, str | None]:
    """(key, value, error) of one field: the first usable value among its candidate keys.

    An empty value passes to the next key (news-please leaves "text" null beside "maintext"); the text is
    kept as written, other strings are stripped; a value of the wrong type under a key that surely means this
    field (or one the user named) is the record's error.
    """
    empty: str | None = None
    for name, folded, dotted, strict in candidates:
        hit = _lookup(record, index, name, folded, dotted)
        if hit is None:
            continue
        key, value = hit
        value, wrong = _convert(role, value)
        if wrong:
            if strict:
                return None, None, f"field '{key}' is a {wrong}"
            continue
        if value is None or not value.strip():
            empty = empty or key
            continue
        return key, value if role == "text" else value.strip(), None
    if role == "text" and empty:
        return None, None, f"field '{empty}' is empty"
    return None, None, None


def _convert(role: str, value: Any) -> tuple[str | None, str | None]:
    """A field's value as a string, or what is wrong with its type ("number, expected a string")."""
    if isinstance(value, dict):  # {"name": "Reuters"} (NewsAPI, schema.org), {"main": …} (NYT), {"$oid": …}
        inner = next((value[k] for k in ("name", "main", "$oid", "$date") if isinstance(value.get(k), str)), None)
        if inner is None:
            return None, f"{_json_type(value)}, expected a {_expected(role)}"
        value = inner
    if role == "text" and isinstance(value, list) and value and all(isinstance(part, str) for part in value):
        value = "\n\n".join(value)  # paragraphs
    if role == "id" and isinstance(value, int) and not isinstance(value, bool):
        return str(value), None
    if role == "date" and isinstance(value, int | float) and not isinstance(value, bool):
        return _unix_time(value)
    if not isinstance(value, str):
        return None, f"{_json_type(value)}, expected a {_expected(role)}"
    value = value.replace("\x00", "")
    if role == "id":
        return scrub_name(value), None
    value = scrub_text(value)
    if role == "text" and value.rstrip().endswith(" chars]"):  # the test first: the pattern is slow on long texts
        value = _NEWSAPI_CUT.sub("", value)
    return value, None


def _expected(role: str) -> str:
    return {"id": "string or integer", "date": "string or a Unix time"}.get(role, "string")


def _unix_time(value: float) -> tuple[str | None, str | None]:
    """Numbers are Unix seconds, or milliseconds when they are too large to be seconds."""
    seconds = value / 1000 if abs(value) > 1e11 else value
    try:
        return datetime.fromtimestamp(seconds, tz=UTC).isoformat(timespec="seconds"), None
    except (OverflowError, OSError, ValueError):
        return None, f"number ({value}) that is not a Unix time"


def _no_text(record: dict[str, Any], keys: FieldKeys) -> str:
    named = [key for key in keys["text"] if key not in RECORD_FIELDS["text"]]
    if named:
        return f"no text field: none of {', '.join(repr(k) for k in named)} or the usual names here"
    shown = ", ".join(str(key) for key in list(record)[:8]) + (", …" if len(record) > 8 else "")
    return (f"no text field (expected 'text', 'body', 'content' or another usual name; this record has: {shown}; "
            "name yours with --field text=KEY)")


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "list", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _repair_line(line: str, encoding: str) -> tuple[str, str]:
    """Re-decode a line that held bytes invalid in the file's encoding (mixed-encoding dumps)."""
    if line.isascii() or not _ESCAPED_BYTE.search(line):
        return line, encoding
    raw = line.encode(encoding, "surrogateescape")
    try:
        decoded = decode_bytes(raw)
    except UndecodableError:
        return raw.decode(encoding, errors="replace"), encoding
    return decoded.text, decoded.encoding


def _read_line(stream: TextIO) -> tuple[str, bool]:
    """One line, at most MAX_RECORD_CHARS kept; a longer line is drained and reported as too long."""
    line = stream.readline(MAX_RECORD_CHARS)
    if len(line) < MAX_RECORD_CHARS or line.endswith(("\n", "\r")):
        return line, False
    while True:
        rest = stream.readline(_CHUNK_CHARS)
        if not rest or rest.endswith(("\n", "\r")):
            return line[:200], True


def iter_jsonl(
    stream: TextIO, *, origin: str, stem: str, encoding: str, keys: FieldKeys = DEFAULT_KEYS
) -> Iterator[RawDocument | Reject]:
    """JSON lines: a broken line is rejected with its number and the next line is read as usual."""
    number = 0
    while True:
        line, too_long = _read_line(stream)
        if not line:
            return
        number += 1
        if too_long:
            yield Reject(origin, f"line longer than {MAX_RECORD_CHARS // 2**20} M characters", number)
            continue
        line, line_encoding = _repair_line(line, encoding)
        if not line.strip():
            continue
        try:
            record = json.loads(line.strip())
        except (json.JSONDecodeError, RecursionError) as error:
            yield Reject(origin, f"invalid JSON: {_json_error(error)}", number)
            continue
        yield record_to_document(
            record, origin=origin, line=number, default_id=f"{stem}-{number}", encoding=line_encoding, keys=keys
        )


def _json_error(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg.removesuffix(' at')} at column {error.colno}"  # "Unterminated string starting at"
    return "nested too deeply"


def iter_json(
    stream: TextIO, *, origin: str, stem: str, encoding: str, keys: FieldKeys = DEFAULT_KEYS
) -> Iterator[RawDocument | Reject]:
    """A JSON document: one object, a list of objects, an object wrapping a list, or concatenated values.

    Top-level list items are decoded one by one from a sliding buffer, so the file is never held whole;
    a single value (a wrapper object included) must fit in MAX_RECORD_CHARS.
    """
    number = 0
    for in_array, value in _iter_json_values(stream):
        if isinstance(value, _Broken):
            yield Reject(
                origin, f"invalid JSON after record {number}: {value.reason}; rest of file skipped", number + 1
            )
            return
        number += 1
        records = _unwrap(value, keys)
        if records is None:
            # a lone object is one article, named after its file like a .txt
            default_id = stem if number == 1 and not in_array else f"{stem}-{number}"
            yield record_to_document(value, origin=origin, line=number, default_id=default_id, encoding=encoding,
                                     keys=keys)
            continue
        for inner, record in enumerate(records, start=1):
            if isinstance(record, Reject):
                yield Reject(origin, record.reason, inner)
                continue
            yield record_to_document(record, origin=origin, line=inner, default_id=f"{stem}-{inner}",
                                     encoding=encoding, keys=keys)
    if number == 0:
        yield Reject(origin, "JSON holds no records", None)


def _unwrap(value: Any, keys: FieldKeys) -> list[Any] | None:
    """``{"articles": [...]}``-style exports: the list of records inside a wrapper object without text; a
    Telegram export's posts (:func:`telegram_records`)."""
    if not isinstance(value, dict):
        return None
    posts = telegram_records(value)
    if posts is not None:
        return posts
    if str(value.get("version", "")).startswith(_JSON_FEED) and isinstance(value.get("items"), list):
        title = value.get("title") if isinstance(value.get("title"), str) else None
        return [dict(item, outlet=title) if title and isinstance(item, dict) and "outlet" not in item else item
                for item in value["items"]]
    inner = next((value[key] for key in _WRAPPER_KEYS if isinstance(value.get(key), list) and value[key]
                  and all(isinstance(item, dict) for item in value[key])), None)
    if inner is None:  # a record (most values): no need to look for its text here as well
        return None
    index = _index(value)
    has_text = any(_lookup(value, index, *candidate[:3]) is not None for candidate in keys.plan["text"])
    return None if has_text else inner


class _Broken:
    """Marks where a JSON document stops parsing; what came before it was already yielded."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


_ARRAY_GAP = re.compile(r"[\s,]*")
_SPACE = re.compile(r"\s*")


def _iter_json_values(stream: TextIO) -> Iterator[tuple[bool, Any]]:
    """Values of a top-level array (items), else top-level values one after another."""
    decoder = json.JSONDecoder()
    buffer, eof = "", False

    def fill(minimum: int) -> bool:
        nonlocal buffer, eof
        if eof:
            return False
        chunk = stream.read(max(minimum, _CHUNK_CHARS))
        eof = not chunk
        buffer += chunk
        return bool(chunk)

    fill(_CHUNK_CHARS)
    buffer = buffer.lstrip("\ufeff \t\r\n")
    in_array = buffer.startswith("[")
    position = 1 if in_array else 0
    while True:
        position = (_ARRAY_GAP if in_array else _SPACE).match(buffer, position).end()
        if position >= len(buffer) and fill(_CHUNK_CHARS):
            buffer, position = buffer[position:], 0
            continue
        if position >= len(buffer) or (in_array and buffer[position] == "]"):
            return
        try:
            value, end = decoder.raw_decode(buffer, position)
        except (json.JSONDecodeError, RecursionError) as error:
            pending = len(buffer) - position
            if pending > MAX_RECORD_CHARS:
                yield in_array, _Broken(f"record longer than {MAX_RECORD_CHARS // 2**20} M characters")
                return
            if fill(pending):  # the value may just be cut by the buffer end: read more, retry
                buffer, position = buffer[position:], 0
                continue
            yield in_array, _Broken(_json_error(error))
            return
        cut_scalar = end >= len(buffer) and not eof and not isinstance(value, dict | list | str)
        if cut_scalar and fill(_CHUNK_CHARS):  # a number or literal cut by the buffer end would parse short
            continue
        yield in_array, value
        position = end
        if position > _CHUNK_CHARS:
            buffer, position = buffer[position:], 0


def sniff_delimiter(header: str, default: str) -> str:
    counts = {delimiter: header.count(delimiter) for delimiter in (",", ";", "\t", "|")}
    best = max(counts, key=lambda delimiter: (counts[delimiter], delimiter == default))
    return best if counts[best] else default


def iter_csv(
    stream: TextIO, *, origin: str, stem: str, encoding: str, delimiter: str, keys: FieldKeys = DEFAULT_KEYS
) -> Iterator[RawDocument | Reject]:
    """CSV/TSV with a header row; quoted fields may hold newlines. Rows of the wrong width are rejected.

    ``line`` is the physical line where the row starts, so a user can jump to it in an editor.
    """
    # csv's field limit is process-wide; raising it only ever widens what every reader accepts.
    csv.field_size_limit(max(csv.field_size_limit(), MAX_RECORD_CHARS))
    reader = csv.reader(stream, delimiter=delimiter)
    try:
        header = [name.strip().lstrip("\ufeff").lower() for name in next(reader)]
    except StopIteration:
        yield Reject(origin, "empty CSV file", 1)
        return
    except csv.Error as error:
        yield Reject(origin, f"unreadable CSV header: {error}", 1)
        return
    columns = {_folded(name) for name in header}
    if not any(_folded(key) in columns for key in keys["text"]):
        yield Reject(origin, f"CSV header has no text column (expected 'text', 'body', 'content' or another usual "
                             f"name; name yours with --field text=COLUMN): {header[:8]}", 1)
        return
    previous_end = reader.line_num
    while True:
        start = previous_end + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield Reject(origin, f"unreadable CSV row: {error}; rest of file skipped", start)
            return
        previous_end = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield Reject(origin, f"row has {len(row)} fields, header has {len(header)}", start)
            continue
        cells = [_repair_line(cell, encoding) for cell in row]
        record = {name: text for name, (text, _) in zip(header, cells, strict=True)}
        used_encoding = next((enc for _, enc in cells if enc != encoding), encoding)
        yield record_to_document(
            record, origin=origin, line=start, default_id=f"{stem}-{start}", encoding=used_encoding, keys=keys
        )
