"""Structured inputs (JSON, JSON lines, CSV/TSV) to documents, one record at a time.

Every reader takes a text stream and yields as it parses, so a 200 MB file costs the memory of one
record. A bad record becomes a :class:`Reject` naming its line and reading goes on; only a broken
JSON document (not lines) stops its file, because after a syntax error there is no safe place to resume.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, TextIO

from storyline.ingest.decode import UndecodableError, decode_bytes, scrub_name, scrub_text
from storyline.model import RawDocument, Reject

#: Longest JSON line / JSON record / CSV field accepted, in characters; longer ones are rejected and skipped.
MAX_RECORD_CHARS = 64 * 1024 * 1024

_TEXT_KEYS = ("text", "body", "content")
_ID_KEYS = ("id", "doc_id")
_DATE_KEYS = ("date", "time", "published")
_OUTLET_KEYS = ("outlet", "source")
_WRAPPER_KEYS = ("articles", "items", "documents", "docs", "records", "data", "results")
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


def record_to_document(
    record: Any, *, origin: str, line: int, default_id: str, encoding: str | None
) -> RawDocument | Reject:
    """Map one parsed record to a document; wrong shapes and types become a one-line reject.

    The document's origin is ``path:line`` so an article can be traced to its record; a reject keeps
    ``origin`` and ``line`` apart for the rejects table.
    """
    if not isinstance(record, dict):
        return Reject(origin, f"record is a JSON {_json_type(record)}, expected an object", line)
    text_key = next((key for key in _TEXT_KEYS if record.get(key) is not None), None)
    if text_key is None:
        return Reject(origin, "no text field (expected 'text', 'body' or 'content')", line)
    text = record[text_key]
    if not isinstance(text, str):
        return Reject(origin, f"field '{text_key}' is a {_json_type(text)}, expected a string", line)
    text = scrub_text(text.replace("\x00", ""))
    if not text.strip():
        return Reject(origin, f"field '{text_key}' is empty", line)
    fields: dict[str, str | None] = {}
    for name, keys in (("title", ("title",)), ("url", ("url",)), ("lang", ("lang",)), ("outlet", _OUTLET_KEYS)):
        value, error = _string_field(record, keys)
        if error:
            return Reject(origin, error, line)
        fields[name] = value
    doc_id, error = _id_field(record)
    if error:
        return Reject(origin, error, line)
    date, error = _date_field(record)
    if error:
        return Reject(origin, error, line)
    used = {text_key, *_ID_KEYS, "title", "url", "lang", *_OUTLET_KEYS, *_DATE_KEYS}
    return RawDocument(
        origin=f"{origin}:{line}",
        doc_id=doc_id or default_id,
        content=text,
        fmt="html" if looks_like_html(text) else "text",
        title=fields["title"],
        date=date,
        url=fields["url"],
        outlet=fields["outlet"],
        lang=fields["lang"],
        encoding=encoding,
        extra={key: value for key, value in sorted(record.items()) if key not in used},
    )


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "list", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _string_field(record: dict[str, Any], keys: tuple[str, ...]) -> tuple[str | None, str | None]:
    for key in keys:
        value = record.get(key)
        if value is None:
            continue
        if isinstance(value, dict) and isinstance(value.get("name"), str):  # NewsAPI: "source": {"id", "name"}
            value = value["name"]
        if not isinstance(value, str):
            return None, f"field '{key}' is a {_json_type(value)}, expected a string"
        return scrub_text(value.replace("\x00", "")).strip() or None, None
    return None, None


def _id_field(record: dict[str, Any]) -> tuple[str | None, str | None]:
    for key in _ID_KEYS:
        value = record.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, str | int):
            return None, f"field '{key}' is a {_json_type(value)}, expected a string or integer"
        return scrub_name(str(value).replace("\x00", "")).strip() or None, None
    return None, None


def _date_field(record: dict[str, Any]) -> tuple[str | None, str | None]:
    """Dates stay strings for the date extractor; numbers are read as Unix seconds (or milliseconds)."""
    for key in _DATE_KEYS:
        value = record.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            return None, f"field '{key}' is a {_json_type(value)}, expected a string or a Unix time"
        if isinstance(value, str):
            return scrub_text(value.replace("\x00", "")).strip() or None, None
        seconds = value / 1000 if abs(value) > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, tz=UTC).isoformat(timespec="seconds"), None
        except (OverflowError, OSError, ValueError):
            return None, f"field '{key}' is a number ({value}) that is not a Unix time"
    return None, None


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


def iter_jsonl(stream: TextIO, *, origin: str, stem: str, encoding: str) -> Iterator[RawDocument | Reject]:
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
            record, origin=origin, line=number, default_id=f"{stem}-{number}", encoding=line_encoding
        )


def _json_error(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg} at column {error.colno}"
    return "nested too deeply"


def iter_json(stream: TextIO, *, origin: str, stem: str, encoding: str) -> Iterator[RawDocument | Reject]:
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
        records = _unwrap(value)
        if records is None:
            # a lone object is one article, named after its file like a .txt
            default_id = stem if number == 1 and not in_array else f"{stem}-{number}"
            yield record_to_document(value, origin=origin, line=number, default_id=default_id, encoding=encoding)
            continue
        for inner, record in enumerate(records, start=1):
            yield record_to_document(record, origin=origin, line=inner, default_id=f"{stem}-{inner}", encoding=encoding)
    if number == 0:
        yield Reject(origin, "JSON holds no records", None)


def _unwrap(value: Any) -> list[Any] | None:
    """``{"articles": [...]}``-style exports: the list of records inside a wrapper object without text."""
    if not isinstance(value, dict) or any(key in value for key in _TEXT_KEYS):
        return None
    for key in _WRAPPER_KEYS:
        inner = value.get(key)
        if isinstance(inner, list) and inner and all(isinstance(item, dict) for item in inner):
            return inner
    return None


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
    stream: TextIO, *, origin: str, stem: str, encoding: str, delimiter: str
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
    if not any(key in header for key in _TEXT_KEYS):
        yield Reject(origin, f"CSV header has no text column (expected 'text', 'body' or 'content'): {header[:8]}", 1)
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
        record = {name: text for name, (text, _) in zip(header, cells, strict=True) if text != ""}
        used_encoding = next((enc for _, enc in cells if enc != encoding), encoding)
        yield record_to_document(
            record, origin=origin, line=start, default_id=f"{stem}-{start}", encoding=used_encoding
        )
