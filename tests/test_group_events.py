"""Event grouping behaviour on small hand-written corpora: real features, real clustering, real USE model.

Each test states a property users rely on: the same happening across outlets is one event; two events of
the same kind (two shootings the same day) in different places are two; a translation joins its original;
the answer does not depend on input order or batch size; ids are stable as a stream grows.
"""

from __future__ import annotations

import random
from datetime import date, datetime

import numpy as np
import pytest

from storyline.config import Config
from storyline.group.events import EventIndex, average_linkage, group_events, score_article_pairs
from storyline.model import Article, DateGuess, stable_id
from storyline.represent.pairs import Profiler


def article(aid: str, title: str, body: str, day: str | None, lang: str = "en", outlet: str = "") -> Article:
    date = DateGuess(datetime.fromisoformat(day), 1.0, "metadata", has_time=" " in day) if day else None
    return Article(id=aid, title=title, body=body, lang=lang, date=date, outlet=outlet or aid.split("-")[0])


BASTROP = [
    article("kxan-bastrop", "Three killed in Bastrop apartment shooting",
            "BASTROP, Texas — Three people were killed Saturday night at the Arbors of Bastrop apartments. Police "
            "identified the victims as Erica Rodriguez, 21, and Paula Nino, 20. Bastrop police chief Vicky Steffanic "
            "said the gunman, Alejandro Martinez, shot himself.", "2016-07-23 23:10"),
    article("fox7-bastrop", "Witness recalls fatal Bastrop shooting at Arbors apartments",
            "Residents of the Arbors of Bastrop apartments heard gunfire by the pool on Saturday. Police said Erica "
            "Rodriguez and Paula Nino died and that Alejandro Martinez, 20, was the gunman, chief Vicky Steffanic "
            "told reporters in Bastrop.", "2016-07-24 09:30"),
]
DAYTON = [
    article("whio-dayton", "Two wounded in shooting outside Dayton bar",
            "DAYTON, Ohio — Two men were wounded early Saturday outside the Oregon District bar Blind Bob's on Fifth "
            "Street. Dayton police Sgt. Michael Hudson said officers found Marcus Bell, 34, and Devon Price, 29, "
            "with gunshot wounds.", "2016-07-23 02:15"),
    article("ddn-dayton", "Police seek gunman after Oregon District shooting in Dayton",
            "Dayton police are looking for the man who shot Marcus Bell and Devon Price outside Blind Bob's on Fifth "
            "Street in the Oregon District on Saturday, Sgt. Michael Hudson said. Both men are expected to survive.",
            "2016-07-23 14:40"),
]
FIRE = [
    article("kxan-fire", "Wildfire forces evacuations near Smithville",
            "A wildfire burning near Smithville forced the evacuation of 300 homes on Sunday as crews from the Texas "
            "A&M Forest Service battled the blaze on Loop 230, fire chief Art Chavez said.", "2016-07-24 16:00"),
]
CORPUS = BASTROP + DAYTON + FIRE

EN_PESKOV = article(
    "tass-en", "Peskov says Putin is ready for dialogue with the new US administration",
    "Kremlin spokesman Dmitry Peskov said on Sunday that Russian President Vladimir Putin is ready to take a "
    "reciprocal step if the new administration in Washington wants dialogue. Peskov spoke to the Rossiya-1 "
    "programme Moscow. Kremlin. Putin.", "2021-01-24 12:00")
RU_PESKOV = article(
    "ria-ru", "Песков заявил о готовности Путина к диалогу с новой администрацией США",
    "Пресс-секретарь Кремля Дмитрий Песков заявил в воскресенье, что президент России Владимир Путин готов сделать "
    "ответный шаг, если новая администрация в Вашингтоне захочет диалога. Песков выступил в программе "
    "«Москва. Кремль. Путин» на телеканале Россия-1.", "2021-01-24 13:30", lang="ru")
RU_OTHER = article(
    "ria-flood", "В Екабпилсе из-за ледового затора эвакуировали 420 жителей",
    "Спасатели эвакуировали 420 жителей Екабпилса, где ледовый затор на Даугаве поднял уровень воды на три метра, "
    "сообщила государственная пожарно-спасательная служба Латвии.", "2021-01-24 15:00", lang="ru")


def grouped(articles: list[Article], config: Config, embedder: object | None = None) -> list[list[str]]:
    events, _ = group_events(articles, config, embedder)
    return sorted(sorted(e.article_ids) for e in events)


