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
from storyline.model import Article, Event, Quote, RawDocument, Story
from storyline.pipeline import Models, RunSummary, ingest_paths, ingest_stream, regroup
from storyline.store.sqlite import SQLiteStore


class Corpus:
    """Articles, events and stories in one store. ``db`` is a path or ``":memory:"``.

    Adding articles regroups the whole store, so events and stories are always current and do not
    depend on the order things were added in.
    """

    def __init__(self, db: str | Path = ":memory:", config: Config | None = None, **options: Any) -> None:
        self.config = config.with_(**options) if config else Config.load(None, **options)
        self.store = SQLiteStore(db)
        self._models = Models(self.config)

    def add_paths(self, paths: Iterable[str | Path]) -> RunSummary:
        """Ingest files or folders (any supported format) and regroup."""
        summary = ingest_paths(paths, self.store, self.config, models=self._models)
        return regroup(self.store, self.config, models=self._models, summary=summary)

    def add_records(self, records: Iterable[Mapping[str, Any]]) -> RunSummary:
        """Ingest dicts with ``id``, ``title``, ``text`` and optional ``date``, ``url``, ``outlet``, ``lang``."""
        docs = (
            RawDocument(
                origin=f"api:{i}", doc_id=str(r.get("id") or r.get("doc_id") or f"record-{i}"),
                content=str(r.get("text", "")), title=r.get("title"), date=r.get("date"), url=r.get("url"),
                outlet=r.get("outlet") or r.get("source"), lang=r.get("lang"),
            )
            for i, r in enumerate(records, start=1)
        )
        summary = ingest_stream(docs, self.store, self.config, models=self._models)
        return regroup(self.store, self.config, models=self._models, summary=summary)

    def articles(self) -> list[Article]:
        return list(self.store.iter_articles())

    def events(self) -> list[Event]:
        return self.store.events()

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
