"""Paths, folders, archives and stdin to documents: pick a reader per input and never stop on a bad one.

Inputs are recognised by content first (gzip, zip, WARC and binary signatures), then by extension,
then by sniffing the first characters, so a gzipped ``.jsonl`` or an extension-less HTML page still
reads. Folders are walked depth-first in name order (the same order on every machine, whatever the
creation order), skipping hidden entries; a symlink that points back to an enclosing folder is
rejected instead of followed.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import io
import logging
import os
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from storyline.ingest.decode import (
    SAMPLE_BYTES,
    UndecodableError,
    binary_kind,
    bom_encoding,
    declared_html_charset,
    decode_bytes,
    detect_encoding,
    mostly_utf8_lines,
    scrub_name,
    utf16_without_bom,
)
from storyline.ingest.feedfile import iter_feed, xml_kind
from storyline.ingest.records import (
    DEFAULT_KEYS,
    FieldKeys,
    iter_csv,
    iter_json,
    iter_jsonl,
    looks_like_html,
    sniff_delimiter,
)
from storyline.ingest.telegram import is_channel_page, iter_channel_page
from storyline.ingest.warc import iter_warc
from storyline.model import RawDocument, Reject, stable_id

#: Largest single text/HTML article read, in bytes; a bigger one is rejected unread (it is not one article).
MAX_TEXT_BYTES = 50 * 1024 * 1024
#: Archives inside archives are opened this deep (zip of gzips...), deeper nesting is rejected.
MAX_ARCHIVE_DEPTH = 3

FORMATS: dict[str, str] = {
    ".txt": "text", ".text": "text",
    ".html": "html", ".htm": "html", ".xhtml": "html", ".shtml": "html",
    ".json": "json",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".jsonlines": "jsonl",
    ".csv": "csv", ".tsv": "tsv",
    ".warc": "warc",
    ".rss": "feed", ".atom": "feed", ".xml": "xml",
}  # fmt: skip
#: Files a scrape folder often holds beside its articles (notes, scripts, logs); skipped when walking folders.
NOT_ARTICLES = frozenset({
    ".md", ".rst", ".py", ".pyc", ".js", ".css", ".yml", ".yaml", ".toml", ".ini", ".cfg", ".conf", ".log",
    ".sh", ".bat", ".lock", ".sql", ".db", ".sqlite", ".sqlite3", ".parquet",
    ".db-wal", ".db-shm", ".db-journal", ".sqlite-wal", ".sqlite-shm", ".sqlite-journal",  # a store's own files
})  # fmt: skip
_OUR_PAGE = b'<meta name="generator" content="storyline">'  # storyline's report and web pages

_HTML_START = re.compile(r"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.IGNORECASE)

Emit = Iterator[RawDocument | Reject]
logger = logging.getLogger(__name__)


class _Prefixed(io.RawIOBase):
    """A stream that replays the bytes already read for sniffing, then continues with the rest."""

    def __init__(self, prefix: bytes, rest: BinaryIO) -> None:
        self._prefix = memoryview(prefix)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._prefix:
            count = min(len(buffer), len(self._prefix))
            buffer[:count] = self._prefix[:count]
            self._prefix = self._prefix[count:]
            return count
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _read_up_to(stream: BinaryIO, size: int) -> bytes:
    chunks, total = [], 0
    while total < size:
        chunk = stream.read(size - total)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:200] if text else type(error).__name__


def _os_reason(error: OSError) -> str:
    if error.errno == errno.ELOOP:
        return "symlink loop (too many levels of symbolic links)"
    return f"unreadable ({error.strerror or type(error).__name__})"


def _format_of(name: str) -> str | None:
    return FORMATS.get(PurePosixPath(name).suffix.lower())


def _stem(name: str) -> str:
    path = PurePosixPath(name)
    return path.stem if path.suffix.lower() in FORMATS else path.name


class FileReader:
    """Reads one run's inputs; ``skip(reason)`` counts what was deliberately not read (hidden, WARC non-HTML...)."""

    def __init__(
        self, skip: Callable[[str], None], count_file: Callable[[], None], keys: FieldKeys = DEFAULT_KEYS
    ) -> None:
        self._skip = skip
        self._count_file = count_file
        self._keys = keys  # which record keys give text, title, date... in JSON and CSV (records.field_keys)

    # ------------------------------------------------------------------ paths and folders
    def read_path(self, path: str | Path) -> Emit:
        origin = scrub_name(str(path))  # a name that is not UTF-8 is shown with \xNN escapes
        try:
            info = os.stat(path)
        except FileNotFoundError:
            reason = "broken symlink" if os.path.islink(path) else "no such file or folder"
            yield Reject(origin, reason)
            return
        except OSError as error:
            yield Reject(origin, _os_reason(error))
            return
        if stat.S_ISDIR(info.st_mode):
            yield from self._walk(Path(path), origin, (info.st_dev, info.st_ino))
        else:
            yield from self._read_file(Path(path), origin, info)

    def _walk(self, root: Path, origin: str, root_key: tuple[int, int]) -> Emit:
        """Depth-first in name order with an explicit stack, so folder depth is not bounded by recursion.

        ``visited`` holds folder ids only, never file contents; an id already on the current path is a
        symlink loop, an id seen elsewhere is a second link to a folder already read.
        """
        visited = {root_key}
        stack: list[tuple[Path, str, tuple[tuple[int, int], ...], Iterator[str]]] = []
        names = yield from self._list(root, origin)
        stack.append((root, origin, (root_key,), iter(names)))
        while stack:
            folder, folder_origin, ancestors, pending = stack[-1]
            name = next(pending, None)
            if name is None:
                stack.pop()
                continue
            child, child_origin = folder / name, os.path.join(folder_origin, scrub_name(name))
            if name.startswith("."):
                self._skip("hidden")
                continue
            try:
                info = os.stat(child)
            except FileNotFoundError:
                yield Reject(child_origin, "broken symlink" if child.is_symlink() else "vanished while reading")
                continue
            except OSError as error:
                yield Reject(child_origin, _os_reason(error))
                continue
            suffix = PurePosixPath(name).suffix.lower()
            if stat.S_ISDIR(info.st_mode):
                key = (info.st_dev, info.st_ino)
                if key in ancestors:
                    yield Reject(child_origin, "symlink loop (points back to an enclosing folder), not followed")
                elif key in visited:
                    self._skip("folder-already-read")
                else:
                    visited.add(key)
                    names = yield from self._list(child, child_origin)
                    stack.append((child, child_origin, (*ancestors, key), iter(names)))
            elif suffix in NOT_ARTICLES:
                self._skip(f"not-article:{suffix}")
            else:
                yield from self._read_file(child, child_origin, info)

    @staticmethod
    def _list(folder: Path, origin: str) -> Generator[Reject, None, list[str]]:
        try:
            with os.scandir(folder) as scan:
                return sorted(entry.name for entry in scan)
        except OSError as error:
            yield Reject(origin, f"folder {_os_reason(error)}")
            return []

    def _read_file(self, path: Path, origin: str, info: os.stat_result) -> Emit:
        if not stat.S_ISREG(info.st_mode):
            kind = "FIFO" if stat.S_ISFIFO(info.st_mode) else "socket" if stat.S_ISSOCK(info.st_mode) else "device"
            yield Reject(origin, f"not a regular file ({kind}), not read")
            return
        self._count_file()
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed below, after the generator is drained
        except OSError as error:
            yield Reject(origin, _os_reason(error))
            return
        with handle:
            yield from self.read_stream(handle, origin=origin, name=path.name, size=info.st_size, seekable=True)

    def read_stdin(self, stream: BinaryIO) -> Emit:
        self._count_file()
        yield from self.read_stream(stream, origin="stdin", name="", size=None, seekable=False)

    # ------------------------------------------------------------------ one stream
    def read_stream(
        self, stream: BinaryIO, *, origin: str, name: str, size: int | None, seekable: bool, depth: int = 0
    ) -> Emit:
        """Read any supported input from ``stream``; ``name`` (may be empty) gives the extension hint."""
        try:
            yield from self._dispatch(stream, origin=origin, name=name, size=size, seekable=seekable, depth=depth)
        except zipfile.BadZipFile as error:
            yield Reject(origin, f"corrupt zip archive ({_first_line(error)})")
        except (gzip.BadGzipFile, EOFError, zlib.error) as error:
            yield Reject(origin, f"corrupt gzip data ({_first_line(error)})")
        except OSError as error:
            yield Reject(origin, f"read failed ({_first_line(error)})")
        except Exception as error:  # a reader bug must cost one file, not the batch; logged with its traceback
            logger.warning("unexpected error reading %s", origin, exc_info=True)
            yield Reject(origin, f"unexpected error ({type(error).__name__}: {_first_line(error)})")

    def _dispatch(
        self, stream: BinaryIO, *, origin: str, name: str, size: int | None, seekable: bool, depth: int
    ) -> Emit:
        sample = _read_up_to(stream, SAMPLE_BYTES)
        if not sample.strip(b" \t\r\n\x00"):
            yield Reject(origin, "empty file")
            return
        if sample.startswith(b"\x1f\x8b") or sample.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            if depth >= MAX_ARCHIVE_DEPTH:
                yield Reject(origin, f"archive nested deeper than {MAX_ARCHIVE_DEPTH} levels, not opened")
            elif sample.startswith(b"\x1f\x8b"):
                yield from self._read_gzip(_buffered(sample, stream), origin=origin, name=name, depth=depth)
            else:
                yield from self._read_zip(stream, sample, origin=origin, seekable=seekable, depth=depth)
            return
        fmt = _format_of(name)
        if fmt == "warc" or sample.startswith(b"WARC/"):
            yield from iter_warc(_buffered(sample, stream), origin=origin, max_bytes=MAX_TEXT_BYTES, skip=self._skip)
            return
        if fmt in ("text", "html") and size is not None and size > MAX_TEXT_BYTES:
            yield Reject(origin, _too_large(size))
            return
        kind = binary_kind(sample)
        if kind:
            yield Reject(origin, f"binary file ({kind}), not articles")
            return
        fmt = _refine_format(fmt, sample)
        stem = scrub_name(_stem(name)) if name else "stdin"
        if fmt == "sitemap":
            yield Reject(origin, "a sitemap lists links, not articles (`storyline watch` follows sitemaps)")
            return
        if fmt == "feed":
            data = sample + _read_up_to(stream, MAX_TEXT_BYTES + 1 - len(sample))
            if len(data) > MAX_TEXT_BYTES:
                yield Reject(origin, _too_large(None))
                return
            yield from iter_feed(data, origin=origin, stem=stem)
            return
        if fmt in ("json", "jsonl", "csv", "tsv"):
            yield from _read_records(_buffered(sample, stream), sample, fmt=fmt, origin=origin, stem=stem,
                                     keys=self._keys)
            return
        if size is not None and size > MAX_TEXT_BYTES:
            yield Reject(origin, _too_large(size))
            return
        if fmt == "html" and _OUR_PAGE in sample:  # a report written into the folder it was made from
            yield Reject(origin, "storyline's own report or page, not an article (not read)")
            return
        data = sample + _read_up_to(stream, MAX_TEXT_BYTES + 1 - len(sample))
        if len(data) > MAX_TEXT_BYTES:
            yield Reject(origin, _too_large(None))
            return
        if fmt == "html" and is_channel_page(sample):  # a saved t.me/s/<channel>: one article per post
            yield from _channel_posts(data, origin)
            return
        yield _single_document(data, fmt=fmt, origin=origin, doc_id=stem if name else None)

    def _read_gzip(self, stream: BinaryIO, *, origin: str, name: str, depth: int) -> Emit:
        lowered = name.lower()
        inner = name[:-3] if lowered.endswith(".gz") else name[:-4] + ".tar" if lowered.endswith(".tgz") else name
        with gzip.GzipFile(fileobj=stream, mode="rb") as unzipped:
            yield from self.read_stream(unzipped, origin=origin, name=inner, size=None, seekable=False, depth=depth + 1)

    def _read_zip(self, stream: BinaryIO, sample: bytes, *, origin: str, seekable: bool, depth: int) -> Emit:
        """Members in name order, each read like a file in a folder; origin ``archive.zip!member``."""
        with contextlib.ExitStack() as stack:
            if seekable:
                stream.seek(0)
                source: BinaryIO = stream
            else:  # zip needs random access: spool a piped archive to a temporary file
                source = stack.enter_context(tempfile.TemporaryFile())
                source.write(sample)
                shutil.copyfileobj(stream, source)
                source.seek(0)
            archive = stack.enter_context(zipfile.ZipFile(source))
            members = sorted(archive.infolist(), key=lambda member: member.filename)
            if not any(not member.is_dir() for member in members):
                yield Reject(origin, "empty zip archive")
            for member in members:
                parts = PurePosixPath(member.filename).parts
                if member.is_dir():
                    continue
                if any(part.startswith(".") or part == "__MACOSX" for part in parts):
                    self._skip("hidden")
                    continue
                if PurePosixPath(member.filename).suffix.lower() in NOT_ARTICLES:
                    self._skip(f"not-article:{PurePosixPath(member.filename).suffix.lower()}")
                    continue
                member_origin = f"{origin}!{member.filename}"
                try:
                    opened = archive.open(member)
                except (RuntimeError, NotImplementedError, zipfile.BadZipFile, OSError) as error:
                    yield Reject(member_origin, f"unreadable zip member: {error}")
                    continue
                with opened:
                    yield from self.read_stream(
                        opened,
                        origin=member_origin,
                        name=parts[-1],
                        size=member.file_size,
                        seekable=True,
                        depth=depth + 1,
                    )