@pytest.fixture(scope="module")
def embedder():  # noqa: ANN201
    from storyline.represent.embed import Embedder

    return Embedder()


def test_same_kind_of_event_in_two_places_gives_two_events() -> None:
    assert grouped(CORPUS, Config(fast=True)) == [
        ["ddn-dayton", "whio-dayton"], ["fox7-bastrop", "kxan-bastrop"], ["kxan-fire"]]


def test_any_input_order_and_batch_size_give_the_same_events_and_evidence() -> None:
    reference = group_events(CORPUS, Config(fast=True))
    for seed in range(3):
        shuffled = CORPUS[:]
        random.Random(seed).shuffle(shuffled)
        assert group_events(shuffled, Config(fast=True, batch_size=2)) == reference


def test_event_id_is_derived_from_the_earliest_report() -> None:
    events, _ = group_events(CORPUS, Config(fast=True))
    bastrop = next(e for e in events if "kxan-bastrop" in e.article_ids)
    assert bastrop.id == stable_id("e", "kxan-bastrop")
    assert bastrop.start == datetime(2016, 7, 23, 23, 10) and bastrop.outlets == ["fox7", "kxan"]


def test_a_russian_report_joins_its_english_counterpart_but_not_another_story(embedder: object) -> None:
    groups = grouped([EN_PESKOV, RU_PESKOV, RU_OTHER, *BASTROP], Config(), embedder)
    assert ["ria-ru", "tass-en"] in groups
    assert ["ria-flood"] in groups


def test_across_languages_a_shared_city_is_not_a_shared_event(embedder: object) -> None:
    """A fire in Riga (Russian) and a dock strike in Riga (English) the same day share the name and nothing else:
    the embedding disagrees on what happened, so the name alone does not link them; the Peskov reports, whose
    embedding agrees, keep their link."""
    fire = article("ru-fire", "Пожар в Риге", "В понедельник в Риге на складе на улице Маскавас произошёл пожар, "
                   "сообщила пожарная служба. Пострадавших нет.", "2024-01-15 10:00", lang="ru")
    strike = article("en-strike", "Riga dockers strike", "Dockers at the port of Riga went on strike on Monday "
                     "over pay, halting the container terminal.", "2024-01-15 11:00")
    [gated] = score_article_pairs([fire, strike], [(fire.id, strike.id)], Config(), embedder)
    [names_only] = score_article_pairs([fire, strike], [(fire.id, strike.id)], Config(fast=True))
    assert names_only >= Config().event_threshold > gated  # without embeddings, the shared name is all there is
    [peskov] = score_article_pairs([EN_PESKOV, RU_PESKOV], [(EN_PESKOV.id, RU_PESKOV.id)], Config(), embedder)
    assert peskov >= 2 * Config().event_threshold
    assert grouped([fire, strike], Config(), embedder) == [["en-strike"], ["ru-fire"]]


def test_months_apart_and_undated_reports_need_stronger_evidence() -> None:
    config = Config(fast=True)
    later = [article(a.id + "-later", a.title, a.body, "2016-12-01 10:00") for a in DAYTON]
    undated = [article(a.id + "-undated", a.title, a.body, None) for a in DAYTON]
    near, far, blank = (score_article_pairs([DAYTON[0], other], [(DAYTON[0].id, other.id)], config)[0]
                        for other in (DAYTON[1], later[1], undated[1]))
    assert near > blank > far > 0


