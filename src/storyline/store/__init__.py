"""Storage backends behind one small interface; ``open_store`` picks one from a path or URL."""

from __future__ import annotations

from pathlib import Path

from storyline.store.base import Store
from storyline.store.sqlite import SQLiteStore

__all__ = ["SQLiteStore", "Store", "open_store"]


def open_store(location: str | Path, *, readonly: bool = False) -> Store:
    """``storyline.db`` or ``sqlite:///path`` → SQLite. Unknown schemes raise ``ValueError``."""
    text = str(location)
    if "://" in text:
        scheme, _, rest = text.partition("://")
        if scheme != "sqlite":
            raise ValueError(f"unknown store type {scheme!r}; supported: sqlite")
        text = rest.removeprefix("/") if rest.startswith("//") else rest
    return SQLiteStore(text, readonly=readonly)
