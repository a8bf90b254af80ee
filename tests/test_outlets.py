"""Outlet profiles: first reports, lag, copies and company, from constructed events and from the sample store."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import datetime
from pathlib import Path

from storyline.group.compare import UNKNOWN_OUTLET, compare_event
from storyline.group.outlets import outlet_profiles, publisher
from storyline.model import Article, DateGuess, Event
from storyline.store import SQLiteStore
from storyline.web.outlets import OutletTable, list_outlets, outlet_detail
from storyline.web.queries import connect_readonly


def _article(aid: str, outlet: str | None, when: str | None, *, offset: int | None = None, credited: str | None = None,
             copy_of: str | None = None, lang: str = "en") -> Article:
    date = None
    if when is not None:
        date = DateGuess(datetime.fromisoformat(when), 0.9, "stamp", has_time="T" in when, utc_offset=offset)
    return Article(aid, f"title {aid}", "", outlet=outlet, credited_source=credited, lang=lang, date=date,
                   duplicate_of=copy_of)


def _profiles(events: dict[str, list[Article]], loose: list[Article] = ()):
    articles = {a.id: a for items in events.values() for a in items} | {a.id: a for a in loose}
    return outlet_profiles(sorted((eid, [a.id for a in items]) for eid, items in events.items()), articles)


def test_first_reports_lag_and_exclusives_are_counted_per_outlet() -> None:
    """TASS at 10:00 Moscow time (07:00 UTC) is before RT at 08:30 UTC: first, and RT 1.5 hours behind; an event
    RT alone covers is exclusive, not a first report; days without times give an order but no lag."""
    profiles = _profiles({
        "e1": [_article("rt1", "RT", "2024-03-04T08:30", offset=0),
               _article("tass1", "TASS", "2024-03-04T10:00", offset=180, lang="ru")],
        "e2": [_article("rt2", "RT", "2024-03-05T09:00", offset=0)],
        "e3": [_article("tass3", "TASS", "2024-03-07"), _article("rt3", "RT", "2024-03-06")],
    })
    tass, rt = profiles["TASS"], profiles["RT"]
    assert (tass.events, tass.shared, tass.first_reports, tass.exclusive) == (2, 2, 1, 0)
    assert (rt.events, rt.shared, rt.first_reports, rt.exclusive) == (3, 2, 1, 1)
    assert rt.lags == [1.5] and tass.lags == [] and rt.median_lag_hours() == 1.5
    assert [(c.event_id, c.rank, c.lag_hours) for c in tass.coverage] == [("e1", 1, None), ("e3", 2, None)]
    assert tass.alongside == Counter({"RT": 2}) and rt.alongside == Counter({"TASS": 2})
    assert tass.languages == Counter({"ru": 1, "en": 1}) and (rt.summary()["first_day"], rt.summary()["last_day"]) == (
        "2024-03-04", "2024-03-06")


def test_copies_count_under_the_outlet_they_repeat_and_a_wire_tag_is_no_credit() -> None:
    """A near-copy repeats its origin's outlet; a re-publication without publisher is the unknown outlet's,
    copying the outlet it credits by whatever name ("RIB" is the stored "РИБ"); Baltic Wire's own tag BWA is
    neither a credit nor a copy."""
    profiles = _profiles({
        "e1": [_article("bw1", "Baltic Wire", "2024-01-15T11:40", credited="BWA"),
               _article("ct1", "Coastline Times", "2024-01-15T13:00", copy_of="bw1")],
        "e2": [_article("rib2", "РИБ", "2024-02-06T08:30", lang="ru"),
               _article("end2", None, "2024-02-06T12:00", credited="RIB")],
    }, loose=[_article("lone", "Coastline Times", "2024-05-01")])
    assert profiles["Baltic Wire"].credits == Counter() and profiles["Baltic Wire"].copies == 0
    assert profiles["Baltic Wire"].copied_by == Counter({"Coastline Times": 1})
    assert profiles["Coastline Times"].copied_from == Counter({"Baltic Wire": 1})
    assert profiles["Coastline Times"].copies == 1 and profiles["Coastline Times"].events == 2  # its lone article too
    unknown = profiles[UNKNOWN_OUTLET]
    assert unknown.copied_from == Counter({"РИБ": 1}) and unknown.credits == Counter({"РИБ": 1})
    assert profiles["РИБ"].copied_by == Counter({UNKNOWN_OUTLET: 1}) and "RIB" not in profiles


def test_a_wire_copy_dated_without_year_is_still_the_origin_of_the_piece_crediting_it() -> None:
    """The wire's own article has only a yearless dateline, so the copy finder took the re-publication
    ("Based on materials from Baltic Wire") as the origin; the credit turns it round, here and in compare."""
    wire = _article("bw", "Baltic Wire", None)
    wire.date = DateGuess(datetime(1900, 3, 18), 0.4, "dateline", year_known=False)
    wire.duplicate_of = "end"
    digest = _article("end", None, "2024-03-18", credited="Baltic Wire")
    profiles = _profiles({"e": [wire, digest]})
    assert profiles["Baltic Wire"].copies == 0 and profiles["Baltic Wire"].copied_by == Counter({UNKNOWN_OUTLET: 1})
    assert profiles[UNKNOWN_OUTLET].copied_from == Counter({"Baltic Wire": 1})
    comparison = compare_event(Event("e", ["bw", "end"]), {"bw": wire, "end": digest}, {"bw": "end"})
    assert [(o["article_id"], [c["article_id"] for c in o["copies"]]) for o in comparison["origins"]] == [("bw", ["end"])]


def test_store_profiles_agree_with_each_events_comparison(sample_store_path: Path) -> None:
    """The sample corpus (real pipeline): every article counted once under its publisher, every event once
    per outlet, and each outlet's first reports are the events whose comparison names its article first."""
    with SQLiteStore(sample_store_path, readonly=True) as store:
        table = OutletTable.load(store.conn)
        events = list(store.iter_events())
        articles = {a.id: a for a in store.iter_articles()}
        firsts: Counter[str] = Counter()
        per_event_outlets = 0
        for event in events:
            members = [articles[i] for i in event.article_ids]
            publishers = {publisher(a) for a in members}
            per_event_outlets += len(publishers)
            first = compare_event(event, articles, {})["first"]
            if first and len(publishers) > 1:
                firsts[publisher(articles[first["article_id"]])] += 1
        stored_outlets = Counter(publisher(a) for a in articles.values())
        listing = list_outlets(store.conn, table=table)
        by_first = [o["outlet"] for o in list_outlets(store.conn, sort="first", table=table)["items"]]
        detail = outlet_detail(store.conn, "baltic wire", table=table, limit=5)
    profiles = table.profiles
    assert {n: p.articles for n, p in profiles.items() if p.articles} == dict(stored_outlets)
    assert sum(p.events for p in profiles.values()) == per_event_outlets
    assert {n: p.first_reports for n, p in profiles.items() if p.first_reports} == dict(firsts)
    assert sum(firsts.values()) >= 10
    assert [o["outlet"] for o in listing["items"]][:1] == [max(stored_outlets, key=lambda n: (stored_outlets[n], n))]
    assert by_first[0] == max(firsts, key=lambda n: firsts[n])
    assert detail is not None and detail["outlet"] == "Baltic Wire" and len(detail["event_list"]) == 5
    starts = [e["date"] or "" for e in detail["event_list"]]
    assert starts == sorted(starts, reverse=True)
    assert detail["speakers"] and all(s["statements"] >= 1 for s in detail["speakers"])


