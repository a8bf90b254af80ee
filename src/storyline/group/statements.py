"""Statements: the quotes from different articles that render one utterance.

Outlets trim quotes, translate them ("position of force" / "position of strength") and split or join
sentences, so two renderings are linked when any sentence of one is close to any sentence of the other —
lexically (token containment for trimmed quotes, character n-gram Jaccard for small edits) or by the
multilingual embedding (translations; across languages also a clause of the longer against the shorter, since an
outlet may translate one clause or three words of a remark). Links are only tried inside a block: the same speaker (entity key,
else the speaker phrase), or, for a quote without a speaker, the quotes that share rare words with it; and
only between articles at most ``window_days`` apart (unknown dates do not veto). Loose translations score
below the embedding threshold, so two dated quotes that are each other's best match between their two
articles need only ``MUTUAL``; a later article that recalls old words ("who had insisted he 'never took a
cent'") links to the original months back, on lexical evidence only. Linked quotes form one statement
(union-find); its id derives from its earliest member, so adding later coverage keeps the id.

>>> ids = group_statements(quotes, {a.id: a for a in articles}, Embedder())   # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from storyline.model import Article, Quote, stable_id
from storyline.represent.embed import Embedder

WINDOW_DAYS = 4.0
CONTAINMENT = 0.8  # share of the shorter quote's content words found in the longer one
CHAR_JACCARD = 0.5
EMBEDDING = 0.72  # cosine between sentences: translations score ~0.75–0.9, same-topic remarks ~0.4–0.65
MUTUAL = 0.55  # enough when two articles' quotes are each other's best match (loose translations: 0.55–0.72)
RECALL_DAYS = 400.0  # a quote recalled later ("who had insisted he 'never took a cent'") meets its original
MIN_WORDS = 3
CLAUSE_WORDS = 4  # a clause of a quoted sentence is embedded on its own from this many words
SHORT_WORDS = 3  # a quote this short is compared by meaning only with another language's (see _comparable)
_CLAUSE = re.compile(r",?\s+(?:but|and|while|whereas|но|а|и|однако)\s+|;\s+|:\s+", re.IGNORECASE)
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
MAX_UNDATED_BLOCK = 200  # above this, an undated quote is compared only with quotes sharing rare words
_STOP = frozenset({
    "the", "a", "an", "of", "to", "in", "on", "and", "or", "is", "are", "was", "were", "be", "it", "that", "this",
    "for", "with", "as", "at", "by", "from", "we", "i", "you", "he", "she", "they", "not", "no", "will", "would", "can",
})


@dataclass(slots=True)
class _Item:
    quote: Quote
    block: str | None
    date: datetime | None
    words: frozenset[str]
    sentences: list[str]
    grams: frozenset[str]
    recalled: bool = False  # the article recalls an earlier utterance ("had insisted", "said in February")
    rows: tuple[int, int] = (0, 0)  # rows of this quote's sentences (then the whole quote) in the embedding matrix
    clauses: tuple[int, int] = (0, 0)  # rows of its sentences' clauses, embedded when another language's quote
    # might render one of them alone
    cyrillic: bool = False  # the quote's script: pairs across scripts are compared clause by clause too


def group_statements(quotes: Sequence[Quote], articles: Mapping[str, Article],
                     embedder: Embedder | None = None, *, window_days: float = WINDOW_DAYS) -> dict[str, str]:
    """``quote.id`` → statement id for every quote (a quote alone is a statement of one)."""
    items = [_item(q, articles.get(q.article_id)) for q in sorted(quotes, key=lambda q: q.id)]
    parent = list(range(len(items)))
    speaker = [item.block for item in items]  # per root: a statement never mixes two known speakers

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def link(i: int, j: int, test: Callable[[_Item, _Item], bool]) -> bool:
        root_i, root_j = find(i), find(j)
        if root_i == root_j or (speaker[root_i] and speaker[root_j] and speaker[root_i] != speaker[root_j]):
            return True
        if not test(items[i], items[j]):
            return False
        low, high = min(root_i, root_j), max(root_i, root_j)
        parent[high] = low
        speaker[low] = speaker[low] or speaker[high]
        return True

    # lexical links first; only pairs still open are embedded (USE costs ~20 ms a sentence on a small CPU)
    pairs, recalled = _candidate_pairs(items, window_days)
    open_pairs = [(i, j) for i, j in sorted(pairs) if not link(i, j, _lexically_same)]
    open_pairs = [(i, j) for i, j in open_pairs if _comparable(items[i], items[j]) and (i, j) not in recalled]
    clausal = {k for i, j in open_pairs if items[i].cyrillic != items[j].cyrillic for k in (i, j)}
    vectors = _embed(items, sorted({k for pair in open_pairs for k in pair}), embedder, clausal)
    if vectors is not None:
        similarity = {(i, j): _similarity(items[i], items[j], vectors) for i, j in open_pairs}
        best = _best_partners(items, similarity)
        for (i, j), value in sorted(similarity.items(), key=lambda kv: (-kv[1], kv[0])):
            mutual = (best.get((i, items[j].quote.article_id)) == j and best.get((j, items[i].quote.article_id)) == i
                      and items[i].date is not None and items[j].date is not None)  # undated: time cannot agree
            link(i, j, lambda a, b, v=value, m=mutual: v >= EMBEDDING or (m and v >= MUTUAL))
    groups: dict[int, list[int]] = defaultdict(list)
    for index in range(len(items)):
        groups[find(index)].append(index)
    out: dict[str, str] = {}
    for members in groups.values():
        first = min(members, key=lambda m: (_date_key(items[m].date), items[m].quote.article_id, items[m].quote.start))
        statement = stable_id("st", items[first].quote.id)
        for member in members:
            out[items[member].quote.id] = statement
    return out


def _item(quote: Quote, article: Article | None) -> _Item:
    block = quote.speaker or (f"name:{quote.speaker_name.lower()}" if quote.speaker_name else None)
    # short sentences ("This is impossible.") match too many remarks to carry a link on their own
    sentences = [s for s in re.split(r"(?<=[.!?…])\s+|\s+[—–]\s+", quote.text) if len(_words(s)) >= 5]
    sentences = sentences or [quote.text]
    return _Item(quote, block, article.published if article else None, frozenset(_words(quote.text)), sentences,
                 frozenset(_grams(quote.text, 4)), recalls(quote, article),
                 cyrillic=bool(_CYRILLIC.search(quote.text)))


_RECALL = re.compile(
    r"\b(?:had|has\s+(?:long|repeatedly|always)|have\s+(?:long|repeatedly|always))\s+(?:\w+\s+)?"
    r"(?:said|insisted|told|claimed|maintained|argued|denied|stated|promised|vowed|warned|called)\b"
    r"|\b(?:ранее|прежде)\b|\bнастаивал\w*\b", re.IGNORECASE)


def recalls(quote: Quote, article: Article | None) -> bool:
    """The article quotes someone's earlier words: "Valiukas, who had insisted … that he 'never took a cent'"."""
    if article is None or not article.body:
        return False
    start = max(article.body.rfind(". ", 0, quote.start), article.body.rfind("\n", 0, quote.start)) + 1
    return bool(_RECALL.search(article.body[start:quote.start]))


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"\w+", text.lower()) if len(w) > 1]


