"""Article profiles for event grouping, candidate pairs by blocking (never n×n), and the pair score.

**Profile** of an article: a TF-IDF vector of :func:`~storyline.represent.tokens.event_terms` over the text
left after :class:`~storyline.represent.furniture.FurnitureFilter` (title and lead weigh more; capitalised
names, name pairs, numbers and years are extra features; names also get a script-independent key,
:func:`script_keys`, so "Пескова" meets "Peskov"), the publication day, the language and, with an embedder,
a multilingual USE vector of the title and first sentences, and the things the title and lead count
(:func:`counted_things`: "23 pirates", "4900 block"). NER entities are deliberately *not* features:
NER runs at 10–50 articles/s on this machine, grouping must reach hundreds, and capitalisation finds the
same names cheaply and identically in ``storyline eval`` and in the product (entities still appear in the
``--why`` evidence).

**Blocking**: each profile posts its ``BLOCK_TERMS`` heaviest terms among those another profile has. A
posting of at most ``SMALL_POSTING`` profiles (a rare name) pairs all of them; a larger one pairs each
profile with the next ``NEIGHBOURS`` in canonical (date, id) order; postings over ``MAX_POSTING`` are too
common to say anything. With embeddings, random-hyperplane LSH buckets add cross-language pairs. Cost is
O(n · BLOCK_TERMS · max(SMALL_POSTING, NEIGHBOURS)); on the development files it finds the same events
as scoring all pairs (within 0.005 BCubed F1) with 10–40 pairs per article.

**Pair score** = evidence × time factor. Evidence is the lexical cosine plus ``EMBED_WEIGHT`` × the
embedding similarity above ``EMBED_BASE`` (a tie-breaker). Across languages, where words cannot match,
it is ``ANCHOR_WEIGHT`` × the cosine of the script-independent features alone (name skeletons, numbers,
years), or the embedding bridge ``CROSS_SCALE`` × (similarity − ``CROSS_BASE``), whichever is larger. The
names say where and who, not what: a fire and a strike in one city share them. So the anchor cosine is scaled
by how far the embedding agrees, from nothing at ``CROSS_GATE_LOW`` to all of it at ``CROSS_GATE_HIGH``
(without embeddings it stands alone). When two
articles of one language count the same things and agree on none of the counts (23 pirates against 26 pirates:
two hijackings, not one), the evidence is multiplied by ``COUNT_CONFLICT``, a soft penalty: tolls and tallies
are revised as a story develops. When both titles name days and share none (a daily forecast, rate or live page:
the same words every day), it is multiplied by ``DAY_CONFLICT`` (0: never linked). The
time factor is 1 within ``config.event_grace_days``, then decays with half-life ``config.event_decay_days``
to ``config.event_time_floor``, so follow-ups weeks later (arrests, trials) still join on strong shared
names. When either side has no date the factor is ``config.event_undated_factor``: without a "when" the
"who/what/where" must be stronger. When the later article names the earlier one's day ("pleaded guilty to the
May 7, 2015, shooting", :func:`named_days`), the factor is at least ``config.event_recall_factor``. A date known
only by month and day ("MOSCOW, January 24") still bounds the gap from below (in any year).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from itertools import count as counter
from itertools import repeat

import numpy as np

from storyline.config import Config
from storyline.extract.dates import named_dates, recent_days
from storyline.extract.exonyms import english_name
from storyline.model import Article
from storyline.represent.features import DocumentFrequencies, SparseVector, dot, normalize
from storyline.represent.furniture import FurnitureFilter
from storyline.represent.tokens import BODY_CHARS, LEAD_CHARS, STOPWORDS, event_terms

BLOCK_TERMS = 20
SMALL_POSTING = 60
NEIGHBOURS = 20
MAX_POSTING = 5000
VECTOR_TERMS = 150
EMBED_CHARS = 160  # title + this much of the body: USE cost is per token, the lead carries the event
EMBED_BASE = 0.6
EMBED_WEIGHT = 0.3
CROSS_BASE = 0.55
CROSS_SCALE = 1.0
# across languages names and numbers count only as far as the embedding agrees on what happened: not at all at
# similarity CROSS_GATE_LOW, fully from CROSS_GATE_HIGH (same-event EN/RU pairs of the sample corpus: 5th
# percentile 0.42, median 0.60; other pairs: median 0.21, 95th percentile 0.46)
CROSS_GATE_LOW = 0.4
CROSS_GATE_HIGH = 0.6
LSH_BITS = 10
LSH_BANDS = 6
MAX_BUCKET = 200
SCRIPT_KEY_WEIGHT = 1.0
ANCHOR_WEIGHT = 1.0
ANCHOR_BLOCK_TERMS = 5
_ANCHOR_PREFIXES = ("x:", "#", "y:")
_NO_DATE = math.inf
RECALL_MIN_DAYS = 2  # a recalled day lies further back than this from the article's own date
RECALL_TOLERANCE = 1  # days between a recalled day and the earlier article's date
COUNT_CHARS = 1000  # title + this much of the body: where reports state what happened and how many
COUNT_CONFLICT = 0.6
# two titles that name their days ("Прогноз погоды на 8 ноября" / "на 16 ноября", "Live updates, Nov. 8" / "Nov. 9")
# and share none report two happenings, or one series on two days: nothing of the pair's evidence is kept
DAY_CONFLICT = 0.0
COUNT_KEY_CHARS = 5  # the counted word's first letters: "pirate"/"pirates", "пирата"/"пиратов" meet
SCORE_BITS = 30
_SCORE_SCALE = float(2**SCORE_BITS)
_NAME = re.compile(r"\b(?:[А-ЯЁ][а-яё]{2,}|[A-Z][a-z]{2,}|[А-ЯЁ]{2,6}\b)")  # the last: США, ЕС, МОСКВА
_COUNT = re.compile(r"\b(\d+(?:[.,]\d+)?)[ -]([a-zа-яё]{3,})", re.IGNORECASE)
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+")
_NOT_COUNTED = ("percent", "процен", "month", "месяц", "hour", "час", "minut", "минут", "secon", "секун", "week",
                "недел", "people", "челов", "times", "раз", "milli", "billi", "trill", "thous", "трлн", "млрд", "млн", "тыс",
                "милли", "трилл",  # the magnitudes of a sum ("38 миллиардов"), spelt out or cut
                "январ", "феврал", "март", "апрел", "мая", "июн", "июл", "август", "сентябр", "октябр", "ноябр",
                "декабр")  # "9 ноября" is a day (title_days), not 9 of something; English months are stopwords
_NOT_CONSONANT = re.compile(r"[^bcdfgklmnpqrstvwxz]")
_TRANSLIT = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t", "u",
     "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"], strict=True))


def article_day(article: Article) -> float | None:
    """Publication time in days (fractional), or ``None`` when the year is unknown."""
    published = article.published
    return None if published is None else day_of(published)


def day_of(moment: datetime) -> float:
    """``moment`` in days (fractional, local time of the stamp): the time axis of grouping."""
    return moment.toordinal() + (moment.hour * 60 + moment.minute) / 1440.0


def year_day(article: Article) -> int | None:
    """Day of the year (1–366) when month and day are known, with or without the year."""
    if article.date is None:
        return None
    return article.date.value.timetuple().tm_yday


def canonical_key(article: Article) -> tuple[float, str]:
    """(day or +inf, id): the order that makes grouping independent of input order."""
    day = article_day(article)
    return (day if day is not None else _NO_DATE, article.id)


def script_language(article: Article) -> str:
    """``article.lang`` when known, else a guess from the alphabet of the title and lead."""
    if article.lang and article.lang != "und":
        return article.lang
    sample = article.lead
    cyrillic = sum(1 for ch in sample if "\u0400" <= ch <= "\u04ff")
    latin = sum(1 for ch in sample if ch.isascii() and ch.isalpha())
    return "ru" if cyrillic > latin else "en"


def script_keys(text: str) -> Counter[str]:
    """Names in either alphabet as one key: the first consonants of the Latin spelling.

    Vowels, ``j``/``y``/``h`` and soft signs are where transliterations and Russian case endings differ
    ("Jekabpils"/"Екабпилс", "Valiukas"/"Валюкаса", "Peskov"/"Пескова"), so ``x:kbpls``, ``x:vlks``,
    ``x:pskv`` each meet across scripts. Short skeletons collide, so names under four letters are skipped.
    Russian names that translate rather than transliterate ("Литве", "США") take the keys of their English
    name (:func:`storyline.extract.exonyms.english_name`): ``x:ltn`` for "Lithuania".
    """
    keys: Counter[str] = Counter()
    for word in _NAME.findall(text):
        for key in _word_keys(word):
            keys[key] += 1
    return keys


@lru_cache(maxsize=65_536)  # a pure function of the word; names repeat across a corpus (bounded: ~20 MB)
def _word_keys(word: str) -> tuple[str, ...]:
    translated = english_name(word) if word[0] >= "\u0400" else None
    if translated is None and word.isupper() or translated is not None and translated.isupper():
        return ()  # an abbreviation the table does not know, or whose English name is one (NATO): no key meets it
    return tuple(key for part in (translated.split() if translated else (word,)) if (key := _skeleton_key(part)))


def _skeleton_key(word: str) -> str | None:
    lower = word.lower()
    if len(word) < 4 or lower in STOPWORDS:
        return None
    latin = "".join(_TRANSLIT.get(ch, ch) for ch in lower)
    skeleton = _NOT_CONSONANT.sub("", latin)[:5]
    return f"x:{skeleton}" if len(skeleton) >= 2 else None


def article_terms(furniture: FurnitureFilter, article: Article) -> tuple[Counter[str], str, str]:
    """``(terms, title, body)``: the weighted terms of ``article`` and its title and body without furniture.

    A pure function of the article and the filter's counts, so the Spark engine
    (:mod:`storyline.scale.linkage`) computes it per partition from counts gathered over the whole corpus.
    """
    title, body = furniture.title(article.title or ""), furniture.body(article.body or "")
    terms = event_terms(title, body)
    for key, count in script_keys(f"{title}\n{body[:600]}").items():
        terms[key] += SCRIPT_KEY_WEIGHT * count
    return terms, title, body


def embed_text(title: str, body: str) -> str:
    """What is embedded of an article (furniture removed): the title and the start of the body."""
    return f"{title}. {body[:EMBED_CHARS]}" if title else body[:EMBED_CHARS]


NamedDays = tuple[tuple[int, ...], tuple[int, ...]]  # (recalled days, recent days) as ordinals


def make_profile(article: Article, weighted: SparseVector, days: NamedDays = ((), ())) -> Profile:
    """The profile of ``article`` from its TF-IDF vector (``DocumentFrequencies.vector`` of its terms), the
    days it names (:func:`named_days`) and the things it counts (:func:`counted_things`)."""
    counts = counted_things(article.title or "", article.body or "")
    days_titled = title_days(article.title or "")
    anchors = normalize({t: w for t, w in weighted.items() if t.startswith(_ANCHOR_PREFIXES)})
    vector = normalize({t: w for t, w in weighted.items() if not t.startswith("x:")})
    return Profile(id=article.id, key=canonical_key(article), day=article_day(article), yday=year_day(article),
                   lang=script_language(article), vector=vector, anchors=anchors, title=article.title or "",
                   recalls=days[0], recent=days[1], counts=counts,
                   counted=frozenset(count.partition("=")[0] for count in counts), title_days=days_titled)


def counted_things(title: str, body: str) -> frozenset[str]:
    """What the title and lead count, as ``"word=number"`` (the word cut to ``COUNT_KEY_CHARS`` letters):
    "23 Somali pirates" → ``somal=23``, "the 4900 block" → ``block=4900``, "1,500 troops" → ``troop=1500``.

    Words that measure rather than count (percent, hours, millions, people — a vague crowd) and stopwords
    ("in 2008 and") are skipped. Two reports of one event rarely count the same thing differently, so
    :func:`count_conflicts` tells same-kind events apart where their words and names are alike. Read from the
    article's cleaned text, not the grouping's furniture-free text: the lead a wire repeats across its copies is
    furniture to the grouping (it tells no article apart) but it is where the count is stated.
    """
    found = set()
    for number, word in _COUNT.findall(f"{title}\n{body[:COUNT_CHARS]}"):
        word = word.lower()
        if word in STOPWORDS or word.startswith(_NOT_COUNTED):
            continue
        number = number.replace(",", "") if _THOUSANDS.fullmatch(number) else number.replace(",", ".")
        found.add(f"{word[:COUNT_KEY_CHARS]}={number}")
    return frozenset(found)


def count_conflicts(a: Profile, b: Profile) -> list[str]:
    """The things both count without agreeing on any count (``"somal: 23 / 26"``), and the days both titles name
    without sharing one (``"title day: 11-08 / 11-16"``); empty when they share a count (then the others are
    details or revisions) or count nothing in common."""
    out = []
    if counts_disagree(a, b):
        out = [f"{thing}: {' '.join(_numbers(a, thing))} / {' '.join(_numbers(b, thing))}"
               for thing in sorted(a.counted & b.counted)]
    if days_disagree(a, b):
        out.append(f"title day: {' '.join(map(_month_day, sorted(a.title_days)))} / "
                   f"{' '.join(map(_month_day, sorted(b.title_days)))}")
    return out


_LEAP_YEAR = 2000  # title days are days of this year, so that 29 February has one


def title_days(title: str) -> frozenset[int]:
    """The days of the year a title names, whatever the year ("Прогноз погоды на 8 ноября" → {313}): a title
    that names its day says which happening it reports."""
    return frozenset(date(_LEAP_YEAR, d.month, d.day).timetuple().tm_yday
                     for d in named_dates(title, date(_LEAP_YEAR, 7, 1)))


def days_disagree(a: Profile, b: Profile) -> bool:
    """Whether both titles name days and share none. Exactly: a daily series differs by one day."""
    return bool(a.title_days and b.title_days) and not a.title_days & b.title_days


def _month_day(day_of_year: int) -> str:
    return (date(_LEAP_YEAR, 1, 1) + timedelta(days=day_of_year - 1)).strftime("%m-%d")


def counts_disagree(a: Profile, b: Profile) -> bool:
    """Whether ``a`` and ``b`` count some same thing and share no count (see :func:`count_conflicts`)."""
    return bool(a.counted & b.counted) and not a.counts & b.counts


def _numbers(profile: Profile, thing: str) -> list[str]:
    return sorted(count.partition("=")[2] for count in profile.counts if count.partition("=")[0] == thing)


def named_days(article: Article, title: str, body: str) -> NamedDays:
    """The days an article names, from its title and body without furniture (:func:`article_terms`), as ordinals:

    * **recalled**: earlier days named anywhere grouping reads ("pleaded guilty to the May 7, 2015, shooting",
      "the March 9 ambush", "7 мая"), more than ``RECALL_MIN_DAYS`` back: a follow-up tells which day its
      event happened;
    * **recent**: the days of the week before publication the title and lead name ("Sunday night", "в субботу",
      "yesterday"): where a first report says its event happened, often the day before it was published.
    """
    published = article.published
    if published is None:
        return (), ()
    day = published.date()
    text = f"{title}. {body[:BODY_CHARS]}"
    recalled = {d.toordinal() for d in named_dates(text, day) if (day - d).days > RECALL_MIN_DAYS}
    recent = {d.toordinal() for d in recent_days(f"{title}. {body[:LEAD_CHARS]}", day)}
    return tuple(sorted(recalled)), tuple(sorted(recent))


def recalled_gap(a: Profile, b: Profile) -> int | None:
    """Days between the earlier article's day (its date, or a day of the week before that it names) and the
    nearest day the later one recalls, if within ``RECALL_TOLERANCE``; else None (also when either is undated)."""
    if a.day is None or b.day is None:
        return None
    if a.day > b.day:
        a, b = b, a
    if not b.recalls:
        return None
    near = min(abs(d - e) for d in b.recalls for e in (int(a.day), *a.recent))
    return near if near <= RECALL_TOLERANCE else None


@dataclass(slots=True)
class Profile:
    """What grouping knows of one article."""

    id: str
    key: tuple[float, str]
    day: float | None
    yday: int | None
    lang: str
    vector: SparseVector
    anchors: SparseVector  # the script-independent part of ``vector`` (name skeletons, numbers), unit length
    embedding: np.ndarray | None = None
    title: str = ""
    recalls: tuple[int, ...] = ()  # earlier days the article names (ordinals), see named_days
    recent: tuple[int, ...] = ()  # days of the week before its date that its lead names, see named_days
    counts: frozenset[str] = frozenset()  # "word=number" things its title and lead count, see counted_things
    counted: frozenset[str] = frozenset()  # the words of ``counts``
    title_days: frozenset[int] = frozenset()  # days of the year its title names, see title_days


class Profiler:
    """Builds profiles; holds the corpus state they depend on (furniture counts, document frequencies).

    ``observe`` then ``profiles``: in a batch, observe everything first so that every profile sees the same
    statistics (order-independent); on a stream, observe and profile each batch in turn.
    """

    def __init__(self, embedder: object | None = None) -> None:
        self.embedder = embedder
        self.furniture = FurnitureFilter()
        self.frequencies = DocumentFrequencies(max_terms=VECTOR_TERMS)
        self._terms: dict[str, Counter[str]] = {}
        self._texts: dict[str, tuple[str, str]] = {}

    def observe(self, articles: Sequence[Article], *, count: bool = True) -> None:
        """Count furniture (copies once) and then the terms of ``articles``.

        ``count=False`` prepares profiles without counting: for articles already counted elsewhere (an
        incremental index reloading stored articles whose frequencies are kept in the store).
        """
        if count:
            self.furniture.add((a.title, a.body) for a in articles if not a.duplicate_of)
        fresh = []
        for article in articles:
            terms, title, body = article_terms(self.furniture, article)
            self._terms[article.id] = terms
            self._texts[article.id] = (title, body)
            fresh.append(terms)
        if count:
            self.frequencies.add(fresh)

    def profiles(self, articles: Sequence[Article], *, embed: bool = True) -> list[Profile]:
        """Profiles of observed articles, in the given order; embeddings computed in one batch (unless ``embed``
        is false: then :meth:`embed_texts` first, and :func:`embed_profiles` elsewhere, give the same)."""
        out = []
        for article in articles:
            days = named_days(article, *self._texts[article.id])
            out.append(make_profile(article, self.frequencies.vector(self._terms.pop(article.id)), days))
        if embed and self.embedder is not None and articles:
            embed_profiles(out, self.embed_texts(articles), self.embedder)
        for article in articles:
            self._texts.pop(article.id, None)
        return out

    def embed_texts(self, articles: Sequence[Article]) -> list[str]:
        """What is embedded of each observed article (before :meth:`profiles`, which forgets the texts)."""
        return [embed_text(*self._texts[article.id]) for article in articles]


def embed_profiles(profiles: Sequence[Profile], texts: Sequence[str], embedder: object) -> None:
    """Set each profile's embedding from its text, in one batch (an all-zero vector, an empty text, is none)."""
    # an embedder with a per-article cache (represent.embed.CachedEmbedder) needs the ids
    by_article = getattr(embedder, "encode_articles", None)
    vectors = by_article([p.id for p in profiles], texts) if by_article else embedder.encode(texts)  # type: ignore[attr-defined]
    for profile, vector in zip(profiles, vectors, strict=True):
        profile.embedding = vector if np.any(vector) else None