def test_a_follow_up_naming_the_event_day_keeps_more_of_its_score() -> None:
    """Months later, an arrest report that names the shooting's day ("the July 23 shooting", "23 июля") is scored
    with the event's reports at ``event_recall_factor`` instead of the time floor; the --why evidence says so."""
    config = Config(fast=True)
    body = ("Police arrested a man over the July 23 shooting outside the Oregon District bar Blind Bob's on Fifth "
            "Street in Dayton, in which Marcus Bell and Devon Price were wounded.")
    named = article("ddn-arrest", "Arrest in Dayton bar shooting", body, "2016-10-20 10:00")
    unnamed = article("ddn-arrest-2", "Arrest in Dayton bar shooting", body.replace("the July 23", "the"),
                      "2016-10-20 10:00")
    with_day, without_day = (score_article_pairs([DAYTON[0], other], [(DAYTON[0].id, other.id)], config)[0]
                             for other in (named, unnamed))
    assert with_day == pytest.approx(without_day * config.event_recall_factor / config.event_time_floor, rel=0.05)
    no_recall = score_article_pairs([DAYTON[0], named], [(DAYTON[0].id, named.id)],
                                    Config(fast=True, event_recall_factor=0.0))[0]
    assert no_recall == pytest.approx(without_day, rel=0.05)

    # a first report two days later that says when it happened ("on Saturday") meets the follow-up on that day
    monday = article("whio-monday", DAYTON[0].title, DAYTON[0].body.replace("early Saturday", "on Saturday"),
                     "2016-07-25 09:00")
    unnamed_day = article("whio-monday-2", DAYTON[0].title, DAYTON[0].body.replace("early Saturday", ""),
                          "2016-07-25 09:00")
    on_saturday, no_day = (score_article_pairs([first, named], [(first.id, named.id)], config)[0]
                           for first in (monday, unnamed_day))
    assert on_saturday > 1.5 * no_day

    russian = article("ria-arrest", "Арест по делу о стрельбе в Дейтоне",
                      "Полиция задержала подозреваемого в стрельбе 23 июля у бара в Дейтоне.", "2016-10-20 10:00",
                      lang="ru")
    _, evidence = group_events([DAYTON[0], named, russian], Config(fast=True, event_threshold=0.0))
    assert evidence["ddn-arrest"]["recalls_date"] is True
    assert evidence["ddn-arrest"]["time_factor"] == pytest.approx(config.event_recall_factor)
    profiler = Profiler()
    profiler.observe([russian])
    assert [d.isoformat() for d in map(date.fromordinal, profiler.profiles([russian])[0].recalls)] == ["2016-07-23"]


PIRATES = [
    article("pti-pirates", "Indian Navy foils pirate attack in Gulf of Aden, captures 23 Somali pirates",
            "The Indian Navy warship INS Mysore foiled an attempt by pirates to hijack a merchant vessel in the Gulf of "
            "Aden and captured 23 Somali pirates, a Navy spokesman said.", "2011-02-05 10:00"),
    article("ani-pirates", "Navy captures 23 Somali pirates after thwarting hijack in Gulf of Aden",
            "An Indian Navy warship captured 23 Somali pirates on Saturday after they tried to hijack a merchant "
            "vessel in the Gulf of Aden, a Navy spokesman said. INS Mysore seized their weapons.", "2011-02-05 14:00"),
    article("ht-pirates", "Navy captures 26 Somali pirates after thwarting hijack in Gulf of Aden",
            "An Indian Navy warship captured 26 Somali pirates on Saturday after they tried to hijack a merchant "
            "vessel in the Gulf of Aden, a Navy spokesman said. INS Sukanya seized their weapons.", "2011-02-05 14:00"),
]


def test_reports_counting_the_same_things_differently_score_lower() -> None:
    """Same words, same kind of event, one count apart ("23 Somali pirates" / "26 Somali pirates"): the pair is
    scored × ``COUNT_CONFLICT``; a shared count keeps the full score, and --why says which counts differ."""
    from storyline.represent.pairs import COUNT_CONFLICT, counted_things, score_pairs

    assert counted_things("Navy captures 1,500 troops", "Turnout was 38 percent in 2008 and 23 Somali pirates") == {
        "troop=1500", "somal=23"}
    # a sum's magnitude is not a thing counted, in either language or spelling
    assert counted_things("Отток капитала превысил 38 миллиардов долларов", "Из России утекло 38 млрд долл.") == set()
    assert counted_things("Japan to spend 116 billion dollars", "and 3 trillion yen on 20 bridges") == {"bridg=20"}
    profiler = Profiler()
    profiler.observe(PIRATES)
    scored = score_pairs(profiler.profiles(PIRATES), np.array([[0, 1], [0, 2], [1, 2]]), Config(fast=True))
    assert scored.counts.tolist() == [1.0, COUNT_CONFLICT, COUNT_CONFLICT]
    assert scored.score[1] == pytest.approx(scored.lexical[1] * COUNT_CONFLICT * scored.factor[1], abs=1e-8)
    assert scored.score[0] == pytest.approx(scored.lexical[0] * scored.factor[0], abs=1e-8)
    _, evidence = group_events(PIRATES, Config(fast=True, event_threshold=0.0))
    assert evidence["ht-pirates"]["count_conflicts"] == ["somal: 26 / 23"]  # its count / the closest report's
    assert evidence["ani-pirates"]["count_conflicts"] == []


