"""Seed acceptance for cleaning and metadata: every "Cleaning" and "Metadata" item of seeds/EXPECTED.md."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from storyline.extract import build_article
from storyline.model import Article, RawDocument

TODAY = date(2026, 1, 1)


@pytest.fixture(scope="module")
def expected(seeds_dir: Path) -> dict:
    return json.loads((seeds_dir / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def articles(seeds_dir: Path) -> dict[str, Article]:
    built = {}
    for path in sorted(seeds_dir.glob("*.txt")):
        doc = RawDocument(origin=str(path), doc_id=path.stem, content=path.read_text(encoding="utf-8"))
        built[path.stem] = build_article(doc, today=TODAY)
    assert len(built) == 5
    return built


def seed(articles: dict[str, Article], prefix: str) -> Article:
    return next(article for key, article in articles.items() if key.startswith(prefix))


def test_must_not_appear_in_body(articles: dict[str, Article], expected: dict) -> None:
    for doc_id, fragments in expected["must_not_appear_in_body"].items():
        for fragment in fragments:
            assert fragment not in articles[doc_id].body, (doc_id, fragment)


def test_must_appear_in_body(articles: dict[str, Article], expected: dict) -> None:
    for doc_id, fragments in expected["must_appear_in_body"].items():
        for fragment in fragments:
            assert fragment in articles[doc_id].body, (doc_id, fragment)


def test_002_icon_row_and_links_removed_and_recorded(articles: dict[str, Article]) -> None:
    article = seed(articles, "002")
    assert "icon" not in article.body.split("\n")[0]
    assert not any(line.startswith(("Also on", "READ MORE")) for line in article.body.split("\n"))
    rules = {span.rule for span in article.removed}
    assert {"menu_row", "link_teaser", "date_stamp", "repeated_headline"} <= rules


def test_002_repeated_headline_appears_once(articles: dict[str, Article]) -> None:
    article = seed(articles, "002")
    headline = "Putin won't allow US to lecture Russia from ‘a position of power,’ Kremlin insists"
    assert f"{article.title}\n{article.body}".count(headline) == 1, "shown once: as the title, not again in the body"
    assert article.title.startswith(headline)


def test_003_caption_repaired_to_cyrillic(articles: dict[str, Article]) -> None:
    article = seed(articles, "003")
    assert "Россия. Москва. Пресс-секретарь президента РФ Дмитрий Песков" in article.body
    assert not any("\u00c0" <= ch <= "\u00ff" for ch in article.body)
    assert "You May Also Like" not in article.body and "Cedric Richmond" not in article.body
    assert "Leave a Reply" not in article.body


def test_004_promo_and_footer_removed(articles: dict[str, Article]) -> None:
    article = seed(articles, "004")
    assert "RBC Pro" not in article.body and "Authors Tags" not in article.body
    assert "Your email address" not in article.body
    assert "Russian Foreign Minister Sergei Lavrov said earlier" in article.body


def test_001_story_code_removed(articles: dict[str, Article]) -> None:
    assert "924469" not in seed(articles, "001").body


def test_000_rubric_credit_and_photo_credit_out_of_body(articles: dict[str, Article]) -> None:
    body = seed(articles, "000").body
    assert "GSV" not in body and "Based on materials" not in body and "Photo:" not in body
    assert body.rstrip().endswith("Antonov has been in the Russian capital since March 21.")


def test_bodies_keep_the_quotes(articles: dict[str, Article], expected: dict) -> None:
    for group in expected["same_quote"]:
        for doc_id, fragment in group["fragments"].items():
            assert fragment in articles[doc_id].body, (doc_id, fragment)


def test_dates(articles: dict[str, Article], expected: dict) -> None:
    for doc_id, day in expected["dates"].items():
        guess = articles[doc_id].date
        assert guess is not None and guess.year_known and guess.iso.startswith(day), (doc_id, guess)
    assert seed(articles, "001").date.iso == "2021-03-31T11:59"
    assert seed(articles, "002").date.iso == "2021-03-30T11:49"


def test_003_dateline_gives_january_24_without_a_year(articles: dict[str, Article]) -> None:
    guess = seed(articles, "003").date
    assert guess is not None
    assert guess.source == "dateline" and guess.year_known is False and guess.iso == "--01-24"
    assert seed(articles, "003").published is None


def test_000_and_004_have_no_full_date(articles: dict[str, Article]) -> None:
    for prefix in ("000", "004"):
        guess = seed(articles, prefix).date
        assert guess is None or not guess.year_known


def test_outlets_and_credited_sources(articles: dict[str, Article]) -> None:
    assert seed(articles, "000").credited_source == "TASS"
    assert seed(articles, "000").outlet is None
    assert seed(articles, "003").outlet == "TASS"
    assert seed(articles, "002").outlet == "RT"
    assert seed(articles, "004").outlet == "RBC"


def test_languages_all_english(articles: dict[str, Article]) -> None:
    assert {article.lang for article in articles.values()} == {"en"}


def test_titles_are_headlines_not_furniture(articles: dict[str, Article]) -> None:
    assert seed(articles, "001").title == (
        "Russia Will Not Allow Americans to Speak to It from Position of Force: Spokseman"
    )
    assert seed(articles, "004").title.startswith("Peskov called the condition for the resumption of relations")
    assert seed(articles, "003").title.startswith("Russia expects that Moscow and Washington")
    for article in articles.values():
        assert "icon" not in article.title and "2021" not in article.title


def test_removed_spans_are_auditable(articles: dict[str, Article], seeds_dir: Path) -> None:
    from storyline.clean import clean_text

    for doc_id, article in articles.items():
        repaired = clean_text((seeds_dir / f"{doc_id}.txt").read_text(encoding="utf-8")).repaired
        assert article.removed, doc_id
        for span in article.removed:
            assert repaired[span.start : span.start + len(span.text)] == span.text
