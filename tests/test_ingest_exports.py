"""Exports of the usual scrapers and news APIs read as they come, and a user's own field names (``--field``)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from storyline.cli import main
from storyline.config import Config, ConfigError
from storyline.ingest import IngestStats, field_keys, iter_documents
from storyline.model import RawDocument, Reject

NEWS_PLEASE = {
    "authors": ["Anna Ozola"], "date_download": "2024-03-02 10:00:00", "date_modify": None,
    "date_publish": "2024-03-01 08:15:00", "description": "Dockers want more pay.", "filename": "x.json",
    "language": "en", "maintext": "Dock workers in Riga walked out on Friday over pay, the union said.",
    "source_domain": "www.lsm.lv", "text": None, "title": "Riga dock workers strike", "title_page": None,
    "url": "https://www.lsm.lv/a/1",
}
NEWSAPI = {"status": "ok", "totalResults": 1, "articles": [{
    "source": {"id": None, "name": "Reuters"}, "author": "X", "title": "Kremlin says talks possible",
    "description": "Talks are possible, the Kremlin says.", "url": "https://www.reuters.com/x", "urlToImage": None,
    "publishedAt": "2024-03-05T10:00:00Z",
    "content": "Kremlin spokesman Dmitry Peskov said on Tuesday that talks were possible… [+2117 chars]",
}]}
TRAFILATURA = {
    "title": "Fire in Tallinn", "author": None, "hostname": "err.ee", "date": "2024-03-06", "sitename": "ERR News",
    "text": "A fire broke out in a Tallinn warehouse on Wednesday.", "source": "https://news.err.ee/123",
    "source-hostname": "ERR News", "language": "en",
}
NYT = {
    "_id": {"$oid": "65f0aa01"}, "headline": {"main": "Storm hits the coast", "print_headline": "Storm"},
    "pub_date": "2024-03-07T00:00:00+0000", "web_url": "https://www.nytimes.com/s", "abstract": "A storm.",
    "lead_paragraph": "A storm hit the coast of Maine on Thursday.", "source": "The New York Times",
}
SCHEMA_ORG = {
    "@type": "NewsArticle", "headline": "Bridge opens in Kaunas", "datePublished": "2024-03-08",
    "articleBody": ["The new bridge in Kaunas opened on Friday.", "Traffic starts on Monday."],
    "publisher": {"@type": "Organization", "name": "Daily Example"}, "inLanguage": "en-GB",
    "link": {"href": "https://daily.example/b"},  # not an address string: passed over, not a reason to reject
}
MEDIA_CLOUD = {
    "stories_id": 123456, "title": "Port of Klaipeda expands", "publish_date": "2024-03-09 12:00:00",
    "media_name": "BBC", "url": "https://www.bbc.co.uk/n", "language": "en",
    "text": "The port of Klaipeda will add two berths, its director said.",
}


def read(path: Path, **fields: str) -> tuple[list[RawDocument], list[Reject]]:
    items = list(iter_documents([path], stats=IngestStats(), keys=field_keys(fields)))
    return ([i for i in items if isinstance(i, RawDocument)], [i for i in items if isinstance(i, Reject)])


def fields_of(doc: RawDocument) -> tuple[str | None, ...]:
    return doc.doc_id, doc.title, doc.date, doc.url, doc.outlet, doc.lang, doc.content


def test_scraper_and_api_exports_are_read_without_any_mapping(tmp_path: Path) -> None:
    (tmp_path / "a_newsplease.json").write_text(json.dumps(NEWS_PLEASE))
    (tmp_path / "b_newsapi.json").write_text(json.dumps(NEWSAPI))
    lines = (TRAFILATURA, NYT, SCHEMA_ORG, MEDIA_CLOUD)
    (tmp_path / "c_mixed.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    docs, rejects = read(tmp_path)
    assert rejects == []
    assert [fields_of(d) for d in docs] == [
        ("a_newsplease", "Riga dock workers strike", "2024-03-01 08:15:00", "https://www.lsm.lv/a/1", "www.lsm.lv",
         "en", NEWS_PLEASE["maintext"]),
        # NewsAPI's cut-off marker is not text
        ("b_newsapi-1", "Kremlin says talks possible", "2024-03-05T10:00:00Z", "https://www.reuters.com/x", "Reuters",
         None, "Kremlin spokesman Dmitry Peskov said on Tuesday that talks were possible"),
        # trafilatura's "source" is the page's address; the outlet is its site name
        ("c_mixed-1", "Fire in Tallinn", "2024-03-06", "https://news.err.ee/123", "ERR News", "en",
         TRAFILATURA["text"]),
        ("65f0aa01", "Storm hits the coast", "2024-03-07T00:00:00+0000", "https://www.nytimes.com/s",
         "The New York Times", None, NYT["lead_paragraph"]),
        ("c_mixed-3", "Bridge opens in Kaunas", "2024-03-08", None, "Daily Example", "en-GB",
         "The new bridge in Kaunas opened on Friday.\n\nTraffic starts on Monday."),
        ("123456", "Port of Klaipeda expands", "2024-03-09 12:00:00", "https://www.bbc.co.uk/n", "BBC", "en",
         MEDIA_CLOUD["text"]),
    ]
    # what was not read stays with the document; what was read is not repeated there
    assert docs[0].extra["date_download"] == "2024-03-02 10:00:00" and "maintext" not in docs[0].extra
    assert "source" not in docs[2].extra and docs[2].extra["hostname"] == "err.ee"
    assert docs[4].extra["link"] == {"href": "https://daily.example/b"}


def test_a_json_feed_gives_one_article_per_item_from_the_feeds_outlet(tmp_path: Path) -> None:
    """JSON Feed (jsonfeed.org): items hold content_html or content_text, date_published; the feed names the outlet."""
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "Baltic Wire",
            "items": [{"id": "https://bw.example/a1", "url": "https://bw.example/a1", "title": "Fire at Riga port",
                       "content_html": "<p>A warehouse burned in the Port of Riga on Monday.</p>",
                       "date_published": "2024-03-04T10:00:00+02:00"},
                      {"id": "a2", "title": "Tram strike ends", "content_text": "Tallinn tram drivers went back.",
                       "date_published": "2024-03-05T09:00:00Z", "outlet": "ERR"}]}
    (tmp_path / "feed.json").write_text(json.dumps(feed))
    docs, rejects = read(tmp_path)
    assert rejects == []
    assert [fields_of(d) for d in docs] == [
        ("https://bw.example/a1", "Fire at Riga port", "2024-03-04T10:00:00+02:00", "https://bw.example/a1",
         "Baltic Wire", None, "<p>A warehouse burned in the Port of Riga on Monday.</p>"),
        ("a2", "Tram strike ends", "2024-03-05T09:00:00Z", None, "ERR", None, "Tallinn tram drivers went back."),
    ]
    assert docs[0].fmt == "html" and docs[1].fmt == "text"


def test_spreadsheet_headers_match_without_case_or_separators(tmp_path: Path) -> None:
    path = tmp_path / "sheet.csv"
    path.write_text("Headline,Story Text,Published Date,Link,Media Name\n"
                    "Flood in Narva,The river rose two metres overnight.,2024-03-11,https://ex.example/c,ERR\n"
                    "Empty,,2024-03-12,https://ex.example/d,ERR\n")
    docs, rejects = read(path)
    assert [fields_of(d) for d in docs] == [
        ("sheet-2", "Flood in Narva", "2024-03-11", "https://ex.example/c", "ERR", None,
         "The river rose two metres overnight."),
    ]
    assert [(r.line, r.reason) for r in rejects] == [(3, "field 'story text' is empty")]


def test_an_empty_text_gives_way_to_the_next_name_and_wrong_types_are_still_reported(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    records = [
        {"id": "a", "text": "  ", "description": "Only the description carries text."},
        {"id": "b", "text": "Fine.", "title": 5},  # a key that surely means the title: the record's mistake
        {"id": "c", "text": "Fine.", "headline": 5},  # a newer alternative of another type: passed over
        {"id": "d", "text": "Fine.", "date": True},
        {"id": "e", "text": "Fine.", "Source": "https://err.example/a/1", "Site_Name": "ERR"},  # any case
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    docs, rejects = read(path)
    assert [(d.doc_id, d.title, d.content) for d in docs] == [
        ("a", None, "Only the description carries text."), ("c", None, "Fine."), ("e", None, "Fine.")]
    assert (docs[-1].url, docs[-1].outlet) == ("https://err.example/a/1", "ERR")
    assert [(r.line, r.reason) for r in rejects] == [
        (2, "field 'title' is a number, expected a string"),
        (4, "field 'date' is a boolean, expected a string or a Unix time"),
    ]


def test_a_users_field_names_come_first_and_may_reach_inside_objects(tmp_path: Path) -> None:
    path = tmp_path / "own.jsonl"
    record = {"uid": "k1", "hed": "Custom headline", "copy": "Custom body.", "text": "Teaser only.",
              "meta": {"Published_On": "2024-03-12"}}
    path.write_text(json.dumps(record) + "\n")
    docs, rejects = read(path, text="copy", title="hed", date="meta.published_on", id="uid")
    assert rejects == [] and [fields_of(d) for d in docs] == [
        ("k1", "Custom headline", "2024-03-12", None, None, None, "Custom body.")]
    assert docs[0].extra == {"text": "Teaser only."}  # meta was read, the teaser was not
    _, rejects = read(path, text="article_body")
    assert [r.reason for r in rejects] == []  # "text" still serves when the named key is absent
    (tmp_path / "none.jsonl").write_text(json.dumps({"hed": "x", "copy": 3}) + "\n")
    _, rejects = read(tmp_path / "none.jsonl", text="copy")
    assert [r.reason for r in rejects] == ["field 'copy' is a number, expected a string"]
    with pytest.raises(ValueError, match="unknown record field 'txt'"):
        field_keys({"txt": "copy"})


def test_record_fields_option_is_validated_and_hashable() -> None:
    config = Config(record_fields={"text": "copy", "date": "meta.on"})
    assert config.record_fields == (("date", "meta.on"), ("text", "copy")) and hash(config)
    assert Config.load(record_fields={"text": "copy"}) == Config(record_fields=(("text", "copy"),))
    with pytest.raises(ConfigError, match="unknown field 'body'"):
        Config(record_fields={"body": "copy"})
    with pytest.raises(ConfigError, match="non-empty string"):
        Config(record_fields={"text": " "})


def test_cli_field_option_stores_what_the_default_names_cannot_find(tmp_path: Path, capsys) -> None:
    source = tmp_path / "export.jsonl"
    rows = [{"uid": f"u{i}", "hed": f"Flood in Narva, day {i}", "copy": f"The Narva river rose again on day {i}.",
             "meta": {"published_on": f"2024-03-1{i}"}} for i in range(3)]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    plain, mapped = tmp_path / "plain.db", tmp_path / "mapped.db"
    assert main(["ingest", str(source), "--db", str(plain), "--fast"]) == 0
    with sqlite3.connect(plain) as conn:
        assert conn.execute("SELECT COUNT(*) FROM articles").fetchone() == (0,)
        reasons = [r for (r,) in conn.execute("SELECT reason FROM rejects")]
    assert len(reasons) == 3 and all("--field text=KEY" in r and "hed, copy" in r for r in reasons)
    config = tmp_path / "fields.toml"
    config.write_text('[storyline]\nrecord_fields = { text = "copy", title = "headline_not_here" }\n')
    args = ["ingest", str(source), "--db", str(mapped), "--fast", "--config", str(config),
            "--field", "title=hed", "--field", "date=meta.published_on", "--field", "ID=uid"]
    assert main(args) == 0
    with sqlite3.connect(mapped) as conn:
        stored = conn.execute("SELECT id, title, substr(published, 1, 10) FROM articles ORDER BY id").fetchall()
    assert stored == [(f"u{i}", f"Flood in Narva, day {i}", f"2024-03-1{i}") for i in range(3)]
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(["ingest", str(source), "--db", str(mapped), "--field", "words=copy"])
    assert exit_info.value.code == 2 and "unknown field 'words'" in capsys.readouterr().err


def test_the_spark_engines_readers_take_the_same_field_names(tmp_path: Path) -> None:
    """`run --engine spark --field …` reads files and Parquet rows with the user's names, as the local reader."""
    from collections import Counter

    from storyline.scale.sources import Unit, parquet_document, read_unit

    record = {"hed": "Custom headline", "copy": "Custom body.", "meta": {"published_on": "2024-03-12"}}
    path = tmp_path / "own.jsonl"
    path.write_text(json.dumps(record) + "\n")
    keys = field_keys(Config(record_fields={"text": "copy", "title": "hed", "date": "meta.published_on"}).record_fields)
    local, _ = read(path, text="copy", title="hed", date="meta.published_on")
    spark_file = list(read_unit(Unit(0, str(path), str(path)), Counter(), keys))
    spark_row = parquet_document(record, "own.parquet", 0, keys)
    assert [fields_of(d) for d in spark_file] == [fields_of(d) for d in local] == [
        ("own-1", "Custom headline", "2024-03-12", None, None, None, "Custom body.")]
    assert isinstance(spark_row, RawDocument) and fields_of(spark_row)[1:] == fields_of(local[0])[1:]
    assert isinstance(parquet_document(record, "own.parquet", 0), Reject)  # without the names: no text


