"""Cleaning: encoding repair, normalisation, furniture rules (EN and RU), HTML, and fuzzed invariants."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyline.clean import clean_document, clean_text, is_menu_row, normalize_text, repair_encoding
from storyline.model import RawDocument

LEAD = (
    "The Kremlin spokesman said on Tuesday that Moscow remained open to dialogue with Washington, "
    "but only on an equal footing and with respect for each other's interests.\n\n"
    "He added that the talks on strategic stability would continue next month in Geneva, where both "
    "delegations are expected to present new proposals on arms control.\n\n"
)
LEAD_RU = (
    "Пресс-секретарь президента заявил во вторник, что Москва по-прежнему открыта для диалога с Вашингтоном, "
    "но только на равных условиях и при уважении интересов друг друга.\n\n"
    "Он добавил, что переговоры о стратегической стабильности продолжатся в следующем месяце в Женеве.\n\n"
)


def is_subsequence(small: str, big: str) -> bool:
    characters = iter(big)
    return all(ch in characters for ch in small)


def rules_of(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for span in clean_text(text).removed:
        found.setdefault(span.rule, []).append(span.text)
    return found


# --- encoding repair -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [
        ("Россия. Москва. Пресс-секретарь".encode("cp1251").decode("latin-1"), "Россия. Москва. Пресс-секретарь"),
        ("Привет — «мир», ёлка".encode("cp1251").decode("cp1252"), "Привет — «мир», ёлка"),
        ("Россия и США".encode().decode("cp1251"), "Россия и США"),
        ("Putin’s remarks – “strength".encode().decode("cp1252"), "Putin’s remarks – “strength"),
    ],
)
def test_repair_encoding_fixes_common_misdecodings(broken: str, fixed: str) -> None:
    assert broken != fixed
    assert repair_encoding(broken) == fixed


@pytest.mark.parametrize(
    "text",
    ["Ça a été un café à Paris, Größe über Ämter", "Élysée, Ñuñoa, São Paulo", "naïve résumé à la carte"],
)
def test_repair_encoding_leaves_real_latin_text_alone(text: str) -> None:
    assert repair_encoding(text) == text


def test_mixed_line_repairs_only_the_mojibake_run() -> None:
    caption = "At the World Trade Centre. " + "Россия. Москва. Дмитрий Песков".encode("cp1251").decode("latin-1")
    assert repair_encoding(caption) == "At the World Trade Centre. Россия. Москва. Дмитрий Песков"


# --- normalisation ---------------------------------------------------------------------------------------


def test_normalize_removes_invisible_and_control_characters_and_keeps_paragraphs() -> None:
    text = "Peskov\u200b said\u00a0 it.\x07\r\n\r\n\r\n\r\nNext\u00ad para\ufeff.\n"
    assert normalize_text(text) == "Peskov said it.\n\nNext para."


def test_normalize_composes_to_nfc_and_unifies_only_safe_quotes() -> None:
    decomposed = "е\u0308лка — Putin\u2019s “word” «слово»"
    assert normalize_text(decomposed) == "ёлка — Putin's “word” «слово»"


# --- furniture rules, English and Russian ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("Also on rt.com Russia won't be talked to from position of strength", "link_teaser"),
        ("READ MORE: Lawmaker wants prison for insulting the president", "link_teaser"),
        ("Read more", "link_teaser"),
        ("Читайте также: Песков ответил на вопрос о санкциях", "link_teaser"),
        ("Смотрите также", "link_teaser"),
        ("Read on RBC Pro Pro How to cope with stress Instructions Pro Articles", "promo"),
        ("Читайте на РБК Pro Как справиться со стрессом", "promo"),
        ("Authors Tags Subscribe to VK RBC Get news faster than anyone else", "subscribe_footer"),
        ("Подписывайтесь на наш Telegram-канал", "subscribe_footer"),
        ("Leave a Reply", "comment_form"),
        ("Your email address will not be published. Required fields are marked *", "comment_form"),
        ("Оставить комментарий", "comment_form"),
        ("Like this story? Share it with a friend!", "share"),
        ("Поделиться", "share"),
        ("Story Code : 924469", "story_code"),
        ("Код новости: 5512", "story_code"),
        ("Photo: Sergey Bobylev / TASS", "photo_credit"),
        ("Фото: Михаил Метцель/ТАСС", "photo_credit"),
        ("Sergei Bobylev/TASS", "photo_credit"),
        ("(Photo by John Smith/Getty Images)", "photo_credit"),
        ('GSV "Russia - Islamic World"', "rubric"),
        ("Based on materials from TASS", "credit_line"),
        ("По материалам РИА Новости", "credit_line"),
        ("Wednesday 31 March 2021 - 11:59", "date_stamp"),
        ("30 марта 2021, 11:49", "date_stamp"),
        ("Podcasts", "podcast"),
        ("27:33", "podcast"),
        ("Главная Новости Политика Экономика Общество Спорт Культура", "menu_row"),
        ("Home | News | World | Business | Sport | Video | Opinion", "menu_row"),
        ("icon share icon bookmark icon vk icon tg", "menu_row"),
        ("Share Tweet Email Print Comments Telegram VK", "menu_row"),
    ],
)
def test_furniture_line_is_removed_with_its_rule(line: str, rule: str) -> None:
    lead = LEAD_RU if re.search("[а-яё]", line, re.I) else LEAD
    result = clean_text(f"{lead}{line}\n\nThe last paragraph stays in the body.")
    assert line not in result.body
    assert "The last paragraph stays in the body." in result.body
    assert [span.rule for span in result.removed if span.text == line] == [rule]


@pytest.mark.parametrize(
    "sentence",
    [
        "Readers who subscribe to the paper will read more about it on Monday.",
        "Photo agencies such as TASS distributed the pictures on Tuesday.",
        "The source said the talks would resume in May.",
        "Реклама алкоголя в России запрещена законом с 2012 года.",
        "Он сказал, что подробнее расскажет позже.",
        'Lavrov "Not now"',
    ],
)
def test_sentences_that_mention_furniture_words_stay(sentence: str) -> None:
    assert sentence in clean_text(LEAD + sentence).body


def test_related_block_drops_everything_after_it() -> None:
    text = LEAD + "You May Also Like\n\nAnother story headline\n\nAnother story teaser text…"
    result = clean_text(text)
    assert "Another story" not in result.body
    assert result.body.endswith("proposals on arms control.")
    tail = [span for span in result.removed if span.rule == "related_block"]
    assert len(tail) == 1 and tail[0].text.startswith("You May Also Like")


def test_related_block_in_russian() -> None:
    result = clean_text(LEAD_RU + "Похожие новости\n\nДругая новость о чём-то ещё")
    assert "Другая новость" not in result.body
    assert "Женеве." in result.body


def test_related_header_at_the_top_does_not_eat_the_article() -> None:
    result = clean_text("Recommended\n\n" + LEAD)
    assert "Geneva" in result.body


def test_repeated_headline_kept_once_and_reported_as_title() -> None:
    headline = "Kremlin says talks with Washington will continue"
    result = clean_text(f"{headline}\n\n{headline}\n\n{LEAD}")
    assert result.body.count(headline) == 1
    assert result.title == headline
    assert [span.rule for span in result.removed] == ["repeated_headline"]


def test_inline_photo_credit_is_cut_but_caption_text_stays() -> None:
    result = clean_text("MOSCOW, RUSSIA – MARCH 1, 2021: The press secretary speaks. Ivan Petrov/TASS\n\n" + LEAD)
    assert "Ivan Petrov/TASS" not in result.body
    assert "The press secretary speaks." in result.body
    assert any(span.rule == "photo_credit" and span.text == "Ivan Petrov/TASS" for span in result.removed)


def test_abbreviated_agency_credit_inside_caption_is_cut() -> None:
    result = clean_text("RIGA, LATVIA - MAY 2, 2024: Dockers at the gate. Anna Berzina/BWA Рига. Докеры. Анна Берзиня/РИБ\n\n" + LEAD)
    assert "Anna Berzina/BWA" not in result.body and "Анна Берзиня/РИБ" not in result.body
    assert "Dockers at the gate. Рига. Докеры." in result.body
    assert "and/or" in clean_text(LEAD + "Choose tea and/or coffee.").body


def test_a_caption_closed_by_its_credit_and_shop_link_is_removed() -> None:
    """USA Today network pages (GVA): the photo caption leads the scrape, "Buy Photo" on both ends; a sentence that
    merely says "buy photo" stays."""
    caption = ("Buy Photo A 9-year-old child was killed after he discovered a gun in a Detroit home. "
               "(Photo: Kathleen Galligan Detroit Free Press)Buy Photo")
    result = clean_text(f"{caption}\n\n{LEAD}\n\nThe shop said visitors could buy photo prints at the door.")
    assert result.body.startswith(LEAD[:40]) and "buy photo prints" in result.body
    assert [(span.rule, span.text) for span in result.removed] == [("caption", caption)]
    ending = "Officers at the scene on Sunday. (Photo: PNJ)Buy Photo"
    assert [span.rule for span in clean_text(f"{LEAD}\n\n{ending}").removed] == ["caption"]


def test_byline_row_is_removed_as_metadata() -> None:
    row = "Балтийский обозреватель | Общество | 9 апреля 2024, 18:40"
    result = clean_text("Заголовок статьи о суде\n" + row + "\n\n" + LEAD_RU)
    assert row not in result.body
    assert [span.rule for span in result.removed] == ["byline"]
    assert "Заголовок статьи о суде" in result.body


@pytest.mark.parametrize("label", ["Politics", "РИБ", "Regions", "Ivan Petrov"])
def test_trailing_label_under_the_text_is_removed(label: str) -> None:
    result = clean_text(LEAD + label)
    assert not result.body.endswith(label)
    assert [span.rule for span in result.removed] == ["trailing_label"]


def test_short_last_sentence_is_not_a_label() -> None:
    assert clean_text(LEAD + "Talks resume Monday.").body.endswith("Talks resume Monday.")
    assert clean_text("Politics").body == "Politics"


def test_icon_row_detection() -> None:
    assert is_menu_row("icon bookmark-bicon bookmarkicon cameraicon checkicon chevron downicon closeicon")
    assert not is_menu_row("The news from Russia and the world, politics and business, sport and culture.")
    assert not is_menu_row("The icon painter said each icon, like every icon before it, is an icon of an icon.")
    assert not is_menu_row("Share prices in Riga fell sharply as traders sold bank stocks")


def test_a_share_row_at_both_ends_is_furniture_not_the_headline() -> None:
    """A scrape with the outlet's icon row above and below the story: both rows go as menu rows; the repeated
    row is not taken for the headline (it was, and the row stayed at the top of the body)."""
    row = "icon share icon bookmark icon vk icon tg"
    text = f"{row}\nStrike halts Volta port in Kaunas\n{LEAD}The port was quiet on Sunday.\n{row}"
    result = clean_text(text)
    assert row not in result.body and result.body.startswith("Strike halts Volta port in Kaunas")
    assert [span.rule for span in result.removed if span.text == row] == ["menu_row", "menu_row"]
    assert result.title != row


def test_removed_spans_point_into_repaired_text() -> None:
    text = "Wednesday 31 March 2021 - 11:59\n\nHeadline here now\n\nStory Code : 1\n" + LEAD + "Leave a Reply"
    result = clean_text(text)
    assert len(result.removed) == 3
    for span in result.removed:
        assert result.repaired[span.start : span.start + len(span.text)] == span.text


# --- HTML ------------------------------------------------------------------------------------------------


def test_html_main_text_and_metadata() -> None:
    paragraph = "<p>Dmitry Peskov said the Kremlin was ready for dialogue with the new administration in Washington.</p>"
    html = (
        "<html><head><title>Peskov on dialogue – Example News</title>"
        '<meta property="og:title" content="Peskov on dialogue">'
        '<meta property="og:site_name" content="Example News">'
        '<meta property="article:published_time" content="2021-01-24T10:00:00+03:00">'
        '<link rel="canonical" href="https://www.example-news.org/world/peskov-dialogue"></head>'
        "<body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>Peskov on dialogue</h1>{paragraph * 4}</article>"
        "<footer>Subscribe to our newsletter</footer></body></html>"
    )
    result = clean_document(RawDocument("page.html", "page", html, fmt="html"))
    assert "ready for dialogue" in result.body
    assert "Subscribe" not in result.body and "Home" not in result.body
    assert result.meta["title"] == "Peskov on dialogue"
    assert result.meta["date"].startswith("2021-01-24")
    assert result.meta["sitename"] == "Example News"
    assert "example-news.org" in result.meta["url"]
    assert len([line for line in result.body.split("\n") if "ready for dialogue" in line]) >= 1


def test_deeply_nested_html_falls_back_without_crashing() -> None:
    html = "<html><head><title>Deep</title></head><body>" + "<div>" * 10_000
    html += "<p>Text at the bottom of the well.</p>" + "</div>" * 10_000 + "</body></html>"
    result = clean_document(RawDocument("deep.html", "deep", html, fmt="html"))
    assert "Text at the bottom of the well." in result.body
    assert "html_note" in result.meta


# --- fuzzing (issue 7 §6) ----------------------------------------------------------------------------------

_FURNITURE = st.sampled_from(
    ["Read more", "Also on rt.com x", "30 Mar, 2021 11:49", "Leave a Reply", "You May Also Like", "Фото: ТАСС",
     "Ðîññèÿ. Ìîñêâà.", "icon closeicon downicon editicon fbicon fileicon", "\u200b", "\r\n", "  ", "“", "«"]
)
_TEXT = st.lists(st.one_of(st.text(max_size=80), _FURNITURE), max_size=25).map("\n".join)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT)
def test_clean_text_never_raises_and_body_is_subsequence_of_repaired(text: str) -> None:
    result = clean_text(text)
    assert is_subsequence(result.body, result.repaired)
    for span in result.removed:
        assert result.repaired[span.start : span.start + len(span.text)] == span.text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_clean_document_on_arbitrary_html_never_raises(markup: str) -> None:
    result = clean_document(RawDocument("fuzz.html", "fuzz", f"<html><body><p>{markup}</p></body></html>", fmt="html"))
    assert is_subsequence(result.body, result.repaired)


_FTFY_LINES = [
    "Песков заявил журналистам: «Мы не комментируем» — 12 000 рублей, № 5.\n",
    "Café au lait, naïve façade, 20 € and 30 °C\u00a0today.\n",
    "РџСЂРёРІРµС‚, РјРёСЂ\n",  # UTF-8 read as cp1251: ftfy's business
    "The cafÃ© owner said â€œnoâ€\u009d.\n",  # UTF-8 read as cp1252/Latin-1
    "Tom &amp; Jerry\n",
    "ﬁnal ＡＢＣ\u200b\n",  # a ligature, full-width letters, a zero-width space
    "Ё и е\u0308 разные\n",  # a decomposed ё: NFC changes it
]


@pytest.mark.parametrize("line", _FTFY_LINES)
def test_lines_ftfy_is_skipped_on_come_out_as_ftfy_makes_them(line: str) -> None:
    import ftfy

    from storyline.clean.mojibake import _fix_lines, _inert

    text = "A first plain line.\n" + line + "A last plain line."
    expected = ftfy.fix_text(text, uncurl_quotes=False, normalization="NFC", fix_line_breaks=False)
    assert _fix_lines(text) == expected
    assert _inert(line) == (line in _FTFY_LINES[:2])  # clean Cyrillic and Latin-1 lines skip ftfy, the rest do not


def test_a_channel_posts_furniture_is_removed_and_its_headline_loses_the_emoji() -> None:
    """Telegram/VK posts: hashtag rows, "subscribe / send us news" rows and the channel's handle are furniture
    (even behind an emoji); the headline is read without its "⚡️"."""
    from storyline.extract import build_article
    from storyline.model import RawDocument

    post = ("⚡️Песков: Кремль открыт для диалога с Вашингтоном\n\nПресс-секретарь президента Дмитрий Песков заявил "
            "журналистам, что Москва открыта для диалога.\n\n#новости #кремль\n"
            "👉 Подписаться на @kremlin_watch | Прислать новость\n@kremlin_watch · t.me/kremlin_watch")
    result = clean_text(post)
    assert [(span.text, span.rule) for span in result.removed] == [
        ("#новости #кремль", "hashtags"), ("👉 Подписаться на @kremlin_watch | Прислать новость", "subscribe_footer"),
        ("@kremlin_watch · t.me/kremlin_watch", "subscribe_footer")]
    article = build_article(RawDocument(origin="result.json:2", doc_id="tg1-2", content=post))
    assert article.title == "Песков: Кремль открыт для диалога с Вашингтоном"
    assert article.body == "Пресс-секретарь президента Дмитрий Песков заявил журналистам, что Москва открыта для диалога."
    # a sentence that starts with a hashtag or names a handle is text
    for sentence in ("#MeToo activists marched in Riga on Saturday, the organisers said.",
                     "Песков ответил @kremlin_watch, что подписаться на канал может каждый."):
        assert sentence in clean_text(LEAD + sentence).body
