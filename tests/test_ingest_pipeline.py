"""Issue 7 §1 end to end: every kind of bad input through ``storyline ingest``, as a user runs it.

One folder holds each kind of bad input between good articles. ``storyline ingest`` runs once over it (as an
unprivileged user, so that unreadable files are really unreadable), then each test checks one kind: the
one-line reason names the file (and line), it is in the ``rejects`` table, in the printed run summary and in
the ``runs`` record, and the good articles around it are stored. Inputs that are kept with a caveat (a future
date dropped, an unsupported language...) get a *note* in the same table (``kept = 1``) instead of a reject.
"""

from __future__ import annotations

import contextlib
import encodings
import gzip
import importlib
import io
import json
import os
import pkgutil
import random
import shutil
import sqlite3
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from storyline.cli import main
from storyline.ingest import MAX_TEXT_BYTES
from storyline.model import stable_id
from storyline.store import SQLiteStore

NOBODY = 65534
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
RU = "Пожар на заводе в Минске унёс жизни восьми рабочих, сообщили спасатели в понедельник."
LONG_SENTENCE = "Peskov said no one will talk to Russia from a position of strength. "
DEEP_TEXT = "Deep text about the strike of the dockers in the port of Riga."


def _jsonl(*records: object) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records)


def _zip(members: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _build(folder: Path) -> None:
    """The corpus: names sort so that every bad input sits between good ones (a_good ... z_good)."""
    noise = random.Random(3)
    high = [byte for byte in range(0x80, 0xC0) if byte not in (0xA3, 0xA8, 0xB3, 0xB8)]  # no Cyrillic-looking run
    files: dict[str, bytes | str] = {
        "a_good.txt": "The port of Riga reopened on Monday after a three-day strike by dockers, officials said.",
        "m01_empty.txt": b"",
        "m02_photo.png": PNG,
        "m03_report.pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n" + bytes(200),
        "m04_bundle.zip": _zip({"1.png": PNG, "zipped.txt": "A zipped article: the Tartu bridge closes for repairs."}),
        "m05_logo.png.gz": gzip.compress(PNG),
        "m06_feed.jsonl.gz": gzip.compress(_jsonl({"id": "gz1", "text": "Gzipped: dockers strike in Kazan."}).encode()),
        "m07_garbled.txt": bytes(noise.choice(high) for _ in range(600)),
        "m08_damaged.txt": RU.encode() * 2 + b"\xff\xfe\xc3(" + " Конец сообщения.".encode(),
        "m09_utf16_bom.txt": "UTF-16 with a BOM: the court in Vilnius heard the bribery case.".encode("utf-16"),
        "m10_utf16_nobom.txt": "UTF-16 without a BOM: the court in Vilnius adjourned.".encode("utf-16-le"),
        "m11_cp1251.txt": RU.encode("cp1251"),
        "m12_koi8r.txt": RU.replace("Минске", "Пскове").encode("koi8-r"),
        "m14_long_line.txt": LONG_SENTENCE * (5 * 2**20 // len(LONG_SENTENCE)),
        "m15_deep.html": "<html><body>" + "<div>" * 10_000 + f"<p>{DEEP_TEXT}</p>" + "</div>" * 10_000 + "</body></html>",
        "m16_lines.jsonl": _jsonl(
            {"id": "l1", "text": "Line one: a flood in Narva."},
            '{"id": "l2", "text": "no closing brace"',
            ["a", "list"],
            {"id": "l4", "title": "Only a title"},
            {"id": "l5", "text": 5},
            {"id": "l6", "text": "Line six: a fire in Omsk."},
        ),
        "m17_table.csv": 'id,title,text\nc1,One,"first line\nsecond line"\nc2,Two\nc3,Three,text,surplus\nc4,Four,Last row.\n',
        "m18_versions.jsonl": _jsonl({"id": "dup", "text": "First version of the story."},
                                     {"id": "dup", "text": "Second version of the story, corrected."}),
        "m19_dates.jsonl": _jsonl({"id": "future", "text": "A strike in the port.", "date": "2099-05-01"},
                                  {"id": "nodate", "text": "A flood in the north.", "date": "the day after tomorrow"}),
        "m20_chinese.txt": "北京市政府周一宣布，由于暴雨，全市所有学校将停课三天。气象部门预计降雨将持续到周末。",
        "m21_hidden.txt": "Pes\u200bkov\u200d said\x07 that\u2060 the\x1b[0m talks\ufeff were\x0c over, again.",
        "m25_secret.txt": "Nobody may read this.",
        "m27_copy.txt": "The port of Riga reopened on Monday after a three-day strike by dockers, officials said.",
        "m28_feed.xml": '<?xml version="1.0"?>\n<rss version="2.0"><channel><title>Baltic Wire</title>\n'
                        "<item><title>Ferry to Gotland</title><link>https://bw.example/ferry</link>\n"
                        "<description>A summer ferry will link Pavilosta and Visby from June.</description></item>\n"
                        "<item><title>Only a headline</title><link>https://bw.example/headline</link></item>\n"
                        "<item><title>Cut off</item>\n",
        "z_good.txt": "Floods in Narva forced 300 residents to leave their homes on Tuesday, the mayor said.",
    }
    folder.mkdir(mode=0o755)
    for name, data in files.items():
        path = folder / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        path.chmod(0o644)
    with open(folder / "m13_huge.txt", "wb") as handle:  # sparse: 200 MB on paper, nothing on disk
        handle.write(b"A real article start.\n")
        handle.truncate(200 * 2**20)
    (folder / "m22_loop").symlink_to(folder / "m22_loop")
    (folder / "m23_up").symlink_to(folder)
    os.mkfifo(folder / "m24_pipe.txt")
    (folder / "m25_secret.txt").chmod(0)
    (folder / "m26_closed").mkdir()
    (folder / "m26_closed" / "inside.txt").write_text("Unreachable.")
    (folder / "m26_closed").chmod(0)


def _preload(folder: Path) -> None:
    """Import every module and codec the run needs while still root: after dropping to ``nobody`` the child
    cannot read this interpreter's own library (it lives under ``/root``), so a late import would fail there."""
    for module in pkgutil.iter_modules(encodings.__path__):
        with contextlib.suppress(Exception):
            importlib.import_module(f"encodings.{module.name}")
    folder.mkdir()
    samples = {"a.txt": RU.encode("cp1251"), "b.html": f"<html><body><p>{DEEP_TEXT}</p></body></html>".encode(),
               "c.jsonl.gz": gzip.compress(_jsonl({"text": RU}).encode()), "d.zip": _zip({"e.csv": "id,text\nx,y\n"}),
               "f.txt": "UTF-16 text.".encode("utf-16"),
               "g.rss": b"<rss><channel><item><title>T</title><description>Feed text.</description></item></channel></rss>"}
    for name, data in samples.items():
        (folder / name).write_bytes(data)
    with contextlib.redirect_stdout(io.StringIO()):
        main(["ingest", str(folder), "--db", str(folder / "warm.db"), "--fast"])


def _cli_as_nobody(argv: list[str], out: Path) -> int:
    """``storyline ARGV`` with stdout to ``out``; as root, in a child that drops to ``nobody`` (root reads all)."""
    if os.geteuid() != 0:
        with open(out, "w") as handle, contextlib.redirect_stdout(handle):
            return main(argv)
    pid = os.fork()
    if pid == 0:  # child: never returns into pytest
        status = 70
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            with open(out, "w") as handle, contextlib.redirect_stdout(handle):
                status = main(argv)
        finally:
            os._exit(status)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


@dataclass
class Run:
    folder: Path
    db: Path
    printed: str
    rerun_printed: str

    def name(self, origin: str) -> str:
        return origin.removeprefix(str(self.folder) + "/")


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    # Outside pytest's tmp_path, whose parents only root may enter; the store's folder is writable by nobody.
    base = Path(tempfile.mkdtemp(prefix="storyline-bad-", dir="/tmp"))
    base.chmod(0o755)
    folder, store_dir = base / "in", base / "store"
    store_dir.mkdir(mode=0o777)
    store_dir.chmod(0o777)
    try:
        _build(folder)
        if os.geteuid() == 0:
            _preload(base / "warm")
        db = store_dir / "bad.db"
        argv = ["ingest", str(folder), "--db", str(db), "--fast"]
        assert _cli_as_nobody(argv, store_dir / "first.txt") == 0
        assert _cli_as_nobody(argv, store_dir / "second.txt") == 0
        yield Run(folder, db, (store_dir / "first.txt").read_text(), (store_dir / "second.txt").read_text())
    finally:
        for path in (folder / "m25_secret.txt", folder / "m26_closed"):
            with contextlib.suppress(OSError):
                path.chmod(stat.S_IRWXU)
        shutil.rmtree(base)


def _rejects(run: Run, *, kept: bool) -> list[tuple[str, int | None, str]]:
    with SQLiteStore(run.db, readonly=True) as store:
        return [(run.name(r.origin), r.line, r.reason) for r in store.rejects(kept=kept)]


def _articles(run: Run) -> dict[str, sqlite3.Row]:
    with SQLiteStore(run.db, readonly=True) as store:
        return {row["id"]: row for row in store.conn.execute("SELECT * FROM articles")}


REJECTS = [
    ("empty file", "m01_empty.txt", None, "empty file"),
    ("png image", "m02_photo.png", None, "binary file (PNG image), not articles"),
    ("pdf", "m03_report.pdf", None, "binary file (PDF document), not articles"),
    ("image inside zip", "m04_bundle.zip!1.png", None, "binary file (PNG image), not articles"),
    ("image inside gzip", "m05_logo.png.gz", None, "binary file (PNG image), not articles"),
    ("undecodable bytes", "m07_garbled.txt", None, "not valid UTF-8 and no encoding decodes it sensibly"),
    ("200 MB file", "m13_huge.txt", None, f"too large (200 MB > {MAX_TEXT_BYTES // 2**20} MB limit for one article)"),
    ("jsonl broken line", "m16_lines.jsonl", 2, "invalid JSON: Expecting ',' delimiter at column 40"),
    ("jsonl non-object", "m16_lines.jsonl", 3, "record is a JSON list, expected an object"),
    ("jsonl missing text", "m16_lines.jsonl", 4, "no text field (expected 'text', 'body', 'content' or another "
     "usual name; this record has: id, title; name yours with --field text=KEY)"),
    ("jsonl wrong type", "m16_lines.jsonl", 5, "field 'text' is a number, expected a string"),
    ("csv missing column", "m17_table.csv", 4, "row has 2 fields, header has 3"),
    ("csv extra column", "m17_table.csv", 5, "row has 4 fields, header has 3"),
    ("feed item without text", "m28_feed.xml#item-2", None,
     "item 2 ('Only a headline') has no text of its own (`storyline watch` fetches the pages of a feed's items)"),
    ("feed cut off", "m28_feed.xml", 6, "malformed feed: mismatched tag at line 6, column 22; 2 items read before it"),
    ("symlink loop (self)", "m22_loop", None, "symlink loop (too many levels of symbolic links)"),
    ("symlink loop (parent)", "m23_up", None, "symlink loop (points back to an enclosing folder), not followed"),
    ("fifo", "m24_pipe.txt", None, "not a regular file (FIFO), not read"),
    ("unreadable file", "m25_secret.txt", None, "unreadable (Permission denied)"),
    ("unreadable folder", "m26_closed", None, "folder unreadable (Permission denied)"),
]

NOTES = [
    ("invalid utf-8 inside utf-8", "m08_damaged.txt", None, "m08_damaged",
     "3 undecodable byte sequences shown as U+FFFD"),
    ("html nested 10,000 deep", "m15_deep.html", None, "m15_deep", "trafilatura found no main text; tags stripped instead"),
    ("future date", "m19_dates.jsonl", 1, "future", "future metadata date 2099-05-01 ignored"),
    ("unparseable date", "m19_dates.jsonl", 2, "nodate", "unparseable metadata date 'the day after tomorrow' ignored"),
    ("unsupported language", "m20_chinese.txt", None, "m20_chinese",
     "language 'zh' is not supported (en, ru): grouped by its text only, no entities or quotes"),
    ("zero-width and control characters", "m21_hidden.txt", None, "m21_hidden",
     "7 zero-width or control characters removed"),
]

GOOD = {
    "a_good", "zipped", "gz1", "m08_damaged", "m09_utf16_bom", "m10_utf16_nobom", "m11_cp1251", "m12_koi8r",
    "m14_long_line", "m15_deep", "l1", "l6", "c1", "c4", "dup", "dup~2", "future", "nodate", "m20_chinese",
    "m21_hidden", "z_good", stable_id("f", "https://bw.example/ferry"),
}


@pytest.mark.parametrize(("kind", "name", "line", "reason"), REJECTS, ids=[r[0] for r in REJECTS])
def test_bad_input_is_rejected_with_one_line_naming_file_and_line(
    run: Run, kind: str, name: str, line: int | None, reason: str
) -> None:
    assert (name, line, reason) in _rejects(run, kept=False)
    where = f"{run.folder}/{name}" + (f":{line}" if line else "")
    assert f"  rejected {where}: {reason}\n" in run.printed  # the run summary the user sees


@pytest.mark.parametrize(("kind", "name", "line", "article_id", "caveat"), NOTES, ids=[n[0] for n in NOTES])
def test_input_kept_with_a_caveat_gets_a_note_naming_file_and_line(
    run: Run, kind: str, name: str, line: int | None, article_id: str, caveat: str
) -> None:
    assert (name, line, f"article {article_id!r} kept: {caveat}") in _rejects(run, kept=True)
    assert article_id in _articles(run)


def test_exactly_the_listed_rejects_and_notes_and_every_good_article(run: Run) -> None:
    assert sorted(_rejects(run, kept=False)) == sorted((name, line, reason) for _, name, line, reason in REJECTS)
    assert len(_rejects(run, kept=True)) == len(NOTES)
    articles = _articles(run)
    assert set(articles) == GOOD  # m27_copy has a_good's text: the same article, stored once
    first_line = run.printed.splitlines()[0]
    assert first_line.startswith(f"{len(GOOD) + 1} documents read: {len(GOOD)} new articles, 1 already stored, "
                                 f"{len(REJECTS)} rejected;")
    with SQLiteStore(run.db, readonly=True) as store:
        summary = json.loads(store.conn.execute("SELECT summary FROM runs ORDER BY started LIMIT 1").fetchone()[0])
    assert (summary["new_articles"], summary["rejects"], summary["notes"]) == (len(GOOD), len(REJECTS), len(NOTES))


def test_decoded_text_is_right_in_every_encoding(run: Run) -> None:
    articles = _articles(run)
    assert articles["m11_cp1251"]["body"] == RU
    assert articles["m12_koi8r"]["body"] == RU.replace("Минске", "Пскове")
    assert articles["m09_utf16_bom"]["body"].startswith("UTF-16 with a BOM: the court in Vilnius")
    assert articles["m10_utf16_nobom"]["body"].startswith("UTF-16 without a BOM: the court in Vilnius")
    assert articles["m08_damaged"]["body"].startswith(RU + RU) and "Конец сообщения" in articles["m08_damaged"]["body"]
    assert articles["m21_hidden"]["body"] == "Peskov said that the talks were over, again."  # ESC[0m too
    assert articles["m15_deep"]["body"] == DEEP_TEXT
    assert len(articles["m14_long_line"]["body"]) == len(LONG_SENTENCE * (5 * 2**20 // len(LONG_SENTENCE))) - 1
    assert (articles["future"]["published"], articles["nodate"]["published"]) == (None, None)
    assert articles["m20_chinese"]["lang"] == "zh"


def test_duplicate_id_with_other_content_is_a_version(run: Run) -> None:
    articles = _articles(run)
    assert articles["dup"]["body"] == "First version of the story."
    assert articles["dup~2"]["body"] == "Second version of the story, corrected."
    assert (articles["dup"]["version_of"], articles["dup~2"]["version_of"]) == (None, "dup")


def test_rerun_is_a_no_op_that_reports_the_same_rejects(run: Run) -> None:
    first, second = run.printed.splitlines(), run.rerun_printed.splitlines()
    assert second[0].startswith(f"{len(GOOD) + 1} documents read: 0 new articles, {len(GOOD) + 1} already stored, "
                                f"{len(REJECTS)} rejected;")
    assert [line for line in second if "rejected " in line] == [line for line in first if "rejected " in line]
    assert len(_rejects(run, kept=False)) == len(REJECTS)  # recorded once, not once per run


def test_names_and_texts_that_are_not_utf8_are_stored_not_fatal(tmp_path: Path) -> None:
    """A non-UTF-8 file name or a JSON-escaped lone surrogate used to stop the whole run (SQLite cannot store it)."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a_good.txt").write_text("The first good article about the port of Riga.")
    with open(os.fsencode(folder) + b"/caf\xe9.txt", "wb") as handle:
        handle.write(b"A cafe in Riga closed after the strike.")
    with open(os.fsencode(folder) + b"/empty\xff.txt", "wb"):
        pass
    (folder / "m.jsonl").write_text('{"id": "s\\udcff1", "title": "T \\udfff", "text": "Lone \\ud800 surrogate."}\n')
    (folder / "z_good.txt").write_text("The last good article about floods in Narva.")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["ingest", str(folder), "--db", str(tmp_path / "s.db"), "--fast"]) == 0
    with SQLiteStore(tmp_path / "s.db", readonly=True) as store:
        assert store.article_ids() == ["a_good", "caf\\xe9", "s\\xff1", "z_good"]  # ids keep the byte, escaped
        assert [(Path(r.origin).name, r.reason) for r in store.rejects()] == [("empty\\xff.txt", "empty file")]
        article = store.article("s\\xff1")
        assert article is not None and (article.title, article.body) == ("T \ufffd", "Lone \ufffd surrogate.")
        assert [r.reason for r in store.notes()] == ["article 's\\\\xff1' kept: 1 undecodable byte sequence shown as U+FFFD"]
    assert f"rejected {folder}/empty\\xff.txt: empty file" in out.getvalue()


def test_a_store_and_report_written_into_the_scrape_folder_are_not_read_back(tmp_path: Path, capsys) -> None:
    """`storyline run . --db my.db --report report.html` twice in one folder: the second run reads neither the store's
    files (-wal, -shm) nor its own report as articles, and says so for the report."""
    (tmp_path / "a.txt").write_text("Riga dock workers strike\n\nDock workers in Riga walked out on Friday over pay, "
                                    "the union said. The port authority said talks would resume on Monday.\n")
    args = ["run", str(tmp_path), "--db", str(tmp_path / "my.db"), "--report", str(tmp_path / "report.html"), "--fast"]
    assert main(args) == 0
    assert {p.name for p in tmp_path.iterdir()} >= {"my.db", "report.html"}
    (tmp_path / "my.db-wal").write_bytes(b"\x37\x7f\x06\x82" + b"\x00" * 60)  # as a live store leaves them
    (tmp_path / "my.db-shm").write_bytes(b"\x00" * 64)
    capsys.readouterr()
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "report.html: storyline's own report or page, not an article (not read)" in out
    assert "my.db-wal" not in out and "my.db-shm" not in out
    with sqlite3.connect(tmp_path / "my.db") as con:
        assert con.execute("SELECT count(*) FROM articles").fetchone() == (1,)