TELEGRAM = {  # Telegram Desktop: "Export chat history" of a channel, JSON format (result.json)
    "name": "Кремлёвский обозреватель", "type": "public_channel", "id": 1234567890, "messages": [
        {"id": 1, "type": "service", "date": "2024-11-01T10:00:00", "actor": "Кремлёвский обозреватель",
         "action": "create_channel", "title": "Кремлёвский обозреватель", "text": "", "text_entities": []},
        {"id": 101, "type": "message", "date": "2024-11-08T09:12:00", "date_unixtime": "1731057120",
         "from": "Кремлёвский обозреватель", "from_id": "channel1234567890",
         "text": [{"type": "bold", "text": "Песков: переговоры возможны."}, "\n\nПресс-секретарь президента Дмитрий "
                  "Песков заявил журналистам, что Москва открыта для диалога с Вашингтоном. ",
                  {"type": "text_link", "text": "Подробнее", "href": "https://example.org/a"}],
         "text_entities": [{"type": "bold", "text": "Песков: переговоры возможны."}]},
        {"id": 102, "type": "message", "date": "2024-11-08T10:30:00", "from": "Кремлёвский обозреватель",
         "forwarded_from": "ТАСС", "text": "Песков заявил, что Кремль готов к диалогу с новой администрацией США, "
                                          "но не будет разговаривать с позиции силы."},
        {"id": 103, "type": "message", "date": "2024-11-08T12:00:00", "photo": "photos/photo_1.jpg",
         "width": 1280, "height": 720, "text": "", "text_entities": []},
    ]}


