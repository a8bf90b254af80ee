"""``storyline eval``: metrics computed as ../shared/data/README.md defines them, and the runner end to end on
small files written here (the benchmark files themselves are exercised by test_eval_gate.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from storyline.config import Config
from storyline.evaluate.metrics import cluster_scores, pair_scores
from storyline.evaluate.runner import evaluate_file, format_result

RECORDS = [
    {"id": "b1", "cluster": "bastrop", "date": "2016-07-23", "title": "Three killed in Bastrop apartment shooting",
     "text": "Three people were killed Saturday night at the Arbors of Bastrop apartments. Police identified the victims "
             "as Erica Rodriguez and Paula Nino; chief Vicky Steffanic said the gunman Alejandro Martinez shot himself."},
    {"id": "b2", "cluster": "bastrop", "date": "2016-07-24", "title": "Witness recalls fatal Bastrop shooting",
     "text": "Residents of the Arbors of Bastrop apartments heard gunfire by the pool. Police said Erica Rodriguez and "
             "Paula Nino died and that Alejandro Martinez was the gunman, chief Vicky Steffanic told reporters."},
    {"id": "d1", "cluster": "dayton", "date": "2016-07-23", "title": "Two wounded in shooting outside Dayton bar",
     "text": "Two men were wounded early Saturday outside Blind Bob's on Fifth Street in the Oregon District. Dayton "
             "police Sgt. Michael Hudson said officers found Marcus Bell and Devon Price with gunshot wounds."},
    {"id": "d2", "cluster": "dayton", "date": "2016-07-23", "title": "Police seek gunman after Dayton bar shooting",
     "text": "Dayton police are looking for the man who shot Marcus Bell and Devon Price outside Blind Bob's on Fifth "
             "Street in the Oregon District, Sgt. Michael Hudson said. Both men are expected to survive."},
]
KEYS = {"bcubed_p", "bcubed_r", "bcubed_f1", "pairwise_p", "pairwise_r", "pairwise_f1", "ari", "ami", "n_pred",
        "n_gold", "docs_per_s"}


@pytest.fixture
def labelled(tmp_path: Path) -> Path:
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    return path


def test_cluster_scores_match_the_definitions_worked_by_hand() -> None:
    # n_ij: (a,x)=2 (b,x)=1 (b,y)=2; |x|=3 |y|=2 |a|=2 |b|=3; N=5
    scores = cluster_scores(["a", "a", "b", "b", "b"], ["x", "x", "x", "y", "y"])
    assert scores["bcubed_p"] == pytest.approx((4 / 3 + 1 / 3 + 4 / 2) / 5)
    assert scores["bcubed_r"] == pytest.approx((4 / 2 + 1 / 3 + 4 / 3) / 5)
    assert scores["pairwise_p"] == pytest.approx(2 / 4) and scores["pairwise_r"] == pytest.approx(2 / 4)
    assert (scores["n_pred"], scores["n_gold"]) == (2, 2)
    perfect = cluster_scores(["a", "a", "b"], ["y", "y", "z"])
    assert perfect["bcubed_f1"] == perfect["pairwise_f1"] == perfect["ari"] == pytest.approx(1.0)


def test_pair_scores_are_those_of_the_positive_class() -> None:
    scores = pair_scores([True, True, False, False], [True, False, True, False], [0.9, 0.4, 0.6, 0.1])
    assert (scores["p"], scores["r"], scores["f1"]) == (0.5, 0.5, 0.5)
    assert scores["roc_auc"] == pytest.approx(0.75) and scores["n_positive"] == 2


def test_events_task_scores_the_product_and_the_baseline(labelled: Path) -> None:
    result = evaluate_file(labelled, gold="cluster", baseline="tfidf-agglomerative", config=Config(fast=True))
    assert set(result) >= KEYS
    assert result["bcubed_f1"] == 1.0 and result["n_pred"] == 2 and result["n_docs"] == 4
    assert result["baseline"]["name"] == "tfidf-agglomerative" and 0.0 < result["baseline"]["bcubed_f1"] <= 1.0
    table = format_result(result)
    assert "storyline" in table and "tfidf-agglomerative (t=" in table and "docs/s" in table


def test_ids_repeated_in_a_file_are_told_apart(tmp_path: Path) -> None:
    """Timeline17 numbers each topic's articles from 1: one id, several articles. Each is scored; none is lost."""
    from storyline.evaluate.datasets import load_labelled
    from storyline.group.events import group_events

    path = tmp_path / "per-topic-ids.jsonl"
    path.write_text("".join(json.dumps({**r, "id": "1"}) + "\n" for r in RECORDS), encoding="utf-8")
    assert [a.id for a in load_labelled(path, "cluster", Config(fast=True)).articles] == ["1", "1~2", "1~3", "1~4"]
    result = evaluate_file(path, gold="cluster", config=Config(fast=True))
    assert result["n_docs"] == 4 and result["bcubed_f1"] == 1.0
    assert evaluate_file(path, gold="cluster", task="stories", config=Config(fast=True))["n_docs"] == 4
    articles = load_labelled(path, "cluster", Config(fast=True)).articles
    articles[1].id = "1"
    with pytest.raises(ValueError, match="article ids must be unique; repeated: 1"):
        group_events(articles, Config(fast=True))


