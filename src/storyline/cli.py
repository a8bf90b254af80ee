"""Command line: one verb per stage, each runnable and inspectable alone.

    storyline run PATH…            ingest, group, write the report, print stories and events
    storyline ingest PATH…         add articles to the store and regroup
    storyline ingest PATH… --incremental [--stories]
                                   add articles, assign only them to events (stable ids, no full regroup),
                                   then (--stories) link stories over the stored events
    storyline regroup              recompute duplicates, events, stories and statements over the whole store
    storyline regroup --stories-only
                                   link stories over the stored events as they are (an incremental store)
    storyline events|stories       list what the store holds (--json for machines)
    storyline events --since 2024-03-01 --min-outlets 3 --sort outlets
                                   the events an analyst asks for (dates, outlets, sizes)
    storyline search WORDS         full-text search over titles, bodies and quotes
    storyline show ID|URL [--why]  one article, event or story
    storyline quotes|entities      who said what
    storyline outlets [NAME]       who reports first, who follows how late, who republishes whom
    storyline timeline|compare     a story's timeline, an event's coverage by outlet
    storyline report|export|serve  HTML report, JSON/CSV export, local web app
    storyline watch FEEDS.txt      follow news feeds, keep events and stories current
    storyline eval…                quality on labelled data
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from storyline.model import day_label

DEFAULT_DB = "storyline.db"
SAMPLES = Path(__file__).parent / "samples" / "corpus"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `storyline quotes --json | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        return 141
    except (FileNotFoundError, ValueError, LookupError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc  # str(KeyError) adds quotes
        print(f"storyline: error: {message}", file=sys.stderr)
        return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="storyline", description="News articles in, events and stories out.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__,
    )
    from storyline import __version__

    parser.add_argument("--version", action="version", version=f"storyline {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = sub.add_parser("run", help="ingest, group, report: the whole job")
    _inputs(run)
    _store(run)
    _options(run)
    run.add_argument("--report", default="report.html", help="where to write the HTML report (default: %(default)s)")
    run.add_argument("--no-report", action="store_true", help="skip the HTML report")
    run.add_argument("--engine", choices=("local", "spark"), default="local",
                     help="local (default) or spark: pyspark, Parquet tables in --out (see docs/spark.md)")
    run.add_argument("--spark-master", default="local[*]", help="Spark master URL (default: %(default)s)")
    run.add_argument("--out", default="storyline-parquet", help="--engine spark: Parquet folder (default: %(default)s)")
    run.add_argument("--no-load", action="store_true", help="--engine spark: Parquet only, no load into --db")
    run.set_defaults(func=cmd_run)

    ingest = sub.add_parser("ingest", help="add articles to the store and regroup")
    _inputs(ingest)
    _store(ingest)
    _options(ingest)
    ingest.add_argument("--incremental", action="store_true",
                        help="assign only the new articles to events (existing ids kept, late articles re-open "
                             "retired events; near-copies marked within the hot window, stories wait for "
                             "`storyline regroup` or --stories): the cost "
                             "of a batch does not grow with the store. Files are stored first, then grouped "
                             "oldest first; stdin (-) is grouped batch by batch as it arrives")
    ingest.add_argument("--stories", action="store_true",
                        help="with --incremental: link stories over the stored events at the end of the run, as "
                             "`storyline regroup --stories-only` does (event ids kept; one pass over the store: "
                             "about 6 s for 10k articles)")
    ingest.set_defaults(func=cmd_ingest)

    again = sub.add_parser("regroup", help="recompute duplicates, events, stories and statements over the store")
    again.add_argument("--stories-only", action="store_true",
                       help="link stories (and give events their headline and summary) over the stored events as "
                            "they are: event ids and members do not change (a store grown with --incremental)")
    _store(again)
    _options(again)
    again.set_defaults(func=cmd_regroup)

    for name, func, text in (("events", cmd_events, "list events"), ("stories", cmd_stories, "list stories"),
                             ("entities", cmd_entities, "list entities"), ("rejects", cmd_rejects, "list rejected input")):
        p = sub.add_parser(name, help=text)
        _store(p)
        _json(p)
        p.set_defaults(func=func)
        if name == "rejects":
            p.add_argument("--notes", action="store_true", help="also list articles kept with a caveat")
            p.add_argument("--summary", action="store_true",
                           help="one line per kind of reason (numbers aside) with its count, files and first place: "
                                "a million lines of a wrongly mapped export read as one")
        if name == "events":
            _event_filters(p)
        if name == "stories":
            _story_filters(p)
        if name == "entities":
            p.add_argument("--kind", choices=("PER", "ORG", "LOC"), type=str.upper,
                           help="people, organisations or places only")
            p.add_argument("--name", help="part of any spelling, either language (Калниньш finds Andris Kalnins); "
                                          "failing that a translated or inflected form (Литва, Калниньша)")
            p.add_argument("--limit", type=int, help="only the N most mentioned")

    outlets = sub.add_parser("outlets", help="outlets: articles, events, first reports, lag, copies")
    outlets.add_argument("name", nargs="?",
                         help="one outlet's profile: its name in any case, a known outlet's domain or alias (tass.ru, "
                              "ТАСС), or part of one name; without it, every outlet")
    outlets.add_argument("--sort", choices=("articles", "events", "first", "exclusive", "name"), default="articles",
                         help="the list's order: most articles (the default), events, first reports, exclusive "
                              "events, or by name")
    outlets.add_argument("--limit", type=_positive, help="the list: only the first N; a profile: its N newest events "
                                                         "(default 20)")
    _event_filters(outlets, listing=False, title="filters (count only the events that pass: --since 2024-03-01 "
                                                 "--entity Peskov; --outlet TASS: the events TASS covered)")
    _store(outlets)
    _json(outlets)
    outlets.set_defaults(func=cmd_outlets)

    search = sub.add_parser("search", help="full-text search over titles, bodies and quotes")
    search.add_argument("query", help='words, "a phrase", AND/OR/NOT, Песков* for any ending; places and '
                                      "organisations also match their other-language names (Moscow: Москва)")
    search.add_argument("--page", type=int, default=1, help="page of results (default: %(default)s)")
    _store(search)
    _json(search)
    search.set_defaults(func=cmd_search)

    show = sub.add_parser("show", help="show one article, event or story")
    show.add_argument("id", help="an article, event or story id, or an article's URL")
    show.add_argument("--why", action="store_true", help="for an event: the evidence that put each article there")
    _store(show)
    _json(show)
    show.set_defaults(func=cmd_show)

    quotes = sub.add_parser("quotes", help="quotes with speakers, grouped into statements")
    quotes.add_argument("--speaker", help="speaker name (part of it, or a place or organisation in either language: Кремль) or entity key")
    quotes.add_argument("--event", help="event id")
    _store(quotes)
    _json(quotes)
    quotes.set_defaults(func=cmd_quotes)

    timeline = sub.add_parser("timeline", help="a story's events in date order")
    timeline.add_argument("story_id")
    _store(timeline)
    _json(timeline)
    timeline.set_defaults(func=cmd_timeline)

    compare = sub.add_parser("compare", help="how each outlet covered an event")
    compare.add_argument("event_id")
    compare.add_argument("--words-only", action="store_true",
                         help="match sentences across outlets by their words alone: no embedding model, so "
                              "translations count as unique (default: also by meaning across languages)")
    _store(compare)
    _json(compare)
    compare.set_defaults(func=cmd_compare)

    report = sub.add_parser("report", help="write the self-contained HTML report")
    report.add_argument("--out", default="report.html")
    _store(report)
    report.set_defaults(func=cmd_report)

    export = sub.add_parser("export", help="export articles, events, stories, quotes, entities and outlets")
    export.add_argument("--format", choices=("json", "jsonl", "csv"), default="json",
                        help="json: one document; jsonl: a file per table, a record per line (big stores); csv")
    export.add_argument("--out", help="file (json) or folder (jsonl, csv); json goes to stdout without it")
    _store(export)
    _event_filters(export, listing=False)
    export.set_defaults(func=cmd_export)

    serve = sub.add_parser("serve", help="local web app over the store")
    _store(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=cmd_serve)

    watch = sub.add_parser("watch", help="follow RSS/Atom feeds and sitemaps, ingesting new articles")
    watch.add_argument("feeds", type=Path, help="a file with one feed URL per line")
    watch.add_argument("--every", default="10m", help="time between passes: 90s, 10m, 1h (default: %(default)s)")
    watch.add_argument("--once", action="store_true", help="one pass, then exit (for cron)")
    watch.add_argument("--incremental", action="store_true",
                       help="assign only the new articles to events (stable ids, cost independent of the store's "
                            "size); stories wait for `storyline regroup`, or --stories")
    watch.add_argument("--stories", action="store_true",
                       help="with --incremental: link stories again after each round that added articles "
                            "(event ids kept; one pass over the store)")
    _store(watch)
    _options(watch)
    watch.set_defaults(func=cmd_watch)

    ev = sub.add_parser("eval", help="score the grouping on labelled JSONL/TSV data")
    ev.add_argument("data", type=Path)
    ev.add_argument("--gold", default="cluster", help="gold label field (cluster, event_id, incident_id, topic)")
    ev.add_argument("--task", choices=("events", "pairs", "stories"), default="events")
    ev.add_argument("--baseline", choices=("tfidf-agglomerative", "minhash-lsh"), help="also run a baseline")
    ev.add_argument("--limit", type=int, help="only the first N documents")
    _options(ev)
    _json(ev)
    ev.set_defaults(func=cmd_eval)

    evq = sub.add_parser("eval-quotes", help="quote detection and speaker attribution on the labelled set")
    evq.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    evq.add_argument("--seeds-dir", type=Path, default=Path("../shared/seeds"))
    evq.add_argument("--labels", type=Path)
    _json(evq)
    evq.set_defaults(func=cmd_eval_quotes)

    evt = sub.add_parser("eval-timeline", help="Date-F1 and alignment ROUGE on Timeline17-style data")
    evt.add_argument("articles", type=Path)
    evt.add_argument("timelines", type=Path)
    evt.add_argument("--limit", type=int, help="only the first N gold timelines")
    _json(evt)
    evt.set_defaults(func=cmd_eval_timeline)
    return parser


# ---------------------------------------------------------------------- argument groups
def _inputs(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group("input")
    group.add_argument("paths", nargs="*", help="files, folders (recursive) or - for stdin")
    group.add_argument("--field", action="append", metavar="FIELD=KEY", dest="fields", type=_field_option,
                       help="where your JSON/CSV export keeps a field, e.g. --field text=article_body --field "
                            "date=meta.published_on (fields: text, title, id, date, url, outlet, lang); the "
                            "usual names (body, content, headline, publishedAt, date_publish, ...) need none")
    group.add_argument("--sample", action="store_true", help="use the sample corpus shipped with storyline")


def _field_option(text: str) -> tuple[str, str]:
    from storyline.ingest import RECORD_FIELDS

    role, equals, key = text.partition("=")
    role, key = role.strip().lower(), key.strip()
    if not equals or not key:
        raise argparse.ArgumentTypeError(f"expected FIELD=KEY, e.g. text=article_body, got {text!r}")
    if role not in RECORD_FIELDS:
        raise argparse.ArgumentTypeError(f"unknown field {role!r}: one of {', '.join(RECORD_FIELDS)}")
    return role, key


def _event_filters(p: argparse.ArgumentParser, *, listing: bool = True, title: str | None = None) -> None:
    group = p.add_argument_group(title or ("filters" if listing else "filters (the events that pass, their articles, "
                                           "quotes and stories)"))
    group.add_argument("--since", type=_iso_day, metavar="YYYY-MM-DD", help="events still running on or after this day")
    group.add_argument("--until", type=_iso_day, metavar="YYYY-MM-DD", help="events begun on or before this day")
    group.add_argument("--outlet", action="append", metavar="NAME",
                       help="covered by this outlet: its name or part of it (4+ letters), or a known outlet's "
                            "domain (tass.com); repeat for any of several")
    group.add_argument("--min-articles", type=_positive, default=1, metavar="N", help="at least N articles")
    group.add_argument("--min-outlets", type=_positive, default=1, metavar="N", help="covered by at least N outlets")
    group.add_argument("--lang", help="with an article in this language (en, ru, ...)")
    group.add_argument("--entity", help="naming this person, place or organisation (a name in either language, or a key)")
    if not listing:
        return
    group.add_argument("--sort", choices=("date", "newest", "articles", "outlets"), default="date",
                       help="date (oldest first, the default), newest first, or the most articles / outlets first")
    group.add_argument("--limit", type=_positive, metavar="N", help="only the first N")


def _story_filters(p: argparse.ArgumentParser) -> None:
    """The web app's Stories filters (storyline.web.stories.StoryFilters), in the listing's own order."""
    group = p.add_argument_group("filters")
    group.add_argument("--since", type=_iso_day, metavar="YYYY-MM-DD", help="stories still running on or after this day")
    group.add_argument("--until", type=_iso_day, metavar="YYYY-MM-DD", help="stories begun on or before this day")
    group.add_argument("--outlet", action="append", metavar="NAME",
                       help="with an article from this outlet (name, part of it, or a known domain); repeat for any")
    group.add_argument("--lang", help="with an article in this language (en, ru, ...)")
    group.add_argument("--entity", help="naming this person, place or organisation (a name in either language, or a key)")


def _positive(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def _iso_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a day as YYYY-MM-DD, got {text!r}") from None


def _store(p: argparse.ArgumentParser) -> None:
    p.add_argument_group("store").add_argument("--db", default=DEFAULT_DB, help="SQLite store (default: %(default)s)")


def _options(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group("processing")
    group.add_argument("--fast", action="store_true", help="lexical features only: no embeddings, NER or quotes")
    group.add_argument("--workers", type=int, help="worker processes (default 1)")
    group.add_argument("--config", type=Path, help="TOML file overriding the defaults")


def _json(p: argparse.ArgumentParser) -> None:
    p.add_argument_group("output").add_argument("--json", action="store_true", help="machine-readable JSON")


def _config(args: argparse.Namespace):  # noqa: ANN202
    from storyline.config import Config

    config = Config.load(getattr(args, "config", None), fast=getattr(args, "fast", None) or None,
                         workers=getattr(args, "workers", None))
    fields = getattr(args, "fields", None)
    if fields:  # on top of the TOML file's record_fields; the command line wins for a field both name
        return config.with_(record_fields={**dict(config.record_fields), **dict(fields)})
    return config


def _open(args: argparse.Namespace, *, must_exist: bool = True):  # noqa: ANN202
    from storyline.store import SQLiteStore

    if must_exist:
        _require_store(args.db)
    return SQLiteStore(args.db)


def _require_store(db: str) -> None:
    if not Path(db).exists():
        raise FileNotFoundError(f"no store at {db}; create one with `storyline run PATH --db {db}`")


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def _progress():  # noqa: ANN202 - a callback, or None when not on a terminal
    if not sys.stderr.isatty():
        return None

    def report(stage: str, done: int) -> None:
        sys.stderr.write(f"\r{stage}: {done}   ")
        sys.stderr.flush()

    return report


# ---------------------------------------------------------------------- commands
def cmd_run(args: argparse.Namespace) -> int:
    from storyline.pipeline import run_pipeline

    paths = list(args.paths) + ([str(SAMPLES)] if args.sample else [])
    if not paths:
        raise ValueError("give at least one PATH (or --sample for the bundled corpus)")
    if args.engine == "spark":
        from storyline.scale.spark import run_spark

        result = run_spark(paths, _config(args), out_dir=args.out, master=args.spark_master,
                           db=None if args.no_load else args.db)
        print(result.describe())
        if result.loaded_into and not args.no_report:
            from storyline.report.html import write_report

            with _open(args) as store:
                print(f"report: {Path(write_report(store, args.report)).resolve()}")
        return 0
    with _open(args, must_exist=False) as store:
        summary = run_pipeline(paths, store, _config(args), stdin=sys.stdin.buffer if "-" in paths else None,
                               progress=_progress(), command="run")
        if sys.stderr.isatty():
            sys.stderr.write("\n")
        _print_tables(store)
        report = None
        if not args.no_report:
            from storyline.report.html import write_report

            report = write_report(store, args.report)
    _print_summary(summary)
    print(f"store:  {Path(args.db).resolve()}")
    if report:
        print(f"report: {Path(report).resolve()}")
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from storyline.pipeline import run_pipeline

    paths = list(args.paths) + ([str(SAMPLES)] if args.sample else [])
    if not paths:
        raise ValueError("give at least one PATH (or - for stdin, or --sample for the bundled corpus)")
    stdin = sys.stdin.buffer if "-" in paths else None
    _stories_need_incremental(args)
    with _open(args, must_exist=False) as store:
        if args.incremental:
            from storyline.pipeline import ingest_incremental

            summary = ingest_incremental(paths, store, _config(args), stdin=stdin, progress=_progress(),
                                         stories=args.stories)
        else:
            summary = run_pipeline(paths, store, _config(args), stdin=stdin, progress=_progress(),
                                   command="ingest")
    _print_summary(summary)
    return 0


def _stories_need_incremental(args: argparse.Namespace) -> None:
    """``--stories`` asks an incremental run for stories; every other run links them already."""
    if args.stories and not args.incremental:
        raise ValueError("--stories goes with --incremental (without it, stories are linked anyway)")


def cmd_regroup(args: argparse.Namespace) -> int:
    import time

    from storyline.pipeline import regroup, relink_stories

    with _open(args) as store:
        clock = time.perf_counter()
        relink = relink_stories if args.stories_only else regroup
        summary = relink(store, _config(args), progress=_progress())
        summary.documents = summary.new_articles = 0
        summary.seconds = time.perf_counter() - clock
    _print_summary(summary)
    return 0


def _plural(count: int, word: str, plural: str = "") -> str:
    return word if count == 1 else plural or f"{word}s"


def _counted(count: int, word: str, plural: str = "") -> str:
    """"1 event", "2 events", "0 stories"."""
    return f"{count} {_plural(count, word, plural)}"


def _print_summary(summary: Any) -> None:
    print(
        f"{_counted(summary.documents, 'document')} read: {_counted(summary.new_articles, 'new article')}, "
        f"{summary.already_stored} already stored, {len(summary.rejects)} rejected; {_counted(summary.events, 'event')}, "
        f"{_counted(summary.stories, 'story', 'stories')} ({summary.seconds:.1f} s)"
    )
    for reject in summary.rejects[:20]:
        where = f"{reject.origin}:{reject.line}" if reject.line else reject.origin
        print(f"  rejected {where}: {reject.reason}")
    if len(summary.rejects) > 20:
        print(f"  … and {len(summary.rejects) - 20} more (`storyline rejects`; `--summary` counts them by reason)")
    notes = getattr(summary, "notes", [])
    if notes:
        print(f"{_counted(len(notes), 'article')} kept with a note:")
        for note in notes[:10]:
            where = f"{note.origin}:{note.line}" if note.line else note.origin
            print(f"  note {where}: {note.reason}")
        if len(notes) > 10:
            print(f"  … and {len(notes) - 10} more (storyline rejects --notes)")


def _print_tables(store: Any) -> None:
    events = {e.id: e for e in store.events()}
    partial = store.partial_days()
    undated = store.undated_events()
    for story in store.stories():
        span = f"{_day(story.start)} → {_day(story.end)}" + _undated_note(undated.get(story.id, 0), ", {n} without a full date")
        print(f"\nSTORY {story.id}  {_clip(story.title, 70)}  [{_counted(len(story.event_ids), 'event')}, {span}]")
        for eid in story.event_ids:
            event = events.get(eid)
            if event:
                outlets = ", ".join(event.outlets[:4]) + ("…" if len(event.outlets) > 4 else "")
                print(f"  {_day(event.start, partial.get(eid)):10}  {event.id}  {len(event.article_ids):3} art.  {_clip(event.title, 60)}  ({outlets})")
    print()


def _event_date(event: Any, partial: dict[str, str]) -> str | None:
    """The event's day for JSON readers, as the web API gives it: ISO, ``--MM-DD`` when only month and day are known
    (the year is never invented), or null."""
    return event.start.date().isoformat() if event.start else partial.get(event.id)


def _undated_note(count: int, template: str) -> str:
    """Said when some of a story's events have no full date: its start → end span comes from the others."""
    return template.format(n=count) if count else ""


