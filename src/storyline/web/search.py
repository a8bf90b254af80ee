"""Full-text search over titles, bodies and quotes (the store's FTS5 table ``search_fts``).

What the user types never reaches SQLite as syntax it did not mean: :func:`fts_query` rebuilds the query
from tokens, quoting every term, so ``-``, ``:``, ``^`` or column names are plain text and a stray quote
or parenthesis is a :class:`SearchSyntaxError` with a hint (the web app answers 400, never 500). The
``unicode61`` tokenizer folds case in Latin and Cyrillic alike; a trailing ``*`` searches by word
beginning, which stands in for Russian morphology (``Песков*`` finds Пескова, Пескову). Places and
organisations whose names are translated rather than transliterated are searched in both languages.
"""

from __future__ import annotations

import re
import sqlite3
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


def fts_query(text: str) -> str:
    """Turn what the user typed into an FTS5 query, quoting every bare term.

    Phrases in double quotes, ``AND``/``OR``/``NOT``, parentheses and a trailing ``*`` (prefix search,
    useful for Russian endings: ``Песков*``) keep their meaning; anything else (``-``, ``:``, ``^``, column
    names) is treated as text. Unbalanced quotes or parentheses and dangling operators raise
    :class:`SearchSyntaxError` with a hint, instead of reaching SQLite. A place or organisation typed without
    quotes also matches its other language (:func:`translated_query`).
    """
    return translated_query(text)[0]


def translated_query(text: str) -> tuple[str, list[str]]:
    """:func:`fts_query` and the names it searched in both languages: "Moscow" also finds "Москва", "Москве",
    "United States" (one or more words, unquoted) "США", "Литве" finds "Lithuania"
    (:func:`storyline.extract.exonyms.spellings`). A name in double quotes is searched as written."""
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
        translated = _translated(tokens, position)
        if translated is not None:
            length, entry = translated
            spelled = {w.lower(): w for w in [" ".join(tokens[position:position + length]), *spellings(entry)]
                       if w.lower() not in STOPWORDS}
            if not expect_term:
                out.append("AND")
            out.append("(" + " OR ".join(_quote(spelled[k]) for k in sorted(spelled)) + ")")
            names.append(entry.name)
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


def _translated(tokens: list[str], position: int, longest: int = 5) -> tuple[int, Exonym] | None:
    """(number of tokens, entry) of the longest name in the table starting at ``position``: bare words only,
    never a stopword alone ("us", "who")."""
    plain = 0
    while plain < longest and position + plain < len(tokens) and _is_plain(tokens[position + plain]):
        plain += 1
    for length in range(plain, 0, -1):
        words = " ".join(tokens[position:position + length])
        found = exonym(words)
        if found is not None and words.lower() not in STOPWORDS:
            return length, found
    return None


def _is_plain(token: str) -> bool:
    return token not in _OPERATORS and token not in ("(", ")") and not token.startswith('"') and not token.endswith("*")


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def search(conn: sqlite3.Connection, text: str, *, page: int = 1, page_size: int = PAGE_SIZE) -> dict[str, Any]:
    """Full-text search over titles, bodies and quotes; raises :class:`SearchSyntaxError` for a bad query."""
    query, names = translated_query(text)
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
