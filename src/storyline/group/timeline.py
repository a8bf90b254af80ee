"""Timelines: a story as dated entries with a headline and a short extractive summary.

Two timelines live here. :func:`build_timeline` is the product's: one entry per event of a story, in the
story's date order, with a representative headline and one or two sentences. :func:`summarize_dates` is the
date-level timeline summariser (TLS) behind ``storyline eval-timeline``: from the articles of a story it picks
the ``n`` most important days and ``k`` sentences for each, the task Timeline17's gold timelines define.

**Headline** (after the Telegram Data Clustering contest's rule: the most central article of a cluster,
from a trustworthy source, with a non-clickbait title): originals before copies; the score is the cosine of
the article to the event centroid, +0.15 when the outlet is known (a name, not a bare domain) and, when no
original has a title, the earliest article; titles that shout (``!``, all-capitals words), ask (``?``), tease
("you won't believe", "here's why", "шок") or are too short/long lose 0.3.

**Summary**: among the first sentences of the event's original articles, the one closest to the event
centroid (a small bonus for the lead) and, when it adds something and stays short, a second one.

Both are judged on the event's first ``DESCRIBE_ARTICLES`` originals by date (:func:`describe_event`), and a full
regroup stores them (:func:`describe_events`: the headline becomes the event's title), so the story page and the
report show what ``storyline timeline`` prints; ~0.25 ms per article.

**TLS** (a light DATEWISE, Gholipour Ghalandari & Ifrim 2020): days are ranked by how many articles mention
them (explicit dates, weekdays and "yesterday" resolved against the publication date) and how many are
published on them; each day's candidate sentences are those mentioning it plus the leads of articles published
that day or the next; the summary is chosen greedily to stay closest to the candidates' TF-IDF centroid.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from storyline.extract.dates import MONTH_WORD, WEEKDAY_NUMBER, month_number, nearest_day
from storyline.extract.outlet import KNOWN_OUTLETS
from storyline.model import Article, Event, Story
from storyline.represent.features import DocumentFrequencies, SparseVector, add_into, dot, normalize
from storyline.represent.tokens import terms_of, text_terms

SUMMARY_CHARS = 360
LEAD_SENTENCES = 8
TLS_LEAD_SENTENCES = 15
TLS_MAX_WORDS = 80
KNOWN_OUTLET_BONUS = 0.15
CLICKBAIT_PENALTY = 0.3
_KNOWN = {name.casefold() for name in KNOWN_OUTLETS}
_CLICKBAIT = re.compile(
    r"you won'?t believe|here'?s (?:why|what|how)|this is why|what happened next|shocking|must see|"
    r"\bшок\b|вы не поверите|вот почему|сенсаци", re.IGNORECASE)
_CYRILLIC = re.compile("[а-яёА-ЯЁ]")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"»”']?\s+(?=[\"«“'(]?[A-ZА-ЯЁ0-9])")


# ---------------------------------------------------------------------------------------------- text helpers
def split_sentences(text: str) -> list[str]:
    """Lines, then sentence ends followed by a capital: good enough for news prose in English and Russian."""
    out: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        parts = [part.strip() for part in _SENTENCE_END.split(line) if part.strip()]
        while parts:
            sentence = parts.pop(0)
            # a quoted title is not cut at its full stops: in an interview with “Moscow. Kremlin. Putin” (at most
            # three: a quote left open to the end of its paragraph is not one sentence)
            for _ in range(3):
                if not parts or (sentence.count("“") <= sentence.count("”") and sentence.count("«") <= sentence.count("»")):
                    break
                sentence += " " + parts.pop(0)
            out.append(sentence)
    return out


def _sentence_vector(text: str) -> SparseVector:
    counts: Counter[str] = Counter()
    text_terms(text, 1.0, counts)
    return normalize({t: 1.0 + math.log(c) for t, c in counts.items() if not t.startswith("y:")})


def is_clickbait(title: str) -> bool:
    """Shouting, teasing or question titles, and titles too short or too long to say what happened."""
    words = title.split()
    shouting = sum(1 for w in words if len(w) > 3 and w.isupper() and w.isalpha()) >= 2
    return (not 4 <= len(words) <= 25 or "!" in title or title.rstrip().endswith("?") or shouting
            or bool(_CLICKBAIT.search(title)))


# ---------------------------------------------------------------------------------------------- story timeline
def build_timeline(story: Story, events: Mapping[str, Event], articles: Mapping[str, Article]) -> list[dict[str, Any]]:
    """One entry per event of ``story`` in the story's (date) order: date, headline, outlet, summary, size."""
    entries = []
    for event_id in story.event_ids:
        event = events.get(event_id)
        if event is None:
            continue
        members = [articles[a] for a in event.article_ids if a in articles]
        if not members:
            continue
        headline_article, summary = describe_event(members)
        entries.append({
            "event_id": event.id,
            "date": _event_date(event, members),
            "headline": (headline_article.title or event.title or "").strip(),
            "article_id": headline_article.id,
            "outlet": headline_article.outlet,
            "summary": summary,
            "articles": len(members),
            "outlets": sorted({a.outlet for a in members if a.outlet}),
        })
    return entries


