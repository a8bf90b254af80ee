"""EntityRecognizer with the real spaCy and natasha models: canonical keys across spellings and languages."""

from __future__ import annotations

import pytest

from storyline.extract.entities import EntityRecognizer, entity_key, fold_token, role_before, transliterate
from storyline.model import Article


@pytest.fixture(scope="module")
def recognizer() -> EntityRecognizer:
    return EntityRecognizer()


def _article(article_id: str, body: str, lang: str = "en", title: str = "") -> Article:
    return Article(id=article_id, title=title, body=body, lang=lang)


def test_russian_names_are_transliterated_to_the_english_key() -> None:
    assert transliterate("Дмитрий Песков") == "dmitriy peskov"
    assert entity_key("PER", "Дмитрий Песков") == entity_key("PER", "Dmitry Peskov") == "per:dmitry peskov"
    assert fold_token("Sergey") == fold_token("Sergei") == fold_token("Сергей")
    assert fold_token("Alexei") == fold_token("Алексей")


def test_one_key_for_peskov_in_english_and_russian(recognizer: EntityRecognizer) -> None:
    english = _article("en1", "Kremlin spokesman Dmitry Peskov said on Monday that talks were over. "
                              "Peskov added that Moscow would wait.")
    russian = _article("ru1", "Пресс-секретарь президента Дмитрий Песков заявил журналистам, что переговоры "
                              "окончены. Слова Дмитрия Пескова передает ТАСС.", lang="ru")
    recognizer.annotate([english, russian])
    for article in (english, russian):
        keys = {e.key for e in article.entities if e.kind == "PER"}
        assert "per:dmitry peskov" in keys, keys
        peskov = [m for m in article.mentions if m.entity_key == "per:dmitry peskov"]
        assert len(peskov) == 2, peskov
        for mention in article.mentions:
            assert article.body[mention.start:mention.end] == mention.text
    roles = next(e.roles for e in english.entities if e.key == "per:dmitry peskov")
    assert any("spokesman" in r.lower() for r in roles), roles
    russian_roles = next(e.roles for e in russian.entities if e.key == "per:dmitry peskov")
    assert any("пресс-секретарь" in r.lower() for r in russian_roles), russian_roles


def test_surname_alone_resolves_to_the_full_name_seen_elsewhere_in_the_batch(recognizer: EntityRecognizer) -> None:
    full = _article("a", "Russian Foreign Minister Sergei Lavrov said the talks had failed.")
    short = _article("b", "Lavrov said on Tuesday that the meeting would not take place.")
    recognizer.annotate([full, short])
    assert any(m.entity_key == "per:sergei lavrov" for m in short.mentions), short.mentions
    lavrov = next(e for e in full.entities if e.key == "per:sergei lavrov")
    assert "Lavrov" in lavrov.aliases and "Sergei Lavrov" in lavrov.aliases


def test_names_are_propagated_beyond_the_tagged_windows(recognizer: EntityRecognizer) -> None:
    filler = "The weather stayed mild and the market opened late. " * 60
    body = f"Mayor Anna Berg opened the bridge on Monday. {filler}Berg later left the city."
    article = _article("c", body)
    recognizer.annotate([article])
    late = [m for m in article.mentions if m.entity_key == "per:anna berg" and m.start > len(body) - 40]
    assert late and body[late[0].start:late[0].end] == "Berg"


def test_role_before_reads_appositions() -> None:
    body = "President Vladimir Putin’s press secretary, Dmitry Peskov, said"
    assert role_before(body, body.index("Dmitry")) == "President Vladimir Putin’s press secretary"
    assert role_before("He met Dmitry Peskov", 7) is None
