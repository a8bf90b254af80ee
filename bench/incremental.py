"""Latency of adding one article to a big store: ``python bench/incremental.py --store-docs N [--fast] [--json]``.

Generates ``N + --add + --late`` synthetic articles (``bench/generate.py``, not timed). The ``--add`` newest
(by date) are held out as fresh news, ``--late`` random older ones as late arrivals (mostly older than
``horizon_days``, so they exercise the store-backed re-opening of retired events); the other ``N`` build a
store (in a child process, cached under ``--workdir`` and reused): by ingest + regroup up to 200k articles, in
date order through the incremental path above that (``--build``; a regroup of a million needs more memory than a
laptop has).
Each run works on a copy of the cached store, opens :class:`storyline.group.incremental.LiveEvents` once
(startup: the hot window) and adds the held-out articles one at a time through the incremental path
(``storyline ingest --incremental``: clean, extract, annotate, store, assign, commit). It prints p50/p99/max
latency per article (total and the grouping part), startup time, RSS, and how often an added article joined
the event that holds its gold event's stored articles.

``--fast`` adds and builds with ``Config(fast=True)``. Without it articles are added with the full pipeline
(embeddings, NER, quotes); the store is built with embeddings but without NER and quotes (which do not
change the grouping) to keep the build affordable.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate  # noqa: E402
from storyline.config import Config  # noqa: E402
from storyline.ingest.records import record_to_document  # noqa: E402
from storyline.store import SQLiteStore  # noqa: E402


def configs(fast: bool) -> tuple[Config, Config]:
    """(config that builds the store, config that adds articles)."""
    if fast:
        return Config(fast=True), Config(fast=True)
    return Config(use_ner=False, extract_quotes=False), Config()


def split(n: int, add: int, late: int, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """(store records, fresh records in date order, late records).

    The generator's last dates are a sparse tail (stories continued past its span), so 5 % more articles are
    generated and the newest are dropped: "now" falls where news is as dense as anywhere, and the hot window
    holds a month of it.
    """
    records = list(generate(int((n + add + late) * 1.05) + 50, seed=seed))
    by_date = sorted(range(len(records)), key=lambda i: (records[i]["date"], records[i]["id"]))
    fresh = by_date[n + late : n + late + add]
    rest = by_date[: n + late]
    rng = random.Random(seed)
    late_ids = set(rng.sample(rest, late)) if late else set()
    return ([records[i] for i in sorted(rest) if i not in late_ids], [records[i] for i in fresh],
            [records[i] for i in sorted(late_ids)])


def build(n: int, add: int, late: int, fast: bool, seed: int, db: Path, how: str) -> None:
    """The store of ``n`` articles (runs in a child process: its memory is not the measured one's).

    ``how="batch"``: ingest, then one regroup (the reference grouping; its memory grows with ``n``: about 3 GB
    at 100k in fast mode). ``how="incremental"``: the articles in date order through ``ingest --incremental``
    (bounded memory, what a million needs on a laptop).
    """
    from storyline.pipeline import ingest_incremental, ingest_paths, regroup

    stored, _, _ = split(n, add, late, seed)
    if how == "incremental":
        stored.sort(key=lambda r: (r["date"], r["id"]))
    corpus = db.with_suffix(".jsonl")
    with corpus.open("w", encoding="utf-8") as handle:
        for record in stored:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    del stored  # the build's peak RSS is then the pipeline's
    partial = db.with_name(db.name + ".partial")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    config = configs(fast)[0]
    started = time.perf_counter()
    with SQLiteStore(partial) as store:
        if how == "incremental":
            ingest_incremental([corpus], store, config)
        else:
            summary = ingest_paths([corpus], store, config)
            regroup(store, config, summary=summary)
        ingested = time.perf_counter() - started
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    partial.rename(db)
    corpus.unlink()
    print(f"built {db} ({how}): {n} articles in {ingested:.0f} s, peak RSS {rss_mb()[1]:.0f} MB", file=sys.stderr)


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {"p50_ms": round(at(0.5) * 1000, 2), "p99_ms": round(at(0.99) * 1000, 2),
            "max_ms": round(ordered[-1] * 1000, 2), "n": len(values)}


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MB."""
    current = 0.0
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                current = int(line.split()[1]) / 1024
    return current, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def store_path(workdir: Path, n: int, add: int, late: int, fast: bool, seed: int, how: str) -> Path:
    mode = "fast" if fast else "full"
    return workdir / f"incremental-v2-{n}-{add}-{late}-{mode}-s{seed}{'-inc' if how == 'incremental' else ''}.db"


def run(n: int, add: int, late: int, fast: bool, seed: int, workdir: Path, how: str) -> dict[str, Any]:
    from storyline.group.incremental import LiveEvents
    from storyline.pipeline import Models, ingest_stream

    mode = "fast" if fast else "full"
    base = store_path(workdir, n, add, late, fast, seed, how)
    if not base.exists():
        subprocess.run([sys.executable, __file__, "--build-only", "--store-docs", str(n), "--add", str(add),
                        "--late", str(late), "--seed", str(seed), "--workdir", str(workdir), "--build", how]
                       + (["--fast"] if fast else []), check=True)
    stored, fresh, late_records = split(n, add, late, seed)
    stored_gold = Counter((r["event"]) for r in stored)
    work = workdir / f"incremental-{n}-{mode}-work.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(base, work)
    config = configs(fast)[1]
    models = Models(config)
    with SQLiteStore(work) as store:
        if models.embedder is not None:  # load the model before the clock starts: a server keeps it loaded
            models.embedder.encode(["warm up"])
        if models.recognizer is not None:
            models.recognizer.annotate([])
        from storyline.pipeline import process_batch

        for record in (fresh + late_records)[:1]:  # import the extraction modules before the clock starts
            process_batch([record_to_document(record, origin="warm-up", line=1, default_id="w", encoding=None)],
                          config, models)
        clock = time.perf_counter()
        live = LiveEvents(store, config, models.embedder)
        store.defer_search_merges()  # as ``ingest - --incremental`` does for a live stream
        startup = time.perf_counter() - clock
        hot = len(live.index)
        grouping: list[float] = []

        def timed_add(articles: list[Any]) -> Any:
            began = time.perf_counter()
            out = live.add(articles)
            grouping.append(time.perf_counter() - began)
            return out

        totals: dict[str, list[float]] = {"fresh": [], "late": []}
        cpu_times: list[float] = []  # CPU time per article: less sensitive than wall time to a busy machine
        group_times: dict[str, list[float]] = {"fresh": [], "late": []}
        assigned: dict[str, str | None] = {}
        for kind, records in (("fresh", fresh), ("late", late_records)):
            for line, record in enumerate(records, start=1):
                doc = record_to_document(record, origin=f"held-out-{kind}", line=line, default_id=record["id"],
                                         encoding=None)
                began, cpu = time.perf_counter(), time.process_time()
                ingest_stream([doc], store, config, models=models, on_batch=timed_add)
                totals[kind].append(time.perf_counter() - began)
                cpu_times.append(time.process_time() - cpu)
                if grouping:
                    group_times[kind].append(grouping.pop())
        # does an added article sit with the stored articles of its gold event? (majority stored event)
        right: Counter[str] = Counter()
        total: Counter[str] = Counter()
        gold_event = {r["id"]: r["event"] for r in stored}
        members: dict[str, Counter[str]] = {}
        for kind, record in [("fresh", r) for r in fresh] + [("late", r) for r in late_records]:
            assigned[record["id"]] = store.event_of(record["id"])
            if not stored_gold.get(record["event"]):
                continue
            if record["event"] not in members:
                ids = [aid for aid, ev in gold_event.items() if ev == record["event"]]
                members[record["event"]] = Counter(store.event_of(aid) for aid in ids)
            total[kind] += 1
            right[kind] += assigned[record["id"]] == members[record["event"]].most_common(1)[0][0]
        clock = time.perf_counter()
        live.checkpoint()  # what ``ingest --incremental`` does after its last article: deferred merges, WAL copy
        closing = time.perf_counter() - clock
        size = sum(Path(f"{work}{s}").stat().st_size for s in ("", "-wal") if Path(f"{work}{s}").exists())
    current, peak = rss_mb()
    return {
        "store_docs": n, "mode": mode, "built": how, "startup_s": round(startup, 2), "hot_events": hot,
        "closing_checkpoint_s": round(closing, 2),
        "fresh": percentiles(totals["fresh"]), "fresh_grouping": percentiles(group_times["fresh"]),
        "late": percentiles(totals["late"]), "late_grouping": percentiles(group_times["late"]),
        "all": percentiles(totals["fresh"] + totals["late"]), "all_cpu": percentiles(cpu_times),
        "load_average": round(os.getloadavg()[0], 1),
        "recalled_articles": live.recalled,
        "joined_gold_event": {kind: f"{right[kind]}/{total[kind]}" for kind in ("fresh", "late")},
        "rss_mb": round(current), "peak_rss_mb": round(peak), "store_mb": round(size / 2**20),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store-docs", type=int, default=10_000, help="articles in the store (default: %(default)s)")
    parser.add_argument("--add", type=int, default=300, help="fresh articles added one by one (default: %(default)s)")
    parser.add_argument("--late", type=int, default=30, help="late articles added after them (default: %(default)s)")
    parser.add_argument("--fast", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=Path("bench-data"), help="cached stores (default: %(default)s)")
    parser.add_argument("--build", choices=("auto", "batch", "incremental"), default="auto",
                        help="how the store is built: batch (ingest + regroup), incremental (date order, bounded "
                             "memory); auto: batch up to 200k articles (default: %(default)s)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    how = args.build if args.build != "auto" else ("batch" if args.store_docs <= 200_000 else "incremental")
    if args.build_only:
        db = store_path(args.workdir, args.store_docs, args.add, args.late, args.fast, args.seed, how)
        build(args.store_docs, args.add, args.late, args.fast, args.seed, db, how)
        return 0
    result = run(args.store_docs, args.add, args.late, args.fast, args.seed, args.workdir, how)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"store of {result['store_docs']} articles ({result['mode']}, built {result['built']}, "
              f"{result['store_mb']} MB); startup "
              f"{result['startup_s']} s over {result['hot_events']} hot events; closing checkpoint "
              f"(deferred index merges, WAL copy) {result['closing_checkpoint_s']} s")
        for kind in ("fresh", "late", "all"):
            stats, grouping = result[kind], result.get(f"{kind}_grouping") or {}
            if stats:
                print(f"  {kind:5} n={stats['n']:4}  p50 {stats['p50_ms']:7.2f} ms  p99 {stats['p99_ms']:7.2f} ms  "
                      f"max {stats['max_ms']:7.2f} ms" + (f"   (grouping p50 {grouping['p50_ms']} ms, p99 "
                                                          f"{grouping['p99_ms']} ms)" if grouping else ""))
        print(f"  joined the gold event's stored articles: {result['joined_gold_event']}; recalled from the store "
              f"for late articles: {result['recalled_articles']}")
        cpu = result["all_cpu"]
        print(f"  CPU time per article p50 {cpu['p50_ms']} ms, p99 {cpu['p99_ms']} ms (load average "
              f"{result['load_average']})")
        print(f"  RSS {result['rss_mb']} MB (peak {result['peak_rss_mb']} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
