"""The command line as a user meets it: help, errors, and the machine-readable outputs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from storyline.cli import build_parser, main, parse_duration

VERBS = ["run", "ingest", "events", "stories", "show", "quotes", "entities", "timeline", "compare", "report",
         "export", "serve", "watch", "eval", "eval-quotes", "eval-timeline", "rejects"]


def test_help_lists_every_verb():
    done = subprocess.run([sys.executable, "-m", "storyline.cli", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    for verb in VERBS:
        assert f"\n    {verb} " in done.stdout or f"\n    {verb}\n" in done.stdout, verb


def test_every_verb_has_its_own_help():
    parser = build_parser()
    for verb in VERBS:
        with pytest.raises(SystemExit) as exit_info:
            parser.parse_args([verb, "--help"])
        assert exit_info.value.code == 0


def test_missing_store_is_a_clear_error_not_a_traceback(tmp_path, capsys):
    code = main(["events", "--db", str(tmp_path / "nope.db")])
    assert code == 1
    err = capsys.readouterr().err
    assert "no store at" in err and "Traceback" not in err


def test_unknown_id_is_reported(tmp_path, capsys):
    from storyline.store import SQLiteStore

    SQLiteStore(tmp_path / "s.db").close()
    assert main(["show", "does-not-exist", "--db", str(tmp_path / "s.db")]) == 1
    assert "no article, event or story" in capsys.readouterr().err


def test_run_without_input_explains_what_to_give(tmp_path, capsys):
    assert main(["run", "--db", str(tmp_path / "s.db")]) == 1
    assert "--sample" in capsys.readouterr().err


@pytest.mark.parametrize("text, seconds", [("90s", 90), ("10m", 600), ("1h", 3600), ("45", 45), ("1.5m", 90)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["soon", "-5m", "0"])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        parse_duration(text)
