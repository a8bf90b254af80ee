"""The Spark engine against the local batch engine: same articles, rejects, copies, events and stories.

Real pyspark in local mode (``local[2]``, one session for the whole test run). The local side is the real
``storyline run`` (:func:`run_pipeline` into a SQLite store: ingest, near-copies, :func:`group_events`); the
Spark side is ``storyline run --engine spark`` or :func:`run_spark`, whose events must be the same sets of
articles with the same ids. The pair-graph mode (``grouping="graph"``) is checked against
:func:`group_events_graph` and :func:`group_stories_graph`.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from storyline.cli import main
from storyline.config import Config
from storyline.group.graph import group_events_graph, group_stories_graph
from storyline.pipeline import ingest_paths, run_pipeline
from storyline.represent.furniture import FurnitureFilter
from storyline.scale.load import load_into_store
from storyline.store import SQLiteStore

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "src" / "storyline" / "samples" / "corpus"
GVA_DOCS = 600  # a deterministic prefix of GVA: enough incidents and singletons, fast enough for CI
GVA_EMBEDDED_DOCS = 1000  # the prefix grouped with embeddings, in the workers and locally


def _java_present() -> bool:
    home = os.environ.get("JAVA_HOME")
    return shutil.which("java") is not None or bool(home and (Path(home) / "bin" / "java").exists())


@pytest.fixture(scope="session")
def spark():
    if not _java_present():
        pytest.skip("Java is absent (no `java` on PATH, no JAVA_HOME): pyspark cannot start a JVM")
    from storyline.scale.spark import spark_session

    session = spark_session("local[2]", conf={
        "spark.sql.shuffle.partitions": "2",
        "spark.default.parallelism": "1",  # 2 partitions per shuffle (run_spark uses twice this)
        "spark.sql.adaptive.enabled": "false",  # fewer jobs for tiny inputs
        "spark.sql.codegen.wholeStage": "false",  # compiling plans costs more than running them on test data
        "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",  # a short-lived JVM
        "spark.driver.memory": "1g",
    })
    yield session
    session.stop()


def _local(paths: list[Path], config: Config, db: Path):
    """The local batch engine: ``storyline run`` (ingest, copies, :func:`group_events`) into a SQLite store."""
    with SQLiteStore(db) as store:
        run_pipeline(paths, store, config)
        articles = list(store.iter_articles())
        rejects = store.rejects(kept=None)
        events = store.events()
    return articles, rejects, events


def _local_graph(paths: list[Path], config: Config, db: Path):
    """The pair-graph engine: the real ingest into a store, then :func:`group_events_graph`."""
    with SQLiteStore(db) as store:
        ingest_paths(paths, store, config)
        articles = list(store.iter_articles())
    events, _ = group_events_graph(articles, config)
    return articles, events, group_stories_graph(events, {a.id: a for a in articles}, config)


def _gva_prefix(data_dir: Path, tmp_path: Path, docs: int) -> tuple[Path, list[str]]:
    """The first ``docs`` lines of GVA's JSONL as a file of their own, and the lines."""
    lines = (data_dir / "gva" / "docs.jsonl").read_text(encoding="utf-8").splitlines()[:docs]
    path = tmp_path / "gva.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, lines


def _parquet(path: Path) -> list[dict]:
    """Rows of a Parquet folder written by Spark, read with pyarrow (an independent reader)."""
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()


