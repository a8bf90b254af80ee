"""Metadata extraction: dates (no invented years, no future dates), outlets, titles, language."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storyline.clean import clean_text
from storyline.config import Config
from storyline.extract import (
    build_article,
    canonical_outlet,
    detect_language,
    extract_article,
    find_date,
    find_outlets,
    parse_dateline,
    parse_metadata_date,
    parse_stamp,
    pick_title,
)
from storyline.extract.dates import CONFIDENCE, named_dates, recent_days, url_date, utc_offset_of
from storyline.extract.outlet import OutletNames, restated, same_outlet
from storyline.model import RawDocument, content_hash

TODAY = date(2026, 1, 1)
BODY = (
    "The Kremlin spokesman said on Tuesday that Moscow remained open to dialogue with Washington, but only "
    "on an equal footing and with respect for each other's interests.\n\nHe added that talks would continue."
)
BODY_RU = (
    "Пресс-секретарь президента заявил во вторник, что Москва по-прежнему открыта для диалога с Вашингтоном, "
    "но только на равных условиях.\n\nОн добавил, что переговоры продолжатся."
)


# --- dates -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stamp", "expected", "has_time"),
    [
        ("30 Mar, 2021 11:49", datetime(2021, 3, 30, 11, 49), True),
        ("Wednesday 31 March 2021 - 11:59", datetime(2021, 3, 31, 11, 59), True),
        ("2021-03-30", datetime(2021, 3, 30), False),
        ("30.03.2021 11:49", datetime(2021, 3, 30, 11, 49), True),
        ("30 марта 2021, 11:49", datetime(2021, 3, 30, 11, 49), True),
        ("11:49, 30 марта 2021", datetime(2021, 3, 30, 11, 49), True),
        ("Опубликовано: 24 января 2021 года", datetime(2021, 1, 24), False),
        ("March 30, 2021 at 2:05 pm", datetime(2021, 3, 30, 14, 5), True),
        ("Updated: Jan 24, 2021 10:00 GMT", datetime(2021, 1, 24, 10, 0), True),
        ("03/30/2021", datetime(2021, 3, 30), False),
        ("Вторник, 30 марта 2021 в 11:49", datetime(2021, 3, 30, 11, 49), True),
        # labels, zones and orders seen on real pages
        ("Story Created: Aug 7, 2012 at 9:56 AM AKDT", datetime(2012, 8, 7, 9, 56), True),
        ("18 September 2013 Last updated at 13:59 GMT", datetime(2013, 9, 18, 13, 59), True),
        ("9:53 AM, MON 22 JUL 2013", datetime(2013, 7, 22, 9, 53), True),
        ("Posted on November 15, 2011 6:07:15 PM", datetime(2011, 11, 15, 18, 7), True),
        ("Published on: Fri, 11 Nov 2011 at 09:56 IST", datetime(2011, 11, 11, 9, 56), True),
        ("12 January 2010 @ 09:29 pm", datetime(2010, 1, 12, 21, 29), True),
        # tokenised corpora (ECB+, Timeline17) space out every punctuation mark
        ("Updated : November 11 , 2011 20 : 09 IST", datetime(2011, 11, 11, 20, 9), True),
        ("12 : 52 p . m . EDT May 2 , 2013", datetime(2013, 5, 2, 12, 52), True),
        ("Fri . , May . 3 , 2013 11 : 45 AM PDT", datetime(2013, 5, 3, 11, 45), True),
        ("Thursday 29 July 2004 08 . 23 BST", datetime(2004, 7, 29, 8, 23), True),
        ("26 September 2013 , 10 : 00 ( GMT+05 : 00 )", datetime(2013, 9, 26, 10, 0), True),
        ("2013 - 09 - 26", datetime(2013, 9, 26), False),
    ],
)
def test_parse_stamp(stamp: str, expected: datetime, has_time: bool) -> None:
    assert parse_stamp(stamp) == (expected, has_time)


@pytest.mark.parametrize(
    "text",
    ["He spoke on Wednesday", "Tuesday", "31 February 2021", "In 2021 the talks failed", "30.13.2021", "March 2021",
     "He was born on May 2 , 1990 in Ohio", "Posted by admin on May 2, 2013"],
)
def test_parse_stamp_rejects_non_stamps(text: str) -> None:
    assert parse_stamp(text) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2021-03-30T11:49:00+03:00", datetime(2021, 3, 30, 11, 49)),
        ("Tue, 30 Mar 2021 11:49:00 GMT", datetime(2021, 3, 30, 11, 49)),
        ("2021-03-30", datetime(2021, 3, 30)),
        ("1617104940", datetime(2021, 3, 30, 11, 49)),
    ],
)
def test_parse_metadata_date(raw: str, expected: datetime) -> None:
    parsed = parse_metadata_date(raw)
    assert parsed is not None and parsed[0] == expected


@pytest.mark.parametrize(
    ("raw", "offset"),
    [
        ("2021-03-30T11:49:00+03:00", 180), ("2021-03-30T08:49:00Z", 0), ("2021-03-30T11:49:00-0500", -300),
        ("Tue, 30 Mar 2021 11:49:00 GMT", 0), ("Tue, 30 Mar 2021 11:49:00 +0300", 180), ("1617104940", 0),
        ("30 марта 2021, 11:49 МСК", 180), ("30 Mar 2021 11:49 GMT+3", 180), ("30.03.2021 11:49", None),
        ("2021-03-30", None),
    ],
)
def test_the_utc_offset_a_timestamp_states(raw: str, offset: int | None) -> None:
    assert utc_offset_of(raw) == offset


def test_a_dates_utc_offset_comes_with_it_when_the_source_states_one() -> None:
    text = "30 марта 2021, 11:49 МСК\n\nМОСКВА, 30 марта. /ТАСС/. Песков заявил, что диалог возможен. " + BODY
    from_stamp, _ = find_date(clean_text(text), RawDocument("a", "a", text), today=TODAY)
    assert from_stamp is not None and from_stamp.source == "stamp" and from_stamp.utc_offset == 180
    assert from_stamp.iso == "2021-03-30T11:49" and from_stamp.stamp == "2021-03-30T11:49+03:00"
    assert from_stamp.utc() == datetime(2021, 3, 30, 8, 49)
    meta, _ = find_date(clean_text(BODY), RawDocument("a", "a", BODY, date="2021-03-30T08:49:00Z"), today=TODAY)
    assert meta is not None and (meta.utc_offset, meta.stamp) == (0, "2021-03-30T08:49Z")
    day_only, _ = find_date(clean_text(BODY), RawDocument("a", "a", BODY, date="2021-03-30"), today=TODAY)
    assert day_only is not None and day_only.utc_offset is None and day_only.utc(180) == datetime(2021, 3, 29, 21)


@pytest.mark.parametrize(
    ("paragraph", "month_day", "mark"),
    [
        ("MOSCOW, January 24. /TASS/. Russia expects dialogue", (1, 24), "/TASS/"),
        ("МОСКВА, 24 января. /ТАСС/. Россия рассчитывает на диалог", (1, 24), "/ТАСС/"),
        ("WASHINGTON, March 30 (Reuters) - The White House said", (3, 30), "(Reuters)"),
        ("МОСКВА, 30 мар — РИА Новости. Пресс-секретарь заявил", (3, 30), "— РИА Новости"),
        ("LONDON, Feb 29 (AP) - A leap day", (2, 29), "(AP)"),
    ],
)
def test_dateline_gives_month_and_day_but_never_a_year(paragraph: str, month_day: tuple[int, int], mark: str) -> None:
    found = parse_dateline(paragraph)
    assert found is not None
    guess, agency = found
    assert (guess.value.month, guess.value.day) == month_day
    assert guess.year_known is False
    assert guess.iso == f"--{month_day[0]:02d}-{month_day[1]:02d}"
    assert agency == mark


def test_dateline_with_year_keeps_it() -> None:
    found = parse_dateline("MOSCOW, December 17, 2020 /TASS/. Text")
    assert found is not None and found[0].year_known and found[0].iso == "2020-12-17"


def test_caption_date_is_not_a_dateline() -> None:
    assert parse_dateline("MOSCOW, RUSSIA – DECEMBER 17, 2020: The spokesman takes part in a conference.") is None


def test_date_priority_metadata_over_stamp_over_dateline() -> None:
    text = "30 Mar, 2021 11:49\n\nMOSCOW, March 29. /TASS/. " + BODY
    clean = clean_text(text)
    from_stamp, _ = find_date(clean, RawDocument("a", "a", text), today=TODAY)
    assert from_stamp is not None and from_stamp.source == "stamp" and from_stamp.iso == "2021-03-30T11:49"
    with_meta, _ = find_date(clean, RawDocument("a", "a", text, date="2021-03-28"), today=TODAY)
    assert with_meta is not None and with_meta.source == "metadata" and with_meta.iso == "2021-03-28"
    assert with_meta.confidence > from_stamp.confidence
    only_dateline, _ = find_date(clean_text("MOSCOW, March 29. /TASS/. " + BODY), today=TODAY)
    assert only_dateline is not None and only_dateline.source == "dateline" and not only_dateline.year_known
    assert only_dateline.confidence < from_stamp.confidence


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.theguardian.com/politics/2019/nov/04/johnsons-brexit", date(2019, 11, 4)),
        ("https://polygon.example/2019/11/15/20966991/anthem-launch", date(2019, 11, 15)),
        ("https://rg.example/2020/05/05/habenskij-stanet.html", date(2020, 5, 5)),
        ("https://channel24.example/TV/News/watch-on-trackers-this-sunday-20191108", date(2019, 11, 8)),
        ("https://susanin.example/world/power/20200504-273202/", date(2020, 5, 4)),
        ("https://cosmo.example/stars/news/01-11-2019/ochen-seksapilnaya", date(2019, 11, 1)),  # day first
        # the Wayback Machine's 14-digit stamp is when it was saved; the page's own address says when it appeared
        ("http://web.archive.org/web/20170313014437/https://guns.example/2013/01/01/killed-man", date(2013, 1, 1)),
        ("https://reuters.example/article/us-roku-stocks-idUSKBN1XH2L5", None),
        ("https://tvzvezda.example/news/content/20191116452-BeEqk.html", None),  # an article number
        ("https://dawn.example/news/1516675", None),
        ("https://x.example/2019/13/45/impossible", None),
        ("https://x.example/review-1999-2001", None),
        ("https://x.example/2031/01/02/from-the-future", None),
        ("https://x.example/2019/11/04?utm=2019-11-05", date(2019, 11, 4)),
        ("https://20191104.example/story", None),  # a host is not a path
        ("", None),
    ],
)
def test_url_date_reads_the_days_news_addresses_carry(url: str, expected: date | None) -> None:
    assert url_date(url, today=TODAY) == expected


def test_an_address_dates_an_article_that_has_no_date_of_its_own() -> None:
    url = "https://harbour.example/baltics/2024/03/18/jekabpils-flood"
    dateline = "MOSCOW, March 29. /TASS/. " + BODY
    guess, _ = find_date(clean_text(BODY), RawDocument("u", "u", BODY, url=url), today=TODAY)
    assert guess is not None and (guess.source, guess.iso, guess.year_known) == ("url", "2024-03-18", True)
    # the address comes after the page's own date and a stamp, before a dateline (which may not give the year)
    with_meta, _ = find_date(clean_text(BODY), RawDocument("u", "u", BODY, url=url, date="2024-03-19"), today=TODAY)
    assert with_meta is not None and with_meta.source == "metadata" and with_meta.iso == "2024-03-19"
    over_dateline, _ = find_date(clean_text(dateline), RawDocument("u", "u", dateline, url=url), today=TODAY)
    assert over_dateline is not None and over_dateline.source == "url"
    assert with_meta.confidence > over_dateline.confidence > CONFIDENCE["dateline"]
    undated, _ = find_date(clean_text(BODY), RawDocument("u", "u", BODY, url="https://x.example/n/1516675"),
                           today=TODAY)
    assert undated is None
    article = build_article(RawDocument("u", "u", BODY, url=url), today=TODAY)
    assert article.date is not None and article.date.iso == "2024-03-18"


def test_weekday_mention_gives_no_date() -> None:
    guess, note = find_date(clean_text(BODY), today=TODAY)
    assert guess is None and note is None


def test_future_and_unparseable_dates_are_dropped_with_a_reason() -> None:
    text = "12 May 2031 10:00\n\n" + BODY
    article = build_article(RawDocument("f", "f", text, date="not a date"), today=TODAY)
    assert article.date is None
    clean = clean_text(text)
    guess, note = find_date(clean, RawDocument("f", "f", text, date="2030-01-01"), today=TODAY)
    assert guess is None
    assert note is not None and "future metadata date 2030-01-01" in note and "future stamp 2031-05-12" in note
    guess, note = find_date(clean_text(BODY), RawDocument("f", "f", BODY, date="yesterday-ish"), today=TODAY)
    assert guess is None and note is not None and "unparseable metadata date" in note


def test_future_metadata_falls_back_to_stamp() -> None:
    text = "30 Mar, 2021 11:49\n\n" + BODY
    guess, note = find_date(clean_text(text), RawDocument("f", "f", text, date="2099-01-01"), today=TODAY)
    assert guess is not None and guess.source == "stamp" and guess.iso == "2021-03-30T11:49"
    assert note is not None and "future" in note


def test_a_tokenised_stamp_under_the_title_dates_the_article_and_leaves_the_body() -> None:
    text = ("INS Sukanya foils piracy attempt in Gulf of Aden\nUpdated : November 11 , 2011 20 : 09 IST\n"
            "Warship INS Sukanya on Thursday foiled a piracy attempt in the Gulf of Aden , the navy said .")
    clean = clean_text(text)
    guess, _ = find_date(clean, RawDocument("f", "f", text), today=TODAY)
    assert guess is not None and guess.source == "stamp" and guess.iso == "2011-11-11T20:09"
    assert "20 : 09" not in clean.body and "foiled a piracy attempt" in clean.body
    assert [span.rule for span in clean.removed if "2011" in span.text] == ["date_stamp"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_date_parsers_never_raise(text: str) -> None:
    stamp = parse_stamp(text)
    assert stamp is None or 1900 <= stamp[0].year <= 2099
    parse_metadata_date(text)
    found = parse_dateline(text)
    assert found is None or found[0].source == "dateline"


# --- outlets ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("https://www.rt.com/russia/519531-peskov/", "RT"),
        ("russian.rt.com", "RT"),
        ("/TASS/", "TASS"),
        ("ТАСС", "TASS"),
        ("— РИА Новости", "RIA Novosti"),
        ("РБК", "RBC"),
        ("(Reuters)", "Reuters"),
        ("https://news.example-outlet.org/a/1", "news.example-outlet.org"),
        # a page kept by a web archive is its original site's, not the archive's
        ("http://web.archive.org/web/20150922124326/http://losangeles.cbslocal.com/2013/01/01/man-killed/",
         "losangeles.cbslocal.com"),
        ("https://web.archive.org/web/2017id_/http://www.bbc.co.uk/news/uk-1", "BBC"),
        ("https://archive.ph/newest/https://ria.ru/20240309/x.html", "RIA Novosti"),
        ("https://archive.ph/Xb3kQ", "archive.ph"),  # a short archive address names no site: the archive it is
        # the names datasets write without spaces or domain ending (Timeline17's "source")
        ("washingtonpost", "The Washington Post"),
        ("foxnews", "Fox News"),
        ("NYTimes", "The New York Times"),
        # the station, not its owner in brackets, even cut short
        ("WNEM (Meredith Corporation)", "WNEM"),
        ("KCTV (Meredith Corp", "KCTV"),
        ("Agence France-Presse (AFP)", "AFP"),
    ],
)
def test_canonical_outlet(raw: str, name: str) -> None:
    assert canonical_outlet(raw) == name


def test_publisher_and_credited_source_are_kept_apart() -> None:
    republished = clean_text(BODY + "\nPhoto: Ivan Petrov / TASS\nBased on materials from TASS")
    assert find_outlets(republished) == (None, "TASS")
    russian = clean_text(BODY_RU + "\nПо материалам РИА Новости")
    assert find_outlets(russian) == (None, "RIA Novosti")
    wire = clean_text("MOSCOW, January 24. /TASS/. " + BODY)
    assert find_outlets(wire) == ("TASS", None)
    reuters_copy = clean_text("WASHINGTON, March 30 (Reuters) - " + BODY)
    doc = RawDocument("r", "r", "x", url="https://www.example-daily.com/world/1")
    assert find_outlets(reuters_copy, doc) == ("example-daily.com", "Reuters")


def test_a_page_from_a_web_archive_is_published_by_the_archived_site() -> None:
    doc = RawDocument("w", "w", BODY, url="http://web.archive.org/web/20170313014650/http://www.wfxg.com/story/21447002/x")
    assert find_outlets(clean_text(BODY), doc) == ("wfxg.com", None)
    named = clean_text(BODY + "\n\nCopyright 2013 WNEM (Meredith Corporation). All rights reserved.")
    assert find_outlets(named, doc) == ("WNEM", None)


@pytest.mark.parametrize(
    ("name", "other", "same"),
    [
        ("BWA", "Baltic Wire", True),  # initials and the agency's letter
        ("WP", "The Washington Post", True),
        ("AFP", "Agence France-Presse", True),
        ("RIB", "РИБ", True),  # one name, two alphabets
        ("Baltiyskiy Obozrevatel", "Балтийский обозреватель", True),
        ("РИБ", "Региональное информбюро", True),
        ("AP", "Reuters", False),
        ("RT", "Reuters", False),
        ("BWA", "BWX", False),  # two abbreviations sharing initials are not one outlet
        ("TASS", "The Associated Press", False),
        (None, "TASS", False),
    ],
)
def test_same_outlet_by_case_alphabet_or_initials(name: str | None, other: str, same: bool) -> None:
    assert same_outlet(name, other) is same and same_outlet(other, name) is same


def test_outlet_names_find_the_stored_form_of_a_credit() -> None:
    names = OutletNames(["РИБ", "Baltic Wire", "Балтийский обозреватель"])
    assert [names.query(n) for n in ("RIB", "BWA", "Baltiyskiy Obozrevatel", "Baltic Wire", "TASS")] == [
        "РИБ", "Baltic Wire", "Балтийский обозреватель", "Baltic Wire", None]


def test_a_stored_outlet_is_restated_by_the_current_rules_and_only_then() -> None:
    wayback = "http://web.archive.org/web/20150922124326/http://www.foxnews.com/us/2013/01/05/bar-shooting/"
    assert restated("web.archive.org", "AP", wayback) == ("Fox News", "AP")
    assert restated("washingtonpost", None, None) == ("The Washington Post", None)
    assert restated("Baltic Wire", "BWA", "https://balticwire.example/a/1") == ("Baltic Wire", None)
    # a host that is no domain (a feed served from a machine's address) stays as the feed reader named it
    assert restated("127.0.0.1", None, "http://127.0.0.1:8080/news/strike-1") == ("127.0.0.1", None)
    assert restated("losangeles.cbslocal.com", None, "http://losangeles.cbslocal.com/2013/01/01/x/") == (
        "losangeles.cbslocal.com", None)


def test_an_outlets_own_wire_tag_is_not_a_source_it_credits() -> None:
    text = "RIGA, January 15. /BWA/. " + BODY + "\n\n(c) 2024 Baltic Wire"
    assert find_outlets(clean_text(text)) == ("Baltic Wire", None)
    assert find_outlets(clean_text("RIGA, January 15. /TASS/. " + BODY + "\n\n(c) 2024 Baltic Wire")) == (
        "Baltic Wire", "TASS")


def test_outlet_from_self_reference_and_promo() -> None:
    assert find_outlets(clean_text(BODY + "\n\nAlso on rt.com Another story"))[0] == "RT"
    assert find_outlets(clean_text(BODY + "\n\nRead on RBC Pro Pro Some promo Articles"))[0] == "RBC"
    assert find_outlets(clean_text(BODY_RU + "\n\nЧитайте на РБК Pro Как выжить"))[0] == "RBC"


def test_byline_row_gives_date_and_outlet() -> None:
    text = "Заголовок о суде в Вильнюсе\nБалтийский обозреватель | Общество | 9 апреля 2024, 18:40\n\n" + BODY_RU
    article = build_article(RawDocument("b", "b", text), today=TODAY)
    assert article.date is not None and article.date.iso == "2024-04-09T18:40" and article.date.source == "stamp"
    assert article.outlet == "Балтийский обозреватель"
    assert article.title == "Заголовок о суде в Вильнюсе"
    two_fields = build_article(RawDocument("c", "c", "Politics | 9 April 2024\n\n" + BODY), today=TODAY)
    assert two_fields.outlet is None and two_fields.date is not None and two_fields.date.iso == "2024-04-09"


def test_structured_outlet_wins() -> None:
    doc = RawDocument("j", "j", BODY + "\n\nAlso on rt.com x", outlet="ria.ru")
    assert build_article(doc).outlet == "RIA Novosti"


# --- titles and language -----------------------------------------------------------------------------------


def test_title_cascade() -> None:
    headline = "Kremlin says dialogue with Washington is possible"
    assert pick_title(clean_text(f"{headline}\n\n{BODY}")) == headline
    assert pick_title(clean_text(f"{headline}\n\n{headline}\n\n{BODY}")) == headline
    doc = RawDocument("t", "t", BODY, title="  Metadata   title ")
    assert pick_title(clean_text(BODY), doc) == "Metadata title"
    first_sentence = pick_title(clean_text(BODY))
    assert first_sentence.startswith("The Kremlin spokesman said on Tuesday")
    assert len(first_sentence) <= 161 and first_sentence.endswith("…")


def test_title_loses_the_site_suffix_only() -> None:
    doc = RawDocument("s", "s", BODY, title="Peskov on dialogue | Example News", outlet="Example News")
    assert pick_title(clean_text(BODY), doc) == "Peskov on dialogue"
    doc = RawDocument("s", "s", BODY, title="Russia - US talks resume", outlet="Example News")
    assert pick_title(clean_text(BODY), doc) == "Russia - US talks resume"


def test_a_posts_paragraph_ending_with_its_link_is_not_a_headline() -> None:
    post = ("Совфед одобрил закон о реформе РАН. Документ вступит в силу с 1 января, сообщает пресс-служба палаты. "
            "https://council.gov.ru/events/news/")
    assert pick_title(clean_text(post)) == "Совфед одобрил закон о реформе РАН."


def test_title_is_never_a_date_line_or_icon_row() -> None:
    text = "icon closeicon downicon editicon fbicon fileicon filtericon\n31.03.2021 11:59\nShort headline here\n" + BODY
    assert pick_title(clean_text(text)) == "Short headline here"
    dateline = pick_title(clean_text("MOSCOW, January 24. /TASS/. Russia expects dialogue. More text follows."))
    assert dateline == "Russia expects dialogue."


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (BODY, "en"),
        (BODY_RU, "ru"),
        ("Der Sprecher des Kremls sagte am Dienstag, die Gespräche mit Washington würden fortgesetzt.", "de"),
        ("Peskov said", "und"),
        ("", "und"),
    ],
)
def test_detect_language(text: str, code: str) -> None:
    assert detect_language(text)[0] == code


@pytest.mark.parametrize(
    ("text", "alone", "code"),
    [  # Russian headlines the model alone calls Bulgarian, Macedonian, Kyrgyz
        ("Два агента ФБР погибли на учениях.", "bg", "ru"),
        ("Совфед одобрил закон о реформе РАН.", "mk", "ru"),
        ("Боевики заявили о захвате офиса ООН в столице Сомали.", "bg", "ru"),
        ("Умер актер Андрей Панин.", "ky", "ru"),
        # real headlines of the neighbours stay theirs: the prior only decides close calls
        ("Цените на горивата растат през зимата", "bg", "bg"),
        ("У Києві відкрили новий міст через Дніпро", "uk", "uk"),
        ("Београд добија нови мост преко Саве", "sr", "sr"),
        ("Kanzler trifft Präsidenten in Berlin", "de", "de"),
    ],
)
def test_expected_languages_win_close_calls_on_headlines(text: str, alone: str, code: str) -> None:
    assert detect_language(text, ())[0] == alone
    assert detect_language(text)[0] == code


def test_a_russian_headline_only_record_is_read_as_russian() -> None:
    doc = RawDocument(origin="feed.jsonl:3", doc_id="h1", content="Два агента ФБР погибли на учениях.",
                      title="Два агента ФБР погибли на учениях.")
    assert build_article(doc).lang == "ru"
    assert build_article(doc, Config(languages=("en",))).lang == "bg"  # only what the config expects is favoured


def test_build_article_from_html_with_metadata() -> None:
    html = (
        "<html><head><title>Peskov on dialogue</title>"
        '<meta property="og:site_name" content="TASS">'
        '<meta property="article:published_time" content="2021-01-24T10:00:00+03:00"></head><body><article>'
        + "<p>Dmitry Peskov said the Kremlin was ready for dialogue with the new administration in Washington.</p>" * 3
        + "</article></body></html>"
    )
    raw = RawDocument("page.html", "page", html, fmt="html")
    article = build_article(raw, today=TODAY)
    assert article.id == "page" and article.raw == html and article.content_hash == content_hash(html)
    assert article.title == "Peskov on dialogue"
    assert article.outlet == "TASS"
    assert article.lang == "en"
    assert article.date is not None and article.date.iso.startswith("2021-01-24") and article.date.source == "metadata"
    assert "ready for dialogue" in article.body and "<p>" not in article.body


def test_extract_article_reports_dropped_dates() -> None:
    article, clean = extract_article(RawDocument("n", "n", BODY, date="2099-05-01"), today=TODAY)
    assert article.date is None
    assert "future metadata date 2099-05-01" in clean.meta["date_note"]
    assert article.body == clean.body and article.removed == clean.removed


@pytest.mark.parametrize(
    "module",
    ["storyline.clean", "storyline.clean.normalize", "storyline.clean.mojibake", "storyline.extract.dates",
     "storyline.extract.outlet", "storyline.extract.language"],
)
def test_docstring_examples_hold(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


def test_named_dates_read_days_named_in_running_text_in_english_and_russian() -> None:
    published = date(2016, 3, 26)
    text = ("Lamont Powell was wounded in the March 9 ambush. Police may 5 times have asked; on 12th of December "
            "the trial of 2015 shooting opened, and the 3 марта 2016 года hearing, the filing dated 2016-02-29.")
    assert named_dates(text, published) == [date(2016, 3, 9), date(2015, 12, 12), date(2016, 3, 3), date(2016, 2, 29)]
    assert named_dates("Sunday's shooting, yesterday's arrest, 30 February", published) == []
    assert named_dates("December 30", date(2017, 1, 2)) == [date(2016, 12, 30)]  # the nearer year
    assert named_dates("Fresno shooting of 5 may be tied to gangs; killed on 5 May", published) == [date(2016, 5, 5)]


def test_recent_days_are_the_past_week_days_a_lead_names() -> None:
    monday = date(2016, 3, 28)
    lead = ("Two men were shot Sunday night in Wilkinsburg; police made an arrest yesterday. "
            "The suspect will appear in court on Friday. В субботу прошёл митинг, а 24 марта — собрание.")
    assert sorted(recent_days(lead, monday)) == [date(2016, 3, 24), date(2016, 3, 26), date(2016, 3, 27),
                                                 date(2016, 3, 27)]
    assert recent_days("The hearing on Monday, March 1.", monday) == []  # today and a month back are not recent
