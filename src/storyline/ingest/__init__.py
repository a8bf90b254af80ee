"""Ingest: files, folders, archives, WARC and stdin to :class:`~storyline.model.RawDocument` records.

Bad input never stops a run: each unreadable file, line or record becomes a
:class:`~storyline.model.Reject` with a one-line reason, and reading goes on with the next one.
Everything streams, so memory stays flat however large the folder or file.

>>> stats = IngestStats()
>>> docs = list(iter_documents(["articles/"], stats=stats))   # doctest: +SKIP
>>> stats.documents, stats.rejects, stats.skipped             # doctest: +SKIP
(120, 2, {'hidden': 1})
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from storyline.ingest.decode import Decoded, UndecodableError, decode_bytes
from storyline.ingest.files import MAX_TEXT_BYTES, FileReader
from storyline.ingest.records import DEFAULT_KEYS, MAX_RECORD_CHARS, RECORD_FIELDS, FieldKeys, field_keys
from storyline.model import RawDocument, Reject

__all__ = [
    "MAX_RECORD_CHARS",
    "MAX_TEXT_BYTES",
    "RECORD_FIELDS",
    "Decoded",
    "IngestStats",
    "UndecodableError",
    "decode_bytes",
    "field_keys",
    "iter_documents",
]


@dataclass
class IngestStats:
    """Counters for the run summary; ``skipped`` counts inputs left out on purpose, by reason."""

    files: int = 0
    documents: int = 0
    rejects: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def count_file(self) -> None:
        self.files += 1


def iter_documents(
    paths: Iterable[str | Path], *, stdin: BinaryIO | None = None, stats: IngestStats | None = None,
    keys: FieldKeys = DEFAULT_KEYS,
) -> Iterator[RawDocument | Reject]:
    """Documents and rejects from every path in order; ``"-"`` reads ``stdin`` (default ``sys.stdin.buffer``).

    A folder is read recursively in name order, so the output order depends only on the names,
    never on creation order or the file system. ``keys`` says which JSON/CSV keys hold the text, title,
    date... (:func:`field_keys`; the usual exports are read without it).
    """
    stats = stats if stats is not None else IngestStats()
    reader = FileReader(skip=stats.skip, count_file=stats.count_file, keys=keys)
    for path in paths:
        if str(path) == "-":
            items = reader.read_stdin(stdin if stdin is not None else sys.stdin.buffer)
        else:
            items = reader.read_path(path)
        for item in items:
            if isinstance(item, Reject):
                stats.rejects += 1
            else:
                stats.documents += 1
            yield item
