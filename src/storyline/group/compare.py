"""How each outlet covered one event: who reported, who was first, who copied whom, what each one alone says.

:func:`compare_event` answers from the event's articles alone (no store access), so the CLI, the report and
the web app can share it:

* **outlets** with their article counts and first publication (an article is its publisher's, one without
  publisher the :data:`UNKNOWN_OUTLET`'s even when it credits a source: see :func:`publisher`); the **first
  reporter** is the earliest dated article (ties: article id), counting copies too — a copy published first is
  still first to publish; times are compared as moments in UTC ("10:00+03:00" is before "08:30Z"), a time whose
  source states no offset taking the offset most of the event's articles state (outlets of one event mostly
  share a clock: Riga papers' "12:55" beside another's "15:10+03:00"), and shown with the offset when it is known;
* **copies**: near-duplicates (``article.duplicate_of``) and re-publications that credit another outlet
  ("Based on materials from TASS": ``article.credited_source``) are listed under their origin; a credited
  origin that is not in the event is named without an article;
* **headlines** side by side, originals first;
* **only here**: per outlet, the body sentences and quotes no other outlet of the event carries. Sentences
  match across outlets when they share at least ``SHARED_OVERLAP`` of the shorter one's words (stemmed),
  which tolerates light rewording; quotes match by statement id (the same words in several translations)
  or by the same test on their text. Words cannot match a translation, so with ``embed`` (a multilingual
  sentence encoder, :meth:`storyline.represent.embed.Embedder.encode`) a sentence or quote that no other
  outlet carries word for word is also matched by meaning against the sentences and quotes of
  *other-language* articles (:func:`same_meaning`: cosine at least ``SAME_MEANING``, or
  ``SAME_MEANING_WITH_FIGURE`` with a figure in common). Why only across languages: within one language,
  sentences of one event that differ in their one new fact ("verdict expected in June" / "hearings twice a
  month until June") score 0.7–0.8, while translations score 0.6–0.9 and different sentences in the other
  language rarely reach 0.6 (QUALITY.md, "Outlet comparison"). Embedding costs ~4 ms per sentence on one
  core, so it is optional and capped at ``MEANING_LIMIT`` distinct texts; ``cross_language`` in the result
  says which matching was done.

>>> data = compare_event(event, {a.id: a for a in articles}, {})   # doctest: +SKIP
>>> data["first"]["outlet"]                                        # doctest: +SKIP
'TASS'
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC
from typing import Any

import numpy as np

from storyline.extract.outlet import same_outlet
from storyline.group.timeline import split_sentences
from storyline.model import Article, Event, Quote
from storyline.represent.tokens import STOPWORDS, stem

SHARED_OVERLAP = 0.6
MIN_WORDS = 5
SAME_MEANING = 0.6
SAME_MEANING_WITH_FIGURE = 0.5
MEANING_LIMIT = 2000

Embed = Callable[[Sequence[str]], np.ndarray]
Sentences = list[tuple[str, str | None]]  # (text, language of its article)
Quotes = list[tuple[Quote, str | None]]
#: How the ``cross_language`` mode reads after "only here" in the CLI and the web page.
CROSS_LANGUAGE_NOTE = {
    "meaning": " (translations matched by meaning)",
    "words": " (by words only: a sentence translated by another outlet still counts as unique)",
    "over-limit": f" (over {MEANING_LIMIT} sentences: by words only, translations count as unique)",
    "one-language": "",
}
UNKNOWN_OUTLET = "unknown outlet"


def compare_event(event: Event, articles: Mapping[str, Article], duplicates: Mapping[str, str], *,
                  embed: Embed | None = None) -> dict[str, Any]:
    """Outlet-by-outlet comparison of ``event``; ``duplicates`` maps a copy's id to its origin's id; ``embed``
    (unit vectors of texts) also matches translated sentences by meaning."""
    members = [articles[a] for a in event.article_ids if a in articles]
    usual = usual_offset(a.date.utc_offset for a in members if a.published is not None)
    members.sort(key=lambda a: publication_order(a, usual))
    by_outlet: dict[str, list[Article]] = defaultdict(list)
    for article in members:
        by_outlet[publisher(article)].append(article)
    origin_of = copy_origins(members, articles, duplicates)
    return {
        "event_id": event.id,
        "title": event.title,
        "articles": len(members),
        "outlets": [
            {"outlet": outlet, "articles": len(items), "first_published": _stamp(items[0]),
             "article_ids": [a.id for a in items], "credits": _credits(outlet, items)}
            for outlet, items in sorted(by_outlet.items(), key=lambda kv: (publication_order(kv[1][0], usual), kv[0]))
        ],
        "first": _first(members, usual),
        "origins": _origins(members, origin_of, articles, usual),
        "headlines": [
            {"outlet": publisher(a), "article_id": a.id, "published": _stamp(a), "headline": a.title,
             "copy_of": origin_of.get(a.id)}
            for a in sorted(members, key=lambda a: (a.id in origin_of, publication_order(a, usual)))
        ],
        **_only_here(by_outlet, embed),
    }


def publisher(article: Article) -> str:
    """Whom an article is filed under: the outlet that published it, else :data:`UNKNOWN_OUTLET` — a
    re-publication naming only its source is not that source's article (it is listed as a copy of it), so an
    outlet's count is what it published (the outlets view counts the same way)."""
    return article.outlet or UNKNOWN_OUTLET


