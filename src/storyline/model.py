"""The vocabulary of storyline: plain dataclasses passed between stages.

Every stage is a function over batches of these records. They carry no behaviour beyond small
derived properties, so a record can be pickled to a Spark worker, stored in SQLite or dumped to JSON
without adapters. Ids derive from content (see :func:`stable_id`), never from arrival order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any


def stable_id(prefix: str, *parts: str, length: int = 12) -> str:
    """A short id that depends only on ``parts``: same content, same id, on any machine."""
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()
    return f"{prefix}{digest[:length]}"


def content_hash(text: str) -> str:
    """Hash of an article's raw content; re-ingesting the same content is a no-op."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def annotation_digest(entities: list[Entity], mentions: list[Mention]) -> str:
    """Fingerprint of one article's entities and mentions: what its quotes' speakers were resolved from."""
    parts = [f"{e.key}|{e.name}|{e.kind}|{sorted(e.aliases)}|{sorted(e.roles)}"
             for e in sorted(entities, key=lambda e: e.key)]
    parts += [f"{m.entity_key}|{m.start}|{m.end}|{m.text}" for m in sorted(mentions, key=lambda m: (m.start, m.end))]
    return hashlib.sha1("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:16]


@dataclass(slots=True)
class RawDocument:
    """What a reader yields: decoded text plus whatever metadata the container had.

    ``fmt`` is ``"text"`` or ``"html"``; HTML is turned into text by the cleaning stage.
    ``origin`` names where it came from (``path``, ``path:line`` or ``stdin:line``) for error reports.
    """

    origin: str
    doc_id: str
    content: str
    fmt: str = "text"
    title: str | None = None
    date: str | None = None
    url: str | None = None
    outlet: str | None = None
    lang: str | None = None
    encoding: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    credited: str | None = None  # the source the record credits: a forwarded post's channel, a wire


@dataclass(slots=True)
class Reject:
    """An input that could not become an article, and why (one line, for humans)."""

    origin: str
    reason: str
    line: int | None = None


@dataclass(slots=True)
class RemovedSpan:
    """A piece of the input the cleaner dropped, with the rule that dropped it."""

    text: str
    rule: str
    start: int = -1  # offset in the repaired (pre-removal) text, -1 when not applicable


@dataclass(slots=True)
class CleanText:
    """Result of cleaning: the body, the title candidates seen on the way, what was removed."""

    body: str
    repaired: str  # input after encoding repair and normalisation, before any removal
    removed: list[RemovedSpan] = field(default_factory=list)
    title: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)  # e.g. html metadata: date, sitename, url


@dataclass(slots=True)
class DateGuess:
    """A publication date with how sure we are and where it came from.

    ``year_known`` is False when the text gives day and month only ("MOSCOW, January 24."):
    we then keep month/day but never invent a year (``value`` uses year 1900 as a placeholder
    and ``iso`` returns ``--MM-DD``).

    ``value`` is the time on the outlet's clock, as its readers saw it (and its day the day it dated the
    article); ``utc_offset`` is that clock's offset from UTC in minutes when the source states it
    ("2024-03-04T10:00:00+02:00", "Mon, 04 Mar 2024 10:00 +0200", "10:00 MSK"), so that :meth:`utc` can order
    outlets of several time zones: who reported first.
    """

    value: datetime
    confidence: float
    source: str  # "metadata" | "stamp" | "dateline" | "text"
    has_time: bool = False
    year_known: bool = True
    utc_offset: int | None = None  # minutes east of UTC, only when the source says

    @property
    def iso(self) -> str:
        if not self.year_known:
            return self.value.strftime("--%m-%d")
        return self.value.strftime("%Y-%m-%dT%H:%M" if self.has_time else "%Y-%m-%d")

    def utc(self, assumed_offset: int = 0) -> datetime:
        """The moment in UTC (naive), taking ``assumed_offset`` where the source stated none: the offset most
        articles of the same event state, since their outlets' clocks are likely one (see group/compare.py)."""
        return self.value - timedelta(minutes=self.utc_offset if self.utc_offset is not None else assumed_offset)

    def moment(self, assumed_offset: int = 0) -> datetime:
        """What outlets are ordered by: :meth:`utc` for a time; a day without a time stays its midnight (no clock
        to shift)."""
        return self.utc(assumed_offset) if self.has_time else self.value

    @property
    def stamp(self) -> str:
        """``iso`` with the offset when known: "2024-03-04T10:00+02:00", "2024-03-04T08:00Z"."""
        if self.utc_offset is None or not self.has_time or not self.year_known:
            return self.iso
        if self.utc_offset == 0:
            return f"{self.iso}Z"
        sign = "+" if self.utc_offset > 0 else "-"
        hours, minutes = divmod(abs(self.utc_offset), 60)
        return f"{self.iso}{sign}{hours:02d}:{minutes:02d}"


