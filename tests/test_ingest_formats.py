"""Every input format the readers accept, read from real files written in tmp_path."""

from __future__ import annotations

import csv
import gzip
import io
import json
import zipfile
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from storyline.config import Config
from storyline.ingest import IngestStats, iter_documents
from storyline.model import RawDocument, Reject, stable_id
from storyline.pipeline import build_articles

RUSSIAN = (
    "Пресс-секретарь президента РФ Дмитрий Песков заявил, что никто не будет разговаривать "
    'с Россией с позиции силы. "Это невозможно", - подчеркнул он.'  # koi8-r has no « » or em dash
)


def read(*paths: str | Path, stdin: io.BytesIO | None = None) -> tuple[list[RawDocument], list[Reject], IngestStats]:
    stats = IngestStats()
    items = list(iter_documents(paths, stdin=stdin, stats=stats))
    docs = [item for item in items if isinstance(item, RawDocument)]
    rejects = [item for item in items if isinstance(item, Reject)]
    assert stats.documents == len(docs) and stats.rejects == len(rejects)
    return docs, rejects, stats


def test_txt_file_is_one_text_article_named_after_its_stem(tmp_path: Path) -> None:
    path = tmp_path / "000_peskov.txt"
    path.write_text("Peskov: no talks from a position of strength\n\nMOSCOW, March 30. The Kremlin said...\n")
    docs, rejects, stats = read(path)
    assert rejects == []
    assert [(d.doc_id, d.fmt, d.origin, d.encoding) for d in docs] == [("000_peskov", "text", str(path), "utf-8")]
    assert docs[0].content == path.read_text()
    assert stats.files == 1


def test_html_file_keeps_markup_for_the_cleaner_and_honours_meta_charset(tmp_path: Path) -> None:
    page = f'<html><head><meta charset="windows-1251"><title>Песков</title></head><body><p>{RUSSIAN}</p></body></html>'
    (tmp_path / "page.htm").write_bytes(page.encode("cp1251"))
    docs, rejects, _ = read(tmp_path / "page.htm")
    assert rejects == []
    assert docs[0].fmt == "html" and docs[0].doc_id == "page"
    assert docs[0].content == page
    assert docs[0].encoding == "cp1251"


def test_json_object_list_and_wrapper(tmp_path: Path) -> None:
    (tmp_path / "one.json").write_text(json.dumps({"title": "T", "text": "Body one.", "url": "https://a.example/1"}))
    (tmp_path / "many.json").write_text(
        json.dumps([{"id": "x1", "text": "Body two."}, {"text": "<p>Body three.</p>", "tags": ["a", "b"]}])
    )
    (tmp_path / "wrapped.json").write_text(json.dumps({"status": "ok", "articles": [{"body": "Body four."}]}))
    docs, rejects, _ = read(tmp_path)
    assert rejects == []
    got = {d.doc_id: d for d in docs}
    assert sorted(got) == ["many-2", "one", "wrapped-1", "x1"]
    assert got["one"].title == "T" and got["one"].url == "https://a.example/1"
    assert got["many-2"].fmt == "html" and got["many-2"].extra == {"tags": ["a", "b"]}
    assert got["x1"].fmt == "text" and got["x1"].origin == f"{tmp_path / 'many.json'}:1"
    assert got["wrapped-1"].content == "Body four."


def test_json_list_larger_than_the_read_buffer_streams_every_record(tmp_path: Path) -> None:
    records = [{"id": f"r{i}", "text": f"Article number {i}. " + "word " * (i % 50), "n": i} for i in range(3000)]
    (tmp_path / "big.json").write_text(json.dumps(records, indent=1))
    docs, rejects, _ = read(tmp_path / "big.json")
    assert rejects == []
    assert [d.doc_id for d in docs] == [f"r{i}" for i in range(3000)]
    assert [d.extra["n"] for d in docs] == list(range(3000))