def test_an_outlets_speakers_come_from_the_articles_it_published(sample_store_path: Path) -> None:
    """The profile's speakers are read from the articles filed under the outlet: a re-publication without publisher
    is the unknown outlet's, not the outlet it credits (EuroNorth Digest's pieces credit Baltic Wire, RIB, …)."""
    conn = connect_readonly(str(sample_store_path))
    try:
        unpublished = dict(conn.execute(
            "SELECT q.speaker, count(DISTINCT COALESCE(q.statement_id, q.id)) FROM quotes q JOIN articles a "
            "ON a.id = q.article_id WHERE a.outlet IS NULL AND q.speaker IS NOT NULL GROUP BY q.speaker"))
        credited = {r[0] for r in conn.execute("SELECT credited_source FROM articles WHERE outlet IS NULL "
                                               "AND credited_source IS NOT NULL")}
        unknown = outlet_detail(conn, UNKNOWN_OUTLET)
    finally:
        conn.close()
    assert credited and len(unpublished) <= 10
    assert unknown is not None and {s["key"]: s["statements"] for s in unknown["speakers"]} == unpublished


def test_a_name_finds_its_outlet_by_case_alias_or_part(sample_store_path: Path) -> None:
    with sqlite3.connect(f"file:{sample_store_path}?mode=ro", uri=True) as conn:
        table = OutletTable.load(conn)
        assert table.find("BALTIC WIRE") == table.find("wire") == "Baltic Wire"
        assert table.find("courier") == "Harbour Courier"
        assert table.find("e") is None  # part of several names: no guess
        assert table.find("nowhere") is None and outlet_detail(conn, "nowhere", table=table) is None
        assert [o["outlet"] for o in list_outlets(conn, name="TIMES", table=table)["items"]] == ["Coastline Times"]


