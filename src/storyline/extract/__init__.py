"""Extraction of article metadata: title, date, outlet/credited source, language.

:func:`build_article` is the cascade as one function: clean → title → date → outlet → language. Entities
and quotes are added by later stages (:mod:`storyline.extract.entities`, :mod:`storyline.extract.quotes`).
Values a container already gave (JSON ``title``/``date``/``outlet``/``lang``) win over text heuristics,
because structured metadata is what the publisher meant.
"""

from __future__ import annotations

import logging
from datetime import date

from storyline.clean import clean_document
from storyline.clean.boilerplate import strip_decoration
from storyline.config import Config
from storyline.extract.dates import find_date, parse_dateline, parse_metadata_date, parse_stamp
from storyline.extract.language import EXPECTED, detect_language
from storyline.extract.outlet import KNOWN_OUTLETS, canonical_outlet, domain_of, find_outlets
from storyline.extract.title import pick_title
from storyline.ingest.records import language_code
from storyline.model import Article, CleanText, RawDocument, RemovedSpan, content_hash

log = logging.getLogger(__name__)

__all__ = [
    "KNOWN_OUTLETS",
    "build_article",
    "canonical_outlet",
    "detect_language",
    "document_hash",
    "domain_of",
    "extract_article",
    "find_date",
    "find_outlets",
    "parse_dateline",
    "parse_metadata_date",
    "parse_stamp",
    "pick_title",
]


def document_hash(doc: RawDocument) -> str:
    """The identity of one input article: its text plus the metadata its container gave.

    Reading the same record again gives the same hash (re-ingest is a no-op), while the same text published
    under another title, date, URL or outlet (a syndicated copy) is another article, kept and later marked as
    a near-duplicate — never silently dropped. Without metadata (plain text and HTML files) it is the content
    hash alone, so two identical files are one article whatever their names.
    """
    meta = (doc.title, doc.date, doc.url, doc.outlet, doc.lang, *((doc.credited,) if doc.credited else ()))
    if not any(meta):
        return content_hash(doc.content)
    return content_hash("\x1f".join([doc.content, *(value or "" for value in meta)]))


def build_article(doc: RawDocument, config: Config | None = None, *, today: date | None = None) -> Article:
    """Clean a raw document and extract its metadata into an :class:`Article` (no entities or quotes yet).

    ``config.languages`` are the languages the detector favours on short texts (see
    :mod:`storyline.extract.language`). ``today`` bounds plausible dates (default: the current date); pass it
    for reproducible runs.
    """
    return extract_article(doc, config, today=today)[0]


def extract_article(
    doc: RawDocument, config: Config | None = None, *, today: date | None = None
) -> tuple[Article, CleanText]:
    """:func:`build_article` plus the cleaning record, whose ``meta`` carries notes for the run report
    (``date_note``: future/unparseable dates dropped; ``html_note``: HTML fallback used)."""
    clean = clean_document(doc)
    title = pick_title(clean, doc)
    guess, date_note = find_date(clean, doc, today=today)
    if date_note:
        clean.meta["date_note"] = date_note
        log.info("%s: %s", doc.origin, date_note)
    outlet, credited = find_outlets(clean, doc)
    lang = _language(doc, clean.body, config.languages if config is not None else EXPECTED)
    url = doc.url or (str(clean.meta["url"]) if clean.meta.get("url") else None)
    body = _without_headline(clean.body, title, clean)
    article = Article(
        id=doc.doc_id,
        title=title,
        body=body,
        origin=doc.origin,
        raw=doc.content,
        url=url,
        outlet=outlet,
        credited_source=credited,
        lang=lang,
        date=guess,
        content_hash=document_hash(doc),
        removed=list(clean.removed),
    )
    return article, clean


def _without_headline(body: str, title: str, clean: CleanText) -> str:
    """The body without its first line when that line is the headline: the title is shown once, not twice.

    The line is recorded as removed (rule ``headline``) so the cut stays visible; a body that is only the
    headline is kept whole rather than emptied.
    """
    first, sep, rest = body.partition("\n")
    if not title or not sep or strip_decoration(first.strip()) != title.strip() or not rest.strip():
        return body
    clean.removed.append(RemovedSpan(first, "headline", clean.repaired.find(first)))
    return rest.lstrip("\n")


def _language(doc: RawDocument, body: str, expected: tuple[str, ...]) -> str:
    return language_code(doc.lang) or detect_language(body, expected)[0]