def _event_date(event: Event, members: Sequence[Article]) -> str | None:
    """ISO day of the event; ``--MM-DD`` when its articles give only day and month; None when undated."""
    if event.start is not None:
        return event.start.date().isoformat()
    full = sorted(a.published for a in members if a.published is not None)
    if full:
        return full[0].date().isoformat()
    partial = sorted(a.date.iso for a in members if a.date is not None)
    return partial[0] if partial else None


DESCRIBE_ARTICLES = 40


def describe_events(events: Iterable[Event], articles: Mapping[str, Article]) -> None:
    """Give each event (in place) its representative headline as title and its summary, from its members in id
    order: what a full regroup stores, so the story page, the report and ``storyline timeline`` agree."""
    for event in events:
        members = [articles[aid] for aid in sorted(event.article_ids) if aid in articles]
        if members:
            headline, event.summary = describe_event(members)
            event.title = headline.title.strip() or event.title


def describe_event(members: Sequence[Article]) -> tuple[Article, str]:
    """The article whose headline speaks for the event, and one or two sentences that say what happened.

    Both are judged against one centroid of the event's first :data:`DESCRIBE_ARTICLES` originals by date:
    the first reports say what happened, and the cap keeps the cost of describing every event of a store
    linear (a 2,000-article event costs what a 40-article one does).
    """
    originals = _first_originals(members)
    vectors, centroid = _centroid(originals)
    headline = _central_headline(originals, vectors, centroid)
    return headline, _summary(originals, centroid, headline)


def _first_originals(members: Sequence[Article]) -> list[Article]:
    originals = [a for a in members if a.duplicate_of is None] or list(members)
    if len(originals) <= DESCRIBE_ARTICLES:
        return originals
    return sorted(originals, key=lambda a: (a.published is None, a.published or datetime.min, a.id))[:DESCRIBE_ARTICLES]


def _centroid(members: Sequence[Article]) -> tuple[dict[str, SparseVector], SparseVector]:
    frequencies = DocumentFrequencies(max_terms=300)
    counts = {a.id: terms_of(a) for a in members}
    frequencies.add(counts.values())
    vectors = {aid: frequencies.vector(c) for aid, c in counts.items()}
    centroid: SparseVector = {}
    for vector in vectors.values():
        add_into(centroid, vector)
    return vectors, normalize(centroid)


def _central_headline(originals: Sequence[Article], vectors: Mapping[str, SparseVector],
                      centroid: SparseVector) -> Article:
    titled = [a for a in originals if a.title.strip()] or list(originals)

    def score(article: Article) -> tuple[float, float, str]:
        value = dot(vectors[article.id], centroid)
        if article.outlet and article.outlet.casefold() in _KNOWN:
            value += KNOWN_OUTLET_BONUS
        if is_clickbait(article.title):
            value -= CLICKBAIT_PENALTY
        published = article.published.timestamp() if article.published else math.inf
        return (-value, published, article.id)

    return min(titled, key=score)