def _date_key(value: datetime | None) -> datetime:
    return value or datetime.max


def _comparable(a: _Item, b: _Item) -> bool:
    """Worth comparing by meaning: translations matter for named speakers (generic ones, "police", are linked
    lexically only); a three-word quote («хорошим первым шагом») only against another language, where words
    cannot match it — in its own, three words by one speaker match too many of their remarks."""
    if not (a.quote.speaker and b.quote.speaker):
        return False
    shortest = min(len(a.words), len(b.words))
    return shortest > SHORT_WORDS or (shortest == SHORT_WORDS and a.cyrillic != b.cyrillic)


def _embed(items: list[_Item], wanted: list[int], embedder: Embedder | None, clausal: set[int]) -> np.ndarray | None:
    if embedder is None or not wanted:
        return None
    texts: list[str] = []
    for index in wanted:
        item = items[index]
        rows = item.sentences if item.sentences == [item.quote.text] else [*item.sentences, item.quote.text]
        item.rows = (len(texts), len(texts) + len(rows))
        texts.extend(rows)
        clauses = [c for s in item.sentences for c in (_CLAUSE.split(s) if _CLAUSE.search(s) else ())
                   if len(_words(c)) >= CLAUSE_WORDS] if index in clausal else []
        item.clauses = (len(texts), len(texts) + len(clauses))
        texts.extend(clauses)
    return embedder.encode(texts)