WEATHER = [  # one outlet's daily forecast: the same words every day, the day in the title
    article(f"{outlet}-weather-{day}", title.format(day=day), body, f"2019-11-{day - 1:02d} 18:00", lang, outlet)
    for outlet, title, body, lang in (
        ("meteo", "Прогноз погоды в Москве на {day} ноября",
         "Синоптики Гидрометцентра обещают в Москве облачную погоду, местами небольшой снег, ночью до минус трёх "
         "градусов, днём около нуля. Ветер западный, пять–семь метров в секунду, атмосферное давление растёт.", "ru"),
        ("wx", "Moscow weather forecast for November {day}",
         "Forecasters at the Hydrometeorological Centre expect cloudy weather in Moscow with light snow in places, "
         "minus three degrees at night and around zero in the day. Westerly wind, pressure rising.", "en"))
    for day in (8, 9, 10)
]


def test_titles_that_name_other_days_are_other_happenings() -> None:
    """A daily series (forecasts, rates, live pages) repeats its words; the day its title names tells the days
    apart, in Russian and English. A report that names the same day is the same happening."""
    from storyline.represent.pairs import DAY_CONFLICT, count_conflicts, title_days

    assert title_days("Прогноз погоды в Москве на 8 ноября") == title_days("Weather for Nov. 8") == {313}
    assert title_days("Weather, Dec 31") == {366} and title_days("Three killed in Bastrop") == frozenset()
    same_day = article("tv-weather-8", "Погода на 8 ноября: в Москве ожидается снег",
                       "Синоптики обещают в Москве облачную погоду и небольшой снег, ночью до минус трёх градусов, "
                       "днём около нуля.", "2019-11-07 20:00", "ru")
    corpus = [*WEATHER, same_day]
    events, _ = group_events(corpus, Config(fast=True))
    assert sorted(e.article_ids for e in events) == [  # a day's forecasts in both languages are one
        ["meteo-weather-10", "wx-weather-10"], ["meteo-weather-8", "tv-weather-8", "wx-weather-8"],
        ["meteo-weather-9", "wx-weather-9"]]
    scores = score_article_pairs(corpus, [("meteo-weather-8", "meteo-weather-9"), ("meteo-weather-8", "tv-weather-8")],
                                 Config(fast=True))
    assert scores[0] == DAY_CONFLICT == 0.0 and scores[1] > 0.11
    # without the day in the title the series is one event: the words and the dates cannot tell the days apart
    untitled = [article(a.id, "Прогноз погоды в Москве", a.body, f"2019-11-{int(a.id[-2:].strip('-')) - 1:02d} 18:00",
                        "ru") for a in WEATHER if a.lang == "ru"]
    assert len(group_events(untitled, Config(fast=True))[0]) == 1
    profiler = Profiler()
    profiler.observe(WEATHER)
    eight, nine = profiler.profiles(WEATHER[:2])
    assert count_conflicts(nine, eight) == ["title day: 11-09 / 11-08"]  # what --why says of such a pair