def usual_offset(offsets: Iterable[int | None]) -> int:
    """The UTC offset most of an event's dated articles state (ties: the smaller), 0 when none states one."""
    counts = Counter(offset for offset in offsets if offset is not None)
    return min(counts, key=lambda offset: (-counts[offset], offset)) if counts else 0


def copy_origins(members: list[Article], articles: Mapping[str, Article], duplicates: Mapping[str, str]
                 ) -> dict[str, str | None]:
    """The original each of an event's articles repeats (None for originals): the end of its near-copy chain, or
    for a re-publication crediting an outlet of the event, that outlet's earliest original (``members`` in
    :func:`publication_order`)."""
    origin_of = {a.id: _origin(a.id, duplicates, articles) for a in members}
    origin_of.update(_credit_reversed(origin_of, articles))
    origin_of.update(_credited_origins(members, origin_of))
    return origin_of


def _credit_reversed(origin_of: Mapping[str, str | None], articles: Mapping[str, Article]) -> dict[str, str | None]:
    """Near-copies whose origin credits the copy's outlet are the other way round: the earliest member of a group
    of copies is its origin, but a yearless dateline ("JEKABPILS, March 18. /BWA/.") sorts the wire's own article
    after the re-publication that names it ("Based on materials from Baltic Wire")."""
    changed: dict[str, str | None] = {}
    for copy_id, origin_id in origin_of.items():
        copy, origin = articles.get(copy_id), articles.get(origin_id or "")
        if copy is None or origin is None or not copy.outlet or copy_id in changed:
            continue
        if same_outlet(origin.credited_source, copy.outlet) and not same_outlet(origin.outlet, copy.outlet):
            changed[copy_id] = None
            changed.update({other: copy_id for other, root in origin_of.items() if root == origin_id and other != copy_id})
            changed[origin_id] = copy_id
    return changed


def publication_order(article: Article, usual: int) -> tuple[float, str]:
    """Earliest first by the moment of publication in UTC, ``usual`` standing in for an unstated offset; a day
    without a time stays its midnight (no clock to shift)."""
    if article.published is None or article.date is None:
        return (float("inf"), article.id)
    return (article.date.moment(usual).replace(tzinfo=UTC).timestamp(), article.id)


def _stamp(article: Article | None) -> str | None:
    """The publication time as the outlet gave it, with its UTC offset when known ("2024-03-04T10:00+02:00")."""
    if article is None or article.published is None or article.date is None:
        return None
    return article.date.stamp if article.date.has_time else article.published.isoformat(timespec="minutes")


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
    """Re-publications crediting an outlet that is in the event (by any of its names, :func:`same_outlet`):
    copies of that outlet's earliest original."""
    first_original: dict[str, str] = {}
    for article in members:
        if article.outlet and origin_of.get(article.id) is None:
            first_original.setdefault(article.outlet, article.id)
    out = {}
    for article in members:
        credited = article.credited_source
        if origin_of.get(article.id) or not credited or same_outlet(credited, publisher(article)):
            continue
        origin = next((first_original[o] for o in first_original if same_outlet(credited, o)), None)
        if origin is not None and origin != article.id:
            out[article.id] = origin
    return out


