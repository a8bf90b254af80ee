"""The Python API: a corpus backed by a store, with collection verbs.

Every view of the command line is here too, with the same content as its ``--json`` (the functions below are
what the commands call): events and stories, an event's outlet comparison and evidence, a story's timeline,
quotes, entities, search, rejects, the report and exports.

>>> from storyline import Corpus
>>> with Corpus(":memory:", fast=True) as corpus:                       # doctest: +SKIP
...     corpus.add_records([{"id": "a1", "title": "Flood in Riga", "text": "…", "date": "2024-03-01"}])
...     event = corpus.events()[0]
...     corpus.compare(event.id)["first"]["outlet"], corpus.why(event.id)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from storyline.config import Config
from storyline.ingest.records import field_keys, record_to_document
from storyline.model import Article, Entity, Event, Quote, Reject, Story
from storyline.pipeline import (
    Models,
    RunSummary,
    ingest_incremental,
    ingest_paths,
    ingest_stream,
    regroup,
    relink_stories,
)
from storyline.store.sqlite import EventFilters, EventQuery, SQLiteStore, entity_keys


class Corpus:
    """Articles, events and stories in one store. ``db`` is a path or ``":memory:"``.

    Adding articles regroups the whole store, so events and stories are always current and do not
    depend on the order things were added in. With ``incremental=True`` only the new articles are assigned, as
    ``storyline ingest --incremental`` does: stored events keep their ids and members and the cost of an add does
    not grow with the store — what a stream into a big store needs; stories are then linked again over the stored
    events (one pass over the store: about 6 s at 10k articles) unless ``stories=False``.
    """

    def __init__(self, db: str | Path = ":memory:", config: Config | None = None, **options: Any) -> None:
        self.config = config.with_(**options) if config else Config.load(None, **options)
        self.store = SQLiteStore(db)
        self._models = Models(self.config)

    def add_paths(self, paths: Iterable[str | Path], *, incremental: bool = False, stories: bool = True) -> RunSummary:
        """Ingest files or folders (any supported format) and regroup (or, ``incremental``, assign only them)."""
        if incremental:
            return ingest_incremental(paths, self.store, self.config, models=self._models, stories=stories)
        summary = ingest_paths(paths, self.store, self.config, models=self._models)
        return regroup(self.store, self.config, models=self._models, summary=summary)

    def add_records(self, records: Iterable[Mapping[str, Any]], *, incremental: bool = False,
                    stories: bool = True) -> RunSummary:
        """Ingest dicts as a JSON lines file would be read: ``id``, ``title``, ``text`` and optional ``date``,
        ``url``, ``outlet``, ``lang``, or their usual other names (``maintext``, ``publishedAt``, ``source.name``…,
        :data:`storyline.ingest.RECORD_FIELDS`, plus the config's ``record_fields``). A record that cannot be read
        is in the summary's ``rejects`` (origin ``api``, its position as the line), the others are stored.
        ``incremental`` and ``stories``: see the class."""
        keys = field_keys(self.config.record_fields)
        docs = (record_to_document(dict(r) if isinstance(r, Mapping) else r, origin="api", line=i,
                                   default_id=f"record-{i}", encoding=None, keys=keys)
                for i, r in enumerate(records, start=1))
        if incremental:
            return ingest_incremental((), self.store, self.config, models=self._models, documents=docs,
                                      stories=stories)
        summary = ingest_stream(docs, self.store, self.config, models=self._models)
        return regroup(self.store, self.config, models=self._models, summary=summary)

    def articles(self) -> list[Article]:
        return list(self.store.iter_articles())

    def events(self, *, since: str | None = None, until: str | None = None, outlets: Iterable[str] = (),
               lang: str | None = None, entity: str | None = None, min_articles: int = 1, min_outlets: int = 1,
               order: str = "oldest") -> list[Event]:
        """Events, oldest first, with the filters of ``storyline events`` (:class:`EventFilters`): ``since`` and
        ``until`` as YYYY-MM-DD, ``outlets`` by name, part of one or domain, ``lang``, ``entity`` (a name in either
        language), sizes; ``order`` also ``newest``, ``articles``, ``outlets``."""
        filters = EventFilters(since, until, tuple(outlets), min_articles, min_outlets, lang, entity)
        return list(self.store.iter_events(EventQuery(self.store.conn, filters).ids(order)))

    def search(self, query: str, *, page: int = 1) -> list[dict[str, Any]]:
        """Full-text search over titles, bodies and quotes, as ``storyline search`` and the web app do: the page's
        hits (``kind`` article or quote, ``article_id``, ``event_id``, ``title``, ``outlet``, ``published``, snippets
        with the matched words between ``\\x02`` and ``\\x03``). A malformed query raises
        :class:`~storyline.web.search.SearchSyntaxError` (a ``ValueError``) saying how to fix it."""
        from storyline.web.search import search

        return search(self.store.conn, query, page=page)["items"]

    def stories(self) -> list[Story]:
        return self.store.stories()

    def article(self, article_id: str) -> Article | None:
        """One article by id, or by the address it was scraped from."""
        return self.store.article(article_id) or article_at(self.store, article_id)

    def event(self, event_id: str) -> Event | None:
        return self.store.event(event_id)

    def story(self, story_id: str) -> Story | None:
        return self.store.story(story_id)

    def entities(self, *, kind: str | None = None, name: str | None = None) -> list[Entity]:
        """People, organisations and places with their aliases (every spelling and language) and roles, most
        mentioned first (as ``storyline entities``, which also prints the counts): ``kind`` PER, ORG or LOC,
        ``name`` part of any spelling, else a translated or inflected form ("Литва", "Калниньша")."""
        from storyline.web.entities import EntityTable

        keys = EntityTable.load(self.store.conn).matching(self.store.conn, kind=kind and kind.upper(), name=name)
        rank = {key: position for position, key in enumerate(keys)}
        return sorted(self.store.entities(keys), key=lambda e: rank[e.key])

    def outlets(self, *, sort: str = "articles", name: str | None = None, since: str | None = None,
                until: str | None = None, outlets: Iterable[str] = (), lang: str | None = None,
                entity: str | None = None) -> list[dict[str, Any]]:
        """Every outlet with its figures, as ``storyline outlets --json``: articles, copies, languages, events,
        ``first_reports`` of the ``shared_events`` (covered by another outlet too), ``exclusive_events``,
        ``median_lag_hours`` behind the first report; ``sort`` articles, events, first, exclusive or name; ``name``
        keeps outlets whose name contains it; the filters of :meth:`events` count only the events that pass."""
        from storyline.web.outlets import OutletTable, list_outlets

        table = OutletTable.load(self.store.conn, EventFilters(since, until, tuple(outlets), 1, 1, lang, entity))
        return list_outlets(self.store.conn, name=name, sort=sort, page_size=max(len(table.profiles), 1),
                            table=table)["items"]

    def outlet(self, name: str, *, events: int = 100, since: str | None = None, until: str | None = None,
               outlets: Iterable[str] = (), lang: str | None = None, entity: str | None = None) -> dict[str, Any] | None:
        """One outlet's profile (``storyline outlets NAME --json``): the figures of :meth:`outlets`, the outlets
        it covers events with, republishes, is republished by and credits, the speakers it quotes and names it
        mentions most, and its ``events`` newest events with its place among their outlets. ``name``: as stored,
        any case, a known outlet's domain or alias ("tass.ru"), or part of one name; None when none matches."""
        from storyline.web.outlets import OutletTable, outlet_detail

        table = OutletTable.load(self.store.conn, EventFilters(since, until, tuple(outlets), 1, 1, lang, entity))
        return outlet_detail(self.store.conn, name, limit=events, table=table)

    def quotes(self, speaker: str | None = None, *, event_id: str | None = None) -> list[Quote]:
        """Quotes of a speaker (a key or a name in either language: "Кремль" also finds ``org:kremlin``) and/or
        of an event's articles; ``statement_id`` joins the renderings of one statement."""
        return speaker_quotes(self.store, speaker, event_id)

    def timeline(self, story_id: str) -> list[dict[str, Any]]:
        """A story's events in date order, each with its day, headline, outlet, size and summary, as
        ``storyline timeline --json`` gives its ``entries``."""
        return story_timeline(self.store, story_id)

    def compare(self, event_id: str, *, by_meaning: bool = True) -> dict[str, Any]:
        """How each outlet covered an event (``storyline compare --json``): outlets in the order they reported,
        the first reporter, copies under their origin, headlines and what each outlet alone says. Without
        ``by_meaning`` translations are not matched (no sentence encoder is loaded)."""
        return event_comparison(self.store, event_id, by_meaning=by_meaning)

    def why(self, event_id: str, *, readable: bool = True) -> dict[str, dict[str, Any]]:
        """Per article of an event, the evidence that put it there (``storyline show EVENT --why``): its closest
        report and the parts of their score, shared names, terms and days. ``readable``: names and terms as the
        article writes them; otherwise as stored (keys and stems)."""
        return event_evidence(self.store, stored_event(self.store, event_id), readable=readable)

    def rejects(self, *, notes: bool = False) -> list[Reject]:
        """Input that was not stored, with file, line and reason; with ``notes`` also what was noted on articles
        that were kept (a truncated record, a repaired encoding)."""
        return self.store.rejects(kept=None if notes else False)

    def regroup(self, *, stories_only: bool = False) -> RunSummary:
        """Recompute copies, events, stories and statements over the whole store (``stories_only``: link stories
        over the stored events, which keep their ids)."""
        return (relink_stories if stories_only else regroup)(self.store, self.config, models=self._models)

    def report(self, path: str | Path) -> Path:
        """Write the self-contained HTML report; returns its path."""
        from storyline.report.html import write_report

        return write_report(self.store, path)

    def export(self, path: str | Path, *, format: str = "jsonl", filters: EventFilters | None = None) -> list[Path]:
        """Export articles, events, stories, quotes, entities and outlets: ``jsonl`` or ``csv`` files into the folder
        ``path``, or one ``json`` document at ``path``; ``filters`` keeps the events that pass and their articles
        and quotes, and counts the entities' and outlets' figures over those."""
        from storyline.report.export import export_csv, export_jsonl, write_json

        if format == "json":
            target = Path(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("w", encoding="utf-8") as handle:
                write_json(self.store, handle, filters)
            return [target]
        if format not in ("jsonl", "csv"):
            raise ValueError(f"unknown export format {format!r}; choose json, jsonl or csv")
        return (export_csv if format == "csv" else export_jsonl)(self.store, path, filters)

    def __contains__(self, article_id: object) -> bool:
        return isinstance(article_id, str) and self.store.article(article_id) is not None

    def __len__(self) -> int:
        return self.store.count_articles()

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Corpus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def article_at(store: SQLiteStore, url: str) -> Article | None:
    """The article stored with this address, as written or with the other scheme or trailing slash (what people
    paste from a browser); with several (scrapes of one page under different ids) the first by id."""
    ids = articles_at(store, url)
    return store.article(ids[0]) if ids else None


def articles_at(store: SQLiteStore, url: str) -> list[str]:
    """Ids of the articles stored with this address or its scheme/trailing-slash variants, in id order."""
    if "://" not in url:
        return []
    scheme, _, rest = url.strip().partition("://")
    bare = rest.rstrip("/")
    variants = sorted({f"{s}://{r}" for s in {scheme, "http", "https"} for r in (bare, bare + "/")})
    return [r[0] for r in store.conn.execute(
        f"SELECT id FROM articles WHERE url IN ({','.join('?' * len(variants))}) ORDER BY id", variants)]


def speaker_quotes(store: SQLiteStore, speaker: str | None, event_id: str | None) -> list[Quote]:
    """Quotes of ``speaker`` and/or of the articles of ``event_id``. The speaker is a key, part of the name quotes
    are stored under ("Kalnins"), or any spelling of the entity in either language ("Андрис Калниньш",
    "Калниньша", "Кремль": :func:`~storyline.store.sqlite.entity_keys`)."""
    from storyline.extract.entities import translated_key

    if not speaker:
        return store.quotes(event_id=event_id)
    translated = translated_key(speaker)  # "Кремль": org:kremlin, whether or not an entity row has it
    keys = [*entity_keys(store.conn, speaker), *([translated] if translated else [])]
    return store.quotes(speaker=speaker, event_id=event_id, also_keys=keys)


def story_timeline(store: SQLiteStore, story_id: str) -> list[dict[str, Any]]:
    """The entries of a story's timeline (:func:`storyline.group.timeline.build_timeline`); LookupError if there is
    no such story."""
    from storyline.group.timeline import build_timeline

    story = store.story(story_id)
    if story is None:
        raise LookupError(f"no story with id {story_id!r} (list them with `storyline stories`)")
    events = {e.id: e for e in store.events(story_id=story.id)}
    events.update({e.id: e for e in (store.event(eid) for eid in story.event_ids if eid not in events) if e})
    article_ids = [aid for e in events.values() for aid in e.article_ids]
    # with their entities, which weigh in the event centroid as in the regroup that stored the summaries
    articles = {a.id: a for a in store.iter_articles(article_ids)}
    return build_timeline(story, events, articles)


def event_comparison(store: SQLiteStore, event_id: str, *, by_meaning: bool = True) -> dict[str, Any]:
    """:func:`storyline.web.queries.stored_comparison` over all of an event's articles (``storyline compare``),
    translations matched by meaning with the sentence model unless ``by_meaning`` is False; LookupError if there is
    no such event."""
    from storyline.web.queries import stored_comparison

    event = stored_event(store, event_id)  # before the model loads: a wrong id is answered at once
    embed = None
    if by_meaning:
        from storyline.represent.embed import Embedder

        embed = Embedder().encode
    return stored_comparison(store, event, embed=embed)


def stored_event(store: SQLiteStore, event_id: str) -> Event:
    """The stored event of ``event_id``; LookupError, saying where ids are listed, if there is none."""
    event = store.event(event_id)
    if event is None:
        raise LookupError(f"no event with id {event_id!r} (list them with `storyline events`)")
    return event


def event_evidence(store: SQLiteStore, event: Event, *, readable: bool = True,
                   members: list[Article] | None = None) -> dict[str, dict[str, Any]]:
    """Per member article the stored evidence that put it in ``event``; ``readable``: shared names and terms as
    each article writes them and entities by name. ``members``: the event's articles if already read."""
    from storyline.group.events import readable_evidence
    from storyline.store.sqlite import entity_names

    evidence = store.evidence(event.article_ids)
    if not readable:
        return evidence
    if members is None:
        members = list(store.iter_articles(event.article_ids, with_annotations=False))
    texts = {a.id: f"{a.title or ''}\n{a.body or ''}" for a in members}
    names = entity_names(store.conn, (key for why in evidence.values() for key in why.get("shared_entities") or ()))
    return {article_id: readable_evidence(why, texts.get(article_id, ""), names) for article_id, why in evidence.items()}