def test_jsonl_field_aliases_and_extra(tmp_path: Path) -> None:
    lines = [
        {"doc_id": 7, "title": "A", "text": "Alpha.", "date": "2021-03-30", "outlet": "RT", "lang": "en", "x": 1},
        {"body": "Beta.", "time": "2021-03-31T11:59", "source": {"id": "tass", "name": "TASS"}},
        {"content": "Gamma.", "published": 1617094140, "url": "https://b.example/g"},
    ]
    path = tmp_path / "feed.ndjson"
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n")
    docs, rejects, _ = read(path)
    assert rejects == []
    assert [d.doc_id for d in docs] == ["7", "feed-2", "feed-3"]
    assert [d.content for d in docs] == ["Alpha.", "Beta.", "Gamma."]
    assert (docs[0].title, docs[0].date, docs[0].outlet, docs[0].lang, docs[0].extra) == (
        "A",
        "2021-03-30",
        "RT",
        "en",
        {"x": 1},
    )
    assert docs[1].outlet == "TASS" and docs[1].date == "2021-03-31T11:59"
    assert docs[2].date == "2021-03-30T08:49:00+00:00" and docs[2].url == "https://b.example/g"
    assert docs[2].origin == f"{path}:3"


def test_csv_and_tsv_with_embedded_newlines(tmp_path: Path) -> None:
    with open(tmp_path / "a.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "title", "text", "Outlet"])
        writer.writerow(["c1", "First", "Line one\nLine two, with comma", "RBC"])
        writer.writerow(["c2", "Second", RUSSIAN, "ТАСС"])
    (tmp_path / "b.tsv").write_text("title\ttext\nTab title\tTab body\n")
    docs, rejects, _ = read(tmp_path)
    assert rejects == []
    assert [(d.doc_id, d.title, d.content, d.outlet) for d in docs] == [
        ("c1", "First", "Line one\nLine two, with comma", "RBC"),
        ("c2", "Second", RUSSIAN, "ТАСС"),
        ("b-2", "Tab title", "Tab body", None),
    ]


def _warc_record(writer: WARCWriter, uri: str, status: str, content_type: str, body: bytes) -> None:
    headers = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
    record = writer.create_warc_record(uri, "response", payload=io.BytesIO(body), http_headers=headers)
    writer.write_record(record)


def write_warc(path: Path, *, compress: bool) -> None:
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=compress)
        request = writer.create_warc_record("https://news.example/a", "request", payload=io.BytesIO(b"GET /a\r\n\r\n"))
        writer.write_record(request)
        html = f"<html><body><p>{RUSSIAN}</p></body></html>".encode("cp1251")
        _warc_record(writer, "https://news.example/a", "200 OK", "text/html; charset=windows-1251", html)
        _warc_record(writer, "https://news.example/gone", "404 Not Found", "text/html", b"<p>missing</p>")
        _warc_record(writer, "https://news.example/logo.png", "200 OK", "image/png", b"\x89PNG\r\n\x1a\n" + bytes(64))


@pytest.mark.parametrize("name", ["crawl.warc", "crawl.warc.gz"])
def test_warc_keeps_html_200_and_counts_the_rest(tmp_path: Path, name: str) -> None:
    write_warc(tmp_path / name, compress=name.endswith(".gz"))
    docs, rejects, stats = read(tmp_path / name)
    assert rejects == []
    assert len(docs) == 1
    doc = docs[0]
    assert (doc.fmt, doc.url, doc.doc_id) == (
        "html",
        "https://news.example/a",
        stable_id("w", "https://news.example/a"),
    )
    assert RUSSIAN in doc.content and doc.encoding == "cp1251"
    assert doc.date and doc.date[:4].isdigit()
    assert stats.skipped == {"warc:request": 1, "warc:status-404": 1, "warc:non-html": 1}


