"""Incremental grouping (``storyline ingest --incremental``) and the embedding cache, on real SQLite stores
through the real pipeline: new articles join the right stored event and keep its id, a late article
re-opens a retired event, re-adding changes nothing, a batch and its events are stored together or not at
all, cached embeddings are the computed ones, and the sample corpus added in two halves stays close to the
batch result.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from storyline.config import Config
from storyline.evaluate.metrics import cluster_scores
from storyline.group.incremental import LiveEvents
from storyline.model import stable_id
from storyline.pipeline import ingest_incremental, ingest_paths, regroup, relink_stories
from storyline.store import SQLiteStore

SAMPLES = Path(__file__).resolve().parents[1] / "src" / "storyline" / "samples"
FAST = Config(fast=True)


def fire(n: int, day: str, outlet: str) -> dict[str, str]:
    return {"id": f"fire-{n}", "outlet": outlet, "date": day,
            "title": f"Fire at Nordline plant in Jekabpils kills {7 + n % 2} workers",
            "text": "A fire broke out at the Nordline chemical plant in Jekabpils on Monday, killing seven workers. "
                    "Firefighters said 23 people were taken to hospital with burns. Plant director Arvids Kalnins "
                    "said the blaze started in a storage hall. Investigators in Jekabpils are examining whether "
                    "safety rules were broken at the Nordline site."}


def strike(n: int, day: str, outlet: str) -> dict[str, str]:
    return {"id": f"strike-{n}", "outlet": outlet, "date": day,
            "title": "Dockers at Narva port walk out over pay",
            "text": "Dockers at the Narva port went on strike on Tuesday, demanding a 12 percent pay rise. Union "
                    "leader Maris Tammsalu said 400 members joined the walkout. Cargo traffic through Narva was "
                    "reduced to a minimum, port manager Olev Kask said."}


def election(n: int, day: str, outlet: str) -> dict[str, str]:
    return {"id": f"vote-{n}", "outlet": outlet, "date": day,
            "title": "Ulla Rebane wins mayoral vote in Tartu",
            "text": "Ulla Rebane won the mayoral election in Tartu on Sunday with 54 percent of the vote. Turnout "
                    "was 61 percent, the Tartu election commission said. The runner-up, Peeter Saar, conceded."}


def write(path: Path, records: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def events_table(store: SQLiteStore) -> list[tuple]:
    return [tuple(r) for r in store.conn.execute("SELECT id, title, start, end, size, outlets FROM events ORDER BY id")]


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """A store of two events (a fire in January, a strike in March), grouped by a full regroup."""
    db = tmp_path / "store.db"
    corpus = write(tmp_path / "base.jsonl", [fire(1, "2024-01-08T09:00", "Baltic Wire"),
                                             fire(2, "2024-01-08T15:00", "Northern Ledger"),
                                             strike(1, "2024-03-12T08:00", "Harbour Post"),
                                             strike(2, "2024-03-12T12:00", "Baltic Wire")])
    with SQLiteStore(db) as store:
        regroup(store, FAST, summary=ingest_paths([corpus], store, FAST))
        assert store.event_of("fire-1") == store.event_of("fire-2") != store.event_of("strike-1")
    return db


def test_new_articles_join_their_event_and_ids_stay(base: Path, tmp_path: Path) -> None:
    new = write(tmp_path / "new.jsonl", [strike(3, "2024-03-13T07:00", "Daily Meridian"),
                                         election(1, "2024-03-13T10:00", "Baltic Wire")])
    with SQLiteStore(base) as store:
        before = {aid: store.event_of(aid) for aid in store.article_ids()}
        summary = ingest_incremental([new], store, FAST)
        assert summary.new_articles == 2
        assert {aid: store.event_of(aid) for aid in before} == before  # nobody moved, no id changed
        strike_event = before["strike-1"]
        assert store.event_of("strike-3") == strike_event
        assert store.event_of("vote-1") == stable_id("e", "vote-1")  # unmatched: a new event of its own
        event = store.event(strike_event)
        assert event is not None and event.article_ids == ["strike-1", "strike-2", "strike-3"]
        assert event.outlets == ["Baltic Wire", "Daily Meridian", "Harbour Post"]
        assert store.conn.execute("SELECT size FROM events WHERE id = ?", (strike_event,)).fetchone()[0] == 3
        why = store.evidence(["strike-3"])["strike-3"]
        assert why["event_id"] == strike_event and why["similar_to"] in {"strike-1", "strike-2"}


def test_late_article_reopens_a_retired_event(base: Path, tmp_path: Path) -> None:
    config = Config(fast=True, horizon_days=10)
    with SQLiteStore(base) as store:
        fire_event = store.event_of("fire-1")
        live = LiveEvents(store, config)
        assert "fire-1" not in live.index and "strike-1" in live.index  # January is outside the hot window
        late = write(tmp_path / "late.jsonl", [fire(3, "2024-01-09T11:00", "Harbour Post")])
        ingest_incremental([late], store, config)
        assert store.event_of("fire-3") == fire_event
        event = store.event(fire_event)
        assert event is not None and event.article_ids == ["fire-1", "fire-2", "fire-3"]


def test_a_follow_up_naming_the_day_of_a_retired_event_joins_it(base: Path, tmp_path: Path) -> None:
    """Two months on, a trial names the day of the fire ("the January 8 fire"): the hot window let the fire go,
    so the follow-up finds it in the store around the day it names, as the batch grouping would join them."""
    config = Config(fast=True, horizon_days=10)
    trial = {"id": "fire-trial", "outlet": "Harbour Post", "date": "2024-03-14T10:00",
             "title": "Nordline plant director on trial over January 8 fire in Jekabpils",
             "text": "The trial of Nordline plant director Arvids Kalnins over the January 8 fire at the Nordline "
                     "chemical plant in Jekabpils, which killed seven workers, opened on Thursday. Prosecutors say "
                     "safety rules were broken in the storage hall where the blaze started; 23 people were taken to "
                     "hospital with burns. Investigators in Jekabpils examined the Nordline site for weeks."}
    with SQLiteStore(base) as store:
        fire_event = store.event_of("fire-1")
        ingest_incremental([write(tmp_path / "trial.jsonl", [trial])], store, config)
        assert store.event_of("fire-trial") == fire_event
        assert store.event_of("strike-1") != fire_event


def test_readding_is_a_noop(base: Path, tmp_path: Path) -> None:
    new = write(tmp_path / "new.jsonl", [strike(3, "2024-03-13T07:00", "Daily Meridian"),
                                         fire(3, "2024-01-09T11:00", "Harbour Post")])
    with SQLiteStore(base) as store:
        ingest_incremental([new], store, FAST)
        events, evidence = events_table(store), store.evidence(store.article_ids())
        meta = dict(store.conn.execute("SELECT key, value FROM meta").fetchall())
        again = ingest_incremental([new, tmp_path / "base.jsonl"], store, FAST)
        assert again.new_articles == 0 and again.already_stored == 6
        assert events_table(store) == events
        assert store.evidence(store.article_ids()) == evidence
        assert dict(store.conn.execute("SELECT key, value FROM meta").fetchall()) == meta


def test_a_failed_batch_leaves_neither_articles_nor_events(base: Path, tmp_path: Path) -> None:
    new = write(tmp_path / "new.jsonl", [strike(3, "2024-03-13T07:00", "Daily Meridian")])
    with SQLiteStore(base) as store:
        events = events_table(store)
        live = LiveEvents(store, FAST)

        def add_then_fail(articles: list) -> None:
            live.add(articles)
            raise RuntimeError("killed mid-batch")

        with pytest.raises(RuntimeError):
            ingest_paths([new], store, FAST, on_batch=add_then_fail)
        assert store.article("strike-3") is None and events_table(store) == events
        ingest_incremental([new], store, FAST)  # a fresh process picks it up
        assert store.event_of("strike-3") == store.event_of("strike-1")


def test_an_archive_is_grouped_in_date_order_whatever_the_order_of_its_lines(base: Path, tmp_path: Path) -> None:
    """Files are stored first and grouped oldest first: shuffling the lines of the input changes nothing."""
    import random
    import shutil

    records = [fire(3, "2024-01-09T11:00", "Harbour Post"), strike(3, "2024-03-13T07:00", "Daily Meridian"),
               election(1, "2024-05-19T22:00", "Baltic Wire"), election(2, "2024-05-20T06:00", "Northern Ledger"),
               strike(4, "2024-03-14T09:00", "Northern Ledger"), election(3, "2024-05-21T10:00", "Harbour Post")]
    tables = []
    for seed in (1, 2, 3):
        shuffled = records[:]
        random.Random(seed).shuffle(shuffled)
        db = shutil.copy(base, tmp_path / f"copy{seed}.db")
        with SQLiteStore(db) as store:
            summary = ingest_incremental([write(tmp_path / f"archive{seed}.jsonl", shuffled)], store,
                                         Config(fast=True, batch_size=2))
            assert summary.new_articles == 6
            tables.append((events_table(store), store.evidence(store.article_ids())))
            assert store.event_of("fire-3") == store.event_of("fire-1")
            assert store.event_of("strike-4") == store.event_of("strike-3") == store.event_of("strike-1")
            assert store.event_of("vote-1") == store.event_of("vote-2") == store.event_of("vote-3") == stable_id("e", "vote-1")
    assert tables[0] == tables[1] == tables[2]


def test_articles_stored_but_not_yet_grouped_are_grouped_by_the_next_run(base: Path, tmp_path: Path) -> None:
    """A run stopped after storing its files (before grouping them) leaves pending articles, not a stale store."""
    new = write(tmp_path / "new.jsonl", [strike(3, "2024-03-13T07:00", "Daily Meridian")])
    with SQLiteStore(base) as store:
        ingest_paths([new], store, FAST)  # stored, no event: what a run killed between the two phases leaves
        assert store.event_of("strike-3") is None
        LiveEvents(store, FAST)  # pending articles do not invalidate the incremental state
        summary = ingest_incremental([new], store, FAST)
        assert summary.new_articles == 0 and store.event_of("strike-3") == store.event_of("strike-1")
        assert store.conn.execute("SELECT count(*) FROM articles WHERE event_id IS NULL").fetchone()[0] == 0


def test_standard_input_is_grouped_batch_by_batch_as_it_arrives(base: Path, tmp_path: Path) -> None:
    """A live stream cannot wait for its end: each stored batch already has its events."""
    import io

    records = [strike(3, "2024-03-13T07:00", "Daily Meridian"), election(1, "2024-05-19T22:00", "Baltic Wire")]
    stdin = io.BytesIO("".join(json.dumps(r) + "\n" for r in records).encode())
    seen: list[tuple[str | None, bool]] = []
    with SQLiteStore(base) as store:
        original = LiveEvents.add

        def add_and_look(self: LiveEvents, articles: list) -> dict[str, str]:
            out = original(self, articles)  # the real grouping; this only looks at the store after it
            seen.extend((store.event_of(a.id), store.article("vote-1") is not None) for a in articles)
            return out

        LiveEvents.add = add_and_look  # type: ignore[method-assign]
        try:
            ingest_incremental(["-"], store, Config(fast=True, batch_size=1), stdin=stdin)
        finally:
            LiveEvents.add = original  # type: ignore[method-assign]
        # strike-3 had its event before the next line of input was even stored
        assert seen == [(store.event_of("strike-1"), False), (stable_id("e", "vote-1"), True)]


def test_a_store_without_incremental_state_is_regrouped_once(tmp_path: Path) -> None:
    db = tmp_path / "plain.db"
    with SQLiteStore(db) as store:
        ingest_paths([write(tmp_path / "a.jsonl", [fire(1, "2024-01-08T09:00", "A"), fire(2, "2024-01-08T15:00", "B")])],
                     store, FAST)  # stored, never grouped
        ingest_incremental([write(tmp_path / "b.jsonl", [fire(3, "2024-01-09T11:00", "C")])], store, FAST)
        assert store.event_of("fire-1") == store.event_of("fire-2") == store.event_of("fire-3") == stable_id("e", "fire-1")


def test_cached_embeddings_are_the_computed_ones(tmp_path: Path) -> None:
    from storyline.represent.embed import CachedEmbedder, Embedder
    from storyline.represent.pairs import Profiler

    records = [fire(1, "2024-01-08T09:00", "A"), fire(2, "2024-01-08T15:00", "B"), strike(1, "2024-03-12T08:00", "C")]
    config = Config(use_ner=False, extract_quotes=False)
    embedder = Embedder()
    with SQLiteStore(tmp_path / "emb.db") as store:
        ingest_paths([write(tmp_path / "a.jsonl", records)], store, config)
        articles = list(store.iter_articles())

        def vectors(cache: CachedEmbedder) -> np.ndarray:
            profiler = Profiler(cache)
            profiler.observe(articles)
            return np.stack([p.embedding for p in profiler.profiles(articles)])

        cold = CachedEmbedder(embedder, store)
        first = vectors(cold)
        assert (cold.hits, cold.misses) == (0, 3)
        rows = store.get_features(embedder.tag, [a.id for a in articles])
        assert len(rows) == 3 and all(len(data) == 16 + 4 * 512 for data in rows.values())
        warm = CachedEmbedder(embedder, store)
        second = vectors(warm)
        assert (warm.hits, warm.misses) == (3, 0)
        assert np.array_equal(first, second)  # bit for bit
        plain = Profiler(embedder)
        plain.observe(articles)
        assert np.allclose(np.stack([p.embedding for p in plain.profiles(articles)]), second, atol=1e-6)
        # another text for the same article (furniture found later, say) is a miss, not a stale vector
        text = warm.encode_articles(["fire-1"], ["Completely different text about a flood in Riga"])
        assert warm.misses == 1 and not np.allclose(text[0], second[0], atol=1e-3)

        # a regroup embeds each stored article once; the next one reads them all from the store
        regroup(store, config)
        grouped = store.event_assignments()
        count = store.conn.execute("SELECT count(*) FROM features WHERE kind = ?", (embedder.tag,)).fetchone()[0]
        regroup(store, config)
        assert store.event_assignments() == grouped
        assert count == 3


def test_incremental_with_embeddings(base: Path, tmp_path: Path) -> None:
    """The full path (embeddings, cached in the store) assigns like the fast one on clear cases."""
    config = Config(use_ner=False, extract_quotes=False)
    db = tmp_path / "full.db"
    with SQLiteStore(db) as store:
        regroup(store, config, summary=ingest_paths([tmp_path / "base.jsonl"], store, config))
        ingest_incremental([write(tmp_path / "new.jsonl", [strike(3, "2024-03-13T07:00", "Daily Meridian")])],
                           store, config)
        assert store.event_of("strike-3") == store.event_of("strike-1")
        tag = "emb:usem3:600:v1"
        assert store.conn.execute("SELECT count(*) FROM features WHERE kind = ?", (tag,)).fetchone()[0] == 5


def _sample_halves(tmp_path: Path) -> tuple[list[Path], list[Path]]:
    """The sample corpus's files in order of their first article's date, cut in two halves (a stream)."""
    files = sorted(p for p in (SAMPLES / "corpus").rglob("*") if p.is_file())
    with SQLiteStore(tmp_path / "dates.db") as store:
        ingest_paths(files, store, FAST)
        first: dict[str, str] = {}
        for origin, published in store.conn.execute("SELECT origin, published FROM articles"):
            path = origin if Path(origin).exists() else origin.rsplit(":", 1)[0]
            first[path] = min(first.get(path, "9999"), published or "9999")
    ordered = sorted(files, key=lambda f: (first.get(str(f), "9999"), str(f)))
    return ordered[: len(ordered) // 2], ordered[len(ordered) // 2 :]


def test_sample_corpus_in_two_halves_is_close_to_the_batch(tmp_path: Path) -> None:
    gold = {aid: event for event, ids in json.loads((SAMPLES / "gold.json").read_text("utf-8"))["events"].items()
            for aid in ids}
    older, newer = _sample_halves(tmp_path)
    with SQLiteStore(tmp_path / "batch.db") as store:
        regroup(store, FAST, summary=ingest_paths(older + newer, store, FAST))
        batch = {aid: store.event_of(aid) for aid in store.article_ids()}
    with SQLiteStore(tmp_path / "stream.db") as store:
        regroup(store, FAST, summary=ingest_paths(older, store, FAST))
        ingest_incremental(newer, store, FAST)
        stream = {aid: store.event_of(aid) for aid in store.article_ids()}
    assert sorted(stream) == sorted(batch) and all(stream.values())

    def f1(predicted: dict[str, str | None], reference: dict[str, str]) -> float:
        ids = sorted(reference)
        return cluster_scores([reference[i] for i in ids], [predicted[i] for i in ids])["bcubed_f1"]

    # measured 2026-11: 0.94 agreement with the batch; 0.78 against gold, as the batch itself (0.78). Since named
    # days (2026-11-27): 0.891 and 0.759 — the stream, greedy, puts "director charged over the April 17 fire" into the
    # fire's event (the charge names the fire's day), which the batch keeps apart (only one of the three charge
    # reports names the day, and the batch weighs all three against the fire). Since the time floor went from 0.35
    # to 0.30 (2026-11-28) the batch keeps the Valiukas verdict apart from the trial's opening four months earlier
    # (0.818 against gold); the halves cannot: one of the four verdict reports sits in Вечерний порт's
    # feed-2024.jsonl, whose first article puts the whole file in the older half, where that report alone joins the
    # trial's event; the other three arrive later and make their own. Agreement 0.902, the stream 0.759 against gold.
    # Batches settled by average linkage instead of one article at a time (2026-11-30): 0.951 and 0.779.
    assert f1(stream, batch) >= 0.94  # type: ignore[arg-type]
    assert f1(stream, gold) >= 0.77


def test_a_long_stream_keeps_only_the_hot_window_indexed() -> None:
    """Retired articles leave the postings and drop their text and vectors: memory follows the hot window."""
    import random
    from datetime import datetime, timedelta

    from storyline.group.events import EventIndex
    from storyline.model import Article, DateGuess

    rng = random.Random(5)
    towns = ["Riga", "Narva", "Tartu", "Kaunas", "Vilnius", "Parnu", "Liepaja", "Daugavpils"]
    index = EventIndex(Config(fast=True, horizon_days=5))
    start = datetime(2024, 1, 1)
    for n in range(1300):
        name = "".join(rng.choice("bdgklmnprstv") + rng.choice("aeiou") for _ in range(4)).capitalize()
        town = rng.choice(towns)
        when = start + timedelta(hours=8 * n)
        index.insert([Article(id=f"a{n:05d}", title=f"{name} fire in {town}", lang="en",
                              body=f"A fire at the {name} warehouse in {town} injured {n % 40} people, officials said.",
                              date=DateGuess(when, 1.0, "metadata", has_time=True))])
    hot = {i for posting in index._postings.values() for i in posting}
    assert len(index._hot) <= 5 * 3 + 2  # the window, plus one batch retired at the next insert
    assert len(hot) < 1100  # swept: postings hold the hot window and what retired since the last sweep
    assert index._articles[0].body == "" and index._profiles[0].vector == {}
    assert sum(len(e.article_ids) for e in index.events()) == 1300  # every article keeps its event


def test_a_store_backed_index_keeps_nothing_of_retired_articles(tmp_path: Path) -> None:
    """Backed by a store, a retired article leaves memory entirely (the store keeps it; a late one recalls it)."""
    from datetime import datetime, timedelta

    towns = ["Riga", "Narva", "Tartu", "Kaunas", "Vilnius", "Parnu"]
    start = datetime(2024, 1, 1)
    records = [{"id": f"a{n:04d}", "outlet": "Baltic Wire", "date": (start + timedelta(hours=12 * n)).isoformat(),
                "title": f"Warehouse fire number {n} in {towns[n % 6]}",
                "text": f"A fire at warehouse {n} in {towns[n % 6]} injured {n % 40} people, officials said."}
               for n in range(1300)]
    config = Config(fast=True, horizon_days=5, batch_size=100)
    with SQLiteStore(tmp_path / "long.db") as store:
        live = LiveEvents(store, config)
        ingest_paths([write(tmp_path / "long.jsonl", records)], store, config)
        assert live.catch_up(config.batch_size) == 1300
        kept = [a for a in live.index._articles if a is not None]
        # the hot window and what retired since the last sweep (swept per 1000), not a stub per article
        assert len(kept) < 1100 and live.index._articles[0] is None and live.index._profiles[0] is None
        assert store.conn.execute("SELECT count(*) FROM articles WHERE event_id IS NULL").fetchone()[0] == 0
        sizes = store.conn.execute("SELECT sum(size) FROM events").fetchone()[0]
        assert sizes == 1300  # every article counted in its event, retired or not


class _Cycle:
    """An object that refers to itself: only the cyclic collector can free it."""

    def __init__(self) -> None:
        self.me = self


def test_batches_freeze_the_heap_and_a_thaw_frees_what_they_left(base: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The index's long-lived state is kept out of full collections between batches, but a cycle left behind is
    freed at the next thaw (every THAW_EVERY articles, and at checkpoint): frozen, never leaked."""
    import gc
    import weakref

    from storyline.group import incremental

    gc.unfreeze()  # whatever an earlier test left frozen
    new = [write(tmp_path / f"new{k}.jsonl", [strike(3 + k, f"2024-03-1{3 + k}T07:00", "Daily Meridian")])
           for k in range(3)]
    with SQLiteStore(base) as store:
        live = LiveEvents(store, FAST)
        ingest_paths([new[0]], store, FAST, on_batch=live.add)
        assert gc.get_freeze_count() > 0
        gc.disable()  # no automatic collection before the batch ends: the cycle is then frozen with its state
        try:
            garbage = _Cycle()
            alive = weakref.ref(garbage)
            del garbage
            ingest_paths([new[1]], store, FAST, on_batch=live.add)
        finally:
            gc.enable()
        gc.collect()
        assert alive() is not None  # frozen: out of reach of a full collection
        monkeypatch.setattr(incremental, "THAW_EVERY", 1)
        ingest_paths([new[2]], store, FAST, on_batch=live.add)
        assert alive() is None  # thawed and collected
        assert store.event_of("strike-5") == store.event_of("strike-1")
        live.checkpoint()
        assert gc.get_freeze_count() == 0


