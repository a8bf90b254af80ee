"""Cleaning: raw document → repaired text → body, keeping every removed span and the rule behind it.

The sequence, as one function (:func:`clean_document`):

1. HTML documents go through trafilatura (main text + metadata), with a tag-stripping fallback;
2. encoding repair (ftfy, then cp1251 read as Latin-1/cp1252);
3. normalisation (NFC, invisible characters, whitespace, safe quote unification) → ``repaired``;
4. furniture rules find spans to drop → ``body`` = ``repaired`` minus those spans.

Only step 4 removes content, so the body is always a subsequence of ``repaired``.

>>> from storyline.model import RawDocument
>>> clean_document(RawDocument("x", "x", "Title\\n\\nTitle\\n\\nText.\\n\\nRead more: elsewhere")).body
'Title\\n\\nText.'
"""

from __future__ import annotations

from storyline.clean.boilerplate import LINE_RULES, find_furniture, is_caption, is_menu_row, remove_spans
from storyline.clean.html import html_to_text, strip_tags
from storyline.clean.mojibake import repair_cp1251_as_latin, repair_encoding
from storyline.clean.normalize import count_hidden, normalize_text
from storyline.model import CleanText, RawDocument

__all__ = [
    "LINE_RULES",
    "clean_document",
    "clean_text",
    "count_hidden",
    "find_furniture",
    "html_to_text",
    "is_caption",
    "is_menu_row",
    "normalize_text",
    "remove_spans",
    "repair_cp1251_as_latin",
    "repair_encoding",
    "strip_tags",
]


def clean_document(doc: RawDocument) -> CleanText:
    """Clean one document; never raises on any text (HTML failures fall back and are noted in ``meta``)."""
    meta: dict[str, object] = {}
    content = doc.content
    if doc.fmt == "html":
        content, html_meta = html_to_text(content, url=doc.url)
        meta.update(html_meta)
    result = clean_text(content)
    result.meta.update(meta)
    return result


def clean_text(text: str) -> CleanText:
    """Repair, normalise and strip furniture from plain text.

    ``meta["hidden_note"]`` says how many zero-width/control characters normalisation dropped (they are not
    removed spans: they are not content, and offsets refer to the text after their removal).
    """
    fixed = repair_encoding(text)
    repaired = normalize_text(fixed)
    removed, headline = find_furniture(repaired)
    body = remove_spans(repaired, removed)
    result = CleanText(body=body, repaired=repaired, removed=removed, title=headline)
    hidden = count_hidden(text)
    if hidden:
        result.meta["hidden_note"] = f"{hidden} zero-width or control character{'s' if hidden > 1 else ''} removed"
    return result
