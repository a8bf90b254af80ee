"""Every "Who said what" item of ../shared/seeds/EXPECTED.md, through the real recogniser, quotes and statements."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from storyline.evaluate.quotes import seed_article
from storyline.extract.entities import EntityRecognizer, entity_key, reconcile_entities
from storyline.extract.quotes import extract_quotes
from storyline.group.statements import group_statements
from storyline.model import Article, Quote
from storyline.represent.embed import Embedder

PESKOV = "per:dmitry peskov"


@pytest.fixture(scope="module")
def expected(seeds_dir: Path) -> dict:
    return json.loads((seeds_dir / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seeds(seeds_dir: Path) -> tuple[dict[str, Article], dict[str, str]]:
    articles = [seed_article(path) for path in sorted(seeds_dir.glob("*.txt"))]
    EntityRecognizer().annotate(articles)
    reconcile_entities(articles)
    for article in articles:
        article.quotes = extract_quotes(article)
    by_id = {a.id: a for a in articles}
    statements = group_statements([q for a in articles for q in a.quotes], by_id, Embedder())
    return by_id, statements


def _squash(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def _holding(article: Article, fragment: str) -> Quote:
    wanted = _squash(fragment)
    found = [q for q in article.quotes if wanted in _squash(q.text) or (len(_squash(q.text)) > 20
                                                                         and _squash(q.text) in wanted)]
    assert found, f"{article.id}: no quote holds {fragment!r}: {[q.text for q in article.quotes]}"
    return found[0]


def test_peskov_speaks_the_main_quotes_of_every_seed(expected: dict, seeds: tuple) -> None:
    articles, _ = seeds
    for name, ids in expected["quote_speakers"].items():
        key = entity_key("PER", name)
        assert key == PESKOV
        for article_id in ids:
            speakers = Counter(q.speaker for q in articles[article_id].quotes)
            assert speakers[key] >= 2, (article_id, speakers)
            assert speakers.most_common(1)[0][0] == key, (article_id, speakers)


def test_titles_and_pronouns_resolve_to_peskov(seeds: tuple) -> None:
    articles, _ = seeds
    kremlin = [q for q in articles["000_a14cb30bbcaf99c5"].quotes if "No one will allow" in q.text][0]
    assert kremlin.speaker == PESKOV  # "said the Kremlin spokesperson"
    added = [q for q in articles["002_59bfef3b45796184"].quotes if q.text.startswith("The Americans are now")][0]
    assert added.speaker == PESKOV  # "the spokesman added"
    stated = [q for q in articles["002_59bfef3b45796184"].quotes if "extreme scenarios" in q.text][0]
    assert stated.speaker == PESKOV  # "he stated", after "the Kremlin official"


def test_the_same_statement_across_translations_is_one_statement(expected: dict, seeds: tuple) -> None:
    articles, statements = seeds
    for item in expected["same_quote"]:
        quotes = [_holding(articles[article_id], fragment) for article_id, fragment in item["fragments"].items()]
        assert {q.speaker for q in quotes} == {entity_key("PER", item["speaker"])}
        assert len({statements[q.id] for q in quotes}) == 1, [(q.article_id, q.text[:60]) for q in quotes]


def test_other_peoples_quotes_go_to_them(expected: dict, seeds: tuple) -> None:
    articles, statements = seeds
    for article_id, names in expected["other_speakers"].items():
        speakers = Counter(q.speaker for q in articles[article_id].quotes)
        for name in names:
            assert speakers[entity_key("PER", name)] >= 1, (article_id, name, speakers)
    mattis = [q for q in articles["002_59bfef3b45796184"].quotes if "We remain open" in q.text][0]
    peskov_statements = {statements[q.id] for a in articles.values() for q in a.quotes if q.speaker == PESKOV}
    assert statements[mattis.id] not in peskov_statements


def test_distinct_events_keep_distinct_statements(seeds: tuple) -> None:
    articles, statements = seeds
    january = {statements[q.id] for q in articles["003_41e52a9884a9d126"].quotes}
    march = {statements[q.id] for a in ("000_a14cb30bbcaf99c5", "001_d7b03ab2b022693d", "002_59bfef3b45796184")
             for q in articles[a].quotes}
    assert not january & march