def _buffered(sample: bytes, rest: BinaryIO) -> io.BufferedReader:
    return io.BufferedReader(_Prefixed(sample, rest), buffer_size=1 << 16)


def _too_large(size: int | None) -> str:
    limit = MAX_TEXT_BYTES // 2**20
    if size is None:
        return f"too large (> {limit} MB limit for one article)"
    return f"too large ({size / 2**20:.0f} MB > {limit} MB limit for one article)"


def _sniff_head(sample: bytes) -> str:
    encoding = bom_encoding(sample) or utf16_without_bom(sample) or "latin-1"
    usable = sample[:4096]
    return usable.decode(encoding, errors="replace").lstrip("\ufeff \t\r\n")


def _refine_format(fmt: str | None, sample: bytes) -> str:
    """The extension decides, except that JSON shapes are confirmed by content and XML by its root element (a
    feed, a sitemap, else markup); unknown names are sniffed."""
    head = _sniff_head(sample)
    pretty_json = head.startswith("[") or head.partition("\n")[0].strip() == "{"
    if fmt == "jsonl":  # a pretty-printed document misnamed .jsonl would fail on every line
        return "json" if pretty_json else "jsonl"
    if fmt in (None, "xml", "feed") and (kind := xml_kind(head)):  # a saved feed or a sitemap, whatever its name
        return kind
    if fmt == "xml":  # other XML is read as markup
        return "html"
    if fmt:
        return fmt
    if head.startswith(("[", "{")):
        return "json" if pretty_json else "jsonl"
    if _HTML_START.search(head[:2048]) or (head.startswith("<") and looks_like_html(head)):
        return "html"
    return "text"


