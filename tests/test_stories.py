"""Story linking on constructed events: threads over months, stable ids, no swallowing on a shared country name."""

from __future__ import annotations

import json
import random
from datetime import datetime
from pathlib import Path

from storyline.config import Config
from storyline.group.stories import link_stories
from storyline.model import Article, DateGuess, Event, stable_id

CONFIG = Config(fast=True)


def article(aid: str, when: str, title: str, body: str, outlet: str = "TASS") -> Article:
    day = datetime.fromisoformat(when)
    return Article(id=aid, title=title, body=body, outlet=outlet, lang="en",
                   date=DateGuess(day, 1.0, "metadata", has_time=False))


PESKOV = [
    article("jan", "2021-01-24", "Peskov: Kremlin hopes Biden administration is ready for dialogue with Moscow",
            "Kremlin spokesman Dmitry Peskov said on the Rossiya-1 programme Moscow. Kremlin. Putin that Russia "
            "expects Moscow and Washington to establish dialogue. Peskov said Vladimir Putin is ready for contacts "
            "with Joe Biden if the new administration wants them. Peskov added that relations are at a low point."),
    article("mar", "2021-03-30", "Peskov: no one will talk to Russia from a position of strength",
            "Kremlin spokesman Dmitry Peskov told Argumenty i Fakty that neither Vladimir Putin nor anyone else "
            "will allow the Americans to talk to Russia from a position of strength. Peskov said relations with "
            "the Biden administration depend on Washington. The Kremlin spokesman called the dialogue difficult."),
    article("y22", "2022-03-10", "Peskov names the condition for normal relations with the United States",
            "Kremlin spokesman Dmitry Peskov told RIA Novosti that relations with Washington can only be normal if "
            "the United States gives up hegemonism. Peskov said Vladimir Putin and Joe Biden have no plans for "
            "talks. The Kremlin spokesman said dialogue with the Biden administration is frozen."),
]
FOOTBALL = article("fc", "2021-03-31", "Spartak beat Zenit in Moscow derby before record crowd",
                   "Spartak Moscow beat Zenit Saint Petersburg 2-1 at the Otkritie Arena in Moscow, Russia. Striker "
                   "Quincy Promes scored twice for Spartak and goalkeeper Alexander Maksimenko saved a penalty. "
                   "Zenit coach Sergei Semak said his team deserved a draw in the Russian Premier League match.",
                   outlet="Sport-Express")


def one_event_each(articles: list[Article]) -> tuple[list[Event], dict[str, Article]]:
    events = [Event(id=stable_id("e", a.id), article_ids=[a.id], title=a.title, start=a.published, end=a.published)
              for a in articles]
    return events, {a.id: a for a in articles}


def test_events_over_fourteen_months_form_one_story_in_date_order() -> None:
    events, by_id = one_event_each(list(reversed(PESKOV)))
    stories = link_stories(events, by_id, CONFIG)
    assert len(stories) == 1
    story = stories[0]
    assert story.event_ids == [stable_id("e", "jan"), stable_id("e", "mar"), stable_id("e", "y22")]
    assert story.id == stable_id("s", stable_id("e", "jan")), "the id comes from the earliest event"
    data = story.to_json()
    assert data["start"].startswith("2021-01-24") and data["end"].startswith("2022-03-10")
    assert any("peskov" in key for key in data["entities"]), data["entities"]


def test_a_shared_country_name_does_not_join_stories() -> None:
    events, by_id = one_event_each(PESKOV + [FOOTBALL])
    stories = link_stories(events, by_id, CONFIG)
    story_of = {eid: s.id for s in stories for eid in s.event_ids}
    assert story_of[stable_id("e", "fc")] != story_of[stable_id("e", "mar")]
    assert len({story_of[stable_id("e", a.id)] for a in PESKOV}) == 1


def test_every_event_in_exactly_one_story_whatever_the_input_order() -> None:
    events, by_id = one_event_each(PESKOV + [FOOTBALL])
    first = [s.to_json() for s in link_stories(events, by_id, CONFIG)]
    shuffled = events[:]
    random.Random(7).shuffle(shuffled)
    assert [s.to_json() for s in link_stories(shuffled, by_id, CONFIG)] == first
    members = [eid for s in first for eid in s["event_ids"]]
    assert sorted(members) == sorted(e.id for e in events)


def test_story_id_is_stable_when_later_events_arrive() -> None:
    events, by_id = one_event_each(PESKOV[:2])
    before = link_stories(events, by_id, CONFIG)
    events, by_id = one_event_each(PESKOV)
    after = link_stories(events, by_id, CONFIG)
    assert [s.id for s in before] == [s.id for s in after]
    assert len(after[0].event_ids) == 3