def test_an_article_left_alone_names_its_closest_report_elsewhere(capsys: pytest.CaptureFixture[str]) -> None:
    """Why is this report not in that event? Its evidence gives the strongest link outside its own event, with the
    parts of that pair's score and the counts they disagree on; ``show --why`` prints it."""
    from storyline.cli import _print_evidence

    events, evidence = group_events(PIRATES, Config(fast=True, event_threshold=0.5))
    assert sorted(e.article_ids for e in events) == [["ani-pirates", "pti-pirates"], ["ht-pirates"]]
    elsewhere = evidence["ht-pirates"]["closest_elsewhere"]
    assert elsewhere["article"] == "ani-pirates" and elsewhere["event_id"] == evidence["ani-pirates"]["event_id"]
    assert elsewhere["count_conflicts"] == ["somal: 26 / 23"] and "somali" in elsewhere["shared_names"]
    assert elsewhere["pair_score"] == pytest.approx(elsewhere["lexical_sim"] * 0.6 * elsewhere["time_factor"], abs=1e-3)
    assert evidence["ani-pirates"]["closest_elsewhere"]["article"] == "ht-pirates"
    assert "closest_elsewhere" not in group_events(PIRATES[:2], Config(fast=True))[1]["ani-pirates"]
    # a weak link is noise, not an explanation: shown from half the threshold (the fire's best link outside: 0.0497)
    pair = score_article_pairs(CORPUS, [("kxan-fire", "kxan-bastrop")], Config(fast=True))[0]
    for threshold, shown in ((1.9 * pair, True), (2.1 * pair, False)):
        fire = group_events(CORPUS, Config(fast=True, event_threshold=threshold))[1]["kxan-fire"]
        assert fire["new_event"] and ("closest_elsewhere" in fire) is shown
        assert not shown or fire["closest_elsewhere"]["article"] == "kxan-bastrop"
    _print_evidence({"ht-pirates": evidence["ht-pirates"]})
    assert "closest elsewhere: ani-pirates in " in capsys.readouterr().out

    index = EventIndex(Config(fast=True, event_threshold=0.5))  # the stream's index says the same
    index.insert(PIRATES[:2])
    index.insert(PIRATES[2:])
    streamed = index.evidence()
    streamed_elsewhere = streamed["ht-pirates"]["closest_elsewhere"]  # scores differ: the stream's term statistics
    assert {k: streamed_elsewhere[k] for k in ("article", "event_id", "count_conflicts")} == {
        k: elsewhere[k] for k in ("article", "event_id", "count_conflicts")}
    assert streamed["ani-pirates"]["closest_elsewhere"]["article"] == "ht-pirates"


def test_evidence_reads_in_the_articles_words() -> None:
    """The grouping keeps stems ("ins sukanya", "compani"); what people read takes the article's own words."""
    from storyline.group.events import readable_evidence
    from storyline.represent.tokens import surface_forms

    text = "The INS Sukanya escorted 40 companies' ships through the internationally recognised corridor."
    assert surface_forms(["ins sukanya", "internationally recognis", "company", "#40", "mysor"], text) == [
        "INS Sukanya", "internationally recognised", "companies", "#40", "mysor"]
    assert readable_evidence({"shared_names": ["ins sukanya"], "shared_terms": ["sukanya", "corridor", "#40"],
                              "shared_entities": ["per:a b", "loc:c"]}, text, {"per:a b": "A B"}) == {
        "shared_names": ["INS Sukanya"], "shared_terms": ["corridor", "40"], "shared_entities": ["A B", "loc:c"]}
    _, evidence = group_events(PIRATES, Config(fast=True, event_threshold=0.5))
    why = evidence["ht-pirates"]
    readable = readable_evidence(why, f"{PIRATES[2].title}\n{PIRATES[2].body}")
    assert "somali" in why["closest_elsewhere"]["shared_names"]  # ht-pirates is alone: its nearest is elsewhere
    assert "Somali" in readable["closest_elsewhere"]["shared_names"]
    assert readable["closest_elsewhere"]["shared_names"] == surface_forms(why["closest_elsewhere"]["shared_names"],
                                                                          PIRATES[2].body)


def test_evidence_lists_an_inflected_russian_name_once() -> None:
    """Short Russian words keep their endings in the grouping's stems, so "Нарва", "Нарве", "Нарву" are three
    shared features of two articles about Narva; a reader is shown the name once, in its first form."""
    from storyline.group.events import readable_evidence

    text = "Выборы в Нарве: Каск и Соколова. Нарва проголосовала, Соколову поддержали, Каска нет. Нарву ждут тарифы."
    why = {"shared_names": ["каск", "каска", "нарва", "нарве", "нарву", "соколо"],
           "shared_terms": ["нарве", "тарифы", "выборы"],
           "closest_elsewhere": {"article": "x", "shared_names": ["нарва", "нарву"]}}
    readable = readable_evidence(why, text)
    assert readable["shared_names"] == ["Каск", "Нарва", "Соколова"]
    assert readable["shared_terms"] == ["тарифы", "Выборы"]  # "Нарве" is the name Нарва, already listed
    assert readable["closest_elsewhere"]["shared_names"] == ["Нарва"]
    assert readable_evidence({"shared_names": ["narva", "narvik"]}, "Narva and Narvik")["shared_names"] == [
        "Narva", "Narvik"]  # English words are compared whole


def test_copies_are_grouped_with_their_origin_whatever_their_text() -> None:
    copy = article("wire-copy", "Wildfire near Smithville", "Evacuations were ordered on Sunday.", "2016-07-24 17:00")
    copy.duplicate_of = "kxan-fire"
    assert ["kxan-fire", "wire-copy"] in grouped([*CORPUS, copy], Config(fast=True))