def _read_records(stream: BinaryIO, sample: bytes, *, fmt: str, origin: str, stem: str, keys: FieldKeys) -> Emit:
    try:
        encoding = (
            "utf-8" if mostly_utf8_lines(sample) else detect_encoding(sample, complete=len(sample) < SAMPLE_BYTES)
        )
    except UndecodableError as error:
        yield Reject(origin, str(error))
        return
    ascii_compatible = not encoding.startswith(("utf-16", "utf-32"))
    # with a BOM the generic codecs consume it; without one the explicit byte order must stay
    codec = encoding.removesuffix("-le").removesuffix("-be") if bom_encoding(sample) == encoding else encoding
    codec = "utf-8-sig" if codec == "utf-8" else codec
    text = io.TextIOWrapper(
        stream, encoding=codec, errors="surrogateescape" if ascii_compatible else "replace", newline=""
    )
    if fmt == "jsonl":
        yield from iter_jsonl(text, origin=origin, stem=stem, encoding=encoding, keys=keys)
    elif fmt == "json":
        yield from iter_json(text, origin=origin, stem=stem, encoding=encoding, keys=keys)
    else:
        header = _sniff_head(sample).split("\n", 1)[0]
        delimiter = sniff_delimiter(header, "\t" if fmt == "tsv" else ",")
        yield from iter_csv(text, origin=origin, stem=stem, encoding=encoding, delimiter=delimiter, keys=keys)


def _channel_posts(data: bytes, origin: str) -> Emit:
    try:
        yield from iter_channel_page(data, origin=origin)
    except UndecodableError as error:
        yield Reject(origin, str(error))


def _single_document(data: bytes, *, fmt: str, origin: str, doc_id: str | None) -> RawDocument | Reject:
    try:
        decoded = decode_bytes(data, declared=declared_html_charset(data) if fmt == "html" else None)
    except UndecodableError as error:
        return Reject(origin, str(error))
    if not decoded.text.strip():
        return Reject(origin, "empty file")
    return RawDocument(
        origin=origin,
        doc_id=doc_id or stable_id("stdin-", decoded.text),
        content=decoded.text,
        fmt="html" if fmt == "html" else "text",
        encoding=decoded.encoding,
    )