def day_label(iso: str | None) -> str:
    """The day of an ISO date or timestamp as shown to people: ``2021-03-30``, or ``????-01-24`` when the
    text gave only month and day (``--01-24``) — the year stays visibly unknown instead of "undated"."""
    if not iso:
        return ""
    return f"????{iso[1:7]}" if iso.startswith("--") else iso[:10]


def distinct_roles(roles: Iterable[str]) -> list[str]:
    """Roles once each whatever their case: "Глава KTG" opening a sentence is the "глава KTG" of another; the
    form written mid-sentence (lower-case first letter) is kept, else the first in sorted order."""
    chosen: dict[str, str] = {}
    for role in sorted(set(roles)):
        key = role.casefold()
        if key not in chosen or (role[:1].islower() and not chosen[key][:1].islower()):
            chosen[key] = role
    return sorted(chosen.values())


@dataclass(slots=True)
class Entity:
    """A canonical named entity; ``key`` is language-independent (e.g. ``per:dmitry peskov``)."""

    key: str
    name: str
    kind: str  # "PER" | "ORG" | "LOC" | "MISC"
    aliases: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Mention:
    """One occurrence of an entity in an article's body."""

    entity_key: str
    text: str
    start: int
    end: int


@dataclass(slots=True)
class Quote:
    """A direct or reported quote with its speaker (an entity key, or ``None`` when unknown)."""

    article_id: str
    text: str
    start: int
    end: int
    speaker: str | None
    speaker_name: str | None
    cue: str
    confidence: float
    kind: str = "direct"  # "direct" | "partial" | "reported"
    statement_id: str | None = None

    @property
    def id(self) -> str:
        return stable_id("q", self.article_id, str(self.start), str(self.end))


@dataclass(slots=True)
class Article:
    """One news article after cleaning and extraction."""

    id: str
    title: str
    body: str
    origin: str = ""
    raw: str = ""
    url: str | None = None
    outlet: str | None = None  # the publisher
    credited_source: str | None = None  # e.g. TASS in "Based on materials from TASS"
    lang: str | None = None
    date: DateGuess | None = None
    content_hash: str = ""
    removed: list[RemovedSpan] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    duplicate_of: str | None = None  # id of the article this one is a near-copy of
    #: Raw NER finds (kind, name, surface, start, end) before names are reconciled across articles; kept in
    #: the store so that the store-wide step can reconcile them (``None``: not annotated).
    ner_names: list[tuple[str, str, str, int, int]] | None = None

    @property
    def published(self) -> datetime | None:
        """Publication time when the year is known; partial dates do not count for ordering."""
        if self.date is None or not self.date.year_known:
            return None
        return self.date.value

    @property
    def lead(self) -> str:
        """Title plus the first ~400 characters of the body: where most of the event signal is."""
        return f"{self.title}\n{self.body[:400]}"


@dataclass(slots=True)
class Event:
    """A real-world happening: the articles that report it."""

    id: str
    article_ids: list[str]
    title: str = ""
    start: datetime | None = None
    end: datetime | None = None
    outlets: list[str] = field(default_factory=list)
    story_id: str | None = None
    summary: str = ""  # one or two lead sentences that say what happened (set by a full regroup)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "summary": self.summary,
            "start": _iso(self.start),
            "end": _iso(self.end),
            "article_ids": sorted(self.article_ids),
            "outlets": sorted(self.outlets),
            "story_id": self.story_id,
        }


@dataclass(slots=True)
class Story:
    """A thread of related events over weeks or months, kept in date order."""

    id: str
    event_ids: list[str]
    title: str = ""
    start: datetime | None = None
    end: datetime | None = None
    entities: list[str] = field(default_factory=list)
    article_ids: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "start": _iso(self.start),
            "end": _iso(self.end),
            "event_ids": list(self.event_ids),
            "article_ids": sorted(self.article_ids),
            "entities": list(self.entities),
        }


@dataclass(slots=True)
class Outlet:
    """A publisher, identified by a normalised name or domain (``rt.com``, ``tass``)."""

    key: str
    name: str
    domain: str | None = None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="minutes") if value else None


def to_dict(record: Any) -> dict[str, Any]:
    """Dataclass to plain dict (for JSON export)."""
    return asdict(record)
