"""Every kind of bad input: one clear reject naming file and line, and the good articles around it kept.

Each test puts the bad input between two good articles (``a_good.txt`` and ``z_good.txt``), so a reader
that stopped, skipped a neighbour or raised would fail it.
"""

from __future__ import annotations

import gzip
import json
import os
import pickle
import random
import stat
import tempfile
import zipfile
from pathlib import Path

import pytest

from storyline.ingest import MAX_TEXT_BYTES, IngestStats, iter_documents
from storyline.model import RawDocument, Reject

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


def read_folder(folder: Path) -> tuple[list[RawDocument], list[Reject], IngestStats]:
    stats = IngestStats()
    items = list(iter_documents([folder], stats=stats))
    return (
        [item for item in items if isinstance(item, RawDocument)],
        [item for item in items if isinstance(item, Reject)],
        stats,
    )


def with_neighbours(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "a_good.txt").write_text("The first good article.")
    (folder / "z_good.txt").write_text("The last good article.")
    return folder


def assert_neighbours_kept(docs: list[RawDocument]) -> None:
    ids = [doc.doc_id for doc in docs]
    assert ids[0] == "a_good" and ids[-1] == "z_good", ids


def only_reject(rejects: list[Reject]) -> Reject:
    assert len(rejects) == 1, rejects
    assert "\n" not in rejects[0].reason
    return rejects[0]


def test_empty_and_blank_files(tmp_path: Path) -> None:
    folder = with_neighbours(tmp_path / "in")
    (folder / "m_empty.txt").write_bytes(b"")
    (folder / "n_blank.jsonl").write_bytes(b"  \n\r\n\t")
    docs, rejects, _ = read_folder(folder)
    assert_neighbours_kept(docs)
    assert [(Path(r.origin).name, r.reason) for r in rejects] == [
        ("m_empty.txt", "empty file"),
        ("n_blank.jsonl", "empty file"),
    ]


@pytest.mark.parametrize(
    ("name", "payload", "kind"),
    [
        ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(300), "JPEG image"),
        ("scan.txt", PNG, "PNG image"),  # a misleading extension does not matter
        ("report.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n" + bytes(200), "PDF document"),
        ("tool", b"\x7fELF\x02\x01\x01" + bytes(500), "ELF executable"),
        ("noise.bin", random.Random(5).randbytes(4000), "binary data"),
    ],
)
def test_binary_files_are_rejected(tmp_path: Path, name: str, payload: bytes, kind: str) -> None:
    folder = with_neighbours(tmp_path / "in")
    (folder / name).write_bytes(payload)
    docs, rejects, _ = read_folder(folder)
    assert_neighbours_kept(docs)
    assert only_reject(rejects).reason == f"binary file ({kind}), not articles"
    assert rejects[0].origin == str(folder / name)


def test_zip_and_gzip_of_non_articles_are_rejected_per_member(tmp_path: Path) -> None:
    folder = with_neighbours(tmp_path / "in")
    with zipfile.ZipFile(folder / "images.zip", "w") as archive:
        archive.writestr("img/1.png", PNG)
        archive.writestr("img/2.txt", "A zipped good article.")
    (folder / "logo.png.gz").write_bytes(gzip.compress(PNG))
    (folder / "broken.gz").write_bytes(gzip.compress(b"Some text that will be cut off " * 100)[:60])
    (folder / "broken.zip").write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    docs, rejects, _ = read_folder(folder)
    assert_neighbours_kept(docs)
    assert [doc.content for doc in docs if doc.doc_id == "2"] == ["A zipped good article."]
    reasons = {r.origin.removeprefix(str(folder) + "/"): r.reason for r in rejects}
    assert reasons["images.zip!img/1.png"] == "binary file (PNG image), not articles"
    assert reasons["logo.png.gz"] == "binary file (PNG image), not articles"
    assert reasons["broken.gz"].startswith("corrupt gzip data")
    assert reasons["broken.zip"].startswith("corrupt zip archive")
    assert len(rejects) == 4


def test_invalid_utf8_that_no_detector_can_read(tmp_path: Path) -> None:
    folder = with_neighbours(tmp_path / "in")
    noise = random.Random(3)
    high = [byte for byte in range(0x80, 0xC0) if byte not in (0xA3, 0xA8, 0xB3, 0xB8)]
    (folder / "garbled.txt").write_bytes(bytes(noise.choice(high) for _ in range(600)))
    docs, rejects, _ = read_folder(folder)
    assert_neighbours_kept(docs)
    assert only_reject(rejects).reason == "not valid UTF-8 and no encoding decodes it sensibly"


