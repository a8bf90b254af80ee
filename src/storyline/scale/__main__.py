"""``python -m storyline.scale`` — the Spark job alone, for ``spark-submit`` on a cluster.

``spark-submit`` wants a file: pass this module's path (``python -c "import storyline.scale.__main__ as m;
print(m.__file__)"``). The master and resources come from ``spark-submit``; inputs and the output folder
may be on any file system Spark reads (HDFS, S3…) when they are Parquet, see ``docs/spark.md``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from storyline.config import Config


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m storyline.scale", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help="files or folders (every node must see them at these paths)")
    parser.add_argument("--parquet", nargs="*", default=[], help="Parquet tables with JSONL columns (any FS)")
    parser.add_argument("--out", required=True, help="folder for the Parquet tables (any FS)")
    parser.add_argument("--db", help="also load the result into this SQLite store (on the driver)")
    parser.add_argument("--master", help="Spark master (default: as spark-submit set it)")
    parser.add_argument("--partitions", type=int, help="tasks per shuffle (default: 2 × default parallelism)")
    parser.add_argument("--fast", action="store_true", help="lexical features only: no NER, no quotes")
    parser.add_argument("--grouping", choices=("linkage", "graph"), default="linkage",
                        help="events: average linkage as `storyline run` (default) or the pair graph")
    parser.add_argument("--config", type=Path, help="TOML file overriding the defaults")
    args = parser.parse_args(argv)
    if not args.paths and not args.parquet:
        parser.error("give at least one PATH or --parquet TABLE")
    from storyline.scale.spark import run_spark

    config = Config.load(args.config, fast=args.fast or None)
    summary = run_spark(args.paths, config, out_dir=args.out, master=args.master, parquet_inputs=args.parquet,
                        db=args.db, partitions=args.partitions, grouping=args.grouping)
    print(summary.describe())
    return 0


if __name__ == "__main__":
    sys.exit(main())
