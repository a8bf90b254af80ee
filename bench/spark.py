"""Spark engine scaling: ``python bench/spark.py --docs 100000 [--masters local[1] local[2]] [--json]``.

Generates a synthetic stream (``bench/generate.py``, not timed) as ``--shards`` JSONL files, then runs
``storyline.scale.spark.run_spark`` (``--fast``: ingest → clean → extract → events (``--grouping``: linkage,
the default engine's events, or the pair graph) → stories → Parquet) once per master, each in a fresh process with its own JVM, and prints per run:

* articles/s over the whole job (Spark start-up excluded) and the speed-up over the first master;
* peak driver memory: resident set of the driver JVM (``VmHWM``) and of the Python driver;
* shuffle size: bytes written by all shuffles, summed from Spark's event log (``SparkListenerTaskEnd``);
* events, and BCubed F1 of the events against the generator's gold;
* whether every master produced the same events (they must: the engine is deterministic).

Figures depend on the machine and on what else runs on it; docs/spark.md quotes the ones measured on the
project's 2-core reference machine with the exact command.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate  # noqa: E402


def write_shards(docs: int, shards: int, seed: int, folder: Path) -> Path:
    """The generator's stream cut into ``shards`` consecutive JSONL files (kept for later runs)."""
    corpus = folder / f"corpus-{docs}-{seed}-{shards}"
    done = folder / f"{corpus.name}.done"  # beside the corpus: a file inside it would be read as an article
    if done.exists():
        return corpus
    corpus.mkdir(parents=True, exist_ok=True)
    stream = generate(docs, seed=seed)
    per = -(-docs // shards)
    for shard in range(shards):
        with (corpus / f"part-{shard:04d}.jsonl").open("w", encoding="utf-8") as handle:
            for record in islice(stream, per):
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    done.write_text("ok")
    return corpus


def gold_labels(corpus: Path) -> dict[str, str]:
    gold = {}
    for path in sorted(corpus.glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                gold[record["id"]] = record["event"]
    return gold


# ---------------------------------------------------------------------------------------------- one run
def child(args: argparse.Namespace) -> dict[str, Any]:
    """One run in this process: a fresh session on ``args.master``; returns the measurements."""
    from storyline.config import Config
    from storyline.scale.spark import run_spark, spark_session

    events_dir = Path(args.workdir) / "eventlog"
    events_dir.mkdir(parents=True, exist_ok=True)
    spark = spark_session(args.master, conf={
        "spark.driver.memory": args.driver_memory,
        "spark.sql.shuffle.partitions": str(args.partitions),
        "spark.eventLog.enabled": "true",
        "spark.eventLog.dir": str(events_dir),
        "spark.eventLog.compress": "false",
        "spark.local.dir": str(Path(args.workdir) / "spark-tmp"),
    })
    app = spark.sparkContext.applicationId
    jvm_pid = int(spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid())
    out = Path(args.workdir) / f"out-{args.master.replace('[', '').replace(']', '').replace('*', 'all')}"
    started = time.perf_counter()
    summary = run_spark([args.corpus], Config(fast=not args.full), out_dir=out, spark=spark,
                        partitions=args.partitions, grouping=args.grouping)
    seconds = time.perf_counter() - started
    jvm_peak = _vm_hwm_mb(jvm_pid)
    spark.stop()
    return {
        "master": args.master, "docs": summary.documents, "articles": summary.articles, "events": summary.events,
        "stories": summary.stories, "seconds": round(seconds, 1),
        "articles_per_s": round(summary.articles / seconds, 1),
        "driver_jvm_peak_mb": jvm_peak, "driver_python_peak_mb": round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "shuffle_write_mb": round(_shuffle_bytes(events_dir, app) / 2**20, 1),
        "timings": {k: round(v, 1) for k, v in summary.timings.items()},
        "out": str(out),
    }


def _vm_hwm_mb(pid: int) -> float:
    """Peak resident memory of a live process (Linux ``VmHWM``), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return float("nan")


def _shuffle_bytes(events_dir: Path, app: str) -> int:
    """Bytes written by every shuffle of the application, from its event log."""
    total = 0
    for path in glob.glob(str(events_dir / f"*{app}*")):
        files = sorted(glob.glob(f"{path}/events_*")) if os.path.isdir(path) else [path]
        for name in files:
            with open(name, encoding="utf-8") as handle:
                for line in handle:
                    if '"SparkListenerTaskEnd"' not in line:
                        continue
                    metrics = json.loads(line).get("Task Metrics") or {}
                    total += (metrics.get("Shuffle Write Metrics") or {}).get("Shuffle Bytes Written", 0)
    return total


def events_of(out: str) -> tuple[dict[str, str], str]:
    """Article → event id from a run's Parquet output, and a digest of the partition into events."""
    import pyarrow.parquet as pq

    rows = pq.read_table(f"{out}/articles", columns=["id", "event_id"]).to_pylist()
    event_of = {r["id"]: r["event_id"] for r in rows}
    groups: dict[str, list[str]] = {}
    for aid, eid in event_of.items():
        groups.setdefault(eid, []).append(aid)
    digest = hashlib.sha1(json.dumps(sorted(sorted(g) for g in groups.values())).encode()).hexdigest()[:16]
    return event_of, digest


# ---------------------------------------------------------------------------------------------- driver
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, nargs="+", default=[100_000])
    parser.add_argument("--masters", nargs="+", default=["local[1]", "local[2]"])
    parser.add_argument("--shards", type=int, default=16, help="input files (one Spark task reads one file)")
    parser.add_argument("--partitions", type=int, default=8, help="shuffle partitions")
    parser.add_argument("--driver-memory", default="3g")
    parser.add_argument("--full", action="store_true", help="NER and quotes too (default: --fast extraction)")
    parser.add_argument("--grouping", choices=("linkage", "graph"), default="linkage",
                        help="events: average linkage as `storyline run` (default) or the pair graph")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, help="keep corpora and outputs here (default: a temp dir)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--master", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args)))
        return 0
    from storyline.evaluate.metrics import cluster_scores

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for docs in args.docs:
            corpus = write_shards(docs, args.shards, args.seed, workdir)
            gold = gold_labels(corpus)
            base = None
            for master in args.masters:
                command = [sys.executable, __file__, "--child", "--master", master, "--corpus", str(corpus),
                           "--workdir", str(workdir / f"run-{docs}"), "--partitions", str(args.partitions),
                           "--driver-memory", args.driver_memory, "--grouping", args.grouping,
                           *(["--full"] if args.full else [])]
                done = subprocess.run(command, check=True, capture_output=True, text=True)
                row = json.loads(done.stdout.strip().splitlines()[-1])
                event_of, digest = events_of(row.pop("out"))
                ids = sorted(event_of)
                scores = cluster_scores([gold[i] for i in ids], [event_of[i] for i in ids], chance_adjusted=False)
                base = base or row
                row.update(speedup=round(base["seconds"] / row["seconds"], 2), events_digest=digest,
                           bcubed_f1=round(scores["bcubed_f1"], 4))
                rows.append(row)
    _print(rows, args.json)
    return 0


def _print(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    cols = ["docs", "master", "seconds", "articles_per_s", "speedup", "events", "bcubed_f1", "shuffle_write_mb",
            "driver_jvm_peak_mb", "driver_python_peak_mb", "events_digest"]
    print(" | ".join(f"{c:>14}" for c in cols))
    for row in rows:
        print(" | ".join(f"{row[c]!s:>14}" for c in cols))
    for docs in sorted({r["docs"] for r in rows}):
        digests = {r["events_digest"] for r in rows if r["docs"] == docs}
        print(f"{docs} docs: {'same events on every master' if len(digests) == 1 else 'EVENTS DIFFER'}")
    for row in rows:
        print(f"{row['docs']} docs on {row['master']}: stage clock {row['timings']}")


if __name__ == "__main__":
    sys.exit(main())
