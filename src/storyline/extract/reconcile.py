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
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from storyline.config import Config
from storyline.extract.entities import merge_entities, reconcile_entities
from storyline.model import Article, Quote, annotation_digest
from storyline.store.sqlite import SQLiteStore

log = logging.getLogger(__name__)


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


def reconcile_articles(articles: Sequence[Article], digests: Mapping[str, str], config: Config) -> list[Article]:
    """Entities and mentions of ``articles`` reconciled across all of them (in place); returns the articles whose
    annotation changed since ``digests`` (article id → :func:`annotation_digest` of what is stored), with their
    quotes re-extracted. The in-memory core of :func:`reconcile_store`, shared by the Spark engine."""
    previous = {id(a): a.quotes for a in articles}
    reconcile_entities(articles)  # per-article entities (own roles and aliases) and mentions
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