def test_gzip_of_any_format_and_zip_members(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(b'{"id": "g1", "text": "Gzipped line."}\n'))
    (tmp_path / "b.txt.gz").write_bytes(gzip.compress(RUSSIAN.encode("koi8-r")))
    with zipfile.ZipFile(tmp_path / "c.zip", "w") as archive:
        archive.writestr("inner/z.txt", "Zipped text.")
        archive.writestr("inner/a.json", json.dumps({"text": "Zipped json."}))
        archive.writestr(".hidden.txt", "never read")
        archive.writestr("__MACOSX/inner/._z.txt", "resource fork")
        archive.writestr("nested.txt.gz", gzip.compress(b"Gzip inside zip."))
    docs, rejects, stats = read(tmp_path)
    assert rejects == []
    assert [(d.origin, d.doc_id, d.content) for d in docs] == [
        (f"{tmp_path / 'a.jsonl.gz'}:1", "g1", "Gzipped line."),
        (str(tmp_path / "b.txt.gz"), "b", RUSSIAN),
        (f"{tmp_path / 'c.zip'}!inner/a.json:1", "a", "Zipped json."),
        (f"{tmp_path / 'c.zip'}!inner/z.txt", "z", "Zipped text."),
        (f"{tmp_path / 'c.zip'}!nested.txt.gz", "nested", "Gzip inside zip."),
    ]
    assert docs[1].encoding == "koi8-r"
    assert stats.skipped == {"hidden": 2}


def test_stdin_sniffs_jsonl_json_html_and_text() -> None:
    jsonl = b'{"id": "s1", "text": "One."}\n{"text": "Two."}\n'
    docs, _, _ = read("-", stdin=io.BytesIO(jsonl))
    assert [(d.doc_id, d.content, d.origin) for d in docs] == [
        ("s1", "One.", "stdin:1"),
        ("stdin-2", "Two.", "stdin:2"),
    ]
    docs, _, _ = read("-", stdin=io.BytesIO(b'  [{"text": "In a list."}]'))
    assert [d.content for d in docs] == ["In a list."]
    docs, _, _ = read("-", stdin=io.BytesIO(b'{\n  "text": "Pretty printed."\n}\n'))
    assert [d.content for d in docs] == ["Pretty printed."]
    docs, _, _ = read("-", stdin=io.BytesIO(b"<!DOCTYPE html><html><body><p>Page.</p></body></html>"))
    assert docs[0].fmt == "html"
    text = RUSSIAN.encode("cp1251")
    docs, _, stats = read("-", stdin=io.BytesIO(text))
    assert (docs[0].fmt, docs[0].content, docs[0].origin) == ("text", RUSSIAN, "stdin")
    assert docs[0].doc_id == read("-", stdin=io.BytesIO(text))[0][0].doc_id  # id from content, stable
    assert stats.files == 1


def test_unknown_extension_is_sniffed_when_named_explicitly(tmp_path: Path) -> None:
    (tmp_path / "dump.data").write_bytes(gzip.compress(b'{"text": "sniffed jsonl"}\n'))
    (tmp_path / "page").write_text("<html><body><p>No extension.</p></body></html>")
    docs, rejects, _ = read(tmp_path / "dump.data", tmp_path / "page")
    assert rejects == []
    assert [(d.fmt, d.doc_id) for d in docs] == [("text", "dump.data-1"), ("html", "page")]


def test_folder_walk_is_sorted_recursive_and_skips_hidden_and_non_articles(tmp_path: Path) -> None:
    for relative in ["b/2.txt", "a/1.txt", "a/sub/0.txt", "c.txt"]:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"article {relative}")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.txt").write_text("hidden")
    (tmp_path / "README.md").write_text("# notes, not an article")
    docs, rejects, stats = read(tmp_path)
    assert rejects == []
    assert [d.content for d in docs] == ["article a/1.txt", "article a/sub/0.txt", "article b/2.txt", "article c.txt"]
    assert stats.skipped == {"hidden": 1, "not-article:.md": 1}
    assert stats.files == 4


def test_order_is_the_same_whatever_the_creation_order(tmp_path: Path) -> None:
    names = ["z.txt", "m/b.json", "a.jsonl", "m/a.txt", "k.csv"]
    contents = {
        "z.txt": "Zed article.",
        "m/b.json": json.dumps({"text": "Bee."}),
        "a.jsonl": '{"text": "Ay one."}\n{"text": "Ay two."}\n',
        "m/a.txt": "Em ay.",
        "k.csv": "text\nKay.\n",
    }
    outputs = []
    for run, order in enumerate([names, list(reversed(names))]):
        root = tmp_path / f"run{run}"
        for name in order:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(contents[name])
        docs, _, _ = read(root)
        outputs.append([(d.origin.removeprefix(str(root)), d.doc_id, d.content) for d in docs])
    assert outputs[0] == outputs[1]
    assert [content for _, _, content in outputs[0]] == ["Ay one.", "Ay two.", "Kay.", "Em ay.", "Bee.", "Zed article."]


