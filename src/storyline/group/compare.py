"""How each outlet covered one event: who reported, who was first, who copied whom, what each one alone says.

:func:`compare_event` answers from the event's articles alone (no store access), so the CLI, the report and
the web app can share it:

* **outlets** with their article counts and first publication; the **first reporter** is the earliest dated
  article (ties: article id), counting copies too — a copy published first is still first to publish;
* **copies**: near-duplicates (``article.duplicate_of``) and re-publications that credit another outlet
  ("Based on materials from TASS": ``article.credited_source``) are listed under their origin; a credited
  origin that is not in the event is named without an article;
* **headlines** side by side, originals first;
* **only here**: per outlet, the body sentences and quotes no other outlet of the event carries. Sentences
  match across outlets when they share at least ``SHARED_OVERLAP`` of the shorter one's words (stemmed),
  which tolerates light rewording; quotes match by statement id (the same words in several translations)
  or by the same test on their text.

>>> data = compare_event(event, {a.id: a for a in articles}, {})   # doctest: +SKIP
>>> data["first"]["outlet"]                                        # doctest: +SKIP
'TASS'
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from storyline.group.timeline import split_sentences
from storyline.model import Article, Event
from storyline.represent.tokens import STOPWORDS, stem

SHARED_OVERLAP = 0.6
MIN_WORDS = 5
UNKNOWN_OUTLET = "unknown outlet"


def compare_event(event: Event, articles: Mapping[str, Article], duplicates: Mapping[str, str]) -> dict[str, Any]:
    """Outlet-by-outlet comparison of ``event``; ``duplicates`` maps a copy's id to its origin's id."""
    members = sorted((articles[a] for a in event.article_ids if a in articles), key=_order)
    by_outlet: dict[str, list[Article]] = defaultdict(list)
    for article in members:
        by_outlet[outlet_of(article)].append(article)
    origin_of = {a.id: _origin(a.id, duplicates, articles) for a in members}
    origin_of.update(_credited_origins(members, origin_of))
    return {
        "event_id": event.id,
        "title": event.title,
        "articles": len(members),
        "outlets": [
            {"outlet": outlet, "articles": len(items), "first_published": _iso(_published(items[0])),
             "article_ids": [a.id for a in items]}
            for outlet, items in sorted(by_outlet.items(), key=lambda kv: (_order(kv[1][0]), kv[0]))
        ],
        "first": _first(members),
        "origins": _origins(members, origin_of, articles),
        "headlines": [
            {"outlet": outlet_of(a), "article_id": a.id, "published": _iso(_published(a)), "headline": a.title,
             "copy_of": origin_of.get(a.id)}
            for a in sorted(members, key=lambda a: (a.id in origin_of, _order(a)))
        ],
        "only_here": _only_here(by_outlet),
    }


def outlet_of(article: Article) -> str:
    return article.outlet or article.credited_source or UNKNOWN_OUTLET


def _published(article: Article) -> datetime | None:
    return article.published


def _order(article: Article) -> tuple[float, str]:
    published = article.published
    return (published.timestamp() if published else float("inf"), article.id)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="minutes") if value else None


def _origin(article_id: str, duplicates: Mapping[str, str], articles: Mapping[str, Article]) -> str | None:
    """The end of the copy chain (a copy of a copy is a copy of the original); None for originals."""
    seen = {article_id}
    current = duplicates.get(article_id) or (articles[article_id].duplicate_of if article_id in articles else None)
    origin = None
    while current and current not in seen:
        origin = current
        seen.add(current)
        current = duplicates.get(current) or (articles[current].duplicate_of if current in articles else None)
    return origin


def _credited_origins(members: list[Article], origin_of: Mapping[str, str | None]) -> dict[str, str]:
    """Re-publications crediting an outlet that is in the event: copies of that outlet's earliest original."""
    first_original: dict[str, str] = {}
    for article in members:
        if article.outlet and origin_of.get(article.id) is None:
            first_original.setdefault(article.outlet.casefold(), article.id)
    out = {}
    for article in members:
        credited = (article.credited_source or "").casefold()
        if origin_of.get(article.id) or not credited or credited == outlet_of(article).casefold():
            continue
        if credited in first_original and first_original[credited] != article.id:
            out[article.id] = first_original[credited]
    return out


def _first(members: list[Article]) -> dict[str, Any] | None:
    dated = [a for a in members if a.published is not None]
    if not dated:
        return None
    first = min(dated, key=_order)
    return {"outlet": outlet_of(first), "article_id": first.id, "published": _iso(first.published),
            "headline": first.title}


def _origins(members: list[Article], origin_of: Mapping[str, str | None],
             articles: Mapping[str, Article]) -> list[dict[str, Any]]:
    """Each origin with its copies; re-publications crediting an outlet absent from the event come last."""
    copies: dict[str, list[dict[str, Any]]] = defaultdict(list)
    absent: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for article in members:
        origin = origin_of.get(article.id)
        entry = {"article_id": article.id, "outlet": outlet_of(article), "published": _iso(article.published),
                 "headline": article.title}
        if origin is not None:
            entry["how"] = "credits " + (article.credited_source or "") if article.duplicate_of is None and \
                article.credited_source else "near-duplicate"
            copies[origin].append(entry)
        elif article.credited_source and article.credited_source.casefold() != outlet_of(article).casefold():
            absent[article.credited_source].append({**entry, "how": "credits " + article.credited_source})
    out = []
    for origin_id, items in copies.items():
        origin = articles.get(origin_id)
        out.append({"article_id": origin_id, "outlet": outlet_of(origin) if origin else None,
                    "published": _iso(origin.published) if origin else None,
                    "headline": origin.title if origin else None, "copies": items})
    out.sort(key=lambda o: (o["published"] or "~", o["article_id"]))
    for source, items in sorted(absent.items()):
        out.append({"article_id": None, "outlet": source, "published": None, "headline": None, "copies": items})
    return out


# ---------------------------------------------------------------------------------------------- only here
def _words(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in (t.strip(".,;:!?\"'«»“”()[]—–-").lower() for t in text.split())
                     if w and w not in STOPWORDS)


def _shared(words: frozenset[str], others: list[frozenset[str]]) -> bool:
    return any(len(words & other) >= SHARED_OVERLAP * min(len(words), len(other)) for other in others if other)


def _only_here(by_outlet: Mapping[str, list[Article]]) -> list[dict[str, Any]]:
    sentences = {o: [s for a in items for s in split_sentences(a.body) if len(s.split()) >= MIN_WORDS]
                 for o, items in by_outlet.items()}
    words = {o: [_words(s) for s in items] for o, items in sentences.items()}
    quotes = {o: [q for a in items for q in a.quotes] for o, items in by_outlet.items()}
    out = []
    for outlet in sorted(by_outlet):
        other_words = [w for o, ws in words.items() if o != outlet for w in ws]
        other_statements = {q.statement_id for o, qs in quotes.items() if o != outlet for q in qs if q.statement_id}
        seen: set[str] = set()
        own_sentences = []
        for sentence, sentence_words in zip(sentences[outlet], words[outlet], strict=True):
            if sentence not in seen and not _shared(sentence_words, other_words):
                own_sentences.append(sentence)
            seen.add(sentence)
        own_quotes = [
            {"text": q.text, "speaker": q.speaker_name or q.speaker, "article_id": q.article_id}
            for q in quotes[outlet]
            if not (q.statement_id and q.statement_id in other_statements) and not _shared(_words(q.text), other_words)
        ]
        out.append({"outlet": outlet, "sentences": own_sentences, "quotes": own_quotes})
    return out
