"""Property tests: no bytes, in any file name or container, make the readers raise.

The readers turn an unexpected failure into a reject saying "unexpected error" (so one file never
stops a batch); these tests treat that reject as a bug, so they fail on it like on an exception.
"""

from __future__ import annotations

import gzip
import io
import tempfile
import zipfile
from dataclasses import astuple
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyline.ingest import IngestStats, iter_documents
from storyline.model import RawDocument, Reject

EXTENSIONS = ["", ".txt", ".html", ".json", ".jsonl", ".csv", ".tsv", ".warc", ".gz", ".zip", ".xyz"]
PREFIXES = [
    b"",
    b"{",
    b"[",
    b'{"text": "',
    b"id,text\n",
    b"<html><body>",
    b"WARC/1.0\r\n",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
]


def _check(items: list[RawDocument | Reject], stats: IngestStats) -> None:
    assert stats.documents + stats.rejects == len(items)
    for item in items:
        for value in astuple(item):  # every string can be stored and printed (no lone surrogates)
            if isinstance(value, str):
                value.encode("utf-8")
        if isinstance(item, Reject):
            assert not item.reason.startswith("unexpected error"), item.reason
            assert item.reason and "\n" not in item.reason
        else:
            assert "\x00" not in item.content
            assert item.content.strip() and item.doc_id


def _wrap(payload: bytes, container: str) -> bytes:
    if container == "gzip":
        return gzip.compress(payload)
    if container == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("member.jsonl", payload)
            archive.writestr("other", payload[::-1])
        return buffer.getvalue()
    return payload


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prefix=st.sampled_from(PREFIXES),
    payload=st.binary(max_size=3000),
    extension=st.sampled_from(EXTENSIONS),
    container=st.sampled_from(["plain", "plain", "gzip", "zip"]),
)
def test_arbitrary_bytes_in_a_file_never_raise(prefix: bytes, payload: bytes, extension: str, container: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{extension}"
        path.write_bytes(_wrap(prefix + payload, container))
        stats = IngestStats()
        items = list(iter_documents([folder, path], stats=stats))
    _check(items, stats)


@settings(max_examples=100, deadline=None)
@given(prefix=st.sampled_from(PREFIXES), payload=st.binary(max_size=3000))
def test_arbitrary_bytes_on_stdin_never_raise(prefix: bytes, payload: bytes) -> None:
    stats = IngestStats()
    items = list(iter_documents(["-"], stdin=io.BytesIO(prefix + payload), stats=stats))
    _check(items, stats)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=400), codec=st.sampled_from(["utf-8", "utf-16", "utf-16-le", "cp1251", "koi8-r"]))
def test_any_encodable_text_is_read_back_or_rejected_with_a_reason(text: str, codec: str) -> None:
    data = text.encode(codec, errors="ignore")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "article.txt"
        path.write_bytes(data)
        stats = IngestStats()
        items = list(iter_documents([path], stats=stats))
    _check(items, stats)
    assert len(items) == 1
