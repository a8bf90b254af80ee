"""How each outlet covers the news, over every event of a store: who reports first, who follows and how late,
who republishes whom, who covers what alone, who keeps whose company.

:func:`outlet_profiles` reads each event as :func:`storyline.group.compare.compare_event` does — the same first
reporter (times as moments in UTC, the event's usual offset standing in for an unstated one), the same copies
(near-duplicates to the end of their chain, re-publications crediting an outlet of the event) — and adds the
event up per outlet:

* **first reports**: events another outlet covered too whose earliest dated article is this outlet's (an event
  one outlet covers alone is **exclusive**, not first);
* **lag**: hours between an event's first report and this outlet's first article, for events it did not open,
  only where both give a time (a day without a time says nothing about hours); the median is printed;
* **copies**: its articles that repeat an earlier one, counted under the outlet they repeat (``copied_from``)
  and, on the other side, under the outlet repeating it (``copied_by``); ``credits``: the sources it names;
* **alongside**: the outlets most often in the same events.

>>> profiles = outlet_profiles(events, articles)            # doctest: +SKIP
>>> profiles["TASS"].first_reports, profiles["TASS"].median_lag_hours()  # doctest: +SKIP
(12, 1.5)
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storyline.extract.outlet import OutletNames, same_outlet
from storyline.group.compare import UNKNOWN_OUTLET, copy_origins, publication_order, publisher, usual_offset
from storyline.model import Article

#: How many co-covering outlets, republished outlets and credited sources a profile lists.
TOP = 10


@dataclass(slots=True)
class Coverage:
    """One outlet in one event: its place in the order of first reports (1 = first; None when its articles are
    undated), hours behind the first report (None: first, or no time to compare), its articles there."""

    event_id: str
    rank: int | None
    lag_hours: float | None
    articles: int
    outlets: int  # outlets in the event


@dataclass(slots=True)
class OutletProfile:
    name: str
    articles: int = 0
    copies: int = 0  # its articles that repeat an earlier article (near-copy or credited re-publication)
    languages: Counter[str] = field(default_factory=Counter)
    first_published: datetime | None = None
    last_published: datetime | None = None
    events: int = 0
    shared: int = 0  # events at least one other outlet covered
    first_reports: int = 0  # of the shared events, those it reported first
    exclusive: int = 0  # events no other outlet covered
    lags: list[float] = field(default_factory=list)
    copied_from: Counter[str] = field(default_factory=Counter)
    copied_by: Counter[str] = field(default_factory=Counter)
    credits: Counter[str] = field(default_factory=Counter)
    alongside: Counter[str] = field(default_factory=Counter)
    coverage: list[Coverage] = field(default_factory=list)  # in event order (first report, then id)

    def median_lag_hours(self) -> float | None:
        return round(statistics.median(self.lags), 1) if self.lags else None

    def summary(self) -> dict[str, Any]:
        """The figures as JSON-ready values (what ``storyline outlets --json`` prints per outlet)."""
        return {
            "outlet": self.name, "articles": self.articles, "copies": self.copies,
            "languages": dict(sorted(self.languages.items(), key=lambda kv: (-kv[1], kv[0]))),
            "first_day": _day(self.first_published), "last_day": _day(self.last_published), "events": self.events,
            "shared_events": self.shared,
            "first_reports": self.first_reports, "exclusive_events": self.exclusive,
            "median_lag_hours": self.median_lag_hours(), "lag_measured": len(self.lags),
        }

    def detail(self) -> dict[str, Any]:
        """:meth:`summary` and whom it keeps company with, republishes, is republished by and credits."""
        def top(counter: Counter[str]) -> list[dict[str, Any]]:
            return [{"outlet": name, "count": n} for name, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]]

        return {**self.summary(), "alongside": top(self.alongside), "copied_from": top(self.copied_from),
                "copied_by": top(self.copied_by), "credits": top(self.credits)}


def outlet_profiles(events: Iterable[tuple[str, list[str]]], articles: Mapping[str, Article]) -> dict[str, OutletProfile]:
    """Every outlet's profile over ``events`` ((event id, article ids) pairs; an article in no event counts
    as an event of its own) read from ``articles`` (id → article; bodies are not needed). A credited source is
    matched to the stored outlet it names in any form (:class:`~storyline.extract.outlet.OutletNames`: "RIB" is
    "РИБ"); one no article of the store was published by gets a profile without articles."""
    tally = OutletTally(Counter(publisher(a) for a in articles.values()), articles)
    grouped: set[str] = set()
    for event_id, ids in events:
        members = [articles[i] for i in ids if i in articles]
        grouped.update(a.id for a in members)
        if members:
            tally.insert(event_id, members)
    for article_id in sorted(set(articles) - grouped):
        tally.insert("", [articles[article_id]])
    return tally.profiles()


class OutletTally:
    """Profiles added up one event at a time, so that a store's events can stream through in any number: only
    the articles that copies point to (``origins``, of any event) are held, besides the event being added.

    ``sizes`` (publisher → articles) decides which outlet a credit means when two could (the bigger). The result
    does not depend on the order of events, except for the order of each profile's ``coverage`` (insertion order).

    >>> tally = OutletTally({"TASS": 1}, origins={})
    >>> tally.insert("e1", [Article("a1", "", "", outlet="TASS")])
    >>> tally.profiles()["TASS"].exclusive
    1
    """

    def __init__(self, sizes: Mapping[str, int], origins: Mapping[str, Article]) -> None:
        self._names = OutletNames(sorted((n for n in sizes if n != UNKNOWN_OUTLET), key=lambda n: (-sizes[n], n)))
        self._origins = origins
        self._profiles: dict[str, OutletProfile] = {}

    def insert(self, event_id: str, members: list[Article]) -> None:
        """Add one event (``""``: an article in no event) of ``members``, which this sorts in publication order."""
        lookup = {a.id: a for a in members}
        for article in members:  # the chain of originals each copy leads to, wherever they are
            origin_id = article.duplicate_of
            while origin_id and origin_id not in lookup and origin_id in self._origins:
                lookup[origin_id] = self._origins[origin_id]
                origin_id = lookup[origin_id].duplicate_of
        _add_event(event_id, members, lookup, self._profiles, self._names)

    def profiles(self) -> dict[str, OutletProfile]:
        for profile in self._profiles.values():
            profile.lags.sort()
        return self._profiles


def _add_event(event_id: str, members: list[Article], articles: Mapping[str, Article],
               profiles: dict[str, OutletProfile], names: OutletNames) -> None:
    usual = usual_offset(a.date.utc_offset for a in members if a.published is not None)
    members.sort(key=lambda a: publication_order(a, usual))
    duplicates = {a.id: a.duplicate_of for a in members if a.duplicate_of}
    origin_of = copy_origins(members, articles, duplicates)
    by_outlet: dict[str, list[Article]] = {}
    for article in members:
        by_outlet.setdefault(publisher(article), []).append(article)
    first = members[0] if members[0].published is not None else None
    shared = len(by_outlet) > 1
    for rank, (name, items) in enumerate(by_outlet.items(), start=1):
        profile = profiles.get(name) or profiles.setdefault(name, OutletProfile(name))
        lag = _lag_hours(items[0], first, usual) if first is not None and rank > 1 else None
        profile.coverage.append(Coverage(event_id, rank if items[0].published is not None else None, lag,
                                         len(items), len(by_outlet)))
        profile.events += 1
        if shared:
            profile.shared += 1
            profile.first_reports += rank == 1 and first is not None
            profile.alongside.update(other for other in by_outlet if other != name)
        else:
            profile.exclusive += 1
        if lag is not None:
            profile.lags.append(lag)
        for article in items:
            _add_article(profile, article, origin_of.get(article.id), articles, profiles, names)


def _add_article(profile: OutletProfile, article: Article, origin_id: str | None, articles: Mapping[str, Article],
                 profiles: dict[str, OutletProfile], names: OutletNames) -> None:
    profile.articles += 1
    profile.languages[article.lang or "?"] += 1
    published = article.published
    if published is not None:
        if profile.first_published is None or published < profile.first_published:
            profile.first_published = published
        if profile.last_published is None or published > profile.last_published:
            profile.last_published = published
    credited = article.credited_source
    credited = (names.query(credited) or credited) if credited else None
    credits_another = credited is not None and not same_outlet(credited, profile.name)
    if credits_another:
        profile.credits[credited] += 1
    if origin_id is not None:
        origin = articles.get(origin_id)
        source = publisher(origin) if origin is not None else credited
        if origin is not None and source == UNKNOWN_OUTLET and origin.credited_source:
            source = names.query(origin.credited_source) or origin.credited_source  # a copy of a credited copy
    elif credits_another:
        source = credited  # re-publishes an outlet the event does not hold (as compare_event lists it)
    else:
        return
    profile.copies += 1
    if source and not same_outlet(source, profile.name):
        profile.copied_from[source] += 1
        (profiles.get(source) or profiles.setdefault(source, OutletProfile(source))).copied_by[profile.name] += 1


def _day(moment: datetime | None) -> str | None:
    return moment.date().isoformat() if moment is not None else None


def _lag_hours(article: Article, first: Article, usual: int) -> float | None:
    if article.date is None or first.date is None or article.published is None:
        return None
    if not (article.date.has_time and first.date.has_time):
        return None
    return round((article.date.utc(usual) - first.date.utc(usual)).total_seconds() / 3600, 2)