def _first(members: list[Article], usual: int) -> dict[str, Any] | None:
    dated = [a for a in members if a.published is not None]
    if not dated:
        return None
    first = min(dated, key=lambda a: publication_order(a, usual))
    outlet = publisher(first)
    return {"outlet": outlet, "article_id": first.id, "published": _stamp(first), "headline": first.title,
            "credits": _credits(outlet, [first])}


def _credits(outlet: str, items: Iterable[Article]) -> list[str]:
    """The sources ``outlet``'s articles ``items`` credit, other than itself: what an article without publisher
    carries ("unknown outlet", credits TASS)."""
    return sorted({c for a in items if (c := a.credited_source) and not same_outlet(c, outlet)})


def _origins(members: list[Article], origin_of: Mapping[str, str | None], articles: Mapping[str, Article],
             usual: int) -> list[dict[str, Any]]:
    """Each origin with its copies; re-publications crediting an outlet absent from the event come last."""
    copies: dict[str, list[dict[str, Any]]] = defaultdict(list)
    absent: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for article in members:
        origin = origin_of.get(article.id)
        entry = {"article_id": article.id, "outlet": publisher(article), "published": _stamp(article),
                 "headline": article.title}
        if origin is not None:
            entry["how"] = "credits " + (article.credited_source or "") if article.duplicate_of is None and \
                article.credited_source else "near-duplicate"
            copies[origin].append(entry)
        elif article.credited_source and not same_outlet(article.credited_source, publisher(article)):
            absent[article.credited_source].append({**entry, "how": "credits " + article.credited_source})
    ordered = []
    for origin_id, items in copies.items():
        origin = articles.get(origin_id)
        ordered.append((publication_order(origin, usual) if origin else (float("inf"), origin_id),
                        {"article_id": origin_id, "outlet": publisher(origin) if origin else None,
                         "published": _stamp(origin), "headline": origin.title if origin else None, "copies": items}))
    out = [entry for _, entry in sorted(ordered, key=lambda pair: pair[0])]
    for source, items in sorted(absent.items()):
        out.append({"article_id": None, "outlet": source, "published": None, "headline": None, "copies": items})
    return out


# ---------------------------------------------------------------------------------------------- only here
def _words(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in (t.strip(".,;:!?\"'«»“”()[]—–-").lower() for t in text.split())
                     if w and w not in STOPWORDS)


def _shared(words: frozenset[str], others: list[frozenset[str]]) -> bool:
    return any(len(words & other) >= SHARED_OVERLAP * min(len(words), len(other)) for other in others if other)


def _only_here(by_outlet: Mapping[str, list[Article]], embed: Embed | None) -> dict[str, Any]:
    """``only_here`` per outlet, ``languages`` of the compared articles and how sentences were matched across
    them (``cross_language``: "meaning", "words" when no ``embed`` was given, "over-limit" past
    ``MEANING_LIMIT`` texts, "one-language")."""
    sentences = {o: [(s, _language(a)) for a in items for s in split_sentences(a.body) if len(s.split()) >= MIN_WORDS]
                 for o, items in by_outlet.items()}
    words = {o: [_words(s) for s, _ in items] for o, items in sentences.items()}
    quotes = {o: [(q, _language(a)) for a in items for q in a.quotes] for o, items in by_outlet.items()}
    own: dict[str, tuple[Sentences, Quotes]] = {}
    for outlet in sorted(by_outlet):
        other_words = [w for o, ws in words.items() if o != outlet for w in ws]
        other_statements = {q.statement_id for o, qs in quotes.items() if o != outlet for q, _ in qs if q.statement_id}
        seen: set[str] = set()
        own_sentences = []
        for (sentence, lang), sentence_words in zip(sentences[outlet], words[outlet], strict=True):
            if sentence not in seen and not _shared(sentence_words, other_words):
                own_sentences.append((sentence, lang))
            seen.add(sentence)
        own_quotes = [(q, lang) for q, lang in quotes[outlet]
                      if not (q.statement_id and q.statement_id in other_statements)
                      and not _shared(_words(q.text), other_words)]
        own[outlet] = (own_sentences, own_quotes)
    languages = sorted({lang for items in by_outlet.values() for a in items if (lang := _language(a))})
    if len(languages) < 2:
        mode = "one-language"
    elif embed is None:
        mode = "words"
    else:
        mode = _drop_translations(own, sentences, quotes, embed)
    return {
        "only_here": [
            {"outlet": outlet, "sentences": [s for s, _ in own_sentences],
             "quotes": [{"text": q.text, "speaker": q.speaker_name or q.speaker, "article_id": q.article_id}
                        for q, _ in own_quotes]}
            for outlet, (own_sentences, own_quotes) in own.items()
        ],
        "languages": languages,
        "cross_language": mode,
    }


