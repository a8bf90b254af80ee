"""Title: metadata, else the repeated headline, else a headline-shaped first line, else the first sentence.

A scraped .txt often starts with its headline ("first non-empty line may be a title"), but just as often
with a caption, a stamp or a plain lead sentence; a line counts as a headline only when it is short and
does not end like a sentence. Date lines and icon rows never become titles (the cleaner removed them).
"""

from __future__ import annotations

import re

from storyline.clean.boilerplate import is_caption, is_menu_row, strip_decoration
from storyline.extract.dates import parse_dateline, parse_stamp
from storyline.model import CleanText, RawDocument

MAX_TITLE_CHARS = 160
_SITE_SEPARATOR = re.compile(r"\s+[|–—-]\s+")
_SENTENCE_END = re.compile(r"[.!?…:;,][\"'»”’)]*$")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?…])[\"'»”’)]*\s+(?=[\"'«“‘(]?[A-ZА-ЯЁ0-9])")
_DATELINE_PREFIX = re.compile(r"^.{0,80}?(?:/\s*[\w\- ]{2,30}\s*/|\([\w\- ]{2,30}\)\s*[-–—]|[-–—]\s*[\w\- ]{2,30}[.:])\.?\s*")


def pick_title(clean: CleanText, doc: RawDocument | None = None) -> str:
    """The best title available; "" only when the body is empty."""
    site = clean.meta.get("sitename") or (doc.outlet if doc else None)
    for candidate in (doc.title if doc else None, clean.meta.get("title"), clean.title):
        text = _strip_site_suffix(_tidy(str(candidate)), str(site) if site else None) if candidate else ""
        if text and parse_stamp(text) is None:
            return _truncate(text)
    # a channel post's "⚡️" goes from every paragraph the title may come from (``_tidy``: from the candidates)
    paragraphs = [strip_decoration(p.strip()) or p.strip() for p in clean.body.split("\n") if p.strip()]
    for paragraph in paragraphs[:3]:
        if _is_headline(paragraph):
            return paragraph
    for paragraph in paragraphs:
        if is_caption(paragraph) or is_menu_row(paragraph) or parse_stamp(paragraph):
            continue
        if parse_dateline(paragraph) is not None:
            paragraph = _DATELINE_PREFIX.sub("", paragraph, count=1)
        sentence = _SENTENCE_SPLIT.split(paragraph, maxsplit=1)[0]
        if sentence:
            return _truncate(sentence)
    return _truncate(paragraphs[0]) if paragraphs else ""


def _is_headline(line: str) -> bool:
    words = line.split()
    return (
        3 <= len(words) <= 25
        and len(line) <= 200
        and not _SENTENCE_END.search(line)
        and "://" not in line  # a post's paragraph that ends with its link is not a headline
        and not line.startswith(("\"", "“", "«", "—", "-"))
        and parse_stamp(line) is None
        and not is_caption(line)
        and not is_menu_row(line)
    )


def _strip_site_suffix(title: str, site: str | None) -> str:
    """"Peskov on dialogue | Example News" → "Peskov on dialogue" when the last segment names the site."""
    if not site:
        return title
    site_words = _key(site).split()
    separators = list(_SITE_SEPARATOR.finditer(title))
    if not site_words or not separators:
        return title
    last = separators[-1]
    suffix_words = _key(title[last.end():]).split()
    names_site = suffix_words == site_words or (
        0 < len(suffix_words) <= 4 and (" ".join(suffix_words) in site_words or site_words[0] in suffix_words)
    )
    head = title[: last.start()].strip()
    return head if names_site and head else title


def _key(text: str) -> str:
    return re.sub(r"\W+", " ", text.casefold()).strip()


def _tidy(text: str) -> str:
    """One line, without the emoji a channel post puts before its headline ("⚡️Песков: …")."""
    return strip_decoration(re.sub(r"\s+", " ", text).strip())


def _truncate(text: str) -> str:
    if len(text) <= MAX_TITLE_CHARS:
        return text
    cut = text[:MAX_TITLE_CHARS].rsplit(" ", 1)[0].rstrip(",;:—– ")
    return f"{cut}…"
