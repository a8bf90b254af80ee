"""Issue 7 §5: the same input gives the same store, whatever the order of the files, the batch size or the workers.

Runs go through the command line (``storyline ingest`` then ``storyline export``) and are compared on the events
and stories as sets of article ids and on the JSON export, byte for byte. The bundled sample corpus runs with
the default (full) configuration — embeddings, NER, quotes — once as the session's sample store does it (one
folder, one process) and once file by file in shuffled order with two worker processes; the batch size is
checked in full mode at the entity stage. A generated corpus of 4,000 articles in eight files runs in ``--fast``
mode with the files in shuffled order, with two workers and with batches of 37, and once more with its records
dealt into files in another order. The entity batch-size check is a strict xfail naming the code that makes
entity keys depend on the batch size; it turns into a failure once that is fixed, to be unmarked then.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

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


@pytest.mark.xfail(
    strict=True,
    reason="EntityRecognizer.annotate reconciles names across the articles of one batch (reconcile_names, "
           "_batch_surnames in extract/entities.py), so entity keys, speakers and then events depend on the batch "
           "size: batches of 5 change the entities of 47 of the 67 sample articles",
)
def test_sample_corpus_entities_do_not_depend_on_the_batch_size() -> None:
    """The full-mode batch-size check, at the stage that breaks it (cheaper than a third full run)."""
    from storyline.config import Config
    from storyline.ingest import iter_documents
    from storyline.model import RawDocument
    from storyline.pipeline import Models, build_articles

    config = Config()
    docs = [d for d in iter_documents([SAMPLES]) if isinstance(d, RawDocument)]
    recognizer = Models(config).recognizer

    def entity_keys(size: int) -> dict[str, list[str]]:
        keys: dict[str, list[str]] = {}
        for start in range(0, len(docs), size):
            articles, _ = build_articles(docs[start : start + size], config)
            recognizer.annotate(articles)
            keys.update({a.id: sorted(e.key for e in a.entities) for a in articles})
        return keys

    whole = entity_keys(len(docs))
    assert len(whole) == 67 and sum(map(len, whole.values())) > 200
    assert entity_keys(5) == whole


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """4,000 generated articles dealt round-robin into eight JSONL files."""
    folder = tmp_path_factory.mktemp("generated")
    records = list(generate(4000, seed=11))
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
    assert len(events) > 500 and any(len(ids) > 5 for ids in events) and len(stories) < len(events)
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
