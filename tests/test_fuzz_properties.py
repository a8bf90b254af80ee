"""Issue 7 §6: property-based tests (hypothesis) for what the example tests cannot enumerate.

Beside "never raises", each test states an invariant: normalisation is idempotent and leaves nothing
invisible; real text survives encoding repair untouched and mojibake of it is repaired back; a date written
in any supported form parses back to itself and a found date is never in the future; quote offsets index
the quote; records written by any JSON/CSV writer read back exactly; the store does not depend on how the
stream was cut into batches. The neighbouring files hold the rest (test_clean, test_extract_meta,
test_ingest_fuzz, test_quotes). Models are not loaded here: these run in seconds.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import unicodedata
from datetime import date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from storyline.clean import clean_document, clean_text, count_hidden, normalize_text, repair_encoding
from storyline.config import Config
from storyline.extract import document_hash, find_date, parse_metadata_date, parse_stamp, pick_title
from storyline.extract.quotes import extract_quotes
from storyline.extract.title import MAX_TITLE_CHARS
from storyline.ingest import IngestStats, decode_bytes, iter_documents
from storyline.ingest.decode import binary_kind, scrub_name
from storyline.model import Article, RawDocument, Reject
from storyline.pipeline import build_articles
from storyline.store import SQLiteStore

FAST = Config(fast=True)
TODAY = date(2024, 6, 1)
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text as scrapes have it: any character, but biased towards what the cleaners special-case.
_TRICKY = st.sampled_from([
    "\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e", "\x07", "\x1b[0m", "\x0c", "\r\n", "\r", "\t",
    "\u2028", "  ", "\n\n\n", "“", "”", "«", "»", "„", '"', "’", "Ðîññèÿ", "Ð Ð¾Ñ", "e\u0301", "Read more", "Фото: ТАСС",
])
_TEXT = st.lists(st.one_of(st.text(max_size=40), _TRICKY), max_size=20).map("".join)
_RUSSIAN_WORDS = ["Москва", "Россия", "пресс-секретарь", "заявил", "журналистам", "переговоры", "продолжатся",
                  "президент", "правительство", "сегодня", "вторник", "Кремль", "ёлка", "объявил", "встреча"]
_RUSSIAN = st.lists(st.sampled_from(_RUSSIAN_WORDS), min_size=2, max_size=12, unique=True).map(" ".join)
_PLAIN = st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"]), min_size=1, max_size=200)


# --- cleaners ----------------------------------------------------------------------------------------------


@SETTINGS
@given(_TEXT)
def test_normalize_is_idempotent_and_leaves_nothing_invisible(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once
    assert count_hidden(once) == 0 and "\r" not in once and "\t" not in once and "\n\n\n" not in once
    assert once == once.strip() and all(line == line.strip() for line in once.split("\n"))
    assert unicodedata.is_normalized("NFC", once)


@SETTINGS
@given(st.lists(_TEXT, min_size=2, max_size=4))
def test_cleaning_has_no_hidden_state(texts: list[str]) -> None:
    """The same text cleans the same way whatever was cleaned before it (order of files, worker reuse)."""
    first = [clean_text(text) for text in texts]
    again = [clean_text(text) for text in reversed(texts)][::-1]
    assert [(c.body, c.repaired, c.removed, c.meta) for c in first] == [(c.body, c.repaired, c.removed, c.meta)
                                                                        for c in again]


@SETTINGS
@given(_TEXT)
def test_clean_body_is_a_subsequence_of_repaired_and_hidden_characters_are_counted(text: str) -> None:
    result = clean_document(RawDocument("f.txt", "f", text))
    assert _is_subsequence(result.body, result.repaired)
    assert count_hidden(result.body) == 0
    hidden = count_hidden(text)
    assert (result.meta.get("hidden_note") or "").startswith(f"{hidden} zero-width" if hidden else "")


@SETTINGS
@given(st.text(st.characters(codec="ascii", categories=["L", "N", "Zs"], include_characters=".,!?-'\"()\n"),
               max_size=300))
def test_encoding_repair_leaves_ascii_prose_alone(text: str) -> None:
    assert repair_encoding(text) == text


@SETTINGS
@given(_RUSSIAN)
def test_encoding_repair_leaves_russian_alone_and_repairs_its_mojibake(text: str) -> None:
    assert repair_encoding(text) == text
    assert repair_encoding(text.encode("cp1251").decode("latin-1")) == text  # cp1251 read as Latin-1
    assert repair_encoding(text.encode("utf-8").decode("cp1251", errors="replace")) == text or "\ufffd" in \
        text.encode("utf-8").decode("cp1251", errors="replace")  # UTF-8 read as cp1251 (0x98 has no cp1251 char)


# --- dates -------------------------------------------------------------------------------------------------

_DATETIMES = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2035, 12, 31)).map(
    lambda value: value.replace(second=0, microsecond=0)
)
_RU_MONTHS = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
              "ноября", "декабря"]
_FORMATS = {
    "english": lambda v: f"{v.day} {v:%B %Y} - {v:%H:%M}",
    "rt": lambda v: f"{v.day} {v:%b}, {v:%Y %H:%M}",
    "numeric": lambda v: f"{v:%d.%m.%Y %H:%M}",
    "american": lambda v: f"{v:%B} {v.day}, {v:%Y %H:%M}",
    "russian": lambda v: f"{v.day} {_RU_MONTHS[v.month - 1]} {v:%Y}, {v:%H:%M}",
    "iso": lambda v: f"{v:%Y-%m-%d %H:%M}",
}


@SETTINGS
@given(_DATETIMES, st.sampled_from(sorted(_FORMATS)))
def test_a_stamp_in_any_supported_form_parses_back(value: datetime, form: str) -> None:
    assert parse_stamp(_FORMATS[form](value)) == (value, True)


@SETTINGS
@given(_DATETIMES, st.sampled_from(["", "Z", "+03:00", "-0500"]))
def test_metadata_dates_parse_back_in_iso_and_rfc_2822(value: datetime, zone: str) -> None:
    assert parse_metadata_date(value.isoformat(timespec="seconds") + zone) == (value, True)
    assert parse_metadata_date(value.date().isoformat()) == (value.replace(hour=0, minute=0), False)
    assert parse_metadata_date(format_datetime(value)) == (value, True)


@SETTINGS
@given(st.one_of(st.text(max_size=60), _DATETIMES.map(str)), _TEXT)
def test_a_found_date_is_never_in_the_future(metadata: str, text: str) -> None:
    clean = clean_text(text)
    guess, note = find_date(clean, RawDocument("f", "f", text, date=metadata), today=TODAY)
    if guess is not None and guess.year_known:
        assert guess.value < datetime.combine(TODAY + timedelta(days=2), datetime.min.time())
    assert note is None or "\n" not in note


# --- titles and quotes -------------------------------------------------------------------------------------


@SETTINGS
@given(_TEXT, st.one_of(st.none(), st.text(max_size=300)))
def test_title_is_one_bounded_line_and_present_whenever_there_is_text(text: str, given_title: str | None) -> None:
    clean = clean_text(text)
    title = pick_title(clean, RawDocument("f", "f", text, title=given_title))
    assert "\n" not in title and len(title) <= MAX_TITLE_CHARS + 1
    assert bool(title) or not clean.body.strip()


_SPEECH = st.sampled_from([
    "“We are ready,” he said.", '"No," she said, "never."', "«Да», — сказал он.", "— Нет, — ответил министр.",
    "According to police, the man fled.", "The mayor said that the bridge would reopen.", "“", "”", "«", "»", '"',
    "Peskov told reporters: “Talks are possible.”", "„Nein“, sagte er.", "он заявил, что", "\n\n",
])


@SETTINGS
@given(st.lists(st.one_of(_SPEECH, st.text(max_size=30)), min_size=1, max_size=14).map(" ".join))
def test_quote_offsets_point_at_the_quote_text_in_any_text(body: str) -> None:
    """Without entities (fast path): the extractor must hold its invariants on anything, not only on prose."""
    for lang in ("en", "ru"):
        quotes = extract_quotes(Article(id="q", title="", body=body, lang=lang))
        for quote in quotes:
            assert 0 <= quote.start < quote.end <= len(body)
            assert body[quote.start : quote.end] == quote.text
            assert 0.0 <= quote.confidence <= 1.0
        assert [q.start for q in quotes] == sorted(q.start for q in quotes)
        assert len({q.id for q in quotes}) == len(quotes)


# --- readers -----------------------------------------------------------------------------------------------

_FIELD = st.text(max_size=120)
_RECORDS = st.lists(st.fixed_dictionaries({"id": st.text(max_size=20), "title": _FIELD, "text": _FIELD}),
                    min_size=1, max_size=8)


def _read(data: bytes, name: str) -> list[RawDocument | Reject]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        return list(iter_documents([path], stats=IngestStats()))


def _expected(records: list[dict[str, str]]) -> list[tuple[str, str | None]]:
    """(text, title) of each record that should become a document, as the reader normalises them."""
    kept = []
    for record in records:
        text = _scrubbed(record["text"].replace("\x00", ""))
        if text.strip():
            kept.append((text, _scrubbed(record["title"].replace("\x00", "")).strip() or None))
    return kept


def _scrubbed(text: str) -> str:
    return "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)


@SETTINGS
@given(_RECORDS, st.booleans())
def test_jsonl_written_by_any_writer_reads_back_exactly(records: list[dict[str, str]], ascii_only: bool) -> None:
    """Escaped lone surrogates ("\\ud800", valid JSON) become U+FFFD; raw ones cannot be written as UTF-8."""
    data = "".join(json.dumps(r, ensure_ascii=ascii_only) + "\n" for r in records)
    assume(ascii_only or data == _scrubbed(data))
    items = _read(data.encode("utf-8"), "r.jsonl")
    docs = [item for item in items if isinstance(item, RawDocument)]
    rejects = [item for item in items if isinstance(item, Reject)]
    assert [(d.content, d.title) for d in docs] == _expected(records)
    assert all(r.reason == "field 'text' is empty" for r in rejects)


@SETTINGS
@given(_RECORDS)
def test_json_array_reads_back_exactly(records: list[dict[str, str]]) -> None:
    items = _read(json.dumps(records).encode(), "r.json")
    docs = [item for item in items if isinstance(item, RawDocument)]
    assert [(d.content, d.title) for d in docs] == _expected(records)


# Control characters aside (many of them make a file binary data): any text, with the separators CSV must quote.
_CSV_FIELD = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"], include_characters='\n\r\t,"'),
                     max_size=80)


@SETTINGS
@given(st.lists(st.tuples(st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True), _CSV_FIELD, _CSV_FIELD), min_size=1,
                max_size=8))
def test_csv_written_by_the_csv_module_reads_back_exactly(rows: list[tuple[str, str, str]]) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["id", "title", "text"])
    writer.writerows(rows)
    items = _read(buffer.getvalue().encode(), "r.csv")
    docs = [item for item in items if isinstance(item, RawDocument)]
    expected = [(text, title.strip() or None) for _, title, text in rows if text.strip()]
    assert [(d.content, d.title) for d in docs] == expected
    assert len(items) == len(rows)  # every other row is a reject with its line


@SETTINGS
@given(_PLAIN, st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32"]))
def test_unicode_text_decodes_back_exactly(text: str, codec: str) -> None:
    data = text.encode(codec)
    assume(binary_kind(data) is None)  # text that happens to start like a file signature ("%PDF-", "ID3")
    assert decode_bytes(data).text == text


@SETTINGS
@given(st.binary(max_size=40))
def test_any_file_name_becomes_storable_text_and_utf8_names_are_unchanged(raw: bytes) -> None:
    name = scrub_name(os.fsdecode(raw))
    name.encode("utf-8")
    try:
        assert name == raw.decode("utf-8")
    except UnicodeDecodeError:
        assert "\\x" in name


# --- documents to articles to the store ---------------------------------------------------------------------

_META = st.one_of(st.none(), st.text(max_size=30))
_DOCS = st.lists(
    st.builds(
        RawDocument,
        origin=st.sampled_from(["a.jsonl:1", "b.txt", "c.csv:7"]),
        doc_id=st.sampled_from(["x", "y", "z"]),
        content=st.one_of(st.sampled_from(["Riga port strike.", "Пожар в Минске.", "<p>HTML body</p>", " "]),
                          _TEXT),
        fmt=st.sampled_from(["text", "html"]),
        title=_META, date=_META, url=_META, outlet=_META, lang=_META,
    ),
    max_size=10,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_DOCS)
def test_every_document_becomes_an_article_or_a_one_line_reject(docs: list[RawDocument]) -> None:
    for doc in docs:
        notes: list[Reject] = []
        articles, rejects = build_articles([doc], FAST, notes=notes)
        assert len(articles) + len(rejects) == 1
        for article in articles:
            assert (article.id, article.raw, article.content_hash) == (doc.doc_id, doc.content, document_hash(doc))
            assert article.body.strip() and _is_subsequence(article.body, clean_document(doc).repaired)
        for item in rejects + notes:
            assert item.reason and "\n" not in item.reason and item.origin in doc.origin


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_DOCS, st.integers(min_value=1, max_value=4))
def test_the_store_does_not_depend_on_batch_boundaries(docs: list[RawDocument], size: int) -> None:
    """Versions of a repeated id and skipped repeats come out the same for any cut of the stream into batches."""
    def stored(batch_size: int) -> list[tuple[str, str]]:
        copies, _ = build_articles(docs, FAST)
        with SQLiteStore(":memory:") as store:
            for start in range(0, len(copies), batch_size):
                store.add_articles(copies[start : start + batch_size])
                store.add_articles(copies[start : start + batch_size])  # a re-run after a crash: a no-op
            return [(a.id, a.content_hash) for a in store.iter_articles(with_annotations=False)]

    assert stored(size) == stored(max(1, len(docs)))


def _is_subsequence(short: str, long: str) -> bool:
    characters = iter(long)
    return all(ch in characters for ch in short)
