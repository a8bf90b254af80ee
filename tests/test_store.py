"""The SQLite store on a real file: migrations, idempotent inserts, versions, events, rejects."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from storyline.model import Article, DateGuess, Entity, Event, Mention, Quote, Reject, RemovedSpan, Story, content_hash
from storyline.store import SQLiteStore, open_store
from storyline.store import sqlite as sqlite_module
from storyline.store.schema import MIGRATIONS


def _store_at_version(path, version: int):
    """A store file written by an older storyline: the first ``version`` migrations, that version recorded."""
    conn = sqlite3.connect(path)
    for script in MIGRATIONS[:version]:
        conn.executescript(script)
    conn.execute("INSERT INTO meta(key, value) VALUES ('schema_version', ?)", (str(version),))
    conn.commit()
    return conn


def _article(aid: str, body: str, **kw: object) -> Article:
    return Article(id=aid, title=f"Title {aid}", body=body, raw=body, content_hash=content_hash(body), **kw)


def test_migrations_run_once_and_wal_is_on(tmp_path):
    path = tmp_path / "s.db"
    with SQLiteStore(path) as store:
        assert store.schema_version >= 1
        mode = store.conn.execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"
    with SQLiteStore(path) as store:  # reopening does not re-run or fail
        assert store.count_articles() == 0


def test_same_content_is_stored_once_and_same_id_new_content_becomes_a_version(tmp_path):
    with SQLiteStore(tmp_path / "s.db") as store:
        assert store.add_articles([_article("a", "first text")]) == ["a"]
        assert store.add_articles([_article("a", "first text")]) == []
        assert store.add_articles([_article("a", "changed text")]) == ["a~2"]
        assert store.article_ids() == ["a", "a~2"]
        row = store.conn.execute("SELECT version_of FROM articles WHERE id = 'a~2'").fetchone()
        assert row[0] == "a"


def test_article_round_trip_keeps_annotations_and_partial_dates(tmp_path):
    article = _article(
        "tass-1", "Peskov said: “We are ready.”",
        outlet="TASS", lang="en",
        date=DateGuess(datetime(1900, 1, 24), 0.6, "dateline", year_known=False),
        removed=[RemovedSpan("Photo: X / TASS", "caption", 0)],
        entities=[Entity("per:dmitry peskov", "Dmitry Peskov", "PER", ["Peskov"], ["Kremlin spokesman"])],
        mentions=[Mention("per:dmitry peskov", "Peskov", 0, 6)],
    )
    article.quotes = [Quote("tass-1", "We are ready.", 14, 27, "per:dmitry peskov", "Dmitry Peskov", "said", 0.9)]
    with SQLiteStore(tmp_path / "s.db") as store:
        store.add_articles([article])
        back = store.article("tass-1")
    assert back is not None
    assert back.date is not None and not back.date.year_known and back.date.iso == "--01-24"
    assert back.published is None
    assert back.removed[0].rule == "caption"
    assert back.entities[0].roles == ["Kremlin spokesman"]
    assert back.quotes[0].speaker == "per:dmitry peskov"
    assert back.body[back.quotes[0].start : back.quotes[0].end] == "We are ready."


def test_a_role_is_stored_once_whatever_its_case(tmp_path):
    """Sample corpus: "Глава KTG" opening one sentence and "глава KTG" inside another showed as two roles."""
    def with_roles(article_id: str, roles: list[str]) -> Article:
        return _article(article_id, f"Ilze Berzina spoke ({article_id}).", lang="ru",
                        entities=[Entity("per:ilze berzina", "Ilze Berzina", "PER", ["Ilze Berzina"], roles)],
                        mentions=[Mention("per:ilze berzina", "Ilze Berzina", 0, 12)])

    with SQLiteStore(tmp_path / "s.db") as store:
        store.add_articles([with_roles("a", ["Глава KTG", "chief executive"])])
        store.add_articles([with_roles("b", ["глава KTG", "Chief Executive"])])
        assert store.entity("per:ilze berzina").roles == ["chief executive", "глава KTG"]
    from storyline.model import distinct_roles  # shared with merge_entities

    assert distinct_roles(["B", "a", "b", "A"]) == ["a", "b"]


def test_events_and_stories_replace_and_link(tmp_path):
    with SQLiteStore(tmp_path / "s.db") as store:
        store.add_articles([_article("a", "one"), _article("b", "two"), _article("c", "three")])
        store.save_events(
            [Event("e1", ["a", "b"], "E1", datetime(2021, 3, 30), None, ["RT"]), Event("e2", ["c"], "E2")],
            {"a": {"event_id": "e1", "score": 1.0}},
        )
        store.save_stories([Story("s1", ["e1", "e2"], "S1", datetime(2021, 3, 30))])
        assert [e.id for e in store.events()] == ["e1", "e2"]
        assert store.event("e1").article_ids == ["a", "b"]
        assert store.event("e1").story_id == "s1"
        assert store.story("s1").article_ids == ["a", "b", "c"]
        assert store.evidence(["a"])["a"]["score"] == 1.0
        store.save_events([Event("e3", ["a", "b", "c"], "E3")])
        assert store.event_of("c") == "e3" and store.event("e1") is None


def test_rejects_are_recorded_once(tmp_path):
    with SQLiteStore(tmp_path / "s.db") as store:
        reject = Reject("bad.jsonl", "invalid JSON", 7)
        store.add_rejects([reject, reject])
        store.add_rejects([reject])
        assert store.rejects() == [reject]


def test_rejects_without_a_line_are_recorded_once_and_notes_are_kept_apart(tmp_path):
    with SQLiteStore(tmp_path / "s.db") as store:
        empty, note = Reject("empty.txt", "empty file"), Reject("a.jsonl", "article 'a' kept: future date ignored", 3)
        for _ in range(2):  # a re-run reports the same inputs again
            store.add_rejects([empty, empty])
            store.add_rejects([note], kept=True)
        assert (store.rejects(), store.notes(), len(store.rejects(kept=None))) == ([empty], [note], 2)


def test_migrating_an_old_store_drops_repeated_rejects(tmp_path):
    path = tmp_path / "old.db"
    with _store_at_version(path, 1) as conn:  # a store written before migration 2
        conn.executemany("INSERT INTO rejects(origin, line, reason) VALUES (?, ?, ?)",
                         [("e.txt", None, "empty file")] * 3 + [("b.jsonl", 2, "invalid JSON")])
    with SQLiteStore(path) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert store.rejects() == [Reject("b.jsonl", "invalid JSON", 2), Reject("e.txt", "empty file")]


def test_watch_tables_come_with_the_schema_and_old_watch_state_is_kept(tmp_path):
    with SQLiteStore(tmp_path / "new.db") as store:  # a new store has them before any watch pass
        tables = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"watch_feeds", "watch_items"} <= tables
    path = tmp_path / "old.db"
    with _store_at_version(path, 4) as conn:  # with the tables an earlier `watch` created on its first pass
        conn.executescript(MIGRATIONS[4])
        conn.execute("INSERT INTO watch_feeds(url, etag) VALUES ('http://example.org/rss.xml', '\"v1\"')")
    with SQLiteStore(path) as store:
        assert store.schema_version == len(MIGRATIONS)
        rows = store.conn.execute("SELECT url, etag FROM watch_feeds").fetchall()
        assert [tuple(row) for row in rows] == [("http://example.org/rss.xml", '"v1"')]


def test_event_summaries_are_stored_and_an_old_store_gains_the_column(tmp_path):
    path = tmp_path / "old.db"
    with _store_at_version(path, 5) as conn:  # events without a summary
        conn.execute("INSERT INTO events(id, title, size, outlets) VALUES ('e-old', 'Old event', 0, '[]')")
    with SQLiteStore(path) as store:
        assert store.schema_version == len(MIGRATIONS) >= 6
        assert store.event("e-old").summary == ""
        store.save_events([Event("e-new", [], "New event", summary="Two ferries collided off Riga on Monday.")])
    with SQLiteStore(path) as store:
        assert store.event("e-new").summary == "Two ferries collided off Riga on Monday."
        assert store.event("e-new").to_json()["summary"] == "Two ferries collided off Riga on Monday."


def test_a_failing_migration_leaves_the_store_as_it_was(tmp_path, monkeypatch):
    """Migrations run in one transaction: a crash or an error half-way leaves nothing half-applied."""
    path = tmp_path / "s.db"
    SQLiteStore(path).close()
    broken = [*MIGRATIONS, "CREATE TABLE extra (x INTEGER); INSERT INTO no_such_table VALUES (1);"]
    monkeypatch.setattr(sqlite_module, "MIGRATIONS", broken)
    try:
        SQLiteStore(path)
    except sqlite3.OperationalError as error:
        assert "no_such_table" in str(error)
    else:
        raise AssertionError("the broken migration ran")
    monkeypatch.undo()
    with SQLiteStore(path) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert store.conn.execute("SELECT name FROM sqlite_master WHERE name = 'extra'").fetchone() is None


def test_search_index_finds_russian_and_english(tmp_path):
    with SQLiteStore(tmp_path / "s.db") as store:
        store.add_articles([_article("ru", "Песков заявил журналистам"), _article("en", "Peskov told reporters")])
        hits = {r[0] for r in store.conn.execute("SELECT ref FROM search_fts WHERE search_fts MATCH ?", ("Песков",))}
        assert hits == {"ru"}


def test_open_store_rejects_unknown_backends(tmp_path):
    store = open_store(f"sqlite:///{tmp_path}/u.db")
    store.close()
    try:
        open_store("redis://localhost/0")
    except ValueError as exc:
        assert "unknown store type" in str(exc)
    else:
        raise AssertionError("unknown backend accepted")


def test_readonly_store_cannot_write(tmp_path):
    path = tmp_path / "s.db"
    SQLiteStore(path).close()
    with SQLiteStore(path, readonly=True) as store:
        try:
            store.add_rejects([Reject("x", "y")])
        except sqlite3.OperationalError as exc:
            assert "readonly" in str(exc)
        else:
            raise AssertionError("write to a read-only store succeeded")


def test_the_events_list_pages_from_its_index_in_the_same_order(tmp_path):
    """Events newest first, undated last, in pages: read off the events_listing index (migration 7), never by
    sorting every event; the pages join up to the plain ORDER BY over the table, and a schema-6 store gains it."""
    from storyline.web.queries import list_events

    path = tmp_path / "s.db"
    _store_at_version(path, 6).close()  # no listing index yet
    with SQLiteStore(path) as store:
        assert store.schema_version == len(MIGRATIONS) >= 7
        days = [datetime(2024, 1, 1 + k % 28) if k % 7 else None for k in range(250)]  # ties and undated ones
        store.save_events([Event(f"e{k:03d}", [], f"Event {k}", start=day, end=day) for k, day in enumerate(days)])
        conn = store.conn
        conn.row_factory = sqlite3.Row
        pages = [list_events(conn, page=p, page_size=40) for p in range(1, 8)]
        plan = " ".join(str(row[3]) for row in conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM events ORDER BY start IS NULL, start DESC, id LIMIT 40 OFFSET 80"))
        expected = [r[0] for r in conn.execute("SELECT id FROM events ORDER BY start IS NULL, start DESC, id")]
    assert [e["id"] for p in pages for e in p["items"]] == expected and len(expected) == 250
    assert pages[0]["pages"] == 7 and pages[-1]["items"] and pages[0]["items"][0]["start"] > pages[1]["items"][0]["start"]
    assert "COVERING INDEX events_listing" in plan and "TEMP B-TREE" not in plan, plan


def test_serving_an_older_store_upgrades_it_first_and_a_read_only_one_is_served_as_it_is():
    """``storyline serve`` migrates a store written by an older storyline (the pages rely on its indexes); a store
    its user cannot write is served as it is. The read-only case runs in a child that drops to ``nobody`` when the
    tests run as root (root can write any file)."""
    import os
    import shutil
    import tempfile
    from pathlib import Path

    from storyline.web.app import upgrade_store

    base = Path(tempfile.mkdtemp(prefix="storyline-serve-", dir="/tmp"))  # outside pytest's root-only tmp dirs
    try:
        base.chmod(0o755)
        path = base / "old.db"
        _store_at_version(path, 6).close()
        path.chmod(0o644)
        if os.geteuid() == 0:
            pid = os.fork()
            if pid == 0:  # child: never returns into pytest
                status = 70
                try:
                    os.setgroups([])
                    os.setgid(65534)
                    os.setuid(65534)
                    status = 0 if upgrade_store(path) is False else 1
                finally:
                    os._exit(status)
            assert os.waitpid(pid, 0)[1] == 0, "a store nobody can write is reported as not upgraded"
        else:
            path.chmod(0o444)
            base.chmod(0o555)
            assert upgrade_store(path) is False
            base.chmod(0o755)
            path.chmod(0o644)
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "6"

        assert upgrade_store(path) is True
        with sqlite3.connect(path) as conn:
            version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
            assert int(version) == len(MIGRATIONS)
            assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'events_listing'").fetchone()
    finally:
        shutil.rmtree(base, ignore_errors=True)