def _summary(originals: Sequence[Article], centroid: SparseVector, headline: Article) -> str:
    title_key = headline.title.strip().casefold().rstrip("…")[:60]
    candidates: list[tuple[float, int, str, str, str | None]] = []
    for article in originals:
        for position, sentence in enumerate(split_sentences(article.body)[:LEAD_SENTENCES]):
            words = len(sentence.split())
            if (words < 6 or words > 60 or _looks_like_furniture(sentence) or _other_script(sentence, article.lang)
                    or _cut_quote(sentence)):
                continue
            if title_key and sentence.strip().casefold().startswith(title_key):
                continue
            score = dot(_sentence_vector(sentence), centroid) + (0.1 if position == 0 else 0.0)
            candidates.append((-score, position, article.id, sentence, article.lang))
    # in the headline's language when its articles give one: else the second sentence could be the first's
    # translation, which shares no word with it and so passed for news ("… guilty of taking bribes. Томас …")
    candidates = [c for c in candidates if c[4] == headline.lang] or candidates
    if not candidates:
        return ""
    candidates.sort()
    chosen = [candidates[0][3]]
    first_vector = _sentence_vector(chosen[0])
    for _, _, _, sentence, _ in candidates[1:]:
        if len(chosen[0]) + 1 + len(sentence) > SUMMARY_CHARS:
            continue
        if dot(_sentence_vector(sentence), first_vector) < 0.5:
            chosen.append(sentence)
        break
    # a lead paragraph without its full stop ("… abandon the policy of hegemonism") still ends its sentence
    return " ".join(c if c[-1] in ".!?…\"”»'’" or i == len(chosen) - 1 else c + "." for i, c in enumerate(chosen))


def _looks_like_furniture(sentence: str) -> bool:
    """Photo captions and datelines in capitals ("MOSCOW, RUSSIA – DECEMBER 17, 2020: …") are not summaries."""
    shouting = sum(1 for w in sentence.split() if len(w) > 3 and w.strip(",.:;–-").isupper())
    return shouting >= 3 or sentence.lower().startswith(("photo", "фото"))


def _cut_quote(sentence: str) -> bool:
    """A sentence the splitter cut out of a quote ('The failures were ours," the chair said.') reads as a fragment."""
    return sentence.count('"') % 2 == 1 or sentence.count("“") != sentence.count("”") or (
        sentence.count("«") != sentence.count("»"))


def _other_script(sentence: str, lang: str | None) -> bool:
    """A Russian caption inside an English article (or the reverse) does not summarise it."""
    if lang not in ("en", "ru"):
        return False
    letters = sum(map(str.isalpha, sentence))
    if not letters:
        return False
    cyrillic = len(_CYRILLIC.findall(sentence)) / letters
    return cyrillic > 0.5 if lang == "en" else cyrillic < 0.2


# ---------------------------------------------------------------------------------------------- date mentions
_MONTH = rf"(?P<month>{MONTH_WORD})"  # English and Russian month names, as the date extractor reads them
_DATE_PATTERNS = (
    re.compile(rf"\b{_MONTH}\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\b(?:\s*,?\s*(?P<year>(?:19|20)\d\d)\b)?", re.I),
    re.compile(rf"\b(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\b(?:\s*,?\s*(?P<year>(?:19|20)\d\d)\b)?", re.I),
    re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<mnum>[01]\d)-(?P<day>[0-3]\d)\b"),
)
_RELATIVE = re.compile(r"\b(yesterday|today|tonight|tomorrow|last night|this (?:morning|afternoon|evening)|"
                       r"(?:last |next |on |this )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b",
                       re.I)
_FUTURE = re.compile(r"\b(will|'ll|shall|next|going to|plans? to|scheduled|due to)\b", re.I)


def mentioned_dates(sentence: str, published: date) -> list[date]:
    """Days a sentence refers to, resolved against the publication day (day precision only)."""
    found: list[date] = []
    taken: list[tuple[int, int]] = []
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(sentence):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            month = int(m.group("mnum")) if "mnum" in m.groupdict() and m.group("mnum") else \
                month_number(m.group("month")) or 0
            day = int(m.group("day"))
            named = m.groupdict().get("month")  # the ISO pattern has no month name
            if named and named.lower().rstrip(".") == "may" and not m.group("year") and pattern is _DATE_PATTERNS[0] \
                    and not sentence[m.start()].isupper():
                continue  # "may 5" in lower case is the verb
            years = [int(m.group("year"))] if m.group("year") else [published.year - 1, published.year,
                                                                     published.year + 1]
            nearest = nearest_day(years, month, day, published)
            if nearest is not None:
                taken.append((m.start(), m.end()))
                found.append(nearest)
    future = bool(_FUTURE.search(sentence))
    for m in _RELATIVE.finditer(sentence):
        if any(s < m.end() and m.start() < e for s, e in taken):
            continue
        word = m.group(1).lower()
        if word in ("today", "tonight") or word.startswith("this ") and word.split()[1] not in WEEKDAY_NUMBER:
            found.append(published)
        elif word in ("yesterday", "last night"):
            found.append(published - timedelta(days=1))
        elif word == "tomorrow":
            found.append(published + timedelta(days=1))
        else:
            weekday = WEEKDAY_NUMBER[word.split()[-1]]
            back = (published.weekday() - weekday) % 7
            ahead = (weekday - published.weekday()) % 7 or 7
            if word.startswith("next") or (future and not word.startswith("last")):
                found.append(published + timedelta(days=ahead))
            else:
                found.append(published - timedelta(days=back))
    return found


