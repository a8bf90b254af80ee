"""Readers for the labelled benchmark files of ``../shared/data``: records in, Articles out.

Each record becomes an :class:`Article` the way the product makes one: through
``storyline.extract.build_article`` on a :class:`RawDocument` when the extraction stage is installed,
otherwise directly from the record's fields (title, text, date). Gold labels travel beside the
articles, never inside them, so the grouping cannot peek.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from storyline.config import Config
from storyline.model import Article, DateGuess, RawDocument, content_hash

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Labelled:
    """Articles of one file and their gold labels (``gold[i]`` belongs to ``articles[i]``)."""

    articles: list[Article]
    gold: list[str]


@dataclass(slots=True)
class Pair:
    first: Article
    second: Article
    same: bool
    loose: bool | None = None  # ParaPhraser: "same" or "loosely same" (class 0: one news item, worded apart)


def iter_records(path: Path, limit: int | None = None) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if limit is not None and number > limit:
                return
            if line.strip():
                yield json.loads(line)


def record_document(record: dict[str, Any], origin: str) -> RawDocument:
    doc_id = str(record.get("id") or record.get("doc_id"))
    date = record.get("date") or record.get("time")
    return RawDocument(origin=origin, doc_id=doc_id, content=record.get("text") or "", title=record.get("title"),
                       date=str(date) if date else None, url=record.get("url"), lang=record.get("lang"))


def to_article(doc: RawDocument, config: Config) -> Article:
    """The product's article builder when present; the plain fields otherwise (same id either way)."""
    try:
        from storyline.extract import build_article
    except ImportError:
        return plain_article(doc)
    article = build_article(doc, config)
    article.id = doc.doc_id
    return article


def plain_article(doc: RawDocument) -> Article:
    """An Article straight from the record: title field (or first line), text, ISO date."""
    body = doc.content
    title = doc.title
    if not title:
        first, _, rest = body.strip().partition("\n")
        title, body = (first.strip(), rest) if rest.strip() else ("", body)
    return Article(id=doc.doc_id, title=title or "", body=body, origin=doc.origin, raw=doc.content, url=doc.url,
                   lang=doc.lang, date=parse_date(doc.date), content_hash=content_hash(doc.content))


def parse_date(value: str | None) -> DateGuess | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    has_time = "T" in value or " " in value.strip()
    return DateGuess(value=parsed.replace(tzinfo=None), confidence=1.0, source="metadata", has_time=has_time)


def load_labelled(path: Path, gold: str, config: Config, limit: int | None = None) -> Labelled:
    """Articles and gold labels of a JSONL file; a record without the gold field is an error.

    Ids are per file in some public sets (Timeline17 numbers each topic's articles from 1, so "1208" is three
    articles): a repeated id becomes ``id~2``, ``id~3`` in file order, as re-versioned articles are named.
    (:func:`storyline.evaluate.timeline.evaluate_stories_file` prefixes every id with its line instead; ids set
    the order of ties in grouping, so moving it to this scheme moved Timeline17 stories from 0.9590 to 0.9549.)
    """
    articles: list[Article] = []
    labels: list[str] = []
    seen: dict[str, int] = {}
    for number, record in enumerate(iter_records(path, limit), start=1):
        if gold not in record:
            raise KeyError(f"{path}:{number}: no gold field {gold!r} (fields: {', '.join(sorted(record))})")
        article = to_article(record_document(record, f"{path}:{number}"), config)
        seen[article.id] = seen.get(article.id, 0) + 1
        if seen[article.id] > 1:
            article.id = f"{article.id}~{seen[article.id]}"
        articles.append(article)
        labels.append(str(record[gold]))
    return Labelled(articles, labels)


def load_pairs(path: Path, config: Config, limit: int | None = None) -> list[Pair]:
    """tgcontest TSV (``GOLDEN:quality`` OK/BAD) or ParaPhraser JSONL (``class`` 1 = same, else not; ``loose``:
    class 0 or 1)."""
    pairs: list[Pair] = []
    if path.suffix == ".tsv":
        with open(path, encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
        for number, row in enumerate(rows[:limit] if limit else rows, start=1):
            first = _pair_article(row["INPUT:first_title"], row["INPUT:first_text"], f"{path}:{number}:1")
            second = _pair_article(row["INPUT:second_title"], row["INPUT:second_text"], f"{path}:{number}:2")
            pairs.append(Pair(to_article(first, config), to_article(second, config),
                              row["GOLDEN:quality"].strip() == "OK"))
    else:
        for number, record in enumerate(iter_records(path, limit), start=1):
            first = _pair_article(record["text_1"], "", f"{path}:{number}:1")
            second = _pair_article(record["text_2"], "", f"{path}:{number}:2")
            grade = str(record["class"])
            pairs.append(Pair(to_article(first, config), to_article(second, config), grade == "1",
                              loose=grade in ("0", "1")))
    return pairs


def _pair_article(title: str, text: str, origin: str) -> RawDocument:
    doc_id = f"p{content_hash(title + chr(31) + text)[:16]}"
    return RawDocument(origin=origin, doc_id=doc_id, content=text or title, title=title)