def _candidate_pairs(items: list[_Item], window_days: float) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """Pairs worth comparing: same speaker block within the time window; unknown speakers via rare words.

    Also returned apart: pairs beyond the window where the later article recalls the earlier words; those
    link on lexical evidence only (a repeated line months later is otherwise a new statement).
    """
    pairs: set[tuple[int, int]] = set()
    recalled: set[tuple[int, int]] = set()
    blocks: dict[str, list[int]] = defaultdict(list)
    for index, item in enumerate(items):
        if item.block:
            blocks[item.block].append(index)
    for members in blocks.values():
        dated = sorted((m for m in members if items[m].date), key=lambda m: items[m].date)
        undated = [m for m in members if not items[m].date]
        for position, i in enumerate(dated):
            for j in dated[position + 1:]:
                gap = (items[j].date - items[i].date).total_seconds()
                if gap > window_days * 86400:
                    if items[j].recalled and gap <= RECALL_DAYS * 86400:
                        recalled.add((min(i, j), max(i, j)))
                    continue
                pairs.add((min(i, j), max(i, j)))
        if len(members) <= MAX_UNDATED_BLOCK:  # undated quotes meet the whole (small) block; big blocks use words
            for i in undated:
                for j in members:
                    if i != j:
                        pairs.add((min(i, j), max(i, j)))
    index_by_word: dict[str, list[int]] = defaultdict(list)
    for index, item in enumerate(items):
        for word in item.words - _STOP:
            index_by_word[word].append(index)
    for index, item in enumerate(items):
        if item.block and (item.date or len(blocks[item.block]) <= MAX_UNDATED_BLOCK):
            continue
        shared: dict[int, int] = defaultdict(int)
        for word in item.words - _STOP:
            postings = index_by_word[word]
            if len(postings) <= 50:
                for other in postings:
                    if other != index:
                        shared[other] += 1
        for other, count in shared.items():
            if count >= 2 and _within(items[index].date, items[other].date, window_days):
                pairs.add((min(index, other), max(index, other)))
    def apart(pair: tuple[int, int]) -> bool:
        return items[pair[0]].quote.article_id != items[pair[1]].quote.article_id

    recalled = {pair for pair in recalled if apart(pair)}
    return {pair for pair in pairs if apart(pair)} | recalled, recalled


def _within(a: datetime | None, b: datetime | None, window_days: float) -> bool:
    return a is None or b is None or abs((a - b).total_seconds()) <= window_days * 86400


def _lexically_same(a: _Item, b: _Item) -> bool:
    """A trimmed copy (content-word containment) or a lightly edited one (character 4-gram Jaccard)."""
    shorter, longer = sorted((a.words - _STOP, b.words - _STOP), key=len)
    if len(shorter) >= MIN_WORDS and len(shorter & longer) / len(shorter) >= CONTAINMENT:
        return True
    return bool(a.grams and b.grams) and len(a.grams & b.grams) / len(a.grams | b.grams) >= CHAR_JACCARD


def _similarity(a: _Item, b: _Item, vectors: np.ndarray) -> float:
    """Closest pair of sentences (or whole quotes): a translation or a paraphrase scores high. Across languages
    also a clause of the longer quote against the shorter one: an outlet may translate one clause alone
    ("обвинение вызовет 46 свидетелей": 0.49 against "the prosecution would call 46 witnesses and present records
    of …", 0.85 against its first clause); never clause against clause, which chained one speaker's remarks."""
    left = vectors[a.rows[0]:a.rows[1]]
    right = vectors[b.rows[0]:b.rows[1]]
    best = float((left @ right.T).max())
    if a.cyrillic != b.cyrillic:
        shorter, longer = sorted((a, b), key=lambda item: len(item.words))
        clauses = vectors[longer.clauses[0]:longer.clauses[1]]
        if len(clauses):
            best = max(best, float((clauses @ vectors[shorter.rows[0]:shorter.rows[1]].T).max()))
    return best