# ---------------------------------------------------------------------------------------------- TLS
@dataclass
class DatedText:
    """One article for timeline summarisation: its publication day, title and body sentences."""

    published: date
    sentences: list[str]
    title: str = ""


@dataclass
class _Day:
    mention_docs: set[int] = field(default_factory=set)
    mention_sents: list[str] = field(default_factory=list)
    published_docs: int = 0
    lead_sents: list[str] = field(default_factory=list)


def rank_dates(documents: Sequence[DatedText], start: date, end: date) -> tuple[list[date], dict[date, _Day]]:
    """Days within [start, end] by importance: articles mentioning a day, then articles published on it."""
    days: dict[date, _Day] = defaultdict(_Day)
    for index, doc in enumerate(documents):
        days[doc.published].published_docs += 1
        for position, sentence in enumerate(doc.sentences):
            mentions = {d for d in mentioned_dates(sentence, doc.published) if start <= d <= end}
            for day in mentions:
                days[day].mention_docs.add(index)
                days[day].mention_sents.append(sentence)
            if not mentions and position < TLS_LEAD_SENTENCES:
                for back in (0, 1):
                    days[doc.published - timedelta(days=back)].lead_sents.append(sentence)

    def importance(day: date) -> tuple[float, date]:
        info = days[day]
        return (-(len(info.mention_docs) + PUBLISHED_WEIGHT * info.published_docs), day)

    ranked = sorted((d for d in days if start <= d <= end), key=importance)
    return ranked, days


PUBLISHED_WEIGHT = 0.5


def summarize_dates(
    documents: Sequence[DatedText], n_dates: int, n_sentences: int, start: date, end: date
) -> dict[date, list[str]]:
    """A timeline of at most ``n_dates`` days with at most ``n_sentences`` sentences each (TLS)."""
    ranked, days = rank_dates(documents, start, end)
    frequencies = DocumentFrequencies(max_terms=400)
    frequencies.add(_counts(s) for doc in documents for s in doc.sentences)
    timeline: dict[date, list[str]] = {}
    for day in ranked:
        if len(timeline) >= n_dates:
            break
        info = days[day]
        candidates = list(dict.fromkeys(info.mention_sents + info.lead_sents))
        summary = _centroid_summary(candidates, n_sentences, frequencies)
        if summary:
            timeline[day] = summary
    return dict(sorted(timeline.items()))


def _counts(sentence: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    text_terms(sentence, 1.0, counts)
    return counts


def _centroid_summary(sentences: Sequence[str], k: int, frequencies: DocumentFrequencies) -> list[str]:
    """Greedy CentroidOpt: add the sentence that keeps the summary's vector closest to the candidates' centroid."""
    usable = [s for s in sentences if 5 <= len(s.split()) <= TLS_MAX_WORDS]
    if not usable:
        return []
    vectors = [frequencies.vector(_counts(s)) for s in usable]
    centroid: SparseVector = {}
    for vector in vectors:
        add_into(centroid, vector)
    centroid = normalize(centroid)
    chosen: list[int] = []
    summary: SparseVector = {}
    while len(chosen) < min(k, len(usable)):
        best: tuple[float, int] | None = None
        for i, vector in enumerate(vectors):
            if i in chosen or any(dot(vector, vectors[j]) > 0.9 for j in chosen):
                continue
            trial = dict(summary)
            add_into(trial, vector)
            score = dot(normalize(trial), centroid)
            if best is None or score > best[0]:
                best = (score, i)
        if best is None:
            break
        chosen.append(best[1])
        add_into(summary, vectors[best[1]])
    return [usable[i] for i in chosen]


def documents_from_articles(articles: Iterable[Article]) -> list[DatedText]:
    """Product articles as TLS input (undated articles cannot be placed and are left out)."""
    out = []
    for article in articles:
        if article.published is None or article.duplicate_of is not None:
            continue
        out.append(DatedText(_as_date(article.published), split_sentences(article.body), article.title))
    return out


def _as_date(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value
