"""One validated options object for the whole pipeline; defaults live here and nowhere else.

A user's TOML file overrides only the keys it sets (package defaults load first). Unknown keys and
out-of-range values raise :class:`ConfigError` at construction, not deep inside a run.

>>> Config(fast=True).use_embeddings
False
>>> Config(workers=0)
Traceback (most recent call last):
...
storyline.config.ConfigError: workers must be >= 1, got 0
"""

from __future__ import annotations

import tomllib
import warnings
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """An option has an invalid value or name."""


@dataclass(frozen=True, kw_only=True)
class Config:
    """Every knob of storyline. Trade-offs are documented per field.

    ``fast``: lexical features only (no embeddings, no NER, no quotes) — roughly 20× faster,
    loses cross-language grouping of translated coverage.
    """

    # execution
    fast: bool = False
    workers: int = 1
    batch_size: int = 512
    seed: int = 1

    # extraction
    use_embeddings: bool = True
    use_ner: bool = True
    extract_quotes: bool = True
    languages: tuple[str, ...] = ("en", "ru")
    # JSON/CSV keys of your own export, field → key, tried before the usual names (storyline.ingest.RECORD_FIELDS
    # reads news-please, trafilatura, NewsAPI, Media Cloud and schema.org exports as they are). TOML:
    # record_fields = { text = "article_body", date = "meta.published_on" }; CLI: --field text=article_body
    record_fields: tuple[tuple[str, str], ...] = ()

    # grouping (events)
    # Tuned together on ../shared/data (ECB+, GVC, GVA, tgcontest) and the bundled sample corpus, one setting for
    # all: see storyline.represent.pairs for the score these apply to, bench/eval_all.py for the figures.
    event_threshold: float = 0.11  # average-linkage pair score at which two groups of articles merge
    event_window_days: float = 7.0  # articles further apart than this rarely share an event
    event_grace_days: float = 2.0  # pair scores get no time penalty within this many days
    event_decay_days: float = 5.0  # then the time factor halves its distance to the floor every this many days
    # follow-ups months later keep this share of their score; those that name the event's day keep more (below),
    # so the floor itself can stay low enough that a verdict is not one event with its trial's opening
    event_time_floor: float = 0.3
    event_undated_factor: float = 0.6  # without a date on one side "who/what/where" must be stronger
    # a follow-up that names the earlier article's day ("the March 9 ambush") keeps at least this share; 1.0 makes
    # such follow-ups (arrests, trials) part of the event, as GVA's incidents count them, at the cost of timelines
    # whose later steps name the first one's day (0.69 and up merges one of the sample corpus's follow-up events)
    event_recall_factor: float = 0.67
    horizon_days: float = 30.0  # events idle this long leave the hot index (re-opened on a late match)
    dedup_threshold: float = 0.8  # MinHash Jaccard above which two articles are copies
    minhash_perm: int = 128

    # grouping (stories)
    story_threshold: float = 0.33  # sqrt-cosine of an event to a story centroid (see storyline.group.stories)
    story_window_days: float = 400.0

    def __post_init__(self) -> None:
        self._check_record_fields()
        if self.workers < 1:
            raise ConfigError(f"workers must be >= 1, got {self.workers}")
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {self.batch_size}")
        for name in ("event_threshold", "story_threshold", "dedup_threshold", "event_time_floor",
                     "event_undated_factor", "event_recall_factor"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"{name} must be within [0, 1], got {value}")
        for name in ("event_window_days", "horizon_days", "story_window_days", "event_decay_days"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.event_grace_days < 0:
            raise ConfigError(f"event_grace_days must be >= 0, got {self.event_grace_days}")
        if self.minhash_perm < 16:
            raise ConfigError(f"minhash_perm must be >= 16, got {self.minhash_perm}")
        if self.fast:
            explicit = [n for n in ("use_embeddings", "use_ner", "extract_quotes") if getattr(self, n) is not True]
            if explicit:
                warnings.warn(f"fast=True already disables {', '.join(explicit)}", stacklevel=2)
            # frozen dataclass: derive implied flags through object.__setattr__
            object.__setattr__(self, "use_embeddings", False)
            object.__setattr__(self, "use_ner", False)
            object.__setattr__(self, "extract_quotes", False)

    def _check_record_fields(self) -> None:
        """A mapping (TOML table) or pairs; kept as sorted pairs so the options stay hashable and comparable."""
        from storyline.ingest.records import RECORD_FIELDS

        given = self.record_fields
        try:
            pairs = sorted((dict(given) if not isinstance(given, dict) else given).items())
        except (TypeError, ValueError):
            raise ConfigError(f"record_fields must map fields to keys, got {given!r}") from None
        for role, key in pairs:
            if role not in RECORD_FIELDS:
                raise ConfigError(f"record_fields: unknown field {role!r} (known: {', '.join(RECORD_FIELDS)})")
            if not isinstance(key, str) or not key.strip():
                raise ConfigError(f"record_fields: the key for {role!r} must be a non-empty string, got {key!r}")
        object.__setattr__(self, "record_fields", tuple((role, key.strip()) for role, key in pairs))

    def with_(self, **changes: Any) -> Config:
        """A copy with some options changed (validated again). The flags ``fast`` implies are its doing, not the
        caller's: they are not carried over as explicit choices (no warning; ``with_(fast=False)`` restores them)."""
        if self.fast:
            implied = {n: True for n in ("use_embeddings", "use_ner", "extract_quotes") if n not in changes}
            changes = {**implied, **changes}
        return replace(self, **changes)

    @classmethod
    def load(cls, path: str | Path | None = None, **overrides: Any) -> Config:
        """Package defaults, then the user's TOML file (``[storyline]`` table or top level), then overrides."""
        values: dict[str, Any] = {}
        if path is not None:
            with open(path, "rb") as handle:
                data = tomllib.load(handle)
            values.update(data.get("storyline", data))
        values.update({k: v for k, v in overrides.items() if v is not None})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"unknown option(s): {', '.join(unknown)}")
        if "languages" in values:
            values["languages"] = tuple(values["languages"])
        return cls(**values)
