"""Cheap lexical features for event grouping: stemmed words, capitalised names, numbers.

Events are about *who, what, where, when*. Capitalised words in running text are names of people,
places and organisations, the words that tell two shootings apart; they get their own ``n:``
feature besides the plain word, and adjacent names make a ``n:first_last`` pair. This works without
the NER stage (``--fast``) and in both English and Russian; entities found by NER are added on top.

Stemming is deliberately crude (suffix stripping for English, truncation for Russian): it only
has to make "Peskov"/"Peskov's" and "Пескова"/"Песков" meet, and it costs nothing.

>>> sorted(article_terms("Gunman kills two in Bastrop", "Police said John Smith, 21, fired.")) [:4]
['#21', 'bastrop', 'fir', 'gunman']
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from storyline.model import Article

_WORD = re.compile(r"[^\W_]+(?:['’][^\W\d_]+)?|[.!?]", re.UNICODE)
_CYRILLIC = re.compile(r"[а-яё]")
_POSSESSIVE = re.compile(r"['’]s$")
# a Russian case or number ending, longest first, after at least three letters (for listing words, not grouping)
_RUSSIAN_ENDING = re.compile(r"(?<=[а-яё]{3})(?:ями|ами|ого|его|ому|ему|ыми|ими|ией|ой|ей|ий|ый|ая|яя|ое|ее|ые|ие|ую|"
                             r"юю|ым|им|ых|их|ом|ем|ам|ям|ах|ях|ов|ев|ия|ии|ию|ье|ью|ья|а|я|у|ю|е|ы|и|о|ь)$")

TITLE_WEIGHT = 3.0
LEAD_WEIGHT = 2.0
NAME_WEIGHT = 1.5
PAIR_WEIGHT = 1.5
NUMBER_WEIGHT = 1.0
YEAR_WEIGHT = 2.0  # a year in the text is a 'when' even without a publication date
ENTITY_WEIGHT = 2.0
LEAD_CHARS = 600
BODY_CHARS = 4000

STOPWORDS = frozenset(
    ["a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "me", "more", "most", "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "out", "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself", "said", "says", "say", "told", "according", "one", "two", "new", "news", "year", "years", "day", "days", "time", "week", "last", "first", "may", "like", "get", "got", "us", "mr", "mrs", "ms", "via", "per", "since", "around", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "today", "yesterday", "tonight", "morning", "evening", "night", "january", "february", "march", "april", "june", "july", "august", "september", "october", "november", "december", "и", "в", "во", "не", "что", "он", "на", "я", "с", "со", "как", "а", "то", "все", "она", "так", "его", "но", "да", "ты", "к", "у", "же", "вы", "за", "бы", "по", "только", "ее", "мне", "было", "вот", "от", "меня", "еще", "нет", "о", "из", "ему", "теперь", "когда", "даже", "ну", "вдруг", "ли", "если", "уже", "или", "ни", "быть", "был", "него", "до", "вас", "нибудь", "опять", "уж", "вам", "ведь", "там", "потом", "себя", "ничего", "ей", "может", "они", "тут", "где", "есть", "надо", "ней", "для", "мы", "тебя", "их", "чем", "была", "сам", "чтобы", "без", "будто", "чего", "раз", "тоже", "себе", "под", "будет", "ж", "тогда", "кто", "этот", "того", "потому", "этого", "какой", "совсем", "ним", "здесь", "этом", "один", "почти", "мой", "тем", "чтобы", "нее", "сейчас", "были", "куда", "зачем", "всех", "никогда", "можно", "при", "наконец", "два", "об", "другой", "хоть", "после", "над", "больше", "тот", "через", "эти", "нас", "про", "всего", "них", "какая", "много", "разве", "три", "эту", "моя", "впрочем", "хорошо", "свою", "этой", "перед", "иногда", "лучше", "чуть", "том", "нельзя", "такой", "им", "более", "всегда", "конечно", "всю", "между", "это", "также", "заявил", "сообщил", "года", "году", "лет"]
)


@lru_cache(maxsize=262_144)
def stem(word: str) -> str:
    """A lower-cased, crudely stemmed form: enough to join inflections, never a linguistic claim."""
    if _CYRILLIC.search(word):
        return word[:6] if len(word) > 6 else word
    if len(word) <= 4:
        return word
    for suffix, keep in (("'s", 0), ("’s", 0), ("ies", 1), ("ing", 0), ("ed", 0), ("es", 0), ("s", 0)):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + ("y" if keep else "")
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def text_terms(text: str, weight: float, out: Counter[str]) -> None:
    """Add the weighted features of ``text`` to ``out``: words, names, name pairs, numbers."""
    # hot in story linking: local names, weights multiplied once, ``get`` instead of Counter's ``__missing__``
    get, stop, stem_ = out.get, STOPWORDS, stem
    number_weight, year_weight = weight * NUMBER_WEIGHT, weight * YEAR_WEIGHT
    name_weight, pair_weight = weight * NAME_WEIGHT, weight * PAIR_WEIGHT
    previous_name: str | None = None
    sentence_start = True
    for token in _WORD.findall(text):
        if token in ".!?":
            sentence_start, previous_name = True, None
            continue
        lower = token.lower()
        if lower[0].isdigit():
            if lower.isdigit() and len(lower) <= 6:
                key = f"#{lower}"
                out[key] = get(key, 0) + number_weight
                if len(lower) == 4 and lower[:2] in ("19", "20"):
                    key = f"y:{lower}"
                    out[key] = get(key, 0) + year_weight
            previous_name = None
            sentence_start = False
            continue
        if lower in stop or len(lower) < 2:
            previous_name = None
            sentence_start = False
            continue
        stemmed = stem_(lower)
        out[stemmed] = get(stemmed, 0) + weight
        upper = token.isupper()
        if token[0].isupper() and not sentence_start and not upper or upper and len(token) > 2:
            key = f"n:{stemmed}"
            out[key] = get(key, 0) + name_weight
            if previous_name is not None:
                key = f"n:{previous_name}_{stemmed}"
                out[key] = get(key, 0) + pair_weight
            previous_name = stemmed
        else:
            previous_name = None
        sentence_start = False


def surface_forms(features: Iterable[str], text: str) -> list[str]:
    """Stemmed terms and names as ``text`` writes them, for people to read ("internationally recognis" →
    "internationally recognised", "ins sukanya" → "INS Sukanya"): each word takes the first word of ``text`` with
    its stem; a word the text lacks stays as it is."""
    written: dict[str, str] = {}
    for token in _WORD.findall(text):
        if token[0].isalpha():
            token = _POSSESSIVE.sub("", token)  # "Sokolova's" is written "Sokolova"
            written.setdefault(stem(token.lower()), token)
    return [" ".join(written.get(part, part) for part in feature.split()) for feature in features]


def word_family(form: str) -> str:
    """What the inflections of ``form`` have in common, to compare words as a reader would ("Нарве" → "нарв")."""
    return " ".join(_RUSSIAN_ENDING.sub("", word) for word in form.casefold().split())


def one_per_word(forms: Iterable[str]) -> list[str]:
    """``forms`` with each word listed once, in its first form: "Нарва", "Нарве", "Нарву" → "Нарва".

    The grouping's stems leave short Russian words whole (truncation only joins long ones), so a text's
    inflections of one name are separate features that both articles share; a reader wants the name once.

    >>> one_per_word(["Нарва", "Нарве", "Каск", "Каска", "Соколова", "Narva"])
    ['Нарва', 'Каск', 'Соколова', 'Narva']
    """
    seen: set[str] = set()
    out = []
    for form in forms:
        family = word_family(form)
        if family not in seen:
            seen.add(family)
            out.append(form)
    return out


def article_terms(title: str, body: str, entity_keys: list[str] | None = None) -> Counter[str]:
    """Weighted term counts of one article: title and lead count more, the body tail is cut."""
    out: Counter[str] = Counter()
    text_terms(title, TITLE_WEIGHT, out)
    text_terms(body[:LEAD_CHARS], LEAD_WEIGHT, out)
    text_terms(body[LEAD_CHARS:BODY_CHARS], 1.0, out)
    for key in entity_keys or ():
        out[f"e:{key}"] += ENTITY_WEIGHT
    return out


_ABBREVIATIONS = frozenset(
    ["st", "mt", "ft", "dr", "mr", "mrs", "ms", "jr", "sr", "lt", "sgt", "gen", "col", "capt", "cpl", "gov", "sen", "rep", "rev", "prof", "no", "vs", "inc", "co", "corp", "ave", "rd", "blvd", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "u.s"]
)


def is_title_case(text: str) -> bool:
    """Headline Case ("Woman Arrested In Deadly Rampage"): capitals there say nothing about names."""
    words = [w for w in re.findall(r"[^\W\d_]+", text) if len(w) > 3]
    return len(words) >= 3 and sum(1 for w in words if w[0].isupper()) >= 0.7 * len(words)


def scan_terms(text: str, weight: float, out: Counter[str], *, names: bool = True) -> None:
    """:func:`text_terms` for event grouping: "St. Louis" does not end a sentence, and ``names=False`` skips
    the name features (for Headline Case titles, where every word is capitalised)."""
    get, stop, stem_, abbreviations = out.get, STOPWORDS, stem, _ABBREVIATIONS
    number_weight, year_weight = weight * NUMBER_WEIGHT, weight * YEAR_WEIGHT
    name_weight, pair_weight = weight * NAME_WEIGHT, weight * PAIR_WEIGHT
    previous_name: str | None = None
    previous_token = ""
    sentence_start = True
    for token in _WORD.findall(text):
        if token in ".!?":
            if not (token == "." and previous_token.lower() in abbreviations):
                sentence_start, previous_name = True, None
            previous_token = token
            continue
        previous_token = token
        lower = token.lower()
        if lower[0].isdigit():
            if lower.isdigit() and len(lower) <= 10:
                key = f"#{lower}"
                out[key] = get(key, 0) + number_weight
                if len(lower) == 4 and lower[:2] in ("19", "20"):
                    key = f"y:{lower}"
                    out[key] = get(key, 0) + year_weight
            previous_name, sentence_start = None, False
            continue
        if lower in stop or len(lower) < 2:
            previous_name, sentence_start = None, False
            continue
        stemmed = stem_(lower)
        out[stemmed] = get(stemmed, 0) + weight
        upper = token.isupper()
        if names and (token[0].isupper() and not sentence_start and not upper or upper and len(token) > 2):
            key = f"n:{stemmed}"
            out[key] = get(key, 0) + name_weight
            if previous_name is not None:
                key = f"n:{previous_name}_{stemmed}"
                out[key] = get(key, 0) + pair_weight
            previous_name = stemmed
        else:
            previous_name = None
        sentence_start = False


_THOUSANDS = re.compile(r"(?<=\d)[,\u00a0\u202f ](?=\d{3}\b)")
_SCALED = re.compile(
    r"\b(\d+)(?:[.,](\d{1,2}))?\s*(thousand|million|billion|тыс\.?|тысяч[аи]?|млн\.?|миллион(?:а|ов)?|"
    r"млрд\.?|миллиард(?:а|ов)?)(?!\w)", re.IGNORECASE)
_SCALE = {"th": 3, "ты": 3, "mi": 6, "мл": 6, "ми": 6, "bi": 9}


def _unscale(match: re.Match[str]) -> str:
    """"195 тыс." and "1.2 million" as plain digits, so figures meet across languages."""
    word = match.group(3).lower()
    exponent = 9 if word.startswith(("bi", "млрд", "миллиард")) else _SCALE.get(word[:2], 0)
    whole, fraction = match.group(1), (match.group(2) or "")
    return str(int(whole + fraction.ljust(2, "0")) * 10 ** exponent // 100) if exponent else match.group(0)


def event_terms(title: str, body: str, entity_keys: list[str] | None = None) -> Counter[str]:
    """Weighted term counts for event grouping (title and lead weigh more; see :func:`scan_terms`).

    Thousands separators are dropped and scale words applied first, so "1,200" and "1 200", "195,000" and
    "195 тыс.", "2.5 million" and "2,5 млн" meet.
    """
    title, body = (_SCALED.sub(_unscale, _THOUSANDS.sub("", text)) for text in (title, body))
    out: Counter[str] = Counter()
    scan_terms(title, TITLE_WEIGHT, out, names=not is_title_case(title))
    scan_terms(body[:LEAD_CHARS], LEAD_WEIGHT, out)
    scan_terms(body[LEAD_CHARS:BODY_CHARS], 1.0, out)
    for key in entity_keys or ():
        out[f"e:{key}"] += ENTITY_WEIGHT
    return out


def terms_of(article: Article) -> Counter[str]:
    """:func:`article_terms` of an :class:`Article`, with its NER entities when the NER stage ran."""
    keys = sorted({m.entity_key for m in article.mentions} | {e.key for e in article.entities})
    return article_terms(article.title or "", article.body or "", keys)
