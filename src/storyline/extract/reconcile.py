"""Store-wide name reconciliation, so that entity keys and quote speakers never depend on the batches.

At ingest :meth:`~storyline.extract.entities.EntityRecognizer.annotate` is a pure function of each article
and keeps its raw NER finds (the ``ner_names`` table). :func:`reconcile_store`, called by
:func:`storyline.pipeline.regroup` before grouping, reconciles the finds of every stored article at once
(:func:`~storyline.extract.entities.reconcile_entities`, in id order): "Peskov" alone takes the full name
seen in any article, spellings and kinds are joined by majority. Only articles whose entities or mentions
changed (a digest per article says which) get their quotes re-extracted; their mentions, quotes and the
merged entity rows are written in one transaction, and the in-memory articles of the regroup are left as
the store now holds them. The same input therefore gives the same keys, speakers and events whatever the
batch size, file order or number of workers.

The incremental path (``storyline ingest --incremental``) cannot afford the whole store per batch: a
:class:`NameReconciler` reconciles each batch's names together with :data:`NEIGHBOURS` stored articles per
stored name they may join (found through a :class:`~storyline.extract.entities.NameIndex`), so that
"Андрис Калниньш" arriving in a Russian article takes the key the English coverage already gave
"Andris Kalnins", a lone "Peskov" the stored "Dmitry Peskov", and inflected forms one key. Stored articles
whose names change with it are rewritten too. It is close to the store-wide result, not equal (a name joined
only through articles outside the sample stays apart); the next regroup makes it exact.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from storyline.config import Config
from storyline.extract.entities import (
    NameIndex,
    entity_key,
    known_abbreviations,
    may_abbreviate,
    merge_entities,
    reconcile_entities,
)
from storyline.model import Article, Quote, annotation_digest
from storyline.store.sqlite import SQLiteStore

log = logging.getLogger(__name__)

#: Stored articles per stored name a batch's name may join, pulled into the batch's reconciliation. Enough to
#: carry the stored spelling and kind (the majority of a sample of its articles); each costs ~1 ms.
NEIGHBOURS = 4


def reconcile_store(store: SQLiteStore, articles: Sequence[Article], config: Config) -> int:
    """Reconcile entity names over all stored ``articles`` and write what changed; returns how many changed.

    ``articles`` are every stored article as :meth:`SQLiteStore.iter_articles` returns them; they are
    updated in place (mentions, entities, quotes). Articles stored without NER finds (``--fast``, an
    unsupported language, a store older than schema 4) keep their annotations.
    """
    stored = store.ner_names()
    corpus = [a for a in articles if a.id in stored]
    if not corpus:
        return 0
    for article in corpus:
        article.ner_names = stored[article.id][0]
    changed = reconcile_articles(corpus, {a.id: stored[a.id][1] for a in corpus}, config)
    rows = merge_entities(e for a in corpus for e in a.entities)
    store.rewrite_annotations(changed, rows)
    by_key = {e.key: e for e in rows}
    for article in corpus:  # as iter_articles would now read it: the merged rows of the keys it mentions
        article.entities = [by_key[k] for k in sorted({m.entity_key for m in article.mentions}) if k in by_key]
    return len(changed)


def reconcile_articles(articles: Sequence[Article], digests: Mapping[str, str], config: Config, *,
                       known: Mapping[str, tuple[str, str]] | None = None) -> list[Article]:
    """Entities and mentions of ``articles`` reconciled across all of them (in place); returns the articles whose
    annotation changed since ``digests`` (article id → :func:`annotation_digest` of what is stored), with their
    quotes re-extracted. The in-memory core of :func:`reconcile_store`, shared by the Spark engine; ``known``:
    abbreviations the store has resolved (:func:`~storyline.extract.entities.known_abbreviations`)."""
    previous = {id(a): a.quotes for a in articles}
    reconcile_entities(articles, known)  # per-article entities (own roles and aliases) and mentions
    changed = [a for a in articles if a.ner_names is not None
               and annotation_digest(a.entities, a.mentions) != digests.get(a.id)]
    if config.extract_quotes:
        for article in changed:
            article.quotes = _requoted(article, previous[id(article)])
    return changed


def _requoted(article: Article, previous: list[Quote]) -> list[Quote]:
    """Quotes with speakers from the reconciled names; statement ids carried over until regroup sets them."""
    from storyline.extract.quotes import extract_quotes

    try:
        quotes = extract_quotes(article)
    except Exception as exc:  # noqa: BLE001 - keep the quotes found at ingest rather than fail the regroup
        log.warning("%s: quotes kept as ingested: %s: %s", article.id, type(exc).__name__, exc)
        return previous
    statement_of = {q.id: q.statement_id for q in previous}
    for quote in quotes:
        quote.statement_id = statement_of.get(quote.id)
    return quotes


class NameReconciler:
    """Reconciles the names of each new batch with the store's (the incremental path, see the module docstring).

    >>> reconciler = NameReconciler(store, config)            # doctest: +SKIP
    >>> reconciler.reconcile(batch)  # stored articles; call inside the batch's transaction  # doctest: +SKIP
    """

    def __init__(self, store: SQLiteStore, config: Config, *, neighbours: int = NEIGHBOURS) -> None:
        self.store = store
        self.config = config
        self.neighbours = neighbours
        self._index: NameIndex | None = None  # built on first use: a --fast store has no names

    @property
    def index(self) -> NameIndex:
        if self._index is None:
            self._index = NameIndex(self.store.entity_keys())
        return self._index

    def reconcile(self, articles: Sequence[Article]) -> list[Article]:
        """Reconcile the names of stored ``articles`` (with text) with the store's; rewrite what changed, update
        the given articles in place; returns the stored articles (given or neighbours) whose names changed."""
        stored = self.store.ner_names(a.id for a in articles)
        batch = [a for a in articles if a.id in stored]
        if not batch:
            return []
        for article in batch:
            article.ner_names = stored[article.id][0]
        own = {a.id for a in batch}
        sought: set[str] = set()
        for kind, name in sorted({(raw[0], raw[1]) for a in batch for raw in a.ner_names or ()}):
            found = self.index.query(kind, name)
            if found - {entity_key("PER" if kind == "SURNAME" else kind, name)}:  # a stored name it may join
                sought |= found
        neighbour_ids = self.store.articles_mentioning(sought, per_key=self.neighbours, exclude=own)
        stored.update(self.store.ner_names(neighbour_ids))
        neighbours = [a for a in self.store.iter_articles(neighbour_ids) if a.id in stored]
        for article in neighbours:
            article.ner_names = stored[article.id][0]
        corpus = [*batch, *neighbours]
        previous = {m.entity_key for a in corpus for m in a.mentions}
        # an abbreviation keeps the name the store resolved it to, though no article here spells it out
        known = known_abbreviations(self.store.entities(k for k in previous | sought if may_abbreviate(k)))
        changed = reconcile_articles(corpus, {a.id: stored[a.id][1] for a in corpus}, self.config, known=known)
        if changed:
            for key in self.store.update_annotations(changed, previous):
                self.index.remove(key)
        for article in corpus:
            for entity in article.entities:
                self.index.insert(entity.key)
        return changed