@pytest.mark.parametrize(
    ("codec", "expected"),
    [
        ("cp1251", "cp1251"),
        ("koi8-r", "koi8-r"),
        ("utf-16", "utf-16-le"),  # with BOM
        ("utf-16-le", "utf-16-le"),  # without BOM
        ("utf-16-be", "utf-16-be"),
        ("utf-8-sig", "utf-8"),
        ("utf-32", "utf-32-le"),
    ],
)
def test_russian_text_decodes_from_every_encoding(tmp_path: Path, codec: str, expected: str) -> None:
    headline = "Москва. Кремль. Путин."
    (tmp_path / "long.txt").write_bytes(RUSSIAN.encode(codec))
    (tmp_path / "short.txt").write_bytes(headline.encode(codec))
    docs, rejects, _ = read(tmp_path)
    assert rejects == []
    assert [(d.content, d.encoding) for d in docs] == [(RUSSIAN, expected), (headline, expected)]


@pytest.mark.parametrize("codec", ["cp1251", "koi8-r", "utf-16"])
def test_structured_files_decode_in_legacy_encodings(tmp_path: Path, codec: str) -> None:
    (tmp_path / "a.jsonl").write_bytes(
        (json.dumps({"title": "Песков", "text": RUSSIAN}, ensure_ascii=False) + "\n").encode(codec)
    )
    (tmp_path / "b.csv").write_bytes(('title,text\nКремль,"' + RUSSIAN.replace('"', '""') + '"\n').encode(codec))
    docs, rejects, _ = read(tmp_path)
    assert rejects == []
    assert [(d.title, d.content) for d in docs] == [("Песков", RUSSIAN), ("Кремль", RUSSIAN)]


def test_jsonl_line_in_another_encoding_is_repaired(tmp_path: Path) -> None:
    good = json.dumps({"text": "UTF-8 line: Кремль"}, ensure_ascii=False).encode("utf-8")
    legacy = json.dumps({"text": RUSSIAN}, ensure_ascii=False).encode("cp1251")
    (tmp_path / "mixed.jsonl").write_bytes(good + b"\n" + legacy + b"\n")
    docs, rejects, _ = read(tmp_path / "mixed.jsonl")
    assert rejects == []
    assert [d.content for d in docs] == ["UTF-8 line: Кремль", RUSSIAN]
    assert [d.encoding for d in docs] == ["utf-8", "cp1251"]


def test_western_single_byte_text_is_not_read_as_central_european(tmp_path: Path) -> None:
    text = "Le président a déclaré : « voilà », naïve résumé. Die Straße, Müller und Jäger."
    (tmp_path / "fr.txt").write_bytes(text.encode("cp1252"))
    docs, _, _ = read(tmp_path / "fr.txt")
    assert (docs[0].content, docs[0].encoding) == (text, "cp1252")


def test_stdin_zip_and_gzip_archives_are_read() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("b.txt", "Second member.")
        archive.writestr("a.jsonl", '{"id": "z1", "text": "First member."}\n')
    docs, rejects, _ = read("-", stdin=io.BytesIO(buffer.getvalue()))
    assert rejects == []
    assert [(d.origin, d.content) for d in docs] == [
        ("stdin!a.jsonl:1", "First member."),
        ("stdin!b.txt", "Second member."),
    ]
    docs, _, _ = read("-", stdin=io.BytesIO(gzip.compress(b'[{"text": "Gzipped list on stdin."}]')))
    assert [d.content for d in docs] == ["Gzipped list on stdin."]


def test_warc_cut_mid_record_keeps_earlier_pages_and_reports_the_rest(tmp_path: Path) -> None:
    write_warc(tmp_path / "full.warc", compress=False)
    data = (tmp_path / "full.warc").read_bytes()
    second_page = data.index(b"WARC/1.", data.index(b"https://news.example/gone") - 300)
    (tmp_path / "cut.warc").write_bytes(data[: second_page + 40] + b"\r\ngarbage that is not a WARC header\r\n\r\n")
    docs, rejects, stats = read(tmp_path / "cut.warc")
    assert [d.url for d in docs] == ["https://news.example/a"]
    assert len(rejects) == 1 and rejects[0].reason.startswith("unreadable WARC after record 2")
    assert stats.skipped == {"warc:request": 1}