def test_evidence_names_the_closest_report_and_what_they_share() -> None:
    _, evidence = group_events(CORPUS, Config(fast=True))
    why = evidence["fox7-bastrop"]
    assert why["event_id"] == stable_id("e", "kxan-bastrop") and why["similar_to"] == "kxan-bastrop"
    assert {"bastrop", "paula nino"} <= set(why["shared_names"]) or "bastrop" in why["shared_terms"]
    assert why["days_apart"] == pytest.approx(0.43, abs=0.01) and why["time_factor"] == 1.0
    assert why["score"] == why["pair_score"] > Config().event_threshold
    assert evidence["kxan-fire"]["new_event"] is True and evidence["kxan-fire"]["similar_to"] is None


def test_evidence_shows_the_link_that_spans_the_days_of_an_event() -> None:
    """Same-day reports are each other's best link; what joined a follow-up 88 days later is its own entry, with
    the time factor that let it through. The stream names the same link; a one-day event has no such entry."""
    config = Config(fast=True, event_threshold=0.0)
    named = article("ddn-arrest", "Arrest in Dayton bar shooting",
                    "Police arrested a man over the July 23 shooting outside the Oregon District bar Blind Bob's on "
                    "Fifth Street in Dayton, in which Marcus Bell and Devon Price were wounded.", "2016-10-19 10:00")
    corpus = [*DAYTON, named]
    _, evidence = group_events(corpus, config)
    for aid in ("whio-dayton", "ddn-dayton"):
        assert evidence[aid]["similar_to"] != named.id
        assert evidence[aid]["linked_across_days"]["article"] == named.id
    across = evidence[named.id]["linked_across_days"]
    assert across["article"] in {"whio-dayton", "ddn-dayton"} and across["days_apart"] > 87
    assert across["recalls_date"] is True and across["time_factor"] == pytest.approx(config.event_recall_factor)
    assert 0 < across["pair_score"] <= across["lexical_sim"]
    index = EventIndex(config)
    for one in corpus:
        index.insert([one])
    streamed = index.evidence()[named.id]["linked_across_days"]  # scores differ: document frequencies grow
    assert {k: streamed[k] for k in ("article", "days_apart", "recalls_date", "time_factor")} == {
        k: across[k] for k in ("article", "days_apart", "recalls_date", "time_factor")}
    assert "linked_across_days" not in group_events(DAYTON, config)[1]["whio-dayton"]


def test_stream_keeps_ids_and_consolidation_records_merges() -> None:
    index = EventIndex(Config(fast=True))
    first = index.insert(BASTROP[:1] + DAYTON[:1])
    assert first == {"kxan-bastrop": stable_id("e", "kxan-bastrop"), "whio-dayton": stable_id("e", "whio-dayton")}
    second = index.insert([BASTROP[1], DAYTON[1], *FIRE])
    assert second["fox7-bastrop"] == first["kxan-bastrop"] and second["ddn-dayton"] == first["whio-dayton"]
    assert "kxan-fire" in index and len(index) == 3
    assert index.consolidate() == [] and index.merges == []
    stream = sorted(sorted(e.article_ids) for e in index.events())
    assert stream == grouped(CORPUS, Config(fast=True))


def test_consolidation_merges_events_the_stream_split() -> None:
    index = EventIndex(Config(fast=True, event_threshold=0.9))
    index.insert(BASTROP)
    assert len(index) == 2
    index.config = Config(fast=True)
    assert index.consolidate() == [(stable_id("e", "fox7-bastrop"), stable_id("e", "kxan-bastrop"))]
    assert [e.article_ids for e in index.events()] == [["fox7-bastrop", "kxan-bastrop"]]


def test_average_linkage_needs_the_mean_of_all_cross_pairs() -> None:
    # 0-1 and 2-3 are tight pairs; one link 1-2 of 0.5 is a mean of 0.125 over the four cross pairs
    pairs = np.array([[0, 1], [2, 3], [1, 2]])
    assert average_linkage(4, pairs, np.array([0.9, 0.8, 0.5]), 0.2) == [0, 0, 2, 2]
    assert average_linkage(4, pairs, np.array([0.9, 0.8, 0.5]), 0.1) == [0, 0, 0, 0]
    assert average_linkage(3, np.zeros((0, 2), dtype=int), np.zeros(0), 0.1) == [0, 1, 2]