def _language(article: Article) -> str | None:
    """The article's language when known ("und", undetermined, could be any)."""
    return article.lang if article.lang and article.lang != "und" else None


def _drop_translations(own: dict[str, tuple[Sentences, Quotes]], sentences: Mapping[str, Sentences],
                       quotes: Mapping[str, Quotes], embed: Embed) -> str:
    """Remove from ``own`` (in place) the sentences and quotes that a sentence or quote of another outlet in
    another language says too (:func:`same_meaning` with the closest one); returns the ``cross_language``
    mode."""
    asked = [(outlet, text, lang) for outlet, (own_sentences, own_quotes) in own.items()
             for text, lang in [*own_sentences, *((q.text, lang) for q, lang in own_quotes)] if lang]
    if not asked:
        return "meaning"
    pool = [(outlet, text, lang) for outlet, items in sentences.items() for text, lang in items if lang]
    pool += [(outlet, q.text, lang) for outlet, items in quotes.items() for q, lang in items if lang]
    texts = sorted({t for _, t, _ in pool})  # every asked text is in the pool: own items are drawn from it
    if len(texts) > MEANING_LIMIT:
        return "over-limit"
    row = {t: i for i, t in enumerate(texts)}
    vectors = embed(texts)
    outlets = np.array([o for o, _, _ in pool], dtype=object)
    langs = np.array([lang for _, _, lang in pool], dtype=object)
    pool_vectors = vectors[[row[t] for _, t, _ in pool]]
    said_elsewhere: set[tuple[str, str]] = set()
    for outlet, text, lang in asked:
        candidates = np.flatnonzero((outlets != outlet) & (langs != lang))
        if not len(candidates):
            continue
        scores = pool_vectors[candidates] @ vectors[row[text]]
        best = int(np.argmax(scores))
        if same_meaning(text, pool[candidates[best]][1], float(scores[best])):
            said_elsewhere.add((outlet, text))
    for outlet, (own_sentences, own_quotes) in own.items():
        own_sentences[:] = [(s, lang) for s, lang in own_sentences if (outlet, s) not in said_elsewhere]
        own_quotes[:] = [(q, lang) for q, lang in own_quotes if (outlet, q.text) not in said_elsewhere]
    return "meaning"


def same_meaning(text: str, translation: str, cosine: float) -> bool:
    """Whether ``translation`` (another language, the closest by embedding) says what ``text`` says: cosine of
    at least ``SAME_MEANING``, or ``SAME_MEANING_WITH_FIGURE`` when both give the same figure.

    Measured on 210 Russian sentences of the sample corpus and their closest English sentence in another
    outlet, labelled by hand (src/storyline/evaluate/labels/translations.jsonl): precision 0.98, recall 0.80
    (cosine alone at 0.6: 0.986 / 0.763).
    """
    if cosine >= SAME_MEANING:
        return True
    return cosine >= SAME_MEANING_WITH_FIGURE and bool(figures(text) & figures(translation))


_FIGURE = re.compile(r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?!\d)|\d+(?:[.,]\d+)*")


def figures(text: str) -> frozenset[str]:
    """Numbers of two digits or more, written alike in English and Russian ("1,200", "1 200" → "1200"; "38.6",
    "38,6" → "386"); years are left out, as every sentence of an event may carry one."""
    digits = (re.sub(r"\D", "", m) for m in _FIGURE.findall(text))
    return frozenset(d for d in digits if len(d) >= 2 and not (len(d) == 4 and d[:2] in ("19", "20")))
