"""End-to-end throughput: ``python bench/throughput.py --docs 10000 [--fast] [--workers 2] [--incremental] [--json]``.

Generates a synthetic stream (``bench/generate.py``, not timed), runs the whole pipeline — ingest → clean →
extract → annotate → store → group — into a fresh SQLite store, and prints articles/s, peak RSS, store size
and the BCubed F1 of the events against the generator's gold. By default the grouping is the batch regroup of
the whole store (``storyline run``); ``--incremental`` is ``storyline ingest --incremental`` on a file: stored,
then grouped oldest first (bounded memory, no whole-store pass, near-copies within the hot window, no stories). Figures depend on the
machine: the README quotes
the ones measured on the project's 2-core reference machine with the exact command.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import write_jsonl  # noqa: E402
from storyline.config import Config  # noqa: E402
from storyline.pipeline import ingest_incremental, ingest_paths, regroup  # noqa: E402
from storyline.store import SQLiteStore  # noqa: E402


def peak_rss_mb() -> float:
    """Peak resident memory of this process and its finished children, in MB (Linux reports KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def run(docs: int, *, fast: bool, workers: int, seed: int, workdir: Path,
        incremental: bool = False) -> dict[str, float | int | str]:
    corpus = workdir / f"stream-{docs}-{seed}.jsonl"
    if not corpus.exists():
        with corpus.open("w", encoding="utf-8") as handle:
            write_jsonl(docs, handle, seed)
    gold = {}
    with corpus.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            gold[record["id"]] = record["event"]
    mode = ("fast" if fast else "full") + ("-incremental" if incremental else "")
    db = workdir / f"bench-{docs}-{mode}-{workers}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    config = Config(fast=fast, workers=workers)
    started = time.perf_counter()
    with SQLiteStore(db) as store:
        if incremental:  # stored first, then grouped oldest first: "ingest" ends when grouping starts
            grouping_from: list[float] = []

            def progress(stage: str, _count: int) -> None:
                if stage == "group" and not grouping_from:
                    grouping_from.append(time.perf_counter())

            summary = ingest_incremental([corpus], store, config, progress=progress)
            ingest_seconds = (grouping_from[0] if grouping_from else time.perf_counter()) - started
        else:
            summary = ingest_paths([corpus], store, config)
            ingest_seconds = time.perf_counter() - started
            regroup(store, config, summary=summary)
        seconds = time.perf_counter() - started
        predicted = store.event_assignments()
    ids = sorted(gold)
    # imported here, not at the top: spawned worker processes re-import this module, and scikit-learn would add
    # a second of startup to each of them (the CLI they run under in real use imports nothing of the kind)
    from storyline.evaluate.metrics import cluster_scores

    scores = cluster_scores([gold[i] for i in ids], [predicted.get(i) or i for i in ids], chance_adjusted=False)
    return {
        "docs": docs, "mode": mode, "workers": workers,
        "seconds": round(seconds, 1), "ingest_seconds": round(ingest_seconds, 1),
        "articles_per_s": round(docs / seconds, 1), "peak_rss_mb": round(peak_rss_mb(), 1),
        "store_mb": round(sum(os.path.getsize(f"{db}{s}") for s in ("", "-wal") if os.path.exists(f"{db}{s}")) / 2**20, 1),
        "events": summary.events, "bcubed_f1": round(scores["bcubed_f1"], 4), "pairwise_f1": round(scores["pairwise_f1"], 4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, nargs="+", default=[10_000])
    parser.add_argument("--fast", action="store_true", help="lexical features only")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--incremental", action="store_true", help="store, then group oldest first (ingest --incremental)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, help="keep corpus and store here (default: a temp dir)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        rows = [run(n, fast=args.fast, workers=args.workers, seed=args.seed, workdir=workdir,
                    incremental=args.incremental) for n in args.docs]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        cols = list(rows[0])
        print(" | ".join(f"{c:>14}" for c in cols))
        for row in rows:
            print(" | ".join(f"{row[c]!s:>14}" for c in cols))
    return 0


if __name__ == "__main__":
    sys.exit(main())
