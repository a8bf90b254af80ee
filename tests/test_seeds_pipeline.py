"""Acceptance on the five real seed scrapes, through the command line a user types.

`storyline run ../shared/seeds --db X` then `storyline events --db X --json` must show exactly the events of
EXPECTED.md, and `stories --json` one story with the events in date order (January 2021, March 2021, 2022).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def _cli(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "storyline.cli", *args], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def seeds_db(seeds_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("cli") / "s.db"
    out = _cli("run", str(seeds_dir), "--db", str(db), "--no-report")
    assert "5 new articles" in out
    return db


@pytest.fixture(scope="module")
def expected(seeds_dir: Path) -> dict:
    return json.loads((seeds_dir / "expected.json").read_text(encoding="utf-8"))


def test_events_are_exactly_those_of_expected(seeds_db: Path, expected: dict) -> None:
    events = json.loads(_cli("events", "--db", str(seeds_db), "--json"))
    got = sorted(sorted(e["article_ids"]) for e in events)
    assert got == sorted(sorted(group) for group in expected["events"])
    for event in events:
        assert set(event) >= {"id", "title", "start", "end", "article_ids", "outlets", "story_id"}


def test_one_story_with_events_in_date_order(seeds_db: Path, expected: dict) -> None:
    stories = json.loads(_cli("stories", "--db", str(seeds_db), "--json"))
    assert len(stories) == 1
    story = stories[0]
    assert sorted(story["article_ids"]) == sorted(expected["stories"][0])
    events = {e["id"]: e for e in json.loads(_cli("events", "--db", str(seeds_db), "--json"))}
    order = [sorted(events[eid]["article_ids"])[0] for eid in story["event_ids"]]
    assert order == ["003_41e52a9884a9d126", "000_a14cb30bbcaf99c5", "004_8ed4f5a0807835fa"]


def test_rerun_is_a_no_op(seeds_db: Path, seeds_dir: Path) -> None:
    before = _cli("events", "--db", str(seeds_db), "--json")
    out = _cli("run", str(seeds_dir), "--db", str(seeds_db), "--no-report")
    assert "0 new articles" in out
    assert _cli("events", "--db", str(seeds_db), "--json") == before


def test_dates_and_outlets_reach_the_store(seeds_db: Path, expected: dict) -> None:
    for article_id, day in expected["dates"].items():
        shown = json.loads(_cli("show", article_id, "--db", str(seeds_db), "--json"))
        assert shown["date"].startswith(day)
    assert json.loads(_cli("show", "002_59bfef3b45796184", "--db", str(seeds_db), "--json"))["outlet"] == "RT"


def test_every_view_shows_the_story_in_timeline_order(seeds_db: Path, tmp_path: Path) -> None:
    """The January interview is known by month and day only ("MOSCOW, January 24"): it leads the story on the
    CLI, in the HTML report, on the web page and in the API, and shows as ``????-01-24``, not "undated"."""
    from fastapi.testclient import TestClient

    from storyline.web.app import create_app

    story = json.loads(_cli("stories", "--db", str(seeds_db), "--json"))[0]
    january, march, later = story["event_ids"]
    events = _cli("events", "--db", str(seeds_db))
    assert f"{january}  ????-01-24" in events
    dates = {e["id"]: e["date"] for e in json.loads(_cli("events", "--db", str(seeds_db), "--json"))}
    assert [dates[eid] for eid in (january, march, later)] == ["--01-24", "2021-03-30", None]
    assert json.loads(_cli("show", january, "--db", str(seeds_db), "--json"))["date"] == "--01-24"
    listing = _cli("stories", "--db", str(seeds_db))
    assert listing.startswith(f"{story['id']}  2021-03-30 → 2021-03-31") and "(2 without a full date)" in listing
    assert f"{later}  undated" in events
    timeline = _cli("timeline", story["id"], "--db", str(seeds_db)).split("\n\n")[1:]
    assert [block[:10] for block in timeline[:3]] == ["????-01-24", "2021-03-30", "undated   "]

    report = tmp_path / "report.html"
    _cli("report", "--db", str(seeds_db), "--out", str(report))
    html = report.read_text(encoding="utf-8")
    rows = [html.index(f'id="event-row-{eid}"') for eid in (january, march, later)]
    assert rows == sorted(rows)
    assert '<span class="date">????-01-24</span>' in html

    client = TestClient(create_app(seeds_db))
    page = client.get(f"/stories/{story['id']}").text
    rows = [page.index(f'id="event-row-{eid}"') for eid in (january, march, later)]
    assert rows == sorted(rows)
    assert '<span class="date">????-01-24</span>' in page
    api = client.get(f"/api/stories/{story['id']}").json()
    assert [e["id"] for e in api["events"]] == [january, march, later]
    assert [e["date"] for e in api["events"]][::2] == ["--01-24", None]
    assert "????-01-24" in client.get(f"/events/{january}").text
