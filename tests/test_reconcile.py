"""Store-wide name reconciliation (regroup's first step) on hand-made NER finds: no models needed."""

from __future__ import annotations

from storyline.config import Config
from storyline.extract.entities import reconcile_entities
from storyline.extract.quotes import extract_quotes
from storyline.extract.reconcile import reconcile_store
from storyline.model import Article
from storyline.store.sqlite import SQLiteStore

FULL = "Russian Foreign Minister Sergei Lavrov said the talks had failed."
SHORT = "\u201cWe will not go to Geneva,\u201d Lavrov said on Tuesday."


def _annotated(article_id: str, body: str, found: list[tuple[str, str]]) -> Article:
    """An article as ingest leaves it: its own finds, keys from itself alone, quotes from those keys."""
    raw = [(kind, name, name, body.index(name), body.index(name) + len(name)) for kind, name in found]
    article = Article(id=article_id, title="", body=body, lang="en", content_hash=article_id, ner_names=raw)
    reconcile_entities([article])
    article.quotes = extract_quotes(article)
    return article


def test_regroup_step_gives_a_lone_surname_the_full_name_stored_elsewhere_and_rewrites_the_speaker() -> None:
    with SQLiteStore(":memory:") as store:
        store.add_articles([_annotated("b", SHORT, [("SURNAME", "Lavrov")])])
        store.add_articles([_annotated("a", FULL, [("PER", "Sergei Lavrov")])])
        articles = list(store.iter_articles())
        assert not store.article("b").mentions  # alone, "Lavrov" is no known person
        assert reconcile_store(store, articles, Config()) == 1  # only "b" changed
        stored = store.article("b")
        assert [m.entity_key for m in stored.mentions] == ["per:sergei lavrov"]
        assert [q.speaker for q in stored.quotes] == ["per:sergei lavrov"]
        search = sorted(r[0] for r in store.conn.execute("SELECT ref FROM search_fts WHERE kind = 'quote'"))
        assert search == sorted(r[0] for r in store.conn.execute("SELECT id FROM quotes"))  # rewritten once each
        in_memory = next(a for a in articles if a.id == "b")  # what grouping then reads
        assert [m.entity_key for m in in_memory.mentions] == [q.speaker for q in in_memory.quotes] == [
            "per:sergei lavrov"]
        assert [e.key for e in in_memory.entities] == ["per:sergei lavrov"]
        lavrov = store.entity("per:sergei lavrov")
        assert lavrov is not None and {"Lavrov", "Sergei Lavrov"} <= set(lavrov.aliases)
        assert reconcile_store(store, list(store.iter_articles()), Config()) == 0  # nothing left to change


def test_articles_without_ner_finds_keep_their_annotations() -> None:
    with SQLiteStore(":memory:") as store:
        fast = Article(id="f", title="", body=SHORT, content_hash="f")
        store.add_articles([fast])
        assert reconcile_store(store, list(store.iter_articles()), Config()) == 0
        assert store.ner_names() == {}


def test_a_first_name_alone_in_a_title_is_nobodys_surname() -> None:
    """ECB+ with GVA: the title "Mark 'Deep Throat' Felt dead at 95" tagged "Mark"; the only full name ending in
    "Mark" elsewhere was Laurence Mark's, so the title took his key, without a kind: `storyline ingest` stored
    every article and then failed the regroup with "error: per:laurence mark"."""
    producer = "Producer Laurence Mark said the show would go on. Mark added that the cast was ready."
    felt = "Mark Felt, the FBI official known as Deep Throat, has died at 95."
    articles = [
        Article(id="oscars", title="Oscars producer named", body=producer, lang="en", content_hash="a",
                ner_names=[("PER", "Laurence Mark", "Laurence Mark", 9, 22), ("SURNAME", "Mark", "Mark", 51, 55)]),
        Article(id="felt", title="Mark 'Deep Throat' Felt dead at 95", body=felt, lang="en", content_hash="b",
                ner_names=[("PER", "Mark", "Mark", -1, -1), ("PER", "Mark Felt", "Mark Felt", 0, 9)]),
    ]
    reconcile_entities(articles)
    keys = {a.id: {e.key for e in a.entities} for a in articles}
    assert keys == {"oscars": {"per:laurence mark"}, "felt": {"per:mark felt"}}, keys