def test_a_telegram_channel_export_is_read_post_by_post(tmp_path: Path) -> None:
    """OSINT work reads Telegram channels: Desktop's result.json is read as it comes, one article per post, the
    channel as outlet, a forwarded post crediting its source; what is not a post is reported, with its position."""
    (tmp_path / "result.json").write_text(json.dumps(TELEGRAM, ensure_ascii=False), encoding="utf-8")
    docs, rejects = read(tmp_path)
    assert [(d.doc_id, d.outlet, d.credited, d.date) for d in docs] == [
        ("tg1234567890-101", "Кремлёвский обозреватель", None, "2024-11-08T09:12:00"),
        ("tg1234567890-102", "Кремлёвский обозреватель", "ТАСС", "2024-11-08T10:30:00")]
    assert docs[0].content.startswith("Песков: переговоры возможны.\n\nПресс-секретарь президента")
    assert docs[0].content.endswith("с Вашингтоном. Подробнее") and docs[0].extra["from_id"] == "channel1234567890"
    assert [(r.line, r.reason) for r in rejects] == [
        (1, "Telegram service message 1 (create_channel): not a post"),
        (4, "Telegram message 103 has no text (photo alone)")]
    db = tmp_path / "tg.db"
    assert main(["ingest", str(tmp_path / "result.json"), "--db", str(db), "--fast"]) == 0
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT id, outlet, credited_source, lang FROM articles ORDER BY id").fetchall()
    assert rows == [("tg1234567890-101", "Кремлёвский обозреватель", None, "ru"),
                    ("tg1234567890-102", "Кремлёвский обозреватель", "TASS", "ru")]  # the credit, normalised


