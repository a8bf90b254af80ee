"""The command line as a user meets it: help, errors, and the machine-readable outputs."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from storyline.cli import _clip, build_parser, main, parse_duration

VERBS = ["run", "ingest", "events", "stories", "show", "quotes", "entities", "timeline", "compare", "report",
         "export", "serve", "watch", "eval", "eval-quotes", "eval-timeline", "rejects", "search"]


def test_help_lists_every_verb():
    done = subprocess.run([sys.executable, "-m", "storyline.cli", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    for verb in VERBS:
        assert f"\n    {verb} " in done.stdout or f"\n    {verb}\n" in done.stdout, verb


def test_every_verb_has_its_own_help():
    parser = build_parser()
    for verb in VERBS:
        with pytest.raises(SystemExit) as exit_info:
            parser.parse_args([verb, "--help"])
        assert exit_info.value.code == 0


def test_missing_store_is_a_clear_error_not_a_traceback(tmp_path, capsys):
    code = main(["events", "--db", str(tmp_path / "nope.db")])
    assert code == 1
    err = capsys.readouterr().err
    assert "no store at" in err and "Traceback" not in err


def test_unknown_id_is_reported(tmp_path, capsys):
    from storyline.store import SQLiteStore

    SQLiteStore(tmp_path / "s.db").close()
    assert main(["show", "does-not-exist", "--db", str(tmp_path / "s.db")]) == 1
    assert "no article, event or story" in capsys.readouterr().err


def test_run_without_input_explains_what_to_give(tmp_path, capsys):
    assert main(["run", "--db", str(tmp_path / "s.db")]) == 1
    assert "--sample" in capsys.readouterr().err


def test_ingest_takes_the_bundled_sample_too(tmp_path, capsys):
    from storyline.cli import SAMPLES
    from storyline.store import SQLiteStore

    assert main(["ingest", "--db", str(tmp_path / "s.db")]) == 1
    assert "--sample" in capsys.readouterr().err
    assert main(["ingest", "--sample", "--incremental", "--fast", "--db", str(tmp_path / "s.db")]) == 0
    gold = json.loads((SAMPLES.parent / "gold.json").read_text("utf-8"))
    with SQLiteStore(tmp_path / "s.db") as store:
        assert sorted(store.article_ids()) == sorted(a for ids in gold["events"].values() for a in ids)
        assert all(store.event_assignments().values())


@pytest.mark.parametrize("text, seconds", [("90s", 90), ("10m", 600), ("1h", 3600), ("45", 45), ("1.5m", 90)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["soon", "-5m", "0"])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def _store_with_quotes(path):
    from storyline.model import Article, Quote, content_hash
    from storyline.store import SQLiteStore

    def article(aid: str, title: str, body: str, lang: str, quote: Quote) -> Article:
        return Article(id=aid, title=title, body=body, lang=lang, quotes=[quote], content_hash=content_hash(body))

    english = "The Kremlin said the offer was unacceptable."
    russian = "«Предложение неприемлемо», — сообщили в Кремле."
    articles = [
        article("en", "Kremlin rejects offer", english, "en",
                Quote("en", "the offer was unacceptable", 18, 44, "org:kremlin", "Kremlin", "said", 0.9, "reported")),
        article("ru", "Кремль отверг предложение", russian, "ru",
                Quote("ru", "Предложение неприемлемо", 1, 24, "org:kremlin", "Kremlin", "сообщили", 0.9)),
        article("other", "Minister speaks", "The minister said no.", "en",
                Quote("other", "no", 18, 20, "per:some minister", "Some Minister", "said", 0.9, "reported")),
    ]
    with SQLiteStore(path) as store:
        store.add_articles(articles)


def test_quotes_by_speaker_accept_a_translated_name(tmp_path, capsys):
    db = tmp_path / "q.db"
    _store_with_quotes(db)
    for typed in ("Кремль", "Кремля", "Kremlin", "org:kremlin"):
        assert main(["quotes", "--db", str(db), "--speaker", typed, "--json"]) == 0
        rows = json.loads(capsys.readouterr().out)
        assert sorted(r["speaker_key"] for r in rows) == ["org:kremlin", "org:kremlin"], typed
    assert main(["quotes", "--db", str(db), "--speaker", "Москва", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [], "a known name that never spoke matches nothing"
    assert main(["quotes", "--db", str(db), "--speaker", "Москва"]) == 0
    printed = capsys.readouterr()
    assert printed.out == "" and printed.err.startswith("no quotes for speaker 'Москва'; speakers are listed by")


def test_a_quote_of_a_republication_without_outlet_names_the_credited_source(tmp_path, capsys):
    """Seed 000: a site that republished TASS and names no outlet of its own was listed as "(?, undated)"."""
    from storyline.model import Article, Quote, content_hash
    from storyline.store import SQLiteStore

    db = tmp_path / "q.db"
    body = "Peskov said the talks were over. Based on materials from TASS."
    with SQLiteStore(db) as store:
        store.add_articles([Article(id="rep", title="Talks over", body=body, lang="en", credited_source="TASS",
                                    content_hash=content_hash(body),
                                    quotes=[Quote("rep", "the talks were over", 12, 31, "per:dmitry peskov",
                                                  "Dmitry Peskov", "said", 0.9, "reported")])])
    assert main(["quotes", "--db", str(db)]) == 0
    assert "Dmitry Peskov (via TASS, undated)" in capsys.readouterr().out
    assert main(["quotes", "--db", str(db), "--json"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert (row["outlet"], row["credited_source"]) == (None, "TASS")


def test_a_closed_pipe_ends_quietly(tmp_path):
    db = tmp_path / "q.db"
    _store_with_quotes(db)
    process = subprocess.Popen([sys.executable, "-m", "storyline.cli", "quotes", "--db", str(db), "--json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # like `| head` that has already read what it wanted
    _, err = process.communicate(timeout=120)
    assert process.returncode == 141, err.decode()
    assert b"Traceback" not in err, err.decode()


def test_an_empty_listing_says_why_on_stderr(tmp_path, capsys):
    from storyline.store import SQLiteStore

    empty = tmp_path / "empty.db"
    SQLiteStore(empty).close()
    assert main(["events", "--db", str(empty)]) == 0
    out, err = capsys.readouterr()
    assert out == "" and "holds no articles" in err and "storyline ingest" in err
    ungrouped = tmp_path / "q.db"
    _store_with_quotes(ungrouped)  # stored, never grouped
    assert main(["stories", "--db", str(ungrouped)]) == 0
    out, err = capsys.readouterr()
    assert out == "" and "its 3 articles have not been grouped" in err and "storyline regroup" in err
    assert main(["events", "--db", str(ungrouped), "--json"]) == 0
    assert capsys.readouterr() == ("[]\n", ""), "JSON stays JSON, with nothing on stderr"


def test_show_why_reads_as_sentences_and_json_keeps_every_field(tmp_path, capsys):
    """``show EVENT --why``: per article its closest report with the parts of the score, what they share, and for an
    event spread over months the link across its days; ``--json`` keeps the raw evidence."""
    from datetime import datetime

    from storyline.config import Config
    from storyline.group.events import group_events
    from storyline.model import Article, DateGuess, content_hash
    from storyline.store import SQLiteStore

    def article(aid: str, title: str, body: str, day: str) -> Article:
        return Article(id=aid, title=title, body=body, lang="en", outlet=aid.split("-")[0],
                       date=DateGuess(datetime.fromisoformat(day), 1.0, "metadata", has_time=True),
                       content_hash=content_hash(f"{title}\n{body}"))

    shooting = ("Dayton police are looking for the man who shot Marcus Bell and Devon Price outside Blind Bob's on "
                "Fifth Street in the Oregon District on Saturday, Sgt. Michael Hudson said.")
    articles = [
        article("whio-dayton", "Two wounded in shooting outside Dayton bar", shooting, "2016-07-23 02:15"),
        article("ddn-dayton", "Police seek gunman after Oregon District shooting in Dayton", shooting,
                "2016-07-23 14:40"),
        article("ddn-arrest", "Arrest in Dayton bar shooting",
                "Police arrested a man over the July 23 shooting outside the Oregon District bar Blind Bob's on "
                "Fifth Street in Dayton, in which Marcus Bell and Devon Price were wounded.", "2016-10-19 10:00"),
    ]
    events, evidence = group_events(articles, Config(fast=True, event_threshold=0.0))
    assert len(events) == 1
    db = tmp_path / "s.db"
    with SQLiteStore(db) as store:
        store.add_articles(articles)
        store.save_events(events, evidence)
    assert main(["show", events[0].id, "--why", "--db", str(db)]) == 0
    text = capsys.readouterr().out
    why = text[text.index("why each article is here:"):]
    block = why[why.index("  ddn-arrest"):]
    assert "    closest: ddn-dayton, 0.52 days apart: pair " in why, "same-day reports are each other's closest"
    assert "    closest: " in block and "time factor " in block and "    shared names " in block
    assert "    across days: whio-dayton" in block or "    across days: ddn-dayton" in block
    assert "the later names the earlier's day" in block
    assert "{'" not in why, "no Python dict reprs for people"
    assert "Blind Bob" in block and "Devon Price" in block and "devon" not in block, "names as written, not stems"
    assert main(["show", events[0].id, "--why", "--json", "--db", str(db)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["evidence"]["ddn-arrest"]["linked_across_days"]["recalls_date"] is True
    assert "devon pric" in data["evidence"]["ddn-arrest"]["shared_names"], "JSON keeps the stored (stemmed) evidence"


def test_long_titles_are_cut_at_a_word_with_an_ellipsis() -> None:
    title = "Наводнение в Екабпилсе: из-за ледового затора эвакуированы 420 человек"
    assert _clip(title, 60) == "Наводнение в Екабпилсе: из-за ледового затора эвакуированы…", "not '… эвакуированы 4'"
    assert _clip(title, 200) == title
    assert len(_clip("x" * 100, 30)) == 30 and _clip("x" * 100, 30).endswith("…"), "one long word is still cut"


def _events_json(db, capsys, *filters: str) -> list[dict]:
    capsys.readouterr()
    assert main(["events", "--db", str(db), "--json", *filters]) == 0
    return json.loads(capsys.readouterr().out)


def test_events_filters_by_dates_outlets_and_size(sample_store_path, capsys):
    everything = _events_json(sample_store_path, capsys)
    assert len(everything) >= 10
    wide = _events_json(sample_store_path, capsys, "--min-outlets", "3", "--sort", "outlets")
    assert wide and [e["id"] for e in wide] == [e["id"] for e in sorted(
        (e for e in everything if len(e["outlets"]) >= 3), key=lambda e: (-len(e["outlets"]), e["start"], e["id"]))]
    march = _events_json(sample_store_path, capsys, "--since", "2024-03-01", "--until", "2024-03-31")
    expected = [e["id"] for e in everything
                if e["start"] and e["start"][:10] <= "2024-03-31" and (e["end"] or e["start"])[:10] >= "2024-03-01"]
    assert march and [e["id"] for e in march] == expected and len(expected) < len(everything)
    outlet = next(o for e in everything for o in e["outlets"] if len(o) > 6)
    part = outlet.split()[-1] if len(outlet.split()[-1]) >= 4 else outlet
    by_outlet = _events_json(sample_store_path, capsys, "--outlet", part.upper(), "--min-articles", "2", "--limit", "3")
    assert by_outlet and len(by_outlet) <= 3
    assert all(len(e["article_ids"]) >= 2 and any(part.casefold() in o.casefold() for o in e["outlets"])
               for e in by_outlet)
    assert main(["events", "--db", str(sample_store_path), "--since", "2031-01-01"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and f"none of the {len(everything)} events" in captured.err
    with pytest.raises(SystemExit) as exit_info:
        main(["events", "--db", str(sample_store_path), "--until", "March"])
    assert exit_info.value.code == 2 and "expected a day as YYYY-MM-DD" in capsys.readouterr().err


def test_search_finds_articles_and_quotes_in_both_languages(sample_store_path, capsys):
    capsys.readouterr()
    assert main(["search", "strike", "--db", str(sample_store_path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    kinds = {item["kind"] for item in result["items"]}
    assert kinds == {"article", "quote"} and result["fts"] == '"strike"'
    for item in result["items"]:
        assert "\x02" not in item["body_snippet"] and item["event_id"] and item["article_id"]
        assert "strik" in (item["title"] + item["body_snippet"]).lower()
    assert main(["search", "Рига*", "--db", str(sample_store_path)]) == 0
    out = capsys.readouterr().out
    assert "article " in out and ("Рига" in out or "РИГА" in out or "Риге" in out)
    assert main(["search", "Valiukas", "--db", str(sample_store_path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["names"] == ["Tomas Valiukas"] and "Валюкасом" in result["fts"]
    written = " ".join(item["title"] + item["body_snippet"] for item in result["items"])
    assert "Валюкас" in written and "Valiukas" in written, "the store's entity spells him in both scripts"
    assert main(["search", '"Valiukas"', "--db", str(sample_store_path), "--json"]) == 0
    assert "Валюкас" not in capsys.readouterr().out, "in double quotes: only as written"
    assert main(["search", '"unclosed', "--db", str(sample_store_path)]) == 2
    assert "closing double quote" in capsys.readouterr().err
    assert main(["search", "zzzqxv", "--db", str(sample_store_path)]) == 0
    assert "nothing matches 'zzzqxv'" in capsys.readouterr().err
    assert main(["search", "strike", "--db", str(sample_store_path) + ".missing"]) == 1
    assert "no store at" in capsys.readouterr().err


def test_rejects_summary_counts_each_kind_of_reason_once(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jsonl").write_text("".join(json.dumps({"hed": "x", "copy": "y"}) + "\n" for _ in range(25))
                                    + "{broken\n" + json.dumps({"text": 5}) + "\n")
    (folder / "b.jsonl").write_text(json.dumps({"hed": "x", "copy": "y"}) + "\n{also, broken\n")
    db = tmp_path / "r.db"
    assert main(["ingest", str(folder), "--db", str(db), "--fast"]) == 0
    assert "`--summary` counts them by reason" in capsys.readouterr().out  # 29 rejects: 20 shown
    assert main(["rejects", "--summary", "--json", "--db", str(db)]) == 0
    kinds = json.loads(capsys.readouterr().out)
    assert [(k["count"], k["files"], k["first"].rsplit("/", 1)[-1]) for k in kinds] == [
        (26, 2, "a.jsonl:1"), (2, 2, "a.jsonl:26"), (1, 1, "a.jsonl:27")]
    assert kinds[0]["reason"].startswith("no text field") and "hed, copy" in kinds[0]["reason"]
    assert kinds[1]["reason"].startswith("invalid JSON") and kinds[2]["reason"] == (
        "field 'text' is a number, expected a string")
    assert main(["rejects", "--summary", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("29 rejects in 2 files, 3 kinds of reason:") and out.count("first:") == 3


def test_show_finds_an_article_by_the_url_a_browser_gives(tmp_path, capsys):
    source = tmp_path / "two.jsonl"
    rows = [{"id": "a1", "title": "Flood in Narva", "text": "The Narva river rose two metres overnight.",
             "url": "https://news.example/2024/03/18/narva-flood"},
            {"id": "a2", "title": "Flood in Narva (update)", "text": "The Narva river is falling again.",
             "url": "https://news.example/2024/03/18/narva-flood"}]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    db = tmp_path / "u.db"
    assert main(["ingest", str(source), "--db", str(db), "--fast"]) == 0
    capsys.readouterr()
    assert main(["show", "http://news.example/2024/03/18/narva-flood/", "--db", str(db), "--json"]) == 0
    captured = capsys.readouterr()
    shown = json.loads(captured.out)
    assert shown["id"] == "a1" and shown["event_id"] and shown["date"] == "2024-03-18"  # the URL's day
    assert "2 articles have this URL: a1, a2; showing a1" in captured.err
    assert main(["show", "https://news.example/other", "--db", str(db)]) == 1
    assert "no article with this URL" in capsys.readouterr().err


def test_stories_filters_match_the_web_apps_stories_page(sample_store_path, capsys):
    from storyline.web.queries import connect_readonly
    from storyline.web.stories import StoryFilters, list_stories

    def listed(*filters: str) -> list[str]:
        capsys.readouterr()
        assert main(["stories", "--db", str(sample_store_path), "--json", *filters]) == 0
        return [s["id"] for s in json.loads(capsys.readouterr().out)]

    everything = listed()
    conn = connect_readonly(str(sample_store_path))
    try:
        for cli, web in ((["--since", "2024-03-01", "--until", "2024-04-30"], StoryFilters("2024-03-01", "2024-04-30")),
                         (["--lang", "ru"], StoryFilters(lang="ru")),
                         (["--outlet", "LEDGER"], StoryFilters(outlet="LEDGER")),  # part of "Northern Ledger"
                         (["--entity", "Narva"], StoryFilters(entity="Narva"))):
            expected = {s["id"] for s in list_stories(conn, web, page_size=1000)["items"]}
            got = listed(*cli)
            assert got and set(got) == expected and len(got) < len(everything), cli
            assert got == [sid for sid in everything if sid in expected]  # the listing's own order
    finally:
        conn.close()
    capsys.readouterr()
    assert main(["stories", "--db", str(sample_store_path), "--json", "--entity", "nobody at all"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == [] and f"none of the {len(everything)} stories" in captured.err


def test_events_filter_by_language_and_entity_in_either_language(sample_store_path, capsys):
    from storyline.report.export import export_json
    from storyline.store import SQLiteStore

    with SQLiteStore(sample_store_path, readonly=True) as store:
        articles = export_json(store)["articles"]
    with_russian = sorted({a["event_id"] for a in articles if a["lang"] == "ru"})
    naming_narva = sorted({a["event_id"] for a in articles if "loc:narva" in a["entities"]})
    assert with_russian and naming_narva

    def listed(*filters: str) -> list[str]:
        capsys.readouterr()
        assert main(["events", "--db", str(sample_store_path), "--json", *filters]) == 0
        return sorted(e["id"] for e in json.loads(capsys.readouterr().out))

    assert listed("--lang", "ru") == with_russian
    assert listed("--entity", "loc:narva") == listed("--entity", "Нарва") == listed("--entity", "NARVA") == naming_narva
    assert set(listed("--entity", "Нарва", "--lang", "en")) == set(naming_narva) & {
        a["event_id"] for a in articles if a["lang"] == "en"}


def test_entities_are_ranked_by_mentions_and_filtered_by_kind_and_any_spelling(sample_store_path, capsys):
    import sqlite3

    with sqlite3.connect(sample_store_path) as conn:
        people = conn.execute("SELECT count(*) FROM entities WHERE kind = 'PER'").fetchone()[0]
    assert main(["entities", "--db", str(sample_store_path), "--kind", "per", "--limit", "3", "--json"]) == 0
    top = json.loads(capsys.readouterr().out)
    assert len(top) == 3 < people and {e["kind"] for e in top} == {"PER"}
    assert [e["articles"] for e in top] == sorted((e["articles"] for e in top), reverse=True)
    assert main(["entities", "--db", str(sample_store_path), "--name", "Андрис Калниньш"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 1 and printed[0].startswith("PER  Andris Kalnins") and " art. " in printed[0]
    assert main(["entities", "--db", str(sample_store_path), "--name", "Nobody Anywhere"]) == 0
    assert "no entities named 'Nobody Anywhere'" in capsys.readouterr().err


def test_outlets_list_and_one_outlets_profile(sample_store_path, capsys):
    """The sample corpus (real pipeline): every publisher once with its articles counted, sorted as asked; a
    profile found by any case or part of a name; a name matching nothing is an error naming what it is part of."""
    import sqlite3

    with sqlite3.connect(sample_store_path) as conn:
        stored = dict(conn.execute("SELECT COALESCE(outlet, 'unknown outlet'), count(*) FROM articles GROUP BY 1"))
    assert main(["outlets", "--db", str(sample_store_path), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {o["outlet"]: o["articles"] for o in listed if o["articles"]} == stored
    assert [o["articles"] for o in listed] == sorted((o["articles"] for o in listed), reverse=True)
    assert main(["outlets", "--db", str(sample_store_path), "--sort", "first", "--limit", "2", "--json"]) == 0
    by_first = json.loads(capsys.readouterr().out)
    assert len(by_first) == 2 and by_first[0]["first_reports"] == max(o["first_reports"] for o in listed)
    assert main(["outlets", "--db", str(sample_store_path)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:4] == ["outlet", "articles", "copies", "events"] and len(table) == len(listed) + 1
    assert main(["outlets", "BALTIC wire", "--db", str(sample_store_path), "--limit", "3"]) == 0
    profile = capsys.readouterr().out
    assert profile.startswith("Baltic Wire  (") and "reported first" in profile and "quotes most:" in profile
    assert profile.count("\n  2024-") == 3
    assert main(["outlets", "Nowhere Gazette", "--db", str(sample_store_path)]) == 2
    assert "no outlet 'Nowhere Gazette'" in capsys.readouterr().err
    assert main(["outlets", "e", "--db", str(sample_store_path)]) == 2
    assert "it is part of 'Baltic Wire'" in capsys.readouterr().err


def test_outlets_count_only_the_events_the_filters_keep(sample_store_path, capsys):
    """--since/--until/--entity/--outlet as for `storyline events`: each outlet's events are its share of exactly
    the events `storyline events` lists with the same filters."""
    import sqlite3

    with sqlite3.connect(sample_store_path) as conn:
        publishers = {}
        for event_id, outlet in conn.execute("SELECT event_id, COALESCE(outlet, 'unknown outlet') FROM articles"):
            publishers.setdefault(event_id, set()).add(outlet)
    for filters in (["--since", "2024-04-01", "--until", "2024-04-30"], ["--entity", "Калниньш"],
                    ["--outlet", "Baltic Wire", "--since", "2024-03-01"]):
        assert main(["events", "--db", str(sample_store_path), *filters, "--json"]) == 0
        kept = [e["id"] for e in json.loads(capsys.readouterr().out)]
        assert main(["outlets", "--db", str(sample_store_path), *filters, "--json"]) == 0
        outlets = {o["outlet"]: o["events"] for o in json.loads(capsys.readouterr().out) if o["events"]}
        expected = {}
        for event_id in kept:
            for outlet in publishers[event_id]:
                expected[outlet] = expected.get(outlet, 0) + 1
        assert kept and outlets == expected, filters
    assert main(["outlets", "--db", str(sample_store_path), "--entity", "Nobody Anywhere"]) == 0
    assert "no outlet covers an event that passes these filters" in capsys.readouterr().err
