"""Issue 7 §5: the same input gives the same store, whatever the order of the files, the batch size or the workers.

Runs go through the command line (``storyline ingest`` then ``storyline export``) and are compared on the events
and stories as sets of article ids and on the JSON export, byte for byte. The bundled sample corpus runs with
the default (full) configuration — embeddings, NER, quotes — once as the session's sample store does it (one
folder, one process) and once file by file in shuffled order with two worker processes. The batch size is
checked in full mode too: the sample corpus goes through the pipeline in batches of 5 and in one batch of 67
into two SQLite stores, which must hold the same entity keys per article, the same quote speakers and the same
events (entity names are reconciled across the whole store at regroup time, never within an ingest batch). A
generated corpus of 4,000 articles in eight files runs in ``--fast`` mode with the files in shuffled order, with
two workers and with batches of 37, and once more with its records dealt into files in another order.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from storyline.model import Article, Entity

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "src" / "storyline" / "samples" / "corpus"
sys.path.insert(0, str(ROOT / "bench"))

from generate import generate  # noqa: E402


def _cli(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "storyline.cli", *args], capture_output=True, text=True,
                          timeout=900, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _ingest(db: Path, paths: list[Path], *, batch_size: int, workers: int, fast: bool) -> dict[str, object]:
    config = db.with_suffix(".toml")
    config.write_text(f"batch_size = {batch_size}\n", encoding="utf-8")
    _cli("ingest", *map(str, paths), "--db", str(db), "--config", str(config), "--workers", str(workers),
         *(["--fast"] if fast else []))
    return json.loads(_cli("export", "--db", str(db)))


def _groups(export: dict[str, object]) -> tuple[list[list[str]], list[list[str]]]:
    events = sorted(sorted(e["article_ids"]) for e in export["events"])  # type: ignore[index, union-attr]
    stories = sorted(sorted(s["article_ids"]) for s in export["stories"])  # type: ignore[index, union-attr]
    return events, stories


def _without_origins(export: dict[str, object]) -> dict[str, object]:
    articles = [{k: v for k, v in a.items() if k != "origin"} for a in export["articles"]]  # type: ignore[union-attr]
    return {**export, "articles": articles}


def test_sample_corpus_full_config_shuffled_files_two_workers(sample_store_path: Path, tmp_path: Path) -> None:
    files = sorted(path for path in SAMPLES.rglob("*") if path.is_file())
    random.Random(3).shuffle(files)
    variant = _ingest(tmp_path / "variant.db", files, batch_size=512, workers=2, fast=False)
    reference = json.loads(_cli("export", "--db", str(sample_store_path)))
    assert len(reference["articles"]) == 67 and reference["events"] and reference["stories"]
    assert reference["quotes"] and any(a["entities"] for a in reference["articles"])
    assert _groups(variant) == _groups(reference)
    assert variant == reference


def test_sample_corpus_entities_speakers_and_events_do_not_depend_on_the_batch_size(tmp_path: Path) -> None:
    """Full mode, batches of 5 against one batch of 67: keys, speakers and events of the two stores agree."""
    from storyline.config import Config
    from storyline.pipeline import Models, ingest_paths, regroup
    from storyline.store.sqlite import SQLiteStore

    models = Models(Config())  # loaded once, shared by both runs
    reconciled: set[str] = set()  # articles whose keys the other articles changed

    def run(batch_size: int) -> tuple[dict[str, list[str]], list[tuple[str, str | None]], list[list[str]],
                                      list[Entity]]:
        config = Config(batch_size=batch_size)
        with SQLiteStore(tmp_path / f"batches-of-{batch_size}.db") as store:
            ingest_paths([SAMPLES], store, config, models=models)
            regroup(store, config, models=models)
            articles = list(store.iter_articles())
            keys = {a.id: sorted({m.entity_key for m in a.mentions}) for a in articles}
            finds = store.ner_names()
            reconciled.update(a.id for a in articles if keys[a.id] != _own_keys(a, finds[a.id][0]))
            speakers = sorted((q.id, q.speaker) for q in store.quotes())
            events = sorted(sorted(e.article_ids) for e in store.events())
            return keys, speakers, events, store.entities()

    keys, speakers, events, entities = run(67)
    assert len(keys) == 67 and sum(map(len, keys.values())) > 200
    assert sum(speaker is not None for _, speaker in speakers) > 20 and any(len(ids) > 1 for ids in events)
    assert len(reconciled) > 20, reconciled  # names were reconciled across articles, not only within each
    small_keys, small_speakers, small_events, small_entities = run(5)
    assert small_keys == keys
    assert small_speakers == speakers
    assert small_events == events
    assert small_entities == entities


def _own_keys(article: Article, ner_names: list[tuple[str, str, str, int, int]]) -> list[str]:
    """The entity keys the article would get from its own NER finds alone (no other article)."""
    from storyline.extract.entities import reconcile_entities

    alone = Article(id=article.id, title=article.title, body=article.body, lang=article.lang, ner_names=ner_names)
    reconcile_entities([alone])
    return sorted({m.entity_key for m in alone.mentions})


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """2,500 generated articles dealt round-robin into eight JSONL files (4,000 until 2026-11-27: CI time)."""
    folder = tmp_path_factory.mktemp("generated")
    records = list(generate(2500, seed=11))
    paths = [folder / f"part{k}.jsonl" for k in range(8)]
    for k, path in enumerate(paths):
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records[k::8]), encoding="utf-8")
    return paths


@pytest.fixture(scope="module")
def generated_reference(generated: list[Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    db = tmp_path_factory.mktemp("reference") / "reference.db"
    return _ingest(db, generated, batch_size=512, workers=1, fast=True)


@pytest.mark.parametrize(
    ("order_seed", "batch_size", "workers"),
    [(1, 512, 1), (2, 512, 2), (3, 37, 1)],
    ids=["shuffled", "shuffled-2-workers", "shuffled-batches-of-37"],
)
def test_generated_corpus_fast_any_order_batch_size_or_workers(
    generated: list[Path], generated_reference: dict[str, object], tmp_path: Path, order_seed: int,
    batch_size: int, workers: int,
) -> None:
    paths = list(generated)
    random.Random(order_seed).shuffle(paths)
    variant = _ingest(tmp_path / "variant.db", paths, batch_size=batch_size, workers=workers, fast=True)
    events, stories = _groups(generated_reference)
    assert len(events) > 250 and any(len(ids) > 5 for ids in events) and len(stories) < len(events)
    assert _groups(variant) == (events, stories)
    assert variant == generated_reference


def test_generated_corpus_records_in_another_order(
    generated: list[Path], generated_reference: dict[str, object], tmp_path: Path
) -> None:
    """The same records shuffled across other files: only where each record was read from may differ."""
    records = [line for path in generated for line in path.read_text(encoding="utf-8").splitlines()]
    random.Random(4).shuffle(records)
    paths = [tmp_path / f"shuffled{k}.jsonl" for k in range(3)]
    for k, path in enumerate(paths):
        path.write_text("\n".join(records[k::3]) + "\n", encoding="utf-8")
    variant = _ingest(tmp_path / "variant.db", paths, batch_size=512, workers=1, fast=True)
    assert _groups(variant) == _groups(generated_reference)
    assert _without_origins(variant) == _without_origins(generated_reference)