def top_terms(vector: SparseVector, k: int) -> list[str]:
    """The ``k`` heaviest terms, ties broken by term."""
    return [t for _, t in sorted([(-w, t) for t, w in vector.items()])[:k]]


def block_terms(profile: Profile, df: Counter[str], multilingual: bool, count: int = BLOCK_TERMS) -> list[str]:
    """The terms a profile is blocked on: its heaviest ones that some other profile has (``df >= 2``; a
    term of one article cannot pair anything) and that are not too common; in a corpus of several
    languages also its heaviest name skeletons, which meet across scripts."""
    usable = {t: w for t, w in profile.vector.items() if 2 <= df[t] <= MAX_POSTING}
    terms = top_terms(usable, count)
    return terms + name_block_terms(profile, df) if multilingual else terms


def name_block_terms(profile: Profile, df: Mapping[str, int]) -> list[str]:
    """The name skeletons a profile is also blocked on in a corpus of several languages (they meet across scripts)."""
    names = {t: w for t, w in profile.anchors.items() if t.startswith("x:") and 2 <= df[t] <= MAX_POSTING}
    return top_terms(names, ANCHOR_BLOCK_TERMS)


def document_frequencies(profiles: Sequence[Profile]) -> Counter[str]:
    df: Counter[str] = Counter()
    for profile in profiles:
        df.update(profile.vector.keys())
        df.update(t for t in profile.anchors if t.startswith("x:"))
    return df


