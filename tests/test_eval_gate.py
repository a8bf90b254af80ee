"""Quality gate: the product's grouping on a fast subset of ../shared/data must not fall below pinned floors.

The floors live in ``src/storyline/evaluate/floors.json`` (measured value minus a small margin, written by
``bench/eval_all.py --write-floors``, which refuses to lower a floor without ``--allow-lower``). A drop of more
than ``epsilon`` fails the build. The subset (ECB+ topics 1–35, GVC train+dev, GVA, the English tgcontest pairs)
runs in about a minute with the real embedding model; the Russian pair files are measured by
``bench/eval_all.py``. Skips with the reason when ../shared is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyline.config import Config
from storyline.evaluate.runner import FLOORS, evaluate_file

GATE = json.loads(FLOORS.read_text(encoding="utf-8"))
EPSILON = GATE["epsilon"]


@pytest.mark.parametrize("name", sorted(GATE["gate"]))
def test_quality_does_not_regress(name: str, data_dir: Path) -> None:
    spec = GATE["gate"][name]
    path = data_dir / spec["file"]
    if not path.exists():
        pytest.skip(f"{path} is absent")
    result = evaluate_file(path, gold=spec["gold"], task=spec.get("task", "events"), config=Config())
    print(name, {k: round(result[k], 4) for k in spec["floors"]}, f"{result['docs_per_s']:.0f} docs/s")
    for metric, floor in spec["floors"].items():
        assert result[metric] >= floor - EPSILON, f"{name}: {metric} {result[metric]:.4f} < floor {floor} - {EPSILON}"


def test_floors_are_not_lowered_below_the_recorded_measurements() -> None:
    for name, spec in GATE["gate"].items():
        for metric, floor in spec["floors"].items():
            measured = spec["measured"][metric]
            assert measured - 0.02 <= floor <= measured, f"{name}.{metric}: floor {floor} vs measured {measured}"