def _clip(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, cut at a word with "…": a bare cut turned "evacuated 420" into
    "evacuated 4"."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = text[: width - 1]
    if " " in cut[width // 2:]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-–—") + "…"


def _day(value: Any, partial: str | None = None) -> str:
    """A listing's date column: the day, ``????-MM-DD`` for an event known by month and day only, or "undated"."""
    return value.strftime("%Y-%m-%d") if value else (day_label(partial) or "undated")


def _filters_of(args: argparse.Namespace):  # noqa: ANN202 - storyline.store.sqlite.EventFilters
    from storyline.store.sqlite import EventFilters

    return EventFilters(since=args.since and args.since.isoformat(), until=args.until and args.until.isoformat(),
                        outlets=tuple(args.outlet or ()), min_articles=args.min_articles, min_outlets=args.min_outlets,
                        lang=args.lang, entity=args.entity)


def cmd_events(args: argparse.Namespace) -> int:
    from storyline.store.sqlite import EventQuery

    order = "oldest" if args.sort == "date" else args.sort
    with _open(args) as store:
        stored = store.count_events()
        ids = EventQuery(store.conn, _filters_of(args)).ids(order, limit=args.limit)
        events = list(store.iter_events(ids))
        partial = store.partial_days(ids)
        articles = store.count_articles() if not stored else 0
    if stored and not events:
        print(f"none of the {stored} events in {args.db} passes these filters", file=sys.stderr)
    if args.json:
        _print_json([{**e.to_json(), "date": _event_date(e, partial)} for e in events])
    else:
        for e in events:
            print(f"{e.id}  {_day(e.start, partial.get(e.id)):10}  {len(e.article_ids):3} art.  {_clip(e.title, 70)}")
        if not stored:
            _explain_empty("events", articles, args.db)
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from storyline.web.queries import connect_readonly
    from storyline.web.search import SNIPPET_CLOSE, SNIPPET_OPEN, SearchSyntaxError, search

    _require_store(args.db)
    conn = connect_readonly(args.db)
    try:
        result = search(conn, args.query, page=args.page)
    except SearchSyntaxError as error:
        print(f"storyline: error: {error}", file=sys.stderr)
        return 2
    finally:
        conn.close()
    bold, plain = ("\033[1m", "\033[0m") if sys.stdout.isatty() and not args.json else ("", "")

    def shown(snippet: str | None) -> str:
        return " ".join((snippet or "").replace(SNIPPET_OPEN, bold).replace(SNIPPET_CLOSE, plain).split())

    if args.json:
        _print_json({**result, "items": [{**item, "title_snippet": shown(item["title_snippet"]),
                                          "body_snippet": shown(item["body_snippet"])} for item in result["items"]]})
        return 0
    if result["names"]:
        print(f"also searched as: {', '.join(result['names'])}")
    for item in result["items"]:
        who = f"{item['speaker_name'] or item['speaker']}: " if item["kind"] == "quote" else ""
        day = (item["published"] or "")[:10] or "undated"
        print(f"{item['kind']:7} {day:10}  {_clip(item['outlet'] or '?', 18):18}  {_clip(item['title'], 70)}"
              f"  [article {item['article_id']}, event {item['event_id'] or '-'}]")
        print(f"        {who}{shown(item['body_snippet'])}")
    if not result["items"]:
        print(f"nothing matches {args.query!r}" + (f" on page {args.page}" if args.page > 1 else ""), file=sys.stderr)
    elif result["has_next"]:
        print(f"more: storyline search {shlex.quote(args.query)} --page {args.page + 1}")
    return 0


def cmd_stories(args: argparse.Namespace) -> int:
    from storyline.web.stories import StoryFilters, StoryTable

    filters = StoryFilters(args.since and args.since.isoformat(), args.until and args.until.isoformat(),
                           args.lang, ",".join(args.outlet or ()) or None, args.entity)
    with _open(args) as store:
        stored = store.stories()
        stories = stored
        if filters.active():
            kept = set(StoryTable.load(store.conn).passing(store.conn, filters, (s.id for s in stored)))
            stories = [s for s in stored if s.id in kept]
        undated = store.undated_events()
        articles = store.count_articles() if not stored else 0
    if stored and not stories:
        print(f"none of the {len(stored)} stories in {args.db} passes these filters", file=sys.stderr)
    if args.json:
        _print_json([s.to_json() for s in stories])
    else:
        for s in stories:
            print(f"{s.id}  {_day(s.start)} → {_day(s.end)}  {len(s.event_ids):3} {_plural(len(s.event_ids), 'event'):6}  {_clip(s.title, 70)}"
                  + _undated_note(undated.get(s.id, 0), "  ({n} without a full date)"))
        if not stored:
            _explain_empty("stories", articles, args.db)
    return 0


def _explain_empty(what: str, articles: int, db: str) -> None:
    """An empty listing says why (on stderr, so that pipes still read nothing)."""
    if articles:
        print(f"no {what} yet in {db}: its {articles} articles have not been grouped "
              f"(`storyline ingest --incremental` links none unless given --stories); run `storyline regroup --db "
              f"{db}` (or `--stories-only` to keep the events as they are)", file=sys.stderr)
    else:
        print(f"no {what}: {db} holds no articles; add some with `storyline ingest PATH --db {db}`", file=sys.stderr)


def cmd_entities(args: argparse.Namespace) -> int:
    from storyline.web.entities import list_entities

    with _open(args) as store:
        total = store.conn.execute("SELECT count(*) FROM entities").fetchone()[0]
        data = list_entities(store.conn, kind=args.kind, name=args.name, page_size=max(args.limit or total, 1))
    if args.json:
        _print_json(data["items"])
        return 0
    if not data["items"]:
        print(f"no entities{' named ' + repr(args.name) if args.name else ''}"
              f"{' of kind ' + args.kind if args.kind else ''} (of {total} stored)", file=sys.stderr)
    for e in data["items"]:
        said = f"{e['statements']:3} st." if e["statements"] else " " * 7
        print(f"{e['kind']:4} {_clip(e['name'], 30):30} {e['articles']:5} art. {said} {_clip('; '.join(e['roles']), 32):32}"
              f" {_clip(', '.join(a for a in e['aliases'] if a != e['name']), 60)}")
    if args.limit and data["total"] > len(data["items"]):
        print(f"({len(data['items'])} most mentioned of {data['total']})", file=sys.stderr)
    return 0


def cmd_outlets(args: argparse.Namespace) -> int:
    from storyline.web.outlets import OutletTable, list_outlets, outlet_detail

    with _open(args) as store:
        table = OutletTable.load(store.conn, _filters_of(args))
        if args.name:
            detail = outlet_detail(store.conn, args.name, limit=args.limit or 20, table=table)
            if detail is None:
                near = list_outlets(store.conn, name=args.name, table=table)["items"]
                also = f"; it is part of {', '.join(repr(o['outlet']) for o in near[:8])}" if near else ""
                print(f"error: no outlet {args.name!r} in {args.db}{also}", file=sys.stderr)
                return 2
        else:
            data = list_outlets(store.conn, sort=args.sort, page_size=max(args.limit or len(table.profiles), 1),
                                table=table)
    if args.name:
        if args.json:
            _print_json(detail)
        else:
            _print_outlet(detail)
        return 0
    if args.json:
        _print_json(data["items"])
        return 0
    if not data["items"]:
        if table.filters:
            print(f"no outlet covers an event that passes these filters in {args.db}", file=sys.stderr)
        else:
            _explain_empty("outlets", 0, args.db)
        return 0
    print(f"{'outlet':30} {'articles':>8} {'copies':>6} {'events':>6} {'first':>11} {'alone':>5} {'lag h':>6}  languages")
    for o in data["items"]:
        first = f"{o['first_reports']}/{o['shared_events']}"
        lag = f"{o['median_lag_hours']:6.1f}" if o["median_lag_hours"] is not None else f"{'':6}"
        print(f"{_clip(o['outlet'], 30):30} {o['articles']:8} {o['copies']:6} {o['events']:6} {first:>11} "
              f"{o['exclusive_events']:5} {lag}  {', '.join(o['languages'])}")
    print("first: events it reported first / events another outlet covered too; alone: events no other outlet "
          "covered; lag h: median hours behind the first report where both give a time", file=sys.stderr)
    if data["total"] > len(data["items"]):
        print(f"({len(data['items'])} of {data['total']} outlets)", file=sys.stderr)
    return 0


def _print_outlet(o: dict[str, Any]) -> None:
    span = f"{o['first_day']} … {o['last_day']}" if o["first_day"] else "undated"
    print(f"{o['outlet']}  ({_counted(o['articles'], 'article')}, {span}; "
          f"{', '.join(f'{k} {v}' for k, v in o['languages'].items())})")
    lag = f"; median {o['median_lag_hours']} h behind the first report ({o['lag_measured']} timed)" \
        if o["median_lag_hours"] is not None else ""
    print(f"events: {o['events']}, with other outlets {o['shared_events']}, reported first {o['first_reports']}, "
          f"alone {o['exclusive_events']}{lag}")
    for key, text in (("alongside", "covers the same events as"), ("copied_from", "republishes"),
                      ("copied_by", "republished by"), ("credits", "credits")):
        if o[key]:
            print(f"{text}: " + ", ".join(f"{c['outlet']} ({c['count']})" for c in o[key]))
    if o["speakers"]:
        print("quotes most: " + ", ".join(f"{s['name']} ({s['statements']})" for s in o["speakers"]))
    if o["entities"]:
        print("mentions most: " + ", ".join(f"{e['name']} ({e['articles']})" for e in o["entities"][:10]))
    print("\nevents, newest first:")
    for e in o["event_list"]:
        place = "only outlet" if e["outlets"] == 1 else "first" if e["rank"] == 1 else \
            f"#{e['rank']} of {e['outlets']}" if e["rank"] else f"undated, {e['outlets']} outlets"
        if e["lag_hours"] is not None:
            place += f", +{e['lag_hours']:g} h"
        print(f"  {day_label(e['date']) or 'undated':10}  {e['id']}  {_clip(e['title'], 60):60}  {place}")
    if o["pages"] > 1:
        print(f"({len(o['event_list'])} newest events; --limit N for more)", file=sys.stderr)


def cmd_rejects(args: argparse.Namespace) -> int:
    from storyline.model import to_dict

    with _open(args) as store:
        rejects = store.rejects(kept=None if args.notes else False)
    if args.summary:
        kinds = summarise_rejects(rejects)
        if args.json:
            _print_json(kinds)
            return 0
        files = len({r.origin for r in rejects})
        print(f"{_counted(len(rejects), 'reject')} in {_counted(files, 'file')}, {_counted(len(kinds), 'kind')} of reason:")
        for kind in kinds:
            print(f"{kind['count']:8}  {kind['reason']}")
            print(f"{'':10}first: {kind['first']}" + (f"; in {kind['files']} files" if kind["files"] > 1 else ""))
        return 0
    if args.json:
        _print_json([to_dict(r) for r in rejects])
    else:
        for r in rejects:
            print(f"{r.origin}{':' + str(r.line) if r.line else ''}: {r.reason}")
    return 0


_NUMBER = re.compile(r"\d+")


def summarise_rejects(rejects: Sequence[Any]) -> list[dict[str, Any]]:
    """Rejects grouped by their reason with the numbers taken out ("at column 40", "row has 2 fields"), most
    frequent first: each kind's first reason as written, its count, how many files and where it first occurs."""
    kinds: dict[str, dict[str, Any]] = {}
    for reject in rejects:
        where = f"{reject.origin}:{reject.line}" if reject.line else reject.origin
        kind = kinds.setdefault(_NUMBER.sub("N", reject.reason), {"reason": reject.reason, "count": 0, "files": set(),
                                                                    "first": where})
        kind["count"] += 1
        kind["files"].add(reject.origin)
    ordered = sorted(kinds.values(), key=lambda k: (-k["count"], k["reason"]))
    return [{**kind, "files": len(kind["files"])} for kind in ordered]


def cmd_show(args: argparse.Namespace) -> int:
    from storyline.api import event_evidence
    from storyline.model import to_dict

    with _open(args) as store:
        if event := store.event(args.id):
            data: dict[str, Any] = {**event.to_json(), "date": _event_date(event, store.partial_days([event.id]))}
            members = list(store.iter_articles(event.article_ids, with_annotations=False))
            data["articles"] = [
                {"id": a.id, "title": a.title, "outlet": a.outlet, "date": a.date.iso if a.date else None,
                 "duplicate_of": a.duplicate_of}
                for a in members
            ]
            data["quotes"] = [_quote_json(store, q) for q in store.quotes(event_id=event.id)]
            if args.why:  # JSON keeps the stored evidence; people read the articles' words
                data["evidence"] = event_evidence(store, event, readable=not args.json, members=members)
        elif story := store.story(args.id):
            data = story.to_json()
        elif article := store.article(args.id) or _article_at(store, args.id):
            data = to_dict(article)
            data["event_id"] = store.event_of(article.id)
            data["date"] = article.date.iso if article.date else None
        else:
            raise LookupError(f"no article, event or story with id {args.id!r}"
                              + (" and no article with this URL" if "://" in args.id else ""))
    if args.json:
        _print_json(data)
    else:
        evidence = data.pop("evidence", None)
        _print_record(data)
        if evidence is not None:
            _print_evidence(evidence)
    return 0


def _article_at(store: Any, url: str) -> Any:
    """:func:`storyline.api.article_at`, naming on stderr the other articles of a URL scraped under several ids."""
    from storyline.api import articles_at

    ids = articles_at(store, url)
    if len(ids) > 1:
        print(f"{len(ids)} articles have this URL: {', '.join(ids)}; showing {ids[0]}", file=sys.stderr)
    return store.article(ids[0]) if ids else None


def _print_evidence(evidence: dict[str, dict[str, Any]]) -> None:
    """``show --why`` for people: per article its closest report, the parts of that pair's score, what the two
    share and, for an event spread over days, its strongest link across them (``--json`` has every field)."""
    print("why each article is here:")
    for article_id, why in evidence.items():
        score = why.get("score")
        print(f"  {article_id}" + (f"  mean score {score:.3f} to the other members" if score is not None else ""))
        if why.get("similar_to") is None:
            print("    opened the event: no link reached the threshold")
            _print_elsewhere(why)
            continue
        print(f"    closest: {why['similar_to']}{_link_parts(why)}")
        shared = [(label, why.get(key) or []) for label, key in
                  (("names", "shared_names"), ("entities", "shared_entities"), ("terms", "shared_terms"))]
        if parts := [f"{label} {', '.join(map(str, values))}" for label, values in shared if values]:
            print(f"    shared {'; '.join(parts)}")
        for quote in why.get("shared_quotes") or []:
            print(f"    shared quote: “{quote}”")
        if across := why.get("linked_across_days"):
            print(f"    across days: {across['article']}{_link_parts(across)}")
        _print_elsewhere(why)


def _print_elsewhere(why: dict[str, Any]) -> None:
    if elsewhere := why.get("closest_elsewhere"):
        names = elsewhere.get("shared_names") or []
        print(f"    closest elsewhere: {elsewhere['article']} in {elsewhere['event_id']}{_link_parts(elsewhere)}"
              + (f"; shared names {', '.join(names)}" if names else ""))


def _link_parts(link: dict[str, Any]) -> str:
    """", 49.1 days apart: pair 0.156 (lexical 0.445, time factor 0.35, the later names the earlier's day)", from
    the fields the engine wrote (the graph engine's evidence has fewer)."""
    days = link.get("days_apart")
    parts = [f"{name} {link[key]:.3g}" for name, key in (("lexical", "lexical_sim"), ("embedding", "embedding_sim"),
                                                          ("time factor", "time_factor")) if link.get(key) is not None]
    if link.get("recalls_date"):
        parts.append("the later names the earlier's day")
    if conflicts := link.get("count_conflicts"):
        parts.append(f"counts differ: {'; '.join(conflicts)}")
    pair = link.get("pair_score", link.get("score"))
    return ((f", {days:g} days apart" if days is not None else "")
            + (f": pair {pair:.3f}" if pair is not None else "") + (f" ({', '.join(parts)})" if parts else ""))


def _print_record(data: dict[str, Any]) -> None:
    for key, value in data.items():
        if key in ("raw",):
            continue
        if isinstance(value, list) and value and isinstance(value[0], dict):
            print(f"{key}:")
            for item in value:
                print("  - " + "; ".join(f"{k}={v}" for k, v in item.items() if v not in (None, "", [])))
        elif isinstance(value, dict):
            print(f"{key}:")
            for k, v in value.items():
                print(f"  {k}: {v}")
        else:
            print(f"{key}: {value}")


def _quote_json(store: Any, q: Any) -> dict[str, Any]:
    article = store.article(q.article_id)
    return {
        "statement_id": q.statement_id, "speaker": q.speaker_name or q.speaker or "unknown", "speaker_key": q.speaker,
        "text": q.text, "article_id": q.article_id, "outlet": article.outlet if article else None,
        "credited_source": article.credited_source if article else None,
        "date": article.date.iso if article and article.date else None, "start": q.start, "end": q.end,
        "confidence": round(q.confidence, 3), "cue": q.cue, "kind": q.kind,
    }


def cmd_quotes(args: argparse.Namespace) -> int:
    from storyline.api import speaker_quotes

    with _open(args) as store:
        rows = [_quote_json(store, q) for q in speaker_quotes(store, args.speaker, args.event)]
    if args.json:
        _print_json(rows)
    elif not rows:
        asked = " and ".join(x for x in (args.speaker and f"speaker {args.speaker!r}",
                                        args.event and f"event {args.event}") if x)
        print(f"no quotes{' for ' + asked if asked else ''}; speakers are listed by `storyline entities`",
              file=sys.stderr)
    else:
        for r in rows:
            source = r["outlet"] or (f"via {r['credited_source']}" if r["credited_source"] else "?")  # a republication
            print(f"[{r['statement_id'] or '-'}] {r['speaker']} ({source}, {r['date'] or 'undated'}): "
                  f"“{r['text'][:140]}”")
    return 0


def _maps(store: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    events = {e.id: e for e in store.events()}
    articles = {a.id: a for a in store.iter_articles()}
    return events, articles


def cmd_timeline(args: argparse.Namespace) -> int:
    from storyline.api import story_timeline

    with _open(args) as store:
        entries = story_timeline(store, args.story_id)
        story = store.story(args.story_id)
    if args.json:
        _print_json({**story.to_json(), "entries": entries})
    else:
        print(f"{story.title}  ({_day(story.start)} → {_day(story.end)}, {len(entries)} events)\n")
        for e in entries:
            print(f"{day_label(e['date']) or 'undated':10}  {e['headline']}  [{e['outlet'] or '?'}, {e['articles']} art.]")
            if e["summary"]:
                print(f"            {e['summary']}")
            print()
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from storyline.api import event_comparison

    with _open(args) as store:
        data = event_comparison(store, args.event_id, by_meaning=not args.words_only)
    if args.json:
        _print_json(data)
    else:
        _print_comparison(data)
    return 0


def _credits_note(entry: dict[str, Any]) -> str:
    return f" (credits {', '.join(entry['credits'])})" if entry.get("credits") else ""


def _print_comparison(data: dict[str, Any]) -> None:
    from storyline.group.compare import CROSS_LANGUAGE_NOTE

    print(f"{data['title']}  ({data['articles']} articles, {len(data['outlets'])} outlets)")
    first = data["first"]
    print(f"first: {first['outlet']}{_credits_note(first)} at {first['published']}  {first['headline']}" if first
          else "first: undated")
    print("\noutlets:")
    for o in data["outlets"]:
        print(f"  {o['outlet']:30} {o['articles']:3} art.  first {o['first_published'] or 'undated'}{_credits_note(o)}")
    if data["origins"]:
        print("\ncopies:")
        for origin in data["origins"]:
            print(f"  {origin['outlet'] or '?'}: {origin['headline'] or '(not in this event)'}")
            for c in origin["copies"]:
                print(f"    <- {c['outlet']} ({c['how']}, {c['published'] or 'undated'}): {c['headline']}")
    print("\nheadlines:")
    for h in data["headlines"]:
        print(f"  {_clip(h['outlet'], 24):24} {h['headline']}" + ("  [copy]" if h["copy_of"] else ""))
    print(f"\nonly here{CROSS_LANGUAGE_NOTE[data['cross_language']]}:")
    for item in data["only_here"]:
        if item["sentences"] or item["quotes"]:
            print(f"  {item['outlet']}:")
            for s in item["sentences"][:8]:
                print(f"    - {s[:160]}")
            for q in item["quotes"][:5]:
                print(f"    \u201c{q['text'][:140]}\u201d — {q['speaker'] or 'unknown'}")


def cmd_report(args: argparse.Namespace) -> int:
    from storyline.report.html import write_report

    with _open(args) as store:
        path = write_report(store, args.out)
    print(f"report: {Path(path).resolve()}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from storyline.report.export import export_csv, export_jsonl, write_json

    filters = _filters_of(args)
    with _open(args) as store:
        if args.format in ("csv", "jsonl"):
            paths = (export_csv if args.format == "csv" else export_jsonl)(store, args.out or "export", filters)
            for p in paths:
                print(p)
            return 0
        if not args.out:
            write_json(store, sys.stdout, filters)
            return 0
        with open(args.out, "w", encoding="utf-8") as handle:
            write_json(store, handle, filters)
    print(args.out)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from storyline.web.app import serve

    if not Path(args.db).exists():
        raise FileNotFoundError(f"no store at {args.db}")
    serve(args.db, host=args.host, port=args.port)
    return 0


def parse_duration(text: str) -> float:
    """``90s``, ``10m``, ``1h`` or plain seconds → seconds."""
    units = {"s": 1, "m": 60, "h": 3600}
    text = text.strip().lower()
    number, unit = (text[:-1], text[-1]) if text[-1:] in units else (text, "s")
    try:
        seconds = float(number) * units[unit]
    except ValueError:
        raise ValueError(f"not a duration: {text!r} (use e.g. 90s, 10m, 1h)") from None
    if seconds <= 0:
        raise ValueError(f"duration must be positive: {text!r}")
    return seconds


def cmd_watch(args: argparse.Namespace) -> int:
    from storyline.ingest.feeds import watch

    if not args.feeds.exists():
        raise FileNotFoundError(f"no feed list {args.feeds}")
    every = parse_duration(args.every)
    _stories_need_incremental(args)
    with _open(args, must_exist=False) as store:
        watch(args.feeds, store, _config(args), every_seconds=every, once=args.once,
              incremental=args.incremental, stories=args.stories)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from storyline.evaluate.runner import evaluate_file, format_result

    if not args.data.exists():
        raise FileNotFoundError(f"no data file {args.data}")
    if args.task == "stories":
        from storyline.evaluate.timeline import evaluate_stories_file

        result = evaluate_stories_file(args.data, args.gold, _config(args), limit=args.limit)
    else:
        result = evaluate_file(args.data, args.gold, task=args.task, baseline=args.baseline, config=_config(args),
                               limit=args.limit)
    if args.json:
        _print_json(result)
    else:
        print(format_result(result))
    return 0


def cmd_eval_quotes(args: argparse.Namespace) -> int:
    from storyline.evaluate.quotes import evaluate_quotes, format_quote_report

    seeds = args.seeds_dir if args.seeds_dir.exists() else None
    result = evaluate_quotes(args.data_dir, args.labels, seeds)
    if args.json:
        _print_json(result)
    else:
        print(format_quote_report(result))
    return 0


def cmd_eval_timeline(args: argparse.Namespace) -> int:
    from storyline.evaluate.timeline import evaluate_timelines, format_timeline_report

    for path in (args.articles, args.timelines):
        if not path.exists():
            raise FileNotFoundError(f"no file {path}")
    result = evaluate_timelines(args.articles, args.timelines, limit=args.limit)
    if args.json:
        _print_json(result)
    else:
        print(format_timeline_report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