def test_a_regroup_names_the_outlets_of_an_older_store_as_a_new_ingest_does(tmp_path: Path) -> None:
    """Articles stored when a web archive's page counted as the archive's, a dataset's "washingtonpost" as an
    outlet of its own and a wire's own tag as a credit: a regroup names them as the current rules do, so the
    outlets view, the events' outlet lists and the comparison agree with a fresh ingest."""
    import json

    from storyline.config import Config
    from storyline.pipeline import ingest_paths, regroup

    body = ("Police said two men were wounded in a shooting outside a bar on Main Street late on Saturday. "
            "Both were taken to hospital in stable condition, and no arrests have been made, officers said. ") * 3
    records = [
        {"id": "a1", "title": "Two men wounded in bar shooting", "text": body, "date": "2013-01-05",
         "url": "http://web.archive.org/web/20150922124326/http://www.foxnews.com/us/2013/01/05/bar-shooting/"},
        {"id": "a2", "title": "Bar shooting leaves two wounded", "text": body.replace("Saturday", "Saturday night"),
         "date": "2013-01-05", "outlet": "washingtonpost"},
    ]
    corpus = tmp_path / "docs.jsonl"
    corpus.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    fast = Config(fast=True)
    with SQLiteStore(tmp_path / "store.db") as store:
        ingest_paths([corpus], store, fast)
        fresh = dict(store.conn.execute("SELECT id, outlet FROM articles"))
        with store.transaction():  # as an older storyline stored them
            store.conn.execute("UPDATE articles SET outlet = 'web.archive.org' WHERE id = 'a1'")
            store.conn.execute("UPDATE articles SET outlet = 'washingtonpost', credited_source = 'WP' WHERE id = 'a2'")
        regroup(store, fast)
        restated = {r[0]: (r[1], r[2]) for r in store.conn.execute("SELECT id, outlet, credited_source FROM articles")}
        event_outlets = {tuple(json.loads(r[0])) for r in store.conn.execute("SELECT outlets FROM events")}
        regroup(store, fast)
        again = {r[0]: (r[1], r[2]) for r in store.conn.execute("SELECT id, outlet, credited_source FROM articles")}
    assert fresh == {"a1": "Fox News", "a2": "The Washington Post"}
    assert restated == again == {"a1": ("Fox News", None), "a2": ("The Washington Post", None)}
    assert set().union(*event_outlets) == {"Fox News", "The Washington Post"}


def test_a_filter_keeps_the_origin_of_a_copy_whose_original_it_leaves_out(sample_store_path: Path, tmp_path: Path
                                                                          ) -> None:
    """Figures are read one event at a time; a copy in a later event repeats an article of an earlier one. With
    ``--since`` leaving the earlier event out, the copy still counts under the outlet it repeats."""
    import shutil

    from storyline.store.sqlite import EventFilters

    db = tmp_path / "store.db"
    shutil.copy(sample_store_path, db)
    with SQLiteStore(db) as store:
        conn = store.conn
        early, late = conn.execute("SELECT min(start), max(start) FROM events WHERE start IS NOT NULL").fetchone()
        origin_id, origin_outlet = conn.execute(
            "SELECT a.id, a.outlet FROM articles a JOIN events e ON e.id = a.event_id WHERE e.start = ? "
            "AND a.outlet IS NOT NULL ORDER BY a.id LIMIT 1", (early,)).fetchone()
        copy_id, copy_outlet = conn.execute(
            "SELECT a.id, a.outlet FROM articles a JOIN events e ON e.id = a.event_id WHERE e.start = ? "
            "AND a.outlet NOT IN (?) AND a.duplicate_of IS NULL ORDER BY a.id LIMIT 1", (late, origin_outlet)).fetchone()
        with store.transaction():
            conn.execute("UPDATE articles SET duplicate_of = ? WHERE id = ?", (origin_id, copy_id))
        everything = OutletTable.load(conn).profiles[copy_outlet]
        later = OutletTable.load(conn, EventFilters(since=late)).profiles[copy_outlet]
    assert early < late
    assert everything.copied_from[origin_outlet] >= 1
    assert later.copied_from[origin_outlet] >= 1 and later.copies <= everything.copies


def test_an_outlets_events_page_through_in_order_and_are_read_once_per_table(sample_store_path: Path) -> None:
    """Pages of three events add up to the whole list, newest first; the table keeps each shown outlet's order,
    speakers and names, so the next page and the next request read only the events they show."""
    with sqlite3.connect(f"file:{sample_store_path}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        table = OutletTable.load(conn)
        whole = outlet_detail(conn, "Baltic Wire", table=table, limit=100)
        pages = [outlet_detail(conn, "Baltic Wire", table=table, page=n, limit=3) for n in range(1, 6)]
        fresh = outlet_detail(conn, "Baltic Wire", page=2, limit=3)  # its own table
    assert whole is not None and all(p is not None for p in pages) and len(whole["event_list"]) > 9
    assert [e for p in pages for e in p["event_list"]] == whole["event_list"]
    assert {p["pages"] for p in pages} == {-(-len(whole["event_list"]) // 3)}
    assert list(table.pages) == ["Baltic Wire"] and fresh == pages[1]
    starts = [e["date"] or "" for e in whole["event_list"]]
    assert starts == sorted(starts, reverse=True)


def test_a_page_of_any_size_reads_its_events_in_order(sample_store_path: Path) -> None:
    """``storyline outlets NAME --limit N`` may ask for more events than one SQL statement takes variables: the
    rows come in the order asked, unknown ids left out."""
    from storyline.web.queries import event_rows

    with sqlite3.connect(f"file:{sample_store_path}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        stored = [r[0] for r in conn.execute("SELECT id FROM events ORDER BY id DESC")]
        asked = [f"missing-{n}" for n in range(300_000)] + stored  # over this build's 250,000 variables
        rows = event_rows(conn, asked)
    assert [r["id"] for r in rows] == stored and all("date" in r for r in rows)
