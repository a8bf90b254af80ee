"""The Python API (``storyline.Corpus``) on a real SQLite store: records as the readers read them, filters, search."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyline import Corpus

RECORDS = [
    {"id": "p1", "title": "Dockers strike at the port of Riga", "date": "2024-01-15", "outlet": "Harbour Courier",
     "text": "About 1,200 dockworkers at the Port of Riga walked out on Monday over pay, the union said."},
    {"title": "Riga port strike enters second day", "publishedAt": "2024-01-16T09:00:00Z",  # NewsAPI
     "source": {"id": None, "name": "Reuters"}, "url": "https://www.reuters.com/riga-strike",
     "content": "Dockworkers at the Port of Riga stayed out for a second day on Tuesday over pay… [+1804 chars]"},
    {"maintext": "Наводнение в Екабпилсе: из-за ледового затора эвакуированы 420 человек, сообщили спасатели.",
     "title": "Наводнение в Екабпилсе", "date_publish": "2024-03-18 10:00:00", "source_domain": "vp.example",
     "language": "ru", "text": None},  # news-please
    {"id": "broken", "headline": "Only a headline"},
]


@pytest.fixture()
def corpus(tmp_path: Path):
    with Corpus(tmp_path / "api.db", fast=True) as corpus:
        yield corpus


def test_add_records_reads_the_usual_exports_and_reports_what_it_cannot(corpus: Corpus) -> None:
    summary = corpus.add_records(RECORDS)
    assert summary.new_articles == 3 and len(corpus) == 3
    assert [(r.origin, r.line) for r in summary.rejects] == [("api", 4)]
    assert "no text field" in summary.rejects[0].reason and "headline" in summary.rejects[0].reason
    by_title = {a.title: a for a in corpus.articles()}
    newsapi = by_title["Riga port strike enters second day"]
    assert newsapi.outlet == "Reuters" and newsapi.date is not None and newsapi.date.iso.startswith("2024-01-16")
    assert "[+1804 chars]" not in newsapi.body
    assert by_title["Наводнение в Екабпилсе"].lang == "ru"
    again = corpus.add_records(RECORDS[:3])
    assert again.new_articles == 0 and len(corpus) == 3  # re-adding stores nothing twice


def test_events_take_the_command_lines_filters(corpus: Corpus) -> None:
    corpus.add_records(RECORDS[:3])
    everything = corpus.events()
    assert len(everything) >= 2 and [e.start for e in everything] == sorted(e.start for e in everything)
    january = corpus.events(since="2024-01-01", until="2024-01-31")
    assert january and all(e.start.month == 1 for e in january) and len(january) < len(everything)
    assert [e.id for e in corpus.events(lang="ru")] == [e.id for e in everything if e.start.month == 3]
    reuters = corpus.events(outlets=["reuters.com"])
    assert reuters and all("Reuters" in e.outlets for e in reuters)
    assert corpus.events(min_outlets=5) == []


def test_search_finds_both_languages_and_says_what_is_wrong_with_a_query(corpus: Corpus) -> None:
    corpus.add_records(RECORDS[:3])
    hits = corpus.search("dockworkers")
    assert {h["article_id"] for h in hits} == {a.id for a in corpus.articles() if "Dockworkers" in a.body
                                                or "dockworkers" in a.body}
    assert corpus.search("Екабпилс*") and all(h["event_id"] for h in corpus.search("Екабпилс*"))
    with pytest.raises(ValueError, match="closing double quote"):
        corpus.search('"unclosed')


def test_add_paths_reads_folders_and_is_idempotent(corpus: Corpus, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in RECORDS))
    first = corpus.add_paths([folder])
    assert first.new_articles == 3 and len(first.rejects) == 1
    assert corpus.add_paths([folder]).new_articles == 0 and len(corpus) == 3


def test_incremental_adds_keep_the_stored_events_and_link_stories(tmp_path: Path) -> None:
    """``incremental=True``: a later add assigns only its own articles (earlier events keep their ids and members),
    every event is in a story unless ``stories=False``, and records go the same way as files."""
    files = sorted(p for p in (Path(__file__).resolve().parents[1] / "src/storyline/samples/corpus").rglob("*")
                   if p.is_file())
    with Corpus(tmp_path / "stream.db", fast=True) as corpus:
        corpus.add_paths(files[:-3], incremental=True)
        before = corpus.store.event_assignments()
        summary = corpus.add_paths(files[-3:], incremental=True)
        after = corpus.store.event_assignments()
        assert summary.new_articles > 0 and len(after) == len(before) + summary.new_articles and None not in after.values()
        assert {a: after[a] for a in before} == before, "stored articles keep their events"
        events = corpus.events()
        assert summary.stories == len(corpus.stories()) > 5
        assert all(e.story_id for e in events)
        volcano = [{"id": "v1", "title": "Volcano erupts near Grindavik in Iceland", "date": "2024-05-29",
                    "text": "A volcano erupted near Grindavik on Wednesday, sending lava towards the town, the Icelandic "
                            "Met Office said. The Blue Lagoon spa was evacuated."}, {"id": "broken"}]
        added = corpus.add_records(volcano, incremental=True, stories=False)
        assert added.new_articles == 1 and [(r.origin, r.line) for r in added.rejects] == [("api", 2)]
        new_events = {e.id for e in corpus.events()} - {e.id for e in events}
        assert new_events and all(e.story_id is None for e in corpus.events() if e.id in new_events)
        assert {a: corpus.store.event_assignments()[a] for a in after} == after


def _cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    from storyline.cli import main

    capsys.readouterr()
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_every_view_of_the_command_line_is_in_the_api(sample_store_path: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The sample corpus (real pipeline): timeline, outlet comparison, evidence, quotes and entities as the
    commands' ``--json`` give them, exports and the report written, stories relinked with event ids kept."""
    import shutil

    db = tmp_path / "sample.db"
    shutil.copy(sample_store_path, db)
    with Corpus(db) as corpus:
        story = max(corpus.stories(), key=lambda s: (len(s.event_ids), s.id))
        event = max(corpus.events(), key=lambda e: (len(e.outlets), e.id))
        timeline = corpus.timeline(story.id)
        comparison = corpus.compare(event.id, by_meaning=False)
        evidence = corpus.why(event.id, readable=False)
        readable = corpus.why(event.id)
        kalnins = corpus.quotes("Андрис Калниньш")
        inflected = corpus.quotes("Калниньша")  # a case form no article wrote
        latin = corpus.quotes("Kalnins")
        his_events = corpus.events(entity="Калниньша")
        in_event = corpus.quotes(event_id=event.id)
        company = next(e for e in corpus.entities() if e.key == "org:kundzinsala terminal group")
        outlets = corpus.outlets(sort="first")
        wire = corpus.outlet("baltic wire", events=3)
        nowhere = corpus.outlet("Nowhere Gazette")
        april = corpus.outlets(since="2024-04-01", until="2024-04-30", entity="Liepaja")
        first = corpus.articles()[0]
        stored = len(corpus)
        by_url = corpus.article(first.url.replace("https://", "http://") + "/") if first.url else first
        files = corpus.export(tmp_path / "csv", format="csv")
        document = corpus.export(tmp_path / "all.json", format="json")[0]
        report = corpus.report(tmp_path / "report.html")
        events_before = {e.id: e.article_ids for e in corpus.events()}
        corpus.regroup(stories_only=True)
        events_after = {e.id: e.article_ids for e in corpus.events()}
        with pytest.raises(LookupError, match="no event"):
            corpus.compare("e-missing")
        with pytest.raises(ValueError, match="export format"):
            corpus.export(tmp_path / "x", format="xml")
    assert len(timeline) == len(story.event_ids) >= 2
    assert timeline == _cli_json(capsys, "timeline", story.id, "--db", str(db))["entries"]
    assert comparison == _cli_json(capsys, "compare", event.id, "--db", str(db), "--words-only")
    assert len(comparison["outlets"]) == len(event.outlets) >= 2
    assert evidence == _cli_json(capsys, "show", event.id, "--db", str(db), "--why")["evidence"]
    assert set(readable) == set(evidence) == set(event.article_ids)
    # before, a Russian name found nothing: only keys and the stored (Latin) speaker name were matched
    assert kalnins and {q.speaker for q in kalnins} == {"per:andris kalnins"}
    assert [q.id for q in inflected] == [q.id for q in kalnins] == [q.id for q in latin]
    assert his_events and all(q.article_id in {a for e in his_events for a in e.article_ids} for q in kalnins)
    assert in_event and {q.article_id for q in in_event} <= set(event.article_ids)
    assert "KTG" in company.aliases and company.name == "Kundzinsala Terminal Group"
    assert outlets == _cli_json(capsys, "outlets", "--db", str(db), "--sort", "first")
    assert wire == _cli_json(capsys, "outlets", "Baltic Wire", "--db", str(db), "--limit", "3")
    assert wire is not None and len(wire["event_list"]) == 3 and nowhere is None
    assert april and april == _cli_json(capsys, "outlets", "--db", str(db), "--since", "2024-04-01", "--until",
                                        "2024-04-30", "--entity", "Liepaja")
    assert sum(o["events"] for o in april) < sum(o["events"] for o in outlets)
    assert by_url is not None and by_url.id == first.id
    assert [f.name for f in files] == ["articles.csv", "events.csv", "stories.csv", "quotes.csv", "entities.csv",
                                       "outlets.csv"]
    assert len(json.loads(document.read_text(encoding="utf-8"))["articles"]) == stored
    assert event.id in report.read_text(encoding="utf-8")
    assert events_after == events_before
