"""The bundled sample corpus through the real pipeline (real models, real SQLite) against its gold file.

Grouping is scored with BCubed F1 (events and stories) against floors measured on the current product;
metadata and cleaning are checked item by item, allowing no more misses than the floors below say.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from storyline.evaluate.metrics import cluster_scores
from storyline.model import Article
from storyline.store import SQLiteStore

GOLD = json.loads((Path(__file__).resolve().parents[1] / "src/storyline/samples/gold.json").read_text("utf-8"))

# Floors: measured value minus a small margin. Raise them when the product improves; never lower silently.
# Events: measured 0.917 (P 0.89, R 0.95) since names shared across languages count only as far as the embedding
# agrees (0.833 before; 0.793 before the time floor went from 0.35 to 0.30 on 2026-11-28, which split the Valiukas
# verdict from the trial's opening). One grouping configuration serves every dataset; the
# sample's "strike begins" / "talks" events 9 days apart share people and places and are merged, while GVA counts
# follow-ups weeks later as the same incident. Separating them costs GVA/GVC their targets (see QUALITY.md).
EVENT_BCUBED_F1_FLOOR = 0.90
# Stories: measured 1.0 (0.964 before a one-event story stopped taking a newcomer about another town on
# 2026-11-28: the Valmiera sawmill fire and the Liepaja warehouse fire were one story).
STORY_BCUBED_F1_FLOOR = 0.97
FIELD_ACCURACY_FLOOR = 0.95  # titles, outlets, dates, languages


@pytest.fixture(scope="module")
def stored(sample_store_path: Path) -> Iterator[dict[str, Article]]:
    with SQLiteStore(sample_store_path, readonly=True) as store:
        yield {a.id: a for a in store.iter_articles()}


@pytest.fixture(scope="module")
def grouping(sample_store_path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """article id → predicted event id, article id → predicted story id."""
    with SQLiteStore(sample_store_path, readonly=True) as store:
        events = store.events()
        event_of = {aid: e.id for e in events for aid in e.article_ids}
        story_of_event = {e.id: e.story_id or e.id for e in events}
    return event_of, {aid: story_of_event[eid] for aid, eid in event_of.items()}


def _gold_labels() -> tuple[dict[str, str], dict[str, str]]:
    event_of = {aid: name for name, ids in GOLD["events"].items() for aid in ids}
    story_of_event = {ev: story for story, evs in GOLD["stories"].items() for ev in evs}
    return event_of, {aid: story_of_event.get(ev, "event:" + ev) for aid, ev in event_of.items()}


def _score(gold: dict[str, str], predicted: dict[str, str]) -> dict[str, float]:
    ids = sorted(gold)
    missing = [i for i in ids if i not in predicted]
    assert not missing, f"gold articles without a predicted group: {missing}"
    return cluster_scores([gold[i] for i in ids], [predicted[i] for i in ids])


def test_every_gold_article_is_stored(stored: dict[str, Article]) -> None:
    gold_ids = {aid for ids in GOLD["events"].values() for aid in ids}
    assert gold_ids <= set(stored), sorted(gold_ids - set(stored))
    assert len(gold_ids) >= 60


def test_events_match_gold(grouping: tuple[dict[str, str], dict[str, str]]) -> None:
    gold_events, _ = _gold_labels()
    scores = _score(gold_events, grouping[0])
    print("sample events", {k: round(v, 3) for k, v in scores.items()})
    assert scores["bcubed_f1"] >= EVENT_BCUBED_F1_FLOOR, scores


def test_stories_match_gold(grouping: tuple[dict[str, str], dict[str, str]]) -> None:
    _, gold_stories = _gold_labels()
    scores = _score(gold_stories, grouping[1])
    print("sample stories", {k: round(v, 3) for k, v in scores.items()})
    assert scores["bcubed_f1"] >= STORY_BCUBED_F1_FLOOR, scores


def test_near_duplicates_are_marked(stored: dict[str, Article]) -> None:
    for first, second in GOLD["near_duplicates"]:
        a, b = stored[first], stored[second]
        assert a.duplicate_of == b.id or b.duplicate_of == a.id, (first, second)


def _canonical_outlet(name: str | None) -> str | None:
    if not name:
        return None
    for canonical, aliases in GOLD["outlet_aliases"].items():
        if name == canonical or name in aliases or name.lower() in (a.lower() for a in aliases):
            return canonical
    return name


def test_titles_outlets_dates_and_languages(stored: dict[str, Article]) -> None:
    checks = {
        "titles": lambda a: a.title,
        "outlets": lambda a: _canonical_outlet(a.outlet),
        "dates": lambda a: a.date.iso[:10] if a.date else None,
        "languages": lambda a: a.lang,
    }
    not_in_text = set(GOLD["outlet_not_in_text"])
    for field, get in checks.items():
        expected = {aid: want for aid, want in GOLD[field].items() if field != "outlets" or aid not in not_in_text}
        got = {aid: get(stored[aid]) for aid in expected}
        wrong = [(aid, want, got[aid]) for aid, want in expected.items() if want != got[aid]]
        assert 1 - len(wrong) / len(expected) >= FIELD_ACCURACY_FLOOR, (field, wrong)
    invented = {aid: stored[aid].outlet for aid in not_in_text if stored[aid].outlet}
    assert not invented, f"publisher named nowhere in the text, yet guessed: {invented}"


def test_credited_sources_are_kept_apart_from_the_outlet(stored: dict[str, Article]) -> None:
    for aid, source in GOLD["credited_sources"].items():
        article = stored[aid]
        assert _canonical_outlet(article.credited_source) == source, (aid, article.credited_source)
        assert _canonical_outlet(article.outlet) != source, (aid, article.outlet)


def test_noise_is_cleaned_and_content_kept(stored: dict[str, Article]) -> None:
    for aid, strings in GOLD["must_not_appear_in_body"].items():
        body = stored[aid].body
        left = [s for s in strings if s in body]
        assert not left, (aid, left)
    for aid, strings in GOLD["must_appear_in_body"].items():
        body = stored[aid].body
        assert all(s in body for s in strings), (aid, strings)


def test_dates_without_a_year_are_not_invented(stored: dict[str, Article]) -> None:
    for aid in GOLD["dates_without_year"]:
        date = stored[aid].date
        assert date is None or not date.year_known or date.iso[:10] == GOLD["dates"].get(aid), (aid, date)
