"""Outlet comparison of one event: counts, first reporter, copies under their origin, what only one outlet says."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from datetime import datetime
from pathlib import Path

from storyline.cli import main
from storyline.group.compare import compare_event
from storyline.model import Article, DateGuess, Event, Quote, content_hash
from storyline.store import SQLiteStore

LEAD = ("Kremlin spokesman Dmitry Peskov said no one will talk to Russia from a position of strength. "
        "He told Argumenty i Fakty that the Americans keep repeating this like a mantra.")


def art(aid: str, when: str, title: str, body: str, outlet: str | None, credited: str | None = None,
        duplicate_of: str | None = None) -> Article:
    return Article(id=aid, title=title, body=body, outlet=outlet, credited_source=credited, lang="en",
                   date=DateGuess(datetime.fromisoformat(when), 1.0, "metadata", has_time=True),
                   duplicate_of=duplicate_of, content_hash=content_hash(aid + body))


TASS = art("tass", "2021-03-30T09:10", "Peskov: no one will talk to Russia from a position of strength",
           LEAD + " Peskov also said the dialogue with Washington is at its lowest point in years.", "TASS")
REPUBLISHED = art("islam", "2021-03-30T12:00", "Russia will not let the US talk from a position of force",
                  LEAD + " Based on materials from TASS.", "islam-today.example", credited="TASS")
COPY = art("copy", "2021-03-30T13:00", "Peskov: no one will talk to Russia from a position of strength",
           LEAD + " Peskov also said the dialogue with Washington is at its lowest point in years.",
           "mirror.example", duplicate_of="tass")
RT = art("rt", "2021-03-30T11:49", "Putin won't allow US to lecture Russia, Kremlin insists",
         LEAD + " Earlier this month Joe Biden called Vladimir Putin a killer in an interview with ABC News.", "RT")
RT.quotes = [Quote("rt", "Nobody can speak to Russia like that", 0, 10, "per:dmitry peskov", "Dmitry Peskov",
                   "said", 0.9, statement_id="st-rt")]
MEMBERS = [TASS, REPUBLISHED, COPY, RT]
EVENT = Event("e1", [a.id for a in MEMBERS], "Peskov on talks from a position of strength",
              datetime(2021, 3, 30, 9, 10), datetime(2021, 3, 30, 13))


def _compare() -> dict:
    return compare_event(EVENT, {a.id: a for a in MEMBERS}, {"copy": "tass"})


def test_outlets_with_counts_and_the_first_reporter() -> None:
    data = _compare()
    assert [(o["outlet"], o["articles"]) for o in data["outlets"]] == [
        ("TASS", 1), ("RT", 1), ("islam-today.example", 1), ("mirror.example", 1)]
    assert data["first"]["outlet"] == "TASS" and data["first"]["article_id"] == "tass"


def test_copies_and_credited_republications_are_shown_under_their_origin() -> None:
    origins = _compare()["origins"]
    assert [o["article_id"] for o in origins] == ["tass"]
    copies = {c["article_id"]: c["how"] for c in origins[0]["copies"]}
    assert copies == {"islam": "credits TASS", "copy": "near-duplicate"}


def test_headlines_side_by_side_originals_first() -> None:
    headlines = _compare()["headlines"]
    assert [h["article_id"] for h in headlines] == ["tass", "rt", "islam", "copy"]
    assert headlines[-1]["copy_of"] == "tass" and headlines[0]["copy_of"] is None


def test_only_here_lists_what_no_other_outlet_carries() -> None:
    only = {item["outlet"]: item for item in _compare()["only_here"]}
    assert only["RT"]["sentences"] == ["Earlier this month Joe Biden called Vladimir Putin a killer in an interview "
                                       "with ABC News."]
    assert [q["text"] for q in only["RT"]["quotes"]] == ["Nobody can speak to Russia like that"]
    assert only["TASS"]["sentences"] == [], "the copy carries TASS's extra sentence too"
    assert not any("Peskov said no one" in s for item in only.values() for s in item["sentences"])


def test_a_credit_to_an_outlet_outside_the_event_is_named() -> None:
    alone = compare_event(Event("e2", ["islam"], "x"), {"islam": REPUBLISHED}, {})
    assert alone["origins"] == [{"article_id": None, "outlet": "TASS", "published": None, "headline": None,
                                 "copies": [{"article_id": "islam", "outlet": "islam-today.example",
                                             "published": "2021-03-30T12:00", "headline": REPUBLISHED.title,
                                             "how": "credits TASS"}]}]


def test_an_article_without_outlet_shown_under_its_credited_source_is_not_its_own_copy() -> None:
    """No outlet, credited "TASS": the article is listed as TASS's, so it is not also a re-publication of TASS."""
    own = art("own", "2021-03-30T10:00", "Peskov on the dialogue", LEAD, None, credited="TASS")
    data = compare_event(Event("e3", ["own", "rt"], "x"), {"own": own, "rt": RT}, {})
    assert [o["outlet"] for o in data["outlets"]] == ["TASS", "RT"]
    assert data["origins"] == []
    with_tass = compare_event(Event("e4", ["tass", "own"], "x"), {"tass": TASS, "own": own}, {})
    assert with_tass["origins"] == [] and [o["articles"] for o in with_tass["outlets"]] == [2]


def test_cli_compare_json(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    with SQLiteStore(db) as store:
        store.add_articles(MEMBERS)
        store.set_duplicates({"copy": "tass"})
        store.save_events([EVENT])
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["compare", "e1", "--db", str(db), "--json"]) == 0
    data = json.loads(out.getvalue())
    assert data["first"]["outlet"] == "TASS"
    assert {c["article_id"] for c in data["origins"][0]["copies"]} == {"islam", "copy"}
    text = io.StringIO()
    with redirect_stdout(text):
        assert main(["compare", "e1", "--db", str(db)]) == 0
    assert "first: TASS" in text.getvalue() and "near-duplicate" in text.getvalue()