def test_a_page_cut_short_by_the_end_of_the_archive_is_kept_with_a_note(tmp_path: Path) -> None:
    write_warc(tmp_path / "full.warc", compress=False)
    data = (tmp_path / "full.warc").read_bytes()
    end_of_first_page = data.index(b"</html>") + len(b"</html>")
    (tmp_path / "cut.warc").write_bytes(data[:end_of_first_page])  # the record's trailing CRLFs are gone too
    docs, rejects, _ = read(tmp_path / "cut.warc")
    assert rejects == [] and [d.url for d in docs] == ["https://news.example/a"]
    assert RUSSIAN in docs[0].content
    assert "warc_record" in docs[0].extra and "reader_note" not in read(tmp_path / "full.warc")[0][0].extra
    (tmp_path / "short.warc").write_bytes(data[: end_of_first_page - 30])
    docs, _, _ = read(tmp_path / "short.warc")
    assert docs[0].extra["reader_note"].startswith("WARC record 2 truncated: 30 of its ")
    notes: list[Reject] = []
    articles, _ = build_articles(docs, Config(), notes=notes)
    assert len(articles) == 1 and [(n.origin, n.line) for n in notes] == [(str(tmp_path / "short.warc"), 2)]
    assert "WARC record 2 truncated: 30 of its " in notes[0].reason


def test_a_record_header_warcio_cannot_parse_is_named_as_such(tmp_path: Path) -> None:
    """warcio's own AttributeError ("'NoneType' object has no attribute 'startswith'") means nothing to a user."""
    (tmp_path / "bad.warc").write_bytes(b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 20\r\n\r\n"
                                        b"HTTP/1.1 200 OK\r\n\r\n<p>x")
    _, rejects, _ = read(tmp_path / "bad.warc")
    assert [r.reason for r in rejects] == ["unreadable WARC after record 0: malformed header of record 1"]


def test_warc_html_resource_records_are_documents(tmp_path: Path) -> None:
    with open(tmp_path / "res.warc.gz", "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        record = writer.create_warc_record(
            "https://news.example/r",
            "resource",
            payload=io.BytesIO(b"<html><body><p>Resource page.</p></body></html>"),
            warc_content_type="text/html; charset=utf-8",
        )
        writer.write_record(record)
    docs, rejects, _ = read(tmp_path / "res.warc.gz")
    assert rejects == []
    assert [(d.url, d.fmt, d.encoding) for d in docs] == [("https://news.example/r", "html", "utf-8")]


def test_wrong_latin1_declaration_does_not_hide_cp1251(tmp_path: Path) -> None:
    page = (
        f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"></head><p>{RUSSIAN}</p>'
    )
    (tmp_path / "mislabeled.html").write_bytes(page.encode("cp1251"))
    (tmp_path / "labeled.html").write_bytes(page.replace("iso-8859-1", "koi8-r").encode("koi8-r"))
    docs, rejects, _ = read(tmp_path)
    assert rejects == []
    assert [(d.doc_id, d.encoding, RUSSIAN in d.content) for d in docs] == [
        ("labeled", "koi8-r", True),
        ("mislabeled", "cp1251", True),
    ]


