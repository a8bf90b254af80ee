"""The Python API: a corpus backed by a store, with collection verbs.

>>> from storyline import Corpus
>>> with Corpus(":memory:", fast=True) as corpus:                       # doctest: +SKIP
...     corpus.add_records([{"id": "a1", "title": "Flood in Riga", "text": "…", "date": "2024-03-01"}])
...     [e.title for e in corpus.events()]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from storyline.config import Config
from storyline.ingest.records import field_keys, record_to_document
from storyline.model import Article, Event, Quote, Story
from storyline.pipeline import (
    Models,
    RunSummary,
    ingest_incremental,
    ingest_paths,
    ingest_stream,
    regroup,
)
from storyline.store.sqlite import EventFilters, EventQuery, SQLiteStore


class Corpus:
    """Articles, events and stories in one store. ``db`` is a path or ``":memory:"``.

    Adding articles regroups the whole store, so events and stories are always current and do not
    depend on the order things were added in. With ``incremental=True`` only the new articles are assigned, as
    ``storyline ingest --incremental`` does: stored events keep their ids and members and the cost of an add does
    not grow with the store — what a stream into a big store needs; stories are then linked again over the stored
    events (one pass over the store: about 6 s at 10k articles) unless ``stories=False``.
    """

    def __init__(self, db: str | Path = ":memory:", config: Config | None = None, **options: Any) -> None:
        self.config = config.with_(**options) if config else Config.load(None, **options)
        self.store = SQLiteStore(db)
        self._models = Models(self.config)

    def add_paths(self, paths: Iterable[str | Path], *, incremental: bool = False, stories: bool = True) -> RunSummary:
        """Ingest files or folders (any supported format) and regroup (or, ``incremental``, assign only them)."""
        if incremental:
            return ingest_incremental(paths, self.store, self.config, models=self._models, stories=stories)
        summary = ingest_paths(paths, self.store, self.config, models=self._models)
        return regroup(self.store, self.config, models=self._models, summary=summary)

    def add_records(self, records: Iterable[Mapping[str, Any]], *, incremental: bool = False,
                    stories: bool = True) -> RunSummary:
        """Ingest dicts as a JSON lines file would be read: ``id``, ``title``, ``text`` and optional ``date``,
        ``url``, ``outlet``, ``lang``, or their usual other names (``maintext``, ``publishedAt``, ``source.name``…,
        :data:`storyline.ingest.RECORD_FIELDS`, plus the config's ``record_fields``). A record that cannot be read
        is in the summary's ``rejects`` (origin ``api``, its position as the line), the others are stored.
        ``incremental`` and ``stories``: see the class."""
        keys = field_keys(self.config.record_fields)
        docs = (record_to_document(dict(r) if isinstance(r, Mapping) else r, origin="api", line=i,
                                   default_id=f"record-{i}", encoding=None, keys=keys)
                for i, r in enumerate(records, start=1))
        if incremental:
            return ingest_incremental((), self.store, self.config, models=self._models, documents=docs,
                                      stories=stories)
        summary = ingest_stream(docs, self.store, self.config, models=self._models)
        return regroup(self.store, self.config, models=self._models, summary=summary)

    def articles(self) -> list[Article]:
        return list(self.store.iter_articles())

    def events(self, *, since: str | None = None, until: str | None = None, outlets: Iterable[str] = (),
               lang: str | None = None, entity: str | None = None, min_articles: int = 1, min_outlets: int = 1,
               order: str = "oldest") -> list[Event]:
        """Events, oldest first, with the filters of ``storyline events`` (:class:`EventFilters`): ``since`` and
        ``until`` as YYYY-MM-DD, ``outlets`` by name, part of one or domain, ``lang``, ``entity`` (a name in either
        language), sizes; ``order`` also ``newest``, ``articles``, ``outlets``."""
        filters = EventFilters(since, until, tuple(outlets), min_articles, min_outlets, lang, entity)
        return list(self.store.iter_events(EventQuery(self.store.conn, filters).ids(order)))

    def search(self, query: str, *, page: int = 1) -> list[dict[str, Any]]:
        """Full-text search over titles, bodies and quotes, as ``storyline search`` and the web app do: the page's
        hits (``kind`` article or quote, ``article_id``, ``event_id``, ``title``, ``outlet``, ``published``, snippets
        with the matched words between ``\\x02`` and ``\\x03``). A malformed query raises
        :class:`~storyline.web.search.SearchSyntaxError` (a ``ValueError``) saying how to fix it."""
        from storyline.web.search import search

        return search(self.store.conn, query, page=page)["items"]

    def stories(self) -> list[Story]:
        return self.store.stories()

    def quotes(self, speaker: str | None = None) -> list[Quote]:
        return self.store.quotes(speaker=speaker)

    def __contains__(self, article_id: object) -> bool:
        return isinstance(article_id, str) and self.store.article(article_id) is not None

    def __len__(self) -> int:
        return self.store.count_articles()

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Corpus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
