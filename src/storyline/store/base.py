"""The store interface the pipeline and the viewers speak; SQLite is the default backend."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from storyline.model import Article, Event, Reject, Story


class Store(ABC):
    """Where articles, events and stories live between runs."""

    @abstractmethod
    def known_hashes(self, hashes: Iterable[str]) -> set[str]: ...

    @abstractmethod
    def add_articles(self, articles: Sequence[Article]) -> list[str]: ...

    @abstractmethod
    def iter_articles(self, ids: Iterable[str] | None = None, *, with_annotations: bool = True) -> Iterator[Article]: ...

    @abstractmethod
    def save_events(self, events: Sequence[Event], evidence: dict[str, dict[str, Any]] | None = None) -> None: ...

    @abstractmethod
    def events(self, *, story_id: str | None = None) -> list[Event]: ...

    @abstractmethod
    def save_stories(self, stories: Sequence[Story]) -> None: ...

    @abstractmethod
    def stories(self) -> list[Story]: ...

    @abstractmethod
    def add_rejects(self, rejects: Iterable[Reject], run_id: str | None = None) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