RSS = """<?xml version="1.0" encoding="windows-1251"?>
<rss version="2.0"><channel><title>Северный вестник</title><language>ru-RU</language>
<item><title>Забастовка в Рижском порту</title><link>https://sv.example/strike</link>
<guid isPermaLink="false">sv-1</guid><pubDate>Mon, 15 Jan 2024 10:00:00 +0200</pubDate>
<description>&lt;p&gt;Докеры Рижского порта начали забастовку.&lt;/p&gt;</description></item>
<item><title>Only a title</title><link>https://sv.example/title-only</link></item>
</channel></rss>
"""
ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Baltic Wire</title>
<entry><title>Riga dockers strike</title><link href="https://bw.example/strike"/><id>tag:bw,2024:1</id>
<updated>2024-01-15T08:00:00Z</updated><summary>Short summary.</summary>
<content type="html">&lt;p&gt;Dockers at the port of Riga went on strike on Monday over pay.&lt;/p&gt;</content></entry>
</feed>
"""


def test_saved_rss_and_atom_feeds_give_one_article_per_item_with_text(tmp_path: Path) -> None:
    (tmp_path / "sv.rss").write_bytes(RSS.encode("cp1251"))
    (tmp_path / "bw.atom").write_text(ATOM)
    docs, rejects, _ = read(tmp_path)
    rss, atom = sorted(docs, key=lambda d: d.origin, reverse=True)
    assert (rss.title, rss.outlet, rss.url, rss.date, rss.fmt, rss.extra["feed_language"]) == (
        "Забастовка в Рижском порту", "Северный вестник", "https://sv.example/strike", "2024-01-15T08:00:00+00:00",
        "html", "ru")
    assert rss.lang is None  # detected per item: an aggregator's channel language does not speak for every item
    assert "Докеры Рижского порта начали забастовку." in rss.content
    assert rss.doc_id == stable_id("f", "https://sv.example/strike") and rss.origin == f"{tmp_path}/sv.rss#item-1"
    assert (atom.title, atom.outlet, atom.url, atom.date) == (
        "Riga dockers strike", "Baltic Wire", "https://bw.example/strike", "2024-01-15T08:00:00+00:00")
    assert "went on strike on Monday" in atom.content  # the content, not the shorter summary
    assert [(r.origin, r.reason) for r in rejects] == [(f"{tmp_path}/sv.rss#item-2", (
        "item 2 ('Only a title') has no text of its own (`storyline watch` fetches the pages of a feed's items)"))]


def test_xml_is_read_by_its_root_element(tmp_path: Path) -> None:
    """A feed saved as .xml (or with no extension) is a feed; a sitemap is reported; other XML is markup."""
    (tmp_path / "feed.xml").write_text(ATOM)
    (tmp_path / "saved-feed").write_text(ATOM.replace("Riga dockers", "Liepaja dockers"))
    (tmp_path / "sitemap.xml").write_text('<?xml version="1.0"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/'
                                          'sitemap/0.9"><url><loc>https://bw.example/a</loc></url></urlset>')
    (tmp_path / "story.xml").write_text('<?xml version="1.0"?><story><headline>Fire in Liepaja</headline>'
                                        "<body>A fire destroyed a warehouse.</body></story>")
    docs, rejects, _ = read(tmp_path / "feed.xml", tmp_path / "saved-feed", tmp_path / "sitemap.xml",
                            tmp_path / "story.xml")
    assert [(d.title, d.fmt) for d in docs[:2]] == [("Riga dockers strike", "html"), ("Liepaja dockers strike", "html")]
    assert docs[2].doc_id == "story" and docs[2].fmt == "html"  # the cleaner strips the tags
    assert [(r.origin, r.reason) for r in rejects] == [(
        str(tmp_path / "sitemap.xml"), "a sitemap lists links, not articles (`storyline watch` follows sitemaps)")]


def test_a_malformed_feed_keeps_the_items_before_the_error_and_says_where_it_is(tmp_path: Path) -> None:
    broken = ATOM.replace("</feed>", "<entry><title>Cut</entry>\n</feed>")
    (tmp_path / "cut.atom").write_text(broken)
    docs, rejects, _ = read(tmp_path / "cut.atom")
    assert [d.title for d in docs] == ["Riga dockers strike"] and len(rejects) == 1  # the cut item: in the report
    line = broken.splitlines().index("<entry><title>Cut</entry>") + 1
    assert (rejects[-1].line, rejects[-1].reason) == (
        line, f"malformed feed: mismatched tag at line {line}, column 19; 1 item read before it")
    (tmp_path / "junk.rss").write_text("<rss><channel><title>T</title")
    _, junk, _ = read(tmp_path / "junk.rss")
    assert junk[0].reason.startswith("malformed feed, no item read: ")