def _spill(i: int) -> Article:
    day = f"2010-{4 + i // 10:02d}-{1 + (i * 3) % 28:02d}"
    return article(f"spill{i:02d}", day, f"BP struggles to cap Deepwater Horizon well in the Gulf, day {i}",
                   f"BP engineers worked on the Deepwater Horizon well as oil from the spill spread across the Gulf "
                   f"of Mexico toward Louisiana. Transocean and Halliburton face questions; the Coast Guard said "
                   f"crews laid boom near Grand Isle. Report number {i} on the BP oil spill.", outlet="Reuters")


def test_a_long_story_does_not_swallow_an_event_sharing_only_the_country() -> None:
    spill = [_spill(i) for i in range(24)]
    unrelated = article("senate", "2010-05-20", "United States Senate passes bill on Washington school lunches",
                        "The United States Senate in Washington passed a bill on school lunches. Senator Blanche "
                        "Lincoln of Arkansas said the measure funds healthier meals for children in American schools.",
                        outlet="AP")
    events, by_id = one_event_each(spill + [unrelated])
    stories = link_stories(events, by_id, CONFIG)
    story_of = {eid: s.id for s in stories for eid in s.event_ids}
    assert len({story_of[stable_id("e", a.id)] for a in spill}) == 1, "the spill reports form one story"
    assert story_of[stable_id("e", "senate")] != story_of[stable_id("e", "spill00")]


def test_timeline17_subset_stories_meet_floor(data_dir: Path, tmp_path: Path) -> None:
    """Every 12th article of each Timeline17 story (ids repeat across outlets there): BCubed F1 against `topic`.

    Measured 0.927 (P 0.978, R 0.882) on this subset in fast mode; the full file with embeddings and entities: 0.9555.
    """
    seen: dict[str, int] = {}
    lines = []
    for line in (data_dir / "timeline17" / "articles.jsonl").open(encoding="utf-8"):
        topic = json.loads(line)["topic"]
        seen[topic] = seen.get(topic, 0) + 1
        if seen[topic] % 12 == 0:
            lines.append(line)
    subset = tmp_path / "t17.jsonl"
    subset.write_text("".join(lines), encoding="utf-8")
    from storyline.evaluate.runner import format_result
    from storyline.evaluate.timeline import evaluate_stories_file

    result = evaluate_stories_file(subset, "topic", CONFIG)
    assert result["n_docs"] == len(lines) > 200
    table = format_result(result)  # what `storyline eval --task stories` prints (a missing key once crashed it)
    assert "BCubed P / R / F1" in table and "docs/s with cleaning/extraction" in table
    assert result["bcubed_p"] >= 0.95, result
    # Floor = measured minus a margin. The event-grouping rework (bigger events) had dropped this to 0.822; event
    # vectors as the mean of their articles' vectors, 300 terms and a non-cascading orphan pass brought it back.
    assert result["bcubed_f1"] >= 0.91, result


def test_stories_read_the_article_vectors_the_grouping_stored(sample_store_path: Path) -> None:
    """A regroup embeds each article once for the events; stories then take the vectors from the store instead of
    embedding leads again (on GVA that halved `--task stories`: 90 → 50 s). Same stories as the regroup stored,
    and no model call."""
    from storyline.represent.embed import Embedder, cached
    from storyline.store import SQLiteStore

    class Counting:
        def __init__(self) -> None:
            self.model, self.texts = Embedder(), 0
            self.tag = self.model.tag

        def encode(self, texts: list[str]):  # noqa: ANN202 - numpy array
            self.texts += len(texts)
            return self.model.encode(texts)

    counting = Counting()
    with SQLiteStore(sample_store_path) as store:
        articles = {a.id: a for a in store.iter_articles()}
        stored = store.stories()
        stories = link_stories(store.events(), articles, Config(), cached(counting, store))
    assert counting.texts == 0
    assert [(s.id, s.event_ids) for s in stories] == [(s.id, s.event_ids) for s in stored] and len(stored) > 3


def test_two_fires_in_two_towns_are_two_stories_and_the_follow_up_joins_its_own(sample_store_path: Path) -> None:
    """The sample corpus's near miss: the Valmiera sawmill fire (3 April) and the Liepaja plastics warehouse fire
    (17 April) share the fire words and the national fire service, nothing else; the Liepaja director's charge
    (28 May) names the company and the town. A one-event story takes no newcomer about another town on so few
    shared names."""
    from storyline.store import SQLiteStore

    with SQLiteStore(sample_store_path, readonly=True) as store:
        story_of = {eid: s.id for s in store.stories() for eid in s.event_ids}
        event_of = {aid: e.id for e in store.events() for aid in e.article_ids}
    sawmill, warehouse, charge = (event_of[aid] for aid in ("bw-valmiera-sawmill-fire", "bw-liepaja-plant-fire",
                                                             "bw-liepaja-director-charged"))
    assert len({sawmill, warehouse, charge}) == 3, "three events"
    assert story_of[sawmill] != story_of[warehouse], "same kind of event in another town: not a thread"
    assert story_of[charge] == story_of[warehouse], "the charge follows the Liepaja fire"
