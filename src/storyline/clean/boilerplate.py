"""Page furniture removal: line rules for families of scraped noise, in English and Russian.

Every rule removes whole lines (or, for photo credits inside a caption, the credit alone) and records
what it removed, so the body is always a subsequence of the repaired text and a user can audit each cut.
Rules are patterns for *families* (link teasers, promo blocks, subscribe rows, comment forms, related
articles, captions, stamps), not strings of one site; a line is removed only when the whole line has the
shape of furniture, which keeps sentences that merely mention "subscribe" or "photo".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from storyline.model import RemovedSpan

_AGENCIES = (
    r"TASS|ТАСС|Reuters|Рейтер|AP|AFP|EPA(?:-EFE)?|Getty Images|Getty|RIA Novosti|РИА Новости|Sputnik|Спутник|"
    r"Global Look Press|Shutterstock|Kommersant|Коммерсантъ|Interfax|Интерфакс|Associated Press|Xinhua|"
    r"Anadolu(?: Agency)?|Pool|Kremlin\.ru|kremlin\.ru|Пресс-служба[\w\s]{0,40}|Press service[\w\s]{0,40}|"
    r"Wikimedia Commons|Unsplash|RT|РБК|RBC|AA|DPA|dpa|ANP|Bloomberg|Фотобанк Лори|ИТАР-ТАСС|ITAR-TASS"
)
_NAME = r"[A-ZА-ЯЁ](?:[\w'’\-]+|\.)(?: [A-ZА-ЯЁ](?:[\w'’\-]+|\.)){0,3}"  # "Sergei Bobylev", "A. Ivanov"
# "Sergei Bobylev/TASS" after a caption sentence; the caption text itself stays (seed 003's bilingual caption).
# Credits name a photographer and an agency, known or abbreviated ("Irina Volskaya/RIB"); always case-sensitive.
_CREDIT_SOURCE = rf"(?-i:{_AGENCIES}|[A-ZА-ЯЁ]{{2,6}})"
_INLINE_CREDIT = re.compile(rf"(?:(?<=[.!?»”\"] )|^)(?:(?:Photo|Фото)\s*:\s*)?{_NAME} ?/ ?{_CREDIT_SOURCE}(?=$|\s)")
_CAPTION_START = re.compile(
    r"^[A-ZА-ЯЁ][A-ZА-ЯЁ .'\-]+,\s+[A-ZА-ЯЁ][A-ZА-ЯЁ .'\-]+\s+[–—-]\s+[A-ZА-ЯЁ]+\s+\d{1,2},\s+\d{4}\s*:"
)


@dataclass(frozen=True, slots=True)
class LineRule:
    """A furniture family: ``pattern`` must match the whole (stripped) line; ``tail`` also drops all below."""

    name: str
    pattern: re.Pattern[str]
    tail: bool = False


def _rule(name: str, pattern: str, tail: bool = False) -> LineRule:
    return LineRule(name, re.compile(pattern, re.I), tail)


LINE_RULES: tuple[LineRule, ...] = (
    _rule("link_teaser", r"^also on [\w\-]+(?:\.[\w\-]+)+\b.*$"),
    _rule("link_teaser", r"^(?:read more|read also|see also|more on this|more on this topic|related|watch|listen"
                         r"|читайте также|читать также|смотрите также|читайте далее|читать далее|подробнее|"
                         r"по теме|ранее по теме|также на [\w\-]+(?:\.[\w\-]+)+)\s*(?:[:：\-–—»>]|$).*$"),
    _rule("promo", r"^(?:read on [\w.\- ]{2,20} pro|читайте на [\w.\- ]{2,20} pro)\b.*$"),
    _rule("promo", r"^(?:advertisement|реклама|sponsored(?: content)?|партн[её]рский материал|на правах рекламы"
                   r"|promoted|paid content)\s*[:.]?$"),
    _rule("subscribe_footer", r"^(?:authors?\s+tags\b|авторы?\s+теги\b|subscribe\b|follow us\b|join us\b|get news faster"
                              r"|подписывайтесь|подпишитесь|следите за (?:нами|новостями)|присоединяйтесь|"
                              r"all rights reserved|все права защищены|©|\(c\) \d{4}|copyright\s*(?:©|\(c\)|\d{4})).*$"),
    _rule("subscribe_footer", r"^.{0,80}\b(?:subscribe to|subscribe on|подпишитесь на|подписывайтесь на)\b.{0,40}"
                              r"\b(?:vk|vkontakte|telegram|twitter|facebook|youtube|instagram|newsletter|channel|дзен"
                              r"|вконтакте|одноклассники|рассылку|канал|telegram-канал)\b.{0,80}$"),
    # channel posts (Telegram, VK): "👉 Подписаться на @kremlin_watch | Прислать новость", the channel's handle alone
    _rule("subscribe_footer", r"^(?:подписаться|подпишись|прислать новость|предложить новость|send (?:us )?(?:a )?(?:news|tip)"
                              r"|наш канал|our channel)\b.{0,100}$"),
    _rule("subscribe_footer", r"^(?:@\w{4,}|(?:https?://)?t\.me/\S+)(?:\s*[|•·,]?\s*(?:@\w{4,}|(?:https?://)?t\.me/\S+))*$"),
    _rule("hashtags", r"^#[^\W_][\w]*(?:[\s,;.]*#[^\W_][\w]*)*[\s,;.]*$"),
    _rule("comment_form", r"^(?:leave a (?:reply|comment)|post a comment|add (?:a )?comment|comments?(?: \(\d+\))?"
                          r"|your email address will not be published.*|required fields are marked.*|"
                          r"оставить комментарий|оставьте комментарий|добавить комментарий|комментарии(?: \(\d+\))?|"
                          r"ваш (?:адрес )?e-?mail не будет опубликован.*|обязательные поля помечены.*)\s*[*:]?$"),
    _rule("related_block", r"^(?:you may also like|you might also like|related (?:articles|stories|news|posts|content)"
                           r"|more (?:stories|news|articles) from [\w.\- ]+|recommended(?: for you)?|trending(?: now)?"
                           r"|most (?:read|popular)|latest news|похожие (?:новости|материалы|статьи|публикации)|"
                           r"вам может быть интересно|вам (?:также )?может понравиться|рекомендуем|другие новости|"
                           r"самое читаемое|самое популярное|популярное|последние новости)\s*:?$", tail=True),
    _rule("share", r"^(?:like this story\?.*|share (?:this|it|on)\b.*|поделиться\b.*|поделитесь\b.*"
                   r"|понравилась статья\?.*)$"),
    _rule("podcast", r"^(?:podcasts?|подкасты?|listen to (?:the|this) (?:podcast|story|article)|слушать подкаст)$"),
    _rule("podcast", r"^\d{1,2}:\d{1,2}(?::\d{2})?(?:\s*/\s*\d{1,2}:\d{1,2}(?::\d{2})?)?$"),
    _rule("story_code", r"^(?:story code|news code|news id|article id|код новости|id новости|номер новости)\s*:\s*\S+$"),
    _rule("photo_credit", r"^(?:photo|photos|image|picture|video|photograph|credit|photo credit|фото|фотография"
                          r"|видео|источник фото|иллюстрация|кадр)\s*(?::|©|/|by\b).{0,120}$"),
    _rule("photo_credit", r"^\((?:photo|image|picture|фото)\s*(?::|©|/|by\b)[^()]{0,120}\)$"),
    # a caption line the site closes with its credit and its shop link: "Buy Photo A 9-year-old child was killed
    # … (Photo: Kathleen Galligan Detroit Free Press)Buy Photo" (USA Today network pages, 47 in GVA and GVC)
    _rule("caption", r"^(?:buy photo\b.{0,600}|.{0,600}\((?:photo|image|picture)\s*:[^()]{1,120}\)\s*buy photo)$"),
    _rule("photo_credit", rf"^(?-i:{_NAME}\s?/\s?)?(?-i:{_AGENCIES})(?-i:\s?/\s?{_NAME})?$"),
    _rule("photo_credit", rf"^(?-i:{_NAME})\s?/\s?{_CREDIT_SOURCE}$"),
    _rule("rubric", r"^(?-i:[A-ZА-ЯЁ]{2,6}) [\"«“„][^\"«»“”„\n]{3,60}[\"»”“]$"),
    _rule("rubric", r"^(?:rubric|рубрика|section|раздел|tags|теги|тэги)\s*:.{0,120}$"),
    _rule("credit_line", r"^(?:based on (?:the )?materials (?:from|of)|according to materials (?:from|of)|по материалам"
                         r"|with materials from|(?:source|источник)\s*:)\s*:?\s*[\w\"«“][^.!?]{1,60}\.?$"),
)

# One pass that says whether any rule matches (most lines match none); the loop then finds which one.
_ANY_RULE = re.compile("|".join(f"(?:{rule.pattern.pattern})" for rule in LINE_RULES), re.I)
_ICON = re.compile(r"icon", re.I)
_NAV_LABELS = (
    "home news world politics business economy sport sports culture science tech technology opinion video videos"
    " photo photos live russia usa europe asia africa menu search login sign in up subscribe newsletter about"
    " contacts contact us weather society health travel lifestyle главная новости мир политика экономика общество"
    " спорт культура наука технологии мнения видео фото россия войти поиск меню регистрация подписка контакты"
    " происшествия бизнес финансы авто недвижимость в мире"
    " share print email e-mail tweet bookmark bookmarks comments vk tg telegram facebook twitter whatsapp viber"
    " поделиться печать комментарии закладки"
)
_NAV_WORDS = frozenset(_NAV_LABELS.split())
_LABEL = re.compile(r"^[\w\-’'&]+(?: [\w\-’'&]+){0,2}$")
_HEADLINE_ZONE = 5  # a headline repeats within the first lines of a scrape
_SENTENCE_END = re.compile(r"[.!?…][\"'»”)]*$")


def is_menu_row(line: str) -> bool:
    """A scraped row of icon names or navigation labels: many tokens, no sentence, mostly furniture words."""
    tokens = line.split()
    if len(tokens) < 6 or _SENTENCE_END.search(line):
        return False
    icons = sum(1 for token in tokens if _ICON.search(token))
    if icons >= 3 and icons / len(tokens) >= 0.3:  # "icon share icon bookmark icon vk icon tg"
        return True
    if any(ch in line for ch in ",;"):
        return False
    furniture = sum(1 for token in tokens if token.lower().strip("|•·/") in _NAV_WORDS or not token.strip("|•·/"))
    return furniture / len(tokens) >= 0.6


def is_caption(paragraph: str) -> bool:
    """A photo caption: an agency caption opening ("MOSCOW, RUSSIA – DECEMBER 17, 2020:") or a credit inside."""
    return bool(_CAPTION_START.match(paragraph) or _INLINE_CREDIT.search(paragraph))


def _lines(text: str) -> Iterator[tuple[int, str]]:
    offset = 0
    for line in text.split("\n"):
        yield offset, line
        offset += len(line) + 1


_NON_WORD = re.compile(r"\W+")


def _headline_key(line: str) -> str:
    return _NON_WORD.sub(" ", line.casefold()).strip()


def find_furniture(repaired: str) -> tuple[list[RemovedSpan], str | None]:
    """Spans to remove from ``repaired`` (sorted, non-overlapping) and the repeated headline if one was seen."""
    from storyline.extract.dates import parse_byline, parse_stamp  # deferred: extract imports clean

    removed: list[RemovedSpan] = []
    seen_lines: dict[str, tuple[int, str]] = {}
    headline: str | None = None
    kept_content = 0  # characters of real paragraphs kept so far: a "related" header needs a body above it
    nonempty = 0
    kept: list[tuple[int, str]] = []
    for start, raw_line in _lines(repaired):
        line = raw_line.strip()
        if not line:
            continue
        nonempty += 1
        rule = _line_rule(line)
        if rule is not None and rule.tail and kept_content >= 200:
            removed.append(RemovedSpan(repaired[start:], rule.name, start))
            break
        if rule is not None:
            removed.append(RemovedSpan(raw_line, rule.name, start))
            continue
        if is_menu_row(line):
            removed.append(RemovedSpan(raw_line, "menu_row", start))
            continue
        if parse_stamp(line) is not None:
            removed.append(RemovedSpan(raw_line, "date_stamp", start))
            continue
        if parse_byline(line) is not None:
            removed.append(RemovedSpan(raw_line, "byline", start))
            continue
        key = _headline_key(line)
        if key and key in seen_lines and len(line) <= 300:
            first_position, first_line = seen_lines[key]
            is_headline = first_position <= _HEADLINE_ZONE
            removed.append(RemovedSpan(raw_line, "repeated_headline" if is_headline else "repeated_line", start))
            if is_headline:
                headline = headline or first_line
            continue
        if key and len(line) <= 300:
            seen_lines.setdefault(key, (nonempty, line))
        removed.extend(_inline_credits(raw_line, start))
        kept_content += len(line)
        kept.append((start, raw_line))
    removed.extend(_trailing_labels(kept, kept_content))
    return sorted(removed, key=lambda span: span.start), headline


def _trailing_labels(kept: list[tuple[int, str]], kept_content: int) -> list[RemovedSpan]:
    """A rubric word, outlet signature or author name left alone under the text ("Politics", "РИБ")."""
    labels: list[RemovedSpan] = []
    for start, raw_line in reversed(kept[-2:]):
        line = raw_line.strip()
        kept_content -= len(line)
        if kept_content < 200 or not _LABEL.match(line):
            break
        labels.append(RemovedSpan(raw_line, "trailing_label", start))
    return labels


_DECORATION = re.compile(r"^[^\w\s\"'«“„(\[#@©\-–—]+\s*")


def strip_decoration(line: str) -> str:
    """``line`` without the emoji, arrows or bullets a channel post puts before it ("👉 ", "⚡️", "► ")."""
    return _DECORATION.sub("", line)


def _line_rule(line: str) -> LineRule | None:
    if len(line) > 1500:
        return None  # furniture rows are short; long lines are text (and cheap to skip)
    line = strip_decoration(line)
    if not _ANY_RULE.match(line):
        return None
    for rule in LINE_RULES:
        if rule.pattern.match(line):
            return rule
    return None


def _inline_credits(raw_line: str, start: int) -> list[RemovedSpan]:
    if "/" not in raw_line:
        return []
    return [
        RemovedSpan(match.group(0), "photo_credit", start + match.start())
        for match in _INLINE_CREDIT.finditer(raw_line)
    ]


def remove_spans(repaired: str, removed: list[RemovedSpan]) -> str:
    """The body: ``repaired`` minus the spans (and the line breaks they leave), tidied by deletion only."""
    pieces: list[str] = []
    cursor = 0
    for span in sorted(removed, key=lambda s: s.start):
        if span.start < cursor:
            continue
        pieces.append(repaired[cursor:span.start])
        cursor = span.start + len(span.text)
        whole_line = span.start == 0 or repaired[span.start - 1] == "\n"
        if whole_line and cursor < len(repaired) and repaired[cursor] == "\n":
            cursor += 1
    pieces.append(repaired[cursor:])
    body = "".join(pieces)
    body = re.sub(r" {2,}", " ", body)
    body = "\n".join(line.strip() for line in body.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", body).strip()
