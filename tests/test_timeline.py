"""Story timelines: date order, representative headlines, short summaries; date mentions; the TLS; the CLI."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from datetime import date, datetime
from pathlib import Path

from storyline.cli import main
from storyline.group.timeline import (
    DESCRIBE_ARTICLES,
    DatedText,
    build_timeline,
    describe_event,
    describe_events,
    is_clickbait,
    mentioned_dates,
    summarize_dates,
)
from storyline.model import Article, DateGuess, Event, Story, content_hash, stable_id
from storyline.store import SQLiteStore


def art(aid: str, when: str | None, title: str, body: str, outlet: str | None = "Reuters",
        duplicate_of: str | None = None, partial: bool = False) -> Article:
    guess = None
    if when:
        guess = DateGuess(datetime.fromisoformat(when), 1.0, "metadata", year_known=not partial)
    return Article(id=aid, title=title, body=body, outlet=outlet, lang="en", date=guess, duplicate_of=duplicate_of,
                   content_hash=content_hash(aid + title + body))


QUAKE = "A magnitude 7.0 earthquake struck Haiti near Port-au-Prince on Tuesday, collapsing the presidential palace."
ARTICLES = [
    art("a1", "2010-01-12T22:00", "Massive earthquake strikes Haiti near Port-au-Prince",
        QUAKE + " Thousands are feared dead. Rescue teams from the United States and France are on their way."),
    art("a2", "2010-01-13T08:00", "YOU WON'T BELIEVE what happened in HAITI!!!",
        QUAKE + " Witnesses described scenes of devastation in the capital.", outlet="clickfarm.example"),
    art("a3", "2010-01-13T09:00", "Haiti earthquake: palace collapses",
        QUAKE + " Thousands are feared dead.", outlet="copycat.example", duplicate_of="a1"),
    art("b1", "2010-01-24T10:00", "Aid flights resume as Port-au-Prince airport reopens",
        "Aid flights resumed on Sunday after the Port-au-Prince airport reopened, the UN said. Food and water "
        "reached camps in the Haitian capital for the first time in days."),
    art("c1", "1900-01-30", "Haiti government declares end of search phase",
        "The Haitian government declared the search and rescue phase over on Saturday. Teams pulled more than "
        "130 people alive from the rubble of Port-au-Prince, officials said.", outlet="AP", partial=True),
]
BY_ID = {a.id: a for a in ARTICLES}
EVENTS = {
    "e1": Event("e1", ["a1", "a2", "a3"], "Earthquake in Haiti", datetime(2010, 1, 12, 22), datetime(2010, 1, 13, 9)),
    "e2": Event("e2", ["b1"], "Aid flights", datetime(2010, 1, 24, 10), datetime(2010, 1, 24, 10)),
    "e3": Event("e3", ["c1"], "Search ends"),
}
STORY = Story(id=stable_id("s", "e1"), event_ids=["e1", "e2", "e3"], title="Haiti earthquake",
              start=datetime(2010, 1, 12, 22), end=datetime(2010, 1, 24, 10), entities=["loc:haiti"],
              article_ids=sorted(BY_ID))


def test_entries_follow_the_story_with_headline_summary_and_size() -> None:
    entries = build_timeline(STORY, EVENTS, BY_ID)
    assert [e["event_id"] for e in entries] == ["e1", "e2", "e3"]
    assert [e["date"] for e in entries] == ["2010-01-12", "2010-01-24", "--01-30"]
    first = entries[0]
    assert first["headline"] == "Massive earthquake strikes Haiti near Port-au-Prince"
    assert first["outlet"] == "Reuters" and first["articles"] == 3
    assert first["summary"].startswith("A magnitude 7.0 earthquake struck Haiti")
    assert 1 <= first["summary"].count(". ") + 1 <= 2 and len(first["summary"]) <= 360


def test_headline_is_central_original_from_a_known_outlet_and_not_clickbait() -> None:
    assert is_clickbait("YOU WON'T BELIEVE what happened in HAITI!!!")
    assert is_clickbait("Is this the end?")
    assert not is_clickbait("Massive earthquake strikes Haiti near Port-au-Prince")
    members = [BY_ID["a2"], BY_ID["a3"], BY_ID["a1"]]
    assert describe_event(members)[0].id == "a1"


def test_describe_events_gives_the_timeline_headline_as_title_and_its_summary() -> None:
    events = [Event(e.id, list(e.article_ids), e.title, e.start, e.end) for e in EVENTS.values()]
    describe_events(events, BY_ID)
    entries = {e["event_id"]: e for e in build_timeline(STORY, {e.id: e for e in events}, BY_ID)}
    quake = events[0]
    assert quake.title == "Massive earthquake strikes Haiti near Port-au-Prince", "not the clickbait, not the copy"
    assert quake.summary.startswith("A magnitude 7.0 earthquake struck Haiti")
    assert all(e.title == entries[e.id]["headline"] and e.summary == entries[e.id]["summary"] for e in events)
    untouched = Event("e9", ["not-stored"], "Kept title")
    describe_events([untouched], BY_ID)
    assert (untouched.title, untouched.summary) == ("Kept title", "")


def test_a_big_event_is_described_by_its_first_originals_only() -> None:
    """The cost of describing an event is bounded: articles after the first 40 originals by date are not read."""
    first = [art(f"f{k:02d}", f"2010-01-{1 + k // 4:02d}T{k % 4 * 5:02d}:00", f"Storm hits coast, report {k}",
                 "A winter storm hit the coast on Monday, cutting power to thousands of homes. Crews worked "
                 "through the night to restore the lines.") for k in range(DESCRIBE_ARTICLES)]
    late = [art(f"z{k:02d}", "2010-02-20T10:00", "Storm inquiry opens in the capital",
                "Lawmakers opened an inquiry into the storm response on Friday, weeks after the power cuts. "
                "The inquiry will hear from the grid operator first.") for k in range(DESCRIBE_ARTICLES + 5)]
    headline, summary = describe_event(late + first)
    expected_headline, expected_summary = describe_event(first)
    assert (headline.id, summary) == (expected_headline.id, expected_summary)
    assert headline.id.startswith("f") and "inquiry" not in summary


def test_date_mentions_resolve_against_the_publication_day() -> None:
    published = date(2010, 4, 22)  # a Thursday
    assert mentioned_dates("The rig exploded on April 20 , 2010 .", published) == [date(2010, 4, 20)]
    assert mentioned_dates("The rig sank on Thursday and burned yesterday .", published) == [
        date(2010, 4, 22), date(2010, 4, 21)]
    assert mentioned_dates("BP will try again on Monday .", published) == [date(2010, 4, 26)]
    assert mentioned_dates("Officials met on 3 May .", published) == [date(2010, 5, 3)]
    assert mentioned_dates("Officials may meet again .", published) == []
    assert mentioned_dates("The filing dated 2010-04-12 was late .", published) == [date(2010, 4, 12)]  # ISO
    assert mentioned_dates("Пожар начался 17 апреля 2010 года, а 2 мая завод закрыли.", published) == [
        date(2010, 4, 17), date(2010, 5, 2)]


def test_tls_picks_the_most_mentioned_days_and_central_sentences() -> None:
    docs = [
        DatedText(date(2010, 4, 21), ["The Deepwater Horizon rig exploded on April 20 , killing 11 workers .",
                                      "BP said the fire on the rig was still burning ."]),
        DatedText(date(2010, 4, 23), ["The rig that exploded on April 20 sank into the Gulf of Mexico .",
                                      "Oil began to leak from the well on Thursday , the Coast Guard said ."]),
        DatedText(date(2010, 4, 30), ["Oil from the well reached the Louisiana coast on Thursday night .",
                                      "The rig explosion on April 20 is the worst in a decade ."]),
    ]
    timeline = summarize_dates(docs, n_dates=2, n_sentences=1, start=date(2010, 4, 20), end=date(2010, 4, 30))
    assert list(timeline)[0] == date(2010, 4, 20), timeline
    assert len(timeline) == 2 and all(len(s) == 1 for s in timeline.values())
    assert "April 20" in timeline[date(2010, 4, 20)][0]


def _cli(*args: str) -> str:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(list(args)) == 0
    return out.getvalue()


def test_cli_timeline_json_and_text(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    with SQLiteStore(db) as store:
        store.add_articles(ARTICLES)
        store.save_events(list(EVENTS.values()))
        store.save_stories([STORY])
    data = json.loads(_cli("timeline", STORY.id, "--db", str(db), "--json"))
    assert data["id"] == STORY.id and [e["event_id"] for e in data["entries"]] == ["e1", "e2", "e3"]
    assert {"start", "end", "entities"} <= set(data)
    text = _cli("timeline", STORY.id, "--db", str(db))
    assert text.index("2010-01-12") < text.index("2010-01-24") < text.index("????-01-30")
    assert main(["timeline", "s-missing", "--db", str(db)]) == 1


def test_a_summary_sentence_without_its_full_stop_still_ends_before_the_next() -> None:
    """Seed 004: a lead paragraph with no full stop ran into the next sentence ("… of hegemonism Earlier, …")."""
    lead = ("According to the press secretary, the only way to normalise relations with the United States would be "
            "for Washington to abandon the policy of hegemonism")
    other = "Earlier, Peskov said that relations between Russia and the United States are at a zero point today."
    article = art("r1", "2022-05-05T10:00", "Peskov names the condition for normal relations with the US",
                  f"{lead}\n\n{other}")
    _, summary = describe_event([article])
    assert summary.startswith(lead) and "hegemonism. Earlier" in summary


def test_a_quoted_title_is_not_cut_at_its_full_stops() -> None:
    """Seed 003: Peskov spoke to "the programme “Moscow. Kremlin. Putin”": the summary sentence ended at "“Moscow."."""
    from storyline.group.timeline import split_sentences

    text = ("Peskov said so in an interview with “Moscow. Kremlin. Putin” on Rossiya-1. He added more. "
            "В эфире «Москва. Кремль. Путин» он повторил это. Потом всё.")
    assert split_sentences(text) == ["Peskov said so in an interview with “Moscow. Kremlin. Putin” on Rossiya-1.",
                                     "He added more.", "В эфире «Москва. Кремль. Путин» он повторил это.", "Потом всё."]
    left_open = "He said “yes. And more. Still quoted. Another one. Yet another."
    assert len(split_sentences(left_open)) == 2  # a quote left open joins at most three more sentences


def test_a_summary_keeps_to_the_headlines_language_and_skips_sentences_cut_from_a_quote() -> None:
    """Sample corpus: a translation shares no word with the sentence it translates, so it passed for a second piece
    of news ("… guilty of taking bribes. Томас Валюкас … приговорён …"); the sentence splitter's cut inside a
    quote began a summary with 'The failures were ours," …'."""
    english = art("en1", "2024-06-11T09:00", "Ex-railway manager Valiukas gets five years for bribery",
                  "Former railway freight manager Tomas Valiukas was sentenced to five years in prison on Tuesday "
                  "for taking bribes. The ice was late. The failures were ours,\" the judge Audrius Pocius told "
                  "the court in Vilnius on Tuesday. His lawyer said the defence would appeal the verdict next week.")
    russian = Article(id="ru1", title="Валюкас получил пять лет", lang="ru", outlet="Вечерний порт",
                      date=DateGuess(datetime(2024, 6, 11, 10), 1.0, "metadata"), content_hash=content_hash("ru1"),
                      body="Томас Валюкас, бывший менеджер железной дороги, приговорён к пяти годам лишения свободы "
                           "за получение взяток в Вильнюсе.")
    headline, summary = describe_event([english, russian])
    assert headline.id == "en1"
    assert summary.startswith("Former railway freight manager Tomas Valiukas was sentenced")
    assert "Валюкас" not in summary and "The failures were ours" not in summary
    assert summary.endswith("His lawyer said the defence would appeal the verdict next week.")