def test_a_dropped_live_index_is_freed_at_once_and_leaves_the_heap_thawed(base: Path, tmp_path: Path) -> None:
    """Without a checkpoint, dropping LiveEvents frees its index (no reference cycle, so no frozen leak) and
    thaws the heap it froze."""
    import gc
    import weakref

    gc.unfreeze()
    new = write(tmp_path / "new.jsonl", [strike(3, "2024-03-13T07:00", "Daily Meridian")])
    with SQLiteStore(base) as store:
        live = LiveEvents(store, FAST)
        ingest_paths([new], store, FAST, on_batch=live.add)
        index = weakref.ref(live.index)
        assert gc.get_freeze_count() > 0 and store.event_of("strike-3") == store.event_of("strike-1")
        del live
        assert index() is None
        assert gc.get_freeze_count() == 0


def test_cli_ingest_incremental_then_regroup(base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from storyline.cli import main

    new = write(tmp_path / "new.jsonl", [strike(3, "2024-03-13T07:00", "Daily Meridian")])
    assert main(["ingest", str(new), "--db", str(base), "--fast", "--incremental"]) == 0
    assert "1 new article," in capsys.readouterr().out
    with SQLiteStore(base) as store:
        assert store.event_of("strike-3") == store.event_of("strike-1")
    assert main(["regroup", "--db", str(base), "--fast"]) == 0
    with SQLiteStore(base) as store:
        assert store.event_of("strike-3") == store.event_of("strike-1") == stable_id("e", "strike-1")


def test_gva_grouped_incrementally_stays_close_to_the_batch_floors(data_dir: Path, tmp_path: Path) -> None:
    """The archive path (store, then group oldest first) on a public labelled stream, with embeddings.

    Measured 2026-11-27 with named days: BCubed F1 0.9078, pairwise F1 0.7314 (before them 0.9039 / 0.7148; the
    batch regroup: 0.9206 / 0.7808). 2026-11-28, time floor 0.35 → 0.30 and recall factor 0.65 → 0.67: 0.9074 /
    0.7254 (the batch: 0.9229 / 0.7775); floors are those minus 0.005, as in the eval gate (pairwise lowered from
    0.726 with that change: the stream, greedy, gains nothing from the lower floor and loses a few late joins).
    Counted things (a pair counting the same things differently × 0.6): 0.9136 / 0.7420 (the batch: 0.9268 / 0.7889).
    Names across languages gated by the embedding: 0.9137 / 0.7421 (the batch: 0.9270 / 0.7903).
    Near-copies marked before each batch is grouped (2026-11-29): 0.9133 / 0.7408. A batch settled by average
    linkage instead of one article at a time (2026-11-30): 0.9168 / 0.7502; a follow-up naming the day of an event
    the hot window let go looks for it in the store around that day: 0.9210 / 0.7635.
    """
    from storyline.evaluate.datasets import iter_records, record_document

    source = data_dir / "gva" / "docs.jsonl"
    if not source.exists():
        pytest.skip(f"{source} is absent")
    gold = {record_document(r, "").doc_id: r["incident_id"] for r in iter_records(source)}
    config = Config(use_ner=False, extract_quotes=False)  # grouping does not use them
    with SQLiteStore(tmp_path / "gva.db") as store:
        ingest_incremental([source], store, config)
        predicted = store.event_assignments()
    ids = sorted(gold)
    scores = cluster_scores([gold[i] for i in ids], [predicted.get(i) or i for i in ids], chance_adjusted=False)
    print({k: round(v, 4) for k, v in scores.items()})
    assert scores["bcubed_f1"] >= 0.916 and scores["pairwise_f1"] >= 0.758


def test_search_index_merges_are_deferred_to_the_end_of_the_run(base: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A live stream's articles do not pay for full-text index merges; the run ends by doing them (and
    re-enabling them). An archive is stored with merging on."""
    import io

    def automerge(store: SQLiteStore) -> int | None:
        row = store.conn.execute("SELECT v FROM search_fts_config WHERE k = 'automerge'").fetchone()
        return None if row is None else int(row[0])

    seen: list[int | None] = []
    with SQLiteStore(base) as store:
        original = LiveEvents.add

        def add_and_look(self: LiveEvents, articles: list, *fed: object) -> dict[str, str]:
            seen.append(automerge(store))
            return original(self, articles, *fed)

        monkeypatch.setattr(LiveEvents, "add", add_and_look)
        stdin = io.BytesIO((json.dumps(strike(3, "2024-03-13T07:00", "Daily Meridian")) + "\n").encode())
        ingest_incremental(["-"], store, FAST, stdin=stdin)
        ingest_incremental([write(tmp_path / "new.jsonl", [strike(4, "2024-03-14T07:00", "Baltic Wire")])],
                           store, FAST)
        assert seen == [0, 4]  # the stream's batch with merges off; the archive's with merges on
        assert automerge(store) == 4
        refs = {r[0] for r in store.conn.execute("SELECT ref FROM search_fts WHERE search_fts MATCH 'Tammsalu'")}
        assert refs == {"strike-1", "strike-2", "strike-3", "strike-4"}  # the new articles are searchable


def generate(docs: int, seed: int) -> list[dict[str, str]]:
    """The benchmark's synthetic EN/RU stream (``bench/generate.py``)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from generate import generate as stream

    return list(stream(docs, seed=seed))


@pytest.fixture
def feeds(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """The arguments of every :class:`ProfileFeed` started (the real one, counted)."""
    from storyline.group import incremental

    started: list[tuple] = []
    real_feed = incremental.ProfileFeed

    def counted_feed(*args: object, **kwargs: object) -> incremental.ProfileFeed:
        started.append(args)
        return real_feed(*args, **kwargs)

    monkeypatch.setattr(incremental, "ProfileFeed", counted_feed)
    return started


def _store_tables(store: SQLiteStore) -> list[list[tuple]]:
    """Everything incremental grouping writes: events, assignments, evidence, postings, frequencies, state."""
    queries = ["SELECT id, event_id, duplicate_of FROM articles ORDER BY id", "SELECT * FROM events ORDER BY id",
               "SELECT * FROM event_evidence ORDER BY article_id", "SELECT * FROM postings ORDER BY term, day, article_id",
               "SELECT * FROM term_df ORDER BY term", "SELECT article_id, kind, data FROM features ORDER BY article_id, kind",
               "SELECT * FROM meta WHERE key LIKE 'term_df%' OR key LIKE 'incremental%' ORDER BY key"]
    return [[tuple(r) for r in store.conn.execute(q)] for q in queries]


@pytest.mark.parametrize("embeddings", [False, True], ids=["fast", "embeddings"])
def test_a_profile_feed_in_a_second_process_gives_the_same_grouping(tmp_path: Path, feeds: list[tuple],
                                                                    embeddings: bool) -> None:
    """With two workers an archive's profiles are computed one batch ahead in another process: same store.

    Two archives one after the other through one LiveEvents (the second feed starts from the furniture counts
    the first handed back), then a late article, which the feed must leave to the in-process path. With
    embeddings the feed runs its own model and the grouping process writes the cache rows it computed.
    """
    from storyline.pipeline import Models


    records = sorted(generate(2400, seed=11), key=lambda r: (r["date"], r["id"]))
    older, newer = records[:1200], records[1200:]
    late = dict(older[0], id="late-copy", title=older[0]["title"] + " (update)")
    tables = []
    for workers in (1, 2):
        config = (Config(use_ner=False, extract_quotes=False, workers=workers, batch_size=128) if embeddings
                  else Config(fast=True, workers=workers, batch_size=128))
        with SQLiteStore(tmp_path / f"workers{workers}.db") as store:
            live = LiveEvents(store, config, Models(config).embedder)
            for name, part in (("older", older), ("newer", newer), ("late", [late])):
                ingest_paths([write(tmp_path / f"{name}.jsonl", part)], store, config)
                assert live.catch_up(config.batch_size) == len(part)
            assert store.event_of("late-copy") is not None
            tables.append(_store_tables(store))
        assert len(feeds) == (0 if workers == 1 else 2)  # one feed per archive; none for one late article
    assert tables[0] == tables[1]
    assert len(tables[0][1]) > 100 and all(event for _, event, _ in tables[0][0])
    assert sum(copy is not None for _, _, copy in tables[0][0]) > 50  # copies marked by the feed as in one process
    assert len(tables[0][5]) == (2401 if embeddings else 0)  # every article's vector cached, once


def test_killing_a_run_while_its_profile_feed_runs_leaves_no_process_and_loses_nothing(tmp_path: Path) -> None:
    """SIGKILL of ``storyline ingest --incremental --workers 2`` during grouping: the feed process ends by itself
    (it does not wait forever on a queue nobody reads) and the next run groups what was left."""
    import os
    import signal
    import subprocess
    import sys
    import time

    def children_of(pid: int) -> set[int]:
        return {int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()}

    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return Path(f"/proc/{pid}/stat").exists() and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"

    corpus = write(tmp_path / "archive.jsonl", generate(6000, seed=3))
    db = tmp_path / "killed.db"
    command = [sys.executable, "-m", "storyline.cli", "ingest", str(corpus), "--db", str(db), "--fast",
               "--incremental", "--workers", "2"]
    run = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    grouped, children = 0, set()
    deadline = time.monotonic() + 120
    while run.poll() is None and not grouped and time.monotonic() < deadline:
        time.sleep(0.05)
        children |= children_of(run.pid)
        if db.exists():
            try:
                with SQLiteStore(db, readonly=True, timeout=0.1) as store:
                    grouped = store.conn.execute("SELECT count(*) FROM articles WHERE event_id IS NOT NULL").fetchone()[0]
            except Exception:  # noqa: BLE001 - mid-migration or locked: look again
                grouped = 0
    assert run.poll() is None, "the run ended before it could be killed while grouping"
    feeding = children_of(run.pid)
    run.send_signal(signal.SIGKILL)
    run.wait()
    assert feeding, "no child process (the profile feed) while grouping"
    children |= feeding

    deadline = time.monotonic() + 15
    while any(alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(pid) for pid in children)
    with SQLiteStore(db) as store:
        left = store.conn.execute("SELECT count(*) FROM articles WHERE event_id IS NULL").fetchone()[0]
        assert grouped > 0 and store.count_articles() == 6000
        summary = ingest_incremental([corpus], store, Config(fast=True, workers=2))
        assert summary.new_articles == 0 and left > 0
        assert store.conn.execute("SELECT count(*) FROM articles WHERE event_id IS NULL").fetchone()[0] == 0


def test_an_in_memory_store_with_two_workers_is_grouped_without_a_feed(tmp_path: Path) -> None:
    """A feed process cannot open another process's ``:memory:`` database: such a store groups in one process."""
    archive = write(tmp_path / "archive.jsonl", generate(600, seed=2))
    with SQLiteStore(":memory:") as store:
        summary = ingest_incremental([archive], store, Config(fast=True, workers=2, batch_size=128))
        assert summary.new_articles == 600
        assert store.conn.execute("SELECT count(*) FROM articles WHERE event_id IS NULL").fetchone()[0] == 0


def test_a_profile_feed_after_a_restart_starts_from_the_seeded_hot_window(tmp_path: Path, feeds: list[tuple]) -> None:
    """A new run over a grouped store seeds its index (and furniture counts) from the hot window; the feed starts
    from that state: grouping the next archive with two workers gives what one process gives."""
    records = sorted(generate(2000, seed=13), key=lambda r: (r["date"], r["id"]))
    older = write(tmp_path / "older.jsonl", records[:1000])
    newer = write(tmp_path / "newer.jsonl", records[1000:])
    tables = []
    for workers in (1, 2):
        with SQLiteStore(tmp_path / f"restart{workers}.db") as store:
            ingest_incremental([older], store, Config(fast=True, batch_size=128))
            hot = LiveEvents(store, FAST).index  # what the next run is seeded with
            assert len(hot.profiler.furniture.grams) > 0 and hot.clock > -np.inf
            ingest_incremental([newer], store, Config(fast=True, workers=workers, batch_size=128))
            tables.append(_store_tables(store))
        assert len(feeds) == workers - 1  # the second run of the two-worker store had a feed
    assert tables[0] == tables[1]


def _copies(store: SQLiteStore) -> dict[str, str]:
    return dict(store.conn.execute("SELECT id, duplicate_of FROM articles WHERE duplicate_of IS NOT NULL"))


def test_an_archive_grouped_incrementally_marks_the_copies_a_regroup_marks(tmp_path: Path) -> None:
    """Syndicated copies are marked as they are grouped, not left to a regroup: the same origins (copies of the
    synthetic stream lie within the hot window), and each copy in its origin's event."""
    archive = write(tmp_path / "archive.jsonl", generate(2400, seed=5))
    with SQLiteStore(tmp_path / "stream.db") as store:
        ingest_incremental([archive], store, Config(fast=True, batch_size=128))
        marked = _copies(store)
        assert len(marked) > 50
        assert all(store.event_of(copy) == store.event_of(origin) for copy, origin in marked.items())
        regroup(store, FAST)
        assert _copies(store) == marked


def test_a_late_original_takes_over_its_stored_copies(tmp_path: Path) -> None:
    """Out of order on the live path: two reprints stored first, then the wire story they reprint (earlier by
    date), then another reprint. The original becomes the root of all three, in the store as in a regroup."""
    story = fire(0, "2024-01-08T09:00", "Baltic Wire")
    story["text"] += (" The plant employs about 900 people and makes fertiliser for farms in Latvia and Lithuania;"
                      " production was halted until the inspection ends, the company said in a statement.")
    reprints = [dict(story, id=f"reprint-{n}", outlet=outlet, date=day, text=story["text"] + f" Source: {outlet}.")
                for n, outlet, day in ((1, "Northern Ledger", "2024-01-08T15:00"), (2, "Harbour Post", "2024-01-09T08:00"),
                                       (3, "Daily Dvina", "2024-01-10T08:00"))]
    with SQLiteStore(tmp_path / "live.db") as store:
        for part in ([reprints[0], reprints[1]], [story], [reprints[2]]):  # three runs, each a restart
            ingest_incremental([write(tmp_path / "part.jsonl", part)], store, Config(fast=True))
        assert _copies(store) == {f"reprint-{n}": "fire-0" for n in (1, 2, 3)}
        assert len({store.event_of(a) for a in ("fire-0", "reprint-1", "reprint-2", "reprint-3")}) == 1
        regroup(store, FAST)
        assert _copies(store) == {f"reprint-{n}": "fire-0" for n in (1, 2, 3)}


_UNMENTIONED = "SELECT key FROM entities WHERE key NOT IN (SELECT entity_key FROM mentions) ORDER BY key"


def _same_statement(store: SQLiteStore) -> set[tuple[str, str]]:
    """Pairs of quotes the store puts in one statement."""
    members: dict[str, list[str]] = {}
    for quote, statement in store.conn.execute("SELECT id, statement_id FROM quotes WHERE statement_id IS NOT NULL"):
        members.setdefault(statement, []).append(quote)
    return {(a, b) for ids in members.values() for a in ids for b in ids if a < b}


def _mention_keys(store: SQLiteStore) -> dict[tuple[str, int, int], str]:
    return {(a, s, e): k for a, s, e, k in store.conn.execute("SELECT article_id, start, end, entity_key FROM mentions")}


def test_a_streams_names_are_reconciled_with_the_stores(sample_store_path: Path, tmp_path: Path) -> None:
    """The sample corpus in two halves, real NER: entity keys and speakers as the store-wide regroup gives them.

    Measured: all 471 mentions and 161 speakers. Before the incremental path reconciled names, 333 of 471 mentions
    and 117 of 161 quote speakers had the regroup's key ("Андрис Калниньш" stayed per:andris kalninsh beside the
    English per:andris kalnins).
    """
    older, newer = _sample_halves(tmp_path)
    with SQLiteStore(sample_store_path) as reference:
        expected = _mention_keys(reference)
        speakers = dict(reference.conn.execute("SELECT id, speaker FROM quotes").fetchall())
        statements = _same_statement(reference)
        keys = {r[0] for r in reference.conn.execute("SELECT key FROM entities")}
        unmentioned = reference.conn.execute(_UNMENTIONED).fetchall()
        reference_entities = reference.entities()
    with SQLiteStore(tmp_path / "stream.db") as store:
        ingest_incremental(older, store, Config())
        ingest_incremental(newer, store, Config())
        got = _mention_keys(store)
        got_speakers = dict(store.conn.execute("SELECT id, speaker FROM quotes").fetchall())
        got_keys = {r[0] for r in store.conn.execute("SELECT key FROM entities")}
        orphans = store.conn.execute(_UNMENTIONED).fetchall()
        got_statements = _same_statement(store)
        unassigned = store.conn.execute("SELECT count(*) FROM quotes WHERE statement_id IS NULL").fetchone()[0]
        regroup(store, Config())  # and the store-wide reconciliation leaves exactly the reference's names
        assert _mention_keys(store) == expected and store.entities() == reference_entities
    same = sum(got.get(place) == key for place, key in expected.items())
    assert same >= 0.98 * len(expected), sorted({(k, str(got.get(p))) for p, k in expected.items() if got.get(p) != k})
    assert sum(got_speakers.get(q) == s for q, s in speakers.items()) >= 0.98 * len(speakers)
    assert len(got_keys ^ keys) <= 3
    assert orphans == unmentioned  # no entity row left behind by a rewritten name (a speaker's may have no mention)
    # quotes rendering one utterance (trimmed, translated) share a statement as in the regroup: measured all 95 pairs
    # and no other (none before: the incremental path left statements to the next regroup)
    assert unassigned == 0 and len(got_statements & statements) >= 0.95 * len(statements)
    assert len(got_statements - statements) <= 0.05 * len(statements)


def test_a_later_article_joins_a_name_across_languages_and_the_stored_one_follows(tmp_path: Path) -> None:
    """Batches of one (a live stream): a Russian report first, the English one later, then a lone surname."""
    import io

    records = [
        {"id": "ru-1", "date": "2024-02-01T09:00", "outlet": "Балтийский вестник",
         "title": "Андрис Калниньш ушёл в отставку",
         "text": "Мэр Екабпилса Андрис Калниньш в четверг объявил об отставке. «Я ухожу, чтобы город двигался "
                 "дальше», — сказал Андрис Калниньш журналистам."},
        {"id": "en-1", "date": "2024-02-01T15:00", "outlet": "Baltic Wire",
         "title": "Jekabpils mayor Andris Kalnins resigns",
         "text": "Jekabpils mayor Andris Kalnins resigned on Thursday. \"I am leaving so the city can move on,\" "
                 "Andris Kalnins told reporters."},
        {"id": "en-2", "date": "2024-02-02T10:00", "outlet": "Northern Ledger",
         "title": "Council to choose new Jekabpils mayor",
         "text": "The city council will choose a successor next week. \"The decision was mine alone,\" Kalnins "
                 "said on Friday."},
    ]
    stdin = io.BytesIO("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode())
    with SQLiteStore(tmp_path / "live.db") as store:
        ingest_incremental(["-"], store, Config(batch_size=1), stdin=stdin)
        people = {aid: sorted(k for (a, _, _), k in _mention_keys(store).items() if a == aid and k.startswith("per:"))
                  for aid in ("ru-1", "en-1", "en-2")}
        speakers = {q.article_id: q.speaker for q in store.quotes()}
        statements = {q.article_id: q.statement_id for q in store.quotes()}
        first_quote = store.quotes(article_id="ru-1")[0].id
        entity_keys = {e.key for e in store.entities()}
    assert people["ru-1"] == people["en-1"] == ["per:andris kalnins"] * len(people["en-1"]) != []
    assert set(people["en-2"]) == {"per:andris kalnins"}  # the lone surname, from the stored full name
    assert speakers == {"ru-1": "per:andris kalnins", "en-1": "per:andris kalnins", "en-2": "per:andris kalnins"}
    assert "per:andris kalninsh" not in entity_keys  # the Russian article's own key was dropped with it
    # the English rendering of the Russian quote joins its statement, which keeps the id it was stored with
    assert statements["en-1"] == statements["ru-1"] == stable_id("st", first_quote) != statements["en-2"]


def test_an_abbreviation_keeps_the_name_the_store_spelled_it_out_as(tmp_path: Path) -> None:
    """Batches of one, real NER: a company spelled out once, then "KTG" alone, then its full name alone (whose
    stored neighbours say only "KTG"): one entity throughout, as the regroup gives it."""
    import io

    records = [
        {"id": "a-spelled", "date": "2024-03-01T09:00", "outlet": "Baltic Wire", "title": "Dockers strike in Riga",
         "text": "Dockers at the Port of Riga walked out on Monday. Kundzinsala Terminal Group (KTG), which runs "
                 "the container terminal, said the strike was illegal."},
        {"id": "b-alone", "date": "2024-03-02T09:00", "outlet": "Northern Ledger", "title": "KTG raises offer",
         "text": "KTG raised its pay offer to 9% on Tuesday. KTG chief executive Ilze Berzina said the company "
                 "could go no further."},
        *({"id": f"c-alone-{day}", "date": f"2024-03-0{day}T09:00", "outlet": "Coastline Times",
           "title": f"Talks resume, day {day}",
           "text": f"Talks resumed on day {day} of the strike. KTG said it expected a deal within days."}
          for day in (3, 4, 5, 6)),  # the full name's four newest neighbours (NEIGHBOURS) spell nothing out
        {"id": "d-full", "date": "2024-03-07T09:00", "outlet": "Harbour Post", "title": "Deal signed at the port",
         "text": "Kundzinsala Terminal Group signed a two-year pay agreement with the dockers on Thursday."},
    ]
    stdin = io.BytesIO("".join(json.dumps(r) + "\n" for r in records).encode())
    config = Config(use_embeddings=False, batch_size=1)
    with SQLiteStore(tmp_path / "live.db") as store:
        ingest_incremental(["-"], store, config, stdin=stdin)
        streamed = {aid: sorted({k for (a, _, _), k in _mention_keys(store).items() if a == aid and k.startswith("org:")})
                    for aid in [r["id"] for r in records]}
        regroup(store, config)
        regrouped = {aid: sorted({k for (a, _, _), k in _mention_keys(store).items() if a == aid and k.startswith("org:")})
                     for aid in streamed}
        company = store.entity("org:kundzinsala terminal group")
    assert streamed == regrouped == dict.fromkeys(streamed, ["org:kundzinsala terminal group"]), (streamed, regrouped)
    assert company is not None and company.name == "Kundzinsala Terminal Group" and "KTG" in company.aliases


def test_a_quote_that_renders_two_stored_statements_joins_them_in_the_store(tmp_path: Path) -> None:
    """Batches of one: two outlets quote two halves of a remark (two statements), a third quotes it whole. The
    store then holds one statement under the first quote's id, as a regroup gives it."""
    import io

    first = "Nobody will be allowed to talk to Latvia from a position of force"
    second = "We are ready to see our neighbours as partners, but they are not ready for that"
    records = [
        {"id": "half-1", "date": "2024-02-01T09:00", "outlet": "Baltic Wire", "title": "Minister rejects pressure",
         "text": f"Foreign minister Karlis Ozols spoke to reporters in Riga on Thursday. \"{first},\" Ozols said."},
        {"id": "half-2", "date": "2024-02-01T12:00", "outlet": "Northern Ledger", "title": "Ozols on neighbours",
         "text": f"Latvia's foreign minister Karlis Ozols commented on the talks. \"{second},\" Ozols said."},
        {"id": "whole", "date": "2024-02-01T18:00", "outlet": "Harbour Post", "title": "Ozols: no talks under pressure",
         "text": f"Karlis Ozols, the foreign minister, was blunt on Thursday. \"{first}. {second},\" Ozols said."},
    ]
    stdin = io.BytesIO("".join(json.dumps(r) + "\n" for r in records).encode())
    config = Config(use_embeddings=False, batch_size=1)
    with SQLiteStore(tmp_path / "live.db") as store:
        ingest_incremental(["-"], store, config, stdin=stdin)
        statements = {q.article_id: q.statement_id for q in store.quotes()}
        first_quote = store.quotes(article_id="half-1")[0].id
        regroup(store, config)
        regrouped = {q.article_id: q.statement_id for q in store.quotes()}
    assert statements == regrouped == dict.fromkeys(("half-1", "half-2", "whole"), stable_id("st", first_quote))


def test_stories_are_linked_over_a_streams_events_without_touching_them(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """``storyline regroup --stories-only`` on a store grown incrementally: every event in one story, event ids and
    members as they were, headlines and summaries written, and the next incremental run goes on from there.
    Stories against the sample's gold, measured: 0.9643 here (``--fast``, as a regroup's stories with ``--fast``:
    without entities two warehouse fires in two towns are one story); the whole corpus as one archive with the
    full pipeline 1.0, as a regroup, although the stream's events score 0.80 against the regroup's 0.92."""
    import sys

    from storyline.cli import main

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from test_sample_gold import _gold_labels, _score

    db = tmp_path / "stream.db"
    files = sorted(p for p in (SAMPLES / "corpus").rglob("*") if p.is_file())
    with SQLiteStore(db) as store:
        ingest_incremental(files[:-3], store, FAST)
        before, events_before = store.event_assignments(), events_table(store)
        assert store.stories() == [] and all(e.story_id is None for e in store.events())
    assert main(["regroup", "--stories-only", "--db", str(db)]) == 0
    assert f"{len(events_before)} events" in capsys.readouterr().out
    with SQLiteStore(db) as store:
        assert store.event_assignments() == before
        assert [(r[0], r[2], r[3], r[4], r[5]) for r in events_table(store)] == \
            [(r[0], r[2], r[3], r[4], r[5]) for r in events_before]  # only the headline may change
        events = store.events()
        stories = store.stories()
        assert sorted(e for s in stories for e in s.event_ids) == sorted(e.id for e in events)
        assert all(e.story_id and e.summary for e in events)
        ingest_incremental(files[-3:], store, FAST)  # the incremental state is still valid
        assert store.conn.execute("SELECT count(*) FROM articles WHERE event_id IS NULL").fetchone()[0] == 0
        relink_stories(store, FAST)
        story_of = {e.id: e.story_id for e in store.events()}
        predicted = {a: story_of[e] for a, e in store.event_assignments().items()}
    _, gold_stories = _gold_labels()
    assert _score(gold_stories, predicted)["bcubed_f1"] >= 0.96


def test_stories_linked_alone_over_a_regroups_events_are_the_regroups(tmp_path: Path) -> None:
    """``--stories-only`` is the regroup's story linking: over the events a regroup stored it gives its stories."""
    with SQLiteStore(tmp_path / "regrouped.db") as store:
        regroup(store, FAST, summary=ingest_paths([SAMPLES / "corpus"], store, FAST))
        stories = [(s.id, s.title, s.event_ids) for s in store.stories()]
        titles = [(e.id, e.title, e.summary) for e in store.events()]
        relink_stories(store, FAST)
        assert [(s.id, s.title, s.event_ids) for s in store.stories()] == stories and len(stories) > 5
        assert [(e.id, e.title, e.summary) for e in store.events()] == titles


def test_ingest_incremental_with_stories_links_them_as_stories_only_does(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """``ingest --incremental --stories``: the run ends with ``regroup --stories-only``'s linking, so a stream's
    store has stories without a second command; ``--stories`` alone is refused (every other run links them)."""
    from storyline.cli import main

    files = [str(p) for p in sorted(p for p in (SAMPLES / "corpus").rglob("*") if p.is_file())]
    linked, later = tmp_path / "linked.db", tmp_path / "later.db"
    assert main(["ingest", *files[:-3], "--incremental", "--fast", "--stories", "--db", str(linked)]) == 0
    assert main(["ingest", *files[-3:], "--incremental", "--fast", "--stories", "--db", str(linked)]) == 0
    assert main(["ingest", *files[:-3], "--incremental", "--fast", "--db", str(later)]) == 0
    assert main(["ingest", *files[-3:], "--incremental", "--fast", "--db", str(later)]) == 0
    with SQLiteStore(later) as store:
        assert store.stories() == []
    assert main(["regroup", "--stories-only", "--fast", "--db", str(later)]) == 0  # as the ingests: no embeddings
    capsys.readouterr()
    with SQLiteStore(linked) as one, SQLiteStore(later) as other:
        assert one.event_assignments() == other.event_assignments()
        stories = [(s.id, s.event_ids) for s in one.stories()]
        assert stories == [(s.id, s.event_ids) for s in other.stories()] and len(stories) > 5
        assert all(e.story_id for e in one.events())
    assert main(["ingest", *files[:2], "--stories", "--fast", "--db", str(tmp_path / "x.db")]) == 1
    assert "--stories goes with --incremental" in capsys.readouterr().err


def test_the_benchmarks_grouping_alone_is_the_archive_paths_grouping(tmp_path: Path) -> None:
    """``bench/compare.py``'s like-for-like row (the grouping over cleaned articles, no store) must time what
    ``ingest --incremental`` does, or its comparison with the baselines means nothing: same events, same ids."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from compare import _articles, _group_only

    corpus = write(tmp_path / "stream.jsonl", generate(1500, seed=5))
    with SQLiteStore(tmp_path / "s.db") as store:
        ingest_incremental([corpus], store, FAST)
        stored = store.event_assignments()
    grouped = _group_only(_articles(corpus))
    sizes = Counter(grouped.values())
    assert len(sizes) > 100 and max(sizes.values()) > 2  # events of several articles, not one per article
    assert grouped == stored