def test_a_full_telegram_data_export_keeps_each_chats_posts_apart(tmp_path: Path) -> None:
    """"Export Telegram data" lists several chats; their message ids repeat, their article ids do not."""
    other = {"name": "Riga Wire", "type": "public_channel", "id": 77, "messages": [
        {"id": 101, "type": "message", "date": "2024-11-08T11:00:00", "text": "Dock workers in Riga walked out."}]}
    (tmp_path / "result.json").write_text(json.dumps({"about": "…", "chats": {"about": "…", "list": [TELEGRAM, other]}},
                                                     ensure_ascii=False), encoding="utf-8")
    docs, rejects = read(tmp_path)
    assert [(d.doc_id, d.outlet) for d in docs] == [
        ("tg1234567890-101", "Кремлёвский обозреватель"), ("tg1234567890-102", "Кремлёвский обозреватель"),
        ("tg77-101", "Riga Wire")]
    assert len(rejects) == 2


def test_a_records_credited_source_is_read_from_the_usual_names(tmp_path: Path) -> None:
    record = {"id": "r1", "title": "Kremlin open to talks", "outlet": "Daily Example", "credited_source": "Reuters",
              "text": "Kremlin spokesman Dmitry Peskov said on Tuesday that Moscow was open to talks with Washington."}
    (tmp_path / "a.jsonl").write_text(json.dumps(record) + "\n" + json.dumps({**record, "id": "r2"} | {
        "credited_source": None}) + "\n")
    docs, _ = read(tmp_path)
    assert [d.credited for d in docs] == ["Reuters", None]
    assert "credited_source" not in docs[0].extra


