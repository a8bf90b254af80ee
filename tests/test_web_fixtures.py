"""A small realistic store for the web, report and browser tests, written through the real SQLiteStore.

English and Russian coverage of Peskov's interviews (the seed events), a syndicated copy, statements
quoted by several outlets, evidence, removed spans, one event outside any story and one hostile article
whose title, body, outlet, URL and quote try to inject HTML, JavaScript and spreadsheet formulas.
Import the ``web_db`` fixture from here (``from test_web_fixtures import web_db``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from storyline.model import (
    Article,
    DateGuess,
    Entity,
    Event,
    Mention,
    Quote,
    RemovedSpan,
    Story,
    content_hash,
    stable_id,
)
from storyline.store import SQLiteStore

HOSTILE_TITLE = '<script>alert("title")</script>"><img src=x onerror=alert(1)>'
HOSTILE_OUTLET = '<b onmouseover=alert(2)>evil</b>'
HOSTILE_URL = "javascript:alert(3)"
HOSTILE_QUOTE = '<script>alert("quote")</script> is what they said'
FORMULA = "=cmd|' /C calc'!A0"

PESKOV = Entity("per:dmitry peskov", "Dmitry Peskov", "PER", ["Песков", "the Kremlin spokesman"],
                ["Kremlin spokesman"])
PUTIN = Entity("per:vladimir putin", "Vladimir Putin", "PER", ["Путин"], ["President of Russia"])
RUSSIA = Entity("loc:russia", "Russia", "LOC", ["Россия"], [])
USA = Entity("loc:united states", "United States", "LOC", ["США", "America"], [])
ENTITIES = {e.key: e for e in (PESKOV, PUTIN, RUSSIA, USA)}


@dataclass(frozen=True)
class SampleIds:
    """Ids the tests navigate by."""

    db: Path
    story: str
    events: dict[str, str]
    articles: dict[str, str]


def _article(
    key: str, title: str, body: str, *, outlet: str, lang: str, when: str | None, url: str | None = None,
    credited: str | None = None, quotes: list[tuple[str, str | None, str | None]] = (),
    names: dict[str, str] | None = None, removed: list[RemovedSpan] | None = None, raw_prefix: str = "",
) -> Article:
    article_id = stable_id("a", key)
    date = DateGuess(datetime.fromisoformat(when), 0.9, "stamp", has_time="T" in when) if when else None
    mentions = []
    for surface, entity_key in (names or {}).items():
        start = body.find(surface)
        if start >= 0:
            mentions.append(Mention(entity_key, surface, start, start + len(surface)))
    quote_objs = []
    for text, speaker, statement in quotes:
        start = body.index(text)
        entity = ENTITIES.get(speaker or "")
        quote_objs.append(Quote(article_id, text, start, start + len(text), speaker,
                                entity.name if entity else speaker, "said", 0.9, statement_id=statement))
    raw = f"{raw_prefix}{title}\n\n{body}"
    return Article(
        id=article_id, title=title, body=body, origin=f"fixtures/{key}.txt", raw=raw, url=url, outlet=outlet,
        credited_source=credited, lang=lang, date=date, content_hash=content_hash(raw), removed=removed or [],
        entities=sorted({ENTITIES[k].key: ENTITIES[k] for k in (names or {}).values()}.values(), key=lambda e: e.key),
        mentions=mentions, quotes=quote_objs,
    )


def sample_articles() -> dict[str, Article]:
    """The articles of the fixture store, by a short name."""
    strength_en = "No one will allow America to speak with Russia from a position of strength"
    strength_tr = "No one will allow America to talk to Russia from a position of force"
    strength_ru = "Никто не позволит Америке разговаривать с Россией с позиции силы"
    rt_body = (
        "If American diplomats want constructive talks with Russia, they will have to treat their counterparts "
        "in Moscow as equals, the Kremlin has warned.\n\nIn an interview with Argumenty i Fakty published on "
        f"Tuesday, Dmitry Peskov said that Russia would refuse a one-dimensional relationship. “{strength_en},” "
        "he said. “This is impossible.”\n\nVladimir Putin has repeatedly said Moscow is open to dialogue."
    )
    articles = {
        "rt": _article(
            "rt", "Putin won't allow US to lecture Russia from 'a position of power,' Kremlin insists", rt_body,
            outlet="rt.com", lang="en", when="2021-03-30T11:49", url="https://www.rt.com/russia/519612-peskov/",
            quotes=[(strength_en, PESKOV.key, "st-strength")],
            names={"Dmitry Peskov": PESKOV.key, "Russia": RUSSIA.key, "Vladimir Putin": PUTIN.key},
            removed=[RemovedSpan("icon bookmark-bicon bookmarkicon cameraicon", "icon-row", 0),
                     RemovedSpan("READ MORE: Moscow says it is ready for talks", "link-teaser", 400)],
            raw_prefix="icon bookmark-bicon bookmarkicon cameraicon\n",
        ),
        "rt_copy": _article(
            "rt_copy", "Putin won't allow US to lecture Russia from 'a position of power,' Kremlin insists",
            rt_body + "\n\nRepublished with permission.", outlet="newsfront.example", lang="en",
            when="2021-03-30T15:10", quotes=[(strength_en, PESKOV.key, "st-strength")],
            names={"Dmitry Peskov": PESKOV.key},
        ),
        "iqna": _article(
            "iqna", "Kremlin: Neither Putin nor anyone else will let the Americans talk to us like this",
            "Kremlin spokesman Dmitry Peskov said on Tuesday that Moscow will not accept lectures from Washington. "
            "“Neither Putin nor anyone else will allow the Americans to talk to us like this,” Peskov told "
            "Argumenty i Fakty.", outlet="iqna.ir", lang="en", when="2021-03-31T11:59",
            quotes=[("Neither Putin nor anyone else will allow the Americans to talk to us like this", PESKOV.key,
                     "st-neither")],
            names={"Dmitry Peskov": PESKOV.key},
            removed=[RemovedSpan("Story Code : 924469", "page-furniture", 10)],
        ),
        "islworld": _article(
            "islworld", "Peskov: no one will talk to Russia from a position of strength",
            f"The press secretary of the President, Dmitry Peskov, said: “{strength_tr}. It's impossible.” "
            "Based on materials from TASS.", outlet="russia-islworld.ru", lang="en", when=None, credited="TASS",
            quotes=[(strength_tr, PESKOV.key, "st-strength")], names={"Dmitry Peskov": PESKOV.key},
        ),
        "ria": _article(
            "ria", "Песков: никто не будет разговаривать с Россией с позиции силы",
            f"Пресс-секретарь президента Дмитрий Песков заявил: «{strength_ru}». По его словам, это невозможно.",
            outlet="ria.ru", lang="ru", when="2021-03-30T09:00", quotes=[(strength_ru, PESKOV.key, "st-strength")],
            names={"Дмитрий Песков": PESKOV.key, "Россией": RUSSIA.key},
        ),
        "tass": _article(
            "tass", "Kremlin says Moscow open to dialogue with Washington on strategic stability",
            "MOSCOW, January 24. /TASS/. Russia is ready to work with the new US administration, Kremlin spokesman "
            "Dmitry Peskov said on the Moscow. Kremlin. Putin programme. “We are ready for dialogue as far as the "
            "Americans are ready,” he said.", outlet="tass.com", lang="en", when="2021-01-24T10:00",
            quotes=[("We are ready for dialogue as far as the Americans are ready", PESKOV.key, None)],
            names={"Dmitry Peskov": PESKOV.key, "Russia": RUSSIA.key},
        ),
        "hostile": _article(
            "hostile", HOSTILE_TITLE,
            f'Readers were told: “{HOSTILE_QUOTE}”. Click <a href="javascript:alert(5)">here</a> '
            '"><img src=x onerror=alert(6)> for the Kremlin spokesman Dmitry Peskov\'s reply.',
            outlet=HOSTILE_OUTLET, lang="en", when="2021-01-25T08:00", url=HOSTILE_URL, credited=FORMULA,
            quotes=[(HOSTILE_QUOTE, None, None)], names={"Dmitry Peskov": PESKOV.key},
        ),
        "rbc": _article(
            "rbc", "Песков назвал условие нормальных отношений с США",
            "Нормальные отношения возможны, если США откажутся от гегемонизма, заявил Дмитрий Песков РИА Новости. "
            "«Америка должна отказаться от гегемонизма», — сказал он.", outlet="rbc.ru", lang="ru",
            when="2022-04-12T12:00", quotes=[("Америка должна отказаться от гегемонизма", PESKOV.key, None)],
            names={"Дмитрий Песков": PESKOV.key, "США": USA.key},
        ),
        "riga": _article(
            "riga", "Flood closes the old town of Riga",
            "Heavy rain flooded the old town of Riga on Monday, the city council said. Trams were stopped.",
            outlet="lsm.lv", lang="en", when="2021-06-07T07:30",
        ),
    }
    articles["rt_copy"].duplicate_of = articles["rt"].id
    return articles


def build_sample_store(path: Path) -> SampleIds:
    """Write the sample articles, four events and one story into a new SQLite file at ``path``."""
    articles = sample_articles()
    groups = {"E1": ["rt", "rt_copy", "iqna", "islworld", "ria"], "E2": ["tass", "hostile"], "E3": ["rbc"],
              "E4": ["riga"]}
    titles = {"E1": "Peskov: no one will talk to Russia from a position of strength",
              "E2": "Kremlin open to dialogue with the new US administration",
              "E3": "Peskov names the condition for normal relations with the US",
              "E4": "Flood in Riga"}
    events: dict[str, Event] = {}
    evidence = {}
    for name, keys in groups.items():
        ids = sorted(articles[k].id for k in keys)
        dates = sorted(d for k in keys if (d := articles[k].published))
        event = Event(stable_id("e", *ids), ids, titles[name], dates[0] if dates else None,
                      dates[-1] if dates else None, sorted({articles[k].outlet or "" for k in keys}))
        events[name] = event
        for k in keys:
            evidence[articles[k].id] = {"event_id": event.id, "score": 0.8, "reason": f"shares entities with {name}",
                                        "entities": ["per:dmitry peskov"]}
            others = [i for i in ids if i != articles[k].id]
            if others:  # what the grouping writes: the best link, and one across the event's days
                evidence[articles[k].id].update(
                    similar_to=others[0],
                    linked_across_days={"article": others[-1], "days_apart": 3.5, "time_factor": 0.81})
    evidence[articles["rt"].id].update(shared_names=["dmitry peskov", "kremlin"],  # stems and keys, as stored
                                       shared_entities=[PESKOV.key])
    near, far = events["E1"], events["E2"]  # what the grouping writes for the nearest report of another event
    evidence[near.article_ids[0]]["closest_elsewhere"] = {
        "article": far.article_ids[0], "event_id": far.id, "pair_score": 0.09, "lexical_sim": 0.15, "time_factor": 0.6,
        "count_conflicts": ["somal: 26 / 23"]}
    story_events = [events["E2"], events["E1"], events["E3"]]
    story = Story(stable_id("s", *[e.id for e in story_events]), [e.id for e in story_events],
                  "The Kremlin on Russia–US relations", story_events[0].start, story_events[-1].end,
                  [PESKOV.key, USA.key])
    for e in story_events:
        e.story_id = story.id
    with SQLiteStore(path) as store:
        store.add_articles(list(articles.values()))
        store.save_events(list(events.values()), evidence)
        store.save_stories([story])
    return SampleIds(path, story.id, {k: e.id for k, e in events.items()}, {k: a.id for k, a in articles.items()})


@pytest.fixture(scope="session")
def web_db(tmp_path_factory: pytest.TempPathFactory) -> SampleIds:
    return build_sample_store(tmp_path_factory.mktemp("webstore") / "store.db")


def test_fixture_store_holds_what_the_viewers_need(web_db: SampleIds) -> None:
    with SQLiteStore(web_db.db, readonly=True) as store:
        assert store.count_articles() == len(web_db.articles)
        assert [s.id for s in store.stories()] == [web_db.story]
        e1 = store.event(web_db.events["E1"])
        assert e1 is not None and e1.story_id == web_db.story and len(e1.article_ids) == 5
        statements = {q.statement_id for q in store.quotes(event_id=web_db.events["E1"])}
        assert "st-strength" in statements
        hostile = store.article(web_db.articles["hostile"])
        assert hostile is not None and hostile.title == HOSTILE_TITLE
        assert hostile.quotes[0].text == HOSTILE_QUOTE