def candidate_pairs(profiles: Sequence[Profile], seed: int = 1) -> np.ndarray:
    """Index pairs ``(i, j)``, ``i < j``, worth scoring; ``profiles`` must be in canonical order."""
    df = document_frequencies(profiles)
    multilingual = len({p.lang for p in profiles}) > 1
    postings: dict[str, list[int]] = defaultdict(list)
    for index, profile in enumerate(profiles):
        for term in block_terms(profile, df, multilingual):
            postings[term].append(index)
    chunks = [_postings_pairs([m for m in postings.values() if 2 <= len(m) <= MAX_POSTING]), lsh_pairs(profiles, seed)]
    pairs = np.concatenate(chunks) if chunks else np.zeros((0, 2), dtype=np.int64)
    if not len(pairs):
        return pairs.reshape(0, 2)
    codes = unique_codes(pairs[:, 0] * len(profiles) + pairs[:, 1])
    return np.stack([codes // len(profiles), codes % len(profiles)], axis=1)


def unique_codes(codes: np.ndarray) -> np.ndarray:
    """``np.unique`` of an integer array, sorted, by one sort (NumPy 2's hash-based unique is ~50× slower here)."""
    ordered = np.sort(codes)
    if len(ordered) < 2:
        return ordered
    first = np.empty(len(ordered), dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return ordered[first]


def _posting_pairs(members: np.ndarray) -> np.ndarray:
    """All pairs of a small posting; each member with its next ``NEIGHBOURS`` in a large one."""
    first, second = _posting_offsets(len(members))
    return np.stack([members[first], members[second]], axis=1)


def _postings_pairs(postings: Sequence[list[int]]) -> np.ndarray:
    """:func:`_posting_pairs` of many postings at once (one gather instead of a few array calls per posting)."""
    if not postings:
        return np.zeros((0, 2), dtype=np.int64)
    flat = np.fromiter((i for members in postings for i in members), dtype=np.int64)
    firsts, seconds, start = [], [], 0
    for members in postings:
        first, second = _posting_offsets(len(members))
        firsts.append(first + start)
        seconds.append(second + start)
        start += len(members)
    return np.stack([flat[np.concatenate(firsts)], flat[np.concatenate(seconds)]], axis=1)


_OFFSETS: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _posting_offsets(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions ``(k, k + o)`` paired within a posting of ``size`` members (memoised for small postings)."""
    cached = _OFFSETS.get(size)
    if cached is None:
        reach = size - 1 if size <= SMALL_POSTING else NEIGHBOURS
        first, offset = np.meshgrid(np.arange(size), np.arange(1, reach + 1), indexing="ij")
        second = first + offset
        keep = second < size
        cached = (first[keep], second[keep])
        if size <= SMALL_POSTING:
            _OFFSETS[size] = cached
    return cached


def lsh_pairs(profiles: Sequence[Profile], seed: int) -> np.ndarray:
    """Cross-language pairs that share a random-hyperplane bucket of their embeddings."""
    embedded = [i for i, p in enumerate(profiles) if p.embedding is not None]
    if not embedded or len({profiles[i].lang for i in embedded}) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    vectors = np.stack([profiles[i].embedding for i in embedded])
    planes = np.random.default_rng(seed).standard_normal((vectors.shape[1], LSH_BITS * LSH_BANDS))
    bits = (vectors @ planes) > 0
    weights = 1 << np.arange(LSH_BITS)
    langs = [profiles[i].lang for i in embedded]
    found = []
    for band in range(LSH_BANDS):
        buckets: dict[int, list[int]] = defaultdict(list)
        for row, code in enumerate((bits[:, band * LSH_BITS : (band + 1) * LSH_BITS] @ weights).tolist()):
            buckets[code].append(row)
        for rows in buckets.values():
            if 1 < len(rows) <= MAX_BUCKET:
                found.extend((embedded[a], embedded[b]) for x, a in enumerate(rows) for b in rows[x + 1 :]
                             if langs[a] != langs[b])
    return np.array(found, dtype=np.int64).reshape(-1, 2)


@dataclass(slots=True)
class PairScores:
    """Scores of index pairs and their parts (arrays aligned with ``pairs``)."""

    pairs: np.ndarray
    lexical: np.ndarray
    embedding: np.ndarray  # NaN where either side has no embedding
    factor: np.ndarray
    gap: np.ndarray  # days (lower bound for month/day-only dates); NaN when unknown
    score: np.ndarray  # evidence × count factor × time factor
    counts: np.ndarray  # COUNT_CONFLICT where the two count the same things differently, DAY_CONFLICT where their
    # titles name other days (count_conflicts), else 1


def sparse_matrix(profiles: Sequence[Profile], field: str = "vector"):  # noqa: ANN201 - scipy.sparse.csr_matrix
    from scipy.sparse import csr_matrix

    vocabulary: defaultdict[str, int] = defaultdict(counter().__next__)  # a term's column: the order first seen
    column = vocabulary.__getitem__
    rows: list[int] = []
    cols: list[int] = []
    values: list[float] = []
    for row, profile in enumerate(profiles):
        vector = getattr(profile, field)
        rows.extend(repeat(row, len(vector)))
        cols.extend(map(column, vector))  # one C loop per profile, not a Python step per term
        values.extend(vector.values())
    return csr_matrix((values, (rows, cols)), shape=(len(profiles), max(1, len(vocabulary))), dtype=np.float64)


def score_pairs(profiles: Sequence[Profile], pairs: np.ndarray, config: Config, chunk: int = 50_000, *,
                sparse: bool = True) -> PairScores:
    """Vectorised pair scores (see the module docstring for the formula).

    ``sparse=False`` takes the cosines from the profiles' dicts: for the few pairs of one streamed article,
    building sparse matrices costs several times more than the cosines themselves (same scores, quantized).
    """
    first, second = pairs[:, 0], pairs[:, 1]
    codes = {lang: k for k, lang in enumerate(sorted({p.lang for p in profiles}))}
    langs = np.array([codes[p.lang] for p in profiles])
    cross = langs[first] != langs[second]
    if not sparse:
        lexical = np.array([ANCHOR_WEIGHT * dot(profiles[i].anchors, profiles[j].anchors) if c
                            else dot(profiles[i].vector, profiles[j].vector)
                            for i, j, c in zip(first.tolist(), second.tolist(), cross.tolist(), strict=True)],
                           dtype=np.float64).reshape(-1)
    else:
        lexical = _cosines(sparse_matrix(profiles), first, second, chunk)
        if cross.any():
            lexical[cross] = ANCHOR_WEIGHT * _cosines(sparse_matrix(profiles, "anchors"), first[cross], second[cross],
                                                      chunk)
    days = np.array([np.nan if p.day is None else p.day for p in profiles])
    ydays = np.array([np.nan if p.yday is None else p.yday for p in profiles])
    gap = np.abs(days[first] - days[second])
    partial = np.abs(ydays[first] - ydays[second])
    partial = np.minimum(partial, 365.0 - partial)
    factor = time_factor(gap, config)
    recalls = _recalls(profiles, first, second, gap, config.event_grace_days)
    factor = np.where(recalls, np.maximum(factor, config.event_recall_factor), factor)
    bounded = np.isnan(gap) & (partial > config.event_grace_days)
    factor = np.where(bounded, time_factor(partial, config), factor)
    gap = np.where(bounded, partial, gap)
    embedding = np.full(len(pairs), np.nan)
    dim = next((len(p.embedding) for p in profiles if p.embedding is not None), 0)
    if dim:
        vectors = np.stack([p.embedding if p.embedding is not None else np.full(dim, np.nan, dtype=np.float32)
                            for p in profiles])
        for lo in range(0, len(pairs), chunk // 4):
            rows = slice(lo, lo + chunk // 4)
            embedding[rows] = np.einsum("ij,ij->i", vectors[first[rows]], vectors[second[rows]])
    if cross.any():  # without an embedding (--fast, no text to embed) the names are all there is: not gated
        gate = np.clip((np.nan_to_num(embedding, nan=CROSS_GATE_HIGH) - CROSS_GATE_LOW)
                       / (CROSS_GATE_HIGH - CROSS_GATE_LOW), 0.0, 1.0)
        lexical = np.where(cross, lexical * gate, lexical)
    evidence = lexical + EMBED_WEIGHT * np.nan_to_num(np.maximum(0.0, embedding - EMBED_BASE))
    bridge = CROSS_SCALE * np.nan_to_num(embedding - CROSS_BASE, nan=0.0)
    evidence = np.where(cross, np.maximum(evidence, bridge), evidence)
    counts = _count_factors(profiles, first, second, cross)
    return PairScores(pairs, lexical, embedding, factor, gap, quantize(evidence * counts * factor), counts)


def _count_factors(profiles: Sequence[Profile], first: np.ndarray, second: np.ndarray, cross: np.ndarray
                   ) -> np.ndarray:
    """Per pair ``COUNT_CONFLICT`` where both count the same things differently (:func:`count_conflicts`), else
    1; across languages the counted words never meet, so those pairs are not looked at. ``DAY_CONFLICT`` where
    both titles name days and share none, in any languages."""
    out = np.ones(len(first))
    counting = np.array([bool(p.counts) for p in profiles], dtype=bool)
    for k in np.flatnonzero(counting[first] & counting[second] & ~cross).tolist():
        if counts_disagree(profiles[first[k]], profiles[second[k]]):
            out[k] = COUNT_CONFLICT
    dating = np.array([bool(p.title_days) for p in profiles], dtype=bool)
    for k in np.flatnonzero(dating[first] & dating[second]).tolist():
        if days_disagree(profiles[first[k]], profiles[second[k]]):
            out[k] *= DAY_CONFLICT
    return out


def _recalls(profiles: Sequence[Profile], first: np.ndarray, second: np.ndarray, gap: np.ndarray,
             grace: float) -> np.ndarray:
    """Per pair further apart than ``grace`` days, whether the later article names the earlier one's day
    (:func:`recalled_gap`): a trial report naming the shooting's date is closer to the shooting's reports than
    its publication date says."""
    out = np.zeros(len(first), dtype=bool)
    recalling = np.array([bool(p.recalls) for p in profiles], dtype=bool)
    if not recalling.any():
        return out
    # NaN gaps (undated) compare false; most articles name no earlier day
    for k in np.flatnonzero((gap > grace) & (recalling[first] | recalling[second])).tolist():
        out[k] = recalled_gap(profiles[first[k]], profiles[second[k]]) is not None
    return out


def _cosines(matrix, first: np.ndarray, second: np.ndarray, chunk: int) -> np.ndarray:  # noqa: ANN001
    out = np.zeros(len(first))
    for lo in range(0, len(first), chunk):
        rows = slice(lo, lo + chunk)
        out[rows] = np.asarray(matrix[first[rows]].multiply(matrix[second[rows]]).sum(axis=1)).ravel()
    return out


def quantize(scores: np.ndarray) -> np.ndarray:
    """Scores rounded to multiples of ``2**-SCORE_BITS`` (about 1e-9).

    Why: a cosine's last bits depend on the order of its sum (here, the vocabulary order of the profiles
    scored together), and the Spark engine scores pairs in other company than the local engine. On the grid
    both get the same scores, and sums of them (average linkage) are exact, hence independent of order.
    """
    return np.rint(np.asarray(scores, dtype=np.float64) * _SCORE_SCALE) / _SCORE_SCALE


def time_factor(gap: np.ndarray, config: Config) -> np.ndarray:
    """1 within the grace period, then exponential decay to the floor; NaN gap → the undated factor."""
    over = np.maximum(0.0, np.nan_to_num(gap) - config.event_grace_days)
    decayed = config.event_time_floor + (1.0 - config.event_time_floor) * 0.5 ** (over / config.event_decay_days)
    return np.where(np.isnan(gap), config.event_undated_factor, decayed)