def _best_partners(items: list[_Item], similarity: dict[tuple[int, int], float]) -> dict[tuple[int, str], int]:
    """(quote, other article) → that article's quote most similar to it (ties: the lower index)."""
    best: dict[tuple[int, str], tuple[float, int]] = {}
    for (i, j), value in similarity.items():
        for me, other in ((i, j), (j, i)):
            slot = (me, items[other].quote.article_id)
            if slot not in best or (-value, other) < (-best[slot][0], best[slot][1]):
                best[slot] = (value, other)
    return {slot: other for slot, (_, other) in best.items()}


def _grams(text: str, n: int) -> set[str]:
    flat = re.sub(r"\W+", " ", text.lower()).strip()
    return {flat[i:i + n] for i in range(len(flat) - n + 1)}


def join_statements(new: Sequence[Quote], stored: Sequence[Quote], articles: Mapping[str, Article],
                    embedder: Embedder | None = None, *, window_days: float = WINDOW_DAYS
                    ) -> tuple[dict[str, str], dict[str, str]]:
    """Statement ids for ``new`` quotes (and stored ones that have none) given ``stored`` quotes they may render
    (the incremental path), and the stored statements the new quotes show to be one.

    The quotes are grouped together as :func:`group_statements` groups them; a new quote whose statement holds
    stored quotes takes the id of the earliest of them (a statement's id stays what readers have seen),
    otherwise the id of its statement's earliest new quote — the id a regroup gives it. A new quote that joins
    quotes of two stored statements (a translation that renders both trims of one remark) makes them one, as a
    regroup would: the second mapping is absorbed statement id → kept id (that of the earliest quote); the
    caller re-keys every quote of an absorbed statement, stored or not.

    >>> join_statements([], [], {})
    ({}, {})
    """
    known = {q.id: q for q in stored if q.statement_id}
    grouped = group_statements([*new, *stored], articles, embedder, window_days=window_days)
    members: dict[str, list[str]] = defaultdict(list)
    for quote_id, statement in grouped.items():
        members[statement].append(quote_id)

    def first(quote: Quote) -> tuple[datetime, str, int]:
        article = articles.get(quote.article_id)
        return _date_key(article.published if article else None), quote.article_id, quote.start

    # stored statements a new quote bridges: one component each, kept under its earliest quote's id
    parent: dict[str, str] = {}

    def find(statement: str) -> str:
        while parent.setdefault(statement, statement) != statement:
            statement = parent[statement]
        return statement

    bridges = [statements for group in sorted({grouped[q.id] for q in new})
               if len(statements := sorted({known[q].statement_id for q in members[group] if q in known})) > 1]  # type: ignore[misc]
    earliest: dict[str, tuple[datetime, str, int]] = {}  # of the bridged statements only (usually none)
    bridged = {statement for statements in bridges for statement in statements}
    for quote in known.values():
        if quote.statement_id in bridged:
            when = first(quote)
            earliest[quote.statement_id] = min(earliest.get(quote.statement_id, when), when)  # type: ignore[index]
    for statements in bridges:
        for other in statements[1:]:
            a, b = find(statements[0]), find(other)
            if a != b:
                a, b = sorted((a, b), key=earliest.__getitem__)
                parent[b] = a
    merged = {statement: find(statement) for statement in sorted(parent) if find(statement) != statement}

    out: dict[str, str] = {}
    for quote in [*new, *(q for q in stored if not q.statement_id)]:  # stored without one: an older stream's
        earlier = [known[q] for q in members[grouped[quote.id]] if q in known]
        out[quote.id] = find(min(earlier, key=first).statement_id) if earlier else grouped[quote.id]  # type: ignore[arg-type]
    return out, merged
