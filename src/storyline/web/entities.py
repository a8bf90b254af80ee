"""Who is in the news: the people, organisations and places of a store, most mentioned first.

Ranking needs every entity's article count, one pass over the ``mentions`` index and the quotes by speaker
(about a second per million mentions). The web app keeps that read per store state (an
:class:`~storyline.web.stories.TableCache` of :class:`EntityTable`); ``storyline entities`` and
:meth:`storyline.Corpus.entities` read it once per call. A name filter matches any spelling an entity was
written with, in either language, as part of it ("kalnin" finds Andris Kalnins and "Андрис Калниньш"); failing
that, a translated, inflected or transliterated form (:func:`~storyline.store.sqlite.entity_keys`: "Литва",
"Калниньша").

>>> table = EntityTable.load(conn)                                   # doctest: +SKIP
>>> list_entities(conn, kind="PER", name="Калниньш", table=table)["items"][0]["name"]  # doctest: +SKIP
'Andris Kalnins'
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from storyline.extract.entities import NameIndex, translated_key
from storyline.web.queries import chunks, marks, page_count

#: Entity kinds as the filters name them.
KINDS = {"PER": "people", "ORG": "organisations", "LOC": "places"}
ENTITY_PAGE_SIZE = 50


@dataclass(slots=True)
class EntityTable:
    """Every entity's kind, spellings (case-folded, for the name filter) and counts, most mentioned first."""

    rows: dict[str, tuple[str, str, int, int]]  # key -> (kind, spellings, articles mentioning it, statements)
    order: list[str]  # most articles first, then most statements, then key
    names: NameIndex | None = None  # built on the first name no spelling contains

    @classmethod
    def load(cls, conn: sqlite3.Connection) -> EntityTable:
        articles, statements = entity_counts(conn)
        rows = {
            key: (kind or "", "\n".join([name or "", *json.loads(aliases or "[]")]).casefold(),
                  articles.get(key, 0), statements.get(key, 0))
            for key, name, kind, aliases in conn.execute("SELECT key, name, kind, aliases FROM entities")
        }
        return cls(rows, sorted(rows, key=lambda k: (-rows[k][2], -rows[k][3], k)))

    def matching(self, conn: sqlite3.Connection, *, kind: str | None = None, name: str | None = None) -> list[str]:
        """Keys of ``kind`` whose spellings contain ``name`` (else the keys it names in another form), ranked."""
        keys = [k for k in self.order if self.rows[k][0] == kind] if kind else self.order
        wanted = " ".join((name or "").split()).casefold()
        if not wanted:
            return keys
        if name in self.rows:  # a key as given
            return [k for k in keys if k == name]
        found = [k for k in keys if wanted in self.rows[k][1]]
        if not found:
            named = self.other_forms(name or "")
            found = [k for k in keys if k in named]
        return found

    def other_forms(self, name: str) -> set[str]:
        """Keys ``name`` means though no spelling contains it: a translation ("Литва"), another case or
        transliteration ("Калниньша"), a lone surname's full names (as :func:`~storyline.store.sqlite.entity_keys`,
        on this table instead of another pass over the store)."""
        if self.names is None:
            self.names = NameIndex(self.rows)
        translated = translated_key(name)
        return self.names.named(name) | ({translated} if translated in self.rows else set())


def entity_counts(conn: sqlite3.Connection) -> tuple[dict[str, int], dict[str, int]]:
    """Per entity key: the articles mentioning it, and the statements it made (distinct across outlets and
    translations) — the figures of the Entities page and of ``storyline export``'s entities."""
    articles = dict(conn.execute(
        "SELECT entity_key, count(DISTINCT article_id) FROM mentions GROUP BY entity_key").fetchall())
    statements = dict(conn.execute(
        "SELECT speaker, count(DISTINCT COALESCE(statement_id, id)) FROM quotes WHERE speaker IS NOT NULL "
        "GROUP BY speaker").fetchall())
    return articles, statements


def list_entities(conn: sqlite3.Connection, *, kind: str | None = None, name: str | None = None, page: int = 1,
                  page_size: int = ENTITY_PAGE_SIZE, table: EntityTable | None = None) -> dict[str, Any]:
    """One page of entities, most mentioned first: name, kind, roles, other spellings, articles mentioning each
    and statements each made. ``kind``: PER, ORG or LOC (anything else is a ValueError)."""
    kind = kind.upper() if kind else None
    if kind and kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    table = table or EntityTable.load(conn)
    keys = table.matching(conn, kind=kind, name=name)
    page = max(page, 1)
    chosen = keys[(page - 1) * page_size : page * page_size]
    stored = {}
    for chunk in chunks(chosen):
        for row in conn.execute(f"SELECT key, name, kind, aliases, roles FROM entities WHERE key IN ({marks(chunk)})",
                                chunk):
            stored[row[0]] = row
    items = []
    for key in chosen:
        if key not in stored:
            continue  # removed since the table was read
        _, entity_name, entity_kind, aliases, roles = stored[key]
        items.append({"key": key, "name": entity_name, "kind": entity_kind, "roles": json.loads(roles or "[]"),
                      "aliases": json.loads(aliases or "[]"),
                      "articles": table.rows[key][2], "statements": table.rows[key][3]})
    return {"items": items, "total": len(keys), "page": page, "pages": page_count(len(keys), page_size),
            "kind": kind, "name": name or ""}