def test_a_telethon_dump_is_read_message_by_message(tmp_path: Path) -> None:
    """Scrapers built on Telethon write ``message.to_dict()`` per line: its ``message`` is the text."""
    lines = [
        {"_": "Message", "id": 7, "peer_id": {"_": "PeerChannel", "channel_id": 42}, "date": "2024-11-08 09:12:00+00:00",
         "message": "Песков заявил, что Кремль открыт для диалога с Вашингтоном.", "views": 1200, "channel": "kremlin_watch",
         "fwd_from": {"_": "MessageFwdHeader", "date": "2024-11-08 09:00:00+00:00", "from_name": "ТАСС"}},
        {"_": "MessageService", "id": 8, "peer_id": {"_": "PeerChannel", "channel_id": 42},
         "action": {"_": "MessageActionPinMessage"}},
        {"_": "Message", "id": 9, "peer_id": {"_": "PeerChannel", "channel_id": 42}, "date": "2024-11-08 10:00:00+00:00",
         "message": "", "media": {"_": "MessageMediaPhoto"}},
    ]
    (tmp_path / "dump.jsonl").write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines),
                                        encoding="utf-8")
    docs, rejects = read(tmp_path, outlet="channel")
    assert [(d.doc_id, d.outlet, d.credited, d.date) for d in docs] == [
        ("tg42-7", "kremlin_watch", "ТАСС", "2024-11-08 09:12:00+00:00")]
    assert docs[0].extra["views"] == 1200 and "message" not in docs[0].extra
    assert [(r.line, r.reason) for r in rejects] == [
        (2, "Telegram service message 8 (MessageActionPinMessage): not a post"), (3, "field 'text' is empty")]


CHANNEL_PAGE = """<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>Кремлёвский обозреватель – Telegram</title>
<meta property="og:title" content="Кремлёвский обозреватель">
<meta property="og:url" content="https://t.me/s/kremlin_watch">
</head>
<body class="widget_frame_base tgme_webpage">
<header class="tgme_header"><div class="tgme_channel_info_header_title"><span dir="auto">Кремлёвский обозреватель</span></div></header>
<section class="tgme_channel_history js-message_history">
<div class="tgme_widget_message_wrap js-widget_message_wrap"><div class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="kremlin_watch/101" data-view="x">
  <div class="tgme_widget_message_bubble">
    <div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name" href="https://t.me/kremlin_watch"><span dir="auto">Кремлёвский обозреватель</span></a></div>
    <div class="tgme_widget_message_text js-message_text" dir="auto"><b>⚡️Песков: Кремль открыт для диалога с Вашингтоном</b><br/><br/>Пресс-секретарь президента Дмитрий Песков заявил журналистам, что Москва открыта для диалога с новой администрацией США. «Мы никогда не отказывались от диалога», — сказал Песков.<br/><br/><a href="?q=%23кремль">#кремль</a></div>
    <div class="tgme_widget_message_footer compact js-message_footer"><div class="tgme_widget_message_info short js-message_info"><span class="tgme_widget_message_views">12.4K</span><span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" href="https://t.me/kremlin_watch/101"><time datetime="2024-11-08T09:12:00+00:00" class="time">09:12</time></a></span></div></div>
  </div>
</div></div>
<div class="tgme_widget_message_wrap js-widget_message_wrap"><div class="tgme_widget_message js-widget_message" data-post="kremlin_watch/102">
  <div class="tgme_widget_message_bubble">
    <div class="tgme_widget_message_forwarded_from accent_color">Forwarded from <a class="tgme_widget_message_forwarded_from_name" href="https://t.me/tass_agency/5"><span dir="auto">ТАСС</span></a></div>
    <div class="tgme_widget_message_text js-message_text" dir="auto">Песков заявил, что Кремль готов к диалогу с новой администрацией США, но не будет разговаривать с позиции силы.</div>
    <div class="tgme_widget_message_footer"><a class="tgme_widget_message_date" href="https://t.me/kremlin_watch/102"><time datetime="2024-11-08T10:30:00+00:00" class="time">10:30</time></a></div>
  </div>
</div></div>
<div class="tgme_widget_message_wrap js-widget_message_wrap"><div class="tgme_widget_message js-widget_message" data-post="kremlin_watch/103">
  <div class="tgme_widget_message_bubble"><a class="tgme_widget_message_photo_wrap" href="https://t.me/kremlin_watch/103" style="background-image:url('x.jpg')"></a>
    <div class="tgme_widget_message_footer"><a class="tgme_widget_message_date" href="https://t.me/kremlin_watch/103"><time datetime="2024-11-08T12:00:00+00:00" class="time">12:00</time></a></div>
  </div>
</div></div>
</section>
</body>
</html>
"""


