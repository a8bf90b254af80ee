"""Inputs of the Spark engine: the driver lists work units, the workers read and process them.

The driver walks the paths exactly like the local reader (:class:`~storyline.ingest.files.FileReader`:
sorted names, hidden entries, files that are not articles, symlink loops) but yields the files instead
of reading them; each file is one work unit. A Parquet file (columns as in a JSONL export: ``id``,
``title``, ``text``, ``date``, ``outlet``…) is one unit per row group, so one large file still spreads
over the cluster. Workers read a unit with the local reader's own functions
(``FileReader._read_file``, :func:`~storyline.ingest.records.record_to_document`) and run
:func:`storyline.pipeline.process_batch` — clean, extract, annotate — on batches of its documents.

Every outcome carries ``order = unit << 32 | position``: the order in which the local engine would
have read that document, which decides which of two same-hash documents is kept and which of two
same-id articles is the first version.
"""

from __future__ import annotations

import os
import stat
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from storyline.config import Config
from storyline.ingest.files import FileReader
from storyline.ingest.records import DEFAULT_KEYS, FieldKeys, field_keys
from storyline.model import RawDocument, Reject

PARQUET = ".parquet"


@dataclass(frozen=True, slots=True)
class Unit:
    """One file for one task; ``index`` is its place in the reading order."""

    index: int
    path: str
    origin: str


class _Lister(FileReader):
    """The local reader's walk, yielding ``(path, origin)`` of each regular file instead of reading it."""

    def _read_file(self, path: Path, origin: str, info: os.stat_result) -> Iterator[Any]:  # type: ignore[override]
        if not stat.S_ISREG(info.st_mode):
            yield from super()._read_file(path, origin, info)  # the reader's reject for FIFOs and devices
            return
        yield (str(path), origin)


def list_units(
    paths: Iterable[str | Path],
) -> tuple[list[Unit], list[str], list[tuple[int, Reject]], Counter[str]]:
    """What the local reader would yield, in its order, without reading: file units, Parquet inputs, the
    rejects met while walking (with their place in the stream), and the skipped counts.

    Files and walking rejects share one index sequence: the stream position of everything the local
    engine reads. A path ending in ``.parquet`` (a file, or a folder as Spark writes them) is read as a
    table after all files; Parquet files met while walking a folder are skipped, as locally.
    """
    skipped: Counter[str] = Counter()
    lister = _Lister(skip=lambda reason: skipped.update([reason]), count_file=lambda: None)
    units: list[Unit] = []
    parquet: list[str] = []
    rejects: list[tuple[int, Reject]] = []
    for path in sorted(paths, key=str):  # as storyline.pipeline.ingest_paths
        if str(path) == "-":
            raise ValueError("the spark engine reads files, not stdin: save the input to a file first")
        if str(path).rstrip("/").endswith(PARQUET):
            parquet.append(str(path))
            continue
        for item in lister.read_path(path):
            index = len(units) + len(rejects)
            if isinstance(item, Reject):
                rejects.append((index, item))
            else:
                units.append(Unit(index, *item))
    return units, parquet, rejects, skipped


def read_unit(unit: Unit, skipped: Counter[str], keys: FieldKeys = DEFAULT_KEYS) -> Iterator[RawDocument | Reject]:
    """The documents and rejects of one file, exactly as the local reader yields them."""
    reader = FileReader(skip=lambda reason: skipped.update([reason]), count_file=lambda: None, keys=keys)
    try:
        info = os.stat(unit.path)
    except OSError as error:
        yield Reject(unit.origin, f"vanished while reading ({error.strerror or error})")
        return
    yield from reader._read_file(Path(unit.path), unit.origin, info)