def test_huge_single_article_is_rejected_unread(tmp_path: Path) -> None:
    folder = with_neighbours(tmp_path / "in")
    with open(folder / "huge.txt", "wb") as handle:  # sparse: 200 MB on paper, one line on disk
        handle.write(b"A real article start.\n")
        handle.truncate(200 * 1024 * 1024)
    docs, rejects, _ = read_folder(folder)
    assert_neighbours_kept(docs)
    assert only_reject(rejects).reason == f"too large (200 MB > {MAX_TEXT_BYTES // 2**20} MB limit for one article)"


def test_huge_article_inside_gzip_is_rejected_without_knowing_its_size(tmp_path: Path) -> None:
    folder = with_neighbours(tmp_path / "in")
    line = b"A very long article that never ends. " * 1000
    with gzip.open(folder / "huge.txt.gz", "wb", compresslevel=1) as handle:
        for _ in range(MAX_TEXT_BYTES // len(line) + 2):
            handle.write(line)
    docs, rejects, _ = read_folder(folder)
    assert_neighbours_kept(docs)
    assert only_reject(rejects).reason == f"too large (> {MAX_TEXT_BYTES // 2**20} MB limit for one article)"


def test_five_megabyte_single_line_is_accepted(tmp_path: Path) -> None:
    folder = with_neighbours(tmp_path / "in")
    sentence = "Peskov said no one will talk to Russia from a position of strength. "
    text = sentence * (5 * 2**20 // len(sentence))
    (folder / "long.txt").write_text(text)
    (folder / "long.jsonl").write_text(json.dumps({"id": "l1", "text": text}) + "\n")
    docs, rejects, _ = read_folder(folder)
    assert rejects == []
    assert_neighbours_kept(docs)
    assert [doc.content == text for doc in docs if doc.doc_id in ("long", "l1")] == [True, True]


def test_html_nested_ten_thousand_levels_is_read(tmp_path: Path) -> None:
    folder = with_neighbours(tmp_path / "in")
    page = "<html><body>" + "<div>" * 10_000 + "<p>Deep text.</p>" + "</div>" * 10_000 + "</body></html>"
    (folder / "deep.html").write_text(page)
    (folder / "deep.json").write_text("[" * 50_000 + "]" * 50_000)
    docs, rejects, _ = read_folder(folder)
    assert_neighbours_kept(docs)
    assert [(doc.fmt, doc.content) for doc in docs if doc.doc_id == "deep"] == [("html", page)]
    assert only_reject(rejects).reason.startswith("invalid JSON after record 0: nested too deeply")


def test_jsonl_bad_lines_are_rejected_with_their_numbers(tmp_path: Path) -> None:
    folder = with_neighbours(tmp_path / "in")
    lines = [
        json.dumps({"id": "ok1", "text": "First."}),
        '{"id": "broken", "text": "no closing brace"',
        json.dumps(["a", "list"]),
        json.dumps({"id": "notext", "title": "Only a title"}),
        json.dumps({"id": "num", "text": 5}),
        json.dumps({"id": "lst", "text": "Fine text", "title": ["a"]}),
        json.dumps({"id": "nul", "text": "   "}),
        json.dumps({"id": {"nested": 1}, "text": "Bad id"}),
        '{"id": "cut", "text": "a line cut mid-string',
        json.dumps({"id": "ok2", "text": "Last."}),
    ]
    (folder / "m.jsonl").write_text("\n".join(lines) + "\n")
    docs, rejects, _ = read_folder(folder)
    assert_neighbours_kept(docs)
    assert [doc.doc_id for doc in docs] == ["a_good", "ok1", "ok2", "z_good"]
    assert [(r.line, r.reason) for r in rejects] == [
        (2, f"invalid JSON: Expecting ',' delimiter at column {len(lines[1]) + 1}"),  # where the line stops
        (3, "record is a JSON list, expected an object"),
        (4, "no text field (expected 'text', 'body', 'content' or another usual name; this record has: id, title; "
            "name yours with --field text=KEY)"),
        (5, "field 'text' is a number, expected a string"),
        (6, "field 'title' is a list, expected a string"),
        (7, "field 'text' is empty"),
        (8, "field 'id' is a object, expected a string or integer"),
        (9, "invalid JSON: Unterminated string starting at column 23"),  # not "starting at at column"
    ]
    assert {r.origin for r in rejects} == {str(folder / "m.jsonl")}


def test_broken_json_document_keeps_the_records_before_the_error(tmp_path: Path) -> None:
    folder = with_neighbours(tmp_path / "in")
    (folder / "m.json").write_text('[{"text": "Kept one."}, {"text": "Kept two."}, {"text": oops}]')
    docs, rejects, _ = read_folder(folder)
    assert_neighbours_kept(docs)
    assert [doc.content for doc in docs[1:-1]] == ["Kept one.", "Kept two."]
    reject = only_reject(rejects)
    assert reject.line == 3 and reject.reason.startswith("invalid JSON after record 2")


def test_csv_with_missing_and_extra_columns_and_embedded_newlines(tmp_path: Path) -> None:
    folder = with_neighbours(tmp_path / "in")
    (folder / "m.csv").write_text(
        "id,title,text\n"
        'c1,One,"first line\nsecond line"\n'  # lines 2-3
        "c2,Two\n"  # line 4: missing column
        "c3,Three,text,surplus\n"  # line 5: extra column
        '"c4","Four","multi\n\nline"\n'  # lines 6-8
        "c5,,\n"  # line 9: empty text
    )
    (folder / "n.csv").write_text("id,title\nx,No text column\n")
    docs, rejects, _ = read_folder(folder)
    assert_neighbours_kept(docs)
    assert [(doc.doc_id, doc.content) for doc in docs[1:-1]] == [
        ("c1", "first line\nsecond line"),
        ("c4", "multi\n\nline"),
    ]
    assert [(Path(r.origin).name, r.line, r.reason) for r in rejects] == [
        ("m.csv", 4, "row has 2 fields, header has 3"),
        ("m.csv", 5, "row has 4 fields, header has 3"),
        ("m.csv", 9, "field 'text' is empty"),
        ("n.csv", 1, "CSV header has no text column (expected 'text', 'body', 'content' or another usual name; "
                     "name yours with --field text=COLUMN): ['id', 'title']"),
    ]


def test_fifo_and_broken_symlink_are_reported_not_waited_on(tmp_path: Path) -> None:
    folder = with_neighbours(tmp_path / "in")
    os.mkfifo(folder / "pipe.txt")  # opening it for reading would block forever
    (folder / "gone.txt").symlink_to(folder / "deleted.txt")
    docs, rejects, _ = read_folder(folder)
    assert_neighbours_kept(docs)
    assert [(Path(r.origin).name, r.reason) for r in rejects] == [
        ("gone.txt", "broken symlink"),
        ("pipe.txt", "not a regular file (FIFO), not read"),
    ]


def test_directory_named_like_a_file_is_read_as_a_folder(tmp_path: Path) -> None:
    folder = with_neighbours(tmp_path / "in")
    (folder / "x.txt").mkdir()
    (folder / "x.txt" / "inner.txt").write_text("Inside a folder called x.txt.")
    docs, rejects, _ = read_folder(folder)
    assert rejects == []
    assert [doc.doc_id for doc in docs] == ["a_good", "inner", "z_good"]


def _read_as(uid: int, folder: Path) -> list[RawDocument | Reject]:
    """Read ``folder`` in a child process running as ``uid`` (root reads every file, so drop privileges)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns into pytest
        status = 1
        try:
            os.close(read_end)
            os.setgid(uid)
            os.setuid(uid)
            with os.fdopen(write_end, "wb") as out:
                pickle.dump(list(iter_documents([folder])), out)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as incoming:
        data = incoming.read()
    _, status = os.waitpid(pid, 0)
    assert status == 0, "reader child failed"
    return pickle.loads(data)


def test_unreadable_file_permission_denied(tmp_path: Path) -> None:
    """A real EACCES: as root we read from a child that drops to the ``nobody`` user."""
    base = Path(tempfile.mkdtemp(prefix="storyline-perm-", dir="/tmp"))
    try:
        base.chmod(0o755)
        folder = with_neighbours(base / "in")
        folder.chmod(0o755)
        for good in folder.iterdir():
            good.chmod(0o644)
        secret = folder / "m_secret.txt"
        secret.write_text("Nobody may read this.")
        secret.chmod(0)
        closed = folder / "n_closed"
        closed.mkdir()
        (closed / "inside.txt").write_text("Unreachable.")
        closed.chmod(0)
        items = _read_as(65534, folder) if os.geteuid() == 0 else list(iter_documents([folder]))
    finally:
        for path in (base / "in" / "n_closed", base / "in" / "m_secret.txt"):
            if path.exists():
                path.chmod(stat.S_IRWXU)
        for path in sorted(base.rglob("*"), reverse=True):
            path.unlink() if not path.is_dir() else path.rmdir()
        base.rmdir()
    docs = [item for item in items if isinstance(item, RawDocument)]
    rejects = [item for item in items if isinstance(item, Reject)]
    assert_neighbours_kept(docs)
    assert [(Path(r.origin).name, r.reason) for r in rejects] == [
        ("m_secret.txt", "unreadable (Permission denied)"),
        ("n_closed", "folder unreadable (Permission denied)"),
    ]


def test_symlink_loops_are_rejected_not_followed(tmp_path: Path) -> None:
    folder = with_neighbours(tmp_path / "in")
    (folder / "sub").mkdir()
    (folder / "sub" / "b.txt").write_text("Inside sub.")
    (folder / "sub" / "up").symlink_to(folder)  # folder/sub/up -> folder: a cycle
    (folder / "self").symlink_to(folder / "self")  # ELOOP when resolved
    (folder / "x_again").symlink_to(folder / "sub")  # not a loop: the same folder a second time
    docs, rejects, stats = read_folder(folder)
    assert_neighbours_kept(docs)
    assert [doc.doc_id for doc in docs] == ["a_good", "b", "z_good"]
    assert [(r.origin.removeprefix(str(folder) + "/"), r.reason) for r in rejects] == [
        ("self", "symlink loop (too many levels of symbolic links)"),
        ("sub/up", "symlink loop (points back to an enclosing folder), not followed"),
    ]
    assert stats.skipped == {"folder-already-read": 1}


def test_zero_width_and_control_characters_are_kept_and_nul_removed(tmp_path: Path) -> None:
    folder = with_neighbours(tmp_path / "in")
    text = "Pes\u200bkov\u200d said\x07 that\u2060 the\x1b[0m talks\ufeff were\x0c over. " * 3
    (folder / "m.txt").write_bytes(text.replace(" said", "\x00 said").encode("utf-8"))
    (folder / "n.jsonl").write_text(json.dumps({"text": "nul\x00 inside", "title": "t\x00"}) + "\n")
    docs, rejects, _ = read_folder(folder)
    assert rejects == []
    assert_neighbours_kept(docs)
    assert docs[1].content == text
    assert (docs[2].content, docs[2].title) == ("nul inside", "t")


def test_missing_path_is_a_reject_and_later_paths_are_read(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("Still read.")
    items = list(iter_documents([tmp_path / "nope.txt", good]))
    assert isinstance(items[0], Reject) and items[0].reason == "no such file or folder"
    assert isinstance(items[1], RawDocument) and items[1].content == "Still read."


def test_folders_nested_deeper_than_the_recursion_limit() -> None:
    # Outside pytest's tmp_path: its cleanup (shutil.rmtree) recurses and fails on a tree this deep.
    base = Path(tempfile.mkdtemp(prefix="storyline-deep-", dir="/tmp"))
    folder = with_neighbours(base / "in")
    chain = [folder / "m"]
    for _ in range(1200):  # deeper than Python's default recursion limit of 1000
        chain.append(chain[-1] / "d")
    try:
        for level in chain:
            level.mkdir()
        (chain[-1] / "bottom.txt").write_text("At the bottom.")
        docs, rejects, _ = read_folder(folder)
    finally:  # taken down level by level, deepest first
        (chain[-1] / "bottom.txt").unlink(missing_ok=True)
        for level in reversed(chain):
            if level.exists():
                level.rmdir()
        for good in folder.iterdir():
            good.unlink()
        folder.rmdir()
        base.rmdir()
    assert rejects == []
    assert [doc.doc_id for doc in docs] == ["a_good", "bottom", "z_good"]


def test_a_text_of_only_undecodable_bytes_is_not_an_article(tmp_path: Path) -> None:
    """A UTF-32 byte-order mark before bytes that are not UTF-32 decodes to two U+FFFD and nothing else."""
    from storyline.config import Config
    from storyline.pipeline import build_articles

    folder = with_neighbours(tmp_path / "in")
    (folder / "m_utf32.txt").write_bytes(b"\xff\xfe\x00\x00garbage")
    (folder / "n_dots.txt").write_text("… — …")
    docs, rejects, _ = read_folder(folder)
    assert not rejects and len(docs) == 4  # the reader decodes both; the pipeline sees nothing to read
    articles, failed = build_articles(docs, Config(fast=True))
    assert [a.id for a in articles] == ["a_good", "z_good"]
    assert [(r.origin.rpartition("/")[2], r.reason) for r in failed] == [
        ("m_utf32.txt", "article 'm_utf32' has no readable text, only undecodable bytes"),
        ("n_dots.txt", "article 'n_dots' has no text left after cleaning")]