def _messy_corpus(tmp_path: Path) -> Path:
    """The sample corpus plus what the store must handle: a repeated file, a reused id, bad and hidden files."""
    corpus = tmp_path / "corpus"
    shutil.copytree(SAMPLES, corpus)
    extra = corpus / "zz-extra"
    extra.mkdir()
    shutil.copy(corpus / "balticwire" / "bw-riga-port-deal.txt", extra / "copy-of-port-deal.txt")
    records = [
        {"id": "v1", "title": "Ferry service to Gotland resumes", "text": "The ferry from Pavilosta to Gotland "
         "resumed on Monday after the winter break, the operator said.", "date": "2024-05-02"},
        {"id": "v1", "title": "Ventspils port opens new grain terminal", "text": "A new grain terminal opened in "
         "Ventspils port, doubling its capacity, the port authority said.", "date": "2024-05-03"},
    ]
    (extra / "versions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records) + "{broken\n")
    (extra / "broken.json").write_text('{"id": "x", "text": ')
    (extra / "empty.txt").write_text("")
    (extra / ".hidden.txt").write_text("not read")
    return corpus


def test_cli_spark_equals_local_engine_on_the_sample_corpus(spark, tmp_path: Path) -> None:
    """The full configuration: NER and quotes in the Spark workers (in the local engine's batches), embeddings
    (in the local engine's batches too), near-copies, furniture, average linkage."""
    corpus = _messy_corpus(tmp_path)
    config = Config()
    articles, rejects, events = _local([corpus], config, tmp_path / "local.db")
    out, db = tmp_path / "parquet", tmp_path / "spark.db"

    code = main(["run", str(corpus), "--engine", "spark", "--spark-master", "local[2]", "--out", str(out),
                 "--db", str(db), "--report", str(tmp_path / "report.html")])

    assert code == 0
    assert spark.sparkContext._jsc is not None, "the CLI must not stop a session it did not start"
    # ingest: the same articles (the copy dropped, the reused id versioned) and the same rejects and notes
    rows = _parquet(out / "articles")
    assert sorted(r["id"] for r in rows) == sorted(a.id for a in articles)
    assert {"v1", "v1~2"} <= {r["id"] for r in rows}
    assert "copy-of-port-deal" not in {r["id"] for r in rows}
    assert {(r["origin"], r["line"], r["reason"]) for r in _parquet(out / "rejects")} == {
        (r.origin, r.line, r.reason) for r in rejects}
    assert any("broken" in r.origin for r in rejects)
    # grouping: the events of `storyline run` (as sets of article ids, with the same ids, representative
    # headlines and summaries), copies
    spark_events = _parquet(out / "events")
    assert {frozenset(e["article_ids"]) for e in spark_events} == {frozenset(e.article_ids) for e in events}
    assert {(e["id"], e["title"], e["summary"]) for e in spark_events} == {(e.id, e.title, e.summary) for e in events}
    assert sum(bool(e.summary) for e in events) > len(events) // 2
    assert 1 < len(events) < len(articles), "the sample corpus has multi-article events and singletons"
    assert {r["id"]: r["duplicate_of"] for r in rows} == {a.id: a.duplicate_of for a in articles}
    # stories: the event-level pair graph over these events
    by_id = {a.id: a for a in articles}
    stories = group_stories_graph(events, by_id, config)
    spark_stories = _parquet(out / "stories")
    assert {(s["id"], tuple(s["event_ids"]), s["title"]) for s in spark_stories} == {
        (s.id, tuple(s.event_ids), s.title) for s in stories}
    event_of = {aid: e.id for e in events for aid in e.article_ids}
    assert {r["id"]: r["event_id"] for r in rows} == event_of
    # entities and quotes come from the same models on the same batches
    assert all({m["entity_key"] for m in r["mentions"]} == {m.entity_key for m in by_id[r["id"]].mentions}
               for r in rows)
    quotes = {(q["id"], q["article_id"], q["text"], q["speaker"]) for q in _parquet(out / "quotes")}
    assert quotes == {(q.id, q.article_id, q.text, q.speaker) for a in articles for q in a.quotes}
    assert len(quotes) > 50
    # the SQLite load: what the CLI, report and web UI read
    for load in range(2):  # the CLI's load, then a second one: loading again changes nothing
        if load:
            load_into_store(spark, out, db)
        with SQLiteStore(db) as store:
            assert store.count_articles() == len(articles)
            assert {frozenset(e.article_ids) for e in store.events()} == {frozenset(e.article_ids) for e in events}
            assert {(e.id, e.summary) for e in store.events()} == {(e.id, e.summary) for e in events}
            assert {s.id for s in store.stories()} == {s.id for s in stories}
            assert all(store.event_of(aid) == eid for aid, eid in event_of.items())
            assert sorted((r.origin, r.line, r.reason) for r in store.rejects(kept=None)) == sorted(
                (r.origin, r.line, r.reason) for r in rejects)
            assert {a.id: a.duplicate_of for a in store.iter_articles()} == {a.id: a.duplicate_of for a in articles}
    assert (tmp_path / "report.html").stat().st_size > 1000


def test_spark_equals_local_engine_on_gva_read_from_parquet(
    spark, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--fast`` extraction where each file is read; the furniture filter's pruning made frequent enough
    (every 50 articles) that the Spark engine must replay it, and components found by propagation as joins
    (the path for edge lists too large for the driver)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from storyline.scale.spark import run_spark

    subset, lines = _gva_prefix(data_dir, tmp_path, GVA_DOCS)
    table = pa.Table.from_pylist([json.loads(line) for line in lines])
    pq.write_table(table.slice(0, 360), tmp_path / "gva.parquet", row_group_size=150)  # several row groups
    pq.write_table(table.slice(360), tmp_path / "gva-2.parquet", row_group_size=150)
    config = Config(fast=True)
    monkeypatch.setitem(FurnitureFilter.__init__.__kwdefaults__, "prune_every", 50)
    monkeypatch.setattr("storyline.scale.linkage.MAX_DRIVER_EDGES", 0)  # components by propagation as joins
    articles, _, events = _local([subset], config, tmp_path / "local.db")
    out = tmp_path / "out"

    summary = run_spark([], config, out_dir=out, spark=spark, partitions=2,
                        parquet_inputs=[tmp_path / "gva.parquet", tmp_path / "gva-2.parquet"])

    assert summary.articles == len(articles) == GVA_DOCS - summary.duplicates - summary.rejects
    spark_events = _parquet(out / "events")
    assert {frozenset(e["article_ids"]) for e in spark_events} == {frozenset(e.article_ids) for e in events}
    assert {e["id"] for e in spark_events} == {e.id for e in events}
    copies = {a.id: a.duplicate_of for a in articles if a.duplicate_of}
    assert {r["id"]: r["duplicate_of"] for r in _parquet(out / "articles") if r["duplicate_of"]} == copies
    assert summary.copies == len(copies) > 0
    sizes = sorted((len(e.article_ids) for e in events), reverse=True)
    assert sizes[0] >= 5 and sizes.count(1) > 100, "GVA has large incidents and many singletons"


def test_spark_equals_local_engine_on_gva_with_embeddings(spark, data_dir: Path, tmp_path: Path) -> None:
    """The first ``GVA_EMBEDDED_DOCS`` GVA documents, read from JSONL, with the grouping features of the default
    configuration: multilingual embeddings computed in the Spark workers in the local engine's batches (NER and
    quotes off: grouping does not use them), components found on the driver. Spark's events are the local
    engine's, whose quality on all of GVA the eval gate holds to its floors (tests/test_eval_gate.py). Until
    2026-11-27 this ran on all 3,039 documents: ~300 s of CI on a faster machine, ~420 s on that day's."""
    from storyline.scale.spark import run_spark

    source, _ = _gva_prefix(data_dir, tmp_path, GVA_EMBEDDED_DOCS)
    config = Config(use_ner=False, extract_quotes=False)
    articles, _, events = _local([source], config, tmp_path / "local.db")

    summary = run_spark([source], config, out_dir=tmp_path / "out", spark=spark, partitions=2)

    assert summary.articles == len(articles) > 900
    spark_events = {frozenset(e["article_ids"]): e["id"] for e in _parquet(tmp_path / "out" / "events")}
    assert spark_events == {frozenset(e.article_ids): e.id for e in events}
    sizes = sorted((len(e.article_ids) for e in events), reverse=True)
    assert sizes[0] >= 5 and sizes.count(1) > 100, "large incidents and many singletons, as in all of GVA"


def test_spark_pair_graph_equals_local_pair_graph(spark, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``grouping="graph"``'s events on the same articles, with document frequencies joined rather than
    broadcast (the path for vocabularies too large to ship to every worker). The articles go in as a table
    (ingest is the same in both modes and checked above), which keeps this test short."""
    from storyline.scale.records import article_row, staging_schema
    from storyline.scale.spark import _cluster_events, _events

    config = Config(fast=True)
    articles, events, _ = _local_graph([SAMPLES], config, tmp_path / "local.db")
    frame = spark.createDataFrame([article_row(a, k) for k, a in enumerate(articles)], staging_schema())

    monkeypatch.setattr("storyline.scale.graph.MAX_BROADCAST_TERMS", 0)
    labels, _ = _cluster_events(frame, config, 2)
    spark_events = [r.asDict() for r in _events(frame, labels).collect()]

    assert {frozenset(e["article_ids"]) for e in spark_events} == {frozenset(e.article_ids) for e in events}
    assert {(e["id"], e["title"]) for e in spark_events} == {(e.id, e.title) for e in events}
    assert 1 < len(events) < len(articles)


def test_pruned_count_replays_the_furniture_filter() -> None:
    """The Spark engine's count of a 4-gram under pruning equals the filter's own count."""
    import random

    from storyline.scale.linkage import pruned_count

    generator = random.Random(7)
    for _ in range(200):
        every, total = generator.randint(1, 6), generator.randint(1, 40)
        having = sorted(generator.sample(range(total), generator.randint(0, total)))
        furniture = FurnitureFilter(min_docs=1, prune_every=every)
        furniture.add("gram gram gram gram" if rank in having else "" for rank in range(total))
        expected = max(furniture.grams.values(), default=0)
        assert pruned_count(having, every, total) == expected, (every, total, having)