def parquet_document(
    record: dict[str, Any], origin: str, row_index: int, keys: FieldKeys = DEFAULT_KEYS
) -> RawDocument | Reject:
    """A Parquet row (JSONL columns) as the JSONL reader would map it; dates become ISO strings."""
    from storyline.ingest.records import record_to_document

    line = row_index + 1
    stem = origin.rsplit("/", 1)[-1].removesuffix(PARQUET)
    plain = {key: _plain(value) for key, value in record.items() if value is not None}
    return record_to_document(plain, origin=origin, line=line, default_id=f"{stem}-{line}", encoding=None, keys=keys)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "asDict"):
        return {k: _plain(v) for k, v in value.asDict().items()}
    return value


# ---------------------------------------------------------------------------------------------- workers
_MODELS: dict[Config, Any] = {}  # one Models per Python worker and configuration (Spark reuses workers)


def _models(config: Config) -> Any:
    from storyline.pipeline import Models

    if config not in _MODELS:
        _MODELS.clear()
        _MODELS[config] = Models(config)
    return _MODELS[config]


def process_units(units: Iterable[Unit], config: Config) -> Iterator[tuple[Any, ...]]:
    """Staging rows (see :mod:`storyline.scale.records`) for the documents of some files."""
    skipped: Counter[str] = Counter()
    keys = field_keys(config.record_fields)
    items = (
        (unit.index << 32 | position, item)
        for unit in units for position, item in enumerate(read_unit(unit, skipped, keys))
    )
    yield from process_items(items, config, skipped)


def process_parquet_rows(rows: Iterable[Any], config: Config, first_unit: int) -> Iterator[tuple[Any, ...]]:
    """Staging rows for Parquet rows carrying ``_file`` (index among the Parquet files), ``_origin``, ``_row``."""
    keys = field_keys(config.record_fields)
    items = (
        ((first_unit + row["_file"]) << 32 | row["_row"],
         parquet_document({k: v for k, v in row.asDict().items() if not k.startswith("_")}, row["_origin"],
                          row["_row"], keys))
        for row in rows
    )
    yield from process_items(items, config, Counter())


def process_items(
    items: Iterable[tuple[int, RawDocument | Reject]], config: Config, skipped: Counter[str]
) -> Iterator[tuple[Any, ...]]:
    """Readers' output in batches of ``config.batch_size`` through the local engine's stage functions."""
    from storyline.extract import document_hash
    from storyline.pipeline import _storable
    from storyline.scale.records import reject_row

    batch: list[tuple[int, str, RawDocument]] = []
    for order, raw in items:
        item = _storable(raw)
        if isinstance(item, Reject):
            yield reject_row(item, order, None)
            continue
        batch.append((order, document_hash(item), item))
        if len(batch) >= config.batch_size:
            yield from _process(batch, config)
            batch = []
    yield from _process(batch, config)
    for reason, count in sorted(skipped.items()):
        yield reject_row(Reject("", f"skipped:{reason}", count), -1, None, kind="skipped")


def _process(batch: Sequence[tuple[int, str, RawDocument]], config: Config) -> Iterator[tuple[Any, ...]]:
    """:func:`storyline.pipeline.process_batch` on sub-batches whose documents have distinct origins."""
    from storyline.pipeline import process_batch
    from storyline.scale.records import article_row, reject_row

    pending = list(batch)
    while pending:
        seen: set[str] = set()
        part, rest = [], []
        for entry in pending:
            (rest if entry[2].origin in seen else part).append(entry)
            seen.add(entry[2].origin)
        pending = rest
        by_origin = {doc.origin: (order, digest) for order, digest, doc in part}
        articles, failed, notes = process_batch([doc for _, _, doc in part], config, _models(config))
        for article in articles:
            order, digest = by_origin[article.origin]
            yield article_row(article, order)
        for kind, rejects in (("reject", failed), ("note", notes)):
            for reject in rejects:
                key = reject.origin if reject.line is None else f"{reject.origin}:{reject.line}"
                order, digest = by_origin.get(key, by_origin.get(reject.origin, (-1, None)))
                yield reject_row(reject, order, digest, kind=kind)