def test_a_saved_telegram_channel_page_is_read_post_by_post(tmp_path: Path) -> None:
    """`curl https://t.me/s/kremlin_watch > kremlin_watch.html`: one article per post with its t.me URL and time, the
    channel's title as outlet, "Forwarded from" as the credited source; saved again later, only new posts are added."""
    (tmp_path / "kremlin_watch.html").write_text(CHANNEL_PAGE, encoding="utf-8")
    docs, rejects = read(tmp_path)
    assert [(d.doc_id, d.url, d.date, d.outlet, d.credited) for d in docs] == [
        ("tg-kremlin_watch-101", "https://t.me/kremlin_watch/101", "2024-11-08T09:12:00+00:00",
         "Кремлёвский обозреватель", None),
        ("tg-kremlin_watch-102", "https://t.me/kremlin_watch/102", "2024-11-08T10:30:00+00:00",
         "Кремлёвский обозреватель", "ТАСС")]
    assert docs[0].content.startswith("⚡️Песков: Кремль открыт для диалога с Вашингтоном\n\nПресс-секретарь")
    assert [(r.line, r.reason) for r in rejects] == [(None, "Telegram post https://t.me/kremlin_watch/103 has no text")]
    db = tmp_path / "tg.db"
    assert main(["ingest", str(tmp_path / "kremlin_watch.html"), "--db", str(db), "--fast"]) == 0
    later = CHANNEL_PAGE.replace("kremlin_watch/103", "kremlin_watch/104").replace(  # the photo post scrolled off
        """<a class="tgme_widget_message_photo_wrap" href="https://t.me/kremlin_watch/104" style="background-image:url('x.jpg')"></a>""",
        '<div class="tgme_widget_message_text js-message_text">Лавров прибыл в Анкару на переговоры с Турцией.</div>')
    (tmp_path / "kremlin_watch.html").write_text(later, encoding="utf-8")
    assert main(["ingest", str(tmp_path / "kremlin_watch.html"), "--db", str(db), "--fast"]) == 0
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT id, title, credited_source FROM articles ORDER BY id").fetchall()
    assert [r[0] for r in rows] == ["tg-kremlin_watch-101", "tg-kremlin_watch-102", "tg-kremlin_watch-104"]
    assert rows[0][1:] == ("Песков: Кремль открыт для диалога с Вашингтоном", None) and rows[1][2] == "TASS"
    # saved with an XML declaration, or cut off before its posts: read, or reported, never a crash
    (tmp_path / "kremlin_watch.html").write_text('<?xml version="1.0" encoding="utf-8"?>\n' + CHANNEL_PAGE,
                                                 encoding="utf-8")
    assert len(read(tmp_path)[0]) == 2
    from storyline.ingest.telegram import iter_channel_page
    assert [r.reason for r in iter_channel_page(b"  ", origin="x.html")] == [
        "unreadable Telegram channel page: Document is empty"]
