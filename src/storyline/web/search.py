"""Full-text search over titles, bodies and quotes (the store's FTS5 table ``search_fts``).

What the user types never reaches SQLite as syntax it did not mean: :func:`fts_query` rebuilds the query
from tokens, quoting every term, so ``-``, ``:``, ``^`` or column names are plain text and a stray quote
or parenthesis is a :class:`SearchSyntaxError` with a hint (the web app answers 400, never 500). The
``unicode61`` tokenizer folds case in Latin and Cyrillic alike; a trailing ``*`` searches by word
beginning, which stands in for Russian morphology (``Песков*`` finds Пескова, Пескову). Places and
organisations whose names are translated rather than transliterated are searched in both languages, and so is
any name the store's entities spell in both scripts ("Valiukas" also finds "Валюкасом", as the articles wrote it).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from typing import Any

from storyline.extract.exonyms import Exonym, exonym, spellings
from storyline.represent.tokens import STOPWORDS
from storyline.web.queries import PAGE_SIZE, marks

SNIPPET_OPEN, SNIPPET_CLOSE = "\x02", "\x03"  # match markers that cannot come from stored text after escaping


class SearchSyntaxError(ValueError):
    """The user's search text is not a valid query; the message says how to fix it."""


_TOKEN = re.compile(r'"[^"]*"|"[^"]*$|\(|\)|[^\s()"]+')
_OPERATORS = {"AND", "OR", "NOT"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # SQLite ends strings at NUL; no control character is a search term
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
STORE_NAME_ENTITIES = 20  # entities a typed name may stand for; its other-script spellings are added from each
STORE_NAME_KINDS = ("PER", "ORG", "LOC")
STORE_NAME_ROWS = 5000  # entities read per search at most: a word in a store's every alias costs no more than this
#: (display name, other spellings) of a typed name, or None: names the store knows (:func:`store_names`)
KnownNames = Callable[[str], tuple[str, list[str]] | None]


def fts_query(text: str) -> str:
    """Turn what the user typed into an FTS5 query, quoting every bare term.

    Phrases in double quotes, ``AND``/``OR``/``NOT``, parentheses and a trailing ``*`` (prefix search,
    useful for Russian endings: ``Песков*``) keep their meaning; anything else (``-``, ``:``, ``^``, column
    names) is treated as text. Unbalanced quotes or parentheses and dangling operators raise
    :class:`SearchSyntaxError` with a hint, instead of reaching SQLite. A place or organisation typed without
    quotes also matches its other language (:func:`translated_query`).
    """
    return translated_query(text)[0]


def translated_query(text: str, known: KnownNames | None = None) -> tuple[str, list[str]]:
    """:func:`fts_query` and the names it searched in both languages: "Moscow" also finds "Москва", "Москве",
    "United States" (one or more words, unquoted) "США", "Литве" finds "Lithuania"
    (:func:`storyline.extract.exonyms.spellings`); with ``known`` (:func:`store_names`) a name the store's
    entities write in both scripts too. A name in double quotes is searched as written."""
    tokens = _TOKEN.findall(_CONTROL.sub(" ", text).strip())
    if not tokens:
        raise SearchSyntaxError("Type one or more words to search for.")
    out: list[str] = []
    names: list[str] = []
    depth = 0
    expect_term = True
    skip = 0
    for position, token in enumerate(tokens):
        if skip:
            skip -= 1
            continue
        translated = _translated(tokens, position, known)
        if translated is not None:
            length, name, other_spellings = translated
            typed = tokens[position:position + length]
            spelled = {w.lower(): w for w in [" ".join(typed), *other_spellings] if w.lower() not in STOPWORDS}
            if not expect_term:
                out.append("AND")
            # the words as typed keep their meaning (each anywhere, as without a translation); the others are phrases
            as_typed = " AND ".join(map(_quote, typed))
            others = [_quote(spelled[k]) for k in sorted(spelled) if k != " ".join(typed).lower()]
            out.append("(" + " OR ".join([f"({as_typed})" if length > 1 else as_typed, *others]) + ")")
            names.append(name)
            expect_term, skip = False, length - 1
        elif token == "(":
            if not expect_term:
                out.append("AND")
            depth += 1
            out.append("(")
            expect_term = True
        elif token == ")":
            if depth == 0 or expect_term:
                raise SearchSyntaxError("A closing parenthesis has no matching opening one, or encloses nothing.")
            depth -= 1
            out.append(")")
            expect_term = False
        elif token in _OPERATORS:
            if expect_term:
                raise SearchSyntaxError(f"{token} needs a word or phrase before and after it.")
            out.append(token)
            expect_term = True
        else:
            if token.startswith('"'):
                if len(token) < 2 or not token.endswith('"'):
                    raise SearchSyntaxError('A phrase is missing its closing double quote (").')
                phrase = token[1:-1].strip()
                if not phrase:
                    raise SearchSyntaxError("An empty phrase (\"\") matches nothing; put words between the quotes.")
                term = _quote(phrase)
            else:
                prefix = token.endswith("*") and len(token.rstrip("*")) > 0
                word = token.rstrip("*")
                if not word:
                    raise SearchSyntaxError("A * must follow the beginning of a word, as in Kreml*.")
                term = _quote(word) + ("*" if prefix else "")
            if not expect_term:
                out.append("AND")
            out.append(term)
            expect_term = False
    if depth:
        raise SearchSyntaxError("An opening parenthesis is never closed.")
    if expect_term:
        raise SearchSyntaxError(f"{out[-1] if out else 'The query'} needs a word or phrase after it.")
    return " ".join(out), list(dict.fromkeys(names))


def _translated(tokens: list[str], position: int, known: KnownNames | None = None, longest: int = 5
                ) -> tuple[int, str, list[str]] | None:
    """(number of tokens, name, its other spellings) of the longest name starting at ``position`` that the exonym
    table or, failing it, the store (``known``) spells otherwise: bare words only, never a stopword alone ("us")."""
    plain = 0
    while plain < longest and position + plain < len(tokens) and _is_plain(tokens[position + plain]):
        plain += 1
    for length in range(plain, 0, -1):
        words = " ".join(tokens[position:position + length])
        if words.lower() in STOPWORDS:
            continue
        found: Exonym | None = exonym(words)
        if found is not None:
            return length, found.name, spellings(found)
        stored = known(words) if known is not None else None
        if stored is not None:
            return length, *stored
    return None


def store_names(conn: sqlite3.Connection, text: str) -> KnownNames:
    """The names of the store's entities that the words of ``text`` may be, as a lookup for
    :func:`translated_query`: a typed name that is an entity's alias (any case) gives that entity's aliases in the
    other script, the forms its articles wrote ("Valiukas" → "Валюкас", "Валюкасом", "Томаса Валюкаса"), from
    at most ``STORE_NAME_ENTITIES`` entities. One scan of the entities table per search (about 40 ms per typed word
    for 200,000 entities), reading at most ``STORE_NAME_ROWS`` whose aliases hold a typed word; none for a query of
    operators and phrases only.
    """
    words = sorted({w for w in re.findall(r"[^\W\d_]{3,}", _CONTROL.sub(" ", text)) if w.lower() not in STOPWORDS})
    if not words:
        return lambda _words: None
    # LIKE folds ASCII case only: a Cyrillic word typed in lower case is also looked for capitalised
    forms = dict.fromkeys(f for w in words for f in (w, w[:1].upper() + w[1:] if _CYRILLIC.match(w) else w))
    rows = conn.execute(  # no ORDER BY key: walking the key index costs ten times the scan; sorted below
        f"SELECT key, name, aliases FROM entities WHERE kind IN ({', '.join('?' * len(STORE_NAME_KINDS))}) AND ("
        + " OR ".join(["aliases LIKE ? ESCAPE '\\'"] * len(forms)) + f") LIMIT {STORE_NAME_ROWS}",
        (*STORE_NAME_KINDS, *(f"%{_like(form)}%" for form in forms)),
    ).fetchall()
    by_alias: dict[str, list[tuple[str, list[str]]]] = {}
    for _, name, aliases in sorted(rows):
        spelled = [a for a in [name, *json.loads(aliases)] if isinstance(a, str) and _is_name(a)]
        for alias in spelled:
            by_alias.setdefault(alias.casefold(), []).append((name, spelled))

    def lookup(typed: str) -> tuple[str, list[str]] | None:
        entities = by_alias.get(typed.casefold(), [])[:STORE_NAME_ENTITIES]
        cyrillic = bool(_CYRILLIC.search(typed))
        other = [a for _, spelled in entities for a in spelled if bool(_CYRILLIC.search(a)) != cyrillic]
        return (entities[0][0], list(dict.fromkeys(other))) if other else None

    return lookup


def _is_name(alias: str) -> bool:
    """A written name ("Томаса Валюкаса", "Kurzeme Polymers"), not a description kept as an alias ("the spokesman")."""
    return all(word[:1].isupper() or not word[:1].isalpha() for word in alias.split())


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _is_plain(token: str) -> bool:
    return token not in _OPERATORS and token not in ("(", ")") and not token.startswith('"') and not token.endswith("*")


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def search(conn: sqlite3.Connection, text: str, *, page: int = 1, page_size: int = PAGE_SIZE) -> dict[str, Any]:
    """Full-text search over titles, bodies and quotes; raises :class:`SearchSyntaxError` for a bad query."""
    query, names = translated_query(text, store_names(conn, text))
    page = max(page, 1)
    try:
        rows = conn.execute(
            "SELECT kind, ref, snippet(search_fts, 2, ?, ?, '…', 12) AS t, snippet(search_fts, 3, ?, ?, '…', 24) AS b "
            "FROM search_fts WHERE search_fts MATCH ? ORDER BY rank LIMIT ? OFFSET ?",
            (SNIPPET_OPEN, SNIPPET_CLOSE, SNIPPET_OPEN, SNIPPET_CLOSE, query, page_size + 1, (page - 1) * page_size),
        ).fetchall()
    except sqlite3.OperationalError as exc:
        raise SearchSyntaxError(f"This search could not be understood ({_fts_reason(exc)}). "
                                "Try plain words, or a phrase in double quotes.") from exc
    has_next = len(rows) > page_size
    rows = rows[:page_size]
    article_ids = [r["ref"] for r in rows if r["kind"] == "article"]
    quote_ids = [r["ref"] for r in rows if r["kind"] == "quote"]
    articles = {r["id"]: dict(r) for r in conn.execute(
        f"SELECT id, title, outlet, published, lang, event_id FROM articles WHERE id IN ({marks(article_ids)})",
        article_ids)} if article_ids else {}
    quotes = {r["id"]: dict(r) for r in conn.execute(
        "SELECT q.id, q.article_id, q.speaker, q.speaker_name, a.title, a.outlet, a.published, a.event_id "
        f"FROM quotes q JOIN articles a ON a.id = q.article_id WHERE q.id IN ({marks(quote_ids)})",
        quote_ids)} if quote_ids else {}
    items = []
    for r in rows:
        base = articles.get(r["ref"]) if r["kind"] == "article" else quotes.get(r["ref"])
        if base is None:
            continue  # index entry of a row that has since been replaced
        items.append({"kind": r["kind"], "ref": r["ref"], "title_snippet": r["t"], "body_snippet": r["b"],
                      "article_id": base.get("article_id", base["id"]), "title": base["title"],
                      "outlet": base["outlet"], "published": base["published"], "event_id": base["event_id"],
                      "speaker": base.get("speaker"), "speaker_name": base.get("speaker_name")})
    return {"query": text, "fts": query, "names": names, "items": items, "page": page, "has_next": has_next}


def _fts_reason(exc: sqlite3.OperationalError) -> str:
    message = str(exc)
    return message.removeprefix("fts5: ") if len(message) < 120 else "syntax error"