def test_missing_gold_field_is_a_clear_error(labelled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(KeyError, match="no gold field 'incident_id'"):
        evaluate_file(labelled, gold="incident_id", config=Config(fast=True))
    from storyline.cli import main

    assert main(["eval", str(labelled), "--gold", "incident_id", "--fast"]) == 1
    assert capsys.readouterr().err.startswith(f"storyline: error: {labelled}:1: no gold field 'incident_id' (")


def test_pairs_task_reads_the_tgcontest_layout(tmp_path: Path) -> None:
    header = "INPUT:first_title\tINPUT:second_title\tINPUT:first_text\tINPUT:second_text\tGOLDEN:quality\n"
    rows = [(RECORDS[0], RECORDS[1], "OK"), (RECORDS[0], RECORDS[2], "BAD"), (RECORDS[2], RECORDS[3], "OK")]
    path = tmp_path / "pool.tsv"
    path.write_text(header + "".join(f"{a['title']}\t{b['title']}\t{a['text']}\t{b['text']}\t{q}\n" for a, b, q in rows),
                    encoding="utf-8")
    result = evaluate_file(path, gold="GOLDEN:quality", task="pairs", config=Config(fast=True))
    assert result["n_pairs"] == 3 and result["n_positive"] == 2
    assert result["f1"] == 1.0 and result["roc_auc"] == 1.0
    assert "loose" not in result  # tgcontest has two grades only


def test_pairs_task_reads_paraphraser_and_scores_the_loose_grade_too(tmp_path: Path) -> None:
    """ParaPhraser grades 1 (same meaning), 0 (loosely same: one news item worded apart), -1 (different)."""
    rows = [(RECORDS[0], RECORDS[1], "1"), (RECORDS[2], RECORDS[3], "0"), (RECORDS[0], RECORDS[2], "-1")]
    path = tmp_path / "train.jsonl"
    text = {r["id"]: f"{r['title']}. {r['text']}" for r in RECORDS}
    path.write_text("".join(json.dumps({"id": str(k), "text_1": text[a["id"]], "text_2": text[b["id"]], "class": grade},
                                       ensure_ascii=False) + "\n" for k, (a, b, grade) in enumerate(rows)),
                    encoding="utf-8")
    result = evaluate_file(path, gold="class", task="pairs", config=Config(fast=True))
    assert result["n_pairs"] == 3 and result["n_positive"] == 1 and result["loose"]["n_positive"] == 2
    assert result["p"] == 0.5 and result["r"] == 1.0  # the loosely-same pair is one event: wrong by grade 1 …
    assert result["loose"]["f1"] == 1.0  # … and right by "same or loosely same"
    assert "same or loosely same" in format_result(result)


def test_cli_prints_one_json_object(labelled: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "storyline.cli", "eval", str(labelled), "--gold", "cluster", "--fast",
                           "--json"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) >= KEYS and result["bcubed_f1"] == 1.0
