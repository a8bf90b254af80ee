"""Event grouping on every development file of ../shared/data, ours beside the tuned baseline, with speed.

    .venv/bin/python bench/eval_all.py                      # table (GVA and its baseline take a few minutes)
    .venv/bin/python bench/eval_all.py --only gvc --json    # one file, machine-readable
    .venv/bin/python bench/eval_all.py --write-floors       # re-measure the CI gate subset, raise floors

One configuration for all files (``Config()`` defaults, or ``--fast``); the baseline (TF-IDF + average-linkage
agglomerative clustering) has its threshold tuned on each file and for each measure, so it is optimistic. ``--write-floors``
records the measurement of the gate subset in ``src/storyline/evaluate/floors.json`` and sets each floor a
small margin below it; it refuses to lower a floor unless ``--allow-lower`` is given.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from storyline.config import Config  # noqa: E402
from storyline.evaluate.runner import FLOORS, evaluate_file  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# name: (file, gold field, task, {metric: target from issue 10})
DATASETS = {
    "ecbplus": ("ecbplus/docs.jsonl", "cluster", "events", {"bcubed_f1": 0.97}),
    "gvc": ("gvc/docs.jsonl", "event_id", "events", {"bcubed_f1": 0.98}),
    "gva": ("gva/docs.jsonl", "incident_id", "events", {"bcubed_f1": 0.92, "pairwise_f1": 0.75}),
    "tg-en-train": ("tgcontest_pairs/en_train_pool.tsv", "GOLDEN:quality", "pairs", {"f1": 0.95}),
    "tg-ru-train": ("tgcontest_pairs/ru_train_pool.tsv", "GOLDEN:quality", "pairs", {"f1": 0.95}),
    "tg-ru-exam": ("tgcontest_pairs/ru_exam_pool.tsv", "GOLDEN:quality", "pairs", {"f1": 0.95}),
}
MARGIN = 0.005


def measure(name: str, data_dir: Path, config: Config, baseline: bool) -> dict:
    file, gold, task, targets = DATASETS[name]
    result = evaluate_file(data_dir / file, gold=gold, task=task, config=config,
                           baseline="tfidf-agglomerative" if baseline and task == "events" else None)
    return {"name": name, "targets": targets, **result}


def table(results: list[dict]) -> str:
    lines = [f"{'data':13}{'measure':13}{'storyline':>10}{'baseline':>10}{'target':>8}  {'':4}{'docs/s':>8}"]
    for r in results:
        for metric, target in r["targets"].items():
            base = r.get("baseline", {}).get("tuned", {}).get(metric, {}).get("value")
            ok = "ok" if r[metric] >= target else "MISS"
            lines.append(f"{r['name']:13}{metric:13}{r[metric]:>10.4f}{'' if base is None else f'{base:.4f}':>10}"
                         f"{target:>8.2f}  {ok:4}{r['docs_per_s']:>8.0f}")
    return "\n".join(lines)


def write_floors(results: list[dict], allow_lower: bool) -> None:
    gate = json.loads(FLOORS.read_text(encoding="utf-8"))
    for r in results:
        spec = gate["gate"].get(r["name"])
        if spec is None:
            continue
        for metric in spec["floors"]:
            new = math.floor((r[metric] - MARGIN) * 1000) / 1000
            if new < spec["floors"][metric] and not allow_lower:
                sys.exit(f"refusing to lower {r['name']}.{metric} from {spec['floors'][metric]} to {new} "
                         "(pass --allow-lower if the drop is intended)")
            spec["floors"][metric] = new
            spec["measured"][metric] = round(r[metric], 4)
    FLOORS.write_text(json.dumps(gate, indent=2) + "\n", encoding="utf-8")
    print(f"floors written to {FLOORS}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--only", action="append", choices=sorted(DATASETS), help="just these files (repeatable)")
    parser.add_argument("--fast", action="store_true", help="no embeddings (lexical grouping only)")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--write-floors", action="store_true", help="measure the CI gate subset and raise its floors")
    parser.add_argument("--allow-lower", action="store_true")
    args = parser.parse_args()
    if not args.data_dir.exists():
        sys.exit(f"no benchmark data at {args.data_dir}")
    names = args.only or sorted(DATASETS)
    if args.write_floors:
        names = sorted(json.loads(FLOORS.read_text(encoding="utf-8"))["gate"])
    config = Config(fast=args.fast)
    results = []
    for name in names:
        results.append(measure(name, args.data_dir, config, not args.no_baseline and not args.write_floors))
        if not args.json:
            rows = table(results[-1:]).splitlines()
            print("\n".join(rows if len(results) == 1 else rows[1:]), flush=True)
    if args.json:
        print(json.dumps(results, indent=2, default=str))
    if args.write_floors:
        write_floors(results, args.allow_lower)
    return 0


if __name__ == "__main__":
    sys.exit(main())
